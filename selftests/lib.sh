# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh - shared helpers for the vpnecmp selftests.  Source it first:
#
#	source "$(dirname "$0")/lib.sh"
#
# Output is KTAP: ktap_print_header, ktap_set_plan N, one ktap_test_* (or
# check* / log_test) per case, ktap_finished.  Exit codes follow kselftest:
# 0 pass, 1 fail, 4 skip.
#
# Environment (set by selftests/vm/run-vm.sh; defaults for a manual run):
#   VPNECMP_KO  the module, build/$(uname -r)/vpnecmp.ko
#   VPNECMP     the CLI, userspace/vpnecmp
#   SRCDIR      the repository

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

SELFTESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SRCDIR:=$(dirname "$SELFTESTS_DIR")}"
: "${VPNECMP_KO:=$SRCDIR/build/$(uname -r)/vpnecmp.ko}"
: "${VPNECMP:=$SRCDIR/userspace/vpnecmp}"
export SRCDIR VPNECMP_KO VPNECMP

# Every netns made by setup_ns, for cleanup_all_ns.
NS_LIST=()

# ------------------------------------------------------------------ KTAP

_ktap_header=0
_ktap_plan=-1
_ktap_n=0
_ktap_pass=0
_ktap_fail=0
_ktap_skip=0

ktap_print_header() {
	[ "$_ktap_header" = 1 ] && return
	echo "KTAP version 1"
	_ktap_header=1
}

ktap_set_plan() {
	_ktap_plan=$1
	echo "1..$1"
}

# ktap_print_msg MSG...: a diagnostic line.
ktap_print_msg() {
	local l
	while IFS= read -r l; do
		echo "# $l"
	done <<<"$*"
}

ktap_test_pass() {
	_ktap_n=$((_ktap_n + 1))
	_ktap_pass=$((_ktap_pass + 1))
	echo "ok $_ktap_n $1"
}

ktap_test_fail() {
	_ktap_n=$((_ktap_n + 1))
	_ktap_fail=$((_ktap_fail + 1))
	echo "not ok $_ktap_n $1"
}

# ktap_test_skip DESC [REASON]
ktap_test_skip() {
	_ktap_n=$((_ktap_n + 1))
	_ktap_skip=$((_ktap_skip + 1))
	echo "ok $_ktap_n $1 # SKIP${2:+ $2}"
}

# ktap_skip_all REASON: skip the whole test (or what is left of its plan)
# and exit 4, or 1 if some case already failed.
ktap_skip_all() {
	ktap_print_header
	if [ "$_ktap_plan" -lt 0 ]; then
		echo "1..0 # SKIP $1"
		exit $KSFT_SKIP
	fi
	while [ "$_ktap_n" -lt "$_ktap_plan" ]; do
		ktap_test_skip "not run" "$1"
	done
	ktap_finished
}

# ktap_finished: totals, then exit 1 if a case failed, 4 if every case was
# skipped, 0 otherwise.  A run that did not match its plan fails.
ktap_finished() {
	if [ "$_ktap_plan" -ge 0 ] && [ "$_ktap_n" -ne "$_ktap_plan" ]; then
		echo "# planned $_ktap_plan cases, ran $_ktap_n"
		_ktap_fail=$((_ktap_fail + 1))
	fi
	echo "# Totals: pass:$_ktap_pass fail:$_ktap_fail skip:$_ktap_skip"
	echo "# $_ktap_pass passed, $_ktap_fail failed, $_ktap_skip skipped"
	[ "$_ktap_fail" -gt 0 ] && exit $KSFT_FAIL
	[ "$_ktap_pass" -eq 0 ] && [ "$_ktap_skip" -gt 0 ] && exit $KSFT_SKIP
	exit $KSFT_PASS
}

# ------------------------------------------------------------------ checks

# One-shot checks: each is one KTAP case.  On failure the command, its
# output and status are printed as diagnostics.
_check_report() {
	local desc=$1 ok=$2 rc=$3 out=$4
	shift 4
	if [ "$ok" = 1 ]; then
		ktap_test_pass "$desc"
		return 0
	fi
	ktap_print_msg "command: $*"
	[ -n "$out" ] && ktap_print_msg "$out"
	ktap_print_msg "exit status $rc"
	ktap_test_fail "$desc"
	return 1
}

