#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# NAT-T through an accelerator: an Alibaba Cloud VPN gateway reached through
# two Global Accelerator addresses, from a gateway behind NAT.  ESP travels
# in UDP 4500, so the accelerator keeps the tunnel's outer flow alive even
# when the VPN gateway behind it no longer answers: the SA stays, the tunnel
# is dead.  A probe through each tunnel (probe.sh) catches that case.
set -e

: "${WAN_DEV:=wan0}"            # the interface behind the NAT
: "${LOCAL:=192.0.2.1}"         # its address (RFC 1918 in practice), the SAs' source
: "${AGA0:=198.51.100.20}"      # accelerator address of tunnel 1
: "${AGA1:=198.51.100.21}"      # accelerator address of tunnel 2
: "${VPC:=203.0.113.0/25}"      # the VPC prefixes

ip link add xfrm-ali0 type xfrm dev "$WAN_DEV" if_id 51
ip link add xfrm-ali1 type xfrm dev "$WAN_DEV" if_id 52
ip addr add 169.254.51.2 peer 169.254.51.1 dev xfrm-ali0
ip addr add 169.254.52.2 peer 169.254.52.1 dev xfrm-ali1
ip link set xfrm-ali0 up
ip link set xfrm-ali1 up

ip nexthop add id 51 dev xfrm-ali0
ip nexthop add id 52 dev xfrm-ali1
ip nexthop add id 50 group 51/52 type resilient buckets 64 idle_timer 120
ip route add "$VPC" nhid 50

# The SA's addresses as this host sees them: its own (private) address and
# the accelerator's, whatever the NAT makes of them on the way.
vpnecmp group add ali nhid 50 type resilient all-down keep
vpnecmp path add ali0 group ali dev xfrm-ali0 nhid 51 local "$LOCAL" \
	remote "$AGA0" if-id 51 signals sa,dpd,probe hold-up 10000
vpnecmp path add ali1 group ali dev xfrm-ali1 nhid 52 local "$LOCAL" \
	remote "$AGA1" if-id 52 signals sa,dpd,probe hold-up 10000
