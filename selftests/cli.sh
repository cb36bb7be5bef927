#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The CLI has the habits of the tools an operator already knows (iproute2,
# wireguard-tools): -h/--help and -V/--version answer with status 0 on
# stdout; "list" and "ls" are "show", "delete" is "del", with the same
# output and effect; -br prints one line per path with its state, reason,
# SA count and membership, the same facts as the full view; an unknown option or word still exits 2 quoting it,
# and a prefix of a keyword is not taken for the keyword.
#
# A failure means a script or an operator typing the usual words gets a
# usage error (exit 2) where iproute2 would have worked, or that an alias
# does something other than the command it stands for.
#
# timeout: 60

source "$(dirname "$0")/lib.sh"

NS=
cleanup() { [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT

ktap_print_header
require_root
require_cmd ip jq
require_cli
require_module

ktap_set_plan 14

vx() { "$VPNECMP" -n "$NS" "$@"; }

# opt_ok DESC TEXT ARGS...: exit 0, TEXT on stdout, nothing on stderr
opt_ok()
{
	local desc=$1 text=$2 out err rc
	shift 2
	err=$("$VPNECMP" "$@" 2>&1 >/dev/null)
	out=$("$VPNECMP" "$@" 2>/dev/null); rc=$?
	if [ $rc -eq 0 ] && [[ $out == *"$text"* ]] && [ -z "$err" ]; then
		ktap_test_pass "$desc"
	else
		ktap_print_msg "vpnecmp $*: exit $rc, stdout '${out:0:80}', stderr '$err'"
		ktap_test_fail "$desc"
	fi
}

# usage_err DESC WORD ARGS...: exit 2, WORD quoted on stderr
usage_err()
{
	local desc=$1 word=$2 out rc
	shift 2
	out=$(vx "$@" 2>&1 >/dev/null); rc=$?
	if [ $rc -eq 2 ] && [[ $out == *"\"$word\""* ]]; then
		ktap_test_pass "$desc"
	else
		ktap_print_msg "vpnecmp $*: exit $rc: $out"
		ktap_test_fail "$desc"
	fi
}

opt_ok "-h prints the usage" "Usage: vpnecmp" -h
opt_ok "--help prints the usage" "Usage: vpnecmp" --help
opt_ok "-V prints the version" "version" -V
opt_ok "--version prints the version" "version" --version

NS=vx-cli-$$
ip netns add "$NS" || ktap_skip_all "cannot create a netns"
ip -n "$NS" -batch - <<EOS || ktap_skip_all "cannot set up nexthops"
link set lo up
link add d1 type dummy
link add d2 type dummy
link set d1 up
link set d2 up
nexthop add id 1 dev d1
nexthop add id 2 dev d2
nexthop add id 100 group 1/2
EOS
vx group add g nhid 100 && vx path add p1 group g dev d1 nhid 1 \
	local 192.0.2.1 remote 192.0.2.2 &&
	vx path add p2 group g dev d2 nhid 2 local 192.0.2.1 remote 192.0.2.3 ||
	ktap_skip_all "cannot configure vpnecmp"

# The time in state moves between two reads: leave it out.
paths() { vx -j path "$@" | jq -c 'map(del(.stats))'; }

RET=0
want=$(vx -j group show | jq -c .)
for w in list ls; do
	got=$(vx -j group $w 2>&1 | jq -c . 2>&1)
	[ -n "$want" ] && [ "$got" = "$want" ]
	check_err $? "group $w: '$got', group show: '$want'"
done
log_test "group list and group ls are group show"

RET=0
want=$(paths show)
for w in list ls; do
	got=$(paths $w 2>&1)
	[ -n "$want" ] && [ "$got" = "$want" ]
	check_err $? "path $w: '$got', path show: '$want'"
	got=$(paths $w p2 2>&1)
	[ "$got" = "$(paths show p2)" ]
	check_err $? "path $w p2: '$got'"
done
log_test "path list and path ls are path show, with a name too"

# -br: one line per path; its words are the full view's facts.
RET=0
vx event p2 admin down
check_err $? "event p2 admin down failed"
busywait 5000 sh -c "[ \"\$($VPNECMP -n $NS -j path show p2 | jq -r '.[0].state')\" = down ]"
check_err $? "p2 did not go down: $(vx path show p2)"
br=$(vx -br path show 2>&1)
[ "$(wc -l <<<"$br")" = 2 ]
check_err $? "not one line per path: '$br'"
for p in p1 p2; do
	line=$(grep "^$p " <<<"$br")
	want=$(vx -j path show $p | jq -r '.[0] | "\(.group) \(.state) \(.reason) sas \(.stats.sa_count) member \(if .member then "yes" else "no" end)"')
	got=$(awk '{print $2, $3, $4, $6, $7, $8, $9}' <<<"$line")
	[ -n "$line" ] && [ "$got" = "$want" ]
	check_err $? "$p: brief '$line', full view says '$want'"
done
log_test "-br path show: one line per path, the full view's facts"

RET=0
got=$(vx -br -j path show p2 | jq -c '.[0] | [.name, .state, (.member | type), (.time_in_state_ms | type), (keys | length)]')
[ "$got" = '["p2","down","boolean","number",7]' ]
check_err $? "-br -j path show p2: $got"
log_test "-br -j: the brief keys, as JSON"

RET=0
vx path delete p2
check_err $? "path delete p2 failed"
[ "$(vx -j path show | jq -r 'map(.name) | join(",")')" = p1 ]
check_err $? "p2 still configured after path delete: $(vx -j path show)"
log_test "path delete removes the path"

RET=0
vx path delete p1 && vx group delete g
check_err $? "path delete p1 / group delete g failed"
[ "$(vx -j group show | jq length)" = 0 ]
check_err $? "g still configured after group delete: $(vx -j group show)"
ip -n "$NS" nexthop show id 100 >/dev/null 2>&1
check_err $? "group delete took the kernel group 100 away"
log_test "group delete releases the group"

usage_err "an unknown option is refused, quoted" --frob --frob group show
usage_err "a prefix of show is not show" sh group sh
usage_err "a prefix of delete is not delete" dele path dele p1
usage_err "an unknown group command is refused, quoted" lst group lst

ktap_finished
