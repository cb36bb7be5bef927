#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel nexthop group is reconciled against the kernel, not against
# vpnecmp's own record of it, and teardown leaves the group alone.
#
#   operator_replace      "ip nexthop replace id 100 group 1" behind
#                         vpnecmp's back: the members are put back, once, and
#                         a GROUP_NTF says so (reason "restored").  If this
#                         fails, "group show", "path show" and the events
#                         describe a group that is not the kernel's, and a
#                         live tunnel carries no traffic for ever.
#   operator_replace_res  the same with a resilient group (the kernel reports
#                         its changes as table and bucket events).
#   member_invalid        a path's nexthop became a blackhole (and, later,
#                         moved to the other tunnel's device) while the path
#                         was down: when its SA returns the path stays down
#                         with reason "nexthop-invalid", the group keeps
#                         working and failing over between the healthy paths.
#                         If this fails, one bad member makes every replace
#                         of the group fail and failover stops for all paths.
#   unrelated_burst       1000 nexthops created and deleted in the namespace
#                         (none of them vpnecmp's): 0 replaces of the group,
#                         0 runs of the work.  If this fails, routing churn
#                         (a BGP daemon's nexthops) makes vpnecmp replace
#                         every group, each replace an expedited RCU grace
#                         period under rtnl.
#   teardown_rmmod        rmmod with a live group: no RTM_NEWNEXTHOP for the
#                         group (ip monitor), no vpnecmp event (monitor),
#                         and no call of the kernel's rtm_new_nexthop or of
#                         vpnecmp's notification functions (function trace)
#                         after rmmod began.
#   teardown_netns        the namespace deleted with a live group: no
#                         rtm_new_nexthop and no vpnecmp notification after
#                         the deletion began (function trace).  If either
#                         teardown case fails, the module re-sends groups of
#                         a dying namespace, or multicasts after its family
#                         is gone.
#
# Counts, never times, decide: the kernel's group, the module's counters
# (group replaces, work runs, replace attempts) and the function trace.
#
# timeout: 420

ALL_TESTS="
	operator_replace
	operator_replace_res
	member_invalid
	unrelated_burst
	teardown_rmmod
	teardown_netns
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"

TRACEFS=/sys/kernel/tracing

group_field()
{
	vx -j group show g | jq -r ".[0].$1"
}

# work_counters: "WORK_RUNS REPLACE_ATTEMPTS" of the gateway namespace
work_counters()
{
	vx -j version | jq -r '"\(.info.work_runs) \(.info.replace_attempts)"'
}

setup_two_up()
{
	sa_add 1 && sa_add 2 && vpnecmp_std_paths "$1" hold-up 200 &&
		wait_members "1 2"
}

# settle: wait until the work is idle (its counters stay still for 0.5 s;
# hold-ups here are 200 ms)
settle()
{
	local a b

	b=$(work_counters)
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		sleep 0.5
		a=$(work_counters)
		[ "$a" = "$b" ] && return 0
		b=$a
	done
	return 1
}

operator_restores()
{
	local before

	setup_two_up "$1" || { fail "setup"; return; }
	settle
	before=$(group_field replaces)
	start_monitor "$TMPDIR_T/mon" group
	# Someone else takes tunnel 2 out of the group.
	# shellcheck disable=SC2086
	ip -n "$CGW" nexthop replace id 100 group 1 $2 ||
		{ fail "operator replace"; return; }
	wait_members "1 2" || fail "members not restored: $(members)"
	busywait 5000 jq -e -s 'any(.[]; .event == "group" and .reason == "restored" and
		([.members[].nhid] | sort) == [1, 2])' "$TMPDIR_T/mon" > /dev/null ||
		fail "no GROUP_NTF with reason restored: $(cat "$TMPDIR_T/mon")"
	settle
	# Exactly one replace put it back: vpnecmp's own replace is not
	# mistaken for another change (no loop).
	expect_eq "$(group_field replaces)" "$((before + 1))" "replaces"
	expect_eq "$(group_field state)" active "group state"
	expect_eq "$(path_field t2 member)" true "t2 member"

	# Weights are part of what is restored.
	# shellcheck disable=SC2086
	ip -n "$CGW" nexthop replace id 100 group 1,7/2 $2 ||
		{ fail "operator weight replace"; return; }
	busywait 10000 sh -c "ip -n $CGW -j nexthop show id 100 | jq -e 'all(.[0].group[]; (.weight // 1) == 1)' > /dev/null" ||
		fail "weights not restored: $(ip -n "$CGW" nexthop show id 100)"
	settle
	expect_eq "$(group_field replaces)" "$((before + 2))" "replaces"
}

