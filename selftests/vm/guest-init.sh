#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stage 2 of the selftest guest: PID 1 after switch_root (see
# initramfs-init), running the tests that run-vm.sh wrote into $vmrun.
#
# For every test it marks the kernel log, insmods $VPNECMP_KO (unless the
# script has the line "# vpnecmp: noload"), runs the script under timeout
# with its output in $OUTDIR/current.log, rmmods the module and scans the
# kernel log written since the mark for splats.  Processes and named netns
# a test leaves behind are reported (not failed) and removed.  The output,
# the runner's findings and a KTAP result line are appended to
# $OUTDIR/results.ktap.  Then the guest powers off.
#
# This is PID 1: if it exits, the kernel panics.  It must not.

set -u
shopt -s nullglob
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LC_ALL=C TERM=dumb TMPDIR=/tmp SHELL=/bin/bash

poweroff_now() {
	sync
	command -v busybox >/dev/null && busybox poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 30
}

say() {
	echo "guest: $*" >/dev/console
}

# shellcheck source=/dev/null # written by run-vm.sh
if [ -z "${vmrun:-}" ] || ! . "$vmrun"; then
	say "cannot read the run configuration '${vmrun:-}'"
	poweroff_now
fi
# Slow (debug) kernels: run-vm.sh --timeout-scale; lib.sh's waits scale too.
TIMEOUT_SCALE=${VPNECMP_TIMEOUT_SCALE:-1}
export VPNECMP_TIMEOUT_SCALE=$TIMEOUT_SCALE
export KVER SRCDIR VPNECMP_KO VPNECMP

RESULTS=$OUTDIR/results.ktap
CURRENT=$OUTDIR/current.log

read -r up _ </proc/uptime
say "userspace after $up s"

# Kernel log lines that fail a test.  The second line is what the debug
# kernel's checkers print (lockdep, RCU-lockdep, DEBUG_OBJECTS, KFENCE,
# DEBUG_LIST, the netdev/netns reference trackers, RCU stalls); most of
# their reports also carry a "WARNING:" or "BUG:" line, but not all.
SPLAT_RE='BUG:|WARNING:|Oops|general protection|refcount_t:|INFO: task .* blocked|UBSAN:|KASAN:|kmemleak|Call Trace:|unreferenced object'
SPLAT_RE+='|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|ODEBUG:|KFENCE:|ref_tracker:|unregister_netdevice: waiting|detected stalls? on|list_.* corruption'
# ... except the line a kmemleak scan prints when it found something: the
# runner's own scans judge what kmemleak found (kmemleak_read).
SPLAT_SKIP_RE='kmemleak: [0-9]+ new suspected memory leaks'
# Taint flags that a splat leaves behind: D (oops), W (warning),
# L (soft lockup), B (bad page).
TAINT_MASK=$(( (1 << 7) | (1 << 9) | (1 << 14) | (1 << 5) ))

indent() {
	local l
	while IFS= read -r l || [ -n "$l" ]; do
		printf '# %s\n' "$l"
	done
}

# elapsed START [END]: seconds between two $EPOCHREALTIME values (END
# defaults to now), without an exec.
elapsed() {
	local a=${1/./} b=${2:-$EPOCHREALTIME} d
	b=${b/./}
	d=$(( (b - a) / 10000 ))
	printf '%d.%02d' $((d / 100)) $((d % 100))
}

module_loaded() {
	local name _
	while read -r name _; do
		[ "$name" = vpnecmp ] && return 0
	done </proc/modules
	return 1
}

# stray_processes: "PID:COMM ..." of every user process but PID 1 and
# this subshell (kernel threads have an empty cmdline).
stray_processes() {
	local p pid arg0 comm list=
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = 1 ] || [ "$pid" = "$BASHPID" ] && continue
		arg0=
		IFS= read -r -d '' arg0 <"$p/cmdline" 2>/dev/null
		[ -n "$arg0" ] || continue
		read -r comm <"$p/comm" 2>/dev/null
		list+="${list:+ }$pid:$comm"
	done
	echo "$list"
}

