#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Failover on the two-tunnel gateway (topology in topo.sh): vpnecmp must take
# a tunnel out of the kernel nexthop group as soon as its outbound SA or one
# of its signals is gone, put it back after hold-up, never flap on a rekey,
# and honour tiers, preemption and the all-down policy.  If a case fails,
# the gateway would keep forwarding into a dead tunnel, move flows that
# should stay, or blackhole everything.
#
# timeout: 420

ALL_TESTS="
	ecmp_sa_delete
	resilient_buckets
	rekey_no_flap
	hard_expiry
	flush_all_down
	tiers_preempt
	tiers_no_preempt
	fallback_nexthop
	signals
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"

HOLD=300



setup_two_up()
{
	sa_add 1 && sa_add 2 && vpnecmp_std_paths "$1" hold-up $HOLD &&
		wait_state t1 up && wait_state t2 up && wait_members "1 2"
}

ecmp_sa_delete()
{
	local r1 r2 d1 d2 tr

	setup_two_up "" || { fail "setup"; return; }
	tr=$(path_field t1 stats.transitions)

	send_flows 64
	r1=$(rx_packets "$AWS" t1); r2=$(rx_packets "$AWS" t2)
	[ "$r1" -gt 0 ] && [ "$r2" -gt 0 ] ||
		fail "64 flows did not use both tunnels (t1 $r1, t2 $r2)"

	sa_del_out 1
	wait_members "2" || fail "group still has tunnel 1 after its SA was deleted: $(members)"
	expect_eq "$(path_state t1)" down "t1 state"
	expect_eq "$(path_field t1 reason)" sa "t1 reason"
	expect_eq "$(path_field t1 member)" false "t1 member"
	expect_eq "$(path_state t2)" up "t2 state"

	send_flows 64 2
	d1=$(( $(rx_packets "$AWS" t1) - r1 )); d2=$(( $(rx_packets "$AWS" t2) - r2 ))
	expect_eq "$d1" 0 "packets into dead tunnel 1"
	expect_eq "$d2" 128 "packets of 64 flows x 2 through tunnel 2"

	ip -n "$CGW" -batch - <<-EOF
	$(sa_line 1 out "$(spi_of 1 out 1)")
	EOF
	wait_state t1 up || fail "t1 not back after its SA returned"
	expect_eq "$(path_field t1 reason)" hold-up "t1 came back through hold-up"
	wait_members "1 2" || fail "group not back to both tunnels: $(members)"
	expect_eq "$(path_field t1 stats.transitions)" $((tr + 3)) \
		"t1 transitions up>down>hold>up"
}

resilient_buckets_env()
{
	TOPO_GROUP=resilient
}

resilient_buckets()
{
	local before after all

	setup_two_up "" || { fail "setup"; return; }
	before=$(ip -n "$CGW" -j nexthop bucket show id 100 |
		 jq -c '[.[] | select(.bucket.nhid == 2) | .bucket.index] | sort')
	[ "$before" != "[]" ] || fail "tunnel 2 has no buckets"

	sa_del_out 1
	wait_members "2" || fail "group still has tunnel 1: $(members)"
	after=$(ip -n "$CGW" -j nexthop bucket show id 100 |
		jq -c "[.[] | select(.bucket.index as \$i | $before | index(\$i)) | .bucket.nhid] | unique")
	expect_eq "$after" "[2]" "buckets of tunnel 2 kept their nexthop"
	all=$(ip -n "$CGW" -j nexthop bucket show id 100 | jq -c '[.[].bucket.nhid] | unique')
	expect_eq "$all" "[2]" "all buckets on tunnel 2"
	expect_eq "$(vx -j group show g | jq -r '.[0].type')" resilient "group type"
}

rekey_no_flap()
{
	local mon=$TMPDIR_T/mon tr

	setup_two_up "" || { fail "setup"; return; }
	tr=$(path_field t1 stats.transitions)
	start_monitor "$mon" path

	# make-before-break: the new SA first, then the old one goes
	ip -n "$CGW" -batch - <<-EOF
	$(sa_line 1 out "$(spi_of 1 out 1)")
	EOF
	busywait 5000 sh -c "[ \$(\"$VPNECMP\" -n $CGW -j path show t1 | jq '.[0].stats.sa_count') = 2 ]" ||
		fail "new SA not tracked"
	sa_del_out 1 0
	busywait 5000 sh -c "[ \$(\"$VPNECMP\" -n $CGW -j path show t1 | jq '.[0].stats.sa_dels') -ge 1 ]" ||
		fail "old SA deletion not seen"
	# An event after the rekey proves the monitor saw everything before it.
	vx event t2 admin down
	wait_state t2 down
	stop_monitor

	expect_eq "$(path_state t1)" up "t1 state after rekey"
	expect_eq "$(path_field t1 stats.transitions)" "$tr" "t1 transitions during rekey"
	expect_eq "$(jq -s '[.[] | select(.path == "t1")] | length' "$mon")" 0 "t1 events during rekey"
	expect_eq "$(jq -s '[.[] | select(.path == "t2")] | length' "$mon")" 1 "t2 drain event seen"
}

