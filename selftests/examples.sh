#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The example configurations of Documentation/examples/ (the files the
# documentation includes) are the ones an operator copies at 2 a.m.: each
# setup.sh must build its gateway in a fresh namespace, its vpnecmp.conf
# must pass "vpnecmp daemon check" there and be applied whole by the daemon,
# its swanctl.conf must load into charon, its bird.conf must parse, its
# frr.conf must load into FRR (zebra, bgpd with BMP, bfdd) whose bgpd must
# then reach the daemon over BMP.  If a
# case fails, the documentation ships a configuration that does not work.
#
# timeout: 300

source "$(dirname "$0")/lib.sh"

EX=$(cd "$(dirname "$0")/../Documentation/examples" && pwd)
TMPDIR_T=$(mktemp -d)
CGW=
# daemons.sh runs charon in the namespace $CGW
source "$(dirname "$0")/daemons.sh"

cleanup()
{
	daemons_stop
	[ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "$CGW" ] && ip netns del "$CGW" 2>/dev/null
	rm -rf "$TMPDIR_T"
}

# example DIR GROUP NPATHS
example()
{
	local dir=$EX/$1 group=$2 npaths=$3 conf=$EX/$1/vpnecmp.conf swan out log RET=0

	CGW=vx-ex-$$
	ip netns add "$CGW" || return 1
	ip -n "$CGW" link set lo up
	if ! ip netns exec "$CGW" sh "$dir/setup.sh"; then
		ktap_print_msg "$1/setup.sh failed"
		RET=1
	fi
	out=$("$VPNECMP" -n "$CGW" daemon config "$conf" check 2>&1) ||
		{ ktap_print_msg "$1/vpnecmp.conf: $out"; RET=1; }

	swan=$dir/swanctl.conf
	[ -f "$swan" ] || swan=$EX/aws-tgw-bgp/swanctl.conf
	if ! charon_start cgw "$swan"; then
		ktap_print_msg "$swan does not load into charon"
		RET=1
	fi
	for c in $(grep -o 'conn [a-z0-9-]*' "$conf" | cut -d' ' -f2 | sort -u); do
		swanctl_do cgw --list-conns 2>/dev/null | grep -q "^$c:" ||
			{ ktap_print_msg "connection $c of vpnecmp.conf is not in $swan"; RET=1; }
	done

	if [ -f "$dir/frr.conf" ] && ! frr_start cgw "$dir/frr.conf" >"$TMPDIR_T/frr-$1.log" 2>&1; then
		ktap_print_msg "$1/frr.conf does not load into FRR: $(tail -5 "$TMPDIR_T/frr-$1.log")"
		RET=1
	fi

	# Applied for real, against the charon of that configuration.
	log=$TMPDIR_T/daemon-$1.log
	sed "s|/var/run/charon.vici|$TMPDIR_T/cgw/charon.vici|" "$conf" > "$TMPDIR_T/$1.conf"
	"$VPNECMP" -n "$CGW" daemon config "$TMPDIR_T/$1.conf" 2>"$log" &
	DPID=$!
	busywait 15000 grep -q "configuration applied" "$log" ||
		{ ktap_print_msg "$1: not applied: $(cat "$log")"; RET=1; }
	busywait 5000 grep -q "connected to charon" "$log" ||
		{ ktap_print_msg "$1: the daemon did not reach charon"; RET=1; }
	[ "$("$VPNECMP" -n "$CGW" -j path show group "$group" | jq length)" = "$npaths" ] ||
		{ ktap_print_msg "$1: expected $npaths paths in group $group"; RET=1; }
	if [ -f "$dir/frr.conf" ]; then
		busywait 15000 grep -q "bmp: session from" "$log" ||
			{ ktap_print_msg "$1: bgpd did not reach the daemon over BMP"; RET=1; }
	fi
	kill "$DPID"
	wait "$DPID"
	DPID=
	daemons_stop

	if [ -f "$dir/bird.conf" ] && ! out=$(bird -p -c "$dir/bird.conf" 2>&1); then
		ktap_print_msg "$1/bird.conf: $out"
		RET=1
	fi
	ip netns del "$CGW"
	CGW=
	rm -rf "$TMPDIR_T/cgw"
	return $RET
}

ktap_print_header
require_root
require_cmd ip jq swanctl bird vtysh nsenter unshare
require_cli
require_module
trap cleanup EXIT
ktap_set_plan 3
for ex in "aws-tgw-bgp aws 2" "aws-static aws 2" "aws-tgw-frr aws 2"; do
	# shellcheck disable=SC2086
	if example $ex; then
		ktap_test_pass "${ex%% *}"
	else
		ktap_test_fail "${ex%% *}"
	fi
done
ktap_finished
