#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Things deleted under vpnecmp: a tunnel device, a path's nexthop, the
# kernel group itself, a whole namespace with live state, and the module
# while it is busy.  The group must keep forwarding over what is left, the
# path must say why it is down, vpnecmp must recover when the object
# returns, and teardown must leave no work, timer or reference behind (the
# VM runner fails the test on any kernel splat and on a module that does
# not unload).  If this fails, routine operator actions could crash the
# gateway or leave it forwarding into nothing.
#
# timeout: 300

ALL_TESTS="
	device_deleted
	nexthop_deleted
	group_deleted
	netns_deleted_live
	rmmod_live
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"


wait_field()
{
	busywait 10000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show $1 | jq -r '.[0].$2')\" = \"$3\" ]"
}

setup_two_up()
{
	sa_add 1 && sa_add 2 && vpnecmp_std_paths "" hold-up 200 &&
		wait_members "1 2"
}

device_deleted()
{
	setup_two_up || { fail "setup"; return; }
	ip -n "$CGW" link del t1
	wait_field t1 state down || fail "t1 not down after its device was deleted"
	expect_eq "$(path_field t1 reason)" device "t1 reason"
	wait_members "2" || fail "group lost tunnel 2: $(members)"
	expect_eq "$(vx -j group show g | jq -r '.[0].state')" active "group state"

	# The operator re-creates the tunnel and its nexthop.
	ip -n "$CGW" -batch - <<-EOF
	$(tunnel_lines 1 cgw | grep -v -e 'addr add 192' -e 'link set u1')
	nexthop add id 1 dev t1
	EOF
	wait_members "1 2" || fail "t1 not back after its device returned: $(members)"
}

nexthop_deleted()
{
	setup_two_up || { fail "setup"; return; }
	ip -n "$CGW" nexthop del id 1
	wait_field t1 state down || fail "t1 not down after its nexthop was deleted"
	expect_eq "$(path_field t1 reason)" nexthop "t1 reason"
	expect_eq "$(members)" "2" "kernel group after the member was deleted"
	# a later change must not try to put the missing nexthop back
	vx event t2 dpd up
	sleep 0.5
	expect_eq "$(vx -j group show g | jq -r '.[0].error')" 0 "no failed replace"
	ip -n "$CGW" nexthop add id 1 dev t1
	wait_members "1 2" || fail "t1 not back after its nexthop returned: $(members)"
}

group_deleted()
{
	setup_two_up || { fail "setup"; return; }
	ip -n "$CGW" nexthop del id 100
	sa_del_out 1
	busywait 10000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j group show g | jq -r '.[0].state')\" = error ]" ||
		fail "group not in error after its kernel group was deleted"
	expect_eq "$(vx -j group show g | jq -r '.[0].error_msg')" \
		"Replace specified without create and no entry exists" "group error message"
	# The operator re-creates it: vpnecmp applies the current membership.
	ip -n "$CGW" nexthop add id 100 group 1/2
	wait_members "2" || fail "re-created group not reconciled: $(members)"
	expect_eq "$(vx -j group show g | jq -r '.[0].state')" active "group state"
}

netns_deleted_live()
{
	local ns

	setup_two_up || { fail "setup"; return; }
	start_monitor /dev/null
	stop_monitor
	# An SA timer still armed when the namespace goes.
	ip -n "$CGW" -batch - <<-EOF
	$(sa_line 1 out "$(spi_of 1 out 2)" limit time-hard 1)
	EOF
	ns=$CGW
	ip netns del "$ns"
	CGW=
	sleep 2
	# Other namespaces still work.
	"$VPNECMP" -n "$AWS" version > /dev/null || fail "module unusable after netns exit"
	grep -q vpnecmp /proc/modules || fail "module gone"
}

rmmod_live()
{
	setup_two_up || { fail "setup"; return; }
	start_monitor "$TMPDIR_T/mon"
	sa_del_out 1
	wait_members "2" || fail "t1 not pulled"
	rmmod vpnecmp || fail "rmmod with live state failed"
	grep -q '^vpnecmp ' /proc/modules && fail "module still loaded"
	# The kernel group stays as last applied, and the routes with it.
	expect_eq "$(members)" "2" "kernel group after rmmod"
	ip -n "$CGW" route show 203.0.113.128/25 | grep -q "nhid 100" ||
		fail "route lost"
	stop_monitor
	insmod "$VPNECMP_KO" || fail "reload failed"
	expect_eq "$(vx -j group show | jq length)" 0 "no state survives a reload"
}

run_tests "$ALL_TESTS"
