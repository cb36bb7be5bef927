#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# libreswan updown hook for vpnecmp: the dpd signal of one vpnecmp path
# follows the CHILD SA of one libreswan connection.  In ipsec.conf:
#
#	conn aws-tun1
#		...
#		ipsec-interface=1
#		leftupdown="/etc/vpnecmp/libreswan-updown tun1"
#
# (tun1: the vpnecmp path; without it, the path is named as the
# connection).  pluto runs the hook when the connection's IPsec SA is
# installed (up-client, up-host) and when it is deleted (down-client,
# down-host): after DPD/liveness declared the peer dead, on a delete from
# the peer, on "ipsec auto --down".  The hook writes the module directly,
# so it works without "vpnecmp daemon"; with the daemon ("libreswan" and
# "ike tun1 conn aws-tun1" in vpnecmp.conf) the daemon owns the signal,
# resyncs it from "whack --trafficstatus" at start and on reload, and the
# hook writes as its "source libreswan".
#
# This hook replaces libreswan's default one (ipsec _updown), which adds
# routes to rightsubnet: with route-based tunnels under vpnecmp the routes
# are the operator's (a route over the vpnecmp nexthop group).
#
# It always exits 0: a failing updown would make pluto fail the connection,
# and a module that is not loaded is no reason to drop a tunnel.
# VPNECMP_CLI in pluto's environment names the CLI (default: vpnecmp in
# PATH).

path=${1:-${PLUTO_CONNECTION:-}}
cli=${VPNECMP_CLI:-vpnecmp}
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

case "${PLUTO_VERB:-}" in
up-host*|up-client*) state=up ;;
down-host*|down-client*) state=down ;;
*) exit 0 ;;
esac
[ -n "$path" ] || exit 0

if ! "$cli" event "$path" dpd "$state" source libreswan; then
	echo "vpnecmp updown: could not set dpd $state on path $path (connection ${PLUTO_CONNECTION:-?}, $PLUTO_VERB)" >&2
fi
exit 0
