#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: every benchmark in one guest per kernel (-smp 2: the "under
# load" runs need two vCPUs to keep busy), the kernels side by side
# (BENCH_PARALLEL=0: one after the other), then report.py writes
# build/bench/results.md, the plots and Documentation/benchmarks.rst.
# Numbers are printed, never judged: the exit status only says whether the
# guests ran.
#
#   selftests/bench/run.sh KVER...

set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$REPO/build/bench
SCRIPTS=(bench/failover_latency.sh bench/loss.sh bench/scale.sh bench/throughput.sh
	 bench/probe_detect.sh bench/tenant_churn.sh)

[ $# -gt 0 ] || { echo "usage: $0 KVER..." >&2; exit 2; }
mkdir -p "$OUT"
start=$SECONDS

one()
{
	local k=$1

	rm -rf "${OUT:?}/$k"
	"$REPO/selftests/vm/run-vm.sh" -s 2 -m 512 "$k" "${SCRIPTS[@]}" > "$OUT/$k.log" 2>&1
	grep -E '^(not )?ok |tests, .* failed' "$OUT/$k.log"
}

rc=0
if [ "${BENCH_PARALLEL:-1}" = 1 ]; then
	pids=()
	for k in "$@"; do
		one "$k" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
else
	for k in "$@"; do one "$k" || rc=1; done
fi
python3 "$REPO/selftests/bench/report.py" "$OUT" "$REPO" "$@"
echo "make bench: $((SECONDS - start)) s; results in ${OUT#"$REPO"/}/results.md"
exit $rc
