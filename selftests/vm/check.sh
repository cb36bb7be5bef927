#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - run the vpnecmp selftests on every supported kernel.
#
#   selftests/vm/check.sh [-j JOBS] [-s SMP] [TEST...]
#
# Supported kernels, by series (selftests/vm/kernels.sh finds them):
#   6.1      Debian bookworm's kernel              full suite
#   6.12     bookworm's 6.12 (-security/-backports)  full suite
#   6.12-rt  the same with PREEMPT_RT                core tests
#   sid      Debian sid's newest (build/kernels/sid-KVER/, made by
#            scripts/sid-kernel.sh from "make deps")  core tests
# The full suite is "make -C selftests list-tests"; the core tests
# ("list-core-tests": module load, SA hook, bad input, failover, lifecycle)
# keep the run short on the kernels that only need to show the module works
# there.  The userspace-daemon scenarios ("list-one-tests") run after the
# full suite on the 6.12 series only (ONE_SERIES).  TESTs given on the
# command line run on every kernel instead.
# Each kernel gets one guest (run-vm.sh), JOBS guests at a time (default:
# the number of CPUs, each guest -smp SMP, default 2, or $VPNECMP_SMP).
# The one-kernel scenarios are a guest of their own on the 6.12 kernel
# ("KVER+one", state in build/vm/KVER+one/), started first as the longest
# guest, then the full suites, then the core suites: the slots stay busy
# to the end.  Two vCPUs (multi-threaded TCG) so that races.sh really runs
# the module's contexts in parallel within the one guest boot per kernel.
# A series with no kernel is reported as one skipped case with the reason
# (for sid, build/kernels/sid.unavailable when scripts/sid-kernel.sh
# failed), never as passed.  A kernel whose module was not built
# (build/KVER/vpnecmp.ko) is one failed case.
#
# Host tests, selftests/host/*.sh (dkms, install, man pages: no module is
# loaded), run here on the host after the guests, and are selected by TESTs
# named "host/NAME".  Without TESTs every guest and every host test runs;
# with TESTs, guests boot only when some TEST is not a host test.
#
# Output: each kernel's KTAP stream, whole and in kernel order, then one
# line "N passed, N failed, N skipped".
#
# What is counted, per kernel:
#   - every case line of a test script's own KTAP output ("# ok N ...",
#     "# not ok N ...", "# ok N ... # SKIP ..."), as passed, failed or
#     skipped;
#   - a script that printed no case line counts as one case, from the
#     runner's result line (ok, not ok, SKIP);
#   - a script the runner failed counts one more failed case when its own
#     cases don't show the failure: a runner finding other than its exit
#     status (splat, timeout, insmod, rmmod, left-loaded, hang, crash,
#     not-run), or a non-zero exit with no "not ok" case;
#   - a run-vm.sh that failed without reporting any "not ok" (bad test
#     name, broken setup) counts one failed case.
# Exit status: 0 when nothing failed, 1 otherwise.

set -u

VMDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$(dirname "$VMDIR")")
# shellcheck source=selftests/vm/kernels.sh
KERNELS_REPO=$REPO . "$VMDIR/kernels.sh"
SERIES=(6.1 6.12 6.12-rt sid)
# Series that run the core tests only (unless TESTs are given).
CORE_SERIES=" 6.12-rt sid "
# The series that also runs the one-kernel scenarios.
ONE_SERIES=6.12

JOBS=$(nproc 2>/dev/null || echo 1)
SMP=${VPNECMP_SMP:-2}
while getopts "j:s:h" opt; do
	case $opt in
	j) JOBS=$OPTARG ;;
	s) SMP=$OPTARG ;;
	*)
		echo "usage: ${0##*/} [-j JOBS] [-s SMP] [TEST...]" >&2
		exit 2 ;;
	esac
done
shift $((OPTIND - 1))

passed=0
failed=0
skipped=0

host_tests=()
guest_args=()
for t in "$@"; do
	case $t in
	host/*) host_tests+=("${t%.sh}.sh") ;;
	*) guest_args+=("$t") ;;
	esac
done
if [ $# -eq 0 ]; then
	for f in "$VMDIR"/../host/*.sh; do
		[ -f "$f" ] && host_tests+=("host/${f##*/}")
	done
fi

full=()
core=()
one=()
if [ $# -gt 0 ]; then
	full=("${guest_args[@]}")
	core=("${guest_args[@]}")
else
	mapfile -t full < <(make -s --no-print-directory -C "$REPO/selftests" list-tests)
	mapfile -t core < <(make -s --no-print-directory -C "$REPO/selftests" list-core-tests)
	mapfile -t one < <(make -s --no-print-directory -C "$REPO/selftests" list-one-tests)
fi

# missing_reason SERIES: why a series has no kernel.
missing_reason() {
	case "$1" in
	sid)
		if [ -s "$REPO/build/kernels/sid.unavailable" ]; then
			echo "no sid kernel: $(head -n 1 "$REPO/build/kernels/sid.unavailable")"
		else
			echo "no sid kernel in build/kernels/ (make deps runs scripts/sid-kernel.sh)"
		fi ;;
	*-rt)
		echo "no $1 kernel installed (linux-image-$1-amd64: make deps)" ;;
	*)
		echo "no $1 kernel installed (/boot/vmlinuz-$1.* and /usr/lib/modules/$1.*)" ;;
	esac
}

kernels=()
kseries=()
missing=()
for s in "${SERIES[@]}"; do
	found=0
	while read -r k; do
		[ -n "$k" ] || continue
		kernels+=("$k")
		kseries+=("$s")
		found=1
	done < <(kernel_series "$s")
	[ $found = 1 ] || missing+=("$s")
