#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The examples of Documentation/ (Documentation/examples/*/), run as the
# guides say, in a network namespace standing for the gateway, with static
# SAs standing for strongSwan (the swanctl.conf files are checked apart):
#
#   CGW netns: wan0 (dummy) 192.0.2.1/24, dx0 (dummy) 169.254.100.2/30
#   SAs as charon would install them for each guide's swanctl.conf:
#     recipe mark 1/2 to 198.51.100.1/.2 (VTI)
#     azure  if_id 41/42 to 198.51.100.10/.11
#     dx     mark 100/101 to 198.51.100.30/.31 (VTI)
#     natt   if_id 51/52 to 198.51.100.20/.21, UDP-encapsulated (4500)
#
# Each case runs a guide's scripts and checks the result the guide
# documents: paths up and the kernel group's members, the failover an SA
# loss or a signal causes, the monthly failover test passing, the probe
# catching "SA up, tunnel dead", the textfile export valid and the alert
# rules naming metrics that exist.  A first case checks that every example
# file is included by some .rst and every include exists.
#
# A failure means an operator copying a guide gets a gateway that does not
# do what the guide says (a command that errors, a path that never comes
# up, a failover test that passes when it should not or fails when it
# should pass), or a guide that shows a file the tests no longer run.
#
# timeout: 1500

source "$(dirname "$0")/lib.sh"
set -u

DOC=$SRCDIR/Documentation
EX=$DOC/examples
PROM_CHECK=$SELFTESTS_DIR/prom_check.py
KEY=0x0123456789abcdef0123456789abcdef01234567
CGW=

ALL_TESTS="
	docs_include_examples
	recipe_two_tunnels
	azure_gateway
	azure_monthly_failover_test
	dx_backup_tier
	natt_probe
	monitoring_textfile_and_alerts
	monitoring_event_stream
	troubleshooting_diagnose
"

lab_setup()
{
	CGW=vx-doc-$$
	ip netns add "$CGW" || return 1
	ip -n "$CGW" -batch - <<-EOF || return 1
	link set lo up
	link add wan0 type dummy
	link set wan0 up
	addr add 192.0.2.1/24 dev wan0
	route add default via 192.0.2.254 dev wan0 onlink
	link add dx0 type dummy
	link set dx0 up
	addr add 169.254.100.2/30 dev dx0
	EOF
}

lab_cleanup()
{
	[ -n "${MON_PGID:-}" ] && kill -- -"$MON_PGID" 2>/dev/null
	MON_PGID=
	[ -n "$CGW" ] && ip netns del "$CGW" 2>/dev/null
	CGW=
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	TMP=
}

# in_cgw CMD...: as on the gateway: the CLI is "vpnecmp" on PATH.
in_cgw()
{
	ip netns exec "$CGW" env PATH="$(dirname "$VPNECMP"):$PATH" "$@"
}

# charon_sas REMOTE TAG SPI [encap...]: what strongSwan installs for one
# CHILD_SA: the outbound and inbound SA and the two policies, with TAG
# ("if_id N" or "mark N").
charon_sas()
{
	local r=$1 tag=$2 spi=$3
	shift 3
	ip -n "$CGW" -batch - <<-EOF
	xfrm state add src 192.0.2.1 dst $r proto esp spi $spi mode tunnel $tag $* aead 'rfc4106(gcm(aes))' $KEY 128
	xfrm state add src $r dst 192.0.2.1 proto esp spi $((spi + 1)) mode tunnel $tag $* aead 'rfc4106(gcm(aes))' $KEY 128
	xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out $tag tmpl src 192.0.2.1 dst $r proto esp mode tunnel
	xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir in $tag tmpl src $r dst 192.0.2.1 proto esp mode tunnel
	EOF
}

# sa_gone REMOTE SPI [mark N]: the outbound SA disappears (peer gone, expiry).
sa_gone()
{
	local r=$1 spi=$2
	shift 2
	ip -n "$CGW" xfrm state delete src 192.0.2.1 dst "$r" proto esp spi "$spi" "$@"
}