hard_expiry()
{
	local line

	sa_add 1 && sa_add 2 || { fail "setup"; return; }
	vpnecmp_std_paths "" hold-up $HOLD || { fail "paths"; return; }
	wait_members "1 2" || fail "both tunnels not in group: $(members)"
	expect_eq "$(path_field t1 stats.sa_count)" 1 "SA created before the path was found"
	# Only now the hard limit, so that the expiry cannot come before the
	# path found the SA, however slow the guest: an update re-arms the SA's
	# timer, and the limit counts from the SA's creation.
	line=$(sa_line 1 out "$(spi_of 1 out)" limit time-hard 1)
	ip -n "$CGW" -batch - <<-EOF || fail "cannot set a hard time limit on the SA"
	${line/xfrm state add/xfrm state update}
	EOF
	busywait 15000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show t1 | jq -r '.[0].state')\" = down ]" ||
		fail "t1 not down after hard expiry"
	expect_eq "$(path_field t1 reason)" sa "t1 reason"
	wait_members "2" || fail "group still has tunnel 1: $(members)"
	expect_eq "$(vx -j version | jq '.info.sa_expire')" 1 "hard expiries counted"
}

flush_all_down()
{
	local mon=$TMPDIR_T/mon

	setup_two_up "" || { fail "setup"; return; }
	start_monitor "$mon" group
	ip -n "$CGW" xfrm state flush
	wait_state t1 down || fail "t1 not down after flush"
	wait_state t2 down || fail "t2 not down after flush"
	expect_eq "$(path_field t1 reason)" flush "t1 reason"
	busywait 5000 sh -c "grep -q '\"all_down\": *true' $mon" || fail "no all-down event"
	stop_monitor
	expect_eq "$(vx -j group show g | jq -r '.[0].state')" all-down "group state"
	# keep: the kernel group is never emptied
	expect_eq "$(members)" "1 2" "members kept"
}

tiers_preempt()
{
	sa_add 1 && sa_add 2 || { fail "setup"; return; }
	vpnecmp_std_paths "" hold-up $HOLD || { fail "paths"; return; }
	vx path set t2 tier 1
	wait_members "1" || fail "standby tunnel 2 still in group: $(members)"
	expect_eq "$(vx -j group show g | jq '.[0].active_tier')" 0 "active tier"

	sa_del_out 1
	wait_members "2" || fail "no failover to standby: $(members)"
	ip -n "$CGW" -batch - <<-EOF
	$(sa_line 1 out "$(spi_of 1 out 1)")
	EOF
	wait_state t1 up || fail "t1 not back"
	wait_members "1" || fail "no preemption back to tier 0: $(members)"
}

tiers_no_preempt()
{
	sa_add 1 && sa_add 2 || { fail "setup"; return; }
	vpnecmp_std_paths "preempt off" hold-up $HOLD || { fail "paths"; return; }
	vx path set t2 tier 1
	wait_members "1" || fail "standby tunnel 2 still in group: $(members)"
	sa_del_out 1
	wait_members "2" || fail "no failover to standby: $(members)"
	ip -n "$CGW" -batch - <<-EOF
	$(sa_line 1 out "$(spi_of 1 out 1)")
	EOF
	wait_state t1 up || fail "t1 not back"
	vx event t2 dpd up	# any later event: a run of the work after t1 is up
	sleep 0.5
	expect_eq "$(members)" "2" "without preemption the group stays on tier 1"
	vx event t2 admin down
	wait_members "1" || fail "no failover back to tier 0: $(members)"
}

fallback_nexthop()
{
	local mon=$TMPDIR_T/mon

	setup_two_up "all-down fallback 99" || { fail "setup"; return; }
	expect_eq "$(members)" "1 2" "fallback not used while paths are up"
	start_monitor "$mon" group
	sa_del_out 1
	wait_members "2" || fail "tunnel 1 not removed: $(members)"
	sa_del_out 2
	wait_members "99" || fail "fallback not swapped in: $(members)"
	busywait 5000 sh -c "grep -q '\"all_down\": *true' $mon" || fail "no all-down event"
	stop_monitor
	ip -n "$CGW" -batch - <<-EOF
	$(sa_line 2 out "$(spi_of 2 out 1)")
	EOF
	wait_members "2" || fail "fallback not replaced by the returning tunnel: $(members)"
}

signals()
{
	setup_two_up "" || { fail "setup"; return; }
	vx path set t1 signals sa,dpd,bgp
	vx event t1 dpd down
	wait_members "2" || fail "dpd down did not pull t1: $(members)"
	expect_eq "$(path_field t1 reason)" dpd "t1 reason"
	expect_eq "$(path_field t1 stats.sa_count)" 1 "t1 SA still up"
	vx event t1 dpd up
	wait_state t1 up || fail "t1 not up after dpd up"
	wait_members "1 2" || fail "t1 not back: $(members)"

	vx event t1 bgp down
	wait_members "2" || fail "bgp down did not pull t1: $(members)"
	expect_eq "$(path_field t1 reason)" bgp "t1 reason"
	vx event t1 bgp up
	wait_members "1 2" || fail "t1 not back after bgp up: $(members)"

	# probe is not enabled on t1: recorded, no effect
	vx event t1 probe down
	vx event t2 admin down
	wait_members "1" || fail "admin drain of t2 failed: $(members)"
	expect_eq "$(path_state t1)" up "t1 unaffected by a disabled signal"
	expect_eq "$(path_field t2 reason)" admin "t2 reason"
}

run_tests "$ALL_TESTS"
