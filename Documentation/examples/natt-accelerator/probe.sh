#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# probe.sh [--once] PATH DEV TARGET: ping TARGET through DEV every second
# and feed the path's "probe" signal: down after 3 lost answers in a row,
# up at the first answer.  Only changes are sent.  --once: one probe,
# report its result (up or down) and exit.  Run one per tunnel, e.g. from a
# systemd unit: probe.sh ali0 xfrm-ali0 169.254.51.1
once=0
[ "$1" = --once ] && { once=1; shift; }
path=$1 dev=$2 target=$3
[ -n "$target" ] || { echo "usage: probe.sh [--once] PATH DEV TARGET" >&2; exit 2; }

state= lost=0
while :; do
	if ping -n -q -c 1 -W 1 -I "$dev" "$target" >/dev/null 2>&1; then
		lost=0
		new=up
	else
		lost=$((lost + 1))
		new=$state
		{ [ $lost -ge 3 ] || [ $once = 1 ]; } && new=down
	fi
	if [ -n "$new" ] && [ "$new" != "$state" ]; then
		vpnecmp event "$path" probe "$new" || exit 1
		echo "probe $path $new"
		state=$new
	fi
	[ $once = 1 ] && exit 0
	sleep 1
done