# check DESC CMD...: passes when CMD succeeds.
check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	_check_report "$desc" $((rc == 0)) $rc "$out" "$@"
}

# check_not DESC CMD...: passes when CMD fails.
check_not() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	_check_report "$desc" $((rc != 0)) $rc "$out" "$@"
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ktap_test_pass "$1"
		return 0
	fi
	ktap_print_msg "expected '$2', got '$3'"
	ktap_test_fail "$1"
	return 1
}

# Multi-step cases: RET=0, then check_err/check_fail after each step, then
# log_test DESC reports the case with the first failure's message.
RET=0
RETMSG=

# check_err RC MSG: the step should have succeeded.
check_err() {
	if [ "$1" -ne 0 ] && [ "$RET" -eq 0 ]; then
		RET=$1
		RETMSG=$2
	fi
}

# check_fail RC MSG: the step should have failed.
check_fail() {
	if [ "$1" -eq 0 ] && [ "$RET" -eq 0 ]; then
		RET=1
		RETMSG=$2
	fi
}

log_test() {
	if [ "$RET" -eq 0 ]; then
		ktap_test_pass "$1"
	else
		[ -n "$RETMSG" ] && ktap_print_msg "$RETMSG"
		ktap_test_fail "$1"
	fi
	local rc=$RET
	RET=0
	RETMSG=
	return "$rc"
}

# busywait TIMEOUT_MS CMD...: run CMD until it succeeds or TIMEOUT_MS have
# passed; returns CMD's last status.  For waiting on asynchronous state,
# never for asserting how fast something happens.  TIMEOUT_MS is multiplied
# by $VPNECMP_TIMEOUT_SCALE (the runner's --timeout-scale, for debug kernels).
busywait() {
	local timeout_ms=$(($1 * ${VPNECMP_TIMEOUT_SCALE:-1})) start rc now
	shift
	start=${EPOCHREALTIME/./}
	while :; do
		"$@"
		rc=$?
		[ $rc -eq 0 ] && return 0
		now=${EPOCHREALTIME/./}
		[ $(((now - start) / 1000)) -ge "$timeout_ms" ] && return $rc
		sleep 0.1
	done
}

# ------------------------------------------------------------------ requirements

require_root() {
	[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
}

# require_cmd CMD...
require_cmd() {
	local c
	for c; do
		command -v "$c" >/dev/null || ktap_skip_all "$c is not installed"
	done
}

require_cli() {
	[ -x "$VPNECMP" ] || ktap_skip_all "the CLI $VPNECMP is not built"
}

# require_module: the module is loaded (the VM runner loads it), or can be
# loaded now.
require_module() {
	module_loaded && return 0
	[ -f "$VPNECMP_KO" ] || ktap_skip_all "the module $VPNECMP_KO is not built"
	load_module || ktap_skip_all "cannot load $VPNECMP_KO"
}

# ------------------------------------------------------------------ module

module_loaded() {
	local name _
	while read -r name _; do
		[ "$name" = vpnecmp ] && return 0
	done </proc/modules
	return 1
}

load_module() {
	insmod "$VPNECMP_KO"
}

unload_module() {
	rmmod vpnecmp
}

# genl_family_present: the kernel knows the "vpnecmp" genl family.
genl_family_present() {
	genl ctrl get name vpnecmp >/dev/null 2>&1
}

vpnecmp() {
	"$VPNECMP" "$@"
}

# ------------------------------------------------------------------ netns

# setup_ns VAR...: create one netns per VAR, named "VAR-<random>", with lo
# up, and store its name in VAR.
setup_ns() {
	local var ns
	for var; do
		ns=$var-$(printf '%04x%04x' $RANDOM $RANDOM)
		ip netns add "$ns" || return 1
		NS_LIST+=("$ns")
		ip -n "$ns" link set lo up || return 1
		printf -v "$var" '%s' "$ns"
	done
}

cleanup_all_ns() {
	local ns
	[ ${#NS_LIST[@]} -eq 0 ] && return 0
	for ns in "${NS_LIST[@]}"; do
		echo "netns delete $ns"
	done | ip -force -batch - 2>/dev/null
	NS_LIST=()
}
