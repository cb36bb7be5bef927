#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The strongSwan feeder never causes an outage by itself.
#
# charon_stall: the gateway's charon is stopped (SIGSTOP) for 3 s, then for
# 15 s while the daemon reconnects to it (SIGHUP: a charon that accepts the
# connection and never answers), with the prober at 100 ms x 3 (STALL_MULT) on both
# paths.  If it fails, a slow or hung charon blocked the daemon's loop: the
# probes read the pause as loss and pulled every tunnel at once (a false
# all-down), or SIGTERM was not honoured while the daemon waited for charon,
# or a timeout was logged as something else ("Protocol error").
#
# mbb_reauth: make-before-break reauthentication (charon.make_before_break
# = yes) of both tunnels, twice each.  If it fails, the daemon tracked the
# IKE SA by name: the old SA's late down event read as the tunnel going down
# (dpd down) although a new IKE SA and CHILD_SA were already up.
#
# on_pull_refused: on-pull restart, and charon refuses the initiate (its
# connection was unloaded).  If it fails, an answer "success = no" was
# taken for success and the operator never learnt why the tunnel did not
# come back.
#
# on_pull_backoff: a path pulled by the prober again shortly after a
# restart.  If it fails, a flapping path made charon renegotiate its IKE SA
# on every flap (no rate limit), or a pull inside the backoff was forgotten.
#
# timeout: 420

ALL_TESTS="
	charon_stall
	mbb_reauth
	on_pull_refused
	on_pull_backoff
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"
source "$(dirname "$0")/daemons.sh"

# shellcheck disable=SC2034 # read by topo.sh
ike_env()
{
	TOPO_KIND=xfrm
	TOPO_IKE=1
}

charon_stall_env() { ike_env; }
mbb_reauth_env() { ike_env; }
on_pull_refused_env() { ike_env; }
on_pull_backoff_env() { ike_env; }

# transitions: "t1=N t2=M", the module's transition counters of the paths
transitions()
{
	vx -j path show | jq -r '[.[] | "\(.name)=\(.stats.transitions)"] | join(" ")'
}

# both_up: both paths up and in the group
both_up()
{
	busywait 30000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show | jq -r '[.[].state] | join(\" \")')\" = 'up up' ]" &&
		wait_members "1 2"
}

