#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Not a test: the noisy tenant of isolation.sh and bench/tenant_churn.sh.
# Run as an unprivileged user inside a user and network namespace of its
# own (unshare -Urn), it fills its namespace with the maximum number of
# vpnecmp groups and then churns the nexthop they all use as fast as one
# "ip -batch" goes, until told to stop.
#
#   tenant_load.sh DIR N PATHS|plain
#
# Sets up dummy d1 with nexthop 1 and N+1 kernel nexthop groups
# 1001..1001+N of it, then vpnecmp groups g1..gN (group I manages kernel
# group 1000+I; the first PATHS groups have a path aI over d1/nexthop 1,
# signals admin), then tries one group more (g(N+1)), which the
# per-namespace limit must refuse when N is that limit.  One path is
# enough for the work to watch every group's nexthop: each replace of
# nexthop 1 then makes it re-read all N groups.  With "plain", no vpnecmp
# group: the same churn on kernel groups alone (the kernel's own cost of
# it, for comparison).  Writes to DIR (which must be writable by the
# caller):
#   setup      genl_groups.py's answers ("done 2N", then "refused ...")
#   ready      once set up: "work_runs R" before the churn
#   result     after DIR/stop appears: "churn_ops C", "work_runs R",
#              "groups G", "groups_active A" (groups whose kernel group
#              is {1}: those with a path)
# Every replace of nexthop 1 is reported to the tenant's module work for
# the nexthop and for each of its N parent groups: each run of its work
# re-reads all of them.

set -u
dir=$1
n=$2
here=$(cd "$(dirname "$0")" && pwd)
VPNECMP=${VPNECMP:-$here/../userspace/vpnecmp}

work_runs()
{
	"$VPNECMP" -j version | jq -r '.info.work_runs'
}

ip link set lo up
{
	echo "link add d1 type dummy"
	echo "link set d1 up"
	echo "nexthop add id 1 dev d1"
	for ((i = 1; i <= n + 1; i++)); do
		echo "nexthop add id $((1000 + i)) group 1"
	done
} | ip -batch - || exit 1

if [ "$3" = plain ]; then
	echo "plain" > "$dir/setup"
else
	python3 "$here/genl_groups.py" add $((n + 1)) 1000 d1 1 "$3" \
		> "$dir/setup" 2>&1
fi

for ((i = 0; i < 20; i++)); do
	echo "nexthop replace id 1 dev d1"
done > "$dir/churn.batch"

echo "work_runs $(work_runs)" > "$dir/ready.tmp" && mv "$dir/ready.tmp" "$dir/ready"

ops=0
while [ ! -e "$dir/stop" ]; do
	ip -batch "$dir/churn.batch" || break
	ops=$((ops + 20))
done

groups=$("$VPNECMP" -j group show)
{
	echo "churn_ops $ops"
	echo "work_runs $(work_runs)"
	echo "groups $(jq length <<<"$groups")"
	echo "groups_active $(jq '[.[] | select(.state == "active")] | length' <<<"$groups")"
} > "$dir/result.tmp" && mv "$dir/result.tmp" "$dir/result"
