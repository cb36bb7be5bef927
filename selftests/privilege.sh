#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Only CAP_NET_ADMIN may change or read vpnecmp state.  An unprivileged
# user (nobody, no capabilities), and root without CAP_NET_ADMIN, get EPERM
# for every mutating command (group add/set/del, path add/set/del, event),
# whether or not the object exists, and leave no trace; and for every read
# (version, group and path show: GET of one object and dumps), as xfrm_user
# refuses to show SAs: the state holds tunnel endpoints, marks, if_ids and
# SA counters.  User namespaces: see isolation.sh.
# Root, in the same namespace with the same nexthops, then succeeds, which
# proves the refusals were about privilege and not about the arguments.
#
# Topology: one netns with a dummy device d0 (192.0.2.1/24), nexthop 1 over
# it and nexthop group 100 = {1}.
#
# A failure means an op lacks GENL_ADMIN_PERM / GENL_UNS_ADMIN_PERM (any
# local user could drain tunnels or reroute traffic, or read the tunnels'
# endpoints and SA counters), or that the
# permission check runs after the object lookup (ENOENT instead of EPERM
# lets anybody probe for group and path names).

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
set -u

ktap_print_header
require_root
require_cmd ip setpriv jq
require_cli
require_module

cleanup() {
	cleanup_all_ns
}
trap cleanup EXIT

setup_ns NS || ktap_skip_all "cannot create a netns"
ip -n "$NS" -batch - <<-END || ktap_skip_all "cannot set up the nexthops"
	link add d0 type dummy
	link set d0 up
	address add 192.0.2.1/24 dev d0
	nexthop add id 1 dev d0
	nexthop add id 100 group 1
END

as_root() {
	ip netns exec "$NS" "$VPNECMP" "$@"
}

as_nobody() {
	ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all --no-new-privs -- \
		"$VPNECMP" "$@"
}

# uid 0 with every capability but CAP_NET_ADMIN
as_root_nocap() {
	ip netns exec "$NS" setpriv --inh-caps=-net_admin \
		--bounding-set=-net_admin -- "$VPNECMP" "$@"
}

# refused DESC ARGS...: as nobody (or as $AS), the command fails with exit
# status 1 and "Operation not permitted".
refused() {
	local desc=$1 out rc
	shift
	out=$("${AS:-as_nobody}" "$@" 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && [[ $out == *"Operation not permitted"* ]]; then
		ktap_test_pass "$desc"
		return
	fi
	ktap_print_msg "vpnecmp $*: exit status $rc"
	ktap_print_msg "$out"
	ktap_test_fail "$desc"
}

MUTATING=(
	"group add g1 nhid 100"
	"group set g1 hold-up 100"
	"group del g1"
	"path add p1 group g1 dev d0 nhid 1 local 192.0.2.1 remote 198.51.100.1"
	"path set p1 weight 2"
	"path del p1"
	"event p1 dpd down"
)

# Reads, with objects present (g1 and p1 exist when they run).
READS=(
	"version"
	"group show"
	"group show g1"
	"path show"
	"path show p1"
	"-s path show"
)

ktap_set_plan $(( 2 * ${#MUTATING[@]} + 2 * ${#READS[@]} + 7 ))

for cmd in "${MUTATING[@]}"; do
	# shellcheck disable=SC2086 # one word per argument
	refused "nobody: $cmd (no such object): EPERM" $cmd
	# shellcheck disable=SC2086
	AS=as_root_nocap refused "root without CAP_NET_ADMIN: $cmd: EPERM" $cmd
done

out=$(as_root -j group show 2>&1)
check_eq "no group g1 after the refused commands" "" \
	 "$(jq -c '.[]? | select(.name == "g1")' <<<"$out" 2>&1)"

check "root: group add g1 nhid 100" as_root group add g1 nhid 100
check "root: path add p1" as_root path add p1 group g1 dev d0 nhid 1 \
	local 192.0.2.1 remote 198.51.100.1

refused "nobody: group set g1 hold-up 100 (g1 exists): EPERM" group set g1 hold-up 100
refused "nobody: group del g1 (g1 exists): EPERM" group del g1

for cmd in "${READS[@]}"; do
	# shellcheck disable=SC2086 # one word per argument
	refused "nobody: $cmd: EPERM" $cmd
	# shellcheck disable=SC2086
	AS=as_root_nocap refused "root without CAP_NET_ADMIN: $cmd: EPERM" $cmd
done

RET=0
out=$(as_root -j group show 2>&1)
check_err $? "root: group show failed: $out"
[ "$(jq -r '.[]? | select(.name == "g1") | .paths' <<<"$out" 2>/dev/null)" = 1 ]
check_err $? "g1 with its path not listed: $out"
log_test "root: group show lists g1, which survived the refused set and del"

check "root: path del p1, group del g1" \
	sh -c "ip netns exec $NS $VPNECMP path del p1 && ip netns exec $NS $VPNECMP group del g1"

ktap_finished
