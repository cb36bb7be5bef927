# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Real daemons in the topology's namespaces: strongSwan's charon, BIRD and
# FRR (zebra, bgpd with BMP, bfdd), one instance per side, each with its own configuration, control socket and
# log under $TMPDIR_T/SIDE (SIDE is cgw or aws).  Source after topo.sh.
# Everything started here is stopped by daemons_stop, which the case
# cleanup calls.

DAEMON_PIDS=

side_ns()
{
	if [ "$1" = cgw ]; then echo "$CGW"; else echo "$AWS"; fi
}

# charon_start SIDE SWANCTL_CONF: a charon of its own in SIDE's namespace
# (private /run for its pid file), then its connections and secrets loaded.
# Fast DPD retransmits: a dead peer is declared after ~2 s, not ~165 s.
# CHARON_OPTS: more lines for the charon { } section of strongswan.conf.
charon_start()
{
	local side=$1 conf=$2 ns dir=$TMPDIR_T/$1

	ns=$(side_ns "$side")
	mkdir -p "$dir"
	cat > "$dir/strongswan.conf" <<-EOF
	charon {
		load = random nonce openssl kdf pem pkcs1 pubkey kernel-netlink socket-default vici
		install_routes = no
		retransmit_tries = 2
		retransmit_timeout = 0.5
		retransmit_base = 1.2
		${CHARON_OPTS:-}
		plugins {
			vici {
				socket = unix://$dir/charon.vici
			}
		}
		filelog {
			log {
				path = $dir/charon.log
				time_format = %T
				default = 1
				ike = 2
			}
		}
	}
	swanctl {
		load = random nonce openssl pem pkcs1 pubkey
	}
	EOF
	ip netns exec "$ns" sh -c "mount -t tmpfs tmpfs /run &&
		STRONGSWAN_CONF=$dir/strongswan.conf exec /usr/lib/ipsec/charon" \
		>"$dir/charon.out" 2>&1 &
	DAEMON_PIDS="$DAEMON_PIDS $!"
	busywait 30000 test -S "$dir/charon.vici" || { echo "charon $side did not start"; return 1; }
	swanctl_do "$side" --load-all --file "$conf" >"$dir/load.log" 2>&1 ||
		{ cat "$dir/load.log"; return 1; }
}

# swanctl_do SIDE ARGS...: swanctl against SIDE's charon
swanctl_do()
{
	local dir=$TMPDIR_T/$1

	shift
	STRONGSWAN_CONF=$dir/strongswan.conf swanctl "$@" --uri "unix://$dir/charon.vici"
}

# swanctl_conf SIDE FILE: route-based tunnels 1 and 2 of topo.sh (XFRM
# interfaces, if_id I; with SWANCTL_TAG=mark, VTIs, mark I), IKEv2 with
# pre-shared keys, DPD every second.
# The gateway initiates and restarts on DPD; the cloud side only responds.
swanctl_conf()
{
	local side=$1 f=$2 i l r start dpd

	if [ "$side" = cgw ]; then
		start=start dpd=restart
	else
		start=none dpd=clear
	fi
	{
		echo "connections {"
		for i in 1 2; do
			l=$(tun_local "$i") r=$(tun_remote "$i")
			[ "$side" = aws ] && { l=$(tun_remote "$i"); r=$(tun_local "$i"); }
			cat <<-EOF
			tun-$i {
				local_addrs = $l
				remote_addrs = $r
				proposals = aes128gcm16-prfsha256-ecp256
				dpd_delay = 1s
				keyingtries = 0
				local {
					auth = psk
					id = $l
				}
				remote {
					auth = psk
					id = $r
				}
				children {
					tun-$i {
						local_ts = 0.0.0.0/0
						remote_ts = 0.0.0.0/0
						${SWANCTL_TAG:-if_id}_in = $i
						${SWANCTL_TAG:-if_id}_out = $i
						esp_proposals = aes128gcm16
						start_action = $start
						dpd_action = $dpd
					}
				}
			}
			EOF
		done
		echo "}"
		echo "secrets {"
		for i in 1 2; do
			cat <<-EOF
			ike-$i {
				id-1 = $(tun_local "$i")
				id-2 = $(tun_remote "$i")
				secret = vpnecmp-selftest-tunnel-$i
			}
			EOF
		done
		echo "}"
	} > "$f"
}

