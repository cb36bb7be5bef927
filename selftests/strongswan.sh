#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two strongSwan charons (gateway and "cloud") bring up the two route-based
# tunnels of topo.sh (XFRM interfaces, IKEv2, PSK) and "vpnecmp daemon"
# follows them over VICI; ipsec_conf: the gateway's charon started the
# legacy way, by strongswan-starter from an ipsec.conf.  If a case fails, a tunnel whose IKE peer died, or
# whose CHILD_SA charon deleted, would stay in the nexthop group; or a path
# pulled by the prober would be left for the far side's own DPD to notice.
#
# timeout: 600

ALL_TESTS="
	dpd_dead_peer
	child_deleted
	on_pull_restart
	ipsec_conf
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"
source "$(dirname "$0")/daemons.sh"

# shellcheck disable=SC2034 # read by topo.sh
ike_env()
{
	TOPO_KIND=xfrm
	TOPO_IKE=1
}

dpd_dead_peer_env() { ike_env; }
child_deleted_env() { ike_env; }
on_pull_restart_env() { ike_env; }
# ipsec.conf (starter) knows marks, not XFRM interface ids: VTIs
# shellcheck disable=SC2034 # read by topo.sh
ipsec_conf_env() { TOPO_KIND=vti; TOPO_IKE=1; }

# ike_up [FEEDER_LINES...]: both charons, both tunnels established, the
# daemon running with FEEDER_LINES, both paths in the group
ike_up()
{
	local conf=$TMPDIR_T/vpnecmp.conf

	swanctl_conf cgw "$TMPDIR_T/cgw.swanctl.conf"
	swanctl_conf aws "$TMPDIR_T/aws.swanctl.conf"
	charon_start aws "$TMPDIR_T/aws.swanctl.conf" || return 1
	charon_start cgw "$TMPDIR_T/cgw.swanctl.conf" || return 1
	daemon_conf "$conf" "strongswan socket $TMPDIR_T/cgw/charon.vici${ON_PULL:+ on-pull $ON_PULL}" "$@"
	daemon_start "$conf" || return 1
	# "keep" leaves the group as it was while no path is up: wait for both
	busywait 30000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show | jq -r '[.[].state] | join(\" \")')\" = 'up up' ]" ||
		{ ktap_print_msg "tunnels did not come up"; return 1; }
	wait_members "1 2"

}

dpd_dead_peer()
{
	local mon=$TMPDIR_T/mon.json t0 down reason

	ike_up "ike t1 conn tun-1 child tun-1" "ike t2 conn tun-2 child tun-2" ||
		{ fail "setup"; return; }
	expect_eq "$(vx -j path show t1 | jq -r '.[0].signals_up | index("dpd") != null')" true \
		"dpd of t1 up while its IKE SA is established"
	start_monitor "$mon" path

	# the cloud end of tunnel 1 goes silent: IKE and ESP dropped
	underlay_drop 1 on || { fail "tc"; return; }
	t0=$(uptime_ms)
	busywait 20000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id 100 | jq -r '[.[0].group[].id] | map(tostring) | join(\" \")')\" = 2 ]" ||
		fail "t1 still in the group 20 s after its peer went silent"
	down=$(event_ms "$mon" t1 down cause_ns "$t0")
	reason=$(jq -rs '[.[] | select(.path == "t1" and .new_state == "down")][-1].reason' "$mon")
	[ -n "$down" ] && ktap_print_msg "DPD-fed detection: $((down - t0)) ms after the peer went silent (dpd_delay 1 s, 2 retransmits), first signal down: $reason"
	daemon_wait_log "path t1: dpd down" || fail "the dpd signal of t1 did not drop"
	expect_eq "$(members)" "2" "group while tunnel 1's peer is dead"

	underlay_drop 1 off
	busywait 30000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id 100 | jq -r '[.[0].group[].id] | sort | map(tostring) | join(\" \")')\" = '1 2' ]" ||
		fail "t1 did not return once its peer answered again"
}

child_deleted()
{
	local out

	# no ike feeder: only the kernel's SA tracking sees the deletion
	ike_up || { fail "setup"; return; }
	out=$(swanctl_do cgw --terminate --child tun-1 2>&1) || fail "swanctl --terminate: $out"
	wait_members "2" || fail "t1 still in the group after charon deleted its CHILD_SA"
	expect_eq "$(path_field t1 reason)" sa "reason of t1"
	out=$(swanctl_do cgw --initiate --child tun-1 2>&1) || fail "swanctl --initiate: $out"
	wait_members "1 2" || fail "t1 did not return with its new CHILD_SA"
}

