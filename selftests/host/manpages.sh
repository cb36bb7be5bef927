#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (no guest): every man page in Documentation/ (*.1 .. *.8)
# renders without a warning, with groff (-man -ww -z: all warnings) and with
# man(1) as an operator reads it (man --warnings -l).  A first case feeds
# both a page with a known defect, so that a renderer that stopped reporting
# warnings cannot make the others pass.
#
# vpnecmp.conf(5) against the daemon's parser (userspace/daemon_conf.c):
# every keyword the parser compares a word with is in the page, the page's
# EXAMPLES file passes "vpnecmp daemon config FILE check", and vpnecmp(8)
# points to it.
#
# A failure means a page shows the operator broken formatting (an unknown
# macro or escape, a line that cannot be adjusted, a missing font) or that
# the warning checks themselves no longer see defects; or that the file's
# man page misses a keyword the daemon accepts, shows an example the daemon
# refuses, or cannot be found from vpnecmp(8).

# shellcheck source=lib.sh
source "$(dirname "$0")/../lib.sh"
set -u

ktap_print_header
require_cmd groff man

pages=("$SRCDIR"/Documentation/*.[1-8])
[ -f "${pages[0]}" ] || ktap_skip_all "no man pages in Documentation/"
ktap_set_plan $((4 + 2 * ${#pages[@]}))

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

CONF5=$SRCDIR/Documentation/vpnecmp.conf.5
RET=0
text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$CONF5" 2>/dev/null)
[ -n "$text" ]
check_err $? "vpnecmp.conf.5 does not render"
# The words the parser compares a word of the file with.
mapfile -t words < <(grep -o 'strcmp([a-z]*, "[a-z-]*")' "$SRCDIR/userspace/daemon_conf.c" |
	sed 's/.*"\(.*\)")/\1/' | sort -u)
[ ${#words[@]} -ge 30 ]
check_err $? "only ${#words[@]} keywords found in userspace/daemon_conf.c"
for w in "${words[@]}"; do
	grep -qw -- "$w" <<<"$text"
	check_err $? "keyword \"$w\" of daemon_conf.c is not in vpnecmp.conf(5)"
done
log_test "vpnecmp.conf(5) names every keyword of the daemon's parser (${#words[@]})"

RET=0
# The first indented block of EXAMPLES is a configuration file.
awk '/^\.SH EXAMPLES/ { ex = 1 } ex && /^\.RE/ && in_rs { exit }
	in_rs && !/^\./ { print } ex && /^\.RS/ { in_rs = 1 }' "$CONF5" |
	sed 's/\\-/-/g' >"$tmp/example.conf"
grep -q '^group ' "$tmp/example.conf"
check_err $? "no configuration found in vpnecmp.conf(5)'s EXAMPLES"
if [ -x "$VPNECMP" ]; then
	out=$("$VPNECMP" daemon config "$tmp/example.conf" check 2>&1)
	check_err $? "daemon check refuses the example: $out"
else
	check_err 1 "the CLI $VPNECMP is not built"
fi
log_test "vpnecmp.conf(5)'s example passes vpnecmp daemon check"

out=$(sed -n '/^\.SH "SEE ALSO"/,$p' "$SRCDIR/Documentation/vpnecmp.8")
check "vpnecmp(8) SEE ALSO names vpnecmp.conf(5)" grep -q '^\.BR vpnecmp\.conf (5)' <<<"$out"

ktap_finished
