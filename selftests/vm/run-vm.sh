#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh - run vpnecmp selftests inside a QEMU guest booting an installed
# Debian kernel or one kept in build/kernels/NAME/.
#
#   selftests/vm/run-vm.sh [OPTIONS] KERNEL [TEST...]
#
# KERNEL is a kernel release with /boot/vmlinuz-KVER and /usr/lib/modules/KVER,
# or the NAME or release of a kernel in build/kernels/NAME/ (kernels.sh says
# what such a directory holds; the guest sees its modules/lib/modules/KVER as
# /lib/modules/KVER).  Below, KVER is the kernel's release.  TESTs
# are script names in selftests/ (".sh" may be left out); without any, the
# list comes from "make -C selftests list-tests".
#
# How it works (all state lives in build/vm/KVER/, or build/vm/NAME/ with -d):
#   - vmlinux: the ELF kernel extracted once from the bzImage and booted
#     directly (PVH entry: no firmware decompression, ~4.5 s faster).  When
#     extraction fails the bzImage is booted instead.
#   - initramfs.cpio: busybox + the virtio/9p modules of KVER + an /etc
#     skeleton, rebuilt when one of its inputs changes.  Its init
#     (initramfs-init) mounts the host's /usr read-only and the repository
#     read-write over 9p and switch_root's into guest-init.sh.  For a kernel
#     in build/kernels/NAME/, the initramfs modules come from its modules/
#     tree, and the guest's /usr/lib/modules is a tmpfs holding a bind mount
#     of it (kernel command line "vmmodules=").
#   - run.conf: what the guest must run (tests, timeouts, environment).
#   - results.ktap: written by the guest as it goes, one block per test (the
#     test's output as "# " lines, then the result line); current.log holds
#     the output of the test in progress.
#   - console.log: the whole serial console.
# The guest powers off when done.  The host gives it the sum of the test
# timeouts plus a margin; a guest that hangs or panics is killed and every
# test that did not report is failed, with the tail of the console.
#
# In the guest, each test runs as root from selftests/, under timeout (the
# "timeout=" of selftests/settings, or a "# timeout: N" line in the script),
# with the module already loaded unless the script has the line
# "# vpnecmp: noload", and this environment:
#   VPNECMP_KO  REPO/build/KVER/vpnecmp.ko ("make modules-all"), or
#               --module's
#   VPNECMP     REPO/userspace/vpnecmp (built on the host; the guest runs
#               the host's /usr, so its libraries are there), or --cli's
#   KVER, SRCDIR (the repository), PATH with /usr/sbin
# The test fails if its exit status is not 0 or 4 (skip), it times out,
# rmmod fails or leaves vpnecmp loaded, or the kernel log written since it
# started has a splat (BUG:, WARNING:, Oops, refcount_t:, list corruption,
# hung task, UBSAN/KASAN, kmemleak, Call Trace:).
#
# Output: KTAP on stdout, one result per test script ("ok N KVER:NAME"); the
# script's own output is included as "# " diagnostic lines, and lines
# "# runner-fail: REASON" say why the runner failed a script (exit,
# timeout, splat, insmod, rmmod, left-loaded, hang, crash, not-run).
# Exit status: 0 when nothing failed, 1 when something did, 2 on usage
# errors, 4 when KERNEL is neither installed nor in build/kernels/.

set -u

usage() {
	cat <<EOF
usage: ${0##*/} [OPTIONS] KERNEL [TEST...]
  KERNEL            an installed kernel release, or a NAME (or release) in
                    build/kernels/
  -s, --smp N       guest CPUs (default 1; N > 1 uses multi-threaded TCG)
  -m, --mem MB      guest memory (default 256)
  -a, --append ARG  extra kernel command line
  -l, --limit S     host limit for the whole guest run (default: the sum of
                    the test timeouts + $((TEST_MARGIN)) s each + $((BOOT_MARGIN)) s)
  -T, --timeout-scale N
                    multiply every timeout (tests, margins, lib.sh waits) by
                    the integer N, for slow (debug) kernels; default
                    \$VPNECMP_TIMEOUT_SCALE or 1
  -d, --dir NAME    keep the guest's state in build/vm/NAME (default: the
                    kernel release); two guests of one kernel at once need
                    two names
  -K, --leak-check  after the tests, one more case "kmemleak": two kmemleak
                    scans, failed on leaks from the tests (debug kernels)
  -k, --module KO   the module the runner loads instead of
                    build/KVER/vpnecmp.ko (e.g. one DKMS built; .ko.xz too)
  -c, --cli PATH    the CLI the tests run instead of userspace/vpnecmp
                    (both must be under the repository or /usr: the guest
                    sees only those)
  -v, --verbose     progress and the guest console on stderr
  -h, --help        this text
EOF
	exit "${1:-2}"
}

