#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (no guest): every man page in Documentation/ (*.1 .. *.8)
# renders without a warning, with groff (-man -ww -z: all warnings) and with
# man(1) as an operator reads it (man --warnings -l).  A first case feeds
# both a page with a known defect, so that a renderer that stopped reporting
# warnings cannot make the others pass.
#
# A failure means a page shows the operator broken formatting (an unknown
# macro or escape, a line that cannot be adjusted, a missing font) or that
# the warning checks themselves no longer see defects.

# shellcheck source=lib.sh
source "$(dirname "$0")/../lib.sh"
set -u

ktap_print_header
require_cmd groff man

pages=("$SRCDIR"/Documentation/*.[1-8])
[ -f "${pages[0]}" ] || ktap_skip_all "no man pages in Documentation/"
ktap_set_plan $((1 + 2 * ${#pages[@]}))

tmp=$(mktemp -d /tmp/vpnecmp-man.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# *_warnings PAGE: what groff and man say on stderr while rendering PAGE.
groff_warnings() {
	groff -man -ww -z "$1" 2>&1
}
man_warnings() {
	{ LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$1" >/dev/null; } 2>&1
}

printf '.TH BAD 8\n.SH NAME\nbad \\- bad\n.XX unknown macro\n\\*[nosuchstring]\n' \
	>"$tmp/bad.8"
g=$(groff_warnings "$tmp/bad.8")
m=$(man_warnings "$tmp/bad.8")
if [ -n "$g" ] && [ -n "$m" ]; then
	ktap_test_pass "a defective page is reported by groff and by man"
else
	ktap_print_msg "groff said: '$g'; man said: '$m'"
	ktap_test_fail "a defective page is reported by groff and by man"
fi

for p in "${pages[@]}"; do
	n=${p#"$SRCDIR"/}
	check_eq "groff -man -ww -z $n: no warning" "" "$(groff_warnings "$p")"
	check_eq "man --warnings -l $n: no warning" "" "$(man_warnings "$p")"
done

ktap_finished
