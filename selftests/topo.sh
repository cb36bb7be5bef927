# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The two-tunnel customer gateway topology shared by the vpnecmp selftests.
# Source after lib.sh.
#
#   LAN                 CGW                                 AWS
#   198.51.100.2 --- 198.51.100.1
#                       u1 192.0.2.1/30   ----------   192.0.2.2/30 a1
#                       t1 (vti key 1 | xfrm if_id 1)   t1
#                          203.0.113.1/30              203.0.113.2/30
#                       u2 192.0.2.5/30   ----------   192.0.2.6/30 a2
#                       t2 (vti key 2 | xfrm if_id 2)   t2
#                          203.0.113.5/30              203.0.113.6/30
#                                                      cloud 203.0.113.129/25
#
# With TOPO_FAMILY=6 the underlay is 2001:db8:I::1/64 -- 2001:db8:I::2/64 and
# the tunnels are ip6 VTI or XFRM interfaces; the inner addresses stay IPv4.
# TOPO_KIND=vti (default) or xfrm.  TOPO_NATT=1 makes the SAs UDP-encapsulated
# (espinudp 4500), as behind a NAT or an accelerator.  TOPO_IKE=1 leaves the
# IPsec policies out: an IKE daemon installs them with its SAs.
#
# In CGW: nexthop 1 over t1, nexthop 2 over t2, nexthop group 100 (resilient
# with TOPO_GROUP=resilient, default mpath), route 203.0.113.128/25 nhid 100,
# blackhole nexthop 99 for the all-down fallback.  vpnecmp objects are not
# created here: the tests do that.

TOPO_KIND=${TOPO_KIND:-vti}
TOPO_FAMILY=${TOPO_FAMILY:-4}
TOPO_NATT=${TOPO_NATT:-0}
TOPO_GROUP=${TOPO_GROUP:-mpath}
TOPO_IKE=${TOPO_IKE:-0}
CLOUD_HOST=203.0.113.130
AEAD_KEY=0x0123456789abcdef0123456789abcdef01234567

# tun_local I / tun_remote I: underlay endpoints of tunnel I (1 or 2)
tun_local()
{
	if [ "$TOPO_FAMILY" = 6 ]; then
		echo "2001:db8:$1::1"
	else
		echo "192.0.2.$((4 * ($1 - 1) + 1))"
	fi
}

tun_remote()
{
	if [ "$TOPO_FAMILY" = 6 ]; then
		echo "2001:db8:$1::2"
	else
		echo "192.0.2.$((4 * ($1 - 1) + 2))"
	fi
}

# SA selectors: VTI SAs carry the key as mark, XFRM interface SAs the if_id.
tun_sa_tag()
{
	if [ "$TOPO_KIND" = xfrm ]; then
		echo "if_id $1"
	else
		echo "mark $1"
	fi
}

tun_encap()
{
	[ "$TOPO_NATT" = 1 ] && echo "encap espinudp 4500 4500 0.0.0.0"
}

# The vpnecmp match options for tunnel I.
tun_match()
{
	if [ "$TOPO_KIND" = xfrm ]; then
		echo "if-id $1"
	else
		echo "mark $1"
	fi
}

# ipsec_state NS I DIR SPI [extra...]: one SA of tunnel I seen from NS.
# DIR "out" is CGW -> AWS.
sa_line()
{
	local i=$1 dir=$2 spi=$3
	shift 3
	local src dst

	if [ "$dir" = out ]; then
		src=$(tun_local "$i"); dst=$(tun_remote "$i")
	else
		src=$(tun_remote "$i"); dst=$(tun_local "$i")
	fi
	# IPv4 inside IPv6: the SA's selector names the inner family.
	echo "xfrm state add src $src dst $dst proto esp spi $spi mode tunnel" \
	     "$(tun_sa_tag "$i") $(tun_encap) aead 'rfc4106(gcm(aes))' $AEAD_KEY 128" \
	     "sel src 0.0.0.0/0 dst 0.0.0.0/0 $*"
}

# spi_of I DIR [GEN]: SPIs per tunnel, direction and generation (rekeys).
spi_of()
{
	local base=0x1000

	[ "$2" = in ] && base=0x2000
	printf '0x%x' $((base + 16 * ${3:-0} + $1))
}

# sa_add I [GEN] [extra]: both SAs of tunnel I, on both sides.
sa_add()
{
	local i=$1 gen=${2:-0}
	shift; shift || true

	ip -n "$CGW" -batch - <<-EOF
	$(sa_line "$i" out "$(spi_of "$i" out "$gen")" "$@")
	$(sa_line "$i" in "$(spi_of "$i" in "$gen")")
	EOF
	ip -n "$AWS" -batch - <<-EOF
	$(sa_line "$i" out "$(spi_of "$i" out "$gen")")
	$(sa_line "$i" in "$(spi_of "$i" in "$gen")")
	EOF
}

