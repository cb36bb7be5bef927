#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Large objects: a group of 256 members (the most a group may have) and
# 1000 paths, read back through a reader with a 4 KiB buffer (libmnl's
# default).  genl_scale.py, in raw netlink, checks that the GET of the big
# group, the group and path dumps and the group notifications all carry
# every object and every member, that the path dump filtered by group
# returns that group's paths only, and that the kernel sends a datagram
# larger than the reader's buffer only for a single object that cannot be
# smaller.  Then the CLI (libnl) shows the big group and its members.
#
# Topology: one netns, dummy d0 (192.0.2.1/24), nexthops 1..256 over d0,
# kernel groups 1001..1004 (each created with member 1; vpnecmp replaces
# the membership).  Paths have only the admin signal and no hold-up, so
# they become members without SAs.
#
# A failure means a message is sized too small for its object (GET fails
# with EMSGSIZE, a notification is dropped), or a dump stops early or skips
# objects when they do not fit one skb: monitoring and the daemon would see
# a partial configuration without an error.  A soak with many more objects
# would only repeat the same code paths: the limits are 256 paths per group.
#
# timeout: 600

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
set -u

ktap_print_header
require_root
require_cmd ip jq python3
require_cli
require_module

cleanup() {
	cleanup_all_ns
}
trap cleanup EXIT

setup_ns NS || ktap_skip_all "cannot create a netns"
{
	echo "link add d0 type dummy"
	echo "link set d0 up"
	echo "address add 192.0.2.1/24 dev d0"
	for i in $(seq 256); do
		echo "nexthop add id $i dev d0"
	done
	for g in 1001 1002 1003 1004; do
		echo "nexthop add id $g group 1"
	done
} | ip -n "$NS" -batch - || ktap_skip_all "cannot set up the nexthops"

n=$(python3 "$SELFTESTS_DIR/genl_scale.py" --count)
ktap_set_plan $((n + 2))

out=$(cd "$SELFTESTS_DIR" && ip netns exec "$NS" python3 genl_scale.py 2>&1)
while IFS= read -r line; do
	case $line in
	"ok	"*) ktap_test_pass "${line#ok	}" ;;
	"not ok	"*) ktap_test_fail "${line#not ok	}" ;;
	*) ktap_print_msg "$line" ;;
	esac
done <<<"$out"

RET=0
out=$("$VPNECMP" -n "$NS" -j group show big 2>&1)
check_err $? "vpnecmp group show big: $out"
[ "$(jq '.[0].members | length' <<<"$out" 2>&1)" = 256 ]
check_err $? "not 256 members: $(head -c 300 <<<"$out")"
log_test "cli: group show big lists its 256 members"

RET=0
out=$("$VPNECMP" -n "$NS" -j path show 2>&1)
check_err $? "vpnecmp path show: $(head -c 300 <<<"$out")"
[ "$(jq 'length' <<<"$out" 2>&1)" = 1000 ]
check_err $? "not 1000 paths"
log_test "cli: path show lists 1000 paths"

ktap_finished
