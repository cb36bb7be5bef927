#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: LAN-to-cloud packet loss on a pair of gateways
# with keepalived (Documentation/two-gateways.rst; topology of
# selftests/pair_topo.sh, the guide's files).  NFLOWS UDP flows from the LAN
# host that routes through gw-a's virtual address, PPS packets per second
# each (flowgen.c), while gw-a:
#   sa     loses both tunnels' outbound SAs (the IKE SAs died)
#   probe  has both tunnels blackholed in the underlay, SAs intact
#   dies   dies (daemons killed, LAN and underlay links down), and returns
#          4 s later (boot order: tunnels, vpnecmp, keepalived)
# each with
#   both        the guide's files: all-down fallback over the pair link and
#               the VRRP track file
#   fallback    the fallback alone (keepalived does not read the track file)
#   track       the track file alone (all-down keep: no fallback)
#   keepalived  no vpnecmp: keepalived with a track_script that pings both
#               tunnels every second (interval 1, fall 1, rise 1, timeout
#               2), as gateways are set up today
# RUNS="MODE:SCENARIO ..." runs only those.  One line per run: packets lost in all, the last loss after the fault (in
# ms, from the moment the fault was injected, on the guest's clock), and
# for "dies" the packets lost after the return.  Results:
# build/bench/KVER/pair_loss.txt.  Never fails on numbers.
#
#   selftests/vm/run-vm.sh -s 2 -m 512 KVER bench/pair_loss.sh
#
# timeout: 1800

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pair_topo.sh"
source "$(dirname "$0")/bench_lib.sh"

NFLOWS=${NFLOWS:-16}
PPS=${PPS:-50}
MODES=${MODES:-"both fallback track keepalived"}
SCENARIOS=${SCENARIOS:-"sa probe dies"}

ktap_print_header
require_root
require_cmd ip jq python3 keepalived unshare tc ping
require_cli
require_module
bench_require
ktap_set_plan 1
trap pair_cleanup EXIT
rm -f "$BENCH_OUT/pair_loss.txt"

# confs MODE X: "VCONF KCONF" for gateway X in MODE, written to $PAIR_DIR
confs()
{
	local mode=$1 x=$2 v k i1 i2 _

	v=$PAIR_EX/vpnecmp-$x.conf
	k=$PAIR_EX/keepalived-$x.conf
	case $mode in
	both) ;;
	track)
		sed 's/all-down fallback 3/all-down keep/' "$v" > "$PAIR_DIR/v-$x.conf"
		v=$PAIR_DIR/v-$x.conf ;;
	fallback)
		python3 -c 'import sys; print(sys.stdin.read().replace("\ttrack_file {\n\t\tvpnecmp_aws\n\t}\n", ""), end="")' \
			< "$k" > "$PAIR_DIR/k-$x.conf"
		k=$PAIR_DIR/k-$x.conf ;;
	keepalived)
		read -r _ _ _ i1 <<<"$(pair_tun "$x" 1)"
		read -r _ _ _ i2 <<<"$(pair_tun "$x" 2)"
		cat > "$PAIR_DIR/check-$x.sh" <<-EOF
		#!/bin/sh
		ping -c 1 -W 1 -I t1 $i1.2 > /dev/null 2>&1 ||
		ping -c 1 -W 1 -I t2 $i2.2 > /dev/null 2>&1
		EOF
		chmod 755 "$PAIR_DIR/check-$x.sh"
		python3 - "$k" "$PAIR_DIR/check-$x.sh" > "$PAIR_DIR/k-$x.conf" <<-'EOF'
		import sys
		s = open(sys.argv[1]).read()
		s = s.replace("\ttrack_file {\n\t\tvpnecmp_aws\n\t}\n", "\ttrack_script {\n\t\ttunnels\n\t}\n")
		s = s.replace("global_defs {\n", "global_defs {\n\tenable_script_security\n\tscript_user root\n")
		# defined before the instances that name it, or keepalived ignores it
		i = s.index("vrrp_instance")
		s = s[:i] + ('vrrp_script tunnels {\n\tscript "%s"\n\tinterval 1\n\ttimeout 2\n'
		             '\tfall 1\n\trise 1\n\tweight 0\n}\n\n' % sys.argv[2]) + s[i:]
		print(s, end="")
		EOF
		v=none
		k=$PAIR_DIR/k-$x.conf ;;
	esac
	echo "$v $(pair_kconf "$x" "$k")"
}

run_one()
{
	local mode=$1 sc=$2 secs=9 fault back=0 out va ka vb kb

	if ! pair_setup; then
		ktap_print_msg "pair-$mode-$sc: setup failed"
		pair_cleanup
		return
	fi
	read -r va ka <<<"$(confs "$mode" a)"
	read -r vb kb <<<"$(confs "$mode" b)"
	pair_start a "$va" "$ka" && pair_start b "$vb" "$kb" && pair_wait_vips 60000 ||
		ktap_print_msg "pair-$mode-$sc: the pair did not settle"
	sleep 2
	[ "$sc" = dies ] && secs=20
	# neighbours resolved before the clock starts
	ip netns exec "$LANNS" "$FLOWGEN" send 198.51.100.10 "$PAIR_HOST" 9009 "$NFLOWS" 2 1 \
		/dev/null > /dev/null
	flows_start fa 198.51.100.10 9000 "$secs"
	sleep 2
	fault=$(now_ns)
	case $sc in
	sa) pair_sa_del a ;;
	probe) pair_underlay a on ;;
	dies)
		pair_kill a KILL
		pair_links a down
		sleep 4
		ip -n "$GWA" addr del 198.51.100.1/24 dev lan0 2>/dev/null
		back=$(now_ns)
		pair_links a up
		pair_start a "$va" "$ka" ;;
	esac
	flows_wait fa
	out=$(flows_report fa "$fault" "$back")
	result pair_loss.txt "pair-$mode-$sc lost=$(field "$out" lost) last_loss_ms=$(field "$out" last_loss_ms) lost_after_return=$(field "$out" lost_after_return) sent=$(field "$out" sent) vip_moves_b=$(pair_transitions b)"
	pair_cleanup
}

echo "# kernel $(uname -r), $NFLOWS flows x $PPS pps through gw-a's virtual address, VRRP advert_int ${PAIR_ADVERT:-1} s"
# RUNS="MODE:SCENARIO ..." (e.g. in build/bench/params) picks single runs
if [ -n "${RUNS:-}" ]; then
	for r in $RUNS; do
		run_one "${r%%:*}" "${r#*:}"
	done
else
	for sc in $SCENARIOS; do
		for mode in $MODES; do
			run_one "$mode" "$sc"
		done
	done
fi
ktap_test_pass "pair loss measured"
ktap_finished
