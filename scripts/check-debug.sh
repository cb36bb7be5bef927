#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh - "make check-debug": the whole selftest suite on the debug
# kernel (KASAN, lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, kmemleak).
#
#   scripts/check-debug.sh [TEST...]
#
# Builds the kernel once (scripts/debug-kernel.sh), the module for it, then
# boots it with 2 vCPUs (DEBUG_SMP) and 1 GB (DEBUG_MEM) and runs the tests
# with every timeout multiplied by DEBUG_TIMEOUT_SCALE (default 10; measured,
# the scripts take 2-4 times as long as on Debian's 6.12, and none used more
# than 12 % of its scaled timeout) and a final kmemleak pass.  Any report of
# the checkers fails the test during which it was printed.
#
# Output: the KTAP stream (also in build/vm/NAME.ktap), then one line
# "debug kernel KREL: N passed, N failed, N skipped; suite M min S s
# (kernel build M min)".
# Exit status: 0 when nothing failed, 1 otherwise, 4 when the kernel cannot
# be built because linux-source-6.12 is not installed.

set -u -o pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MEM=${DEBUG_MEM:-1024}
SCALE=${DEBUG_TIMEOUT_SCALE:-10}
SMP=${DEBUG_SMP:-2}

name=$("$TOP/scripts/debug-kernel.sh")
rc=$?
[ $rc -eq 0 ] || exit $rc
krel=$(cat "$TOP/build/kernels/$name/kver")

make -s --no-print-directory -C "$TOP" "build/$krel/vpnecmp.ko" userspace || exit 1

mkdir -p "$TOP/build/vm"
ktap=$TOP/build/vm/$name.ktap
start=$SECONDS
"$TOP/selftests/vm/run-vm.sh" -s "$SMP" -m "$MEM" -T "$SCALE" -K "$name" "$@" | tee "$ktap"
status=$?
took=$((SECONDS - start))

passed=$(grep -c '^ok [0-9]' "$ktap")
skipped=$(grep -c '^ok [0-9].*# SKIP' "$ktap")
failed=$(grep -c '^not ok [0-9]' "$ktap")
passed=$((passed - skipped))
echo "debug kernel $krel: $passed passed, $failed failed, $skipped skipped;" \
	"suite $((took / 60)) min $((took % 60)) s" \
	"(kernel build $(($(cat "$TOP/build/kernels/$name/build-seconds" 2>/dev/null || echo 0) / 60)) min)"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
