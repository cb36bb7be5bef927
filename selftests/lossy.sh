#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lossy and long-haul paths: the prober tolerates random loss, still pulls
# a dead tunnel in K probes, and moves a path worse than its SLA out of the
# way.  netem in the underlay (AWS side, egress: the answers).  If a case
# fails:
#   loss_tolerance  with "lost 8 of 10", 10 % random loss pulls the path
#                   (a flap that moves its flows for nothing), or the loss
#                   was not there at all (the case proves nothing);
#   blackhole_k     a total loss is not seen after K probes with "lost K of
#                   N", the metrics file is not valid Prometheus text, or
#                   the pull is missing from its reaction-time histogram;
#   passive         with "passive on", a tunnel that receives traffic is
#                   pulled because the probes' answers come late (a loaded
#                   host, a long RTT), or passive liveness holds up a
#                   tunnel that receives nothing;
#   sla             a path at 300 ms with an SLA of 150 ms keeps its place
#                   in the group, the other path does not carry everything,
#                   or the path comes back before it met its SLA for the
#                   recovery time (or never).
#
# Short on purpose: loss_tolerance watches 60 s at 50 ms (about 1 200 probes,
# what the issue's 120 s at 100 ms sends).  A soak of hours would show the
# rate the simulation gives (make probe-sim, Documentation/benchmarks.rst:
# 0.01 false pulls per hour at 10 % loss with "lost 8 of 10" at 100 ms); a
# test cannot assert on such a rate, only on "none in this window".
#
# timeout: 900

ALL_TESTS="
	loss_tolerance
	blackhole_k
	passive
	sla
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"

PROM_CHECK=$(dirname "$0")/prom_check.py

# metric FILE QUERY: one sample of the daemon's metrics file ("absent"); the
# daemon runs as "vpnecmp -n CGW daemon": its samples carry netns="CGW"
metric()
{
	python3 "$PROM_CHECK" -l netns="$CGW" "$1" "$2"
}

# netem I ARGS...: the AWS side of underlay I delays or loses what it sends
netem()
{
	local i=$1
	shift

	ip netns exec "$AWS" tc qdisc replace dev "u$i" root netem "$@"
}

transitions_of()
{
	vx -j -s path show "$1" | jq '.[0].stats.transitions'
}

loss_tolerance()
{
	local conf=$TMPDIR_T/vpnecmp.conf prom=$TMPDIR_T/vpnecmp.prom before sent lost old

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	daemon_conf "$conf" \
		"probe t1 icmp 203.0.113.2 interval 50 lost 8 of 10" \
		"metrics $prom"
	daemon_start "$conf" || { fail "start"; return; }
	wait_members "1 2" || { fail "both tunnels should be in"; return; }
	netem 1 loss 10% || { fail "netem (sch_netem)"; return; }
	sleep 1
	before=$(transitions_of t1)

	sleep 60

	expect_eq "$(transitions_of t1)" "$before" "t1's transitions in 60 s at 10 % loss"
	grep -q "path t1: probe down" "$DAEMON_LOG" && fail "t1's probe signal dropped"
	expect_eq "$(members)" "1 2" "group after 60 s at 10 % loss"
	sleep 1.5	# the metrics file is written once a second
	sent=$(metric "$prom" 'vpnecmp_probe_sent_total{group="g",path="t1"}')
	lost=$(metric "$prom" 'vpnecmp_probe_lost_total{group="g",path="t1"}')
	old=$(metric "$prom" 'vpnecmp_probe_default_rule_downs_total{group="g",path="t1"}')
	ktap_print_msg "t1: $sent probes, $lost lost; \"3 in a row\" would have pulled it $old time(s) on the same probes"
	# netem works: at 10 % at least 3 % of ~1 200 probes are lost
	[ "$sent" != absent ] && [ "$lost" != absent ] && [ $((lost * 100)) -ge $((sent * 3)) ] ||
		fail "the loss did not happen: $lost of $sent probes lost"
}

