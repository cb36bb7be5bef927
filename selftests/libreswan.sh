#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libreswan's pluto on both sides (gateway and "cloud") brings up the two
# route-based tunnels (XFRM interfaces ipsec1 and ipsec2 that pluto makes
# from ipsec-interface=, IKEv2, PSK), the updown hook of
# Documentation/examples/libreswan feeds the dpd signal and "vpnecmp daemon"
# resyncs it from "whack --trafficstatus".  And who owns a signal: a
# signal the daemon feeds is not silently overwritten by "vpnecmp event".
#
# If a case fails: a tunnel whose IKE peer died, or whose CHILD SA pluto
# deleted, would stay in the nexthop group; a dpd signal left stale while
# the daemon was down (or written by hand) would not be corrected at start
# or reload; or an operator's or a script's "vpnecmp event" would silently
# undo (or be undone by) what a feeder reports.
#
# Short on purpose (about 2 min in the guest): one dead peer, one delete,
# one resync, one ownership sequence.  A soak would repeat the dead peer
# with rekeys (salifetime of seconds) in flight and check that no rekey
# ever pulls a path; that takes the rekey intervals, minutes, not seconds.
#
# MOBIKE is not tested: libreswan 4.10 (ipsec.conf(5), "mobike") lets only
# a modecfgclient connection migrate as initiator and a modecfgserver one
# accept it, i.e. remote access with an address pool, not two gateways
# with fixed endpoints and ipsec-interface.  XFRM_MSG_MIGRATE itself is
# covered by xfrm_truth.sh.
#
# timeout: 600

ALL_TESTS="
	signal_owner
	dpd_dead_peer
	child_deleted
	resync
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"
source "$(dirname "$0")/daemons.sh"

# pluto: installed (it conflicts with strongSwan, so rarely), else the copy
# scripts/libreswan.sh unpacked into build/libreswan.
if [ -x /usr/libexec/ipsec/pluto ] && /usr/libexec/ipsec/pluto --version 2>&1 | grep -q Libreswan; then
	LS_DIR=/usr/libexec/ipsec
else
	LS_DIR=$SRCDIR/build/libreswan/usr/libexec/ipsec
fi
HOOK=$SRCDIR/Documentation/examples/libreswan/updown.sh

# shellcheck disable=SC2034 # read by topo.sh
pluto_env() { TOPO_KIND=xfrm; TOPO_IKE=1; }
dpd_dead_peer_env() { pluto_env; }

# ls_ipsec_conf SIDE FILE: Documentation/examples/libreswan/ipsec.conf,
# whose addresses are topo.sh's, with the hook of this tree; LS_HOOK=0: no
# hook; LS_START="start add": tunnel 2 only added.  The cloud side is the
# same file turned around: it responds, clears a dead peer, runs no hook.
ls_ipsec_conf()
{
	local side=$1 f=$2 ex=$SRCDIR/Documentation/examples/libreswan/ipsec.conf

	if [ "$side" = aws ]; then
		sed -e 's/^\tleft=/\tXright=/' -e 's/^\tright=/\tleft=/' -e 's/^\tXright=/\tright=/' \
		    -e 's/^\tleftid=/\tXrightid=/' -e 's/^\trightid=/\tleftid=/' \
		    -e 's/^\tXrightid=/\trightid=/' \
		    -e 's/^\tleftsubnet=/\tXrightsubnet=/' -e 's/^\trightsubnet=/\tleftsubnet=/' \
		    -e 's/^\tXrightsubnet=/\trightsubnet=/' \
		    -e 's/dpdaction=restart/dpdaction=clear/' -e 's/auto=start/auto=add/' \
		    -e 's/^\tleftupdown=.*/\tleftupdown=""/' "$ex" > "$f"
		return
	fi
	sed -e "s|/etc/vpnecmp/libreswan-updown|$HOOK|" "$ex" > "$f"
	[ "${LS_HOOK:-1}" = 1 ] || sed -i 's/^\tleftupdown=.*/\tleftupdown=""/' "$f"
	[ "${LS_START:-}" = "start add" ] && sed -i '/^conn tun-2/,$ s/auto=start/auto=add/' "$f"
	grep -q "ipsec-interface=1" "$f"
}