on_pull_restart()
{
	local before

	ON_PULL=restart ike_up "ike t1 conn tun-1 child tun-1" "ike t2 conn tun-2 child tun-2" \
		"probe t1 icmp 203.0.113.2 interval 300 multiplier 10" \
		"probe t2 icmp 203.0.113.6 interval 300 multiplier 10" || { fail "setup"; return; }
	before=$(swanctl_do aws --list-sas --ike tun-1 --raw 2>/dev/null | grep -o 'uniqueid=[0-9]*')
	[ -n "$before" ] || { fail "no IKE SA tun-1 on the cloud side"; return; }

	# ESP of tunnel 1 blackholed, IKE untouched: charon sees nothing wrong
	esp_drop 1 on || { fail "tc"; return; }
	busywait 20000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id 100 | jq -r '[.[0].group[].id] | map(tostring) | join(\" \")')\" = 2 ]" ||
		fail "the prober did not pull t1"
	expect_eq "$(path_field t1 reason)" probe "reason of t1"
	daemon_wait_log "asking charon to restart IKE SA tun-1" || fail "no restart asked"
	# the cloud side hears about it at once: its IKE SA is replaced
	busywait 20000 sh -c "after=\$(STRONGSWAN_CONF=$TMPDIR_T/aws/strongswan.conf swanctl --list-sas --ike tun-1 --raw --uri unix://$TMPDIR_T/aws/charon.vici 2>/dev/null | grep -o 'uniqueid=[0-9]*'); [ -n \"\$after\" ] && [ \"\$after\" != '$before' ]" ||
		fail "the cloud side kept IKE SA $before"
	esp_drop 1 off
	busywait 30000 sh -c "[ \"\$(ip -n $CGW -j nexthop show id 100 | jq -r '[.[0].group[].id] | sort | map(tostring) | join(\" \")')\" = '1 2' ]" ||
		fail "t1 did not return"
}

# starter_start SIDE: the legacy way, strongswan-starter reading
# Documentation/examples/strongswan/ipsec.conf (the AWS-generated
# configuration is an ipsec.conf) and starting charon, which loads both the
# stroke plugin (for starter) and vici (for vpnecmp daemon)
starter_start()
{
	local side=$1 ns dir=$TMPDIR_T/$1 i

	ns=$(side_ns "$side")
	mkdir -p "$dir"
	cat > "$dir/strongswan.conf" <<-EOF
	charon {
		load = random nonce openssl kdf pem pkcs1 pubkey kernel-netlink socket-default stroke vici
		install_routes = no
		retransmit_tries = 2
		retransmit_timeout = 0.5
		retransmit_base = 1.2
		plugins {
			stroke {
				secrets_file = $dir/ipsec.secrets
			}
			vici {
				socket = unix://$dir/charon.vici
			}
		}
		filelog {
			log {
				path = $dir/charon.log
				time_format = %T
				default = 1
			}
		}
	}
	EOF
	# the documentation's file, as it is (its addresses are topo.sh's)
	cp "$SRCDIR/Documentation/examples/strongswan/ipsec.conf" "$dir/ipsec.conf"
	for i in 1 2; do
		echo "$(tun_local "$i") $(tun_remote "$i") : PSK \"vpnecmp-selftest-tunnel-$i\""
	done > "$dir/ipsec.secrets"
	ip netns exec "$ns" sh -c "mount -t tmpfs tmpfs /run &&
		STRONGSWAN_CONF=$dir/strongswan.conf exec /usr/lib/ipsec/starter --nofork --conf $dir/ipsec.conf" \
		>"$dir/starter.out" 2>&1 &
	DAEMON_PIDS="$DAEMON_PIDS $!"
	busywait 30000 test -S "$dir/charon.vici" || { echo "starter/charon $side did not start"; return 1; }
}

ipsec_conf()
{
	local conf=$TMPDIR_T/vpnecmp.conf out

	[ -x /usr/lib/ipsec/starter ] || { ktap_print_msg "no strongswan-starter"; RET=1; return; }
	SWANCTL_TAG=mark swanctl_conf aws "$TMPDIR_T/aws.swanctl.conf"
	charon_start aws "$TMPDIR_T/aws.swanctl.conf" || { fail "aws charon"; return; }
	starter_start cgw || { fail "starter"; return; }
	# ipsec.conf's conn names are the IKE and CHILD SA names over VICI
	daemon_conf "$conf" "strongswan socket $TMPDIR_T/cgw/charon.vici" \
		"ike t1 conn tun-1 child tun-1" "ike t2 conn tun-2 child tun-2"
	daemon_start "$conf" || { fail "daemon"; return; }
	busywait 30000 sh -c "[ \"\$(\"$VPNECMP\" -n $CGW -j path show | jq -r '[.[].state] | join(\" \")')\" = 'up up' ]" ||
		{ fail "tunnels from ipsec.conf did not come up: $(vx -br path show | tr '\n' ';') SAs: $(ip -n "$CGW" xfrm state | grep -E '^src|if_id|encap|mark' | tr '\n\t' '; ')"; return; }
	wait_members "1 2" || fail "both paths in the group"
	# charon deletes the IKE SA of an ipsec.conf connection: seen over VICI
	out=$(swanctl_do cgw --terminate --ike tun-1 2>&1) || fail "terminate: $out"
	daemon_wait_log "path t1: dpd down" || fail "the daemon did not see tun-1's IKE SA go"
	wait_members "2" || fail "t1 still in the group"
	# back, as started by the ipsec.conf connection (auto=start, initiate)
	out=$(swanctl_do cgw --initiate --child tun-1 2>&1) || fail "initiate: $out"
	wait_members "1 2" || fail "t1 did not return"
	daemon_wait_log "path t1: dpd up" || fail "dpd of t1 did not come back"
}

run_tests "$ALL_TESTS"
