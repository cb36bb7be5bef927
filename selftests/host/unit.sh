#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (no guest): the userspace unit tests (userspace/tests/unit.c:
# output formats, extack and error decoding, the daemon's file grammar, the
# daemon's waiting list), built from the sources as they are and run; each
# of its "ok"/"not ok" lines is a case here.
#
# A failure means the CLI prints or parses something other than what the
# documentation shows, or the daemon's file is read differently from the
# command line.

# shellcheck source=lib.sh
source "$(dirname "$0")/../lib.sh"
set -u

ktap_print_header
require_cmd make cc

log=$(mktemp /tmp/vpnecmp-unit.XXXXXX)
trap 'rm -f "$log"' EXIT
if ! make -s -C "$SRCDIR/userspace" tests/unit >"$log" 2>&1; then
	ktap_set_plan 1
	while IFS= read -r l; do ktap_print_msg "$l"; done <"$log"
	ktap_test_fail "userspace/tests/unit builds"
	ktap_finished
fi
"$SRCDIR/userspace/tests/unit" >"$log" 2>/dev/null
rc=$?
n=$(grep -c -E '^(ok|not ok) - ' "$log")
ktap_set_plan $((n + 1))
while IFS= read -r l; do
	case $l in
	"ok - "*) ktap_test_pass "${l#ok - }" ;;
	"not ok - "*) ktap_test_fail "${l#not ok - }" ;;
	*) ktap_print_msg "$l" ;;
	esac
done <"$log"
# a crash or an exit without its summary is a failure of its own
if [ "$rc" -eq 0 ] && tail -n 1 "$log" | grep -q '^PASS: 0 failure'; then
	ktap_test_pass "unit tests ran to the end (exit 0)"
else
	ktap_test_fail "unit tests ran to the end (exit status $rc)"
fi
ktap_finished
