#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# AWS Transit Gateway site-to-site VPN, two tunnels, BGP, ECMP: the
# gateway's interfaces, nexthops and the route that forwards.  Public
# address of the gateway 192.0.2.1; AWS tunnel endpoints 203.0.113.10 and
# 198.51.100.20; inside addresses 169.254.10.2/30 and 169.254.11.2/30; the
# VPC behind the Transit Gateway is 10.100.0.0/16.
#
# With FRR on the gateway the route that forwards is "proto kernel": zebra
# does not learn routes of that protocol, so it never takes nexthop group
# 100 for one it must keep as it learned it (zebra 8.4 puts back any
# replace of a group a learned route uses, undoing every failover, and
# deletes the group with the route when it stops).
set -e
ip -batch - <<'IP'
link add vti1 type vti local 192.0.2.1 remote 203.0.113.10 key 1
link add vti2 type vti local 192.0.2.1 remote 198.51.100.20 key 2
addr add 169.254.10.2/30 dev vti1
addr add 169.254.11.2/30 dev vti2
link set vti1 up mtu 1436
link set vti2 up mtu 1436
nexthop add id 1 dev vti1
nexthop add id 2 dev vti2
nexthop add id 100 group 1/2 type resilient buckets 128 idle_timer 60 unbalanced_timer 300
route add 10.100.0.0/16 nhid 100 proto kernel
IP
for i in vti1 vti2; do
	sysctl -q -w net.ipv4.conf.$i.disable_policy=1 net.ipv4.conf.$i.rp_filter=0
done
sysctl -q -w net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1
