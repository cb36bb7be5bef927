#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack the kernel's YNL tools (tools/net/ynl: cli.py and its library) and
# the YNL schemas (Documentation/netlink/*.yaml) from Debian's newest
# linux-source package into build/ynl/, once per package version.  Used by
# selftests/ynl.sh (in the guest, which shares the host's /usr but not
# /usr/src's tarball unpacked) and selftests/host/netlink_spec.sh.  Nothing
# of it is copied into the repository.  Without linux-source it says so and
# succeeds: the tests that need it then skip.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/ynl
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
if [ -z "$tarball" ]; then
	echo "ynl: no /usr/src/linux-source-*.tar.xz (make deps); YNL tests will skip" >&2
	exit 0
fi
stamp=$out/.$(basename "$tarball")
[ -e "$stamp" ] && exit 0
rm -rf "$out"
mkdir -p "$out"
dir=$(tar -tJf "$tarball" | head -n 1 | cut -d/ -f1)
echo "ynl: unpacking tools/net/ynl from $(basename "$tarball")"
tar -xJf "$tarball" -C "$out" --strip-components=1 --wildcards \
	"$dir/tools/net/ynl/*" "$dir/Documentation/netlink/*.yaml"
touch "$stamp"
