#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (no guest): Documentation/*.rst parse without a warning
# (rst_check.py: docutils, with literalinclude, toctree and :doc: checked
# for their targets), no page shows a command in a literal block instead of
# including it from Documentation/examples/ (where doc_examples.sh runs
# it), and every example shell script parses (sh -n).  A first case feeds
# the checker a broken page, so that it cannot pass by seeing nothing.
#
# A failure means a page renders broken (a table, a list, a reference to a
# missing page or example), or shows the operator a command no test runs.

# shellcheck source=lib.sh
source "$(dirname "$0")/../lib.sh"
set -u

ktap_print_header
require_cmd python3
python3 -c 'import docutils' 2>/dev/null || ktap_skip_all "python3-docutils not installed"

DOC=$SRCDIR/Documentation
CHECK=$SELFTESTS_DIR/host/rst_check.py
pages=("$DOC"/*.rst)
ktap_set_plan $((3 + ${#pages[@]}))

tmp=$(mktemp -d /tmp/vpnecmp-docs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

printf 'Bad\n===\n\n=== ===\na   b\n== ===\n\n.. literalinclude:: nosuch\n\n:doc:`nosuch`\n' >"$tmp/bad.rst"
# shellcheck disable=SC2016
out=$(python3 "$CHECK" "$tmp/bad.rst" 2>&1)
n=$(grep -c 'WARNING\|ERROR' <<<"$out")
if [ "$n" -ge 3 ]; then
	ktap_test_pass "a broken page is reported (table, include, :doc:)"
else
	ktap_print_msg "$out"
	ktap_test_fail "a broken page is reported (table, include, :doc:)"
fi

for p in "${pages[@]}"; do
	check "${p#"$SRCDIR"/}: no docutils warning" python3 "$CHECK" "$p"
done

# Literal blocks ("::" then an indented block) holding commands.
out=$(awk '
	FNR == 1 { lit = 0 }
	/::[[:space:]]*$/ && !/^\.\./ { lit = 1; next }
	lit && /^[^[:space:]]/ { lit = 0 }
	lit && /^[[:space:]]+(vpnecmp|ip|swanctl|sysctl|dkms|make|systemctl|failover-test\.sh|probe\.sh)([[:space:]]|$)/ {
		print FILENAME ":" FNR ": " $0
	}' "${pages[@]}")
check_eq "no command in a literal block (Documentation/examples/ instead)" "" "$out"

RET=0
for f in "$DOC"/examples/*/*.sh; do
	out=$(sh -n "$f" 2>&1)
	check_err $? "sh -n ${f#"$DOC"/}: $out"
done
log_test "every Documentation/examples/*/*.sh parses"

ktap_finished
