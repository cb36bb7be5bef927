#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh - build, once, the debug kernel of "make check-debug" and
# install it where the QEMU runner finds it.
#
#   scripts/debug-kernel.sh [-j N] [--print-name]
#
# The kernel is Debian's linux-source-6.12 (/usr/src/linux-source-6.12.tar.xz,
# "make deps") configured with x86_64_defconfig + kvm_guest.config +
# scripts/debug-kernel.config (KASAN, lockdep, DEBUG_ATOMIC_SLEEP,
# DEBUG_OBJECTS, kmemleak and what the selftests need).  Everything lives in
# build/:
#   build/debug-kernel/linux-SRCVER/   the unpacked source (read-only use)
#   build/debug-kernel/out-SRCVER/     the object tree (O=), reused when the
#                                      fragment changes: only what the change
#                                      touches is rebuilt
#   build/debug-kernel/build.log       the log of the last build
#   build/kernels/debug-KREL/          the installed kernel (vmlinuz, kver,
#                                      modules/, build -> the object tree)
# The installed kernel records its key (the linux-source package version and
# a hash of the fragment and of this script's configuration steps); when the
# key matches, nothing is done.  The build runs at nice 19 with -j2 (-j or
# DEBUG_KERNEL_JOBS, DEBUG_KERNEL_NICE to change).
#
# Prints the kernel's name (debug-KREL) on stdout; progress goes to stderr.
# Exit status: 0 when the kernel is ready, 1 on failure, 4 when the source
# package is not installed.

set -eu -o pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FRAGMENT=$TOP/scripts/debug-kernel.config
TARBALL=${DEBUG_KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
SRCPKG=linux-source-6.12
JOBS=${DEBUG_KERNEL_JOBS:-2}
NICE=${DEBUG_KERNEL_NICE:-19}
DK=$TOP/build/debug-kernel

usage() {
	echo "usage: ${0##*/} [-j N]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-j) JOBS=${2:?}; shift 2 ;;
	-j*) JOBS=${1#-j}; shift ;;
	-h|--help) sed -n '4,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage ;;
	esac
done

say() { echo "debug-kernel: $*" >&2; }
die() { say "$*"; exit 1; }

if [ ! -f "$TARBALL" ]; then
	say "$TARBALL is missing: run 'make deps' (package $SRCPKG)"
	exit 4
fi
for cmd in make gcc flex bison bc xz; do
	command -v "$cmd" >/dev/null || die "$cmd is missing (apt-get install $cmd)"
done
[ -e /usr/include/openssl/ssl.h ] || die "libssl-dev is missing"
[ -e /usr/include/libelf.h ] || die "libelf-dev is missing"

# The source version: the package's, or the tarball's identity when it did
# not come from the package.
SRCVER=$(dpkg-query -W -f='${Version}' "$SRCPKG" 2>/dev/null || true)
[ -n "$SRCVER" ] || SRCVER=$(stat -L -c '%s-%Y' "$TARBALL")
SRCVER=${SRCVER//[^A-Za-z0-9.+-]/_}
SRC=$DK/linux-$SRCVER
OBJ=$DK/out-$SRCVER
LOG=$DK/build.log

# Configuration steps: part of the key, so that changing them rebuilds.
configure() {
	make -C "$SRC" O="$OBJ" x86_64_defconfig kvm_guest.config
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "$FRAGMENT"
	make -C "$SRC" O="$OBJ" olddefconfig
}

KEY=$({
	echo "$SRCVER"
	cat "$FRAGMENT"
	declare -f configure
} | sha256sum | cut -c1-16)

# Already built and installed with this key?
for d in "$TOP"/build/kernels/debug-*; do
	if [ -f "$d/key" ] && [ "$(cat "$d/key")" = "$KEY" ] && [ -f "$d/vmlinuz" ] &&
		[ -f "$d/kver" ]; then
		basename "$d"
		exit 0
	fi
done

mkdir -p "$DK"
exec 9>"$DK/.lock"
flock -n 9 || {
	say "another build is running (log: ${LOG#"$TOP"/}); waiting"
	flock 9
	for d in "$TOP"/build/kernels/debug-*; do
		if [ -f "$d/key" ] && [ "$(cat "$d/key")" = "$KEY" ]; then
			basename "$d"
			exit 0
		fi
	done
}

start=$SECONDS
: >"$LOG"
say "building; log in ${LOG#"$TOP"/} (nice $NICE, -j$JOBS: 20-40 min on idle cores)"

if [ ! -f "$SRC/.unpacked" ]; then
	say "unpacking $TARBALL"
	rm -rf "$SRC" "$SRC.tmp"
	mkdir -p "$SRC.tmp"
	tar -xJf "$TARBALL" -C "$SRC.tmp" --strip-components=1
	mv "$SRC.tmp" "$SRC"
	touch "$SRC/.unpacked"
fi

mkdir -p "$OBJ"
configure >>"$LOG" 2>&1 || die "configuration failed, see ${LOG#"$TOP"/}"

# Every option of the fragment must have its value in the result.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) opt=${line%%=*} want=$line ;;
	"# CONFIG_"*" is not set") opt=${line#"# "}; opt=${opt%% *}; want=$line ;;
	*) continue ;;
	esac
	got=$(grep -E "^($opt=|# $opt is not set)" "$OBJ/.config" || true)
	if [ "$want" = "# $opt is not set" ] && [ -z "$got" ]; then
		continue
	fi
	if [ "$got" != "$want" ]; then
		say "fragment wants '$want', .config has '${got:-nothing}'"
		bad=1
	fi
done <"$FRAGMENT"
[ "$bad" = 0 ] || die "the fragment does not apply to $SRCPKG $SRCVER"

# ... and what the selftests say they need must be there, built in or not.
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=[ym]) opt=${line%%=*} ;;
	*) continue ;;
	esac
	grep -qE "^$opt=[ym]$" "$OBJ/.config" || {
		say "selftests/config wants $line, .config does not have it"
		bad=1
	}
