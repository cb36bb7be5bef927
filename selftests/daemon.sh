#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "vpnecmp daemon": the configuration file applied and re-applied, errors
# that change nothing, the module reloaded under it, and the prober.  If a
# case fails, a gateway restarting its daemon would move flows or lose its
# configuration, a typo in the file would half-configure the module, a
# module upgrade would leave the gateway without vpnecmp, or a tunnel whose
# far side drops everything would keep its traffic until IKE's DPD.
#
# timeout: 420

ALL_TESTS="
	apply_and_stop
	restart_changes_nothing
	config_errors_keep_state
	module_refuses_rolls_back
	module_reload
	probe_blackhole
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"

# The module's view of the namespace, for before/after comparisons.
snapshot()
{
	{
		vx -j group show | jq -c '[.[] | {name, nhid, all_down, preempt, hold_up_ms}]'
		# the module's paths (path show also lists those the daemon waits to add)
		vx -j path show | jq -c '[.[] | select(.state != "waiting") |
			{name, group, dev, nhid, weight, tier, signals, hold_up_ms}]'
	}
}

apply_and_stop()
{
	local conf=$TMPDIR_T/vpnecmp.conf

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	daemon_conf "$conf"
	# tier and weight as an operator would write them
	sed -i 's/^\(path t2 .*\)$/\1 tier 1 weight 2/' "$conf"
	daemon_start "$conf" || { fail "daemon did not apply the file"; return; }
	expect_eq "$(path_field t2 tier)" 1 "t2 tier from the file"
	expect_eq "$(path_field t2 weight)" 2 "t2 weight from the file"
	expect_eq "$(vx -j group show g | jq -r '.[0].hold_up_ms')" 300 "group hold-up"
	wait_members "1" || fail "tier 0 (t1) alone should be in the group"

	daemon_stop
	expect_eq "$DAEMON_RC" 0 "exit status after SIGTERM"
	grep -q "stopping" "$DAEMON_LOG" || fail "no 'stopping' line in the log"
	# the module keeps forwarding as configured without the daemon
	expect_eq "$(vx -j path show | jq -r 'length')" 2 "paths after the daemon stopped"
	expect_eq "$(members)" "1" "group after the daemon stopped"
}

# shellcheck disable=SC2034 # read by topo.sh
restart_changes_nothing_env()
{
	TOPO_GROUP=resilient
}

restart_changes_nothing()
{
	local conf=$TMPDIR_T/vpnecmp.conf before after t_before t_after

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	daemon_conf "$conf"
	daemon_start "$conf" || { fail "first start"; return; }
	wait_members "1 2" || { fail "group never got both tunnels"; return; }
	before=$(ip -n "$CGW" -j nexthop bucket show id 100 | jq -c '[.[].bucket.nhid]')
	t_before=$(vx -j -s path show | jq -c '[.[].stats.transitions]')
	daemon_stop

	daemon_start "$conf" || { fail "second start"; return; }
	daemon_wait_log "configuration applied: 0 changes" ||
		fail "a restart with the same file changed the module"
	kill -HUP "$DAEMON_PID"
	daemon_wait_log "reloading" || fail "SIGHUP not logged"
	sleep 0.5
	expect_eq "$(grep -c 'configuration applied: 0 changes' "$DAEMON_LOG")" 2 \
		"applied without change (restart, then SIGHUP)"
	after=$(ip -n "$CGW" -j nexthop bucket show id 100 | jq -c '[.[].bucket.nhid]')
	t_after=$(vx -j -s path show | jq -c '[.[].stats.transitions]')
	expect_eq "$after" "$before" "resilient buckets across a daemon restart"
	expect_eq "$t_after" "$t_before" "path transitions across a daemon restart"
}

config_errors_keep_state()
{
	local conf=$TMPDIR_T/vpnecmp.conf bad=$TMPDIR_T/bad.conf before out rc

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	daemon_conf "$conf"
	daemon_start "$conf" || { fail "start"; return; }
	before=$(snapshot)

	# SIGHUP with a device that does not exist (yet): no error, t3 waits
	# for it and nothing else changes; then with a duplicate nexthop id
	daemon_conf "$bad" "path t3 group g dev vti9 nhid 3 local 192.0.2.9 remote 192.0.2.10 mark 3"
	cp "$bad" "$conf"
	kill -HUP "$DAEMON_PID"
	daemon_wait_log "path t3: device vti9 does not exist yet: waiting for it" ||
		fail "the log does not say that t3 waits for its device"
	expect_eq "$(snapshot)" "$before" "module state after a reload with a device not there yet"

	daemon_conf "$bad"
	sed -i 's/^\(path t2 .*\) nhid 2 /\1 nhid 1 /' "$bad"
	cp "$bad" "$conf"
	: > "$DAEMON_LOG"
	kill -HUP "$DAEMON_PID"
	daemon_wait_log "keeping the running configuration" || fail "no 'keeping' after a 2nd bad reload"
	grep -q 'duplicate nhid 1' "$DAEMON_LOG" || fail "the log does not name the duplicate nhid"
	expect_eq "$(snapshot)" "$before" "module state after a reload with a duplicate nhid"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon died of a bad reload"
	daemon_stop

	# A bad file at start: exit 1, the offending word, nothing touched.
	before=$(snapshot)
	out=$("$VPNECMP" -n "$CGW" daemon config "$bad" 2>&1)
	rc=$?
	expect_eq "$rc" 1 "exit status of a start with a bad file"
	case $out in
	*"$bad:4:"*"duplicate nhid 1"*) ;;
	*) fail "start with a bad file: message '$out' lacks file:line and the word" ;;
	esac
	expect_eq "$(snapshot)" "$before" "module state after a start with a bad file"

	out=$("$VPNECMP" -n "$CGW" daemon config "$bad" check 2>&1)
	expect_eq "$?" 1 "exit status of 'check' on a bad file"
	"$VPNECMP" -n "$CGW" daemon config "$conf.missing" check 2>/dev/null
	expect_eq "$?" 1 "exit status of 'check' on a missing file"
}

