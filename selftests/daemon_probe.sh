#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The daemon's prober is never the cause of an outage.  If a case fails:
#   probe_stall      a pause of the daemon (SIGSTOP, a busy loop) reads as
#                    packet loss and pulls every probed tunnel at once, or
#                    a stopped daemon does not stop promptly when asked;
#   probe_64_paths   probed paths beyond the first few are never read (they
#                    go down and never come back), or a loss on one tunnel
#                    moves others;
#   device_recreate  a tunnel device deleted and created again keeps its
#                    probe down (a socket bound to the old device) and its
#                    path pulled until someone sends SIGHUP.
#
# timeout: 420

ALL_TESTS="
	probe_stall
	probe_64_paths
	device_recreate
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"

RESP=

case_cleanup_hook()
{
	[ -n "$RESP" ] && ip netns del "$RESP" 2>/dev/null
	RESP=
	return 0
}

# transitions: every path's transition counter, in name order
transitions()
{
	vx -j -s path show | jq -c 'sort_by(.name) | [.[] | {(.name): .stats.transitions}] | add'
}

# probe_downs: lines where the daemon's probe signal dropped
probe_downs()
{
	grep -c "probe down" "$DAEMON_LOG"
}

# stall SECONDS: the daemon stopped, as a debugger, an overloaded host or
# a blocking call in its loop would.
stall()
{
	kill -STOP "$DAEMON_PID" || return 1
	sleep "$1"
	kill -CONT "$DAEMON_PID"
}

# shellcheck disable=SC2034 # read by topo.sh
probe_stall_env()
{
	TOPO_GROUP=resilient
}

probe_stall()
{
	local conf=$TMPDIR_T/vpnecmp.conf mon=$TMPDIR_T/mon.json before downs pid

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	daemon_conf "$conf" \
		"probe t1 icmp 203.0.113.2 interval 100 multiplier 3" \
		"probe t2 icmp 203.0.113.6 interval 100 multiplier 3"
	daemon_start "$conf" || { fail "start"; return; }
	wait_members "1 2" || { fail "both tunnels should be in"; return; }
	# settled: both probes answered since the start
	sleep 1
	before=$(transitions)
	downs=$(probe_downs)
	start_monitor "$mon" path

	# Probes in flight when the daemon stops are answered while it
	# sleeps: the answers wait in the socket buffer and count.
	stall 3 || { fail "SIGSTOP"; return; }
	sleep 1
	stall 15
	sleep 1.5
	expect_eq "$(transitions)" "$before" "path transitions across stalls of 3 s and 15 s"
	expect_eq "$(probe_downs)" "$downs" "probe-down lines across the stalls"
	stop_monitor
	expect_eq "$(jq -s 'length' "$mon")" 0 "path events across the stalls"
	expect_eq "$(members)" "1 2" "group after the stalls"

	# The probes still work after the stalls: a real loss is seen.
	esp_drop 1 on || { fail "tc drop"; return; }
	wait_members "2" || fail "t1 not pulled by its probe after the stalls"
	esp_drop 1 off
	wait_members "1 2" || fail "t1 did not return"

	# SIGTERM queued while stopped is handled right after SIGCONT.  The
	# bound is loose (5 s for "within a second"): no timing in pass/fail.
	pid=$DAEMON_PID
	kill -STOP "$pid"
	sleep 2
	kill -CONT "$pid"
	kill -TERM "$pid"
	busywait 5000 sh -c "! kill -0 $pid 2>/dev/null" ||
		fail "the daemon did not stop within 5 s of SIGTERM after a stall"
	daemon_stop
	expect_eq "$DAEMON_RC" 0 "exit status after SIGTERM"
	grep -q "stopping" "$DAEMON_LOG" || fail "no 'stopping' line in the log"
}

# A responder namespace with N veth links to the gateway: pN in the
# gateway (10.64.N.1/30 for N < 64, then 10.65...), rN in RESP; nexthop N+10000
# over pN; group 2000 over all of them.  The kernel answers the pings.
many_setup()
{
	local n=$1 i a b

	RESP=vx-resp-$$
	ip netns add "$RESP" || return 1
	{
		for i in $(seq 1 "$n"); do
			echo "link add p$i netns $CGW type veth peer name r$i netns $RESP"
		done
	} | ip -batch - || return 1
	# the far ends first: a nexthop needs the carrier
	{
		echo "link set lo up"
		for i in $(seq 1 "$n"); do
			a=$((i / 64)); b=$((i % 64 * 4))
			echo "addr add 10.$((64 + a)).0.$((b + 2))/30 dev r$i"
			echo "link set r$i up"
		done
	} | ip -n "$RESP" -batch - || return 1
	{
		for i in $(seq 1 "$n"); do
			a=$((i / 64)); b=$((i % 64 * 4))
			echo "addr add 10.$((64 + a)).0.$((b + 1))/30 dev p$i"
			echo "link set p$i up"
			echo "nexthop add id $((10000 + i)) dev p$i"
		done
		printf 'nexthop add id 2000 group %s\n' "$(seq -s / 10001 $((10000 + n)))"
	} | ip -n "$CGW" -batch - || return 1
}