# pluto_start SIDE: pluto in SIDE's namespace, its own NSS database, run
# directory and secrets under $TMPDIR_T/SIDE, its connections added (and
# started on the gateway)
pluto_start()
{
	local side=$1 ns dir=$TMPDIR_T/$1 i mnt=

	ns=$(side_ns "$side")
	mkdir -p "$dir/nss" "$dir/run"
	certutil -N -d "sql:$dir/nss" --empty-password >"$dir/certutil.log" 2>&1 ||
		{ cat "$dir/certutil.log"; return 1; }
	ls_ipsec_conf "$side" "$dir/ipsec.conf"
	for i in 1 2; do
		echo "$(tun_local "$i") $(tun_remote "$i") : PSK \"vpnecmp-selftest-tunnel-$i\""
	done > "$dir/ipsec.secrets"
	chmod 600 "$dir/ipsec.secrets"
	# pluto insists on /usr/libexec/ipsec/addconn (compiled in): the
	# unpacked copy is mounted there, in pluto's own mount namespace
	# (ip netns exec makes one), over a tmpfs: /usr is read-only here
	if [ "$LS_DIR" != /usr/libexec/ipsec ]; then
		mnt="mount -t tmpfs tmpfs /usr/libexec && mkdir /usr/libexec/ipsec &&
			mount --bind $LS_DIR /usr/libexec/ipsec &&"
	fi
	ip netns exec "$ns" sh -c "${mnt:-} exec env VPNECMP_CLI=$VPNECMP \
		/usr/libexec/ipsec/pluto --nofork --config $dir/ipsec.conf \
		--rundir $dir/run --nssdir $dir/nss --secretsfile $dir/ipsec.secrets \
		--ipsecdir $dir --dumpdir $dir/run --logfile $dir/pluto.log" \
		>"$dir/pluto.out" 2>&1 &
	DAEMON_PIDS="$DAEMON_PIDS $!"
	busywait 30000 test -S "$dir/run/pluto.ctl" || { echo "pluto $side did not start"; return 1; }
	ip netns exec "$ns" "$LS_DIR/addconn" --config "$dir/ipsec.conf" \
		--ctlsocket "$dir/run/pluto.ctl" --autoall >"$dir/addconn.log" 2>&1 ||
		{ cat "$dir/addconn.log"; return 1; }
}

# whack_do SIDE ARGS...
whack_do()
{
	"$LS_DIR/whack" --ctlsocket "$TMPDIR_T/$1/run/pluto.ctl" "${@:2}"
}

# ls_sas SIDE CONN: IPsec SAs pluto lists for CONN
ls_sas()
{
	whack_do "$1" --trafficstatus 2>/dev/null | grep -c ": \"$2\""
}

# ls_up [DAEMON_LINES...]: both plutos, the topology's tunnels replaced by
# pluto's ipsec1 and ipsec2, tunnel 1 (and 2 if started) established, the
# gateway's nexthops 1, 2 and group 100 over them; with DAEMON_LINES the
# daemon runs with them (paths t1, t2 on ipsec1, ipsec2)
ls_up()
{
	local conf=$TMPDIR_T/vpnecmp.conf ns i

	for ns in "$CGW" "$AWS"; do
		ip -n "$ns" link del t1 && ip -n "$ns" link del t2 || return 1
	done
	pluto_start aws || return 1
	pluto_start cgw || return 1
	busywait 30000 sh -c "[ \"\$('$LS_DIR/whack' --ctlsocket $TMPDIR_T/cgw/run/pluto.ctl --trafficstatus 2>/dev/null | grep -c ': \"tun-1\"')\" -ge 1 ]" ||
		{ ktap_print_msg "tunnel 1 did not come up"; return 1; }
	# pluto makes ipsecN when it adds the connection
	for i in 1 2; do
		busywait 10000 ip -n "$CGW" link show "ipsec$i" >/dev/null 2>&1 ||
			{ ktap_print_msg "pluto made no ipsec$i"; return 1; }
		ip -n "$CGW" link set "ipsec$i" up
		ip -n "$AWS" link set "ipsec$i" up 2>/dev/null
	done
	ip -n "$CGW" -batch - <<-EOF2 || return 1
	nexthop add id 1 dev ipsec1
	nexthop add id 2 dev ipsec2
	nexthop add id 100 group 1/2
	route add 203.0.113.128/25 nhid 100
	EOF2
	[ $# -gt 0 ] || return 0
	ls_daemon_conf "$conf" "$@"
	daemon_start "$conf"
}

# paths_up: t1 and t2 both up (within 30 s: pluto may still negotiate)
paths_up()
{
	busywait 30000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show | jq -r '[.[].state] | join(\" \")')\" = 'up up' ]"
}

