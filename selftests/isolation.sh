#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Namespace isolation and user namespaces.
#
# Two namespaces A and B with the same devices, nexthop ids (1, 2, group
# 100) and the same path definition (same endpoints and SA mark):
#   - an SA added, deleted or flushed in B never changes a path of A;
#   - vpnecmp in A never touches nexthop group 100 of B, managed or not.
# User namespaces (the decision documented in Documentation/vpnecmp.rst,
# "Privileges"): the root of a user namespace that owns a network namespace
# may configure vpnecmp there, as it may configure nexthops and SAs there;
# the same process is refused (EPERM) in a namespace it does not own, and
# can change nothing there.
#
# A failure means one tenant or container could see or steer the tunnels
# of another, or that vpnecmp's kernel socket acts outside its namespace.
#
# timeout: 300

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
set -u

ktap_print_header
require_root
require_cmd ip jq unshare setpriv
require_cli
require_module

trap cleanup_all_ns EXIT

AEAD="aead rfc4106(gcm(aes)) 0x0123456789abcdef0123456789abcdef01234567 128"

topo_lines()
{
	cat <<-EOF
	link add d1 type dummy
	link add d2 type dummy
	link set d1 up
	link set d2 up
	nexthop add id 1 dev d1
	nexthop add id 2 dev d2
	nexthop add id 100 group 1/2
	EOF
}

sa_cmd()
{
	echo "xfrm state $1 src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x$2 mark 1" \
		"${3:+mode tunnel $AEAD}"
}

vxn() { local ns=$1; shift; "$VPNECMP" -n "$ns" "$@"; }

configure()
{
	vxn "$1" group add g nhid 100 hold-up 0 &&
		vxn "$1" path add p1 group g dev d1 nhid 1 local 10.0.0.1 \
			remote 10.0.0.2 mark 1 &&
		vxn "$1" path add p2 group g dev d2 nhid 2 local 10.0.0.5 \
			remote 10.0.0.6 mark 2 signals admin
}

kmembers()
{
	ip -n "$1" -j nexthop show id 100 |
		jq -r '[.[0].group[].id] | sort | map(tostring) | join(" ")'
}

pstate()
{
	vxn "$1" -j path show "$2" | jq -r '.[0].state'
}

setup_ns A B || ktap_skip_all "cannot create namespaces"
for ns in "$A" "$B"; do
	topo_lines | ip -n "$ns" -batch - || ktap_skip_all "cannot set up $ns"
done
configure "$A" || ktap_skip_all "cannot configure vpnecmp"

ktap_set_plan 8

# 1. B unmanaged: A's changes never reach B's group 100.
RET=0
busywait 5000 sh -c "[ \"\$(\"$VPNECMP\" -n $A -j path show p1 | jq -r '.[0].state')\" = down ]"
check_err $? "p1 in A not down without an SA"
busywait 5000 sh -c "[ \"\$(ip -n $A -j nexthop show id 100 | jq -r '[.[0].group[].id] | join(\" \")')\" = 2 ]"
check_err $? "A's group 100 not {2}: $(kmembers "$A")"
[ "$(kmembers "$B")" = "1 2" ]
check_err $? "B's unmanaged group 100 changed: $(kmembers "$B")"
log_test "vpnecmp in A changes A's nexthop group 100, not B's"

# 2. An SA in B only: A's p1 stays down.
RET=0
sa_cmd add 101 1 | ip -n "$B" -batch -
sleep 1
[ "$(pstate "$A" p1)" = down ]
check_err $? "A's p1 reacted to an SA in B: $(pstate "$A" p1)"
[ "$(vxn "$A" -j path show p1 | jq -r '.[0].stats.sa_count')" = 0 ]
check_err $? "A's p1 tracks an SA of B"
log_test "an SA added in B does not bring up A's path"

# 3. The same SA in A: p1 up; then B's SA deleted and B flushed: A keeps it.
RET=0
sa_cmd add 101 1 | ip -n "$A" -batch -
busywait 5000 sh -c "[ \"\$(\"$VPNECMP\" -n $A -j path show p1 | jq -r '.[0].state')\" = up ]"
check_err $? "A's p1 not up with its own SA"
sa_cmd delete 101 | ip -n "$B" -batch -
sa_cmd add 102 1 | ip -n "$B" -batch -
ip -n "$B" xfrm state flush
sleep 1
[ "$(pstate "$A" p1)" = up ]
check_err $? "A's p1 went $(pstate "$A" p1) on B's SA delete/flush"
[ "$(kmembers "$A")" = "1 2" ]
check_err $? "A's group lost p1: $(kmembers "$A")"
log_test "an SA deleted or flushed in B does not take down A's path"