# many_conf FILE N INTERVAL MULT: group m, paths pN probed through pN
many_conf()
{
	local f=$1 n=$2 iv=$3 mult=$4 i a b

	{
		echo "group m nhid 2000 hold-up 0"
		for i in $(seq 1 "$n"); do
			a=$((i / 64)); b=$((i % 64 * 4))
			echo "path p$i group m dev p$i nhid $((10000 + i)) local 192.0.2.1 remote 198.18.$a.$((i % 64 + 1)) mark $((100 + i)) signals probe"
			echo "probe p$i icmp 10.$((64 + a)).0.$((b + 2)) interval $iv multiplier $mult"
		done
	} > "$f"
}

# count_state STATE: how many paths of group m are in STATE
count_state()
{
	vx -j path show | jq "[.[] | select(.group == \"m\" and .state == \"$1\")] | length"
}

probe_64_paths()
{
	local conf=$TMPDIR_T/vpnecmp.conf n=64 victim=40 before after

	many_setup "$n" || { fail "responder setup"; return; }
	many_conf "$conf" "$n" 100 3
	daemon_start "$conf" || { fail "start"; return; }
	# Every probe is read: all 64 paths up, through their probes.
	busywait 30000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show | jq '[.[] | select(.group == \"m\" and .state == \"up\")] | length')\" = $n ]" ||
		fail "paths up: $(count_state up) of $n"
	grep -q "probe down" "$DAEMON_LOG" &&
		ktap_print_msg "note: $(grep -c 'probe down' "$DAEMON_LOG") probe-down line(s) before the fault"
	sleep 1
	before=$(transitions | jq -c "del(.p$victim)")

	# p40's responder drops its answers (a blackhole behind the tunnel)
	ip -n "$RESP" route add blackhole "10.64.0.$((victim % 64 * 4 + 1))/32" ||
		{ fail "blackhole"; return; }
	wait_state "p$victim" down || fail "p$victim not pulled by its probe"
	expect_eq "$(path_field "p$victim" reason)" probe "reason of p$victim"
	sleep 1
	after=$(transitions | jq -c "del(.p$victim)")
	expect_eq "$after" "$before" "transitions of the 63 other paths"
	expect_eq "$(count_state up)" $((n - 1)) "paths up with one blackholed"
	grep -q "path p$victim: probe down" "$DAEMON_LOG" || fail "no probe-down line for p$victim"

	ip -n "$RESP" route del blackhole "10.64.0.$((victim % 64 * 4 + 1))/32"
	wait_state "p$victim" up || fail "p$victim did not return"
}

# shellcheck disable=SC2034 # read by topo.sh
device_recreate_env()
{
	TOPO_GROUP=resilient
}

device_recreate()
{
	local conf=$TMPDIR_T/vpnecmp.conf t2_before

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	daemon_conf "$conf" "probe t1 icmp 203.0.113.2" "probe t2 icmp 203.0.113.6"
	daemon_start "$conf" || { fail "start"; return; }
	wait_members "1 2" || { fail "both tunnels should be in"; return; }
	t2_before=$(vx -j -s path show t2 | jq '.[0].stats.transitions')

	# ifdown/ifup of a tunnel as a network manager does it: deleted, then
	# created again (another ifindex), and its nexthop added again.
	ip -n "$CGW" link del t1 || { fail "link del"; return; }
	wait_members "2" || fail "t1 still in the group without its device"
	daemon_wait_log "path t1: probe down (device t1 is gone)" ||
		fail "the log does not say the probe is down because t1 is gone"
	sleep 0.5
	ip -n "$CGW" -batch - <<-EOF || { fail "re-creating t1"; return; }
	link add t1 type vti local $(tun_local 1) remote $(tun_remote 1) key 1
	link set t1 up
	addr add 203.0.113.1/30 dev t1
	EOF
	ip netns exec "$CGW" sh -c 'echo 1 > /proc/sys/net/ipv4/conf/t1/disable_policy'
	ip -n "$CGW" nexthop add id 1 dev t1 || { fail "nexthop add"; return; }

	# No SIGHUP: the daemon follows the device by itself.
	wait_members "1 2" || fail "t1 did not return after its device was re-created"
	wait_state t1 up || fail "t1 not up"
	expect_eq "$(path_field t1 dev)" t1 "t1's device in the module (the new ifindex)"
	grep -q "probe up" "$DAEMON_LOG" || fail "no 'probe up' line after the device came back"
	expect_eq "$(vx -j -s path show t2 | jq '.[0].stats.transitions')" "$t2_before" \
		"t2's transitions while t1 was re-created"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon died"
	grep -q "reloading" "$DAEMON_LOG" && fail "a reload happened"
	return 0
}

run_tests "$ALL_TESTS"
