#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (no guest): scripts/checkpatch.sh (the checkpatch half of
# "make lint") checks exactly the module and uapi sources git tracks.  It
# runs on a throw-away clone of the committed tree:
#  1. the clone as committed passes;
#  2. with an untracked vpnecmp.mod.c full of style errors in module/ (what
#     a documented "make KDIR=..." build leaves there) it still passes;
#  3. with the same file committed it fails, naming the file, which proves
#     that case 2 passed because the file was skipped, not unseen.
#
# A failure of 2 means "make lint" fails after a normal build for reasons
# that are not in the sources; of 1, that the committed tree is not
# checkpatch --strict clean.

# shellcheck source=lib.sh
source "$(dirname "$0")/../lib.sh"
set -u

ktap_print_header
require_cmd git perl
ls /usr/src/linux-source-*.tar.xz >/dev/null 2>&1 ||
	ktap_skip_all "no linux-source package (make deps)"
git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1 ||
	ktap_skip_all "$SRCDIR is not a git checkout"
ktap_set_plan 3

tmp=$(mktemp -d /tmp/vpnecmp-lint.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
git clone -q "$SRCDIR" "$tmp/src" || ktap_skip_all "cannot clone $SRCDIR"
# Reuse the unpacked checkpatch.pl of the real tree when there is one.
if [ -d "$SRCDIR/build/checkpatch" ]; then
	mkdir -p "$tmp/src/build"
	ln -s "$SRCDIR/build/checkpatch" "$tmp/src/build/checkpatch"
fi

check "the committed tree is checkpatch --strict clean" \
	"$tmp/src/scripts/checkpatch.sh"

# Style errors checkpatch always reports: C99 comment style is fine, but a
# space before the open parenthesis of a call and a trailing blank are not.
printf '// SPDX-License-Identifier: GPL-2.0\nint vpnecmp_x (void) ;   \n' \
	>"$tmp/src/module/vpnecmp.mod.c"
check "an untracked module/vpnecmp.mod.c is not linted" \
	"$tmp/src/scripts/checkpatch.sh"

git -C "$tmp/src" add -f module/vpnecmp.mod.c
git -C "$tmp/src" -c user.name=t -c user.email=t@example.com \
	commit -q -m "test: a tracked file with style errors"
out=$("$tmp/src/scripts/checkpatch.sh" 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q 'vpnecmp.mod.c' <<<"$out"; then
	ktap_test_pass "the same file, tracked, fails the lint and is named"
else
	ktap_print_msg "exit status $rc"
	ktap_print_msg "$out"
	ktap_test_fail "the same file, tracked, fails the lint and is named"
fi

ktap_finished