module_refuses_rolls_back()
{
	local conf=$TMPDIR_T/vpnecmp.conf before

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	daemon_conf "$conf"
	daemon_start "$conf" || { fail "start"; return; }
	before=$(snapshot)

	# Valid for the parser; the module refuses t3: nexthop 99 (the
	# blackhole) does not go through t2.  (A nexthop that does not exist
	# is waited for, not refused.)  The group's new hold-up, applied first,
	# must be undone.
	DAEMON_HOLD=700 daemon_conf "$conf" \
		"path t3 group g dev t2 nhid 99 local 192.0.2.9 remote 192.0.2.10 mark 3"
	kill -HUP "$DAEMON_PID"
	daemon_wait_log "refused by the module" || fail "no 'refused' in the log"
	grep -q "restoring the previous one" "$DAEMON_LOG" || fail "no rollback logged"
	expect_eq "$(snapshot)" "$before" "module state after a refused file"
	expect_eq "$(members)" "1 2" "group after a refused file"
}

module_reload()
{
	local conf=$TMPDIR_T/vpnecmp.conf

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	# t2's probe goes to an address nobody has: its probe signal is down
	daemon_conf "$conf" "probe t2 icmp 203.0.113.99 interval 50 multiplier 2"
	daemon_start "$conf" || { fail "start"; return; }
	wait_members "1" || { fail "t2 should be down (probe to nowhere)"; return; }

	rmmod vpnecmp || { fail "rmmod"; return; }
	daemon_wait_log "module is gone" || fail "the daemon did not notice the unload"
	insmod "$VPNECMP_KO" || { fail "insmod"; return; }
	daemon_wait_log "module is loaded" || fail "the daemon did not notice the load"
	wait_state t1 up || fail "t1 not re-created and up after the reload"
	busywait 5000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show t2 | jq -r '.[0].signals_up | index(\"probe\") == null')\" = true ]" ||
		fail "t2's probe signal was not re-sent down after the reload"
	wait_members "1" || fail "group after the reload: t2 must stay out"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon died across the reload"

	# SIGTERM gives back the probe signal: t2 falls back on SA tracking
	daemon_stop
	wait_members "1 2" || fail "t2 did not return once the daemon released its probe signal"
}

# shellcheck disable=SC2034 # read by topo.sh
probe_blackhole_env()
{
	TOPO_GROUP=resilient
}

probe_blackhole()
{
	local conf=$TMPDIR_T/vpnecmp.conf mon=$TMPDIR_T/mon.json t0 down b2 sas early

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	daemon_conf "$conf" "probe t1 icmp 203.0.113.2" "probe t2 icmp 203.0.113.6"
	daemon_start "$conf" || { fail "start"; return; }
	wait_members "1 2" || { fail "both tunnels should be in"; return; }
	b2=$(buckets_of 2)
	start_monitor "$mon" path

	esp_drop 1 on || { fail "tc drop"; return; }
	t0=$(uptime_ms)
	wait_members "2" || fail "t1 not pulled while its ESP is blackholed"
	expect_eq "$(path_field t1 reason)" probe "reason of t1"
	sas=$(ip -n "$CGW" xfrm state | grep -c '^src')
	expect_eq "$sas" 4 "SAs untouched by the blackhole"
	down=$(event_ms "$mon" t1 down cause_ns "$t0")
	early=$(jq -s '[.[] | select(.path == "t1" and .new_state == "down")] | length' "$mon")
	[ "$early" -gt 1 ] && ktap_print_msg "note: t1 went down $((early - 1)) time(s) before the fault (probe answers late under emulation)"
	[ -n "$down" ] && ktap_print_msg "probe-fed detection: $((down - t0)) ms after the ESP blackhole (interval 100 ms x 3)"
	# flows of tunnel 2 never move: its buckets are the same
	[ "$(buckets_of 2 | jq -c --argjson b "$b2" '[$b[] as $i | . | index($i)] | map(. != null) | all')" = true ] ||
		fail "buckets of tunnel 2 moved"

	esp_drop 1 off
	wait_members "1 2" || fail "t1 did not return after the blackhole ended"
	grep -q "path t1: probe up (3 answers in a row)" "$DAEMON_LOG" ||
		fail "no 'probe up' after 3 answers in the log"
	stop_monitor
	jq -s -e '[.[] | select(.path == "t1") | .new_state] | index("hold") != null' "$mon" >/dev/null ||
		fail "t1 came back without going through hold-up"
}

run_tests "$ALL_TESTS"
