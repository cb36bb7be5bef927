#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sid-kernel.sh - Debian sid's newest kernel for the tests, without touching
# the host's apt sources (sid there would upgrade the host).
#
#   scripts/sid-kernel.sh        (run by scripts/deps.sh, as root)
#
# sid's kernel headers need sid's compiler, so the module for that kernel is
# built in a sid build root (debootstrap minbase + gcc, make, kmod, sparse,
# linux-headers-amd64), by scripts/kbuild.sh.  What it makes, under build/:
#   sid/apt/               a private apt state for sid (sources, lists, cache)
#   sid/root-KVER-HASH/    the build root; HASH covers the versions of the
#                          packages it was made from, so that it is made
#                          again (about 2 minutes) only when one changes
#   kernels/sid-KVER/      the kernel, as selftests/vm/kernels.sh describes:
#                          kver, vmlinuz (from linux-binary-KVER), modules/
#                          (linux-modules-KVER and linux-base-KVER, depmod'ed),
#                          root (the build root's path)
#   kernels/sid.unavailable  the reason, when any of this failed: check.sh
#                          then reports the sid series as skipped with it
#
# The archive is a frozen copy whose Release file reads as expired: apt needs
# Acquire::Check-Valid-Until "false" for it.  On 7.x, linux-image-amd64 is a
# meta package; the kernel is /usr/lib/modules/KVER/vmlinuz in
# linux-binary-KVER and the modules are in linux-modules-KVER.
#
# Exit status: 0 when build/kernels/sid-KVER/ is ready, 1 otherwise (the
# reason is in build/kernels/sid.unavailable and on stderr).
set -eu
umask 022

