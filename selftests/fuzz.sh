#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Netlink fuzzing against a live configuration.  genl_fuzz.py sends
# FUZZ_MESSAGES (default 100000) random and mutated vpnecmp requests from
# FUZZ_PROCS (default 4) processes at once, seeded (FUZZ_SEED, else random;
# the seed is printed).  Meanwhile group "keepgrp" with paths "keep1" and
# "keep2", UP on their SAs, must not change: the fuzzer's valid-looking
# writes go to its own objects, out of reach of its mutations.  Afterwards:
# the protected configuration and its kernel group are unchanged, every
# fuzzer object can be deleted, the module still acts on a signal, and (the
# VM runner checks) the kernel log has no splat and the module unloads.
#
# If this fails, a malformed or hostile message from any CAP_NET_ADMIN
# process (a buggy daemon) can crash the gateway, corrupt its routing, or
# leak memory or references that block the module's unload.
#
# timeout: 400

source "$(dirname "$0")/lib.sh"
set -u

NS=
cleanup() { [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT

ktap_print_header
require_root
require_cmd ip jq python3
require_cli
require_module

vx() { "$VPNECMP" -n "$NS" "$@"; }

AEAD="aead rfc4106(gcm(aes)) 0x0123456789abcdef0123456789abcdef01234567 128"

NS=vx-fuzz-$$
ip netns add "$NS" || ktap_skip_all "cannot create a netns"
{
	echo "link set lo up"
	for i in 1 2; do
		echo "link add d$i type dummy"
		echo "link set d$i up"
		echo "nexthop add id $i dev d$i"
	done
	for i in 0 1 2 3; do
		echo "link add fz$i type dummy"
		echo "link set fz$i up"
		echo "nexthop add id $((201 + i)) dev fz$i"
		echo "nexthop add id $((210 + i)) group $((201 + i))"
	done
	echo "nexthop add id 99 blackhole"
	echo "nexthop add id 100 group 1/2"
	echo "xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x101 mode tunnel mark 1 $AEAD"
	echo "xfrm state add src 10.0.0.5 dst 10.0.0.6 proto esp spi 0x102 mode tunnel mark 2 $AEAD"
} | ip -n "$NS" -batch - || ktap_skip_all "cannot set up the namespace"
vx group add keepgrp nhid 100 hold-up 0 &&
	vx path add keep1 group keepgrp dev d1 nhid 1 local 10.0.0.1 \
		remote 10.0.0.2 mark 1 signals sa,dpd &&
	vx path add keep2 group keepgrp dev d2 nhid 2 local 10.0.0.5 \
		remote 10.0.0.6 mark 2 signals sa,dpd ||
	ktap_skip_all "cannot configure vpnecmp"

ktap_set_plan 5

# The protected objects, without what changes by itself (time in state).
snapshot()
{
	{
		vx -j group show keepgrp
		vx -j path show keep1 | jq -c 'map(del(.stats.time_in_state_ms))'
		vx -j path show keep2 | jq -c 'map(del(.stats.time_in_state_ms))'
		ip -n "$NS" -j nexthop show id 100
		ip -n "$NS" xfrm state count
	} 2>&1
}

# members_are IDS: the kernel group 100 holds exactly these nexthop ids
members_are()
{
	busywait 10000 sh -c "[ \"\$(ip -n $NS -j nexthop show id 100 | jq -r '[.[0].group[].id] | sort | map(tostring) | join(\" \")')\" = '$1' ]"
}

# Both paths UP and members: the state that must survive the fuzzing.
vx event keep1 dpd down && members_are 2 && vx event keep1 dpd up &&
	members_are "1 2" || ktap_skip_all "keepgrp does not follow its paths"
before=$(snapshot)

start=${EPOCHREALTIME/./}
out=$(ip netns exec "$NS" python3 "$SELFTESTS_DIR/genl_fuzz.py" \
	-n "${FUZZ_MESSAGES:-100000}" -j "${FUZZ_PROCS:-4}" \
	${FUZZ_SEED:+-s "$FUZZ_SEED"} 2>&1)
rc=$?
end=${EPOCHREALTIME/./}
ktap_print_msg "$out"
ktap_print_msg "fuzzing took $(((end - start) / 1000)) ms"
sent=$(awk '$1 == "sent" { print $2 }' <<<"$out")
if [ $rc -eq 0 ] && [ "${sent:-0}" -ge "${FUZZ_MESSAGES:-100000}" ]; then
	ktap_test_pass "fuzzer sent ${sent} messages, each answered or dropped"
else
	ktap_test_fail "fuzzer sent ${sent:-0} messages, each answered or dropped"
fi

after=$(snapshot)
if [ "$before" = "$after" ]; then
	ktap_test_pass "protected configuration and kernel group unchanged"
else
	ktap_print_msg "before: $before"
	ktap_print_msg "after: $after"
	ktap_test_fail "protected configuration and kernel group unchanged"
fi

ktap_print_msg "fuzzer left: $(vx -j group show | jq -c '[.[].name]') groups," \
	"$(vx -j path show | jq -c '[.[].name]') paths"
RET=0
for p in $(vx -j path show | jq -r '.[].name | select(startswith("keep") | not)'); do
	vx path del "$p"
	check_err $? "path del $p"
done
for g in $(vx -j group show | jq -r '.[].name | select(. != "keepgrp")'); do
	vx group del "$g"
	check_err $? "group del $g"
done
expect=$(printf '%s\n' keepgrp keep1 keep2)
got=$( { vx -j group show; vx -j path show; } | jq -r '.[].name')
[ "$got" = "$expect" ]
check_err $? "objects left after deleting the fuzzer's: $got"
log_test "every fuzzer object can be deleted"

RET=0
vx event keep1 dpd down
check_err $? "event keep1 dpd down"
members_are 2
check_err $? "keep1 not pulled from the kernel group: $(ip -n "$NS" nexthop show id 100)"
log_test "the module still acts on signals after the fuzzing"

RET=0
vx event keep1 dpd up
members_are "1 2"
check_err $? "keep1 not back: $(ip -n "$NS" nexthop show id 100)"
ip netns del "$NS"
check_err $? "netns del"
NS=
log_test "the namespace with the fuzzed state goes away"

ktap_finished