# sa_del_out I [GEN]: delete CGW's outbound SA of tunnel I (the failure).
sa_del_out()
{
	local i=$1 gen=${2:-0}

	local mark=

	# SAs are looked up by mark, never by if_id.
	[ "$TOPO_KIND" = vti ] && mark="mark $i"
	# shellcheck disable=SC2086
	ip -n "$CGW" xfrm state delete src "$(tun_local "$i")" \
		dst "$(tun_remote "$i")" proto esp spi "$(spi_of "$i" out "$gen")" \
		$mark
}

policy_lines()
{
	local i=$1 side=$2 l r tag

	l=$(tun_local "$i"); r=$(tun_remote "$i")
	[ "$side" = aws ] && { tag=$l; l=$r; r=$tag; }
	tag=$(tun_sa_tag "$i")
	echo "xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out $tag" \
	     "tmpl src $l dst $r proto esp mode tunnel"
	echo "xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir in $tag" \
	     "tmpl src $r dst $l proto esp mode tunnel"
}

tunnel_lines()
{
	local i=$1 side=$2 l r u addr peer type

	l=$(tun_local "$i"); r=$(tun_remote "$i"); u=u$i
	if [ "$side" = aws ]; then
		addr=203.0.113.$((4 * (i - 1) + 2)); peer=$l; l=$r; r=$peer
	else
		addr=203.0.113.$((4 * (i - 1) + 1))
	fi
	if [ "$TOPO_FAMILY" = 6 ]; then
		echo "addr add $l/64 dev $u nodad"
	else
		echo "addr add $l/30 dev $u"
	fi
	echo "link set $u up"
	if [ "$TOPO_KIND" = xfrm ]; then
		echo "link add t$i type xfrm dev $u if_id $i"
	else
		type=vti
		[ "$TOPO_FAMILY" = 6 ] && type=vti6
		echo "link add t$i type $type local $l remote $r key $i"
	fi
	echo "link set t$i up"
	echo "addr add $addr/30 dev t$i"
}

topo_setup()
{
	CGW=vx-cgw-$$
	AWS=vx-aws-$$
	LAN=vx-lan-$$
	ip netns add "$CGW" && ip netns add "$AWS" && ip netns add "$LAN" || return 1

	ip -batch - <<-EOF || return 1
	link add u1 netns $CGW type veth peer name u1 netns $AWS
	link add u2 netns $CGW type veth peer name u2 netns $AWS
	link add l0 netns $LAN type veth peer name l0 netns $CGW
	EOF

	ip -n "$CGW" -batch - <<-EOF || return 1
	link set lo up
	$(tunnel_lines 1 cgw)
	$(tunnel_lines 2 cgw)
	$([ "$TOPO_IKE" = 1 ] || policy_lines 1 cgw)
	$([ "$TOPO_IKE" = 1 ] || policy_lines 2 cgw)
	link set l0 up
	addr add 198.51.100.1/24 dev l0
	nexthop add id 1 dev t1
	nexthop add id 2 dev t2
	nexthop add id 99 blackhole
	EOF
	if [ "$TOPO_GROUP" = resilient ]; then
		ip -n "$CGW" nexthop add id 100 group 1/2 type resilient \
			buckets 32 idle_timer 120 || return 1
	else
		ip -n "$CGW" nexthop add id 100 group 1/2 || return 1
	fi
	ip -n "$CGW" route add 203.0.113.128/25 nhid 100 || return 1

	ip -n "$AWS" -batch - <<-EOF || return 1
	link set lo up
	$(tunnel_lines 1 aws)
	$(tunnel_lines 2 aws)
	$([ "$TOPO_IKE" = 1 ] || policy_lines 1 aws)
	$([ "$TOPO_IKE" = 1 ] || policy_lines 2 aws)
	link add cloud type dummy
	link set cloud up
	addr add 203.0.113.129/25 dev cloud
	addr add $CLOUD_HOST/25 dev cloud
	route add 198.51.100.0/24 nexthop dev t1 nexthop dev t2
	EOF

	ip -n "$LAN" -batch - <<-EOF || return 1
	link set lo up
	link set l0 up
	addr add 198.51.100.2/24 dev l0
	route add default via 198.51.100.1
	EOF

	ip netns exec "$CGW" sh -c '
		echo 1 > /proc/sys/net/ipv4/ip_forward
		echo 1 > /proc/sys/net/ipv4/fib_multipath_hash_policy
		for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > $f; done
		for i in t1 t2; do
			echo 1 > /proc/sys/net/ipv4/conf/$i/disable_policy
		done' || return 1
	ip netns exec "$AWS" sh -c '
		for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > $f; done
		for i in t1 t2; do
			echo 1 > /proc/sys/net/ipv4/conf/$i/disable_policy
		done' || return 1
}

