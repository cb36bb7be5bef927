#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vpnecmp: noload
# timeout: 180
#
# Load and unload the module 20 times in a row.  After every insmod the
# generic netlink family "vpnecmp" must be registered, after every rmmod it
# must be gone, and at the end nothing of the module may remain.
#
# A failure means module init or exit is unbalanced: the family (or another
# registration: pernet ops, the XFRM key manager, notifiers) is leaked or
# registered twice, the init error path does not unwind, or exit leaves a
# reference behind so that rmmod fails.  Such a module cannot be upgraded
# or removed on a running gateway; the runner's kernel log scan catches the
# splats that usually come with it.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
set -u

ROUNDS=20

ktap_print_header
require_root
require_cmd insmod rmmod genl
[ -f "$VPNECMP_KO" ] || ktap_skip_all "the module $VPNECMP_KO is not built"
if module_loaded; then
	unload_module || ktap_skip_all "vpnecmp is loaded and cannot be removed"
fi

ktap_set_plan 5

check_not "family absent before the first load" genl_family_present

load_fail=0
visible_fail=0
unload_fail=0
gone_fail=0
for ((i = 1; i <= ROUNDS; i++)); do
	if ! out=$(load_module 2>&1); then
		ktap_print_msg "round $i: insmod failed: $out"
		load_fail=$((load_fail + 1))
		continue
	fi
	if ! genl_family_present; then
		ktap_print_msg "round $i: family not registered after insmod"
		visible_fail=$((visible_fail + 1))
	fi
	if ! out=$(unload_module 2>&1); then
		ktap_print_msg "round $i: rmmod failed: $out"
		unload_fail=$((unload_fail + 1))
		break
	fi
	if genl_family_present; then
		ktap_print_msg "round $i: family still registered after rmmod"
		gone_fail=$((gone_fail + 1))
	fi
done

check_eq "insmod succeeds $ROUNDS times" 0 "$load_fail"
check_eq "family registered after every insmod" 0 "$visible_fail"
check_eq "rmmod succeeds after every insmod, family gone after it" \
	 0 "$((unload_fail + gone_fail))"

module_loaded
check_fail $? "vpnecmp still in /proc/modules"
[ -e /sys/module/vpnecmp ]
check_fail $? "/sys/module/vpnecmp still exists"
genl_family_present
check_fail $? "family \"vpnecmp\" still registered"
log_test "nothing left after the last rmmod"

ktap_finished
