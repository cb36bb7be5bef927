#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# failover-test.sh GROUP PATH [TIMEOUT_S]: the monthly failover test.  Drain
# PATH (admin down), check that the group still forwards without it, put it
# back and check that it returns.  Prints what happened; exits 0 when the
# failover and the return both worked, 1 otherwise (PATH is put back in
# any case).  It refuses to drain PATH when no other path of GROUP is up:
# that would cut the site off.  Run it in a maintenance window, for every
# path in turn.
group=$1 path=$2 timeout=${3:-60}
[ -n "$path" ] || { echo "usage: failover-test.sh GROUP PATH [TIMEOUT_S]" >&2; exit 2; }

members() {
	vpnecmp -j group show "$group" |
		jq -r '[.[0].members[] | (.path // "fallback")] | join(" ")'
}
field() {
	vpnecmp -j path show "$path" | jq -r ".[0].$1"
}
# wait_for CMD...: up to TIMEOUT_S seconds
wait_for() {
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -gt $((timeout * 10)) ] && return 1
		sleep 0.1
	done
}
is_member() { [ "$(field member)" = "$1" ]; }

[ "$(field state)" = up ] || { echo "FAIL: $path is $(field state) ($(field reason)) before the test"; exit 1; }
others=$(vpnecmp -j path show group "$group" |
	jq -r --arg p "$path" '[.[] | select(.name != $p and .state == "up") | .name] | join(" ")')
if [ -z "$others" ]; then
	echo "FAIL: no other path of $group is up: not draining $path"
	exit 1
fi
echo "before:   members $(members)"
vpnecmp event "$path" admin down || exit 1
trap 'vpnecmp event "$path" admin up' EXIT
ok=0
if wait_for is_member false; then
	m=$(members)
	echo "drained:  members $m"
	if [ -z "$m" ] || [ "$m" = fallback ]; then
		echo "FAIL: nothing but $path carries the traffic"
		ok=1
	fi
else
	echo "FAIL: $path still a member after ${timeout}s"
	ok=1
fi
vpnecmp event "$path" admin up
trap - EXIT
if wait_for is_member true; then
	echo "restored: members $(members)"
else
	echo "FAIL: $path not back after ${timeout}s: $(field state) ($(field reason))"
	ok=1
fi
[ $ok = 0 ] && echo "PASS: $group survives the loss of $path"
exit $ok
