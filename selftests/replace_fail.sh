#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# When the kernel refuses vpnecmp's own group replace.  The operator can
# delete the kernel group or re-create it with another type; vpnecmp's next
# replace is then refused by the nexthop code.  (A member nexthop turned
# into one no group may hold is not sent at all: reconcile.sh,
# member_invalid.)  The group must show state "error" with the kernel's
# errno and extack text, a GROUP_NTF event must carry both, nothing may
# retry on its own (the work runs once per change: its run and replace
# counters stay still while nothing changes), the next change must retry
# exactly once, and the repair by the operator must be picked up.
#
# If this fails, a refused replace is either invisible (the operator does
# not learn why traffic still uses a dead tunnel), or the apply work spins
# on it and eats a CPU of the gateway.
#
# timeout: 600

ALL_TESTS="
	group_deleted
	group_type_changed
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"

# work_counters: "WORK_RUNS REPLACE_ATTEMPTS" of the gateway namespace
work_counters()
{
	vx -j version | jq -r '"\(.info.work_runs) \(.info.replace_attempts)"'
}

group_field()
{
	vx -j group show g | jq -r ".[0].$1"
}

wait_group_state()
{
	busywait 10000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j group show g | jq -r '.[0].state')\" = $1 ]"
}

# expect_refused ERRNO TEXT: group g is in error with the kernel's answer,
# and the monitor saw a GROUP_NTF saying so.
expect_refused()
{
	local errno=$1 text=$2

	busywait 10000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j group show g | jq -r '.[0].state, .[0].error' | tr '\n' ' ')\" = 'error $errno ' ]" ||
		fail "group not in error $errno: $(vx -j group show g)"
	expect_eq "$(group_field error_msg)" "$text" "group error message"
	busywait 5000 jq -e --argjson e "$errno" --arg t "$text" -s \
		'any(.[]; .event == "group" and .error == $e and .error_msg == $t)' \
		"$TMPDIR_T/mon" > /dev/null ||
		fail "no GROUP_NTF with error $errno \"$text\": $(cat "$TMPDIR_T/mon")"
}

# expect_quiet: while nothing changes, neither the work nor a replace runs.
expect_quiet()
{
	local before after

	sleep 0.5
	before=$(work_counters)
	sleep 2
	after=$(work_counters)
	expect_eq "$after" "$before" "work runs and replace attempts while idle"
	ktap_print_msg "$CASE: work runs, replace attempts: $after"
}

# retry_once CMD...: CMD is a change that makes the group retry; exactly one
# more replace is sent, and it fails again.
retry_once()
{
	local fails before after

	fails=$(group_field replace_fails)
	before=$(work_counters)
	"$@"
	busywait 5000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j group show g | jq -r '.[0].replace_fails')\" = $((fails + 1)) ]" ||
		fail "change did not retry the replace: $(group_field replace_fails), was $fails"
	sleep 1
	after=$(work_counters)
	expect_eq "$((${after#* } - ${before#* }))" 1 "replaces sent for one change"
	expect_eq "$(group_field replace_fails)" "$((fails + 1))" "failed replaces"
}

setup_two_up()
{
	sa_add 1 && sa_add 2 && vpnecmp_std_paths "" hold-up 200 &&
		wait_members "1 2"
}

group_deleted()
{
	setup_two_up || { fail "setup"; return; }
	start_monitor "$TMPDIR_T/mon" group
	# The deletion makes vpnecmp re-send the group at once: the kernel
	# refuses, and vpnecmp must not re-create the group.
	ip -n "$CGW" nexthop del id 100
	expect_refused -2 "Replace specified without create and no entry exists"
	ip -n "$CGW" nexthop show id 100 > /dev/null 2>&1 &&
		fail "vpnecmp re-created the deleted group"
	expect_eq "$(path_field t2 member)" false "t2 member of a deleted group"
	expect_quiet
	retry_once sa_del_out 1
	expect_quiet
	retry_once vx path set t2 weight 3
	expect_quiet

	# The operator re-creates it: the notifier retries, successfully.
	ip -n "$CGW" nexthop add id 100 group 1/2
	wait_members "2" || fail "re-created group not reconciled: $(members)"
	wait_group_state active || fail "group state $(group_field state)"
	expect_eq "$(group_field error)" 0 "error after the repair"
	expect_eq "$(path_field t2 member)" true "t2 member after the repair"
	expect_quiet
}

group_type_changed()
{
	setup_two_up || { fail "setup"; return; }
	start_monitor "$TMPDIR_T/mon" group
	# Re-created as resilient: vpnecmp's mpath replace must be refused.
	ip -n "$CGW" -batch - <<-EOF
	nexthop del id 100
	nexthop add id 100 group 1/2 type resilient buckets 32
	EOF
	expect_refused -22 "Can not replace a nexthop group with one of a different type."
	expect_eq "$(members)" "1 2" "kernel group untouched by the refused replace"
	expect_quiet
	retry_once sa_del_out 1
	expect_quiet
	ip -n "$CGW" -batch - <<-EOF
	nexthop del id 100
	nexthop add id 100 group 1/2
	EOF
	wait_members "2" || fail "mpath group not reconciled: $(members)"
	wait_group_state active || fail "group state $(group_field state)"
}

run_tests "$ALL_TESTS"
