#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test (no guest): Documentation/netlink/specs/vpnecmp.yaml is a valid
# YNL spec (the kernel's genetlink-legacy schema, from linux-source), gives
# every operation, attribute, enum entry and constant the number
# uapi/linux/vpnecmp.h gives it, and Documentation/netlink-api.rst names
# every one of them (spec_check.py).  A first case feeds the checker a spec
# with an operation and an attribute the header and page lack, so that it
# cannot pass by checking nothing.
#
# A failure means the spec, the header and the reference page disagree: a
# client generated from the spec, or written from the page, would send or
# read the wrong numbers.

# shellcheck source=lib.sh
source "$(dirname "$0")/../lib.sh"
set -u

ktap_print_header
require_cmd python3 cc
python3 -c 'import yaml, jsonschema' 2>/dev/null ||
	ktap_skip_all "python3-yaml or python3-jsonschema not installed"
"$SRCDIR/scripts/ynl.sh"
SCHEMA=$SRCDIR/build/ynl/Documentation/netlink/genetlink-legacy.yaml
[ -f "$SCHEMA" ] || ktap_skip_all "no YNL schema: linux-source missing"

CHECK=$SELFTESTS_DIR/host/spec_check.py
SPEC=$SRCDIR/Documentation/netlink/specs/vpnecmp.yaml
HDR=$SRCDIR/uapi/linux/vpnecmp.h
RST=$SRCDIR/Documentation/netlink-api.rst
ktap_set_plan 2

tmp=$(mktemp -d /tmp/vpnecmp-spec.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

python3 - "$SPEC" "$tmp/bad.yaml" <<'END'
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))
spec["operations"]["list"].append({"name": "frobnicate", "attribute-set": "vpnecmp",
                                   "do": {"request": {"attributes": ["group"]}}})
spec["attribute-sets"][0]["attributes"].append({"name": "bogus-attr", "type": "u32"})
yaml.safe_dump(spec, open(sys.argv[2], "w"))
END
out=$(python3 "$CHECK" "$tmp/bad.yaml" "$HDR" "$RST" "$SCHEMA" 2>&1)
rc=$?
# shellcheck disable=SC2016 # literal backquotes
if [ $rc -ne 0 ] && grep -q VPNECMP_CMD_FROBNICATE <<<"$out" &&
   grep -q VPNECMP_A_BOGUS_ATTR <<<"$out" && grep -qF '``FROBNICATE``' <<<"$out"; then
	ktap_test_pass "a spec with an unknown operation and attribute is refused"
else
	ktap_print_msg "$out"
	ktap_test_fail "a spec with an unknown operation and attribute is refused"
fi

check "vpnecmp.yaml: valid, and agrees with the uapi header and netlink-api.rst" \
	python3 "$CHECK" "$SPEC" "$HDR" "$RST" "$SCHEMA"

ktap_finished
