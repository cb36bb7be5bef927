# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A pair of gateways with keepalived (Documentation/two-gateways.rst), for
# selftests/pair.sh and selftests/bench/pair_loss.sh.  Source after lib.sh.
#
#   LAN (bridge br0)              gw-a, gw-b                 cloud
#   .10 -> VIP .1   (gw-a's)      lan0 .2 / .3              a1 a2 b1 b2: the
#   .20 -> VIP .254 (gw-b's)      peer0 (IPIP) .1 / .2      four tunnel
#   .30 -> gw-a .2 directly       in 198.18.0.0/30          endpoints, ta1 ta2
#                                 u1 u2, t1 t2 (VTI)
#   .40 -> gw-b .3 directly                                 tb1 tb2; host
#   198.51.100.0/24                                         10.100.0.2/16
#
# Each gateway is built by the guide's own files: gw-X.sh (addresses,
# tunnels, nexthops, loop guard), vpnecmp-X.conf and keepalived-X.conf, run
# as they are.  The underlay is the veth pairs uN -- a1/a2/b1/b2; the
# tunnels' SAs are static (ip xfrm), as an IKE daemon would install them.
# Each gateway's daemons run in a mount namespace of their own with a
# private /run (the track file is /run/vpnecmp/aws.track on both).

PAIR_EX=$SRCDIR/Documentation/examples/two-gateways
PAIR_HOST=10.100.0.2
PAIR_KEY=0x0123456789abcdef0123456789abcdef01234567
FLOWGEN=$SRCDIR/build/bench/bin/flowgen
NLBENCH=$SRCDIR/build/bench/bin/nlbench

# pair_ns X: the namespace of gateway X (a or b)
pair_ns()
{
	if [ "$1" = a ]; then echo "$GWA"; else echo "$GWB"; fi
}

# pair_tun X I: "LOCAL REMOTE KEY INNER" of tunnel I (1, 2) of gateway X
pair_tun()
{
	local n=$2

	[ "$1" = b ] && n=$((n + 2))

	echo "192.0.2.$((4 * n - 3)) 192.0.2.$((4 * n - 2)) $n 169.254.$((9 + n))"
}

# pair_sa_lines X I SIDE: the two SAs of one tunnel, as SIDE (gw, cloud) sees them
pair_sa_lines()
{
	local l r k _

	read -r l r k _ <<<"$(pair_tun "$1" "$2")"
	echo "xfrm state add src $l dst $r proto esp spi $((0x1000 + k)) mode tunnel mark $k aead 'rfc4106(gcm(aes))' $PAIR_KEY 128 sel src 0.0.0.0/0 dst 0.0.0.0/0"
	echo "xfrm state add src $r dst $l proto esp spi $((0x2000 + k)) mode tunnel mark $k aead 'rfc4106(gcm(aes))' $PAIR_KEY 128 sel src 0.0.0.0/0 dst 0.0.0.0/0"
}

pair_policy_lines()
{
	local l r k t

	read -r l r k t <<<"$(pair_tun "$1" "$2")"
	[ "$3" = cloud ] && { t=$l; l=$r; r=$t; }
	echo "xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out mark $k tmpl src $l dst $r proto esp mode tunnel"
	echo "xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir in mark $k tmpl src $r dst $l proto esp mode tunnel"
}

# pair_sa_add X: gateway X's tunnels get their SAs back (both ends)
pair_sa_add()
{
	ip -n "$(pair_ns "$1")" -batch - <<-EOF
	$(pair_sa_lines "$1" 1 gw)
	$(pair_sa_lines "$1" 2 gw)
	EOF
	ip -n "$CLOUD" -batch - <<-EOF
	$(pair_sa_lines "$1" 1 cloud)
	$(pair_sa_lines "$1" 2 cloud)
	EOF
}

# pair_sa_del X: gateway X's outbound SAs deleted (the IKE SAs died)
pair_sa_del()
{
	local i l r k _

	for i in 1 2; do
		read -r l r k _ <<<"$(pair_tun "$1" "$i")"
		echo "xfrm state delete src $l dst $r proto esp spi $((0x1000 + k)) mark $k"
	done | ip -n "$(pair_ns "$1")" -batch -
}