done
if [ $# -gt 0 ] && [ ${#guest_args[@]} -eq 0 ]; then
	kernels=()
	missing=()
fi

out=$REPO/build/vm
mkdir -p "$out" || exit 1

is_core() {
	[[ $CORE_SERIES == *" $1 "* ]]
}

# Run the guests, at most JOBS at a time: the one-kernel scenarios
# ("KVER+one", the longest guest) first, so that the other slots take the
# full suites and then the core suites beside it, then the full suites,
# then the core suites.
declare -A series_of
one_job=
jobs=()
for i in "${!kernels[@]}"; do
	series_of[${kernels[i]}]=${kseries[i]}
	is_core "${kseries[i]}" && continue
	jobs+=("${kernels[i]}")
	if [ "${kseries[i]}" = "$ONE_SERIES" ] && [ ${#one[@]} -gt 0 ] && [ -z "$one_job" ]; then
		one_job=${kernels[i]}
	fi
done
[ -n "$one_job" ] && jobs=("$one_job+one" "${jobs[@]}")
for i in "${!kernels[@]}"; do
	is_core "${kseries[i]}" && jobs+=("${kernels[i]}")
done

running=0
for name in "${jobs[@]}"; do
	k=${name%+one}
	rm -f "$out/$name.ktap" "$out/$name.stderr" "$out/$name.status"
	if [ ! -f "$REPO/build/$k/vpnecmp.ko" ]; then
		echo "$REPO/build/$k/vpnecmp.ko is not built (make modules-all)" >"$out/$name.stderr"
		echo 1 >"$out/$name.status"
		continue
	fi
	if [ "$name" != "$k" ]; then
		tests=("${one[@]}")
	elif is_core "${series_of[$k]}"; then
		tests=("${core[@]}")
	else
		tests=("${full[@]}")
	fi
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	(
		"$VMDIR/run-vm.sh" -s "$SMP" -d "$name" "$k" "${tests[@]}" \
			>"$out/$name.ktap" 2>"$out/$name.stderr"
		echo $? >"$out/$name.status"
	) &
	running=$((running + 1))
done
wait

# count_stream FILE STATUS: print the stream, add its cases to the totals.
count_stream() {
	local file=$1 status=$2 line
	local cp=0 cf=0 cs=0 top_fail=0 reasons=() r extra

	while IFS= read -r line || [ -n "$line" ]; do
		echo "$line"
		case "$line" in
		"# ok "[0-9]*"# SKIP"*) cs=$((cs + 1)) ;;
		"# ok "[0-9]*) cp=$((cp + 1)) ;;
		"# not ok "[0-9]*) cf=$((cf + 1)) ;;
		"# runner-fail: "*) reasons+=("${line#"# runner-fail: "}") ;;
		"ok "[0-9]*|"not ok "[0-9]*)
			passed=$((passed + cp))
			failed=$((failed + cf))
			skipped=$((skipped + cs))
			if [[ $line == "not ok "* ]]; then
				top_fail=$((top_fail + 1))
				extra=0
				[ $cf -eq 0 ] && extra=1
				for r in "${reasons[@]}"; do
					[ "$r" != exit ] && extra=1
				done
				failed=$((failed + extra))
			elif [ $((cp + cf + cs)) -eq 0 ]; then
				if [[ $line == *"# SKIP"* ]]; then
					skipped=$((skipped + 1))
				else
					passed=$((passed + 1))
				fi
			fi
			cp=0 cf=0 cs=0 reasons=()
			;;
		esac
	done <"$file"

	if [ "$status" -ne 0 ] && [ "$status" -ne 4 ] && [ $top_fail -eq 0 ]; then
		echo "# run-vm.sh failed with exit status $status"
		failed=$((failed + 1))
	fi
}

for s in "${missing[@]}"; do
	echo "KTAP version 1"
	echo "1..1"
	echo "ok 1 $s:selftests # SKIP $(missing_reason "$s")"
	skipped=$((skipped + 1))
done

# In kernel order, the one-kernel run right after its kernel's suite.
report=()
for k in "${kernels[@]}"; do
	report+=("$k")
	[ "$k" = "$one_job" ] && report+=("$k+one")
done
for k in "${report[@]}"; do
	status=$(cat "$out/$k.status" 2>/dev/null || echo 1)
	if [ -s "$out/$k.ktap" ]; then
		count_stream "$out/$k.ktap" "$status"
	else
		echo "KTAP version 1"
		echo "1..1"
		echo "# run-vm.sh printed nothing, exit status $status"
		echo "not ok 1 $k:run-vm.sh"
		failed=$((failed + 1))
	fi
	if [ -s "$out/$k.stderr" ]; then
		while IFS= read -r line; do
			echo "# $line"
		done <"$out/$k.stderr"
	fi
done

# Host tests: one KTAP block like a guest's, "ok N host:NAME" per script.
if [ ${#host_tests[@]} -gt 0 ]; then
	{
		echo "KTAP version 1"
		echo "1..${#host_tests[@]}"
		n=0
		for t in "${host_tests[@]}"; do
			n=$((n + 1))
			if [ ! -x "$REPO/selftests/$t" ]; then
				echo "# no such host test: selftests/$t"
				echo "not ok $n host:${t#host/}"
				continue
			fi
			(cd "$REPO/selftests/host" && timeout 900 "./${t#host/}") >"$out/host.log" 2>&1
			rc=$?
			sed 's/^/# /' "$out/host.log"
			case $rc in
			0) echo "ok $n host:${t#host/}" ;;
			4) echo "ok $n host:${t#host/} # SKIP" ;;
			*)
				echo "# runner-fail: exit"
				echo "not ok $n host:${t#host/}" ;;
			esac
		done
	} >"$out/host.ktap"
	count_stream "$out/host.ktap" 0
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