blackhole_k()
{
	local conf=$TMPDIR_T/vpnecmp.conf prom=$TMPDIR_T/vpnecmp.prom n

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	daemon_conf "$conf" \
		"probe t1 icmp 203.0.113.2 interval 50 lost 8 of 10" \
		"metrics $prom"
	daemon_start "$conf" || { fail "start"; return; }
	wait_members "1 2" || { fail "both tunnels should be in"; return; }
	sleep 1
	netem 1 loss 100% || { fail "netem (sch_netem)"; return; }
	wait_state t1 down || { fail "t1 not pulled by a blackhole"; return; }
	expect_eq "$(path_field t1 reason)" probe "reason of t1"
	# Counted in probes, not in time: the signal dropped at the 8th loss.
	n=$(sed -n 's/.*path t1: probe down (no answer to \([0-9]*\) probes in a row).*/\1/p' \
		"$DAEMON_LOG" | head -n 1)
	expect_eq "$n" 8 "probes lost in a row when t1 was pulled (lost 8 of 10)"
	expect_eq "$(members)" "2" "group with t1 blackholed"

	sleep 1.5
	python3 "$PROM_CHECK" "$prom" || fail "the metrics file is not valid"
	expect_eq "$(metric "$prom" 'vpnecmp_probe_up{group="g",path="t1"}')" 0 "t1's probe gauge"
	n=$(metric "$prom" 'vpnecmp_pull_seconds_count{group="g",path="t1"}')
	[ "$n" != absent ] && [ "$n" -ge 1 ] || fail "t1's pull is not in the histogram ($n)"
	ktap_print_msg "t1 pulled: $(grep 'path t1: probe down' "$DAEMON_LOG" | head -n 1 | sed 's/^<[0-9]>//')"

	netem 1 loss 0%
	wait_members "1 2" || fail "t1 did not return"
}

# far_traffic SECONDS: the far side sends into tunnel t1 (UDP to CGW's t1
# address, one datagram every 5 ms): inbound ESP that CGW decrypts.  In
# the background, TRAFFIC_PID is the sender's pid (ip netns exec execs it).
far_traffic()
{
	ip netns exec "$AWS" python3 - "$1" <<-'EOF' &
	import socket, sys, time
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	end = time.monotonic() + float(sys.argv[1])
	while time.monotonic() < end:
	    s.sendto(b"vpnecmp-selftest", ("203.0.113.1", 9))
	    time.sleep(0.005)
	EOF
	TRAFFIC_PID=$!
}

passive()
{
	local conf=$TMPDIR_T/vpnecmp.conf prom=$TMPDIR_T/vpnecmp.prom before tpid saves
	local burners=() i

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	# t1 with passive liveness, t2 the control without
	daemon_conf "$conf" \
		"probe t1 icmp 203.0.113.2 interval 100 passive on" \
		"probe t2 icmp 203.0.113.6 interval 100" \
		"metrics $prom"
	daemon_start "$conf" || { fail "start"; return; }
	wait_members "1 2" || { fail "both tunnels should be in"; return; }
	sleep 1
	before=$(transitions_of t1)

	far_traffic 120
	tpid=$TRAFFIC_PID
	# the host's CPU saturated, as much as the guest's vCPUs allow
	for i in 1 2; do
		(while :; do :; done) &
		burners+=($!)
	done
	# Every answer late: past the 100 ms deadline.  t1's by 150 ms (its
	# traffic pauses that long when the delay starts, within the 300 ms
	# that passive liveness bridges); the control t2's by 1 s, since a
	# prober that runs late (a loaded host) still counts an answer that
	# came before it judged the probe.
	netem 1 delay 150ms && netem 2 delay 1000ms || { fail "netem (sch_netem)"; return; }
	daemon_wait_log "path t2: probe down" 20000 ||
		fail "t2 (the control, no passive) not pulled by late answers"
	sleep 5
	kill "${burners[@]}" 2>/dev/null
	wait "${burners[@]}" 2>/dev/null

	expect_eq "$(transitions_of t1)" "$before" "t1's transitions while its tunnel received traffic"
	grep -q "path t1: probe down" "$DAEMON_LOG" && fail "t1's probe signal dropped"
	case " $(members) " in
	*" 1 "*) ;;
	*) fail "t1 not in the group: $(members)" ;;
	esac
	sleep 1.5
	saves=$(metric "$prom" 'vpnecmp_probe_passive_saves_total{group="g",path="t1"}')
	[ "$saves" != absent ] && [ "$saves" -gt 0 ] ||
		fail "no lost probe of t1 was forgiven by the traffic ($saves)"
	ktap_print_msg "t1: $saves late probes forgiven by the tunnel's inbound traffic"

	# The traffic stops and t1 blackholes: nothing comes in any more (the
	# late answers were proof of life too), t1 goes down like t2.
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
	netem 1 loss 100%
	daemon_wait_log "path t1: probe down" 20000 ||
		fail "t1's probe signal held up by passive liveness without traffic"
}

