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

# slab_kb: the kernel's slab memory (kB).
slab_kb()
{
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

# Trial counts and durations can be lowered for development runs:
# build/bench/params (shell assignments, e.g. TRIALS=20) is read here.
# shellcheck source=/dev/null
[ -f "$SRCDIR/build/bench/params" ] && . "$SRCDIR/build/bench/params"
