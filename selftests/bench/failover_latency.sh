#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: reaction latency, from the XFRM DELSA notification
# of tunnel 1's outbound SA to the RTM_NEWNEXTHOP notification of the
# nexthop group without tunnel 1, both stamped by one listener (nlbench lat,
# see nlbench.c), TRIALS times (default 200) for each contender, in one
# guest run:
#   module   vpnecmp.ko (paths t1, t2, hold-up 0)
#   hook     updown.sh run per event from "ip xfrm monitor", calling ip
#   udaemon  udaemon.c: XFRM multicast -> one prebuilt RTM_NEWNEXTHOP
#   floor    one RTM_NEWNEXTHOP replace sent by an already running process
# then all four again with both vCPUs busy (nlbench spin, normal priority).
# Prints numbers (build/bench/KVER/latency.txt); it never fails on them.
#
# timeout: 1500

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../topo.sh"
source "$(dirname "$0")/bench_lib.sh"

TRIALS=${TRIALS:-200}
# The hook costs seconds per trial under emulation (a script run for the
# failure and another for the return, each with two execs): fewer trials,
# so that make bench stays within 30 minutes.
HOOK_TRIALS=${HOOK_TRIALS:-30}

ktap_print_header
require_root
require_cmd ip jq
require_cli
require_module
bench_require
ktap_set_plan 1
trap 'load_stop; hook_stop; udaemon_stop; topo_cleanup' EXIT
topo_setup || ktap_skip_all "topology setup failed"
sa_add 1 && sa_add 2 || ktap_skip_all "SA setup failed"
rm -f "$BENCH_OUT/latency.txt"

SA1="$(tun_local 1) $(tun_remote 1) $(spi_of 1 out) 1"

hook_start()
{
	local st=$TMPDIR/updown.$$

	# State and script on the guest's tmpfs, as on a gateway's disk (the
	# repository's 9p share is not cached).
	mkdir -p "$st" && touch "$st/up.1" "$st/up.2"
	cp "$SELFTESTS_DIR/bench/updown.sh" "$st/updown.sh"
	# The watcher: one line per SA event; outbound SAs (source is ours)
	# run the hook, as charon runs updown for each CHILD_SA event.
	ip netns exec "$CGW" env UPDOWN_STATE="$st" UPDOWN_GROUP=100 \
		UPDOWN_TUNNELS="$(tun_remote 1):1 $(tun_remote 2):2" \
		HOOK="$st/updown.sh" \
		LOCALS="$(tun_local 1) $(tun_local 2)" bash -c '
		ip xfrm monitor | while read -r a b c d e _; do
			case "$a" in
			Deleted) verb=down-client src=$c dst=$e ;;
			src) verb=up-client src=$b dst=$d ;;
			*) continue ;;
			esac
			case " $LOCALS " in
			*" $src "*) "$HOOK" "$verb" "$dst" ;;
			esac
		done' &
	HOOK_PID=$!
	sleep 1
}

hook_stop()
{
	[ -n "${HOOK_PID:-}" ] || return 0
	pkill -P "$HOOK_PID" 2>/dev/null
	kill "$HOOK_PID" 2>/dev/null
	wait "$HOOK_PID" 2>/dev/null
	HOOK_PID=
}

udaemon_start()
{
	# exec: UD_PID is udaemon itself (ip netns exec execs it too)
	coproc UD { exec ip netns exec "$CGW" "$BENCH_BIN/udaemon" 100 mpath \
		"1:$(tun_local 1):$(tun_remote 1):1:0" \
		"2:$(tun_local 2):$(tun_remote 2):2:0"; }
	# bash forgets UD_PID when the coproc exits
	UDAEMON_PID=$UD_PID
	read -r -t 10 _ <&"${UD[0]}"
}

udaemon_stop()
{
	[ -n "${UDAEMON_PID:-}" ] || return 0
	kill "$UDAEMON_PID" 2>/dev/null
	wait "$UDAEMON_PID" 2>/dev/null
	UDAEMON_PID=
}

# contenders SUFFIX: the four, one after the other.
contenders()
{
	local sfx=$1

	vpnecmp_std_paths "" hold-up 0 && wait_members "1 2" ||
		ktap_print_msg "vpnecmp setup failed"
	# shellcheck disable=SC2086 # SA1 is four words
	result latency.txt "$(nlb lat "module$sfx" "$TRIALS" $SA1 100 1)"
	vx path del t1 && vx path del t2 && vx group del g
	ip -n "$CGW" nexthop replace id 100 group 1/2

	hook_start
	# shellcheck disable=SC2086
	result latency.txt "$(nlb lat "hook$sfx" "$HOOK_TRIALS" $SA1 100 1)"
	hook_stop
	wait_members "1 2"

	udaemon_start
	# shellcheck disable=SC2086
	result latency.txt "$(nlb lat "udaemon$sfx" "$TRIALS" $SA1 100 1)"
	udaemon_stop
	wait_members "1 2"

	result latency.txt "$(nlb floor "floor$sfx" "$TRIALS" 100 1 2)"
}

echo "# kernel $(uname -r), $(nproc) vCPU, QEMU TCG (absolute times inflated; compare ratios)"
contenders ""
load_start
contenders "-load"
load_stop
ktap_test_pass "failover latency measured"
ktap_finished