sla()
{
	local conf=$TMPDIR_T/vpnecmp.conf prom=$TMPDIR_T/vpnecmp.prom t0 l_met l_back
	local probe="interval 400 measure 10 sla-rtt 150 sla-recovery 8000"

	sa_add 1 && sa_add 2 || { fail "SAs"; return; }
	netem 1 delay 300ms || { fail "netem (sch_netem)"; return; }
	netem 2 delay 50ms || { fail "netem"; return; }
	daemon_conf "$conf" \
		"probe t1 icmp 203.0.113.2 $probe" \
		"probe t2 icmp 203.0.113.6 $probe" \
		"metrics $prom"
	daemon_start "$conf" || { fail "start"; return; }

	# A full window of 10 probes at 400 ms, then t1 drops a tier.
	daemon_wait_log "path t1: degraded (rtt p50 [0-9]* ms over sla-rtt 150 ms" 30000 ||
		{ fail "t1 not degraded at 300 ms"; return; }
	wait_members "2" || fail "t2 should carry everything while t1 is degraded"
	expect_eq "$(path_state t1)" up "t1's state while degraded (up, one tier lower)"
	expect_eq "$(path_field t1 tier)" 1 "t1's tier in the module while degraded"
	# path show -s and -j carry the prober's figures and the SLA verdict
	busywait 5000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show t1 | jq -r '.[0].probe.degraded')\" = true ]" ||
		fail "path show -j t1: probe.degraded is not true"
	[ "$(vx -j path show t1 | jq -r '.[0].probe.rtt_p50_us > 150000')" = true ] ||
		fail "path show -j t1: rtt_p50_us $(vx -j path show t1 | jq -r '.[0].probe.rtt_p50_us') not above the 150 ms SLA"
	vx -s path show t1 | grep -q '^    probe up rtt p50 .* degraded (SLA)$' ||
		fail "path show -s t1 has no degraded probe line: $(vx -s path show t1 | tr '\n' '|')"
	grep -q "path t2: degraded" "$DAEMON_LOG" && fail "t2 (50 ms) degraded"
	sleep 1.5
	expect_eq "$(metric "$prom" 'vpnecmp_probe_sla_degraded{group="g",path="t1"}')" 1 \
		"t1's degraded gauge"
	ktap_print_msg "$(grep 'path t1: degraded' "$DAEMON_LOG" | head -n 1 | sed 's/^<[0-9]>//')"

	# Back to 50 ms: the window refills, then 8 s within SLA.
	netem 1 delay 50ms
	t0=$(uptime_ms)
	daemon_wait_log "path t1: meets its SLA" 30000 ||
		{ fail "t1 never met its SLA at 50 ms"; return; }
	expect_eq "$(members)" "2" "group right after t1 met its SLA (recovery 8 s not over)"
	daemon_wait_log "path t1: within its SLA" 40000 ||
		{ fail "t1 did not come back after its recovery time"; return; }
	l_met=$(grep -n "path t1: meets its SLA" "$DAEMON_LOG" | tail -n 1 | cut -d: -f1)
	l_back=$(grep -n "path t1: within its SLA" "$DAEMON_LOG" | head -n 1 | cut -d: -f1)
	[ "$l_met" -lt "$l_back" ] || fail "t1 back (line $l_back) before it met its SLA (line $l_met)"
	# a lower bound only: a loaded host makes it later, never earlier
	[ $(($(uptime_ms) - t0)) -ge 8000 ] || fail "t1 back less than 8 s after the delay went"
	wait_members "1 2" || fail "t1 not back in the group"
	expect_eq "$(path_field t1 tier)" 0 "t1's tier after recovery"
	ktap_print_msg "$(grep 'path t1: within its SLA' "$DAEMON_LOG" | head -n 1 | sed 's/^<[0-9]>//')"

	# Stopping the daemon never leaves a path demoted.
	netem 1 delay 300ms
	busywait 30000 sh -c "[ \$(grep -c 'path t1: degraded' '$DAEMON_LOG') -ge 2 ]" ||
		{ fail "t1 not degraded a second time"; return; }
	daemon_stop
	expect_eq "$(path_field t1 tier)" 0 "t1's tier after the daemon stopped"
}

run_tests "$ALL_TESTS"