# bird_start SIDE CONF: BIRD 2 in SIDE's namespace, control socket
# $TMPDIR_T/SIDE/bird.ctl
bird_start()
{
	local side=$1 conf=$2 ns dir=$TMPDIR_T/$1

	ns=$(side_ns "$side")
	mkdir -p "$dir"
	ip netns exec "$ns" bird -f -c "$conf" -s "$dir/bird.ctl" -P "$dir/bird.pid" \
		>"$dir/bird.out" 2>&1 &
	DAEMON_PIDS="$DAEMON_PIDS $!"
	busywait 20000 test -S "$dir/bird.ctl" || { echo "bird $side did not start"; return 1; }
}

# birdc_do SIDE ARGS...
birdc_do()
{
	local sock=$TMPDIR_T/$1/bird.ctl

	shift
	birdc -s "$sock" "$@"
}

# frr_start SIDE FRR_CONF: FRR's zebra, bgpd (with the BMP module) and bfdd
# in SIDE's namespace, then FRR_CONF applied through vtysh.  FRR runs as
# root and wants its users and vty group in /etc/passwd and /etc/group,
# which the guest does not have: the daemons get a private mount namespace
# with an /etc of their own (passwd, group and the loader's files only) and
# a private /run.  Sockets, pid files and logs are in $TMPDIR_T/SIDE/frr.
frr_start()
{
	local side=$1 conf=$2 ns dir=$TMPDIR_T/$1/frr f

	ns=$(side_ns "$side")
	mkdir -p "$dir/etc"
	rm -f "$dir"/*.pid "$dir"/*.vty
	for f in ld.so.cache ld.so.conf ld.so.conf.d protocols services localtime; do
		[ -e "/etc/$f" ] && cp -a "/etc/$f" "$dir/etc/"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/etc/passwd"
	# vtysh authenticates its user through PAM unless vtysh.conf says not to
	mkdir -p "$dir/etc/frr"
	echo 'username root nopassword' > "$dir/etc/frr/vtysh.conf"
	printf 'root:x:0:\nfrr:x:990:\nfrrvty:x:991:root\n' > "$dir/etc/group"
	# shellcheck disable=SC2016
	ip netns exec "$ns" unshare -m sh -c '
		d=$1
		mount --bind "$d/etc" /etc && mount -t tmpfs tmpfs /run || exit 1
		mkdir -p /var/tmp 2>/dev/null
		o="-u root -g root --vty_socket $d -z $d/zserv.api"
		/usr/lib/frr/zebra $o -i "$d/zebra.pid" --log "file:$d/zebra.log" &
		z=$!
		/usr/lib/frr/bfdd $o -i "$d/bfdd.pid" --bfdctl "$d/bfdd.sock" \
			--log "file:$d/bfdd.log" &
		f=$!
		/usr/lib/frr/bgpd $o -M bmp -i "$d/bgpd.pid" --log "file:$d/bgpd.log" &
		b=$!
		# stopped before they wrote their pid files: they go too
		trap "kill $b $f $z 2>/dev/null" TERM
		wait
		wait' sh "$dir" >"$dir/frr.out" 2>&1 &
	DAEMON_PIDS="$DAEMON_PIDS $!"
	busywait 90000 sh -c "test -s '$dir/zebra.pid' && test -S '$dir/zebra.vty' && test -S '$dir/bgpd.vty' &&
		test -S '$dir/bfdd.vty'" || { echo "FRR $side did not start"; cat "$dir/frr.out"; return 1; }
	vtysh_do "$side" -f "$conf" >"$dir/load.log" 2>&1 || { cat "$dir/load.log"; return 1; }
}

# vtysh_do SIDE ARGS...: vtysh against SIDE's FRR, in its mount namespace
# (vtysh too wants the vty group).
vtysh_do()
{
	local dir=$TMPDIR_T/$1/frr

	shift
	nsenter -t "$(cat "$dir/zebra.pid")" -m vtysh --vty_socket "$dir" "$@"
}

# FRR's daemons fork away from the shell that started them: their pid files.
frr_stop()
{
	local f pid

	for f in "$TMPDIR_T"/*/frr/*.pid; do
		[ -f "$f" ] && read -r pid < "$f" && kill -TERM "$pid" 2>/dev/null
	done
}

daemons_stop()
{
	local pid

	frr_stop
	for pid in $DAEMON_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $DAEMON_PIDS; do
		wait "$pid" 2>/dev/null
	done
	DAEMON_PIDS=
}

case_cleanup_hook()
{
	local f

	daemons_stop
	for f in "$TMPDIR_T"/*/charon.out "$TMPDIR_T"/*/charon.log "$TMPDIR_T"/*/bird.out \
		 "$TMPDIR_T"/*/bird.log "$TMPDIR_T"/*/frr/frr.out "$TMPDIR_T"/*/frr/bgpd.log \
		 "$TMPDIR_T"/*/frr/bfdd.log; do
		[ -f "$f" ] && dump_log "$f" 10
	done
}
