#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb.sh - the Debian packages vpnecmp and vpnecmp-dkms ("make deb").
#
#   scripts/deb.sh          build/deb/vpnecmp_V_ARCH.deb, vpnecmp-dkms_V_all.deb
#
# The tree as git sees it (tracked files, and new ones not ignored, as they
# are in the work tree: what "make" would build) is copied to
# build/deb/vpnecmp-V/ and built there by dpkg-buildpackage -b (debian/ at the
# top of the tree), so that the build never writes into the tree.  The
# package version V:
#   VERSION                         HEAD is tagged vVERSION and the tree clean
#   VERSION+gitYYYYMMDDhhmmss.HASH  otherwise (the commit's date, so that a
#                                   later commit sorts after; ".dirty" added
#                                   when the work tree has changes)
#   VERSION                         no git (a release tarball)
# The module inside keeps VERSION (/usr/src/vpnecmp-VERSION, dkms.conf).
# Then lintian checks the result: any error or warning fails (overrides,
# each with its reason, are in debian/*.lintian-overrides).
# Needs: dpkg-dev, debhelper, dh-dkms, lintian, libnl-*-dev ("make deps").
set -eu
umask 022

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/deb
base=$(cat "$top/VERSION")

version=$base
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	dirty=
	[ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ] && dirty=.dirty
	if [ "$(git -C "$top" describe --tags --exact-match 2>/dev/null)" != "v$base" ] ||
	   [ -n "$dirty" ]; then
		when=$(TZ=UTC git -C "$top" log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S)
		hash=$(git -C "$top" rev-parse --short=12 HEAD)
		version=$base+git$when.$hash$dirty
	fi
fi

for cmd in dpkg-buildpackage dh dh_dkms lintian; do
	command -v "$cmd" >/dev/null ||
		{ echo "deb: $cmd is missing (make deps)" >&2; exit 1; }
done

src=$out/vpnecmp-$version
rm -rf "$out"
mkdir -p "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] || [ -L "$f" ] || continue	# deleted, not committed
			printf '%s\0' "$f"
		done | cpio -0 -pdm --quiet "$src")
else
	(cd "$top" && find . -path ./build -prune -o -path ./.git -prune -o -type f -print0 |
		cpio -0 -pdm --quiet "$src")
fi
# The changelog's first entry carries the version.
sed -i "1s/^vpnecmp ([^)]*)/vpnecmp ($version)/" "$src/debian/changelog"

echo "deb: building vpnecmp $version in ${src#"$top"/}"
(cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed: $out/build.log" >&2
	exit 1
}
rm -rf "$src"

changes=$out/vpnecmp_${version}_$(dpkg --print-architecture).changes
echo "deb: lintian"
lintian --fail-on error,warning --display-info "$changes" 2>&1 |
	grep -v "^running with root privileges" | tee "$out/lintian.log"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
	echo "deb: lintian failed ($rc): $out/lintian.log" >&2
	exit 1
fi
(cd "$out" && ls -1 ./*.deb)
