#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: does another namespace's load reach the gateway?
# vpnecmp's reaction latency in the gateway namespace (CGW of topo.sh,
# paths t1 and t2, hold-up 0), measured as in failover_latency.sh (nlbench
# lat: tunnel 1's SA deleted, until the RTM_NEWNEXTHOP without it), TRIALS
# times (default 100) in each of:
#   idle            nothing else runs
#   tenant-plain    an unprivileged user, in a user and network namespace of
#                   its own, replaces a nexthop that 1024 kernel nexthop
#                   groups use, as fast as "ip -batch" goes, without vpnecmp
#                   there: the kernel's own cost of that churn (every
#                   replace takes rtnl, which the gateway's replace needs)
#   tenant-vpnecmp  the same tenant with the maximum number of vpnecmp
#                   groups (1024), one per kernel group, TENANT_PATHS of
#                   them with a path (default 1): every replace makes the
#                   tenant's vpnecmp work re-read all 1024 groups
#                   (selftests/tenant_load.sh)
# The difference between the last two is what the tenant's vpnecmp adds to
# the gateway's failover.  Also printed: the tenant's churn rate (nexthop
# replaces/s) and its vpnecmp work runs.
# Results: build/bench/KVER/tenant.txt.  Never fails on numbers.
#
# timeout: 1500

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../topo.sh"
source "$(dirname "$0")/bench_lib.sh"

TRIALS=${TRIALS:-100}
TENANT_GROUPS=1024	# VPNECMP_MAX_GROUPS in module/netlink.c
# Groups of the tenant with a path: one is enough for its work to re-read
# every group on each replace; each path adds a read (and makes the setup
# quadratic under emulation).
TENANT_PATHS=${TENANT_PATHS:-1}

ktap_print_header
require_root
require_cmd ip jq unshare setpriv python3
require_cli
require_module
bench_require
unshare -Urn true 2>/dev/null || ktap_skip_all "no user namespaces"
ktap_set_plan 1
trap 'tenant_stop; topo_cleanup' EXIT
topo_setup || ktap_skip_all "topology setup failed"
sa_add 1 && sa_add 2 || ktap_skip_all "SA setup failed"
vpnecmp_std_paths "" hold-up 0 && wait_members "1 2" ||
	ktap_skip_all "vpnecmp setup failed"
rm -f "$BENCH_OUT/tenant.txt"

SA1="$(tun_local 1) $(tun_remote 1) $(spi_of 1 out) 1"

# tenant_start [plain]: the tenant, set up and churning.
tenant_start()
{
	TDIR=$(mktemp -d) && chmod 777 "$TDIR" || return 1
	setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		unshare -Urn bash "$SELFTESTS_DIR/tenant_load.sh" "$TDIR" \
		"$TENANT_GROUPS" "${1:-$TENANT_PATHS}" > "$TDIR/log" 2>&1 &
	TPID=$!
	busywait 600000 test -e "$TDIR/ready" || {
		ktap_print_msg "tenant not ready: $(cat "$TDIR/log" "$TDIR/setup" 2>/dev/null)"
		return 1
	}
	ktap_print_msg "tenant: $(tr '\n' ' ' < "$TDIR/setup")"
	T0=$EPOCHREALTIME
}

# tenant_stop [NAME]: stop it; with NAME, print its churn as a result line.
tenant_stop()
{
	local t1 ops r0 r1

	[ -n "${TPID:-}" ] || return 0
	t1=$EPOCHREALTIME
	touch "$TDIR/stop"
	wait "$TPID"
	TPID=
	if [ $# -gt 0 ]; then
		ops=$(awk '$1 == "churn_ops" { print $2 }' "$TDIR/result" 2>/dev/null)
		r0=$(awk '{ print $2 }' "$TDIR/ready")
		r1=$(awk '$1 == "work_runs" { print $2 }' "$TDIR/result" 2>/dev/null)
		result tenant.txt "$1 churn_ops=${ops:-0} churn_per_s=$(awk -v o="${ops:-0}" -v a="$T0" -v b="$t1" 'BEGIN { printf "%.0f", o / (b - a) }') tenant_work_runs=$(( ${r1:-0} - ${r0:-0} )) $(tr '\n' ' ' < "$TDIR/result" 2>/dev/null | sed 's/churn_ops [0-9]* //; s/work_runs [0-9]* //; s/groups_active /groups_active=/')"
	fi
	rm -rf "$TDIR"
}

echo "# kernel $(uname -r), $(nproc) vCPU, QEMU TCG (absolute times inflated; compare ratios)"
# shellcheck disable=SC2086 # SA1 is four words
result tenant.txt "$(nlb lat "idle" "$TRIALS" $SA1 100 1)"
for mode in plain vpnecmp; do
	if [ $mode = plain ]; then tenant_start plain; else tenant_start; fi ||
		{ tenant_stop; continue; }
	# shellcheck disable=SC2086
	result tenant.txt "$(nlb lat "tenant-$mode" "$TRIALS" $SA1 100 1)"
	tenant_stop "tenant-$mode-churn"
	wait_members "1 2" || ktap_print_msg "the gateway's group did not come back"
done
ktap_test_pass "failover latency beside a churning tenant measured"
ktap_finished
