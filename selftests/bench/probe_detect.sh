#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: the prober of "vpnecmp daemon".
#   detect   the far end of tunnel 1 stops answering (icmp_echo_ignore_all
#            in the cloud namespace, written by the same process that reads
#            the clock: no exec between the fault and its timestamp); the
#            time to the module's "down" transition of t1 (its timestamp_ns,
#            CLOCK_MONOTONIC like ours), over PROBE_TRIALS trials at a random
#            phase of the probe schedule, at 100 ms x 3 and 10 ms x 3.  Also
#            how many times t1 went down with nothing wrong (false).
#   cpu      N probed paths (1, 64, 1000; veth links to a responder
#            namespace whose kernel answers), at 100 ms and 10 ms: the
#            daemon's utime + stime from /proc/PID/stat over PROBE_CPU_SECS
#            seconds, as percent of one CPU, and per path.  stime includes
#            the kernel's work on the daemon's behalf: sending, and, over
#            veth, the responder's answer handled in the sender's softirq.
#            probes/s is what the daemon actually sent (tx packets).
# Results: build/bench/KVER/probe.txt.  Never fails on numbers.
#
#   make bench-bin && selftests/vm/run-vm.sh KVER bench/probe_detect.sh
#
# timeout: 1200

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../topo.sh"
source "$(dirname "$0")/bench_lib.sh"

PROBE_TRIALS=${PROBE_TRIALS:-50}
PROBE_CPU_SECS=${PROBE_CPU_SECS:-10}
PROBE_CPU_PATHS=${PROBE_CPU_PATHS:-1 64 1000}

ktap_print_header
require_root
require_cmd ip jq python3
require_cli
require_module
mkdir -p "$BENCH_OUT"
ktap_set_plan 2
rm -f "$BENCH_OUT/probe.txt"
TMPDIR_T=$(mktemp -d)
RESP=
NEIGH_SAVED=

cleanup()
{
	stop_monitor
	daemon_stop
	[ -n "$RESP" ] && ip netns del "$RESP" 2>/dev/null
	topo_cleanup
	[ -n "$NEIGH_SAVED" ] && echo "$NEIGH_SAVED" | {
		read -r a b c
		echo "$a" > /proc/sys/net/ipv4/neigh/default/gc_thresh1
		echo "$b" > /proc/sys/net/ipv4/neigh/default/gc_thresh2
		echo "$c" > /proc/sys/net/ipv4/neigh/default/gc_thresh3
	}
	rm -rf "$TMPDIR_T"
}
trap cleanup EXIT

