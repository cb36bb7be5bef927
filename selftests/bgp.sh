#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# BIRD on both sides exchanges the cloud's prefix over each tunnel; the
# gateway's BIRD puts what it learns over tunnel I into kernel table 200+I,
# and "vpnecmp daemon" follows those tables.  If a case fails, a tunnel
# whose BGP session is down while IPsec is up (the console's "DOWN / IPSEC
# UP") would keep its share of the traffic until the hold timer, or would
# come back without hold-up, or the daemon would fight the route that
# forwards.
#
# timeout: 420

ALL_TESTS="
	neighbor_shut
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"
source "$(dirname "$0")/daemons.sh"

CLOUD_PREFIX=10.100.0.0/16

bird_conf_cgw()
{
	cat > "$1" <<-EOF
	log "$TMPDIR_T/cgw/bird.log" all;
	router id 203.0.113.1;
	ipv4 table tun1;
	ipv4 table tun2;
	protocol device {
	}
	protocol bgp aws1 {
		local 203.0.113.1 as 65000;
		neighbor 203.0.113.2 as 64512;
		connect retry time 2;
		error wait time 1, 5;
		ipv4 {
			table tun1;
			import all;
			export none;
		};
	}
	protocol bgp aws2 {
		local 203.0.113.5 as 65000;
		neighbor 203.0.113.6 as 64512;
		connect retry time 2;
		error wait time 1, 5;
		ipv4 {
			table tun2;
			import all;
			export none;
		};
	}
	protocol kernel kern1 {
		kernel table 201;
		ipv4 {
			table tun1;
			import none;
			export all;
		};
	}
	protocol kernel kern2 {
		kernel table 202;
		ipv4 {
			table tun2;
			import none;
			export all;
		};
	}
	EOF
}

bird_conf_aws()
{
	cat > "$1" <<-EOF
	log "$TMPDIR_T/aws/bird.log" all;
	router id 203.0.113.2;
	protocol device {
	}
	protocol static cloud {
		ipv4;
		route $CLOUD_PREFIX via "cloud";
	}
	protocol bgp cgw1 {
		local 203.0.113.2 as 64512;
		neighbor 203.0.113.1 as 65000;
		connect retry time 2;
		ipv4 {
			import none;
			export where proto = "cloud";
		};
	}
	protocol bgp cgw2 {
		local 203.0.113.6 as 64512;
		neighbor 203.0.113.5 as 65000;
		connect retry time 2;
		ipv4 {
			import none;
			export where proto = "cloud";
		};
	}
	EOF
}

table_has()
{
	[ -n "$(ip -n "$CGW" route show table "$1" "$CLOUD_PREFIX" 2>/dev/null)" ]
}

neighbor_shut()
{
	local conf=$TMPDIR_T/vpnecmp.conf mon=$TMPDIR_T/mon.json t0 down main out

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	mkdir -p "$TMPDIR_T/cgw" "$TMPDIR_T/aws"
	bird_conf_cgw "$TMPDIR_T/cgw/bird.conf"
	bird_conf_aws "$TMPDIR_T/aws/bird.conf"
	bird_start aws "$TMPDIR_T/aws/bird.conf" && bird_start cgw "$TMPDIR_T/cgw/bird.conf" ||
		{ fail "bird did not start"; return; }
	busywait 30000 sh -c "[ -n \"\$(ip -n $CGW route show table 201 $CLOUD_PREFIX 2>/dev/null)\" ] && [ -n \"\$(ip -n $CGW route show table 202 $CLOUD_PREFIX 2>/dev/null)\" ]" ||
		{ fail "BGP did not install the cloud prefix in tables 201 and 202"; return; }

	DAEMON_HOLD=1000 daemon_conf "$conf" \
		"bgp t1 table 201 prefix $CLOUD_PREFIX" "bgp t2 table 202 prefix $CLOUD_PREFIX"
	daemon_start "$conf" || { fail "daemon"; return; }
	wait_members "1 2" || { fail "both tunnels should be in"; return; }
	main=$(ip -n "$CGW" route show 203.0.113.128/25)
	start_monitor "$mon" path

	# t0 before birdc: the withdrawal may be through before birdc returns
	t0=$(uptime_ms)
	out=$(birdc_do aws disable cgw1 2>&1) || { fail "birdc disable: $out"; return; }
	wait_members "2" || fail "t1 still in the group with its BGP session down"
	down=$(event_ms "$mon" t1 down cause_ns "$t0")
	[ -n "$down" ] && ktap_print_msg "BGP-fed detection: $((down - t0)) ms after 'birdc disable' on the cloud side started (birdc's own run included)"
	expect_eq "$(path_field t1 reason)" bgp "reason of t1"
	expect_eq "$(ip -n "$CGW" xfrm state | grep -c '^src')" 4 "SAs while BGP is down (IPsec up)"
	table_has 201 && fail "table 201 still has the prefix"

	out=$(birdc_do aws enable cgw1 2>&1) || fail "birdc enable: $out"
	busywait 30000 table_has 201 || fail "the prefix did not come back in table 201"
	wait_members "1 2" || fail "t1 did not return with its BGP session"
	stop_monitor
	jq -s -e '[.[] | select(.path == "t1") | .new_state] | index("hold") != null' "$mon" >/dev/null ||
		fail "t1 came back without its hold-up"
	# the forwarding route is the operator's: nobody touched it
	expect_eq "$(ip -n "$CGW" route show 203.0.113.128/25)" "$main" "the route that forwards"
}

run_tests "$ALL_TESTS"
