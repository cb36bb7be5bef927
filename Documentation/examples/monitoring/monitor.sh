#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# monitor.sh [LOGFILE]: keep vpnecmp's event stream (one JSON object per
# line) in a log, and say on stderr when a group loses all its paths or a
# replace fails.  A sketch of what to feed a log shipper or a pager.
log=${1:-/var/log/vpnecmp-events.json}
vpnecmp -j monitor all | while IFS= read -r ev; do
	printf '%s\n' "$ev" >>"$log"
	printf '%s\n' "$ev" | jq -r '
		select(.event == "group" and (.all_down or .error != 0)) |
		"vpnecmp: group \(.group): " +
		(if .all_down then "ALL PATHS DOWN" else "replace failed: \(.error) \(.error_msg // "")" end)' >&2
done
