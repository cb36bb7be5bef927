#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job (make demo): runs in a guest, on the two-tunnel topology of
# topo.sh with a resilient group.  demo.py sends traffic, fails tunnel 1,
# restores it, and prints the timeline, with vpnecmp and then without.
# Results go to build/demo/ (timeline.txt, packets-*.dat, packets.png).
#
# timeout: 240

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../topo.sh"

OUT=$SRCDIR/build/demo
ktap_print_header
require_root
require_cmd ip jq python3
require_cli
require_module
ktap_set_plan 1
trap topo_cleanup EXIT
TOPO_GROUP=resilient
topo_setup || ktap_skip_all "topology setup failed"
sa_add 1 && sa_add 2 && vpnecmp_std_paths "" hold-up 1000 ||
	ktap_skip_all "vpnecmp setup failed"
busywait 10000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id 100 | jq '.[0].group | length')\" = 2 ]"

del="ip -n $CGW xfrm state delete src $(tun_local 1) dst $(tun_remote 1) proto esp spi $(spi_of 1 out) mark 1"
add="ip -n $CGW -batch - <<'EOS'
$(sa_line 1 out "$(spi_of 1 out)")
EOS"
# Without vpnecmp: forget the paths, give the kernel group both tunnels back.
unmanage="$VPNECMP -n $CGW path del t1 && $VPNECMP -n $CGW path del t2 &&
	$VPNECMP -n $CGW group del g &&
	ip -n $CGW nexthop replace id 100 group 1/2 type resilient"

mkdir -p "$OUT"
if python3 "$SELFTESTS_DIR/demo/demo.py" "$CGW" "$LAN" "$AWS" "$OUT" \
	"$del" "$add" "$VPNECMP" "$unmanage"; then
	if command -v gnuplot >/dev/null; then
		gnuplot <<-EOF 2>/dev/null
		set terminal png size 900,600
		set output "$OUT/packets.png"
		set multiplot layout 2,1
		set xlabel "time (s)"; set ylabel "packets / 100 ms"
		set arrow from 2,graph 0 to 2,graph 1 nohead dt 2
		set arrow from 5,graph 0 to 5,graph 1 nohead dt 2
		set title "with vpnecmp: tunnel 1 fails at 2 s, returns at 5 s"
		plot "$OUT/packets-with.dat" using 1:2 with steps title "tunnel 1", \
		     "" using 1:3 with steps title "tunnel 2"
		set title "without vpnecmp"
		plot "$OUT/packets-without.dat" using 1:2 with steps title "tunnel 1", \
		     "" using 1:3 with steps title "tunnel 2"
		unset multiplot
		EOF
	fi
	ktap_test_pass "demo"
else
	ktap_test_fail "demo"
fi
ktap_finished