topo_cleanup()
{
	local ns

	for ns in "${CGW:-}" "${AWS:-}" "${LAN:-}"; do
		[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# vx CMD...: the CLI in the gateway namespace
vx()
{
	"$VPNECMP" -n "$CGW" "$@"
}

# start_monitor FILE [OBJECT]: JSON events into FILE until the case ends.
# The CLI is started directly (not through vx) so that MON_PID is its pid.
start_monitor()
{
	"$VPNECMP" -n "$CGW" -j monitor ${2:+"$2"} > "$1" &
	MON_PID=$!
	# the subscription must be in place before the test acts
	sleep 0.3
}

stop_monitor()
{
	[ -n "${MON_PID:-}" ] || return 0
	kill "$MON_PID" 2>/dev/null
	wait "$MON_PID" 2>/dev/null
	MON_PID=
}

# ------------------------------------------------------------------ daemon

# daemon_conf FILE [LINE...]: group g (nhid 100) with paths t1 and t2 as a
# "vpnecmp daemon" configuration file, then the LINEs (feeders).
daemon_conf()
{
	local f=$1
	shift

	{
		echo "# written by topo.sh daemon_conf"
		echo "group g nhid 100 hold-up ${DAEMON_HOLD:-300}"
		echo "path t1 group g dev t1 nhid 1 local $(tun_local 1) remote $(tun_remote 1) $(tun_match 1)"
		echo "path t2 group g dev t2 nhid 2 local $(tun_local 2) remote $(tun_remote 2) $(tun_match 2)"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} > "$f"
}

# daemon_start FILE: "vpnecmp daemon" in the gateway namespace, its log
# appended to $DAEMON_LOG; returns once it has applied FILE (or failed).
daemon_start()
{
	DAEMON_LOG=${DAEMON_LOG:-$TMPDIR_T/daemon.log}
	touch "$DAEMON_LOG"
	"$VPNECMP" -n "$CGW" daemon config "$1" 2>>"$DAEMON_LOG" &
	DAEMON_PID=$!
	busywait 15000 sh -c "grep -q -e 'configuration applied' -e 'refused' '$DAEMON_LOG' ||
		! kill -0 $DAEMON_PID 2>/dev/null"
}

# daemon_stop: SIGTERM; DAEMON_RC is its exit status
daemon_stop()
{
	DAEMON_RC=
	[ -n "${DAEMON_PID:-}" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_RC=$?
	DAEMON_PID=
}

# daemon_wait_log PATTERN [MS]: the daemon logged a line matching PATTERN
daemon_wait_log()
{
	busywait "${2:-10000}" grep -q -e "$1" "$DAEMON_LOG"
}

# uptime_ms: CLOCK_MONOTONIC (= boot time in the guest) in ms, no exec;
# compare with the module's timestamp_ns/cause_ns.
uptime_ms()
{
	local up _

	read -r up _ < /proc/uptime
	echo $((${up/./} * 10))
}

# esp_drop I on|off: drop tunnel I's ESP in the underlay (AWS side, ingress)
esp_drop()
{
	if [ "$2" = on ]; then
		ip netns exec "$AWS" tc qdisc add dev "u$1" clsact &&
		ip netns exec "$AWS" tc filter add dev "u$1" ingress protocol ip \
			u32 match ip protocol 50 0xff action drop
	else
		ip netns exec "$AWS" tc qdisc del dev "u$1" clsact
	fi
}

# underlay_drop I on|off: drop everything of tunnel I in the underlay
underlay_drop()
{
	if [ "$2" = on ]; then
		ip netns exec "$AWS" tc qdisc add dev "u$1" clsact &&
		ip netns exec "$AWS" tc filter add dev "u$1" ingress matchall action drop &&
		ip netns exec "$AWS" tc filter add dev "u$1" egress matchall action drop
	else
		ip netns exec "$AWS" tc qdisc del dev "u$1" clsact
	fi
}

# buckets_of NHID: the resilient group's bucket indexes that point at NHID
buckets_of()
{
	ip -n "$CGW" -j nexthop bucket show id 100 |
		jq -c "[.[] | select(.bucket.nhid == $1) | .bucket.index] | sort"
}

# event_ms FILE PATH STATE KEY [AFTER_MS]: KEY (timestamp_ns or cause_ns) of
# PATH's first transition to STATE in monitor FILE, in ms, whose KEY is at
# or after AFTER_MS (uptime_ms clock)
event_ms()
{
	jq -rs --argjson after "${5:-0}" "[.[] | select(.event == \"path\" and .path == \"$2\" and .new_state == \"$3\") | .$4 / 1000000 | floor | select(. >= \$after)][0] // empty" "$1"
}

# vpnecmp_std_paths [OPTIONS...]: group g (nhid 100) with paths t1 and t2.
vpnecmp_std_paths()
{
	local gopts=$1
	shift

	# shellcheck disable=SC2086
	vx group add g nhid 100 $gopts || return 1
	# shellcheck disable=SC2046,SC2086
	vx path add t1 group g dev t1 nhid 1 local "$(tun_local 1)" \
		remote "$(tun_remote 1)" $(tun_match 1) "$@" || return 1
	# shellcheck disable=SC2046,SC2086
	vx path add t2 group g dev t2 nhid 2 local "$(tun_local 2)" \
		remote "$(tun_remote 2)" $(tun_match 2) "$@" || return 1
}

# members: the kernel group's member ids, sorted, space separated
members()
{
	ip -n "$CGW" -j nexthop show id "${1:-100}" |
		jq -r '[.[0].group[].id] | sort | map(tostring) | join(" ")'
}

# wait_members IDS: the kernel group 100 holds exactly these nexthop ids
wait_members()
{
	busywait 10000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id 100 2>/dev/null | jq -r '[.[0].group[].id] | sort | map(tostring) | join(\" \")')\" = \"$1\" ]"
}

# wait_state PATH STATE
wait_state()
{
	busywait 10000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show $1 | jq -r '.[0].state')\" = $2 ]"
}

path_state()
{
	vx -j path show "$1" | jq -r '.[0].state'
}

path_field()
{
	vx -j path show "$1" | jq -r ".[0].$2"
}

# rx_packets NS DEV
rx_packets()
{
	ip -n "$1" -j -s link show "$2" | jq '.[0].stats64.rx.packets'
}

# send_flows N [COUNT]: N UDP flows (distinct source ports) from LAN to the
# cloud host, COUNT packets each.
send_flows()
{
	ip netns exec "$LAN" python3 - "$1" "${2:-1}" "$CLOUD_HOST" <<-'EOF'
	import socket, sys
	n, count, dst = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
	socks = []
	for i in range(n):
	    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	    s.bind(("198.51.100.2", 20000 + i))
	    socks.append(s)
	for _ in range(count):
	    for s in socks:
	        s.sendto(b"vpnecmp-selftest", (dst, 9))
	EOF
}

# ------------------------------------------------------------------ cases
#
# run_tests "CASE...": each case is a function run on a fresh topology; it
# reports problems with fail/expect_eq and is one KTAP result.  TESTS in the
# environment (or -t "CASE...") selects a subset.

fail()
{
	ktap_print_msg "$CASE: $*"
	RET=1
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq()
{
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

# dump_log FILE [LINES]: the end of a daemon's log, when a case failed
dump_log()
{
	[ "${RET:-0}" != 0 ] && [ -s "$1" ] || return 0
	ktap_print_msg "--- ${1#"$TMPDIR_T"/} (last ${2:-15} lines)"
	tail -n "${2:-15}" "$1" | sed 's/^/#   /'
}

_case_cleanup()
{
	stop_monitor
	daemon_stop
	[ -n "${DAEMON_LOG:-}" ] && dump_log "$DAEMON_LOG" 40
	declare -F case_cleanup_hook >/dev/null && case_cleanup_hook
	topo_cleanup
	[ -n "${TMPDIR_T:-}" ] && rm -rf "$TMPDIR_T"
	TMPDIR_T=
}

run_tests()
{
	local tests=${TESTS:-$1} t n=0

	ktap_print_header
	require_root
	require_cmd ip jq python3
	require_cli
	require_module
	for t in $tests; do n=$((n + 1)); done
	ktap_set_plan "$n"
	trap _case_cleanup EXIT
	for t in $tests; do
		RET=0
		CASE=$t
		MON_PID=
		TMPDIR_T=$(mktemp -d)
		TOPO_KIND=vti TOPO_FAMILY=4 TOPO_NATT=0 TOPO_GROUP=mpath TOPO_IKE=0
		DAEMON_PID=""
		DAEMON_LOG=""
		# A case may ask for another topology with a CASE_env function.
		if declare -F "${t}_env" >/dev/null; then
			"${t}_env"
		fi
		if topo_setup; then
			"$t"
		else
			fail "topology setup failed"
		fi
		_case_cleanup
		if [ "$RET" = 0 ]; then
			ktap_test_pass "$t"
		else
			ktap_test_fail "$t"
		fi
	done
	trap - EXIT
	ktap_finished
}

while getopts "t:" _opt 2>/dev/null; do
	case $_opt in
	t) TESTS=$OPTARG ;;
	*) ;;
	esac
done
