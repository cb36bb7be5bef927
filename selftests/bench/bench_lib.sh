# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by the benchmark scripts (source after lib.sh and topo.sh): where
# the C programs are (built on the host by "make bench-bin" into
# build/bench/bin) and where results go (build/bench/KVER/, one
# "NAME key=value..." line per figure; make bench turns them into
# results.md, plots and Documentation/benchmarks.rst).

BENCH_BIN=$SRCDIR/build/bench/bin
BENCH_OUT=$SRCDIR/build/bench/$(uname -r)

bench_require()
{
	local p

	for p in nlbench udaemon flowgen; do
		[ -x "$BENCH_BIN/$p" ] || ktap_skip_all "$BENCH_BIN/$p not built (make bench-bin)"
	done
	mkdir -p "$BENCH_OUT"
}

# result FILE LINE...: print and keep a result line.
result()
{
	local f=$1
	shift
	echo "# $*"
	echo "$*" >> "$BENCH_OUT/$f"
}

nlb()
{
	ip netns exec "$CGW" "$BENCH_BIN/nlbench" "$@"
}

# load_start / load_stop: both vCPUs busy at normal priority.
load_start()
{
	"$BENCH_BIN/nlbench" spin "$(nproc)" &
	LOAD_PID=$!
	sleep 0.5
}

load_stop()
{
	[ -n "${LOAD_PID:-}" ] || return 0
	kill "$LOAD_PID" 2>/dev/null
	wait "$LOAD_PID" 2>/dev/null
	LOAD_PID=
}

# memcg_setup: a memory cgroup for the processes that create the module's
# objects (MEMCG, empty if there is no cgroup2 memory controller).  The
# module charges groups and paths to their creator's cgroup, so its slab
# counters count the module's objects and nothing else the guest does.
memcg_setup()
{
	local root=/sys/fs/cgroup

	MEMCG=
	grep -q "^cgroup2 $root " /proc/mounts || mount -t cgroup2 none $root 2>/dev/null
	grep -qw memory $root/cgroup.controllers 2>/dev/null &&
		echo +memory > $root/cgroup.subtree_control &&
		mkdir -p $root/vx-bench-$$ && MEMCG=$root/vx-bench-$$
}

memcg_cleanup()
{
	[ -n "${MEMCG:-}" ] && rmdir "$MEMCG" 2>/dev/null
	MEMCG=
}

# in_memcg CMD...: run CMD in MEMCG (before any "ip netns exec", which
# mounts a sysfs of its own).
in_memcg()
{
	if [ -n "${MEMCG:-}" ]; then
		( echo "$BASHPID" > "$MEMCG/cgroup.procs" && "$@" )
	else
		"$@"
	fi
}

# memcg_slab: slab bytes charged to MEMCG ("-" without one).  Read after a
# pause: the kernel folds its per-CPU counters into memory.stat lazily.
memcg_slab()
{
	if [ -n "${MEMCG:-}" ]; then
		sleep 2
		awk '$1 == "slab" { print $2 }' "$MEMCG/memory.stat"
	else
		echo -
	fi
}

# slab_objs CACHE: objects in use in a slab cache (/proc/slabinfo).
slab_objs()
{
	awk -v c="$1" '$1 == c { print $2 }' /proc/slabinfo
}

# Trial counts and durations can be lowered for development runs:
# build/bench/params (shell assignments, e.g. TRIALS=20) is read here.
# shellcheck source=/dev/null
[ -f "$SRCDIR/build/bench/params" ] && . "$SRCDIR/build/bench/params"