done <"$TOP/selftests/config"
[ "$bad" = 0 ] || die "add the missing options to ${FRAGMENT#"$TOP"/}"

say "compiling (log: ${LOG#"$TOP"/})"
nice -n "$NICE" make -C "$SRC" O="$OBJ" -j"$JOBS" bzImage modules >>"$LOG" 2>&1 ||
	die "build failed, last lines of ${LOG#"$TOP"/}: $(tail -n 20 "$LOG")"

KREL=$(make -s -C "$SRC" O="$OBJ" kernelrelease 2>/dev/null | tail -n 1)
[ -n "$KREL" ] || die "no kernel release"
NAME=debug-$KREL
DEST=$TOP/build/kernels/$NAME
rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp/modules"
make -C "$SRC" O="$OBJ" INSTALL_MOD_PATH="$DEST.tmp/modules" modules_install \
	>>"$LOG" 2>&1 || die "modules_install failed, see ${LOG#"$TOP"/}"
# modules_install links back to the trees; "build" below is the one to use.
rm -f "$DEST.tmp/modules/lib/modules/$KREL/build" "$DEST.tmp/modules/lib/modules/$KREL/source"
cp "$OBJ/arch/x86/boot/bzImage" "$DEST.tmp/vmlinuz"
cp "$OBJ/.config" "$DEST.tmp/config"
echo "$KREL" >"$DEST.tmp/kver"
ln -s "../../debug-kernel/out-$SRCVER" "$DEST.tmp/build"
echo "$KEY" >"$DEST.tmp/key"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"

took=$((SECONDS - start))
echo "$took" >"$DEST/build-seconds"
say "$NAME built in $((took / 60)) min $((took % 60)) s"
echo "$NAME"
