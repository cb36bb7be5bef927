#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Direct Connect (or ExpressRoute) primary, site-to-site VPN as the backup
# tier: one group whose best tier is the private circuit and whose second
# tier is the two VPN tunnels (VTI).  Traffic takes the circuit while its
# BGP session is up, both tunnels (ECMP) when it is not, and goes back to
# the circuit once it has been up for 30 s (preempt, hold-up).
set -e

: "${DX_DEV:=dx0}"              # the private VIF (VLAN interface on the cross-connect)
: "${DX_LOCAL:=169.254.100.2}"  # our BGP peer address on the VIF
: "${DX_PEER:=169.254.100.1}"   # the cloud router's BGP peer address
: "${LOCAL:=192.0.2.1}"         # this gateway's public address
: "${VPN0:=198.51.100.30}"      # VPN tunnel 1, cloud endpoint
: "${VPN1:=198.51.100.31}"      # VPN tunnel 2, cloud endpoint
: "${VPC:=203.0.113.0/25}"      # the cloud prefixes

# The backup tunnels: VTIs whose key is the mark of their SAs
# (swanctl.conf: mark_in/mark_out).
ip link add vti-vpn0 type vti local "$LOCAL" remote "$VPN0" key 100
ip link add vti-vpn1 type vti local "$LOCAL" remote "$VPN1" key 101
ip addr add 169.254.30.2 peer 169.254.30.1 dev vti-vpn0
ip addr add 169.254.31.2 peer 169.254.31.1 dev vti-vpn1
ip link set vti-vpn0 up
ip link set vti-vpn1 up
# strongSwan installs the policies; the VTIs need none of their own.
sysctl -q net.ipv4.conf.vti-vpn0.disable_policy=1
sysctl -q net.ipv4.conf.vti-vpn1.disable_policy=1

ip nexthop add id 10 via "$DX_PEER" dev "$DX_DEV"
ip nexthop add id 11 dev vti-vpn0
ip nexthop add id 12 dev vti-vpn1
ip nexthop add id 19 group 10
ip route add "$VPC" nhid 19

# Tier 0: the circuit, healthy while its BGP session is up (it has no SA).
# Tier 1: the tunnels, healthy while they have an SA and DPD answers.
vpnecmp group add cloud nhid 19 preempt on
vpnecmp path add dx group cloud dev "$DX_DEV" nhid 10 local "$DX_LOCAL" \
	remote "$DX_PEER" tier 0 signals bgp hold-up 30000
vpnecmp path add vpn0 group cloud dev vti-vpn0 nhid 11 local "$LOCAL" \
	remote "$VPN0" mark 100 tier 1 signals sa,dpd
vpnecmp path add vpn1 group cloud dev vti-vpn1 nhid 12 local "$LOCAL" \
	remote "$VPN1" mark 101 tier 1 signals sa,dpd
