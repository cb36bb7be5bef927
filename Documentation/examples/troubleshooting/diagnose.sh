#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# diagnose.sh PATH: everything about one path in one go, in the order to
# read it at 2 a.m.: vpnecmp's view, the kernel nexthop group, the SAs that
# should keep the path up and the interface.
path=$1
[ -n "$path" ] || { echo "usage: diagnose.sh PATH" >&2; exit 2; }
p=$(vpnecmp -j path show "$path") || exit 1

group=$(echo "$p" | jq -r '.[0].group')
dev=$(echo "$p" | jq -r '.[0].dev')
mark=$(echo "$p" | jq -r '.[0].mark')
if_id=$(echo "$p" | jq -r '.[0].if_id')
remote=$(echo "$p" | jq -r '.[0].remote')

echo "== vpnecmp path $path"
vpnecmp -s path show "$path"
echo "== vpnecmp group $group"
vpnecmp -s group show "$group"
nhid=$(vpnecmp -j group show "$group" | jq -r '.[0].nhid')
echo "== kernel nexthop group $nhid"
ip nexthop show id "$nhid"
echo "== outbound SAs to $remote (mark $mark, if_id $if_id)"
ip -s xfrm state list dst "$remote" proto esp
echo "== device $dev"
ip -s link show dev "$dev"
