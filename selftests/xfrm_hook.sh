#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module sees the kernel's SA events through its XFRM key manager, and
# counts them per network namespace ("vpnecmp -j version" .info).  In a
# fresh netns every counter starts at zero; one "ip xfrm state add" is one
# NEWSA (sa_add), "update" one UPDSA (sa_add), "delete" one DELSA (sa_del),
# "flush" of a non-empty table one FLUSHSA (sa_flush), a hard lifetime
# expiry one EXPIRE (sa_expire); xfrm_events counts them all.  An SA added
# in another netns changes nothing here.  Only a netns with a group counts:
# in one without, the hook returns at once (isolation.sh), so A and B get a
# group (and no path) after the zero check.
#
# Topology: two netns, A and B, no links: SAs need no route to exist.
#
# A failure means the key manager is not registered (no SA event reaches
# the module, so no path ever goes down on SA loss), misclassifies events
# (an expiry or flush would not count as a loss), or keeps its counters
# (and so its SA tracking) global instead of per netns, where one tenant's
# SAs would change another's paths.

# timeout: 120

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
set -u

KEY=0x0123456789abcdef0123456789abcdef01234567
COUNTERS=(xfrm_events sa_add sa_del sa_expire sa_flush sa_matched)

ktap_print_header
require_root
require_cmd ip jq
require_cli
require_module

cleanup() {
	cleanup_all_ns
}
trap cleanup EXIT

setup_ns A B || ktap_skip_all "cannot create the netns"

# counters NS: the six counters of NS, space separated, in COUNTERS order.
counters() {
	ip netns exec "$1" "$VPNECMP" -j version |
		jq -r '[.info.xfrm_events, .info.sa_add, .info.sa_del,
			.info.sa_expire, .info.sa_flush, .info.sa_matched] |
			map(tostring) | join(" ")'
}

# expect_counters NS "E0 E1 ...": the counters of NS are exactly these.
expect_counters() {
	[ "$(counters "$1" 2>&1)" = "$2" ]
}

# check_counters DESC NS "E0 E1 ...": one case; waits a little since nothing
# promises the counters are updated before the netlink ACK.
check_counters() {
	local desc=$1 ns=$2 want=$3 got
	if busywait 2000 expect_counters "$ns" "$want"; then
		ktap_test_pass "$desc"
		return 0
	fi
	got=$(counters "$ns" 2>&1)
	ktap_print_msg "counters (${COUNTERS[*]})"
	ktap_print_msg "expected: $want"
	ktap_print_msg "got:      $got"
	ktap_test_fail "$desc"
	return 1
}

sa() {
	local ns=$1 verb=$2 spi=$3
	shift 3
	ip -n "$ns" xfrm state "$verb" src 192.0.2.1 dst 192.0.2.2 proto esp \
		spi "$spi" mode tunnel aead 'rfc4106(gcm(aes))' "$KEY" 128 "$@"
}

sa_del() {
	ip -n "$1" xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi "$2"
}

ktap_set_plan 11

RET=0
out=$(ip netns exec "$A" "$VPNECMP" -j version 2>&1)
check_err $? "vpnecmp -j version failed: $out"
for c in "${COUNTERS[@]}"; do
	jq -e --arg c "$c" '.info[$c] | type == "number"' >/dev/null 2>&1 <<<"$out"
	check_err $? "no number .info.$c in: $out"
done
log_test "vpnecmp -j version has the counters under \"info\""

check_counters "fresh netns: all counters zero" "$A" "0 0 0 0 0 0"
for ns in "$A" "$B"; do
	if ! printf '%s\n' "link add d1 type dummy" "link set d1 up" \
		"nexthop add id 1 dev d1" "nexthop add id 100 group 1" |
		ip -n "$ns" -batch - ||
	   ! "$VPNECMP" -n "$ns" group add g nhid 100; then
		ktap_print_msg "cannot give $ns a group"
	fi
done

check "ip xfrm state add (spi 0x100)" sa "$A" add 0x100
check_counters "add: sa_add 1, xfrm_events 1" "$A" "1 1 0 0 0 0"

check "ip xfrm state update (spi 0x100)" sa "$A" update 0x100
check_counters "update: sa_add 2, xfrm_events 2" "$A" "2 2 0 0 0 0"

check "ip xfrm state delete (spi 0x100)" sa_del "$A" 0x100
check_counters "delete: sa_del 1, xfrm_events 3" "$A" "3 2 1 0 0 0"

# A flush of an empty table sends no event: flush one SA.
RET=0
sa "$A" add 0x101
check_err $? "ip xfrm state add (spi 0x101) failed"
ip -n "$A" xfrm state flush
check_err $? "ip xfrm state flush failed"
busywait 2000 expect_counters "$A" "5 3 1 0 1 0"
check_err $? "expected '5 3 1 0 1 0', got '$(counters "$A" 2>&1)'"
log_test "add + flush: sa_add 3, sa_flush 1, xfrm_events 5"

# SAs of B are none of A's business.  Wait for B to see its SA first, so
# that A is checked after the event was handled.
sa "$B" add 0x200 >/dev/null 2>&1
busywait 2000 expect_counters "$B" "1 1 0 0 0 0"
check_counters "SA added in another netns: counted there only" "$A" "5 3 1 0 1 0"

# A hard expiry is one EXPIRE event and no DELSA.
RET=0
sa "$A" add 0x102 limit time-hard 1
check_err $? "ip xfrm state add (spi 0x102, time-hard 1) failed"
busywait 10000 expect_counters "$A" "7 4 1 1 1 0"
check_err $? "expected '7 4 1 1 1 0', got '$(counters "$A" 2>&1)'"
[ -z "$(ip -n "$A" xfrm state list spi 0x102 2>&1)" ]
check_err $? "the SA did not expire"
log_test "hard expiry: sa_expire 1, sa_add 4, xfrm_events 7"

ktap_finished
