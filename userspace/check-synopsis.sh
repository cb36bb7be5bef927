#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-synopsis.sh VPNECMP MANPAGE: the man page's SYNOPSIS must be the
# text of "vpnecmp help", line for line (indentation and "Usage:" aside).
set -eu

prog=$1
man=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

norm() {
	sed -e 's/^Usage: //' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d'
}

"$prog" help | norm >"$tmp/usage"
LC_ALL=C GROFF_NO_SGR=1 groff -man -Tascii -P-cbou "$man" |
	sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed -e '1d' -e '$d' | norm >"$tmp/man"

if ! diff -u "$tmp/usage" "$tmp/man"; then
	echo "check-synopsis: $man SYNOPSIS differs from \"vpnecmp help\"" >&2
	exit 1
fi
echo "check-synopsis: ok"