# pair_underlay X on|off: everything of gateway X's tunnels dropped in the
# underlay (the cloud's side), SAs untouched: only a prober can see it
pair_underlay()
{
	local d

	for d in "${1}1" "${1}2"; do
		if [ "$2" = on ]; then
			ip netns exec "$CLOUD" tc qdisc add dev "$d" clsact &&
			ip netns exec "$CLOUD" tc filter add dev "$d" ingress matchall action drop &&
			ip netns exec "$CLOUD" tc filter add dev "$d" egress matchall action drop
		else
			ip netns exec "$CLOUD" tc qdisc del dev "$d" clsact
		fi
	done
}

# pair_links X up|down: gateway X's LAN and underlay links, at the far ends
pair_links()
{
	ip -n "$LANNS" link set "l$1" "$2" &&
	ip -n "$CLOUD" link set "${1}1" "$2" &&
	ip -n "$CLOUD" link set "${1}2" "$2"
}

pair_setup()
{
	local x i l r k in ns

	LANNS=vx-lan-$$ GWA=vx-gwa-$$ GWB=vx-gwb-$$ CLOUD=vx-cloud-$$
	PAIR_DIR=$(mktemp -d)
	for ns in "$LANNS" "$GWA" "$GWB" "$CLOUD"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
	done
	ip -batch - <<-EOF || return 1
	link add lan0 netns $GWA type veth peer name la netns $LANNS
	link add lan0 netns $GWB type veth peer name lb netns $LANNS
	link add u1 netns $GWA type veth peer name a1 netns $CLOUD
	link add u2 netns $GWA type veth peer name a2 netns $CLOUD
	link add u1 netns $GWB type veth peer name b1 netns $CLOUD
	link add u2 netns $GWB type veth peer name b2 netns $CLOUD
	EOF

	ip -n "$LANNS" -batch - <<-EOF || return 1
	link add br0 type bridge
	link set br0 up
	link set la master br0
	link set lb master br0
	link set la up
	link set lb up
	addr add 198.51.100.10/24 dev br0
	addr add 198.51.100.20/24 dev br0
	addr add 198.51.100.30/24 dev br0
	addr add 198.51.100.40/24 dev br0
	route add default via 198.51.100.1
	route add default via 198.51.100.254 table 20
	route add default via 198.51.100.2 table 30
	route add default via 198.51.100.3 table 40
	rule add pref 20 from 198.51.100.20 lookup 20
	rule add pref 30 from 198.51.100.30 lookup 30
	rule add pref 40 from 198.51.100.40 lookup 40
	EOF

	{
		echo "link add cloud type dummy"
		echo "link set cloud up"
		echo "addr add 10.100.0.1/16 dev cloud"
		echo "addr add $PAIR_HOST/16 dev cloud"
		for x in a b; do
			for i in 1 2; do
				read -r l r k in <<<"$(pair_tun "$x" "$i")"
				echo "addr add $r/30 dev $x$i"
				echo "link set $x$i up"
				echo "link add t$x$i type vti local $r remote $l key $k"
				echo "link set t$x$i up"
				echo "addr add $in.2/30 dev t$x$i"
				pair_policy_lines "$x" "$i" cloud
			done
		done
		echo "route add 198.51.100.0/24 nexthop dev ta1 nexthop dev ta2 nexthop dev tb1 nexthop dev tb2"
	} | ip -n "$CLOUD" -batch - || return 1
	ip netns exec "$CLOUD" sh -c '
		for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > $f; done
		for t in ta1 ta2 tb1 tb2; do
			echo 1 > /proc/sys/net/ipv4/conf/$t/disable_policy
		done' || return 1

	for x in a b; do
		ns=$(pair_ns "$x")
		ip netns exec "$ns" sh "$PAIR_EX/gw-$x.sh" || return 1
		ip -n "$ns" -batch - <<-EOF || return 1
		$(pair_policy_lines "$x" 1 gw)
		$(pair_policy_lines "$x" 2 gw)
		EOF
		pair_sa_add "$x" || return 1
	done
}

