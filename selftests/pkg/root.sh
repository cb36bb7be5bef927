#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# root.sh - the Debian 12 root in which selftests/pkg/packages.sh installs
# the packages: a fresh gateway with DKMS and the headers of the kernels the
# guests boot, and nothing of vpnecmp.
#
#   selftests/pkg/root.sh        (as root) prints the tarball's path
#
# Made with debootstrap (minbase, bookworm) from deb.debian.org plus
# bookworm-updates and bookworm-security (Debian 12's kernels come from
# there), then apt-get in a chroot: dkms, the libraries vpnecmp links with,
# and linux-headers-KVER, at the very version installed on this host, for
# every 6.1 and 6.12 kernel of the host that the guests boot (the module
# built in the root must load into the host's kernel image).  What it makes,
# under build/pkg/:
#   bookworm-HASH.tar.zst  the root, packed; HASH covers ROOT_REV, the package
#                          lists and the headers' versions, so that it is made
#                          again (minutes, network) only when one changes
#   root.log               debootstrap's and apt's output
# The root's own apt lists are kept: packages.sh installs from local .debs
# with --no-download, so a dependency missing from the root fails there by
# name instead of being fetched.
set -eu
umask 022

MIRROR=${PKG_MIRROR:-http://deb.debian.org/debian}
SECURITY=${PKG_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# dkms and what it needs to build (its Depends, without the Recommends), and
# the run-time libraries of the CLI: vpnecmp's own Depends.
ROOT_PKGS="dkms gcc make kmod patch dpkg-dev libnl-3-200 libnl-genl-3-200 libnl-route-3-200"
# The recipe's revision: bump it when a change below must remake the root.
ROOT_REV=1

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/pkg
log=$out/root.log

die() {
	echo "pkg-root: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot)"
for cmd in debootstrap chroot unshare zstd tar; do
	command -v "$cmd" >/dev/null || die "$cmd is missing (make deps)"
done

# The headers of the kernels the guests boot (selftests/vm/check.sh's 6.1
# and 6.12 series; not -rt), at the host's versions.
headers=()
for d in /lib/modules/6.1.* /lib/modules/6.12.*; do
	k=${d##*/}
	case $k in *-rt-*) continue ;; esac
	if [ ! -e "$d/build/Makefile" ] || [ ! -f "/boot/vmlinuz-$k" ]; then
		continue
	fi
	v=$(dpkg-query -W -f='${Version}' "linux-headers-$k" 2>/dev/null) ||
		die "linux-headers-$k is not a package here"
	headers+=("linux-headers-$k=$v")
done
[ ${#headers[@]} -gt 0 ] || die "no 6.1 or 6.12 kernel with headers on this host (make deps)"

key="$ROOT_REV $ROOT_PKGS ${headers[*]}"
hash=$(echo "$key" | sha256sum | cut -c1-12)
tarball=$out/bookworm-$hash.tar.zst
if [ -s "$tarball" ]; then
	echo "$tarball"
	exit 0
fi

mkdir -p "$out"
root=$out/root-make
rm -rf "$root"
echo "pkg-root: making the Debian 12 root (${headers[*]})" >&2
debootstrap --variant=minbase --keyring="$KEYRING" bookworm "$root" "$MIRROR" >"$log" 2>&1 ||
	die "debootstrap bookworm failed: $(tail -n 3 "$log" | tr '\n' ' ')"

cat >"$root/etc/apt/sources.list" <<EOS
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY bookworm-security main
EOS
cp /etc/resolv.conf "$root/etc/resolv.conf"
# No daemon starts in the root (the unit is the package's, not started).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

# A private mount namespace with /proc and /dev/pts (dkms and apt use
# them), from the root's / (apt makes local .deb paths absolute by getcwd).  INITRD=No:
# 6.12's headers pull in its image, whose initramfs nothing here boots.
in_root() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare --mount --fork sh -c 'mkdir -p "$0/dev/pts" && mount -t proc proc "$0/proc" &&
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$0/dev/pts" &&
		cd "$0" && exec chroot "$@"' \
		"$root" "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 INITRD=No "$@"
}
# shellcheck disable=SC2086 # word splitting wanted
{ in_root apt-get -q update && in_root apt-get -q -y --no-install-recommends install \
	$ROOT_PKGS "${headers[@]}"; } >>"$log" 2>&1 ||
	die "apt-get in the root failed: $(tail -n 3 "$log" | tr '\n' ' ')"
in_root apt-get clean >>"$log" 2>&1
rm -f "$root/etc/resolv.conf"

rm -f "$out"/bookworm-*.tar.zst
tar -C "$root" --numeric-owner --xattrs -cf - . | zstd -q -T0 -3 -o "$tarball.tmp" ||
	die "packing the root failed"
mv "$tarball.tmp" "$tarball"
rm -rf "$root"
echo "$tarball"
