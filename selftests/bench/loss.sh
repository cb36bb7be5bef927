#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: packet loss during a failover.  FLOWS UDP flows
# (default 256; flowgen.c) from the LAN to the cloud host at PPS packets per
# second each, over both tunnels of topo.sh with a resilient group.  At
# FAULT_AT s tunnel 1 fails, at RESTORE_AT s it returns (on the sender's
# clock); the receiver notes the tunnel every packet came through.
# Scenarios (one function pair each, fault_NAME / restore_NAME):
#   sa     CGW's outbound SA of tunnel 1 is deleted (and re-added)
#   dpd    the far end loses tunnel 1 (AWS's SA deleted: a blackhole the
#          gateway's own SAs do not show) and the IKE daemon reports DPD
#          dead ("vpnecmp event t1 dpd down"), then alive again
#   probe  tunnel 1's ESP blackholed in the underlay (SAs and IKE fine),
#          found by the prober of "vpnecmp daemon" (100 ms x 3)
# each with vpnecmp managing the group and without (a static group, as on
# a gateway today).  Results: build/bench/KVER/loss.txt and loss-*.dat
# (packets per tunnel per 100 ms around the fault).  Never fails on numbers.
#
# timeout: 600

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../topo.sh"
source "$(dirname "$0")/bench_lib.sh"

FLOWS=${FLOWS:-256}
PPS=${PPS:-5}
FAULT_AT=${FAULT_AT:-3}
RESTORE_AT=${RESTORE_AT:-6}
DURATION=${DURATION:-10}

ktap_print_header
require_root
require_cmd ip jq
require_cli
require_module
bench_require
ktap_set_plan 1
trap 'topo_cleanup' EXIT
rm -f "$BENCH_OUT"/loss.txt "$BENCH_OUT"/loss-*.dat

# fault_NAME / restore_NAME print the shell command that breaks / mends
# tunnel 1 and writes the CLOCK_MONOTONIC time it did so to the file $1;
# the sender runs it at FAULT_AT / RESTORE_AT s on its own clock.
fault_sa()
{
	echo "ip netns exec $CGW $BENCH_BIN/nlbench sa del $(tun_local 1)" \
		"$(tun_remote 1) $(spi_of 1 out) 1 > $1"
}

restore_sa()
{
	echo "ip netns exec $CGW $BENCH_BIN/nlbench sa add $(tun_local 1)" \
		"$(tun_remote 1) $(spi_of 1 out) 1 > $1"
}

# The IKE daemon's report follows the fault at once (its detection time,
# 30 s of DPD at AWS, is not what is measured here).
fault_dpd()
{
	echo "ip netns exec $AWS $BENCH_BIN/nlbench sa del $(tun_local 1)" \
		"$(tun_remote 1) $(spi_of 1 out) 1 > $1" \
		"$([ "$MANAGED" = 1 ] && echo "; $VPNECMP -n $CGW event t1 dpd down")"
}

restore_dpd()
{
	echo "ip netns exec $AWS $BENCH_BIN/nlbench sa add $(tun_local 1)" \
		"$(tun_remote 1) $(spi_of 1 out) 1 > $1" \
		"$([ "$MANAGED" = 1 ] && echo "; $VPNECMP -n $CGW event t1 dpd up")"
}

# Nothing is reported: the daemon's prober has to find it.
fault_probe()
{
	echo "ip netns exec $AWS tc qdisc add dev u1 clsact &&" \
		"ip netns exec $AWS tc filter add dev u1 ingress protocol ip" \
		"u32 match ip protocol 50 0xff action drop; $BENCH_BIN/nlbench now > $1"
}

restore_probe()
{
	echo "ip netns exec $AWS tc qdisc del dev u1 clsact; $BENCH_BIN/nlbench now > $1"
}

SCENARIOS=${SCENARIOS:-"sa dpd probe"}

