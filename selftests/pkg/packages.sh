#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# packages.sh - "make check-packages": the Debian packages of "make deb" on a
# fresh Debian 12 gateway, from install to purge.
#
#   make check-packages          (as root; runs "make deb" first)
#
# The gateway is a Debian 12 root (selftests/pkg/root.sh: debootstrap,
# dkms, the headers of this host's 6.1 and 6.12 kernels; cached in build/pkg/)
# unpacked afresh into build/pkg/root/.  In it, through chroot:
#   1. apt-get install ./vpnecmp-dkms_*.deb ./vpnecmp_*.deb, offline
#      (no apt source: every dependency must be in the root already)
#   2. DKMS built and installed the module for every kernel whose headers
#      are there: dkms status, the .ko's vermagic and version
#   3. the CLI runs: -V gives the package's version; "vpnecmp version"
#      (the chroot runs on the host's kernel, which never has the module)
#      exits 1 and says what to run; man pages, unit, completion and docs
#      are where the unit and the README say
#   4. per kernel, a guest boots it (selftests/vm/run-vm.sh) and runs the
#      core tests with the module DKMS built in the root (--module) and the
#      packaged CLI (--cli): the module built on a gateway loads and works
#   5. apt-get purge vpnecmp vpnecmp-dkms: dkms forgets the module and
#      the root's file list is the one before step 1 (apt's and dpkg's own
#      logs and caches aside)
# A failure means an operator's "apt install" of the packages fails, builds
# no module or one that does not load or work on the kernel it was built
# for, installs a CLI that does not run or files the docs do not describe,
# or that "apt purge" leaves files behind.
#
# It takes minutes (the root once, then two DKMS builds and two guests), so
# it is not part of "make check": .ci/run runs it after make check
# (Documentation/testing.rst).  PKG_JOBS guests run at a time (default: the
# number of CPUs).

# shellcheck source=lib.sh
source "$(dirname "$0")/../lib.sh"
set -u

PKG_DIR=$SRCDIR/build/pkg
ROOT=$PKG_DIR/root
DEBS=$SRCDIR/build/deb
JOBS=${PKG_JOBS:-$(nproc 2>/dev/null || echo 1)}

ktap_print_header
require_root
require_cmd tar zstd unshare chroot dpkg-deb modinfo qemu-system-x86_64

