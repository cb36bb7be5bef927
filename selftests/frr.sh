#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# FRR on both sides: bgpd exchanges the cloud's prefix over each tunnel,
# with BFD (bfdd, 300 ms x 3) on tunnel 1's session in the BFD case.  BFD
# is left out elsewhere: under emulation on a loaded host the guest can
# stall for longer than 900 ms and BFD then drops sessions nobody touched.  The gateway's bgpd keeps
# what it learns out of zebra (table-map) and reports its sessions and the
# routes they bring to "vpnecmp daemon" over BMP (RFC 7854, "bgp PATH
# neighbor ADDR" lines).  If a case fails, a tunnel whose BGP session is
# down while IPsec is up would keep its share of the traffic until the
# hold timer (BFD would buy nothing), or would come back without hold-up,
# or FRR's zebra and vpnecmp would undo each other's nexthop group (zebra
# 8.4 puts back a group it learned with a route; the route that forwards is
# added "proto kernel", which zebra leaves alone), or FRR's RIB would hold
# failed routes.  The daemon before the BMP feeder fails both cases: it
# has no "neighbor" keyword, and FRR writes no per-tunnel kernel table it
# could watch.
#
# Short on purpose (one shut/no-shut, one BFD loss, ~1 min each under
# emulation): a soak of thousands of flaps, with a full table on a third
# neighbor over the same BMP session, would show the collector's memory and
# the ordering of Peer Down/Up under load; selftests/bench is where that
# belongs, not make check.
#
# timeout: 900

ALL_TESTS="
	neighbor_shut
	bfd_down
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"
source "$(dirname "$0")/daemons.sh"

CLOUD_PREFIX=10.100.0.0/16
# not the default 11019, so that the file's "bmp" line is exercised
BMP_PORT=11099