basic_setup() {
	echo vm >/proc/sys/kernel/hostname
	ip link set lo up
	# Report tasks stuck in D state well within a test timeout.
	[ -w /proc/sys/kernel/hung_task_timeout_secs ] &&
		echo $((60 * TIMEOUT_SCALE)) >/proc/sys/kernel/hung_task_timeout_secs
	# Debug kernels: forget what kmemleak suspects from boot.
	[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
	return 0
}

# Load the IPsec modules and instantiate the AEAD the tests use once: the
# first rfc4106(gcm(aes)) SA costs ~5 s under emulation (crypto self-tests),
# which no test should pay.  Other algorithms cost 1-1.5 s each on first use
# (cbc(aes)+hmac(sha256), chacha20-poly1305): add them here when tests
# start using them.
warm_up() {
	local k20=0x00112233445566778899aabbccddeeff00112233
	local mods="esp4 esp6 xfrm_user xfrm_interface ip_vti ip6_vti xfrm4_tunnel xfrm6_tunnel dummy veth"
	local m t=$EPOCHREALTIME

	# shellcheck disable=SC2086 # word splitting wanted
	if ! modprobe -a -q $mods 2>/dev/null; then
		for m in $mods; do
			modprobe -q "$m" 2>/dev/null || say "warm-up: no module $m"
		done
	fi
	say "warm-up: modules loaded after $(elapsed "$t") s"
	ip netns add vm-warm-up || return
	ip -n vm-warm-up -force -batch - <<EOF
xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1 mode tunnel aead rfc4106(gcm(aes)) $k20 128
xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x2 mode tunnel aead rfc4106(gcm(aes)) $k20 128
xfrm state flush
EOF
	ip netns del vm-warm-up
	say "warm-up: ciphers ready after $(elapsed "$t") s"
	# insmod does not resolve dependencies.
	if [ -f "$VPNECMP_KO" ]; then
		local deps
		deps=$(modinfo -F depends "$VPNECMP_KO" 2>/dev/null)
		# shellcheck disable=SC2086 # word splitting wanted
		[ -n "$deps" ] && modprobe -a -q ${deps//,/ }
	fi
	return 0
}

KMEMLEAK=/sys/kernel/debug/kmemleak

# kmemleak_read: split what kmemleak reports into the objects the tests are
# responsible for, KL_OURS (lines), and the others, KL_OTHER (lines).
# Ours: the backtrace goes through vpnecmp, or the object was allocated by
# a user process (the only ones in the guest are the runner and the tests),
# or by a kernel thread in the networking/XFRM/nexthop code the tests
# drive.  The others (boot-time and unrelated kernel-thread allocations,
# known kmemleak false positives) are shown, not failed.
KL_NET_RE='vpnecmp|xfrm|nexthop|nh_|rtnl|rtm_|genl|[a-z0-9_]*net[a-z0-9_]*\+0x|fib|ipv6|ip6_|addrconf|neigh|dst_|veth|vti|esp|skb|sock'
KL_KTHREAD_RE='^(kworker|ksoftirqd|swapper|rcu|kthreadd|migration|cpuhp|khungtaskd|kcompactd|kswapd|oom_reaper|kdevtmpfs|kauditd|khugepaged|kblockd|kmemleak|kintegrityd|watchdog|irq/|netns|writeback|kdamond|jbd2|9p)'
kmemleak_read() {
	local -a rec=() lines=()
	local l

	KL_OURS=()
	KL_OTHER=()
	mapfile -t lines <"$KMEMLEAK"
	for l in "${lines[@]}" "unreferenced object (end)"; do
		if [[ $l == "unreferenced object"* ]] && [ ${#rec[@]} -gt 0 ]; then
			if kmemleak_ours "${rec[@]}"; then
				KL_OURS+=("${rec[@]}")
			else
				KL_OTHER+=("${rec[@]}")
			fi
			rec=()
		fi
		rec+=("$l")
	done
}

kmemleak_ours() {
	local l comm='' bt=''

	for l in "$@"; do
		if [[ $l =~ comm\ \"([^\"]*)\" ]]; then
			comm=${BASH_REMATCH[1]}
		elif [[ $l == *"+0x"* ]]; then
			bt+=" $l"
		fi
	done
	[[ $bt == *vpnecmp* ]] && return 0
	[[ $comm =~ $KL_KTHREAD_RE ]] || return 0
	[[ $bt =~ $KL_NET_RE ]]
}

# run_test N NAME TIMEOUT LOAD: run one test and append its block to
# $RESULTS.
run_test() {
	local n=$1 name=$2 to=$3 load=$4
	local marker="vpnecmp-selftest: begin $n $name"
	local -a fails=() notes=() klog=() hits=()
	local rc=0 out t0 t1 taint0 taint1 start i first from to_line line
	local tries result skip_reason stray netns

	: >"$CURRENT"
	echo "$marker" >/dev/kmsg
	read -r taint0 </proc/sys/kernel/tainted

	if [ "$load" = 1 ]; then
		if [ ! -f "$VPNECMP_KO" ]; then
			notes+=("$VPNECMP_KO is not built: the test runs without the module")
		elif module_loaded; then
			notes+=("vpnecmp was already loaded before the test")
		elif ! out=$(insmod "$VPNECMP_KO" 2>&1); then
			fails+=(insmod)
			notes+=("insmod $VPNECMP_KO failed: $out")
		fi
	fi

	t0=$EPOCHREALTIME
	if [ ${#fails[@]} -eq 0 ]; then
		say "running $name (timeout $to s)"
		if [ -x "$SRCDIR/selftests/$name" ]; then
			(cd "$SRCDIR/selftests" && exec timeout -k 10 "$to" "./$name") \
				</dev/null >"$CURRENT" 2>&1
		else
			(cd "$SRCDIR/selftests" && exec timeout -k 10 "$to" bash "./$name") \
				</dev/null >"$CURRENT" 2>&1
		fi
		rc=$?
	fi
	t1=$EPOCHREALTIME

	case $rc in
	0|4) ;;
	124|137)
		fails+=(timeout)
		notes+=("timed out after $to s") ;;
	*)
		fails+=(exit)
		notes+=("exit status $rc") ;;
	esac

	# A test must stop what it started: report leftovers, then kill them
	# so that the next test starts clean.  Named netns are removed after
	# rmmod, so that the module's unload also meets live namespaces.
	stray=$(stray_processes)
	if [ -n "$stray" ]; then
		notes+=("processes left running: $stray")
		kill -KILL -1 2>/dev/null
		sleep 0.2
	fi
	netns=(/run/netns/*)
	[ ${#netns[@]} -gt 0 ] && notes+=("netns left behind: ${netns[*]##*/}")

	if module_loaded; then
		[ "$load" = 0 ] && {
			fails+=(left-loaded)
			notes+=("the test left vpnecmp loaded")
		}
		for tries in 1 2 3; do
			out=$(rmmod vpnecmp 2>&1) && break
			sleep 1
		done
		if module_loaded; then
			fails+=(rmmod)
			notes+=("rmmod vpnecmp failed ($tries tries): $out")
			notes+=("refcnt $(cat /sys/module/vpnecmp/refcnt 2>/dev/null)")
		fi
	fi

	[ ${#netns[@]} -gt 0 ] && ip -all netns delete 2>/dev/null

	# kmemleak only exists on debug kernels.  It reports an object once it
	# is a few seconds old: a leak at the very end of a test may be
	# reported after the next one.
	if [ -w "$KMEMLEAK" ]; then
		echo scan >"$KMEMLEAK"
		kmemleak_read
		if [ ${#KL_OURS[@]} -gt 0 ]; then
			fails+=(splat)
			notes+=("kmemleak:" "${KL_OURS[@]:0:80}")
		fi
		[ ${#KL_OTHER[@]} -gt 0 ] &&
			notes+=("kmemleak, not from the tests (not failed):" "${KL_OTHER[@]:0:40}")
		echo clear >"$KMEMLEAK"
	fi

	mapfile -t klog < <(dmesg 2>/dev/null)
	start=0
	for ((i = ${#klog[@]} - 1; i >= 0; i--)); do
		if [[ ${klog[i]} == *"$marker" ]]; then
			start=$((i + 1))
			break
		fi
	done
	[ $start -eq 0 ] && notes+=("kernel log marker lost: scanning the whole log")
	for ((i = start; i < ${#klog[@]}; i++)); do
		[[ ${klog[i]} =~ $SPLAT_RE ]] && ! [[ ${klog[i]} =~ $SPLAT_SKIP_RE ]] &&
			hits+=("$i")
	done
	read -r taint1 </proc/sys/kernel/tainted
	if [ ${#hits[@]} -gt 0 ]; then
		fails+=(splat)
		first=${hits[0]}
		from=$((first - 3 < start ? start : first - 3))
		to_line=$((first + 60 < ${#klog[@]} ? first + 60 : ${#klog[@]}))
		notes+=("kernel log (${#hits[@]} suspicious lines, from line $((first - start + 1)) after the mark):")
		for ((i = from; i < to_line; i++)); do
			notes+=("  ${klog[i]}")
		done
	elif (( (taint1 & ~taint0) & TAINT_MASK )); then
		fails+=(splat)
		notes+=("kernel taint went from $taint0 to $taint1 with nothing in the log")
	fi

	{
		indent <"$CURRENT"
		for line in "${notes[@]}"; do
			printf '# runner: %s\n' "$line"
		done
		for line in "${fails[@]}"; do
			printf '# runner-fail: %s\n' "$line"
		done
		echo "# time: $(elapsed "$t0" "$t1") s"
		result="$n $KVER:$name"
		if [ ${#fails[@]} -gt 0 ]; then
			echo "not ok $result"
		elif [ "$rc" -eq 4 ]; then
			skip_reason=
			while IFS= read -r line; do
				[[ $line == *"# SKIP"* ]] && skip_reason=${line##*# SKIP}
			done <"$CURRENT"
			skip_reason=${skip_reason# }
			echo "ok $result # SKIP ${skip_reason:-exit status 4}"
		else
			echo "ok $result"
		fi
	} >>"$RESULTS"
	rm -f "$CURRENT"
	say "$name done: rc=$rc${fails[*]:+, failed: ${fails[*]}}"
}

basic_setup
t0=$EPOCHREALTIME
warm_up
t1=$EPOCHREALTIME
{
	echo "KTAP version 1"
	echo "# guest: userspace after $up s (uptime), warm-up $(elapsed "$t0" "$t1") s"
	echo "1..${#TESTS[@]}"
} >"$RESULTS"

# leak_check N: the final kmemleak pass (run-vm.sh --leak-check), once the
# last test's objects are old enough to be reported (5 s).  Two scans: an
# object is only reported once it was found unreferenced by a scan, and a
# pointer in flight may hide it from one.
leak_check() {
	local n=$1 t0=$EPOCHREALTIME result="$1 $KVER:kmemleak"

	if [ ! -w "$KMEMLEAK" ]; then
		{
			echo "# no $KMEMLEAK: not a kmemleak kernel"
			echo "ok $result # SKIP no kmemleak"
		} >>"$RESULTS"
		return
	fi
	say "kmemleak: final scans"
	sleep 6
	echo scan >"$KMEMLEAK"
	echo scan >"$KMEMLEAK"
	kmemleak_read
	{
		[ ${#KL_OURS[@]} -gt 0 ] && printf '# %s\n' "${KL_OURS[@]:0:200}"
		[ ${#KL_OTHER[@]} -gt 0 ] &&
			printf '# not from the tests (not failed): %s\n' "${KL_OTHER[@]:0:80}"
		echo "# time: $(elapsed "$t0") s"
		if [ ${#KL_OURS[@]} -gt 0 ]; then
			echo "# runner-fail: splat"
			echo "not ok $result"
		else
			echo "ok $result"
		fi
	} >>"$RESULTS"
}

n=0
for entry in "${TESTS[@]}"; do
	n=$((n + 1))
	IFS=: read -r name to load <<<"$entry"
	if [ "$name" = @kmemleak ]; then
		leak_check "$n"
	else
		run_test "$n" "$name" "$to" "$load"
	fi
done

say "all tests done"
poweroff_now