# members NHID: the kernel group's member ids, sorted
members()
{
	ip -n "$CGW" -j nexthop show id "$1" |
		jq -r '[.[0].group[].id] | sort | map(tostring) | join(" ")'
}

wait_members()
{
	busywait 15000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id $1 | jq -r '[.[0].group[].id] | sort | map(tostring) | join(\" \")')\" = \"$2\" ]"
}

field()
{
	in_cgw vpnecmp -j path show "$1" | jq -r ".[0].$2"
}

wait_field()
{
	busywait 15000 sh -c "[ \"\$(ip netns exec $CGW $VPNECMP -j path show $1 | jq -r '.[0].$2')\" = \"$3\" ]"
}

fail()
{
	ktap_print_msg "$CASE: $*"
	RET=1
}

expect_eq()
{
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

# run_example SCRIPT [ARGS...]: run it on the gateway; fail and print its
# output if it fails.
run_example()
{
	local out

	out=$(in_cgw sh "$@" 2>&1) || { fail "${1#"$EX"/}: $out"; return 1; }
	[ -n "$out" ] && ktap_print_msg "${1#"$EX"/}: $out"
	return 0
}

azure_up()
{
	run_example "$EX/azure-active-active/gateway.sh" || return 1
	charon_sas 198.51.100.10 "if_id 41" 0x4100
	charon_sas 198.51.100.11 "if_id 42" 0x4200
	wait_field az0 state up && wait_field az1 state up && wait_members 40 "41 42"
}

# ------------------------------------------------------------------ cases

docs_include_examples()
{
	local f inc rel

	inc=$(grep -ho 'literalinclude:: *[^ ]*' "$DOC"/*.rst | sed 's/.*:: *//' | sort -u)
	for f in $(cd "$DOC" && find examples -type f | sort); do
		grep -qx "$f" <<<"$inc" || fail "$f is included by no Documentation/*.rst"
	done
	for rel in $inc; do
		[ -f "$DOC/$rel" ] || fail "literalinclude of a missing file: $rel"
	done
}

recipe_two_tunnels()
{
	run_example "$EX/recipe/two-tunnels.sh" || return
	charon_sas 198.51.100.1 "mark 1" 0x1000
	charon_sas 198.51.100.2 "mark 2" 0x2000
	wait_field tun1 state up && wait_field tun2 state up ||
		fail "paths not up: $(field tun1 state) $(field tun2 state)"
	wait_members 100 "1 2" || fail "members $(members 100)"
	sa_gone 198.51.100.1 0x1000 mark 1
	wait_members 100 2 || fail "tun1 not pulled: $(members 100)"
}

azure_gateway()
{
	azure_up || { fail "paths not up, members $(members 40)"; return; }
	# gateway.sh ran before the SAs existed: down (sa), then hold, then up
	expect_eq "$(field az0 reason)" hold-up "az0 reason once strongSwan is up"
	# The guide: instance 0 loses its SA; only az1 is left, at once.
	sa_gone 198.51.100.10 0x4100
	wait_members 40 42 || fail "az0 not pulled: members $(members 40)"
	expect_eq "$(field az0 state) $(field az0 reason)" "down sa" "az0 after its SA went"
	# IKE re-establishes the tunnel: a new outbound SA
	ip -n "$CGW" xfrm state add src 192.0.2.1 dst 198.51.100.10 proto esp spi 0x4110 \
		mode tunnel if_id 41 aead 'rfc4106(gcm(aes))' $KEY 128
	wait_members 40 "41 42" || fail "az0 not back after 3 s hold-up: members $(members 40)"
}

azure_monthly_failover_test()
{
	local out rc

	azure_up || { fail "paths not up"; return; }
	for p in az0 az1; do
		out=$(in_cgw sh "$EX/failover-test/failover-test.sh" azure "$p" 2>&1)
		rc=$?
		ktap_print_msg "$out"
		expect_eq "$rc" 0 "failover-test.sh azure $p exit status"
		[[ $out == *"PASS: azure survives the loss of $p"* ]] || fail "no PASS line for $p"
	done
	# With one tunnel already down the test must fail, and must not drain
	# the last tunnel.
	sa_gone 198.51.100.11 0x4200
	wait_members 40 41 || fail "az1 not pulled"
	out=$(in_cgw sh "$EX/failover-test/failover-test.sh" azure az0 5 2>&1)
	rc=$?
	ktap_print_msg "$out"
	expect_eq "$rc" 1 "failover-test.sh with the other tunnel down"
	[[ $out == *"FAIL: no other path of azure is up"* ]] || fail "no refusal"
	expect_eq "$(field az0 'signals_up | index("admin") != null')" true \
		"az0 never drained (admin signal up)"
}

dx_backup_tier()
{
	local out rc

	run_example "$EX/dx-er-backup/gateway.sh" || return
	charon_sas 198.51.100.30 "mark 100" 0x3000
	charon_sas 198.51.100.31 "mark 101" 0x3100
	wait_field vpn0 state up && wait_field vpn1 state up ||
		fail "VPN paths not up: $(field vpn0 state) $(field vpn1 state)"
	wait_members 19 10 || fail "traffic not on the circuit: members $(members 19)"

	# The monthly test of the circuit: the VPN tier takes over, the
	# circuit returns after its 30 s hold-up.
	out=$(in_cgw sh "$EX/failover-test/failover-test.sh" cloud dx 2>&1)
	rc=$?
	ktap_print_msg "$out"
	expect_eq "$rc" 0 "failover-test.sh cloud dx"
	[[ $out == *"drained:  members vpn0 vpn1"* ]] || fail "VPN tier did not take over"

	# The BGP feeder reports the circuit's session down.
	in_cgw vpnecmp event dx bgp down
	wait_members 19 "11 12" || fail "bgp down: members $(members 19)"
	expect_eq "$(field dx reason)" bgp "dx reason"
	in_cgw vpnecmp event dx bgp up
	expect_eq "$(field dx state)" hold "dx waits its hold-up before taking traffic back"
	expect_eq "$(members 19)" "11 12" "traffic stays on the VPN during hold-up"
}

natt_probe()
{
	local out

	run_example "$EX/natt-accelerator/gateway.sh" || return
	charon_sas 198.51.100.20 "if_id 51" 0x5100 encap espinudp 4500 4500 0.0.0.0
	charon_sas 198.51.100.21 "if_id 52" 0x5200 encap espinudp 4500 4500 0.0.0.0
	wait_field ali0 state up && wait_field ali1 state up || fail "paths not up"
	wait_members 50 "51 52" || fail "members $(members 50)"

	# The accelerator keeps the UDP flow, nothing answers behind it: the
	# SA is there, the probe is not answered.
	out=$(in_cgw sh "$EX/natt-accelerator/probe.sh" --once ali0 xfrm-ali0 169.254.51.1 2>&1)
	expect_eq "$out" "probe ali0 down" "probe.sh output"
	wait_members 50 52 || fail "probe down did not pull ali0: $(members 50)"
	expect_eq "$(field ali0 state) $(field ali0 reason) $(field ali0 stats.sa_count)" \
		"down probe 1" "ali0: SA up, probe down"
}

monitoring_textfile_and_alerts()
{
	local dir m

	azure_up || { fail "paths not up"; return; }
	dir=$TMP/textfile
	mkdir -p "$dir"
	run_example "$EX/monitoring/vpnecmp-textfile.sh" "$dir" || return
	expect_eq "$(cd "$dir" && ls -A)" vpnecmp.prom "files left in the textfile directory"
	expect_eq "$(python3 "$PROM_CHECK" -l netns=x "$dir/vpnecmp.prom" \
		'vpnecmp_group_all_down{group="azure"}' 2>&1 | tr '\n' ' ')" "absent " \
		"no netns label without -n"
	expect_eq "$(python3 "$PROM_CHECK" "$dir/vpnecmp.prom" \
		'vpnecmp_path_up{group="azure",path="az0"}' \
		'vpnecmp_group_all_down{group="azure"}' 2>&1 | tr '\n' ' ')" "1 0 " \
		"exposition valid, az0 up, not all down"
	for m in $(grep -o 'vpnecmp_[a-z_]*' "$EX/monitoring/vpnecmp-alerts.yml" | sort -u); do
		grep -q "^# TYPE $m " "$dir/vpnecmp.prom" ||
			fail "vpnecmp-alerts.yml uses $m, which the export does not have"
	done
}

monitoring_event_stream()
{
	local err=$TMP/stderr

	azure_up || { fail "paths not up"; return; }
	setsid ip netns exec "$CGW" env PATH="$(dirname "$VPNECMP"):$PATH" \
		sh "$EX/monitoring/monitor.sh" "$TMP/events.json" 2>"$err" &
	MON_PGID=$!
	# Until the monitor is subscribed events are lost: drain and restore
	# az1 until one of its events is in the log.
	busywait 60000 sh -c "ip netns exec $CGW $VPNECMP event az1 admin down;
		ip netns exec $CGW $VPNECMP event az1 admin up; sleep 1;
		grep -q '\"path\":\"az1\"' $TMP/events.json 2>/dev/null" ||
		fail "monitor.sh logged nothing: $(cat "$err")"
	sa_gone 198.51.100.10 0x4100
	sa_gone 198.51.100.11 0x4200
	busywait 15000 grep -q "ALL PATHS DOWN" "$err" ||
		fail "no all-down alert on stderr: $(cat "$err")"
	grep -q '"event":"path".*"path":"az0"' "$TMP/events.json" ||
		fail "az0's event not in the log: $(head -c 500 "$TMP/events.json")"
	kill -- -"$MON_PGID" 2>/dev/null
	MON_PGID=
}

troubleshooting_diagnose()
{
	local out

	azure_up || { fail "paths not up"; return; }
	sa_gone 198.51.100.10 0x4100
	wait_members 40 42 || fail "az0 not pulled"
	out=$(in_cgw sh "$EX/troubleshooting/diagnose.sh" az0 2>&1) || fail "diagnose.sh failed: $out"
	ktap_print_msg "$out"
	[[ $out == *"== vpnecmp path az0"*"state down reason sa"* ]] || fail "no path state"
	[[ $out == *"== kernel nexthop group 40"* ]] || fail "no nexthop group"
	[[ $out == *"dev xfrm-az0"* ]] || fail "no device"
	[[ $out == *"${KEY#0x}"* ]] && fail "diagnose.sh prints the SA keys"
	out=$(in_cgw sh "$EX/troubleshooting/first-look.sh" 2>&1) || fail "first-look.sh failed: $out"
	[[ $out == "az0 "*"azure"*"path az0 group azure"*"group azure"*"module version"* ]] ||
		fail "first-look.sh: $out"
}

run_all()
{
	local tests=${TESTS:-$ALL_TESTS} t n=0

	ktap_print_header
	require_root
	require_cmd ip jq python3 setsid
	require_cli
	require_module
	for t in $tests; do n=$((n + 1)); done
	ktap_set_plan "$n"
	trap lab_cleanup EXIT
	for t in $tests; do
		RET=0
		CASE=$t
		TMP=$(mktemp -d)
		if lab_setup; then
			"$t"
		else
			fail "lab setup failed"
		fi
		lab_cleanup
		if [ "$RET" = 0 ]; then
			ktap_test_pass "$t"
		else
			ktap_test_fail "$t"
		fi
	done
	trap - EXIT
	ktap_finished
}

run_all