# charons [CGW_OPTS]: both charons, the tunnels up; CHARON_PID: the gateway's.
# The cloud side runs no DPD of its own: while the gateway's charon is
# stopped, it must not delete the SAs (that would be a real outage).
# CGW_START: the gateway's start_action (default start).
charons()
{
	swanctl_conf cgw "$TMPDIR_T/cgw.swanctl.conf"
	swanctl_conf aws "$TMPDIR_T/aws.swanctl.conf"
	sed -i 's/dpd_delay = 1s/dpd_delay = 0s/' "$TMPDIR_T/aws.swanctl.conf"
	sed -i "s/start_action = start/start_action = ${CGW_START:-start}/" "$TMPDIR_T/cgw.swanctl.conf"
	charon_start aws "$TMPDIR_T/aws.swanctl.conf" || return 1
	CHARON_OPTS=${1:-} charon_start cgw "$TMPDIR_T/cgw.swanctl.conf" || return 1
	CHARON_PID=${DAEMON_PIDS##* }
	[ "$(cat "/proc/$CHARON_PID/comm" 2>/dev/null)" = charon ] ||
		{ ktap_print_msg "pid $CHARON_PID is not charon"; return 1; }
}

# stall SECONDS [reload]: charon stopped for SECONDS (the daemon reloading,
# so connecting again, meanwhile), then resumed; until the daemon is back
# with charon, no path may change state and no signal drop.
stall()
{
	local before after from n

	# not in the middle of a flap of the prober's own
	both_up || fail "paths not up before the stall"
	before=$(transitions)
	from=$(($(wc -l < "$DAEMON_LOG") + 1))
	n=$(grep -c "connected to charon" "$DAEMON_LOG")
	kill -STOP "$CHARON_PID"
	[ -n "${2:-}" ] && kill -HUP "$DAEMON_PID"
	sleep "$1"
	kill -CONT "$CHARON_PID"
	if [ -n "${2:-}" ]; then
		busywait 30000 sh -c "[ \$(grep -c 'connected to charon' '$DAEMON_LOG') -gt $n ]" ||
			fail "the daemon did not get back to charon after the stall"
	fi
	sleep 1
	after=$(transitions)
	tail -n +"$from" "$DAEMON_LOG" | grep -E "path t[12]: (probe|dpd) down" &&
		fail "a signal went down while charon was stopped for $1 s"
	expect_eq "$after" "$before" "transitions while charon was stopped for $1 s"
}

# Probes every 100 ms, down after STALL_MULT unanswered (3: 300 ms, while
# the old client blocked the loop 10 s).  This holds because the prober
# counts probes sent and unanswered, not wall-clock time: a stalled loop
# sends nothing, so it loses nothing.
STALL_MULT=${STALL_MULT:-3}

charon_stall()
{
	local conf=$TMPDIR_T/vpnecmp.conf t0 t1

	charons || { fail "charons"; return; }
	daemon_conf "$conf" "strongswan socket $TMPDIR_T/cgw/charon.vici" \
		"ike t1 conn tun-1 child tun-1" "ike t2 conn tun-2 child tun-2" \
		"probe t1 icmp 203.0.113.2 interval 100 multiplier $STALL_MULT" \
		"probe t2 icmp 203.0.113.6 interval 100 multiplier $STALL_MULT"
	# list-sas every second: one is always waiting when charon stops
	VPNECMP_VICI_RESYNC_MS=1000 daemon_start "$conf" || { fail "daemon"; return; }
	both_up || { fail "tunnels did not come up"; return; }
	daemon_wait_log "strongswan: connected to charon" || { fail "not connected to charon"; return; }
	sleep 1

	# 3 s: shorter than any timeout
	stall 3
	sleep 1
	# 15 s, and the daemon connects again meanwhile
	stall 15 reload
	grep -q "timeout" "$DAEMON_LOG" || fail "no timeout logged while charon did not answer"
	grep -q "Protocol error" "$DAEMON_LOG" && fail "a timeout was logged as \"Protocol error\""

	# SIGTERM while the daemon waits for a stopped charon
	kill -STOP "$CHARON_PID"
	kill -HUP "$DAEMON_PID"
	sleep 1
	t0=$(uptime_ms)
	daemon_stop
	t1=$(uptime_ms)
	kill -CONT "$CHARON_PID"
	ktap_print_msg "SIGTERM during a charon stall: the daemon exited after $((t1 - t0)) ms"
	# a loose bound (emulation on a shared host): the old client blocked
	# up to 10 s
	[ $((t1 - t0)) -lt 5000 ] || fail "SIGTERM took $((t1 - t0)) ms while charon was stopped"
	expect_eq "$DAEMON_RC" 0 "exit status after SIGTERM"
}

# ike_ids CONN: the unique ids of the gateway's IKE SAs of CONN with their
# state, and of their CHILD_SAs, as "ike=ID/STATE child=ID/STATE ..."
ike_ids()
{
	swanctl_do cgw --list-sas --ike "$1" --raw 2>/dev/null |
		grep -o -e "$1 {uniqueid=[0-9]* version=[0-9] state=[A-Z_]*" \
			-e "name=$1 uniqueid=[0-9]* reqid=[0-9]* state=[A-Z_]*" |
		sed -e 's/^.* {uniqueid=\([0-9]*\) version=[0-9] state=/ike=\1\//' \
		    -e 's/^name=.* uniqueid=\([0-9]*\) reqid=[0-9]* state=/child=\1\//' |
		tr '\n' ' '
}

mbb_reauth()
{
	local conf=$TMPDIR_T/vpnecmp.conf before after old oid now i t n=0

	# IKE retransmits as charon's defaults, not daemons.sh's fast ones: a
	# loaded emulated host can take longer than 2 s for an IKE_AUTH, and
	# a reauthentication that gives up is a real outage, not the subject
	charons "make_before_break = yes
		retransmit_tries = 5
		retransmit_timeout = 4.0
		retransmit_base = 1.8" || { fail "charons"; return; }
	daemon_conf "$conf" "strongswan socket $TMPDIR_T/cgw/charon.vici" \
		"ike t1 conn tun-1 child tun-1" "ike t2 conn tun-2 child tun-2"
	daemon_start "$conf" || { fail "daemon"; return; }
	both_up || { fail "tunnels did not come up"; return; }
	daemon_wait_log "strongswan: connected to charon" || { fail "not connected to charon"; return; }
	sleep 1
	before=$(transitions)

	for i in 1 2; do
		for t in 1 2; do
			old=$(ike_ids "tun-$t")
			case $old in
			*ike=*/ESTABLISHED*child=*/INSTALLED*) ;;
			*) fail "tun-$t before reauthentication $i: $old"; return ;;
			esac
			oid=${old#ike=}
			oid=${oid%%/*}
			swanctl_do cgw --rekey --ike "tun-$t" --reauth >/dev/null 2>&1 ||
				{ fail "swanctl --rekey --reauth tun-$t"; return; }
			# done: one IKE SA, a new one, with its CHILD_SA installed
			busywait 20000 sh -c "
				now=\$(STRONGSWAN_CONF=$TMPDIR_T/cgw/strongswan.conf swanctl --list-sas --ike tun-$t --raw --uri unix://$TMPDIR_T/cgw/charon.vici 2>/dev/null)
				[ \$(echo \"\$now\" | grep -c 'list-sa event') = 1 ] &&
				echo \"\$now\" | grep -q 'state=INSTALLED' &&
				! echo \"\$now\" | grep -q 'tun-$t {uniqueid=$oid '" ||
				{ fail "reauthentication $i of tun-$t did not complete"; return; }
			now=$(ike_ids "tun-$t")
			[ "${now%% *}" != "${old%% *}" ] || { fail "tun-$t: same IKE SA $now"; return; }
			n=$((n + 1))
		done
	done
	ktap_print_msg "$n make-before-break reauthentications"
	sleep 2
	after=$(transitions)
	expect_eq "$after" "$before" "transitions across the reauthentications"
	grep "dpd down" "$DAEMON_LOG" && fail "the daemon logged dpd down for a tunnel that kept its SAs"
	expect_eq "$(members 100)" "1 2" "group after the reauthentications"
	[ "$RET" = 0 ] || grep -e "reauth" -e "failed" -e "giving up" -e "CHILD_SA .* established" \
		-e "deleting IKE_SA" -e "retransmit" "$TMPDIR_T/cgw/charon.log" | tail -n 60 | sed 's/^/#   /'
}

on_pull_refused()
{
	local conf=$TMPDIR_T/vpnecmp.conf out t

	CGW_START=none charons || { fail "charons"; return; }
	for t in 1 2; do
		out=$(swanctl_do cgw --initiate --child "tun-$t" 2>&1) ||
			{ fail "swanctl --initiate tun-$t: $out"; return; }
	done
	daemon_conf "$conf" "strongswan socket $TMPDIR_T/cgw/charon.vici on-pull restart" \
		"ike t1 conn tun-1 child tun-1" "ike t2 conn tun-2 child tun-2" \
		"probe t1 icmp 203.0.113.2 interval 100 multiplier 3"
	daemon_start "$conf" || { fail "daemon"; return; }
	both_up || { fail "tunnels did not come up"; return; }
	# charon forgets connection tun-1 (start_action none: its SAs stay)
	sed '0,/^tun-1 {/s//tun-gone {/' "$TMPDIR_T/cgw.swanctl.conf" > "$TMPDIR_T/cgw2.swanctl.conf"
	out=$(swanctl_do cgw --load-conns --file "$TMPDIR_T/cgw2.swanctl.conf" 2>&1) ||
		{ fail "swanctl --load-conns: $out"; return; }

	esp_drop 1 on || { fail "tc"; return; }
	wait_members "2" || fail "the prober did not pull t1"
	daemon_wait_log "asking charon to restart IKE SA tun-1" || fail "no restart asked"
	daemon_wait_log "path t1: charon refused to initiate CHILD_SA tun-1: .*not found" ||
		fail "charon's refusal (success = no, errmsg) was not logged"
	esp_drop 1 off
}

# pulls FROM: what the daemon did about t1's pulls since line FROM of its
# log: "ask10" (asked charon, next time in 10 s at the earliest), "held"
# (pulled again within the backoff), ...
pulls()
{
	tail -n +"$1" "$DAEMON_LOG" |
		sed -n -e 's/^path t1: asking charon to restart IKE SA tun-1 (next time in \([0-9]*\) s.*/ask\1/p' \
		       -e 's/^path t1: asking charon to restart IKE SA tun-1$/ask/p' \
		       -e 's/^path t1: pulled again within the backoff.*/held/p' |
		tr '\n' ' '
}

on_pull_backoff()
{
	local conf=$TMPDIR_T/vpnecmp.conf from seq

	charons || { fail "charons"; return; }
	# probes that do not flap under emulation, still fast enough for two
	# pulls inside the 10 s backoff most of the time
	daemon_conf "$conf" "strongswan socket $TMPDIR_T/cgw/charon.vici on-pull restart" \
		"ike t1 conn tun-1 child tun-1" "ike t2 conn tun-2 child tun-2" \
		"probe t1 icmp 203.0.113.2 interval 200 multiplier 5"
	daemon_start "$conf" || { fail "daemon"; return; }
	both_up || { fail "tunnels did not come up"; return; }
	from=$(($(wc -l < "$DAEMON_LOG") + 1))

	# first pull: charon restarts tun-1 at once
	esp_drop 1 on || { fail "tc"; return; }
	busywait 20000 sh -c "grep -q 'path t1: asking charon to restart IKE SA tun-1' '$DAEMON_LOG'" ||
		{ fail "no restart asked"; return; }
	esp_drop 1 off
	wait_members "1 2" || { fail "t1 did not return after the restart"; return; }

	# pulled again: inside the backoff the request waits for its end and
	# then goes out, the backoff doubled; after it (a slow guest), at once
	# with the backoff doubled
	esp_drop 1 on || { fail "tc"; return; }
	wait_members "2" || { fail "the prober did not pull t1 again"; return; }
	busywait 25000 sh -c "[ \$(tail -n +$from '$DAEMON_LOG' | grep -c 'path t1: asking charon') -ge 2 ]" ||
		fail "the second pull never reached charon"
	esp_drop 1 off
	seq=$(pulls "$from")
	case $seq in
	"ask10 held ask20 "*) ;;
	"ask10 ask20 "*) ktap_print_msg "note: second pull after the backoff (slow guest): hold-back not seen" ;;
	*) fail "pulls of t1: got '$seq', want 'ask10 held ask20' (held back, backoff doubled)" ;;
	esac
	dump_log "$DAEMON_LOG" 200
}

run_tests "$ALL_TESTS"
