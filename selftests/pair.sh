#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A pair of gateways with keepalived (Documentation/two-gateways.rst), built
# from the guide's files as they are: gw-X.sh, vpnecmp-X.conf and
# keepalived-X.conf, real keepalived and "vpnecmp daemon" in each gateway's
# namespace, LAN flows to the cloud through both gateways (half through
# gw-a's virtual address, half through gw-b's).  If a case fails:
#   sa_lost         gw-a's tunnels lost their SAs and its LAN traffic did not
#                   continue through gw-b (no fallback over the pair link, no
#                   track file written, keepalived kept gw-a's address), or
#                   flows that were on gw-b's tunnels moved;
#   probe_lost      the same when gw-a's underlay is blackholed with its SAs
#                   intact: only the daemon's prober can see it;
#   gw_dies_returns gw-a dies (daemons killed, LAN and underlay links down):
#                   its virtual address did not move or traffic did not
#                   continue; gw-a comes back: a second loss burst, or the
#                   address moved more than once (a flap);
#   both_down       both gateways all-down: the fallbacks send the traffic
#                   back and forth between them until its TTL runs out (the
#                   loop guard of gw-X.sh does not hold), or the all-down
#                   event did not fire on both.  The case removes the guard
#                   once to show that it sees a loop when there is one.
# Packet counts are printed, not judged against time; what is asserted is
# functional: traffic continues, nothing moves that should not, no flap,
# no loop.
#
# Short by design (each scenario once, a few seconds of traffic); a soak
# would repeat the faults for hours at random phases of the VRRP adverts
# and the probes, with the host loaded, to find a rare flap.
#
# timeout: 1500

ALL_TESTS="
	sa_lost
	probe_lost
	gw_dies_returns
	both_down
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pair_topo.sh"

NFLOWS=16
PPS=20

fail()
{
	ktap_print_msg "$CASE: $*"
	RET=1
}

