#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The recipe of vpnecmp.rst: two VTI tunnels, ECMP over a resilient group.
set -e

# The tunnels (VTI here; XFRM interfaces work the same with "if-id").
ip link add vti1 type vti local 192.0.2.1 remote 198.51.100.1 key 1
ip link add vti2 type vti local 192.0.2.1 remote 198.51.100.2 key 2
ip link set vti1 up
ip link set vti2 up
sysctl -qw net.ipv4.conf.vti1.disable_policy=1 net.ipv4.conf.vti2.disable_policy=1
sysctl -qw net.ipv4.fib_multipath_hash_policy=1

# The nexthops, the group (resilient: flows on the surviving tunnel never
# move) and the route to the cloud prefixes.
ip nexthop add id 1 dev vti1
ip nexthop add id 2 dev vti2
ip nexthop add id 100 group 1/2 type resilient buckets 64 idle_timer 120
ip route add 203.0.113.0/24 nhid 100

# vpnecmp (the module must be loaded: modprobe vpnecmp).
vpnecmp group add aws nhid 100 hold-up 2000
vpnecmp path add tun1 group aws dev vti1 nhid 1 local 192.0.2.1 remote 198.51.100.1 mark 1
vpnecmp path add tun2 group aws dev vti2 nhid 2 local 192.0.2.1 remote 198.51.100.2 mark 2
