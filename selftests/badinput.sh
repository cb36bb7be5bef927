#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input, at both layers.  The kernel (raw netlink from
# genl_badinput.py, bypassing the CLI) must refuse missing, wrong-typed,
# oversized, out-of-range, unknown and duplicate attributes with an errno and
# an extack message; the CLI must refuse bad words with exit status 2 and a
# message quoting the word, and relay the kernel's message.  Nothing may
# change: the configuration and the kernel nexthop group are compared before
# and after.  If this fails, a typo on a gateway could silently reconfigure
# or break forwarding.
#
# timeout: 120

source "$(dirname "$0")/lib.sh"

NS=
cleanup() { [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT

ktap_print_header
require_root
require_cmd ip jq python3
require_cli
require_module

vx() { "$VPNECMP" -n "$NS" "$@"; }

snapshot()
{
	{
		vx -j group show
		vx -j path show | jq 'map(del(.stats.time_in_state_ms))'
		ip -n "$NS" -j nexthop show id 100
	} 2>&1
}

# cli_usage DESC WORD ARGS...: exit status 2 and WORD quoted on stderr
cli_usage()
{
	local desc=$1 word=$2 out rc
	shift 2
	out=$(vx "$@" 2>&1 >/dev/null); rc=$?
	if [ $rc -eq 2 ] && [[ $out == *"$word"* ]]; then
		ktap_test_pass "cli refuses: $desc"
	else
		ktap_print_msg "vpnecmp $*: exit $rc: $out"
		ktap_test_fail "cli refuses: $desc"
	fi
}

# cli_kernel DESC TEXT ARGS...: exit status 1 and the kernel's text
cli_kernel()
{
	local desc=$1 text=$2 out rc
	shift 2
	out=$(vx "$@" 2>&1 >/dev/null); rc=$?
	if [ $rc -eq 1 ] && [[ $out == *"$text"* ]]; then
		ktap_test_pass "cli relays: $desc"
	else
		ktap_print_msg "vpnecmp $*: exit $rc: $out"
		ktap_test_fail "cli relays: $desc"
	fi
}

NS=vx-bad-$$
ip netns add "$NS" || ktap_skip_all "cannot create a netns"
ip -n "$NS" -batch - <<EOS || ktap_skip_all "cannot set up nexthops"
link set lo up
link add d1 type dummy
link add d2 type dummy
link add d3 type dummy
link set d1 up
link set d2 up
link set d3 up
nexthop add id 1 dev d1
nexthop add id 2 dev d2
nexthop add id 100 group 1
nexthop add id 101 group 2
EOS
vx group add g nhid 100 && vx path add p1 group g dev d1 nhid 1 \
	local 192.0.2.1 remote 192.0.2.2 || ktap_skip_all "cannot configure vpnecmp"

KERNEL_CASES=$(ip netns exec "$NS" python3 "$SELFTESTS_DIR/genl_badinput.py" --count)
ktap_set_plan $((KERNEL_CASES + 16))
before=$(snapshot)

while IFS= read -r line; do
	case $line in
	"ok	"*) ktap_test_pass "${line#ok	}" ;;
	"not ok	"*) ktap_test_fail "${line#not ok	}" ;;
	*) echo "$line" ;;
	esac
done < <(ip netns exec "$NS" python3 "$SELFTESTS_DIR/genl_badinput.py")

cli_usage "unknown object" frob frob
cli_usage "unknown group command" frob group frob
cli_usage "nhid not a number" abc group add g2 nhid abc
cli_usage "unknown group type" bogus group add g2 nhid 101 type bogus
cli_usage "name too long" aaaaaaaaaaaaaaaaaaaa group add aaaaaaaaaaaaaaaaaaaa nhid 101
cli_usage "missing nhid" nhid group add g2
# the CLI's name rule is the module's and the daemon file's: [A-Za-z0-9_.-]
cli_usage "group name with a colon" a:b group add a:b nhid 101
cli_usage "path name with a quote" 'p"9' path add 'p"9' group g dev d2 nhid 2 \
	local 192.0.2.5 remote 192.0.2.6
cli_usage "bad address" 192.0.2.300 path add p9 group g dev d2 nhid 2 \
	local 192.0.2.300 remote 192.0.2.6
cli_usage "mixed address families" 2001:db8::1 path add p9 group g dev d2 nhid 2 \
	local 192.0.2.5 remote 2001:db8::1
cli_usage "unknown signal" carrier path set p1 signals sa,carrier
cli_usage "unknown event state" sideways event p1 dpd sideways
cli_kernel "device not found" 'Cannot find device "nosuch"' path add p9 group g \
	dev nosuch nhid 2 local 192.0.2.5 remote 192.0.2.6
cli_kernel "duplicate group" "group already exists" group add g nhid 100
cli_kernel "unknown path" "path not found" path del nope

after=$(snapshot)
if [ "$before" = "$after" ]; then
	ktap_test_pass "configuration and kernel group unchanged"
else
	ktap_print_msg "before: $before"
	ktap_print_msg "after: $after"
	ktap_test_fail "configuration and kernel group unchanged"
fi
ktap_finished
