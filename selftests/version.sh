#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module registers its generic netlink family as the uAPI header
# describes it (name "vpnecmp", one op per request command, the "events"
# multicast group), and the CLI talks to it: "vpnecmp version" answers in
# text and in JSON, with the version the module was built with.
#
# A failure means the family is registered incompletely or under other
# numbers than uapi/linux/vpnecmp.h (an op missing from the ops table, a
# renamed mcgrp: monitors would subscribe to nothing), or that the CLI and
# the module do not understand each other at the most basic request.

source "$(dirname "$0")/lib.sh"
set -u

UAPI=$SRCDIR/uapi/linux/vpnecmp.h

ktap_print_header
require_root
require_cmd genl jq
require_module

ktap_set_plan 7

ctrl=$(genl ctrl get name vpnecmp 2>&1)
rc=$?
if [ $rc -eq 0 ] && [[ $ctrl == *"Name: vpnecmp"* ]]; then
	ktap_test_pass "genl family vpnecmp registered"
else
	ktap_print_msg "$ctrl"
	ktap_test_fail "genl family vpnecmp registered"
fi

# Request commands are the VPNECMP_CMD_* enumerators but UNSPEC, the
# notifications (*_NTF) and the bounds; their value is their position.
expected=()
n=0
while read -r name; do
	name=${name%%,*}
	case "$name" in
	VPNECMP_CMD_UNSPEC) ;;
	__VPNECMP_CMD_MAX|VPNECMP_CMD_MAX*) break ;;
	*_NTF) ;;
	VPNECMP_CMD_*) expected+=("$(printf '0x%x' "$n")=$name") ;;
	esac
	[[ $name == VPNECMP_CMD_* ]] && n=$((n + 1))
done < <(sed -n '/VPNECMP_CMD_UNSPEC/,/__VPNECMP_CMD_MAX/p' "$UAPI")

RET=0
[ ${#expected[@]} -gt 0 ]
check_err $? "no VPNECMP_CMD_* found in $UAPI"
ops=$(sed -n '/commands supported/,/multicast groups/p' <<<"$ctrl")
for e in "${expected[@]}"; do
	[[ $ops =~ ID-${e%%=*}[[:space:]] ]]
	check_err $? "no op for ${e#*=} (${e%%=*})"
done
log_test "an op for each of the ${#expected[@]} request commands"

mcgrps=$(sed -n '/multicast groups/,$p' <<<"$ctrl")
[[ $mcgrps =~ name:[[:space:]]+events([[:space:]]|$) ]]
check_eq "multicast group \"events\"" 0 $?

modver=$(cat /sys/module/vpnecmp/version 2>/dev/null)

RET=0
out=$(vpnecmp version 2>&1)
check_err $? "vpnecmp version failed: $out"
[ -n "$out" ]
check_err $? "vpnecmp version printed nothing"
if [ -n "$modver" ]; then
	[[ $out == *"$modver"* ]]
	check_err $? "output does not mention the module version $modver: $out"
fi
log_test "vpnecmp version"

json=$(vpnecmp -j version 2>&1)
rc=$?
check_eq "vpnecmp -j version exits 0" 0 $rc || ktap_print_msg "$json"

RET=0
jq -e . >/dev/null 2>&1 <<<"$json"
check_err $? "not JSON: $json"
jq -e 'has("version") and (.version | type == "string" and length > 0)' \
	>/dev/null 2>&1 <<<"$json"
check_err $? "no string \"version\": $json"
if [ -n "$modver" ]; then
	[ "$(jq -r .version <<<"$json" 2>/dev/null)" = "$modver" ]
	check_err $? "\"version\" is not the module version $modver: $json"
fi
log_test "vpnecmp -j version: JSON with \"version\""

check_not "vpnecmp version rejects an extra argument" vpnecmp version bogus

ktap_finished