operator_replace()
{
	operator_restores ""
}

operator_replace_res_env()
{
	# shellcheck disable=SC2034 # read by topo_setup
	TOPO_GROUP=resilient
}

operator_replace_res()
{
	operator_restores "type resilient" "type resilient"
}

member_invalid()
{
	setup_two_up "all-down fallback 99" || { fail "setup"; return; }
	sa_del_out 1
	wait_members "2" || { fail "t1 not pulled: $(members)"; return; }
	# Out of the group, nexthop 1 may become a blackhole.
	ip -n "$CGW" nexthop replace id 1 blackhole || { fail "blackhole"; return; }
	sa_add 1 1
	busywait 10000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show t1 | jq -r '.[0].reason')\" = nexthop-invalid ]" ||
		fail "t1 reason: $(path_field t1 reason)"
	settle
	expect_eq "$(path_state t1)" down "t1 state with a blackhole nexthop"
	expect_eq "$(path_field t1 member)" false "t1 member"
	expect_eq "$(members)" "2" "kernel group"
	expect_eq "$(group_field state)" active "group state"
	expect_eq "$(group_field error)" 0 "group error"
	vx path show t1 | grep -q 'reason nexthop-invalid' ||
		fail "path show does not say why: $(vx path show t1)"

	# Failover between the healthy paths still works.
	sa_del_out 2
	wait_members "99" || fail "no fallback after t2 failed: $(members)"
	sa_add 2 1
	wait_members "2" || fail "t2 not back: $(members)"
	expect_eq "$(group_field error)" 0 "group error after failover"

	# Moved to the other tunnel's device: still not a member.
	ip -n "$CGW" nexthop replace id 1 dev t2 || { fail "move"; return; }
	settle
	expect_eq "$(path_field t1 reason)" nexthop-invalid "t1 reason, moved nexthop"
	expect_eq "$(members)" "2" "kernel group, moved nexthop"

	# Repaired: the path comes back.
	ip -n "$CGW" nexthop replace id 1 dev t1 || { fail "repair"; return; }
	wait_members "1 2" || fail "repaired t1 not added: $(members)"
	expect_eq "$(group_field error)" 0 "group error after the repair"
}

unrelated_burst()
{
	local before after i

	setup_two_up || { fail "setup"; return; }
	settle
	before=$(work_counters)
	{
		for ((i = 1000; i < 1500; i++)); do
			echo "nexthop add id $i blackhole"
		done
		for ((i = 1000; i < 1500; i++)); do
			echo "nexthop del id $i"
		done
	} | ip -n "$CGW" -batch - || { fail "burst"; return; }
	# Other nexthops over the tunnels, and a group of them, come and go.
	ip -n "$CGW" -batch - <<-EOF || { fail "burst 2"; return; }
	nexthop add id 2001 dev t1
	nexthop add id 2002 dev t2
	nexthop add id 2003 group 2001/2002
	nexthop replace id 2003 group 2001
	nexthop del id 2003
	nexthop del id 2001
	nexthop del id 2002
	EOF
	settle
	after=$(work_counters)
	ktap_print_msg "$CASE: work runs, replace attempts before: $before, after: $after"
	expect_eq "${after#* }" "${before#* }" "replace attempts"
	expect_eq "${after% *}" "${before% *}" "work runs"
	expect_eq "$(members)" "1 2" "kernel group"
}

# ftrace_start FUNC...: trace calls of FUNCs (skip the case if impossible)
ftrace_start()
{
	local f

	[ -w "$TRACEFS/set_ftrace_filter" ] ||
		mount -t tracefs nodev "$TRACEFS" 2>/dev/null
	[ -w "$TRACEFS/set_ftrace_filter" ] || return 1
	echo nop > "$TRACEFS/current_tracer"
	# one write: each write searches every function of the kernel
	echo "$*" > "$TRACEFS/set_ftrace_filter" 2>/dev/null || return 1
	for f; do
		# a module's functions are listed as "NAME [MODULE]"
		grep -q -e "^$f\$" -e "^$f " "$TRACEFS/set_ftrace_filter" || return 1
	done
	: > "$TRACEFS/trace"
	echo function > "$TRACEFS/current_tracer" || return 1
	echo 1 > "$TRACEFS/tracing_on"
}