# detect_run INTERVAL: PROBE_TRIALS faults on t1's far end, one result line
detect_run()
{
	local iv=$1 conf=$TMPDIR_T/detect.conf out

	DAEMON_LOG=$TMPDIR_T/daemon-$iv.log
	DAEMON_HOLD=0 daemon_conf "$conf" "probe t1 icmp 203.0.113.2 interval $iv multiplier 3"
	daemon_start "$conf" || return 1
	wait_members "1 2" || return 1
	out=$(ip netns exec "$AWS" python3 - "$VPNECMP" "$CGW" "$PROBE_TRIALS" "$iv" <<-'EOF'
	import json, os, random, select, subprocess, sys, time
	cli, cgw, trials, iv = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
	ctl = "/proc/sys/net/ipv4/icmp_echo_ignore_all"
	# blocking reads of the monitor's events: no polling loop competing
	# with the daemon for the CPU
	mon = subprocess.Popen([cli, "-n", cgw, "-j", "monitor", "path"],
	                       stdout=subprocess.PIPE, bufsize=0)
	time.sleep(0.5)
	false_downs = 0

	def clock():
	    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)

	def setv(v):
	    with open(ctl, "w") as c:
	        c.write(v)

	fd = mon.stdout.fileno()
	pending, buf = [], b""

	def event(end):
	    """The next event, or None at time.monotonic() end."""
	    global buf
	    while not pending:
	        left = end - time.monotonic()
	        if left <= 0 or not select.select([fd], [], [], left)[0]:
	            return None
	        chunk = os.read(fd, 65536)
	        if not chunk:
	            return None
	        buf += chunk
	        *done, buf = buf.split(b"\n")
	        pending.extend(done)
	    try:
	        return json.loads(pending.pop(0))
	    except ValueError:
	        return {}

	def wait(state, after, fault_at=None, timeout=10.0):
	    global false_downs
	    end = time.monotonic() + timeout
	    while True:
	        e = event(end)
	        if e is None:
	            return None
	        if e.get("event") != "path" or e.get("path") != "t1":
	            continue
	        ts = e.get("timestamp_ns", 0)
	        if e.get("new_state") == "down" and fault_at is not None and ts < fault_at:
	            false_downs += 1
	        if e.get("new_state") == state and ts >= after:
	            return ts

	res, missed = [], 0
	for i in range(trials):
	    # a random phase of the probe schedule
	    time.sleep(0.3 + random.uniform(0, iv / 1000.0))
	    t0 = clock()
	    setv("1")
	    ts = wait("down", t0, fault_at=t0)
	    setv("0")
	    if ts is None:
	        missed += 1
	    else:
	        res.append((ts - t0) / 1e6)
	    if wait("up", t0) is None:
	        break
	res.sort()

	def pct(p):
	    return res[min(len(res) - 1, int(round(p / 100.0 * (len(res) - 1))))]

	if res:
	    print("n=%d trials=%d missed=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f min_ms=%.1f max_ms=%.1f false_downs=%d"
	          % (len(res), trials, missed, pct(50), pct(90), pct(99), res[0], res[-1], false_downs))
	else:
	    print("n=0 trials=%d missed=%d false_downs=%d" % (trials, missed, false_downs))
	mon.terminate()
	EOF
	)
	daemon_stop
	result probe.txt "detect-${iv}ms interval_ms=$iv multiplier=3 $out"
}

# cpu_setup N: N veth links CGW pI -- RESP rI, nexthop 10000+I over pI,
# groups m0.. of 100 paths each (nexthop 2000+G).
cpu_setup()
{
	local n=$1 i a b g ns

	# namespaces of their own: no tunnel topology needed here
	CGW=vx-pcgw-$$
	RESP=vx-presp-$$
	ip netns add "$CGW" && ip netns add "$RESP" || return 1
	ip -n "$CGW" link set lo up || return 1
	# no IPv6 autoconfiguration chatter on 2 x 1000 new links
	for ns in "$CGW" "$RESP"; do
		ip netns exec "$ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6;
			echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6' || return 1
	done
	# 2 x 1000 neighbours, more than the kernel's default table
	NEIGH_SAVED="$(cat /proc/sys/net/ipv4/neigh/default/gc_thresh1) $(cat /proc/sys/net/ipv4/neigh/default/gc_thresh2) $(cat /proc/sys/net/ipv4/neigh/default/gc_thresh3)"
	echo 4096 > /proc/sys/net/ipv4/neigh/default/gc_thresh1
	echo 8192 > /proc/sys/net/ipv4/neigh/default/gc_thresh2
	echo 16384 > /proc/sys/net/ipv4/neigh/default/gc_thresh3
	# ip -batch keeps a descriptor per "netns NAME" it reads: 2 per line
	for ((i = 1; i <= n; i++)); do
		echo "link add p$i netns $CGW type veth peer name r$i netns $RESP"
	done | (ulimit -n $((4 * n + 256)) && ip -batch -) || return 1
	{
		echo "link set lo up"
		for ((i = 1; i <= n; i++)); do
			a=$((i / 64)); b=$((i % 64 * 4))
			echo "addr add 10.$((64 + a)).0.$((b + 2))/30 dev r$i"
			echo "link set r$i up"
		done
	} | ip -n "$RESP" -batch - || return 1
	{
		for ((i = 1; i <= n; i++)); do
			a=$((i / 64)); b=$((i % 64 * 4))
			echo "addr add 10.$((64 + a)).0.$((b + 1))/30 dev p$i"
			echo "link set p$i up"
			echo "nexthop add id $((10000 + i)) dev p$i"
		done
		for ((g = 0; g * 100 < n; g++)); do
			a=$((g * 100 + 1)); b=$((g * 100 + 100 < n ? g * 100 + 100 : n))
			printf 'nexthop add id %d group %s\n' $((2000 + g)) \
				"$(seq -s / $((10000 + a)) $((10000 + b)))"
		done
	} | ip -n "$CGW" -batch - || return 1
}