# ls_paths [OPTIONS...]: group g (hold-up 300) and paths t1, t2 on ipsec1,
# ipsec2 by hand, as ls_daemon_conf's file has them
ls_paths()
{
	vx group add g nhid 100 hold-up 300 || return 1
	vx path add t1 group g dev ipsec1 nhid 1 local "$(tun_local 1)" \
		remote "$(tun_remote 1)" if-id 1 "$@" || return 1
	vx path add t2 group g dev ipsec2 nhid 2 local "$(tun_local 2)" \
		remote "$(tun_remote 2)" if-id 2 "$@"
}

# has_signal PATH SIGNAL: true/false, SIGNAL among PATH's signals up
has_signal()
{
	vx -j path show "$1" | jq -r ".[0].signals_up | index(\"$2\") != null"
}

signal_owner()
{
	local conf=$TMPDIR_T/vpnecmp.conf out

	if ! sa_add 1 || ! sa_add 2; then fail "SAs"; return; fi
	ip -n "$CGW" route add 10.1.0.0/16 dev t1 table 201 || { fail "route"; return; }
	# no daemon yet: nobody owns the signal, any writer is taken
	vpnecmp_std_paths "" signals sa,bgp || { fail "paths"; return; }
	vx event t1 bgp down || fail "bgp down without a daemon was refused"
	vx event t1 bgp up || fail "bgp up without a daemon was refused"
	if ! vx path del t1 || ! vx path del t2 || ! vx group del g; then fail "cleanup"; return; fi

	daemon_conf "$conf" "bgp t1 table 201"
	daemon_start "$conf" || { fail "daemon"; return; }
	if ! wait_state t1 up || ! wait_state t2 up; then fail "both paths up"; return; fi
	wait_members "1 2" || fail "both paths in the group"

	out=$(vx event t1 bgp down 2>&1) &&
		fail "a write of a signal the daemon's bgp feeder owns was taken"
	case $out in
	*"fed by vpnecmp daemon"*"feeder bgp"*) ;;
	*) fail "the refusal does not name the daemon and its feeder: $out" ;;
	esac
	expect_eq "$(has_signal t1 bgp)" true "bgp of t1 after a refused write"
	vx event t1 bgp down source libreswan 2>/dev/null &&
		fail "a write as another feeder (libreswan) was taken"
	vx event t1 bgp down source 'Bad word' 2>/dev/null &&
		fail "a malformed source was taken"
	expect_eq "$(members 100)" "1 2" "group after refused writes"

	# admin is the operator's: never owned
	vx event t1 admin down || fail "admin down refused"
	wait_members "2" || fail "drain"
	vx event t1 admin up || fail "admin up refused"
	wait_members "1 2" || fail "undrain"

	# forced: taken, and the daemon says so
	out=$(vx event t1 bgp down force 2>&1) || fail "a forced write was refused: $out"
	wait_members "2" || fail "t1 not pulled by a forced bgp down"
	daemon_wait_log "path t1: pulled for bgp, which the bgp feeder reports up" ||
		fail "the daemon did not log the foreign write"
	# a reload sends the feeder's view again
	kill -HUP "$DAEMON_PID"
	wait_members "1 2" || fail "a reload did not re-assert the bgp feeder's view"

	# stopped: no owner any more (the registry is removed); after a reload
	# the feeders must still be bound to the running file (exit 0, no crash)
	daemon_stop
	expect_eq "$DAEMON_RC" 0 "the daemon's exit status on SIGTERM after a reload"
	vx event t1 bgp down || fail "a write after the daemon stopped was refused"
	vx event t1 bgp up
	# killed: its registry stays behind, but names a dead process
	daemon_start "$conf" || { fail "daemon again"; return; }
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	vx event t1 bgp down || fail "a write after the daemon was killed was refused"
}