# Extra boot/warm-up allowance and per-test overhead (insmod, rmmod, log
# scan) on top of the test timeouts, for the host's overall limit.
BOOT_MARGIN=150
TEST_MARGIN=20

SMP=1
MEM=256
LIMIT=
SCALE=${VPNECMP_TIMEOUT_SCALE:-1}
LEAK_CHECK=0
KO=
CLI=
APPEND=
VERBOSE=0
DIRNAME=
while [ $# -gt 0 ]; do
	case "$1" in
	-s|--smp) SMP=${2:?}; shift 2 ;;
	-m|--mem) MEM=${2:?}; shift 2 ;;
	-a|--append) APPEND="$APPEND ${2:?}"; shift 2 ;;
	-l|--limit) LIMIT=${2:?}; shift 2 ;;
	-T|--timeout-scale) SCALE=${2:?}; shift 2 ;;
	-d|--dir) DIRNAME=${2:?}; shift 2 ;;
	-K|--leak-check) LEAK_CHECK=1; shift ;;
	-k|--module) KO=${2:?}; shift 2 ;;
	-c|--cli) CLI=${2:?}; shift 2 ;;
	-v|--verbose) VERBOSE=1; shift ;;
	-h|--help) usage 0 ;;
	--) shift; break ;;
	-*) echo "${0##*/}: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
KVER=$1
shift
[[ $SCALE =~ ^[1-9][0-9]*$ ]] || { echo "${0##*/}: bad timeout scale '$SCALE'" >&2; usage; }
BOOT_MARGIN=$((BOOT_MARGIN * SCALE))
TEST_MARGIN=$((TEST_MARGIN * SCALE))

VMDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELFTESTS=$(dirname "$VMDIR")
REPO=$(dirname "$SELFTESTS")
# shellcheck source=selftests/vm/kernels.sh
KERNELS_REPO=$REPO . "$VMDIR/kernels.sh"

msg() {
	[ "$VERBOSE" = 1 ] && echo "run-vm[$KVER]: $*" >&2
	return 0
}

die() {
	echo "run-vm[$KVER]: $*" >&2
	exit "${2:-1}"
}

case "$REPO$KVER" in
*[[:space:]]*) die "paths with white space are not supported: $REPO" 2 ;;
esac

if ! kernel_find "$KVER"; then
	echo "KTAP version 1"
	echo "1..0 # SKIP kernel $KVER is neither installed nor in build/kernels/"
	exit 4
