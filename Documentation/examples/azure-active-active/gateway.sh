#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Azure active-active VPN gateway: two XFRM interfaces, one per gateway
# instance, in one resilient nexthop group that vpnecmp keeps equal to the
# healthy tunnels.  Run once at boot, before strongSwan (swanctl.conf in
# this directory) brings the tunnels up.  Edit the addresses below.
set -e

: "${WAN_DEV:=wan0}"            # the interface with the public address
: "${LOCAL:=192.0.2.1}"         # this gateway's public address (the local network gateway)
: "${AZ0:=198.51.100.10}"       # Azure VPN gateway, instance 0, public IP
: "${AZ1:=198.51.100.11}"       # Azure VPN gateway, instance 1, public IP
: "${VNET:=203.0.113.0/25}"     # the VNet address space

# Route-based IPsec: one XFRM interface per tunnel; strongSwan's if_id_in
# and if_id_out (swanctl.conf) put each CHILD_SA's SAs and policies on it.
ip link add xfrm-az0 type xfrm dev "$WAN_DEV" if_id 41
ip link add xfrm-az1 type xfrm dev "$WAN_DEV" if_id 42
# BGP over APIPA addresses (the custom BGP addresses of each instance).
ip addr add 169.254.21.2 peer 169.254.21.1 dev xfrm-az0
ip addr add 169.254.21.6 peer 169.254.21.5 dev xfrm-az1
ip link set xfrm-az0 up
ip link set xfrm-az1 up

# One nexthop per tunnel, a resilient group over both: when one tunnel
# fails only its buckets move, flows on the other stay where they are.
ip nexthop add id 41 dev xfrm-az0
ip nexthop add id 42 dev xfrm-az1
ip nexthop add id 40 group 41/42 type resilient buckets 64 idle_timer 120
ip route add "$VNET" nhid 40

# vpnecmp owns the group's membership from now on.  A tunnel is healthy
# while it has an outbound SA, its IKE peer answers DPD and its BGP session
# is established; it comes back 3 s after all three are up again.
vpnecmp group add azure nhid 40 type resilient all-down keep
vpnecmp path add az0 group azure dev xfrm-az0 nhid 41 local "$LOCAL" \
	remote "$AZ0" if-id 41 signals sa,dpd,bgp hold-up 3000
vpnecmp path add az1 group azure dev xfrm-az1 nhid 42 local "$LOCAL" \
	remote "$AZ1" if-id 42 signals sa,dpd,bgp hold-up 3000