dpd_dead_peer()
{
	local mon=$TMPDIR_T/mon.json t0 down reason hookfails

	ls_up "ike t1 conn tun-1" "ike t2 conn tun-2" || { fail "setup"; return; }
	paths_up || { fail "both paths up"; return; }
	wait_members "1 2" || { fail "both paths in the group"; return; }
	expect_eq "$(has_signal t1 dpd)" true "dpd of t1 while its SA is installed"
	start_monitor "$mon" path
	# the hook may have run before the paths existed: only later failures count
	hookfails=$(grep -c "vpnecmp updown: could not" "$TMPDIR_T/cgw/pluto.log")

	# the cloud end of tunnel 1 goes silent: IKE and ESP dropped
	underlay_drop 1 on || { fail "tc"; return; }
	t0=$(uptime_ms)
	busywait 30000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id 100 | jq -r '[.[0].group[].id] | map(tostring) | join(\" \")')\" = 2 ]" ||
		fail "t1 still in the group 30 s after its peer went silent"
	down=$(event_ms "$mon" t1 down cause_ns "$t0")
	reason=$(jq -rs '[.[] | select(.path == "t1" and .new_state == "down")][-1].reason' "$mon")
	[ -n "$down" ] && ktap_print_msg "DPD-fed detection (libreswan): $((down - t0)) ms after the peer went silent (dpddelay 1 s, retransmit-timeout 10 s), first signal down: $reason"
	busywait 10000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show t1 | jq -r '.[0].signals_up | index(\"dpd\") != null')\" = false ]" ||
		fail "the updown hook did not set dpd of t1 down"
	[ "$(grep -c "vpnecmp updown: could not" "$TMPDIR_T/cgw/pluto.log")" = "$hookfails" ] ||
		fail "the hook failed: $(grep "vpnecmp updown: could not" "$TMPDIR_T/cgw/pluto.log" | tail -1)"

	# the healthy tunnel never moved
	expect_eq "$(jq -s '[.[] | select(.path == "t2" and .new_state == "down")] | length' "$mon")" 0 \
		"transitions of t2 to down while only tunnel 1's peer was silent"

	underlay_drop 1 off
	busywait 60000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id 100 | jq -r '[.[0].group[].id] | sort | map(tostring) | join(\" \")')\" = '1 2' ]" ||
		fail "t1 did not return once its peer answered again"
	expect_eq "$(has_signal t1 dpd)" true "dpd of t1 once pluto re-established it"
}

child_deleted_env() { pluto_env; LS_HOOK=0; }
child_deleted()
{
	local out

	# no hook, no daemon: only the module's SA tracking sees the delete
	ls_up || { fail "setup"; return; }
	ls_paths || { fail "paths"; return; }
	paths_up || { fail "both paths up"; return; }
	wait_members "1 2" || { fail "both paths in the group"; return; }
	# "ipsec auto --down tun-1": IKE SA and CHILD SA deleted, not restarted
	out=$(whack_do cgw --name tun-1 --terminate 2>&1) || fail "whack --terminate: $out"
	wait_members "2" || fail "t1 still in the group after pluto deleted its CHILD SA"
	expect_eq "$(path_field t1 reason)" sa "reason of t1"
	expect_eq "$(ls_sas cgw tun-1)" 0 "pluto's SAs of tun-1 after --terminate"
	out=$(whack_do cgw --name tun-1 --initiate --asynchronous 2>&1) || fail "whack --initiate: $out"
	busywait 30000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id 100 | jq -r '[.[0].group[].id] | sort | map(tostring) | join(\" \")')\" = '1 2' ]" ||
		fail "t1 did not return with its new CHILD SA"
}