# pair_start X [VCONF [KCONF]]: gateway X's daemons, as at boot: vpnecmp
# first (it writes the track file keepalived reads), then keepalived.  The
# guide's files by default; VCONF "none": keepalived alone.  Returns once
# keepalived runs.
pair_start()
{
	local x=$1 ns d=$PAIR_DIR vconf=${2:-$PAIR_EX/vpnecmp-$1.conf}
	local kconf=${3:-$(pair_kconf "$1")}

	ns=$(pair_ns "$x")
	: > "$d/vd-$x.log"
	[ "$vconf" = none ] && echo "configuration applied (no vpnecmp)" > "$d/vd-$x.log"
	ip netns exec "$ns" unshare -m sh -c '
		mount -t tmpfs tmpfs /run && mkdir -p /run/vpnecmp || exit 1
		if [ "$2" != none ]; then
			"$1" daemon config "$2" 2>>"$3" &
			echo $! > "$4"
		fi
		i=0
		until grep -q -e "configuration applied" -e refused "$3"; do
			i=$((i + 1)); [ $i -lt 300 ] || exit 1; sleep 0.1
		done
		keepalived -n -l -D -P -f "$5" -p /run/keepalived.pid \
			-r /run/vrrp.pid >>"$6" 2>&1 &
		echo $! > "$7"
		wait' sh "$VPNECMP" "$vconf" "$d/vd-$x.log" "$d/vd-$x.pid" \
		"$kconf" "$d/ka-$x.log" "$d/ka-$x.pid" &
	busywait 30000 test -s "$d/ka-$x.pid"
}

# pair_kconf X [FILE]: gateway X's keepalived.conf (the guide's, or FILE)
# with VRRP advertisements every PAIR_ADVERT s.  The guide's 0.1 s needs a
# keepalived that is scheduled within a few tens of milliseconds; an
# emulated guest on a loaded host runs its timers a second or more late,
# every master would look dead to its backup and the addresses would flap
# for that reason alone.  The tests therefore use 1 s (3.6 s takeover when
# a gateway dies); everything else in the file is the guide's.
pair_kconf()
{
	local f=${2:-$PAIR_EX/keepalived-$1.conf}

	sed "s/advert_int 0\.1\$/advert_int ${PAIR_ADVERT:-1}/" "$f" > "$PAIR_DIR/keepalived-$1.conf"
	echo "$PAIR_DIR/keepalived-$1.conf"
}

# pair_kill X [SIG]: gateway X's daemons stopped (SIGKILL: the box died)
pair_kill()
{
	local x=$1 sig=${2:-TERM} p

	for p in ka vd; do
		[ -s "$PAIR_DIR/$p-$x.pid" ] || continue
		kill -"$sig" "$(cat "$PAIR_DIR/$p-$x.pid")" 2>/dev/null
		rm -f "$PAIR_DIR/$p-$x.pid"
	done
	# keepalived's VRRP child is not always told when its parent is
	# killed: whatever of ours still runs in the namespace (a dead box runs
	# nothing; the namespace and its processes are this test's own)
	if [ "$sig" = KILL ]; then
		for p in $(ip netns pids "$(pair_ns "$x")"); do
			kill -KILL "$p" 2>/dev/null
		done
	fi
	busywait 10000 sh -c "! ip netns pids $(pair_ns "$x") | grep -q ."
}

pair_cleanup()
{
	local ns

	[ -n "${PAIR_DIR:-}" ] || return 0
	pair_kill a
	pair_kill b
	for ns in "$LANNS" "$GWA" "$GWB" "$CLOUD"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$PAIR_DIR"
	PAIR_DIR=
}

# pair_vip_on X ADDR: ADDR (a VIP) is on gateway X's lan0
pair_vip_on()
{
	ip -n "$(pair_ns "$1")" -4 -o addr show dev lan0 | grep -q " $2/"
}

# pair_wait_vips: gw-a holds .1, gw-b .254 (the steady state).  Then the
# LAN forgets what it learnt during the cold start: the gateway started
# first holds both addresses for a while and announces them, and the
# kernel ignores an ARP update that comes within a second of the previous
# one (locktime), so the LAN may still send to the wrong gateway.
pair_wait_vips()
{
	busywait "${1:-30000}" sh -c "ip -n $GWA -4 -o addr show dev lan0 | grep -q ' 198.51.100.1/' &&
		ip -n $GWB -4 -o addr show dev lan0 | grep -q ' 198.51.100.254/' &&
		! ip -n $GWA -4 -o addr show dev lan0 | grep -q ' 198.51.100.254/' &&
		! ip -n $GWB -4 -o addr show dev lan0 | grep -q ' 198.51.100.1/'" || return 1
	ip -n "$LANNS" neigh flush dev br0
}

# pair_transitions X: keepalived's state changes on gateway X so far
pair_transitions()
{
	grep -c -e "Entering MASTER STATE" -e "Entering BACKUP STATE" -e "entering FAULT state" \
		"$PAIR_DIR/ka-$1.log"
}