expect_eq()
{
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

# field LINE KEY
field()
{
	grep -o "\b$2=[-0-9.]*" <<<"$1" | cut -d= -f2
}

# The steady state: both daemons applied, both groups active, each
# gateway holds its own virtual address.
pair_up()
{
	pair_start a || { fail "gw-a's daemons did not start"; return 1; }
	pair_start b || { fail "gw-b's daemons did not start"; return 1; }
	pair_wait_vips 60000 || {
		fail "the virtual addresses did not settle (gw-a: .1, gw-b: .254)"
		return 1
	}
	grep -q "aws.track: 0" "$PAIR_DIR/vd-a.log" ||
		fail "gw-a's daemon did not write 0 to its track file"
	# settled: no transition in progress when the case acts
	sleep 1
}

# one_gateway_lost FAULT: gw-a loses both tunnels by FAULT (a function);
# its LAN flows must continue through gw-b, gw-b's flows must not move.
one_gateway_lost()
{
	local fault ra rb why=$2

	pair_up || return
	flows_start fa 198.51.100.10 9000 8
	flows_start fb 198.51.100.20 9001 8
	sleep 2
	fault=$(now_ns)
	"$1" || fail "injecting the fault"
	busywait 15000 grep -q "group aws: all paths down" "$PAIR_DIR/vd-a.log" ||
		fail "no all-down on gw-a"
	expect_eq "$(ip -n "$GWA" -j nexthop show id 100 | jq -c '[.[0].group[].id]')" "[3]" \
		"gw-a's group: the fallback over the pair link"
	busywait 10000 pair_vip_on b 198.51.100.1 ||
		fail "gw-a's virtual address did not move to gw-b"
	grep -q "aws.track: -254" "$PAIR_DIR/vd-a.log" ||
		fail "gw-a's daemon did not write -254 to its track file"
	grep -q "path tun1: .* -> down ($why)" "$PAIR_DIR/vd-a.log" ||
		fail "tun1 not pulled for reason $why"
	flows_wait fa
	flows_wait fb
	ra=$(flows_report fa "$fault")
	rb=$(flows_report fb "$fault")
	ktap_print_msg "$CASE: gw-a's flows: $ra"
	ktap_print_msg "$CASE: gw-b's flows: $rb"
	expect_eq "$(field "$ra" tail_lost)" 0 "gw-a's flows lost in the last second (traffic continues)"
	[ "$(field "$ra" tail)" -gt 0 ] || fail "gw-a's flows: nothing sent at the end"
	expect_eq "$(field "$rb" flows_moved)" 0 "gw-b's flows that changed tunnel"
	expect_eq "$(field "$rb" lost)" 0 "gw-b's flows lost"
}

fault_sa()
{
	pair_sa_del a
}

fault_probe()
{
	pair_underlay a on
}

sa_lost()
{
	one_gateway_lost fault_sa sa
}

probe_lost()
{
	one_gateway_lost fault_probe probe
}

# state_lines X FROM PATTERN: lines of keepalived's log of X after line FROM
state_lines()
{
	tail -n +"$(($2 + 1))" "$PAIR_DIR/ka-$1.log" | grep -c -e "$3"
}

gw_dies_returns()
{
	local fault back r la lb

	pair_up || return
	flows_start fa 198.51.100.10 9000 18
	flows_start fb 198.51.100.20 9001 18
	sleep 2
	# The box dies: nothing of it runs any more, its links go dark.
	fault=$(now_ns)
	pair_kill a KILL
	pair_links a down || fail "links down"
	busywait 10000 pair_vip_on b 198.51.100.1 ||
		fail "gw-a's virtual address did not move to gw-b"
	pair_vip_on b 198.51.100.254 || fail "gw-b lost its own address"
	sleep 3

	# It boots again: no virtual address, tunnels re-established (the IKE
	# daemon's SAs were kept here), vpnecmp, then keepalived.
	ip -n "$GWA" addr del 198.51.100.1/24 dev lan0 2>/dev/null
	la=$(wc -l < "$PAIR_DIR/ka-a.log")
	lb=$(wc -l < "$PAIR_DIR/ka-b.log")
	back=$(now_ns)
	pair_links a up || fail "links up"
	pair_start a || fail "gw-a's daemons did not start again"
	# preempt_delay 5 s: gw-a takes its address back once, later
	busywait 30000 pair_vip_on a 198.51.100.1 ||
		fail "gw-a did not take its address back"
	flows_wait fa
	flows_wait fb
	r=$(flows_report fa "$fault" "$back")
	ktap_print_msg "$CASE: gw-a's flows: $r"
	ktap_print_msg "$CASE: gw-b's flows: $(flows_report fb "$fault" "$back")"
	[ "$(field "$r" tail)" -gt 0 ] || fail "gw-a's flows: nothing sent at the end"
	expect_eq "$(field "$r" tail_lost)" 0 "gw-a's flows lost in the last second (traffic continues)"
	expect_eq "$(field "$r" lost_after_return)" 0 "packets lost after gw-a returned (a second burst)"
	# One move back, no flap: after the return gw-b leaves gw-a's address
	# once and never takes it again; gw-a takes it once and keeps its
	# backup role for gw-b's.
	expect_eq "$(state_lines b "$lb" '(gw_a) Entering BACKUP STATE')" 1 \
		"gw-b giving gw-a's address back"
	expect_eq "$(state_lines b "$lb" '(gw_a) Entering MASTER STATE')" 0 \
		"gw-b taking gw-a's address again after the return (flap)"
	expect_eq "$(state_lines a "$la" '(gw_a) Entering MASTER STATE')" 1 \
		"gw-a taking its address back"
	expect_eq "$(state_lines a "$la" '(gw_b) Entering MASTER STATE')" 0 \
		"gw-a taking gw-b's address"
	expect_eq "$(state_lines b "$lb" '(gw_b) Entering BACKUP STATE')" 0 \
		"gw-b losing its own address"
}

# send_direct: 10 packets of 8 flows from .30 through gw-a and from .40
# through gw-b (their own addresses, not the virtual ones: with both in
# FAULT the LAN has no virtual address left)
send_direct()
{
	ip netns exec "$LANNS" "$FLOWGEN" send 198.51.100.30 "$PAIR_HOST" 9100 8 10 1 /dev/null > /dev/null
	ip netns exec "$LANNS" "$FLOWGEN" send 198.51.100.40 "$PAIR_HOST" 9100 8 10 1 /dev/null > /dev/null
	sleep 0.5
}

ttl_total()
{
	echo $(($(pair_ttl_expired a) + $(pair_ttl_expired b)))
}

guard()
{
	local x ns

	for x in a b; do
		ns=$(pair_ns "$x")
		if [ "$1" = off ]; then
			ip -n "$ns" rule del pref 100 && ip -n "$ns" rule del pref 101
		else
			ip -n "$ns" rule add pref 100 iif peer0 lookup main suppress_ifgroup 7 &&
			ip -n "$ns" rule add pref 101 iif peer0 blackhole
		fi || return 1
	done
}

both_down()
{
	local before after x

	pair_up || return
	pair_sa_del a
	pair_sa_del b
	for x in a b; do
		busywait 15000 grep -q "group aws: all paths down" "$PAIR_DIR/vd-$x.log" ||
			fail "no all-down event on gw-$x"
		expect_eq "$(ip -n "$(pair_ns "$x")" -j nexthop show id 100 | jq -c '[.[0].group[].id]')" \
			"[3]" "gw-$x's group: the fallback over the pair link"
	done
	busywait 10000 sh -c "! ip -n $GWA -4 -o addr show dev lan0 | grep -q -e ' 198.51.100.1/' -e ' 198.51.100.254/'" ||
		fail "gw-a kept a virtual address with all its tunnels down"

	before=$(ttl_total)
	send_direct
	after=$(ttl_total)
	ktap_print_msg "$CASE: TTL expired while forwarding, with the loop guard: $((after - before))"
	expect_eq "$((after - before))" 0 "packets whose TTL ran out (a loop between the gateways)"

	# The same without the guard: the case must see the loop.
	guard off || { fail "removing the guard"; return; }
	before=$(ttl_total)
	send_direct
	after=$(ttl_total)
	guard on || fail "restoring the guard"
	ktap_print_msg "$CASE: TTL expired while forwarding, without the guard: $((after - before))"
	[ "$((after - before))" -gt 0 ] ||
		fail "no loop seen without the guard: the case cannot see one"
}

run()
{
	local t n=0

	ktap_print_header
	require_root
	require_cmd ip jq python3 keepalived unshare tc
	require_cli
	require_module
	[ -x "$FLOWGEN" ] && [ -x "$NLBENCH" ] ||
		ktap_skip_all "$FLOWGEN or $NLBENCH not built (make bench-bin)"
	for t in ${TESTS:-$ALL_TESTS}; do n=$((n + 1)); done
	ktap_set_plan "$n"
	trap pair_cleanup EXIT
	for t in ${TESTS:-$ALL_TESTS}; do
		RET=0
		CASE=$t
		if pair_setup; then
			"$t"
		else
			fail "topology setup failed"
		fi
		if [ "$RET" != 0 ] && [ -n "${PAIR_DIR:-}" ]; then
			for f in vd-a vd-b ka-a ka-b; do
				[ -s "$PAIR_DIR/$f.log" ] || continue
				ktap_print_msg "--- $f.log (last 12 lines)"
				tail -n 12 "$PAIR_DIR/$f.log" | sed 's/^/#   /'
			done
		fi
		pair_cleanup
		if [ "$RET" = 0 ]; then
			ktap_test_pass "$t"
		else
			ktap_test_fail "$t"
		fi
	done
	trap - EXIT
	ktap_finished
}

run
