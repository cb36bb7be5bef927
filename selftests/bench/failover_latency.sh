#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: the time from the deletion of tunnel 1's outbound
# SA to the kernel nexthop group being replaced, over TRIALS (default 50)
# trials in one guest run, median and worst.  Prints numbers; it never fails
# on them (exit 0 when the measurement ran).
#
# timeout: 600

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../topo.sh"

TRIALS=${TRIALS:-50}

ktap_print_header
require_root
require_cmd ip jq python3
require_cli
require_module
ktap_set_plan 1
trap topo_cleanup EXIT
topo_setup || ktap_skip_all "topology setup failed"
sa_add 1 && sa_add 2 && vpnecmp_std_paths "" hold-up 0 ||
	ktap_skip_all "vpnecmp setup failed"
busywait 10000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id 100 | jq '.[0].group | length')\" = 2 ]"

del="ip xfrm state delete src $(tun_local 1) dst $(tun_remote 1) proto esp spi $(spi_of 1 out) mark 1"
add="ip -batch - <<'EOS'
$(sa_line 1 out "$(spi_of 1 out)")
EOS"
echo "# kernel $(uname -r), $(nproc) vCPU, QEMU TCG (absolute times inflated; compare ratios)"
if ip netns exec "$CGW" python3 "$SELFTESTS_DIR/bench/latency.py" "$TRIALS" "$del" "$add" |
	sed 's/^/# /'; then
	ktap_test_pass "failover latency measured"
else
	ktap_test_fail "failover latency measured"
fi
ktap_finished
