#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "vpnecmp stats" against live state on the two-tunnel gateway (topo.sh):
# the JSON snapshot agrees with "path show" and "version", and the
# Prometheus export (stats prometheus) is valid text exposition format
# (prom_check.py, strict) whose values follow a failover, an all-down and a
# group error.
#
# A failure means the monitoring an operator alerts on is wrong: a dead
# tunnel still exported as up, an all-down group not flagged, a failed
# replace invisible, counters that disagree with "path show", or a file
# node_exporter's textfile collector rejects (then every metric of the
# node is lost, not only ours).
#
# timeout: 480

ALL_TESTS="
	stats_json
	prometheus_live
	prometheus_failover
	prometheus_group_error
	filters_and_labels
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"

PROM_CHECK=$(dirname "$0")/prom_check.py

setup_two_up()
{
	sa_add 1 && sa_add 2 && vpnecmp_std_paths "$1" hold-up 100 &&
		wait_state t1 up && wait_state t2 up && wait_members "1 2"
}

# prom QUERY...: scrape once into $TMPDIR_T/prom, fail the case on a format
# error, print the values of the QUERYs on one line (see prom_check.py; the
# netns label that "-n" adds is implied).  One scrape per step: under
# emulation every python3 start costs seconds.
prom()
{
	local out=$TMPDIR_T/prom err

	vx stats prometheus >"$out" || { fail "stats prometheus failed"; return 1; }
	if ! err=$(python3 "$PROM_CHECK" -l netns="$CGW" "$out" "$@" 2>&1 >"$TMPDIR_T/values"); then
		fail "exposition format: $err"
	fi
	tr '\n' ' ' <"$TMPDIR_T/values"
}

stats_json()
{
	local j v

	setup_two_up "" || { fail "setup"; return; }
	send_flows 16 4
	j=$(vx -j stats) || { fail "stats -j failed"; return; }

	v=$(vx -j version | jq -r '.version')
	expect_eq "$(jq -r '.version' <<<"$j")" "$v" "version"
	expect_eq "$(jq -c '[.info.groups, .info.paths]' <<<"$j")" "[1,2]" "info groups, paths"
	expect_eq "$(jq -c '.groups[] | [.name, .state, .all_down, .paths, .paths_up, .members, .error]' <<<"$j")" \
		'["g","active",false,2,2,2,0]' "group g"
	for p in t1 t2; do
		expect_eq "$(jq -c ".paths[] | select(.name == \"$p\") | [.group, .state, .member, .sa_count]" <<<"$j")" \
			'["g","up",true,1]' "path $p"
		# the same counters as "path show" (no traffic in between)
		expect_eq "$(jq -c ".paths[] | select(.name == \"$p\") | [.transitions, .packets, .bytes, .sa_adds, .sa_dels]" <<<"$j")" \
			"$(vx -j path show "$p" | jq -c '.[0].stats | [.transitions, .packets, .bytes, .sa_adds, .sa_dels]')" \
			"path $p counters against path show"
	done
	[ "$(jq '[.paths[].packets] | add' <<<"$j")" -gt 0 ] ||
		fail "no packets counted after 64 packets were sent"
	v=$(vx stats) || fail "text stats failed"
	[[ $v == *"group g state active"*"path t1 group g state up"* ]] ||
		fail "text output: $v"
}

prometheus_live()
{
	local j vals

	setup_two_up "" || { fail "setup"; return; }
	send_flows 16 4
	j=$(vx -j stats)
	vals=$(prom "vpnecmp_info{version=\"$(jq -r .version <<<"$j")\"}" \
		'vpnecmp_path_up{group="g",path="t1"}' \
		'vpnecmp_path_up{group="g",path="t2"}' \
		'vpnecmp_path_state{group="g",path="t1",state="up"}' \
		'vpnecmp_path_state{group="g",path="t1",state="down"}' \
		'vpnecmp_path_member{group="g",path="t1"}' \
		'vpnecmp_path_signal_up{group="g",path="t1",signal="sa"}' \
		'vpnecmp_path_signal_up{group="g",path="t1",signal="admin"}' \
		'vpnecmp_path_sa_count{group="g",path="t1"}' \
		'vpnecmp_group_state{group="g",state="active"}' \
		'vpnecmp_group_state{group="g",state="all-down"}' \
		'vpnecmp_group_all_down{group="g"}' \
		'vpnecmp_group_paths_up{group="g"}' \
		'vpnecmp_group_members{group="g"}' \
		'vpnecmp_group_last_replace_error{group="g"}' \
		'vpnecmp_group_last_replace_error_info{group="g",message=""}' \
		'vpnecmp_path_sa_packets{group="g",path="t1"}' \
		'vpnecmp_path_transitions_total{group="g",path="t1"}' \
		'vpnecmp_path_sa_packets{group="g",path="t2"}' \
		'vpnecmp_path_transitions_total{group="g",path="t2"}' \
		'vpnecmp_xfrm_sa_matched_total')
	# the last five: packets and transitions of t1 and t2, SA matches
	expect_eq "$vals" "1 1 1 1 0 1 1 1 1 1 0 0 2 2 0 absent $(jq -r '[(.paths[] | .packets, .transitions), .info.sa_matched] | map(tostring) | join(" ")' <<<"$j") " \
		"live values, counters as in -j stats"
	# what an operator's scrape looks like, for the record
	ktap_print_msg "$(cat "$TMPDIR_T/prom")"
	ktap_print_msg "$(vx stats)"
}