fi
KVER=$K_KVER
VMLINUZ=$K_IMAGE
# The modules tree, as the host sees it and as the guest must (the guest
# mounts the repository at the same path; "" keeps the host's /usr/lib/modules).
MODROOT=$K_MODROOT
GUEST_MODULES=
[ -n "$K_DIR" ] && GUEST_MODULES=$MODROOT/lib/modules
case $DIRNAME in
*/*|.|..) die "bad state directory name '$DIRNAME'" 2 ;;
esac
OUT=$REPO/build/vm/${DIRNAME:-$KVER}
# What the guest sees: the repository (same path) and the host's /usr.
guest_path() {
	local p
	p=$(realpath -e "$1") || die "$1 does not exist" 2
	case $p in
	"$REPO"/*|"$(realpath "$REPO")"/*|/usr/*) echo "$p" ;;
	*) die "$1 is neither under $REPO nor /usr: the guest cannot see it" 2 ;;
	esac
}
[ -n "$KO" ] && KO=$(guest_path "$KO")
[ -n "$CLI" ] && CLI=$(guest_path "$CLI")
: "${KO:=$REPO/build/$KVER/vpnecmp.ko}" "${CLI:=$REPO/userspace/vpnecmp}"
for cmd in qemu-system-x86_64 busybox cpio modprobe timeout flock; do
	command -v "$cmd" >/dev/null || die "$cmd is missing"
done

mkdir -p "$OUT" || exit 1
# One guest per kernel at a time: the files in $OUT are its own.
exec 9>"$OUT/.lock"
if ! flock -n 9; then
	echo "run-vm[$KVER]: waiting for another run on $KVER to finish" >&2
	flock -w 3600 9 || die "$OUT/.lock still held after an hour"
fi

# ---------------------------------------------------------------- tests

# The ordered list: arguments, or what the Makefile says.
if [ $# -eq 0 ]; then
	mapfile -t names < <(make -s --no-print-directory -C "$SELFTESTS" list-tests)
	[ ${#names[@]} -gt 0 ] || die "no tests from 'make -C selftests list-tests'"
else
	names=("$@")
fi
tests=()
for t in "${names[@]}"; do
	t=${t#selftests/}
	if [ ! -f "$SELFTESTS/$t" ] && [ -f "$SELFTESTS/$t.sh" ]; then
		t=$t.sh
	fi
	[ -f "$SELFTESTS/$t" ] || die "no such test: $t" 2
	tests+=("$t")
done

default_timeout=45
if [ -f "$SELFTESTS/settings" ]; then
	v=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$SELFTESTS/settings")
	[ -n "$v" ] && default_timeout=$v
fi

# One entry per test: NAME:TIMEOUT:LOAD (LOAD is 0 for "# vpnecmp: noload").
entries=()
host_limit=$BOOT_MARGIN
for t in "${tests[@]}"; do
	to=$(sed -n 's/^# timeout: *\([0-9][0-9]*\) *$/\1/p' "$SELFTESTS/$t" | head -n1)
	[ -n "$to" ] || to=$default_timeout
	to=$((to * SCALE))
	load=1
	grep -qx '# vpnecmp: noload' "$SELFTESTS/$t" && load=0
	entries+=("$t:$to:$load")
	host_limit=$((host_limit + to + TEST_MARGIN))
done
# The final kmemleak scans: slow on a KASAN kernel under emulation.
if [ "$LEAK_CHECK" = 1 ]; then
	entries+=("@kmemleak:$((60 * SCALE)):0")
	tests+=("@kmemleak")
	host_limit=$((host_limit + 60 * SCALE + TEST_MARGIN))
fi
[ -n "$LIMIT" ] && host_limit=$LIMIT

# ---------------------------------------------------------------- kernel

# The bzImage's setup header says where the compressed payload starts
# (setup_sects at 0x1f1, payload_offset/payload_length at 0x248); the
# payload ends with the 4-byte decompressed size, which the decompressors
# would take for garbage.
extract_vmlinux() {
	local src=$1 dst=$2 sects off len magic dec

	sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$src" | tr -d ' ')
	read -r off len < <(od -An -tu4 -j $((0x248)) -N8 "$src")
	[ -n "$sects" ] && [ -n "$off" ] && [ -n "$len" ] || return 1
	[ "$sects" -eq 0 ] && sects=4
	off=$(( (sects + 1) * 512 + off ))
	magic=$(tail -c +$((off + 1)) "$src" | head -c 6 | od -An -tx1 | tr -d ' \n')
	case "$magic" in
	fd377a585a00) dec="xz -dc" ;;
	28b52ffd*) dec="zstd -dcq" ;;
	1f8b*) dec="gzip -dc" ;;
	425a68*) dec="bzip2 -dc" ;;
	5d0000*) dec="xz -dc --format=lzma" ;;
	02214c18*) dec="lz4 -dc" ;;
	894c5a4f*) dec="lzop -dc" ;;
	*) return 1 ;;
	esac
	command -v "${dec%% *}" >/dev/null || return 1
	tail -c +$((off + 1)) "$src" | head -c $((len - 4)) | $dec >"$dst.tmp" 2>/dev/null
	[ "$(head -c 4 "$dst.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || {
		rm -f "$dst.tmp"
		return 1
	}
	mv "$dst.tmp" "$dst"
}

KERNEL=$VMLINUZ
if [ "$(head -c 4 "$VMLINUZ" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
	msg "$VMLINUZ is an ELF vmlinux: booting it directly"
elif [ -s "$OUT/vmlinux" ] && [ "$OUT/vmlinux" -nt "$VMLINUZ" ]; then
	KERNEL=$OUT/vmlinux
elif extract_vmlinux "$VMLINUZ" "$OUT/vmlinux"; then
	msg "extracted $OUT/vmlinux"
	KERNEL=$OUT/vmlinux
else
	rm -f "$OUT/vmlinux"
	echo "run-vm[$KVER]: cannot extract vmlinux, booting the bzImage" >&2
fi

# ---------------------------------------------------------------- initramfs

# Modules needed to reach the 9p shares, in load order (builtins drop out).
deps=$(modprobe -d "$MODROOT" -S "$KVER" --show-depends -a \
		virtio_pci 9pnet_virtio 9p 2>&1) ||
	die "no virtio/9p modules found for $KVER in $MODROOT: $deps"
mapfile -t modpaths < <(awk '$1 == "insmod" && !seen[$2]++ { print $2 }' <<<"$deps")

# Host /etc files the guest needs.  /etc/alternatives is reduced to the links
# pointing into /usr (awk and friends); the rest is copied if present.
ETC_COPY=(ld.so.cache ld.so.conf ld.so.conf.d protocols services ethertypes
	  iproute2 strongswan.conf strongswan.d swanctl bird)

# Everything the image is made of, so that a change rebuilds it.
inputs_sum() {
	{
		cat "$VMDIR/initramfs-init"
		declare -f build_initramfs
		stat -L -c '%n %s %Y' "$(command -v busybox)" "${modpaths[@]}"
		for f in "${ETC_COPY[@]}"; do
			[ -e "/etc/$f" ] && find "/etc/$f" -printf '%p %s %T@ %l\n'
		done
		find /etc/alternatives -maxdepth 1 -type l -printf '%p %l\n'
	} 2>/dev/null | sha256sum | cut -d' ' -f1
}

build_initramfs() {
	local st=$OUT/initramfs.d p n=0 name

	rm -rf "$st"
	mkdir -p "$st"/{bin,modules,proc,sys,dev,newroot,skel/etc/alternatives}
	# Empty when virtio and 9p are built in (the debug kernel).
	: >"$st/modules/order"
	cp "$(command -v busybox)" "$st/bin/busybox"
	for a in sh mount insmod mkdir ln cp chmod cat echo sleep poweroff \
		 switch_root; do
		ln -s busybox "$st/bin/$a"
	done
	for p in "${modpaths[@]}"; do
		name=$(printf '%02d-%s' $n "$(basename "$p")")
		case "$p" in
		*.ko.xz) xz -dc "$p" >"$st/modules/${name%.xz}"; name=${name%.xz} ;;
		*.ko.zst) zstd -dcq "$p" >"$st/modules/${name%.zst}"; name=${name%.zst} ;;
		*.ko.gz) gzip -dc "$p" >"$st/modules/${name%.gz}"; name=${name%.gz} ;;
		*) cp "$p" "$st/modules/$name" ;;
		esac || return 1
		echo "$name" >>"$st/modules/order"
		n=$((n + 1))
	done
	install -m 0755 "$VMDIR/initramfs-init" "$st/init"

	local etc=$st/skel/etc
	for f in "${ETC_COPY[@]}"; do
		[ -e "/etc/$f" ] && cp -a "/etc/$f" "$etc/"
	done
	find /etc/alternatives -maxdepth 1 -type l -lname '/usr/*' \
	     -exec cp -a {} "$etc/alternatives/" \;
	cat >"$etc/passwd" <<EOF
root:x:0:0:root:/root:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
	cat >"$etc/group" <<EOF
root:x:0:
tty:x:5:
nogroup:x:65534:
EOF
	printf 'passwd: files\ngroup: files\nhosts: files\n' >"$etc/nsswitch.conf"
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost\n' >"$etc/hosts"
	echo vm >"$etc/hostname"
	: >"$etc/fstab"
	ln -s /proc/self/mounts "$etc/mtab"

	(cd "$st" && find . | cpio -o -H newc -R 0:0 --quiet) >"$OUT/initramfs.cpio.tmp" &&
		mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio" &&
		rm -rf "$st"
}

sum=$(inputs_sum)
if [ ! -s "$OUT/initramfs.cpio" ] || [ "$(cat "$OUT/initramfs.stamp" 2>/dev/null)" != "$sum" ]; then
	msg "building $OUT/initramfs.cpio"
	build_initramfs || die "initramfs build failed"
	echo "$sum" >"$OUT/initramfs.stamp"
fi

# ---------------------------------------------------------------- run

RESULTS=$OUT/results.ktap
CURRENT=$OUT/current.log
CONSOLE=$OUT/console.log
rm -f "$RESULTS" "$CURRENT" "$CONSOLE"

{
	printf 'KVER=%q\n' "$KVER"
	printf 'SRCDIR=%q\n' "$REPO"
	printf 'OUTDIR=%q\n' "$OUT"
	printf 'VPNECMP_KO=%q\n' "$KO"
	printf 'VPNECMP=%q\n' "$CLI"
	printf 'VPNECMP_TIMEOUT_SCALE=%q\n' "$SCALE"
	printf 'TESTS=('
	printf '%q ' "${entries[@]}"
	printf ')\n'
} >"$OUT/run.conf"

accel=tcg
[ "$SMP" -gt 1 ] && accel=tcg,thread=multi
cmdline="console=ttyS0 loglevel=5 panic=-1 mitigations=off"
cmdline="$cmdline vmrepo=$REPO vmrun=$OUT/run.conf"
[ -n "$GUEST_MODULES" ] && cmdline="$cmdline vmmodules=$GUEST_MODULES"
cmdline="$cmdline$APPEND"

qemu=(qemu-system-x86_64 -accel "$accel" -cpu max -smp "$SMP" -m "$MEM"
      -nographic -nodefaults -no-user-config -no-reboot
      -serial "file:$CONSOLE" -monitor none
      -kernel "$KERNEL" -initrd "$OUT/initramfs.cpio" -append "$cmdline"
      -fsdev "local,id=usr,path=/usr,security_model=none,readonly=on"
      -device "virtio-9p-pci,fsdev=usr,mount_tag=usr"
      -fsdev "local,id=repo,path=$REPO,security_model=none"
      -device "virtio-9p-pci,fsdev=repo,mount_tag=repo")

msg "booting $KERNEL (limit ${host_limit} s): ${tests[*]}"
tail_pid=
if [ "$VERBOSE" = 1 ]; then
	: >"$CONSOLE"
	tail -n +1 -F "$CONSOLE" >&2 2>/dev/null &
	tail_pid=$!
fi
start=$EPOCHREALTIME
timeout -k 5 "$host_limit" "${qemu[@]}" </dev/null >"$OUT/qemu.log" 2>&1
qrc=$?
wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
[ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null
msg "qemu exited with $qrc after ${wall} s"

# ---------------------------------------------------------------- report

indent() {
	local l
	while IFS= read -r l || [ -n "$l" ]; do
		printf '# %s\n' "$l"
	done
}

echo "KTAP version 1"
echo "1..${#tests[@]}"
echo "# kernel $KVER, console in ${CONSOLE#"$REPO"/}"

failed=0
reported=0
pending=()
if [ -f "$RESULTS" ]; then
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in
		"KTAP version"*|1..*) ;;
		"ok "*|"not ok "*)
			[ ${#pending[@]} -gt 0 ] && printf '%s\n' "${pending[@]}"
			pending=()
			echo "$line"
			reported=$((reported + 1))
			case "$line" in "not ok "*) failed=$((failed + 1)) ;; esac
			;;
		*) pending+=("$line") ;;
		esac
	done <"$RESULTS"
fi

if [ "$reported" -lt ${#tests[@]} ]; then
	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		why="guest killed after the host limit of ${host_limit} s"
		reason=hang
	elif grep -q 'Kernel panic' "$CONSOLE" 2>/dev/null; then
		why="guest kernel panicked"
		reason=crash
	else
		why="guest stopped early (qemu exit status $qrc)"
		reason=crash
	fi
	for ((i = reported; i < ${#tests[@]}; i++)); do
		t=${entries[$i]%%:*}
		if [ "$i" -eq "$reported" ]; then
			[ ${#pending[@]} -gt 0 ] && printf '%s\n' "${pending[@]}"
			if [ -s "$CURRENT" ]; then
				echo "# output so far:"
				indent <"$CURRENT"
			fi
			echo "# $why; console tail:"
			tail -n 40 "$CONSOLE" 2>/dev/null |
				sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\r//g' | indent
			if [ -s "$OUT/qemu.log" ]; then
				echo "# qemu:"
				indent <"$OUT/qemu.log"
			fi
			echo "# runner-fail: $reason"
		else
			echo "# runner-fail: not-run"
		fi
		echo "not ok $((i + 1)) $KVER:$t"
		failed=$((failed + 1))
	done
elif [ ${#pending[@]} -gt 0 ]; then
	printf '%s\n' "${pending[@]}"
fi

echo "# $KVER: ${#tests[@]} tests, $failed failed, wall ${wall} s"
[ "$failed" -eq 0 ]