require_frr()
{
	local m

	for m in zebra bgpd bfdd; do
		[ -x "/usr/lib/frr/$m" ] || ktap_skip_all "FRR's $m is not installed (Debian package frr)"
	done
	m=$(find /usr/lib/*/frr/modules /usr/lib/frr/modules -name bgpd_bmp.so 2>/dev/null | head -1)
	[ -n "$m" ] || ktap_skip_all "FRR's BMP module (bgpd_bmp.so) is not installed"
	require_cmd vtysh nsenter unshare tc
}

# frr_conf_cgw FILE [bfd]: BGP with the two tunnel neighbors (BFD on
# tunnel 1's with "bfd"), what it
# learns kept out of zebra (the route that forwards is the operator's),
# the cloud prefix reported over BMP after the inbound policy.
frr_conf_cgw()
{
	cat > "$1" <<-EOF
	frr defaults traditional
	hostname cgw
	ip prefix-list CLOUD seq 5 permit $CLOUD_PREFIX le 32
	route-map FROM-CLOUD permit 10
	 match ip address prefix-list CLOUD
	exit
	route-map TO-CLOUD deny 10
	exit
	route-map VPNECMP-OWNS deny 10
	 match ip address prefix-list CLOUD
	exit
	route-map VPNECMP-OWNS permit 20
	exit
	router bgp 65000
	 bgp router-id 203.0.113.1
	 timers bgp 10 30
	 neighbor 203.0.113.2 remote-as 64512
	 ${2:+neighbor 203.0.113.2 bfd}
	 neighbor 203.0.113.2 timers connect 2
	 neighbor 203.0.113.6 remote-as 64512
	 neighbor 203.0.113.6 timers connect 2
	 address-family ipv4 unicast
	  neighbor 203.0.113.2 route-map FROM-CLOUD in
	  neighbor 203.0.113.2 route-map TO-CLOUD out
	  neighbor 203.0.113.6 route-map FROM-CLOUD in
	  neighbor 203.0.113.6 route-map TO-CLOUD out
	  table-map VPNECMP-OWNS
	 exit-address-family
	 bmp targets vpnecmp
	  bmp connect 127.0.0.1 port $BMP_PORT min-retry 100 max-retry 1000
	  bmp monitor ipv4 unicast post-policy
	 exit
	exit
	EOF
}

# frr_conf_aws FILE [bfd]: the cloud only answers (as AWS does): no
# connection collisions, which under emulation can keep both sides in
# OpenSent for a while.
frr_conf_aws()
{
	cat > "$1" <<-EOF
	frr defaults traditional
	hostname aws
	route-map ALL permit 10
	exit
	router bgp 64512
	 bgp router-id 203.0.113.2
	 no bgp network import-check
	 timers bgp 10 30
	 neighbor 203.0.113.1 remote-as 65000
	 ${2:+neighbor 203.0.113.1 bfd}
	 neighbor 203.0.113.1 passive
	 neighbor 203.0.113.5 remote-as 65000
	 neighbor 203.0.113.5 passive
	 address-family ipv4 unicast
	  network $CLOUD_PREFIX
	  neighbor 203.0.113.1 route-map ALL out
	  neighbor 203.0.113.5 route-map ALL out
	 exit-address-family
	exit
	EOF
}

# received NEIGHBOR: the gateway's bgpd has the cloud prefix from NEIGHBOR
received()
{
	vtysh_do cgw -c "show bgp ipv4 unicast summary json" 2>/dev/null |
		jq -e ".peers[\"$1\"] | .state == \"Established\" and .pfxRcd >= 1" >/dev/null
}

both_received()
{
	received 203.0.113.2 && received 203.0.113.6
}

# pulled_for_bgp MON: t1 went down for reason bgp in monitor file MON
pulled_for_bgp()
{
	jq -s -e '[.[] | select(.path == "t1" and .new_state == "down" and .reason == "bgp")] | length > 0' "$1" >/dev/null
}

# members_are IDS: group 100 holds IDS (wait_members, with room for a
# loaded host: a return waits for BGP, BMP and the hold-up in turn)
members_are()
{
	[ "$(members 100)" = "$1" ]
}

bfd_up()
{
	vtysh_do cgw -c "show bfd peer $1 json" 2>/dev/null | jq -e '.status == "up"' >/dev/null
}

# rib_ok WHEN: FRR and vpnecmp leave each other alone on the gateway.  The
# tunnels' connected routes are selected and installed in zebra, no route
# is failed or queued, none of the cloud's BGP routes reached zebra (the
# table-map), the route that forwards is not zebra's (proto kernel: zebra
# leaves it and its group alone), zebra never "sent back down" a group
# vpnecmp replaced, and the module never had to restore one.
rib_ok()
{
	local j

	j=$(vtysh_do cgw -c "show ip route json") || { fail "$1: vtysh show ip route"; return; }
	echo "$j" > "$TMPDIR_T/rib-$1.json"
	echo "$j" | jq -e '[.["203.0.113.0/30"], .["203.0.113.4/30"]] | all(any(.protocol == "connected" and .selected == true and .installed == true))' >/dev/null ||
		fail "$1: a tunnel's connected route is not selected and installed in FRR's RIB"
	echo "$j" | jq -e '[.[][] | select(.failed == true or .queued == true)] | length == 0' >/dev/null ||
		fail "$1: FRR's RIB has failed or queued routes: $(echo "$j" | jq -c '[.[][] | select(.failed == true or .queued == true) | .prefix]')"
	echo "$j" | jq -e '[.[][] | select(.protocol == "bgp")] | length == 0' >/dev/null ||
		fail "$1: BGP routes reached zebra despite the table-map"
	echo "$j" | jq -e 'has("203.0.113.128/25") | not' >/dev/null ||
		fail "$1: zebra holds the route that forwards (it would revert vpnecmp's replaces)"
	! grep -q "Kernel updated a nexthop group" "$TMPDIR_T/cgw/frr/zebra.log" ||
		fail "$1: zebra put back a nexthop group vpnecmp had replaced"
	[ -z "${DAEMON_LOG:-}" ] || ! grep -q "changed by someone else" "$DAEMON_LOG" ||
		fail "$1: someone else changed the kernel group (the module restored it)"
}

# The route that forwards, as the operator adds it next to FRR: proto
# kernel, which zebra does not learn (see Documentation/daemon.rst, FRR).
forward_route()
{
	ip -n "$CGW" route replace 203.0.113.128/25 nhid 100 proto kernel
}

frr_up()
{
	local conf=$TMPDIR_T/vpnecmp.conf

	if ! sa_add 1 || ! sa_add 2; then
		fail "SAs"
		return 1
	fi
	forward_route || { fail "the route that forwards, proto kernel"; return 1; }
	mkdir -p "$TMPDIR_T/cgw" "$TMPDIR_T/aws"
	frr_conf_cgw "$TMPDIR_T/cgw/frr.conf" "${1:-}"
	frr_conf_aws "$TMPDIR_T/aws/frr.conf" "${1:-}"
	if ! frr_start aws "$TMPDIR_T/aws/frr.conf" || ! frr_start cgw "$TMPDIR_T/cgw/frr.conf"; then
		fail "FRR did not start"
		return 1
	fi
	busywait 120000 both_received ||
		{ fail "BGP did not bring the cloud prefix over both tunnels"; return 1; }
	rib_ok before

	DAEMON_HOLD=1000 daemon_conf "$conf" "bmp port $BMP_PORT" \
		"bgp t1 neighbor 203.0.113.2 prefix $CLOUD_PREFIX" \
		"bgp t2 neighbor 203.0.113.6 prefix $CLOUD_PREFIX"
	daemon_start "$conf" || { fail "daemon"; return 1; }
	daemon_wait_log "End-of-RIB" 20000 ||
		{ fail "bgpd's BMP session did not reach the daemon or sent no table"; return 1; }
	wait_members "1 2" || { fail "both tunnels should be in"; return 1; }
}

neighbor_shut()
{
	local mon=$TMPDIR_T/mon.json t0 down main out

	frr_up || return
	main=$(ip -n "$CGW" route show 203.0.113.128/25)
	start_monitor "$mon" path

	t0=$(uptime_ms)
	out=$(vtysh_do aws -c "configure terminal" -c "router bgp 64512" \
		-c "neighbor 203.0.113.1 shutdown" 2>&1) || { fail "vtysh shutdown: $out"; return; }
	wait_members "2" || fail "t1 still in the group with its BGP session down"
	down=$(event_ms "$mon" t1 down cause_ns "$t0")
	[ -n "$down" ] && ktap_print_msg "BGP-fed detection (FRR, BMP): $((down - t0)) ms after the cloud's 'neighbor shutdown' started (vtysh's own run included)"
	expect_eq "$(path_field t1 reason)" bgp "reason of t1"
	expect_eq "$(ip -n "$CGW" xfrm state | grep -c '^src')" 4 "SAs while BGP is down (IPsec up)"
	grep -q "path t1: bgp down (BGP session with 203.0.113.2 down" "$DAEMON_LOG" ||
		fail "the daemon did not log the BMP Peer Down of 203.0.113.2"
	# zebra, if it took the group for its own, puts it back within ms
	sleep 2
	expect_eq "$(members 100)" "2" "members 2 s after the pull"
	rib_ok during

	out=$(vtysh_do aws -c "configure terminal" -c "router bgp 64512" \
		-c "no neighbor 203.0.113.1 shutdown" 2>&1) || fail "vtysh no shutdown: $out"
	busywait 120000 received 203.0.113.2 || fail "the session over t1 did not come back"
	busywait 60000 members_are "1 2" || fail "t1 did not return with its BGP session"
	stop_monitor
	jq -s -e '[.[] | select(.path == "t1") | .new_state] | index("hold") != null' "$mon" >/dev/null ||
		fail "t1 came back without its hold-up"
	rib_ok after
	expect_eq "$(ip -n "$CGW" route show 203.0.113.128/25)" "$main" "the route that forwards"

	# Something that is not BMP on the port: refused, nothing else moves.
	ip netns exec "$CGW" python3 -c "import socket; s = socket.create_connection(('127.0.0.1', $BMP_PORT)); s.sendall(b'GET / HTTP/1.0\r\n\r\n'); s.recv(1)" 2>/dev/null
	daemon_wait_log "not BMP version 3" || fail "the daemon did not refuse a session that is not BMP"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon died on a session that is not BMP"
	expect_eq "$(members 100)" "1 2" "members after a session that is not BMP"
}

# BFD's packets from the cloud over tunnel 1 are dropped (BGP's are not):
# the gateway's bfdd declares the session down after 3 x 300 ms, bgpd drops
# the BGP session (Peer Down over BMP), the path leaves long before the
# 30 s hold timer.
bfd_down()
{
	local mon=$TMPDIR_T/mon.json t0 down why

	frr_up bfd || return
	busywait 30000 bfd_up 203.0.113.2 || { fail "BFD over t1 did not come up"; return; }
	start_monitor "$mon" path

	ip netns exec "$AWS" tc qdisc add dev t1 clsact || { fail "tc qdisc"; return; }
	t0=$(uptime_ms)
	ip netns exec "$AWS" tc filter add dev t1 egress protocol ip u32 \
		match ip protocol 17 0xff match ip dport 3784 0xffff action drop ||
		{ fail "tc filter"; return; }
	busywait 20000 pulled_for_bgp "$mon" || fail "t1 was not pulled (reason bgp) with BFD down"
	# bgpd tells the cloud why (RFC 9384): Cease/BFD Down, or says it reset
	why=$(vtysh_do cgw -c "show bgp neighbor 203.0.113.2 json" |
		jq -r '.["203.0.113.2"] | "\(.lastResetDueTo) / \(.lastNotificationReason)"')
	case $why in
	"BFD down received"* | *"Cease/BFD Down") ;;
	*) fail "the gateway's bgpd reset the session over t1 for another reason than BFD: $why" ;;
	esac
	expect_eq "$(ip -n "$CGW" xfrm state | grep -c '^src')" 4 "SAs while BFD is down (IPsec up)"
	# No "t1 stays out" check: FRR 8.4 lets BGP come back while BFD is
	# down and BFD drops it again; the path follows, damped by its hold-up.
	rib_ok during

	ip netns exec "$AWS" tc qdisc del dev t1 clsact
	busywait 30000 bfd_up 203.0.113.2 || fail "BFD over t1 did not come back"
	busywait 120000 received 203.0.113.2 || fail "the session over t1 did not come back"
	busywait 60000 members_are "1 2" || fail "t1 did not return"
	stop_monitor
	# read once the monitor is stopped: no line half written
	down=$(event_ms "$mon" t1 down cause_ns "$t0")
	[ -n "$down" ] && ktap_print_msg "BFD-fed detection (bfdd 300 ms x 3, BGP hold 30 s): $((down - t0)) ms after the cloud's BFD packets were dropped"
	rib_ok after
}

require_frr
run_tests "$ALL_TESTS"
