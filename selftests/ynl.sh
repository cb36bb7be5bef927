#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The YNL spec is the truth: the kernel's own YNL client
# (tools/net/ynl/cli.py from linux-source, unpacked by "make ynl" into
# build/ynl) drives the module with Documentation/netlink/specs/vpnecmp.yaml
# alone: version-get, group-new, path-new, the group and path dumps (through
# cli.py's 4000-byte receive buffer), a dump filtered by group, an event
# (a signal set down) and the path and group notifications it causes,
# decoded from the events multicast group.
#
# Topology: one netns, dummies d1 and d2, nexthops 1 (d1) and 2 (d2), kernel
# group 100 = {1, 2}.  Paths carry only the admin signal and no hold-up.
#
# A failure means the spec and the module disagree (an attribute's number,
# type or nesting, an operation, the multicast group): any tool generated
# from the spec would misread the module.  Short by design: each operation
# once; the attribute-by-attribute agreement with the uapi header is
# host/netlink_spec.sh's.
#
# timeout: 240

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
set -u

ktap_print_header
require_root
require_cmd ip jq python3
require_module
YNL=$SRCDIR/build/ynl/tools/net/ynl/cli.py
SPEC=$SRCDIR/Documentation/netlink/specs/vpnecmp.yaml
[ -f "$YNL" ] || ktap_skip_all "no $YNL: linux-source missing, or run make ynl"
python3 -c 'import yaml' 2>/dev/null || ktap_skip_all "python3-yaml not installed"

tmp=$(mktemp -d /tmp/vpnecmp-ynl.XXXXXX)
cleanup() {
	cleanup_all_ns
	rm -rf "$tmp"
}
trap cleanup EXIT

setup_ns NS || ktap_skip_all "cannot create a netns"
ip -n "$NS" -batch - <<-END || ktap_skip_all "cannot set up the nexthops"
	link add d1 type dummy
	link add d2 type dummy
	link set d1 up
	link set d2 up
	nexthop add id 1 dev d1
	nexthop add id 2 dev d2
	nexthop add id 100 group 1/2
END
d1=$(ip -n "$NS" -j link show d1 | jq '.[0].ifindex')
d2=$(ip -n "$NS" -j link show d2 | jq '.[0].ifindex')

ktap_set_plan 7

# Schema validation is host/netlink_spec.sh's: here the spec alone.
ynl() {
	ip netns exec "$NS" python3 "$YNL" --spec "$SPEC" --no-schema \
		--output-json "$@"
}

# ynl_ok DESC JQ-FILTER ARGS...: cli.py succeeds and its JSON output
# satisfies JQ-FILTER.
ynl_ok() {
	local desc=$1 filter=$2 out
	shift 2
	RET=0
	out=$(ynl "$@" 2>"$tmp/err")
	check_err $? "cli.py $*: $out $(cat "$tmp/err")"
	[ "$RET" = 0 ] && { jq -e "$filter" <<<"$out" >/dev/null 2>&1
		check_err $? "cli.py $*: $out does not satisfy $filter"; }
	log_test "$desc"
}

ynl_ok "version-get: version and counters" \
	'(.version | length > 0) and .info.groups == 0' --do version-get

# 192.0.2.1 -> 192.0.2.2 and 192.0.2.5 -> 192.0.2.6, as host-order u32s:
# the spec says big-endian, cli.py byte-swaps.
path() {
	printf '{"path": {"name": "%s", "group": "g", "ifindex": %s, "nhid": %s, "local4": %s, "remote4": %s, "mark": %s, "signals": ["admin"], "hold-up-ms": 0}}' "$@"
}
RET=0
out=$(ynl --do group-new --json '{"group": {"name": "g", "nhid": 100, "hold-up-ms": 0}}' 2>&1)
check_err $? "group-new: $out"
out=$(ynl --do path-new --json "$(path p1 "$d1" 1 3221225985 3221225986 1)" 2>&1)
check_err $? "path-new p1: $out"
out=$(ynl --do path-new --json "$(path p2 "$d2" 2 3221225989 3221225990 2)" 2>&1)
check_err $? "path-new p2: $out"
log_test "group-new, path-new (p1, p2)"

busywait 20000 sh -c "ip -n $NS -j nexthop show id 100 | jq -e '.[0].group | length == 2' >/dev/null"
ynl_ok "group-get dump: g with members 1 and 2" \
	'[.[] | .group | select(.name == "g") | [.members[][].nhid] | sort] == [[1, 2]]' \
	--dump group-get --dbg-small-recv
ynl_ok "path-get dump: p1 and p2, endpoints decoded as IPv4" \
	'[.[] | .path | [.name, .local4, .remote4, .state]] | sort == [["p1", "192.0.2.1", "192.0.2.2", "up"], ["p2", "192.0.2.5", "192.0.2.6", "up"]]' \
	--dump path-get --dbg-small-recv
ynl_ok "path-get dump filtered by group: both paths of g" \
	'length == 2' --dump path-get --json '{"path": {"group": "g"}}'
ynl_ok "path-get dump of an unknown group: none" \
	'length == 0' --dump path-get --json '{"path": {"group": "nope"}}'

# members is an indexed array: cli.py decodes it as [{"1": {...}}, ...].
# Notifications: a listener subscribed to "events" collects what arrives
# while it sleeps; the event is sent once its socket has joined.
ynl --subscribe events --sleep 40 >"$tmp/ntf" 2>"$tmp/ntf.err" &
listener=$!
for _ in $(seq 150); do
	# a generic netlink socket (protocol 16) with a group joined
	# shellcheck disable=SC2016 # awk's own $2, $4
	ip netns exec "$NS" awk '$2 == 16 && $4 != "00000000" { f = 1 } END { exit !f }' \
		/proc/net/netlink && break
	sleep 0.2
done
RET=0
out=$(ynl --do event --json '{"path": {"name": "p1"}, "signal": "admin", "signal-up": 0}' 2>&1)
check_err $? "event: $out"
wait "$listener"
check_err $? "listener: $(cat "$tmp/ntf" "$tmp/ntf.err")"
ntf=$(tail -n 1 "$tmp/ntf")
jq -e '[.[] | select(.name == "path-ntf") | .msg.ntf |
	select(.path == "p1" and ."new-state" == "down" and .reason == "admin")] | length == 1' \
	<<<"$ntf" >/dev/null 2>&1
check_err $? "no path-ntf p1 down (admin): $ntf"
jq -e '[.[] | select(.name == "group-ntf") | .msg.ntf |
	select(.group == "g" and ([.members[][].nhid] == [2]))] | length >= 1' \
	<<<"$ntf" >/dev/null 2>&1
check_err $? "no group-ntf g with members [2]: $ntf"
log_test "event admin down: path-ntf and group-ntf received and decoded"

ktap_finished
