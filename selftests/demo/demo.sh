#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job (make demo): runs in a guest, on the two-tunnel topology of
# topo.sh with a resilient group and real strongSwan tunnels (two charons,
# IKEv2, XFRM interfaces).  "vpnecmp daemon" follows charon and probes each
# tunnel every 100 ms.  demo.py sends traffic, makes the cloud end of
# tunnel 1 go silent (everything dropped in the underlay: the gateway's SAs
# stay, as when a cloud endpoint dies), restores it, and prints the
# timeline, with vpnecmp and then without.  Results go to build/demo/
# (timeline.txt, packets-*.dat, packets.png: per 100 ms, the packets each
# tunnel carried and, as red bars, those lost).
#
# timeout: 300

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../topo.sh"
source "$(dirname "$0")/../daemons.sh"

OUT=$SRCDIR/build/demo
ktap_print_header
require_root
require_cmd ip jq python3 tc
require_cli
require_module
ktap_set_plan 1
# tc's modules now, not on first use in the middle of the timeline
modprobe -a sch_ingress cls_matchall act_gact 2>/dev/null
TMPDIR_T=$(mktemp -d)
trap 'daemon_stop; daemons_stop; topo_cleanup; rm -rf "$TMPDIR_T"' EXIT
TOPO_GROUP=resilient TOPO_KIND=xfrm TOPO_IKE=1
topo_setup || ktap_skip_all "topology setup failed"
swanctl_conf cgw "$TMPDIR_T/cgw.swanctl.conf"
swanctl_conf aws "$TMPDIR_T/aws.swanctl.conf"
charon_start aws "$TMPDIR_T/aws.swanctl.conf" && charon_start cgw "$TMPDIR_T/cgw.swanctl.conf" ||
	ktap_skip_all "strongSwan did not start"
DAEMON_HOLD=1000 daemon_conf "$TMPDIR_T/vpnecmp.conf" \
	"strongswan socket $TMPDIR_T/cgw/charon.vici" \
	"ike t1 conn tun-1 child tun-1" "ike t2 conn tun-2 child tun-2" \
	"probe t1 icmp 203.0.113.2" "probe t2 icmp 203.0.113.6"
daemon_start "$TMPDIR_T/vpnecmp.conf" || ktap_skip_all "vpnecmp daemon did not start"
busywait 60000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show | jq -r '[.[].state] | join(\" \")')\" = 'up up' ]" ||
	ktap_skip_all "the tunnels did not come up"

# The cloud end of tunnel 1 goes silent, then comes back.
# One tc process: the fault starts when the timeline says.
del="printf '%s\\n' 'qdisc add dev u1 clsact' 'filter add dev u1 ingress matchall action drop' \
	'filter add dev u1 egress matchall action drop' | ip netns exec $AWS tc -batch -"
add="ip netns exec $AWS tc qdisc del dev u1 clsact"
# Without vpnecmp: no daemon, no paths, the kernel group has both tunnels.
# Tunnel 1 is back (new SAs, probes answered, hold-up) before that run.
unmanage="for i in \$(seq 150); do
		[ \"\$($VPNECMP -n $CGW -j path show t1 | jq -r '.[0].state')\" = up ] && break
		sleep 0.2
	done
	kill -TERM $DAEMON_PID && sleep 0.5 && $VPNECMP -n $CGW path del t1 &&
	$VPNECMP -n $CGW path del t2 && $VPNECMP -n $CGW group del g &&
	ip -n $CGW nexthop replace id 100 group 1/2 type resilient"

mkdir -p "$OUT"
if python3 "$SELFTESTS_DIR/demo/demo.py" "$CGW" "$LAN" "$AWS" "$OUT" \
	"$del" "$add" "$VPNECMP" "$unmanage" \
	"the cloud end of tunnel 1 goes silent (all its packets dropped in the underlay)" \
	"the cloud end of tunnel 1 answers again"; then
	if command -v gnuplot >/dev/null; then
		gnuplot <<-EOF 2>/dev/null
		set terminal png size 900,600
		set output "$OUT/packets.png"
		set multiplot layout 2,1
		set xlabel "time (s)"; set ylabel "packets / 100 ms"
		set arrow from 2,graph 0 to 2,graph 1 nohead dt 2
		set arrow from 5,graph 0 to 5,graph 1 nohead dt 2
		set title "with vpnecmp: tunnel 1 fails at 2 s, returns at 5 s"
		set key outside right
		set style fill solid 0.5 noborder
		set xrange [0:8]
		set boxwidth 0.1
		plot "$OUT/packets-with.dat" using (\$1 + 0.05):4 with boxes lc rgb "red" title "lost", \
		     "" using 1:2 with steps lw 2 title "tunnel 1", \
		     "" using 1:3 with steps lw 2 title "tunnel 2"
		set title "without vpnecmp"
		plot "$OUT/packets-without.dat" using (\$1 + 0.05):4 with boxes lc rgb "red" title "lost", \
		     "" using 1:2 with steps lw 2 title "tunnel 1", \
		     "" using 1:3 with steps lw 2 title "tunnel 2"
		unset multiplot
		EOF
	fi
	ktap_test_pass "demo"
else
	ktap_test_fail "demo"
fi
ktap_finished
