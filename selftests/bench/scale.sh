#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: scale and cost.
#   paths   a group of N paths (1, 16, 256) over dummy devices, one SA each:
#           time to configure them (one CLI run for the group, then one
#           generic netlink request per path from nlbench), the module's
#           memory: the slab charged to the memory cgroup the configuring
#           processes run in (the module charges its groups and paths
#           there; memcg_group_bytes for the group and the namespace's first
#           use, memcg_bytes_per_path for each path with its member entry),
#           reaction latency when path 1 fails (nlbench lat)
#   sas     10 000 SAs spread over the 256 paths, then 10 000 matching none:
#           add/delete rates, bytes per SA the module adds: its tracked-SA
#           entries are uncharged kmalloc-32 objects, counted in
#           /proc/slabinfo (matching minus foreign, times 32)
#   churn   XFRM add/delete at the highest rate nlbench drives (each
#           request waits for its ACK), with vpnecmp loaded and paths set
#           up, then with the module unloaded: events/s and guest CPU time
#           per event (/proc/stat, all CPUs); their difference is the
#           module's cost per event.  "rekey" is make-before-break rekey
#           churn: every group notification seen is a spurious transition.
# Results: build/bench/KVER/scale.txt.  Never fails on numbers.
#
# timeout: 900

source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../topo.sh"
source "$(dirname "$0")/bench_lib.sh"

SCALE_PATHS=${SCALE_PATHS:-1 16 256}
SCALE_TRIALS=${SCALE_TRIALS:-50}
SCALE_SAS=${SCALE_SAS:-10000}
CHURN_SECS=${CHURN_SECS:-5}

ktap_print_header
require_root
require_cmd ip jq
require_cli
require_module
bench_require
ktap_set_plan 1
trap 'topo_cleanup; memcg_cleanup' EXIT
rm -f "$BENCH_OUT/scale.txt"

# scale_paths N: netns CGW with dummy devices d1..dN, nexthops 1..N, group
# 10000 of all of them, blackhole 9999 (the all-down fallback).
scale_paths()
{
	local n=$1 i s0 s1 t0 t1 cfg

	CGW=vx-scale-$$
	ip netns add "$CGW" || return 1
	{
		echo "link set lo up"
		for ((i = 1; i <= n; i++)); do
			echo "link add d$i type dummy"
			echo "link set d$i up"
			echo "nexthop add id $i dev d$i"
		done
		echo "nexthop add id 9999 blackhole"
	} | ip -n "$CGW" -batch - || return 1
	nlb nhgroup 10000 "$n" &&
		ip -n "$CGW" route add 203.0.113.128/25 nhid 10000 || return 1
	nlb bulk add "$n" 10.0.0.1 10.0.0.2 "$n" 0x3000 > /dev/null
	s0=$(memcg_slab)
	t0=$EPOCHREALTIME
	in_memcg vx group add g nhid 10000 all-down fallback 9999 || return 1
	t1=$EPOCHREALTIME
	s1=$(memcg_slab)
	cfg=$(in_memcg nlb paths "$n" g 10.0.0.1 10.0.0.2) || return 1
	t2=$EPOCHREALTIME
	wait_members_n "$n"
	s2=$(memcg_slab)
	if [ "$s0" = - ]; then
		mem="memcg=none"
	else
		mem="memcg_group_bytes=$((s1 - s0)) memcg_paths_bytes=$((s2 - s1)) memcg_bytes_per_path=$(((s2 - s1) / n))"
	fi
	result scale.txt "paths-$n configure_s=$(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.2f", b - a + c - b }') netlink_s=$(echo "$cfg" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p') $mem members=$(ip -n "$CGW" -j nexthop show id 10000 | jq '.[0].group | length')"
	result scale.txt "$(nlb lat "paths-$n-latency" "$SCALE_TRIALS" 10.0.0.1 10.0.0.2 0x3000 1 10000 1)"
}

# The module's tracked-SA entries (struct vpnecmp_sa, 24 bytes) are
# kmalloc-32 objects; whatever else an SA add allocates there is the same
# for an SA matching a path and one matching none.
scale_sas()
{
	local o0 o1 o2 o3 m f

	o0=$(slab_objs kmalloc-32)
	m=$(nlb bulk add "$SCALE_SAS" 10.0.0.1 10.0.0.2 256 0x100000)
	sleep 1
	o1=$(slab_objs kmalloc-32)
	result scale.txt "sas-matching-add $m kmalloc32_objs=$((o1 - o0))"
	result scale.txt "sas-matching-del $(nlb bulk del "$SCALE_SAS" 10.0.0.1 10.0.0.2 256 0x100000)"
	sleep 1
	o2=$(slab_objs kmalloc-32)
	f=$(nlb bulk add "$SCALE_SAS" 10.0.0.3 10.0.0.4 256 0x200000)
	sleep 1
	o3=$(slab_objs kmalloc-32)
	result scale.txt "sas-foreign-add $f kmalloc32_objs=$((o3 - o2))"
	result scale.txt "sas-foreign-del $(nlb bulk del "$SCALE_SAS" 10.0.0.3 10.0.0.4 256 0x200000)"
	result scale.txt "sas-module-bytes-per-sa $(((o1 - o0 - (o3 - o2)) * 32 / SCALE_SAS))"
}

# wait_members_n N: group 10000 has N members (the work applied the paths).
wait_members_n()
{
	busywait 60000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id 10000 | jq '.[0].group | length')\" = $1 ]"
}

churn()
{
	local sfx=$1 l d r

	l=$(tun_local 1) r=$(tun_remote 1)
	if [ "$sfx" = "-loaded" ]; then
		result scale.txt "$(nlb churn rekey "$CHURN_SECS" "$l" "$r" 1 "$(spi_of 1 out)" 100 | sed "s/^churn-rekey/churn-rekey$sfx/")"
	fi
	# flap: tunnel 1 has no SA of its own, each add brings it up
	d=$(nlb sa del "$l" "$r" "$(spi_of 1 out)" 1)
	result scale.txt "$(nlb churn flap "$CHURN_SECS" "$l" "$r" 1 0x5000 100 | sed "s/^churn-flap/churn-flap$sfx/")"
	d=$(nlb sa add "$l" "$r" "$(spi_of 1 out)" 1)
	result scale.txt "$(nlb churn foreign "$CHURN_SECS" "$l" "$r" 1 0x6000 100 | sed "s/^churn-foreign/churn-foreign$sfx/")"
	: "$d"
}

echo "# kernel $(uname -r), $(nproc) vCPU"
memcg_setup || ktap_print_msg "no cgroup2 memory controller: module memory not measured"
for n in $SCALE_PATHS; do
	scale_paths "$n" || ktap_print_msg "paths $n: setup failed"
	[ "$n" = 256 ] && scale_sas
	topo_cleanup
done

topo_setup && sa_add 1 && sa_add 2 && vpnecmp_std_paths "" hold-up 0 &&
	wait_members "1 2" || ktap_skip_all "topology setup failed"
churn -loaded
vx path del t1 && vx path del t2 && vx group del g
if rmmod vpnecmp; then
	ip -n "$CGW" nexthop replace id 100 group 1/2
	churn -unloaded
	insmod "$VPNECMP_KO" || ktap_print_msg "insmod $VPNECMP_KO failed"
else
	ktap_print_msg "rmmod vpnecmp failed: no unloaded baseline"
fi
ktap_test_pass "scale and cost measured"
ktap_finished