# phase SCENARIO MANAGED
phase()
{
	local sc=$1 name rx tx if1 if2 fault restore out rx_pid

	MANAGED=$2
	name=$sc-$([ "$MANAGED" = 1 ] && echo vpnecmp || echo static)
	# shellcheck disable=SC2034 # read by topo_setup
	TOPO_GROUP=resilient
	topo_setup && sa_add 1 && sa_add 2 || {
		ktap_print_msg "$name: setup failed"
		topo_cleanup
		return
	}
	if [ "$MANAGED" = 1 ] && [ "$sc" = probe ]; then
		TMPDIR_T=$TMPDIR DAEMON_LOG=$TMPDIR/daemon.log
		DAEMON_HOLD=500 daemon_conf "$TMPDIR/vpnecmp.conf" \
			"probe t1 icmp 203.0.113.2" "probe t2 icmp 203.0.113.6"
		daemon_start "$TMPDIR/vpnecmp.conf" && wait_members "1 2" ||
			ktap_print_msg "$name: vpnecmp daemon setup failed"
	elif [ "$MANAGED" = 1 ]; then
		vpnecmp_std_paths "type resilient" signals sa,dpd hold-up 500 &&
			wait_members "1 2" || ktap_print_msg "$name: vpnecmp setup failed"
	fi
	if1=$(ip -n "$AWS" -j link show t1 | jq '.[0].ifindex')
	if2=$(ip -n "$AWS" -j link show t2 | jq '.[0].ifindex')
	rx=$TMPDIR/$name.rx
	tx=$TMPDIR/$name.tx

	# Neighbours resolved before the clock starts (unresolved ones queue
	# only 3 packets: the rest would count as lost).
	ip netns exec "$LAN" "$BENCH_BIN/flowgen" send 198.51.100.2 "$CLOUD_HOST" \
		9001 "$FLOWS" 2 1 /dev/null > /dev/null
	coproc RX { exec ip netns exec "$AWS" "$BENCH_BIN/flowgen" recv \
		"$CLOUD_HOST" 9000 $((DURATION + 5)) "$rx"; }
	rx_pid=$RX_PID
	read -r -t 10 _ <&"${RX[0]}"
	ip netns exec "$LAN" env FLOWGEN_AT1="$FAULT_AT" \
		FLOWGEN_CMD1="$("fault_$sc" "$TMPDIR/fault")" \
		FLOWGEN_AT2="$RESTORE_AT" \
		FLOWGEN_CMD2="$("restore_$sc" "$TMPDIR/restore")" \
		"$BENCH_BIN/flowgen" send 198.51.100.2 "$CLOUD_HOST" 9000 "$FLOWS" \
		"$PPS" "$DURATION" "$tx" > "$TMPDIR/$name.sent"
	wait "$rx_pid"
	fault=$(head -n1 "$TMPDIR/fault")
	restore=$(head -n1 "$TMPDIR/restore")
	rm -f "$TMPDIR/fault" "$TMPDIR/restore"
	out=$("$BENCH_BIN/flowgen" analyze "$tx" "$rx" "$FLOWS" "$fault" "$restore" \
		"$if1" "$if2" 200 "$BENCH_OUT/loss-$name.dat")
	result loss.txt "loss-$name $(cut -d' ' -f2- "$TMPDIR/$name.sent") $(echo "$out" | head -n1)"
	if [ "$MANAGED" = 1 ]; then
		local st
		st=$(vx -j path show | jq -r '.[] | .name + "=" + .state' | tr '\n' ' ')
		result loss.txt "loss-$name-paths $st"
	fi
	rm -f "$rx" "$tx"
	daemon_stop
	topo_cleanup
}

echo "# kernel $(uname -r), $FLOWS flows x $PPS pps, fault at $FAULT_AT s, return at $RESTORE_AT s"
for sc in $SCENARIOS; do
	phase "$sc" 1
	phase "$sc" 0
done
ktap_test_pass "packet loss measured"
ktap_finished