resync_env() { pluto_env; LS_HOOK=0; }
resync()
{
	local out

	# tunnel 2 is taken down and no hook runs: only the daemon's
	# trafficstatus resync can tell the module about dpd
	ls_up || { fail "setup"; return; }
	busywait 30000 sh -c "[ \"\$('$LS_DIR/whack' --ctlsocket $TMPDIR_T/cgw/run/pluto.ctl --trafficstatus 2>/dev/null | grep -c ': \"tun-2\"')\" -ge 1 ]" ||
		{ fail "tunnel 2 did not come up"; return; }
	out=$(whack_do cgw --name tun-2 --terminate 2>&1) || fail "whack --terminate: $out"
	busywait 10000 sh -c "[ \"\$('$LS_DIR/whack' --ctlsocket $TMPDIR_T/cgw/run/pluto.ctl --trafficstatus 2>/dev/null | grep -c ': \"tun-2\"')\" = 0 ]" ||
		{ fail "tunnel 2 still has SAs"; return; }
	# the paths as the daemon's file has them, so that it keeps them
	ls_paths signals sa,dpd || { fail "paths"; return; }
	# a stale dpd down, from before the daemon ran
	vx event t1 dpd down || { fail "event"; return; }
	expect_eq "$(has_signal t1 dpd)" false "dpd of t1 after a write"

	export VPNECMP_LIBRESWAN_RESYNC_MS=1000
	ls_up_daemon "ike t1 conn tun-1" "ike t2 conn tun-2" ||
		{ fail "daemon"; return; }
	daemon_wait_log "path t2: dpd down (libreswan: no IPsec SA of connection tun-2)" ||
		fail "the start resync did not set dpd of t2 (no SA) down"
	wait_state t1 up || fail "t1 not up after the start resync"
	wait_members "1" || fail "t1 alone in the group after the start resync"
	expect_eq "$(has_signal t1 dpd)" true "dpd of t1 (SA installed) after the start resync"
	expect_eq "$(has_signal t2 dpd)" false "dpd of t2 (no SA) after the start resync"

	# tunnel 2 comes up, no hook tells: the periodic resync does
	whack_do cgw --name tun-2 --initiate --asynchronous >/dev/null 2>&1
	daemon_wait_log "path t2: dpd up (libreswan: 1 IPsec SA of connection tun-2)" 30000 ||
		fail "the periodic resync did not see tunnel 2 come up"
	wait_members "1 2" || fail "t2 did not join"

	# a stale value written by hand (forced): a reload resends pluto's view
	vx event t1 dpd down force 2>/dev/null || fail "forced write refused"
	wait_members "2" || fail "forced dpd down did not pull t1"
	kill -HUP "$DAEMON_PID"
	wait_members "1 2" || fail "the reload resync did not set dpd of t1 up again"
}

# ls_daemon_conf FILE [LINES...]: Documentation/examples/libreswan/vpnecmp.conf
# on this test's pluto, hold-up 300 ms; LINES replace its "ike" lines
ls_daemon_conf()
{
	local f=$1
	shift

	sed -e "s|^libreswan .*|libreswan socket $TMPDIR_T/cgw/run/pluto.ctl whack $LS_DIR/whack|" \
	    -e 's/^group aws nhid 100 hold-up 1000/group g nhid 100 hold-up 300/' \
	    -e 's/ group aws / group g /' -e '/^ike /d' \
	    "$SRCDIR/Documentation/examples/libreswan/vpnecmp.conf" > "$f"
	printf '%s\n' "$@" >> "$f"
}

# ls_up_daemon LINES...: the daemon on the running plutos (ls_up done)
ls_up_daemon()
{
	local conf=$TMPDIR_T/vpnecmp.conf

	ls_daemon_conf "$conf" "$@"
	daemon_start "$conf"
}

ls_cleanup_hook()
{
	local f

	for f in "$TMPDIR_T"/*/pluto.log "$TMPDIR_T"/*/pluto.out "$TMPDIR_T"/*/addconn.log; do
		[ -f "$f" ] && dump_log "$f" 15
	done
}

case_cleanup_hook()
{
	daemons_stop
	ls_cleanup_hook
	LS_HOOK=1
	LS_START=
	unset VPNECMP_LIBRESWAN_RESYNC_MS
}

[ -x "$LS_DIR/pluto" ] || ktap_skip_all "no libreswan: run scripts/libreswan.sh (make deps)"
"$LS_DIR/pluto" --version >/dev/null 2>&1 ||
	ktap_skip_all "libreswan's pluto does not run here (its libraries: make deps)"
require_cmd certutil

run_tests "$ALL_TESTS"
