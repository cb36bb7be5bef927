#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# AWS site-to-site VPN (VGW or Transit Gateway) with static routing: the
# same two tunnels as aws-tgw-bgp (its swanctl.conf applies unchanged), one
# active and one standby.  The route that forwards points at nexthop group
# 200, whose member vpnecmp keeps to the best tunnel that is up.
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
nexthop add id 200 group 1/2
route add 10.100.0.0/16 nhid 200
IP
for i in vti1 vti2; do
	sysctl -q -w net.ipv4.conf.$i.disable_policy=1 net.ipv4.conf.$i.rp_filter=0
done
sysctl -q -w net.ipv4.ip_forward=1
