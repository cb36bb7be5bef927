#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# gw-b of a pair of gateways (Documentation/two-gateways.rst): addresses,
# its two tunnels, the nexthop group vpnecmp manages, the fallback over the
# pair link to gw-a and the loop guard.  Run as root at boot, before
# vpnecmp.service and keepalived.service.  The selftests run this file as it
# is, in gw-b's namespace (selftests/pair.sh).
set -e

# lan0: the LAN (keepalived adds the virtual addresses).  u1, u2: the
# underlay towards the cloud's tunnel endpoints.  peer0: the pair link to
# gw-a, an IPIP tunnel across the LAN between the two gateways' own
# addresses.  A device of its own, so that the loop guard below can tell
# what gw-a sends from what the LAN sends; and one that is always up: a
# cable or VLAN to the peer loses its carrier when the peer dies, the
# kernel then deletes the nexthops over it (the fallback too) and does not
# put them back.
ip addr add 198.51.100.3/24 dev lan0
ip link set lan0 up
ip link add peer0 type ipip local 198.51.100.3 remote 198.51.100.2 dev lan0
ip addr add 198.18.0.2/30 dev peer0
ip link set peer0 up
ip addr add 192.0.2.9/30 dev u1
ip link set u1 up
ip addr add 192.0.2.13/30 dev u2
ip link set u2 up

# The tunnels; the IKE daemon installs their SAs with mark 3 and 4
# (mark_in/mark_out in swanctl.conf).
ip link add t1 type vti local 192.0.2.9 remote 192.0.2.10 key 3
ip link add t2 type vti local 192.0.2.13 remote 192.0.2.14 key 4
ip addr add 169.254.12.1/30 dev t1
ip addr add 169.254.13.1/30 dev t2
ip link set t1 up
ip link set t2 up
echo 1 > /proc/sys/net/ipv4/conf/t1/disable_policy
echo 1 > /proc/sys/net/ipv4/conf/t2/disable_policy
echo 1 > /proc/sys/net/ipv4/ip_forward
echo 1 > /proc/sys/net/ipv4/fib_multipath_hash_policy
# Traffic from the LAN comes in on peer0 when gw-a falls back on this
# gateway: a strict reverse path filter would drop it.
echo 2 > /proc/sys/net/ipv4/conf/peer0/rp_filter

# Nexthops: one per tunnel, gw-a over the pair link (vpnecmp's all-down
# fallback), the group and the route to the cloud's prefix.
ip nexthop add id 1 dev t1
ip nexthop add id 2 dev t2
ip nexthop add id 3 via 198.18.0.1 dev peer0
ip nexthop add id 100 group 1/2
ip route add 10.100.0.0/16 nhid 100

# Loop guard.  What gw-a sends over the pair link is routed by the main
# table, unless the route found goes back over the pair link (interface
# group 7: this gateway is all-down too and falls back on gw-a): then it
# is dropped here instead of bouncing between the two until its TTL
# expires.
ip link set peer0 group 7
ip rule add pref 100 iif peer0 lookup main suppress_ifgroup 7
ip rule add pref 101 iif peer0 blackhole