# cpu_conf FILE N INTERVAL: the first N paths, probed every INTERVAL ms
cpu_conf()
{
	local f=$1 n=$2 iv=$3 i a b g

	{
		for ((g = 0; g * 100 < n; g++)); do
			echo "group m$g nhid $((2000 + g)) hold-up 0"
		done
		for ((i = 1; i <= n; i++)); do
			a=$((i / 64)); b=$((i % 64 * 4))
			echo "path p$i group m$(((i - 1) / 100)) dev p$i nhid $((10000 + i)) local 192.0.2.1 remote 198.18.$a.$((i % 64 + 1)) mark $((100 + i)) signals probe"
			echo "probe p$i icmp 10.$((64 + a)).0.$((b + 2)) interval $iv multiplier 3"
		done
	} > "$f"
}

tx_sum()
{
	ip -n "$CGW" -s -j link show | jq '[.[] | select(.ifname | test("^p[0-9]+$")) | .stats64.tx.packets] | add // 0'
}

# cpu_run N INTERVAL
cpu_run()
{
	local n=$1 iv=$2 conf=$TMPDIR_T/cpu.conf hz s0 s1 tx0 tx1 t0 t1 ticks up downs

	DAEMON_LOG=$TMPDIR_T/daemon-cpu-$n-$iv.log
	cpu_conf "$conf" "$n" "$iv"
	daemon_start "$conf" || return 1
	busywait 60000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show | jq '[.[] | select(.state == \"up\")] | length')\" = $n ]"
	up=$(vx -j path show | jq '[.[] | select(.state == "up")] | length')
	sleep 1
	downs=$(grep -c "probe down" "$DAEMON_LOG")
	hz=$(getconf CLK_TCK)
	tx0=$(tx_sum)
	t0=${EPOCHREALTIME/./}
	s0=$(awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat")
	sleep "$PROBE_CPU_SECS"
	s1=$(awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat")
	t1=${EPOCHREALTIME/./}
	tx1=$(tx_sum)
	downs=$(($(grep -c "probe down" "$DAEMON_LOG") - downs))
	daemon_stop
	ticks=$((s1 - s0))
	result probe.txt "$(awk -v n="$n" -v iv="$iv" -v t="$ticks" -v hz="$hz" \
		-v us=$((t1 - t0)) -v tx=$((tx1 - tx0)) -v up="$up" -v d="$downs" 'BEGIN {
		cpu = t / hz / (us / 1e6) * 100
		printf "cpu-%d-%dms paths=%d interval_ms=%d up=%d cpu_pct=%.2f cpu_pct_per_path=%.4f probes_per_s=%.0f wanted_per_s=%.0f probe_downs=%d\n",
			n, iv, n, iv, up, cpu, cpu / n, tx / (us / 1e6), n * 1000 / iv, d
	}')"
}

# ------------------------------------------------------------------ detect
if topo_setup && sa_add 1 && sa_add 2; then
	# shellcheck disable=SC2034 # read by log_test
	RET=0
	detect_run 100 || RET=1
	detect_run 10 || RET=1
	log_test "probe detection (${PROBE_TRIALS} trials at 100 ms x 3 and 10 ms x 3)"
else
	ktap_test_fail "probe detection: topology"
fi
topo_cleanup

# ------------------------------------------------------------------ cpu
max=0
for n in $PROBE_CPU_PATHS; do [ "$n" -gt "$max" ] && max=$n; done
if cpu_setup "$max"; then
	# shellcheck disable=SC2034 # read by log_test
	RET=0
	for n in $PROBE_CPU_PATHS; do
		for iv in 100 10; do
			cpu_run "$n" "$iv" || RET=1
		done
	done
	log_test "prober CPU per path ($PROBE_CPU_PATHS paths at 100 ms and 10 ms)"
else
	ktap_test_fail "prober CPU: setup"
fi
ktap_finished
