#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vpnecmp-textfile.sh [DIR]: write vpnecmp's metrics for node_exporter's
# textfile collector (--collector.textfile.directory=DIR, default
# /var/lib/prometheus/node-exporter).  The file is written under a temporary
# name in DIR and renamed, so that node_exporter never reads half a file;
# when vpnecmp fails the old file is removed, so the scrape shows
# vpnecmp's metrics as missing instead of stale.
dir=${1:-/var/lib/prometheus/node-exporter}
tmp=$(mktemp "$dir/.vpnecmp.prom.XXXXXX") || exit 1
if vpnecmp stats prometheus >"$tmp"; then
	chmod 0644 "$tmp"
	mv -f "$tmp" "$dir/vpnecmp.prom"
else
	rm -f "$tmp" "$dir/vpnecmp.prom"
	exit 1
fi
