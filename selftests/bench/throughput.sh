#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: forwarding throughput from the LAN through the
# gateway over both tunnels (ESP) to the cloud host, 16 UDP flows of
# 1400-byte datagrams sent as fast as flowgen goes, TP_SECS s per run,
# alternately with vpnecmp loaded and managing the group and with the
# module unloaded, TP_ROUNDS times each.  The module is not in the packet
# path: the two should differ by no more than the noise between rounds.
# Results: build/bench/KVER/throughput.txt.  Never fails on numbers.
#
# timeout: 300

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../topo.sh"
source "$(dirname "$0")/bench_lib.sh"

TP_SECS=${TP_SECS:-5}
TP_ROUNDS=${TP_ROUNDS:-3}
SIZE=1400

ktap_print_header
require_root
require_cmd ip jq
require_cli
require_module
bench_require
ktap_set_plan 1
trap 'topo_cleanup' EXIT
rm -f "$BENCH_OUT/throughput.txt"
topo_setup && sa_add 1 && sa_add 2 || ktap_skip_all "topology setup failed"

# run NAME: one measurement.
run()
{
	local rx=$TMPDIR/tp.rx sent

	coproc RX { exec ip netns exec "$AWS" "$BENCH_BIN/flowgen" recv \
		"$CLOUD_HOST" 9000 $((TP_SECS + 3)) "$rx"; }
	local rx_pid=$RX_PID
	read -r -t 10 _ <&"${RX[0]}"
	sent=$(ip netns exec "$LAN" env FLOWGEN_SIZE=$SIZE "$BENCH_BIN/flowgen" send \
		198.51.100.2 "$CLOUD_HOST" 9000 16 0 "$TP_SECS" "$TMPDIR/tp.tx")
	wait "$rx_pid"
	result throughput.txt "throughput-$1 $("$BENCH_BIN/flowgen" rate "$rx" "$TP_SECS" $SIZE) offered_$(echo "$sent" | grep -o 'pps=[0-9]*')"
	rm -f "$rx" "$TMPDIR/tp.tx"
}

echo "# kernel $(uname -r), $(nproc) vCPU"
for ((i = 1; i <= TP_ROUNDS; i++)); do
	if ! grep -q '^vpnecmp ' /proc/modules; then
		insmod "$VPNECMP_KO" || ktap_print_msg "insmod failed"
	fi
	vpnecmp_std_paths "" && wait_members "1 2" || ktap_print_msg "vpnecmp setup failed"
	run loaded
	vx path del t1 && vx path del t2 && vx group del g
	rmmod vpnecmp || ktap_print_msg "rmmod failed"
	ip -n "$CGW" nexthop replace id 100 group 1/2
	run unloaded
done
grep -q '^vpnecmp ' /proc/modules || insmod "$VPNECMP_KO"
ktap_test_pass "throughput measured"
ktap_finished