ftrace_stop()
{
	[ -w "$TRACEFS/current_tracer" ] || return 0
	echo nop > "$TRACEFS/current_tracer"
	: > "$TRACEFS/set_ftrace_filter"
}

case_cleanup_hook()
{
	ktap_print_msg "$CASE: ended ${SECONDS}s after the start"
	ftrace_stop
	[ -n "${IPMON_PID:-}" ] && kill "$IPMON_PID" 2>/dev/null
	IPMON_PID=
	module_loaded || insmod "$VPNECMP_KO"
}

# traced_after_marker: trace lines after the marker, without the marker
traced_after_marker()
{
	sed -n '/tracing_mark_write: vpnecmp-teardown/,$p' "$TRACEFS/trace" |
		grep -v -e tracing_mark_write -e '^#'
}

# many_nexthops N: N unrelated nexthops, so that the DEL replay of
# unregister_nexthop_notifier() lasts long enough for a work run queued by
# it to start (it then waits for rtnl and replaces after the replay).
many_nexthops()
{
	local i

	for ((i = 3000; i < 3000 + $1; i++)); do
		echo "nexthop add id $i blackhole"
	done | ip -n "$CGW" -batch -
}

teardown_rmmod()
{
	local n_ip n_mon

	setup_two_up "all-down fallback 99" || { fail "setup"; return; }
	many_nexthops 2000 || { fail "nexthops"; return; }
	ftrace_start rtm_new_nexthop vpnecmp_ntf_group vpnecmp_ntf_path || {
		ktap_print_msg "$CASE: no function tracer: trace not checked"
	}
	ip -n "$CGW" monitor nexthop > "$TMPDIR_T/ipmon" &
	IPMON_PID=$!
	start_monitor "$TMPDIR_T/mon"
	settle
	sleep 0.5
	n_ip=$(grep -c 'id 100 ' "$TMPDIR_T/ipmon")
	n_mon=$(wc -l < "$TMPDIR_T/mon")
	[ -w "$TRACEFS/trace_marker" ] && echo vpnecmp-teardown > "$TRACEFS/trace_marker"
	rmmod vpnecmp || { fail "rmmod"; return; }
	sleep 1
	expect_eq "$(grep -c 'id 100 ' "$TMPDIR_T/ipmon")" "$n_ip" \
		"RTM_NEWNEXTHOP for group 100 after rmmod began"
	expect_eq "$(wc -l < "$TMPDIR_T/mon")" "$n_mon" "vpnecmp events after rmmod began"
	if [ -r "$TRACEFS/trace" ] && grep -q tracing_mark_write "$TRACEFS/trace"; then
		# vpnecmp's own functions show as addresses once it is gone
		expect_eq "$(traced_after_marker | grep -c .)" 0 \
			"replaces and notifications after rmmod began"
		traced_after_marker | head -5 | sed 's/^/# /'
	fi
	expect_eq "$(members)" "1 2" "kernel group after rmmod"
	ftrace_stop
	insmod "$VPNECMP_KO" || fail "reload failed"
}

teardown_netns()
{
	setup_two_up "all-down fallback 99" || { fail "setup"; return; }
	many_nexthops 300 || { fail "nexthops"; return; }
	ftrace_start rtm_new_nexthop vpnecmp_ntf_group vpnecmp_ntf_path \
		vpnecmp_net_exit || {
		ktap_print_msg "$CASE: SKIP: no function tracer"
		ftrace_stop
		return
	}
	settle
	echo vpnecmp-teardown > "$TRACEFS/trace_marker"
	ip netns del "$CGW"
	CGW=
	busywait 20000 grep -q vpnecmp_net_exit "$TRACEFS/trace" ||
		fail "namespace exit not seen"
	sleep 1
	expect_eq "$(traced_after_marker | grep -c -e rtm_new_nexthop -e vpnecmp_ntf_)" 0 \
		"replaces and notifications after the namespace deletion began"
	traced_after_marker | grep -v vpnecmp_net_exit | head -5 | sed 's/^/# /'
	ftrace_stop
}

run_tests "$ALL_TESTS"