prometheus_failover()
{
	local before vals tr dels

	setup_two_up "all-down fallback 99" || { fail "setup"; return; }
	before=$(prom 'vpnecmp_path_transitions_total{group="g",path="t1"}' \
		'vpnecmp_path_sa_dels_total{group="g",path="t1"}')
	read -r tr dels <<<"$before"

	sa_del_out 1
	wait_members "2" || fail "t1 not pulled: $(members)"
	vals=$(prom 'vpnecmp_path_up{group="g",path="t1"}' \
		'vpnecmp_path_state{group="g",path="t1",state="down"}' \
		'vpnecmp_path_reason{group="g",path="t1",reason="sa"}' \
		'vpnecmp_path_signal_up{group="g",path="t1",signal="sa"}' \
		'vpnecmp_path_sa_count{group="g",path="t1"}' \
		'vpnecmp_path_member{group="g",path="t1"}' \
		'vpnecmp_path_up{group="g",path="t2"}' \
		'vpnecmp_group_paths_up{group="g"}' \
		'vpnecmp_group_all_down{group="g"}' \
		'vpnecmp_path_transitions_total{group="g",path="t1"}' \
		'vpnecmp_path_sa_dels_total{group="g",path="t1"}')
	expect_eq "$vals" "0 1 1 0 0 0 1 1 0 $((tr + 1)) $((dels + 1)) " \
		"after t1's SA is deleted (last two: transitions, SA deletions)"

	sa_del_out 2
	wait_members "99" || fail "fallback not in: $(members)"
	vals=$(prom 'vpnecmp_group_all_down{group="g"}' \
		'vpnecmp_group_state{group="g",state="all-down"}' \
		'vpnecmp_group_state{group="g",state="active"}' \
		'vpnecmp_group_paths_up{group="g"}' \
		'vpnecmp_group_members{group="g"}')
	expect_eq "$vals" "1 1 0 0 1 " "all down, fallback nexthop in"
}

prometheus_group_error()
{
	local vals msg fails

	setup_two_up "" || { fail "setup"; return; }
	# The operator deletes the kernel group: the next replace cannot work.
	ip -n "$CGW" nexthop del id 100
	sa_del_out 1
	busywait 10000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j group show g | jq -r '.[0].state')\" = error ]" ||
		fail "group not in error after its nexthop group was deleted"
	# The kernel's own words (its extack), whatever this kernel says.
	msg=$(vx -j stats | jq -r '.groups[0].error_msg')
	[ -n "$msg" ] && [ "$msg" != null ] || fail "no kernel message for the refused replace"
	expect_eq "$(vx -j stats | jq -c '.groups[0] | [.state, .error]')" '["error",-2]' "JSON error"
	vals=$(prom 'vpnecmp_group_state{group="g",state="error"}' \
		'vpnecmp_group_last_replace_error{group="g"}' \
		"vpnecmp_group_last_replace_error_info{group=\"g\",message=\"$msg\"}")
	expect_eq "$vals" "1 -2 1 " "error state, errno, message"
	# one failure per change the module tried to apply: at least the SA's
	fails=$(prom 'vpnecmp_group_replace_failures_total{group="g"}')
	[ "${fails% }" -ge 1 ] 2>/dev/null || fail "replace failures: got '$fails', want >= 1"
}

filters_and_labels()
{
	local out rc

	setup_two_up "" || { fail "setup"; return; }
	# A second, empty group with every kind of character a name may hold;
	# a name that would need escaping in a label value is refused.
	ip -n "$CGW" nexthop add id 101 group 1/2 || { fail "nexthop 101"; return; }
	vx group add 'h"x\y' nhid 101 2>/dev/null && fail "a group name with a quote was accepted"
	vx group add H.x-y_9 nhid 101 || { fail "group H.x-y_9"; return; }

	expect_eq "$(prom 'vpnecmp_group_paths{group="H.x-y_9"}' 'vpnecmp_group_paths{group="g"}')" \
		"0 2 " "label values"
	expect_eq "$(vx -j stats group g | jq -c '[[.groups[].name], [.paths[].name]]')" \
		'[["g"],["t1","t2"]]' "group g only"
	expect_eq "$(vx -j stats group H.x-y_9 | jq -c '[[.groups[].name], .paths]')" \
		'[["H.x-y_9"],[]]' "the empty group only"

	out=$(vx stats prometheus)
	grep -v '^#' <<<"$out" | grep -vq "netns=\"$CGW\"" &&
		fail "a sample without netns=\"$CGW\": $(grep -v '^#' <<<"$out" | grep -v netns= | head -n 1)"

	out=$(vx stats group nosuch 2>&1); rc=$?
	expect_eq "$rc" 1 "exit status for a missing group ($out)"
	out=$(vx -j stats prometheus 2>&1); rc=$?
	expect_eq "$rc" 2 "exit status for -j with prometheus ($out)"
	# The 0.1 spelling stays for the scripts written against it.
	expect_eq "$(vx stats --prometheus | grep -c '^vpnecmp_')" \
		"$(vx stats prometheus | grep -c '^vpnecmp_')" "--prometheus is prometheus"
	out=$(vx stats --prom 2>&1); rc=$?
	expect_eq "$rc" 2 "exit status for an abbreviation ($out)"
}

run_tests "$ALL_TESTS"