shopt -s nullglob
found=("$DEBS"/vpnecmp-dkms_*_all.deb "$DEBS"/vpnecmp_*_"$(dpkg --print-architecture)".deb)
if [ ${#found[@]} -ne 2 ] || [[ ${found[0]} != */vpnecmp-dkms_* ]] ||
   [[ ${found[1]} != */vpnecmp_* ]]; then
	ktap_skip_all "not one vpnecmp and one vpnecmp-dkms package in build/deb/ (make deb)"
fi
dkms_deb=${found[0]}
cli_deb=${found[1]}
debver=$(dpkg-deb -f "$cli_deb" Version)
modver=$(cat "$SRCDIR/VERSION")

# The kernels: those whose headers the root has (root.sh's choice).
mapfile -t core < <(make -s --no-print-directory -C "$SRCDIR/selftests" list-core-tests)

cleanup() {
	[ -n "${ROOT:-}" ] && rm -rf "$ROOT"
}
trap cleanup EXIT

# in_root CMD...: CMD in the root, with /proc and /dev/pts, in a mount
# namespace of its own, from the root's / (apt makes .deb paths absolute
# by getcwd).
in_root() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare --mount --fork sh -c 'mkdir -p "$0/dev/pts" && mount -t proc proc "$0/proc" &&
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$0/dev/pts" &&
		cd "$0" && exec chroot "$@"' \
		"$ROOT" "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root "$@"
}

# snapshot: every path of the root, but what the package manager itself
# writes on any install or removal (logs, its caches, the -old backups of
# its databases), the mount points' contents, and depmod's indexes
# (/lib/modules/KVER/modules.*): DKMS runs depmod for a kernel whose image
# the root lacks (6.1 here: headers only), which creates them; on a gateway
# the kernel's package made them long before.
snapshot() {
	(cd "$ROOT" && find . -xdev \
		\( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp -o \
		   -path ./run -o -path ./var/log -o -path ./var/cache/apt \) -prune -o \
		\( -path './var/lib/dpkg/*-old' -o -path './var/cache/debconf/*-old' -o \
		   -path './usr/lib/modules/*/modules.*' \) -o \
		-print) | LC_ALL=C sort
}

ktap_set_plan 6

# ------------------------------------------------------------- the root

tarball=$("$SELFTESTS_DIR/pkg/root.sh")
rc=$?
if [ $rc -ne 0 ] || [ ! -s "$tarball" ]; then
	ktap_print_msg "selftests/pkg/root.sh failed ($rc); build/pkg/root.log:"
	ktap_print_msg "$(tail -n 20 "$PKG_DIR/root.log" 2>/dev/null)"
	ktap_test_fail "a fresh Debian 12 root"
	ktap_finished
fi
rm -rf "$ROOT"
mkdir -p "$ROOT"
zstd -dcq "$tarball" | tar -C "$ROOT" --numeric-owner -xf - ||
	{ ktap_test_fail "a fresh Debian 12 root: unpacking $tarball"; ktap_finished; }
mapfile -t kernels < <(cd "$ROOT/usr/lib/modules" && for k in *; do
	[ -e "$k/build/Makefile" ] && echo "$k"; done)
before=$(snapshot)
mkdir -p "$ROOT/tmp/debs"
cp "$dkms_deb" "$cli_deb" "$ROOT/tmp/debs/"

# ------------------------------------------------------------- install

RET=0
# No source: apt knows only what the root has installed, so a dependency
# missing from the root fails by name (--no-download would be the obvious
# way, but apt 2.6 then refuses local .deb files: "Pathname to install is
# not absolute").
out=$(in_root apt-get -q -y --no-install-recommends -o Dir::Etc::SourceList=/dev/null \
	-o Dir::Etc::SourceParts=/nonexistent install \
	"/tmp/debs/${dkms_deb##*/}" "/tmp/debs/${cli_deb##*/}" 2>&1)
check_err $? "apt-get install failed: $(tail -n 30 <<<"$out")"
ktap_print_msg "$(grep -E 'Building for|Building initial|Done\.|skipped' <<<"$out")"
log_test "apt-get install ./vpnecmp-dkms_*.deb ./vpnecmp_*.deb (${debver}, offline)"

RET=0
[ ${#kernels[@]} -gt 0 ]
check_err $? "the root has no kernel headers"
kos=()
st=$(in_root dkms status vpnecmp 2>/dev/null)
for k in "${kernels[@]}"; do
	grep -q "^vpnecmp/$modver, $k, [^:]*: installed" <<<"$st"
	check_err $? "dkms status has no installed vpnecmp/$modver for $k: $st"
	found=("$ROOT/usr/lib/modules/$k/updates/dkms/"vpnecmp.ko*)
	ko=${found[0]:-}
	if [ -z "$ko" ]; then
		check_err 1 "no vpnecmp.ko in /lib/modules/$k/updates/dkms of the root"
		kos+=("")
		continue
	fi
	kos+=("$ko")
	vm=$(modinfo -F vermagic "$ko")
	[[ $vm == "$k "* ]]
	check_err $? "$ko: vermagic '$vm' is not for $k"
	v=$(modinfo -F version "$ko")
	[ "$v" = "$modver" ]
	check_err $? "$ko: version '$v', not $modver"
done
ktap_print_msg "$st"
log_test "DKMS built and installed vpnecmp/$modver for ${kernels[*]}"

RET=0
v=$(in_root vpnecmp -V 2>&1)
[ "$v" = "vpnecmp utility, version $debver" ]
check_err $? "vpnecmp -V says '$v'"
err=$(in_root vpnecmp version 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && grep -q 'not loaded' <<<"$err" && grep -q 'dkms status vpnecmp' <<<"$err"
check_err $? "vpnecmp version without the module (exit $rc): $err"
for f in /usr/share/man/man8/vpnecmp.8.gz /usr/share/man/man5/vpnecmp.conf.5.gz \
	 /usr/share/bash-completion/completions/vpnecmp /etc/vpnecmp/README \
	 /etc/modules-load.d/vpnecmp.conf /usr/share/doc/vpnecmp/index.rst \
	 /usr/share/doc/vpnecmp/examples/aws-tgw-bgp/vpnecmp.conf; do
	[ -f "$ROOT$f" ]
	check_err $? "$f is not installed"
done
unit=$ROOT/lib/systemd/system/vpnecmp.service
grep -q '^ExecStart=/usr/sbin/vpnecmp ' "$unit"
check_err $? "the unit does not run /usr/sbin/vpnecmp"
# shellcheck disable=SC2013 # the words of the Documentation= lines
for ref in $(sed -n 's/^Documentation=//p' "$unit"); do
	case $ref in
	man:*)
		p=${ref#man:}
		s=${p##*(}
		s=${s%)}
		p=/usr/share/man/man$s/${p%%(*}.$s.gz ;;
	file:*) p=${ref#file:} ;;
	esac
	[ -f "$ROOT$p" ]
	check_err $? "the unit's Documentation=$ref is not installed ($p)"
done
[ "$(stat -c %a "$ROOT/etc/vpnecmp")" = 750 ]
check_err $? "/etc/vpnecmp is mode $(stat -c %a "$ROOT/etc/vpnecmp")"
log_test "the packaged CLI runs, says what to do without the module; docs, unit, completion in place"

# ------------------------------------------------------------- guests

# One guest per kernel, JOBS at a time; each writes build/pkg/KVER.ktap.
RET=0
pids=()
i=0
for k in "${kernels[@]}"; do
	ko=${kos[i]}
	i=$((i + 1))
	[ -n "$ko" ] || continue
	if [ ${#pids[@]} -ge "$JOBS" ]; then
		wait -n
	fi
	"$SRCDIR/selftests/vm/run-vm.sh" -s 1 --module "$ko" --cli "$ROOT/usr/sbin/vpnecmp" \
		"$k" "${core[@]}" >"$PKG_DIR/$k.ktap" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p"
done
for k in "${kernels[@]}"; do
	f=$PKG_DIR/$k.ktap
	[ -f "$f" ] || { check_err 1 "$k: no guest ran (no module)"; continue; }
	n_ok=$(grep -c "^ok " "$f")
	n_fail=$(grep -c "^not ok " "$f")
	ktap_print_msg "$k: $n_ok ok, $n_fail not ok ($(grep -o 'wall [0-9.]* s' "$f"))"
	if [ "$n_fail" -ne 0 ] || [ "$n_ok" -ne ${#core[@]} ]; then
		ktap_print_msg "$(cat "$f")"
		check_err 1 "$k: the core tests failed with the DKMS module"
	fi
done
log_test "the DKMS-built module passes the core tests on ${kernels[*]} (${core[*]})"

# ------------------------------------------------------------- purge

RET=0
out=$(in_root apt-get -q -y purge vpnecmp vpnecmp-dkms 2>&1)
check_err $? "apt-get purge failed: $(tail -n 20 <<<"$out")"
rm -rf "$ROOT/tmp/debs"
st=$(in_root dkms status vpnecmp 2>/dev/null)
[ -z "$st" ]
check_err $? "dkms status after purge: $st"
log_test "apt-get purge vpnecmp vpnecmp-dkms"

after=$(snapshot)
RET=0
left=$(comm -13 <(echo "$before") <(echo "$after"))
gone=$(comm -23 <(echo "$before") <(echo "$after"))
[ -z "$left" ]
check_err $? "left behind: $left"
[ -z "$gone" ]
check_err $? "removed, though there before the install: $gone"
log_test "after apt purge the root's files are those before the install"

ktap_finished