# 4. Both managed: a signal in A changes A only.
RET=0
configure "$B"
check_err $? "configure B"
busywait 5000 sh -c "[ \"\$(ip -n $B -j nexthop show id 100 | jq -r '[.[0].group[].id] | join(\" \")')\" = 2 ]"
check_err $? "B's group not {2} (p1 has no SA in B): $(kmembers "$B")"
vxn "$A" event p2 admin down
busywait 5000 sh -c "[ \"\$(ip -n $A -j nexthop show id 100 | jq -r '[.[0].group[].id] | join(\" \")')\" = 1 ]"
check_err $? "A's group not {1} after p2 admin down: $(kmembers "$A")"
[ "$(kmembers "$B")" = 2 ] && [ "$(pstate "$B" p2)" = up ]
check_err $? "B changed on A's event: group $(kmembers "$B"), p2 $(pstate "$B" p2)"
log_test "two managed namespaces with the same nexthop ids stay apart"

# 5-8. User namespaces.
userns_ok=1
unshare -Urn true 2>/dev/null || userns_ok=0
if [ $userns_ok = 0 ]; then
	for t in "userns root configures its own netns" \
		 "userns root: its replace reaches its own kernel group" \
		 "userns root refused in a netns it does not own" \
		 "nothing changed in the netns it does not own"; do
		ktap_test_skip "$t" "no user namespaces"
	done
	ktap_finished
fi

before=$(vxn "$A" -j group show; vxn "$A" -j path show |
	 jq -c 'map(del(.stats.time_in_state_ms))'; kmembers "$A")

# An unprivileged user (nobody) creates a user namespace with a network
# namespace of its own: there it is root, and vpnecmp works for it.
prog="
	set -e
	ip link set lo up
	$(topo_lines | sed 's/^/ip /')
	$VPNECMP group add g nhid 100 hold-up 0
	$VPNECMP path add p1 group g dev d1 nhid 1 local 10.0.0.1 remote 10.0.0.2 mark 1 signals admin
	$VPNECMP path add p2 group g dev d2 nhid 2 local 10.0.0.5 remote 10.0.0.6 mark 2 signals admin
	$VPNECMP event p1 admin down
	for i in \$(seq 50); do
		[ \"\$(ip -j nexthop show id 100 | jq -r '[.[0].group[].id] | join(\" \")')\" = 2 ] && break
		sleep 0.1
	done
	echo members \$(ip -j nexthop show id 100 | jq -r '[.[0].group[].id] | join(\" \")')
	$VPNECMP -j group show g | jq -r '.[0].state'
"
out=$(timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups -- \
	unshare -Urn bash -c "$prog" 2>&1)
rc=$?
ktap_print_msg "$out"
RET=0
[ $rc = 0 ]
check_err $? "configuration in its own netns failed ($rc)"
log_test "userns root configures its own netns"
RET=0
grep -q "^members 2$" <<<"$out" && grep -q "^active$" <<<"$out"
check_err $? "group not {2}/active in the userns' netns"
log_test "userns root: its replace reaches its own kernel group"

# The same kind of process, in A (owned by the initial user namespace).
RET=0
for cmd in "group add g2 nhid 100" "group set g hold-up 5" "group del g" \
	   "path set p1 weight 3" "path del p2" "event p2 admin up" \
	   "group show" "path show p1" "version"; do
	# shellcheck disable=SC2086
	out=$(timeout 30 ip netns exec "$A" setpriv --reuid=65534 --regid=65534 \
		--clear-groups -- unshare -Ur "$VPNECMP" $cmd 2>&1)
	rc=$?
	[ $rc = 1 ] && [[ $out == *"Operation not permitted"* ]]
	check_err $? "$cmd: exit $rc: $out"
done
log_test "userns root refused in a netns it does not own (reads included)"

after=$(vxn "$A" -j group show; vxn "$A" -j path show |
	jq -c 'map(del(.stats.time_in_state_ms))'; kmembers "$A")
check_eq "nothing changed in the netns it does not own" "$before" "$after"

ktap_finished