# pair_ttl_expired X: packets gateway X dropped because their TTL ran out
# while forwarding (Ip InHdrErrors: counted for every one, unlike the ICMP
# time exceeded messages, which are rate limited); a forwarding loop
pair_ttl_expired()
{
	ip netns exec "$(pair_ns "$1")" awk '$1 == "Ip:" {
		if (!h) { for (i = 2; i <= NF; i++) if ($i == "InHdrErrors") c = i; h = 1; next }
		print $c; exit }' /proc/net/snmp
}

# pair_ifindex DEV: the cloud's ifindex of a tunnel device
pair_ifindex()
{
	ip -n "$CLOUD" -j link show "$1" | jq '.[0].ifindex'
}

# ------------------------------------------------------------------ flows
# (flowgen of selftests/bench; NFLOWS and PPS set by the caller)

now_ns()
{
	"$NLBENCH" now
}

# flows_start NAME SRC PORT SECONDS: NFLOWS flows from LAN host SRC to the
# cloud host, received (with the tunnel each came through) on PORT
flows_start()
{
	local name=$1 src=$2 port=$3 secs=$4 d=$PAIR_DIR

	: > "$d/$name.rxout"
	# an outage longer than 2 s must not end the receiver: it runs for
	# SECONDS + 4 s whatever comes
	ip netns exec "$CLOUD" env FLOWGEN_IDLE_MS=$(((secs + 4) * 1000)) "$FLOWGEN" recv \
		"$PAIR_HOST" "$port" $((secs + 4)) "$d/$name.rx" > "$d/$name.rxout" &
	echo $! > "$d/$name.rxpid"
	busywait 10000 grep -q ready "$d/$name.rxout"
	ip netns exec "$LANNS" "$FLOWGEN" send "$src" "$PAIR_HOST" "$port" "$NFLOWS" "$PPS" \
		"$secs" "$d/$name.tx" > "$d/$name.txout" &
	echo $! > "$d/$name.txpid"
}

flows_wait()
{
	wait "$(cat "$PAIR_DIR/$1.txpid")"
	wait "$(cat "$PAIR_DIR/$1.rxpid")"
}

# flows_report NAME FAULT_NS [RETURN_NS]: one line of key=value
#   lost                 packets lost in all
#   lost_after_fault     sent between the fault and the return, lost
#   last_loss_ms         the last of those, after the fault (-1: none)
#   lost_after_return    sent after the return, lost (a second burst)
#   tail_lost            sent in the last second, lost (traffic continues?)
#   flows_moved          flows whose tunnel in the cloud changed
flows_report()
{
	python3 - "$PAIR_DIR/$1.tx" "$PAIR_DIR/$1.rx" "$NFLOWS" "$2" "${3:-0}" <<-'EOF'
	import struct, sys
	tx, rx, flows, fault, ret = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
	ret = ret or 1 << 63
	raw = open(tx, "rb").read()
	times = struct.unpack("<%dQ" % (len(raw) // 8), raw)
	n = len(times) // flows * flows
	got, tun = set(), {}
	raw = open(rx, "rb").read()
	for off in range(0, len(raw) // 16 * 16, 16):
	    ts, rnd, fl, ifi = struct.unpack_from("<QIHH", raw, off)
	    i = rnd * flows + fl
	    if fl >= flows or i >= n:
	        continue
	    got.add(i)
	    ph = 0 if times[i] < fault else 1 if times[i] < ret else 2
	    tun.setdefault(fl, [set(), set(), set()])[ph].add(ifi)
	lost = [i for i in range(n) if i not in got]
	during = [i for i in lost if fault <= times[i] < ret]
	last = max((times[i] - fault for i in during), default=-1)
	tail = [i for i in range(n) if times[i] >= times[n - 1] - 1000000000]
	moved = sum(1 for b, d, a in tun.values() if len(b) == 1 and ((d and d != b) or (a and a != b)))
	print("sent=%d lost=%d lost_after_fault=%d last_loss_ms=%.0f lost_after_return=%d "
	      "tail=%d tail_lost=%d flows_moved=%d" %
	      (n, len(lost), len(during), last / 1e6 if last >= 0 else -1,
	       len([i for i in lost if times[i] >= ret]), len(tail),
	       len([i for i in tail if i not in got]), moved))
	EOF
}

# field LINE KEY: the value of KEY=VALUE in LINE
field()
{
	grep -o "\b$2=[-0-9.]*" <<<"$1" | cut -d= -f2
}
