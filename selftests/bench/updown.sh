#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Contender "b" of the latency benchmark: what gateways do today.  Like a
# strongSwan updown script or VyOS's vti-up-down hook, it is run once per
# event by the thing that watches the IKE daemon (here updown_watch, fed by
# "ip xfrm monitor"), keeps its state in files and calls "ip" to set the
# nexthop group to the tunnels that are up.
#
#   updown.sh up-client|down-client PEER
#
# Environment: UPDOWN_STATE (directory), UPDOWN_GROUP (nexthop group id),
# UPDOWN_TUNNELS ("PEER:NHID ..."; the order of the members).

set -e
verb=$1 peer=$2
state=${UPDOWN_STATE:?}

for t in $UPDOWN_TUNNELS; do
	[ "${t%%:*}" = "$peer" ] && nhid=${t##*:}
done
[ -n "${nhid:-}" ] || exit 0	# not one of ours

case "$verb" in
up-client) touch "$state/up.$nhid" ;;
down-client) rm -f "$state/up.$nhid" ;;
*) exit 0 ;;
esac

members=
for t in $UPDOWN_TUNNELS; do
	n=${t##*:}
	[ -e "$state/up.$n" ] && members=${members:+$members/}$n
done
# The kernel deletes an empty group with its routes: keep the last one.
[ -n "$members" ] || exit 0
ip nexthop replace id "$UPDOWN_GROUP" group "$members"