MIRROR=${SID_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
ROOT_PKGS=gcc,make,kmod,sparse,linux-headers-amd64
KEY_PKGS="linux-image-amd64 linux-headers-amd64 gcc make kmod sparse"

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
sid=$build/sid
apt=$sid/apt
kernels=$build/kernels
unavailable=$kernels/sid.unavailable

mkdir -p "$kernels"

fail() {
	echo "sid-kernel: $*" >&2
	echo "$*" >"$unavailable"
	exit 1
}

if [ "$(id -u)" -ne 0 ]; then
	ls -d "$kernels"/sid-*/kver >/dev/null 2>&1 && exit 0
	fail "making the sid build root needs root"
fi
for cmd in debootstrap apt-get dpkg-deb depmod unshare chroot; do
	command -v "$cmd" >/dev/null || fail "$cmd is missing (make deps)"
done

# ------------------------------------------------------------ sid's index

mkdir -p "$apt"/lists/partial "$apt"/cache/archives/partial "$apt"/debs
: >>"$apt/status"
echo "deb [signed-by=$KEYRING] $MIRROR sid main" >"$apt/sources.list"
cat >"$apt/apt.conf" <<EOF
Dir::State::Lists "$apt/lists";
Dir::State::status "$apt/status";
Dir::Cache "$apt/cache";
Dir::Etc::SourceList "$apt/sources.list";
Dir::Etc::SourceParts "/nonexistent";
Acquire::Check-Valid-Until "false";
Acquire::Languages "none";
APT::Architecture "amd64";
APT::Sandbox::User "root";
EOF
export APT_CONFIG=$apt/apt.conf

out=$(apt-get -q update 2>&1) || fail "apt-get update for sid failed: $(tail -n 3 <<<"$out")"
grep -q '^E:' <<<"$out" && fail "apt-get update for sid: $(grep '^E:' <<<"$out" | head -n 3)"

version() {
	apt-cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1
}

# linux-image-amd64 -> linux-image-KVER (meta) -> linux-binary-KVER, linux-modules-KVER
meta=$(apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
	sed -n 's/^Depends: //p' | tr ',' '\n' | sed -n 's/^ *\(linux-image-[^ ]*\).*/\1/p' | head -n 1)
[ -n "$meta" ] || fail "sid has no linux-image-amd64 depending on a linux-image-KVER"
kver=${meta#linux-image-}

key=
for p in $KEY_PKGS; do
	v=$(version "$p")
	[ -n "$v" ] || fail "sid has no package $p"
	key="$key$p=$v "
done
hash=$(echo "$key" | sha256sum | cut -c1-12)
root=$sid/root-$kver-$hash
kdir=$kernels/sid-$kver

# ------------------------------------------------------------ build root

if [ ! -f "$root/.complete" ]; then
	echo "sid-kernel: making the sid build root for $kver ($key)"
	rm -rf "$root"
	log=$sid/debootstrap.log
	if ! debootstrap --variant=minbase --include="$ROOT_PKGS" \
		--keyring="$KEYRING" sid "$root" "$MIRROR" >"$log" 2>&1; then
		fail "debootstrap sid failed: $(tail -n 3 "$log" | tr '\n' ' ')"
	fi
	# What the root's own apt would need, should anyone use it.
	echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99valid-until"
	[ -e "$root/lib/modules/$kver/build/Makefile" ] ||
		fail "the sid build root has no /lib/modules/$kver/build"
	rm -rf "$root"/var/cache/apt/archives/*.deb
	echo "$key" >"$root/.complete"
fi

# Debian's linux-kbuild lacks scripts/checker-valid.sh, which kbuild runs for
# C=1/C=2 and without which it turns sparse off ("make lint").  Ours prints 1
# when the checker parses __typeof_unqual__, as the headers need under
# __CHECKER__.
# Paths inside the root may be absolute symlinks: resolve them in there.
checker=/lib/modules/$kver/build/scripts/checker-valid.sh
if ! chroot "$root" test -e "$checker"; then
	chroot "$root" tee "$checker" >/dev/null <<'EOF'
#!/bin/sh
# Written by vpnecmp's scripts/sid-kernel.sh (missing from linux-kbuild).
# checker-valid.sh CHECKER [FLAGS]: 1 if CHECKER parses the headers' C.
t=$(mktemp --suffix=.c) || { echo 0; exit 0; }
trap 'rm -f "$t"' EXIT
echo 'int f(const int *p) { __typeof_unqual__(*p) v = *p; return ++v; }' >"$t"
if command -v "$1" >/dev/null 2>&1 && ! "$@" "$t" 2>&1 | grep -q error; then
	echo 1
else
	echo 0
fi
EOF
	chroot "$root" chmod 0755 "$checker"
fi

# Older roots and kernels go: the archive moved on.
for d in "$sid"/root-*; do
	[ -d "$d" ] && [ "$d" != "$root" ] && rm -rf "$d"
done
for d in "$kernels"/sid-*; do
	[ -d "$d" ] && [ "$d" != "$kdir" ] && rm -rf "$d"
done

# ------------------------------------------------------------ the kernel

if [ ! -f "$kdir/.complete" ] || [ "$(cat "$kdir/.complete")" != "$key" ]; then
	echo "sid-kernel: unpacking kernel $kver"
	rm -rf "$kdir" "$apt/debs"
	mkdir -p "$apt/debs" "$kdir/unpack"
	(cd "$apt/debs" && apt-get -q download "linux-binary-$kver" "linux-modules-$kver" \
			"linux-base-$kver") \
		>"$sid/download.log" 2>&1 ||
		fail "downloading the packages of kernel $kver failed: $(tail -n 2 "$sid/download.log")"
	for deb in "$apt"/debs/*.deb; do
		dpkg-deb -x "$deb" "$kdir/unpack" || fail "cannot unpack $deb"
	done
	src=$kdir/unpack/usr/lib/modules/$kver
	[ -f "$src/vmlinuz" ] || fail "linux-binary-$kver has no /usr/lib/modules/$kver/vmlinuz"
	mkdir -p "$kdir/modules/lib/modules"
	mv "$src/vmlinuz" "$kdir/vmlinuz"
	mv "$src" "$kdir/modules/lib/modules/$kver"
	rm -rf "$kdir/unpack" "$apt/debs"
	depmod -b "$kdir/modules" "$kver" || fail "depmod for $kver failed"
	echo "$kver" >"$kdir/kver"
	echo "$key" >"$kdir/.complete"
	echo "sid-kernel: build/kernels/sid-$kver ready (build root ${root#"$top"/})"
fi
echo "$root" >"$kdir/root"
rm -f "$unavailable"
