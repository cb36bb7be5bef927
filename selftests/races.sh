#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle races, all at once for RACE_SECONDS (default 30): SA add/delete
# churn on four tunnels, dpd events, group/path add/del and weight changes
# (genl_churn.py), `ip link del` and re-creation of two XFRM interfaces
# that carry paths, creation and deletion of namespaces holding live vpnecmp
# state, and rmmod/insmod of the module under it all.  Meant for a guest
# with 2 or more vCPUs (check.sh runs the suite with -smp 2), so that the
# XFRM hook, the genetlink handlers, the apply work, the nexthop notifier
# and the namespace exit really run in parallel.
#
# Afterwards: no request went unanswered, every vpnecmp group that reports
# itself active holds exactly its UP paths in the kernel and every path's
# "member" says whether it is in the kernel group (no stale membership),
# group g recovers both tunnels, no namespace is left behind, and (the VM
# runner checks) no splat and the module unloads.  A failure here is a
# use-after-free, deadlock or lost update that only concurrency exposes.
#
# timeout: 300

ALL_TESTS="races"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"

RACE_SECONDS=${RACE_SECONDS:-30}

# The SA churn: generations G to G+7 of the outbound SAs of tunnels 1 to 4
# in, each with the previous generation out; tunnels 3 and 4 are XFRM
# interfaces over u1 with if_id 3 and 4.  No subshell per line: forks are
# what costs under emulation.
sa_churn_lines()
{
	local g=$1 k i spi old aead="aead 'rfc4106(gcm(aes))' $AEAD_KEY 128"

	for ((k = g; k < g + 8; k++)); do
		for i in 1 2; do
			printf -v spi '0x%x' $((0x1000 + 16 * k + i))
			printf -v old '0x%x' $((0x1000 + 16 * (k - 1) + i))
			echo "xfrm state add src ${TUN_L[i]} dst ${TUN_R[i]} proto esp spi $spi" \
			     "mode tunnel mark $i $aead sel src 0.0.0.0/0 dst 0.0.0.0/0"
			echo "xfrm state delete src ${TUN_L[i]} dst ${TUN_R[i]} proto esp spi $old mark $i"
		done
		for i in 3 4; do
			printf -v spi '0x%x' $((0x30000 + 16 * k + i))
			printf -v old '0x%x' $((0x30000 + 16 * (k - 1) + i))
			echo "xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi $spi" \
			     "mode tunnel if_id $i $aead"
			echo "xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi $old"
		done
	done
}

xfrm_if_lines()
{
	local i

	for i in 3 4; do
		echo "link add t$i type xfrm dev u1 if_id $i"
		echo "link set t$i up"
		echo "nexthop add id $((10 + i)) dev t$i"
	done
	echo "nexthop add id 110 group 13/14"
}

# Each loop runs until $END (in $SECONDS) and writes its count to $1.
loop_sa()
{
	local g=1 n=0

	while [ "$SECONDS" -lt "$END" ]; do
		sa_churn_lines "$g" | ip -n "$CGW" -force -batch - 2>/dev/null
		n=$((n + 64)); g=$((g + 8))
	done
	echo "$n" > "$1"
}

loop_links()
{
	local n=0 i

	while [ "$SECONDS" -lt "$END" ]; do
		i=$((3 + n % 2))
		ip -n "$CGW" link del "t$i"
		xfrm_if_lines | ip -n "$CGW" -force -batch - 2>/dev/null
		n=$((n + 1))
	done
	echo "$n" > "$1"
}

loop_netns()
{
	local n=0 ns

	while [ "$SECONDS" -lt "$END" ]; do
		ns=vx-rns-$$-$n
		ip netns add "$ns" || break
		ip -n "$ns" -force -batch - 2>/dev/null <<-EOF
		link set lo up
		link add d0 type dummy
		link set d0 up
		nexthop add id 1 dev d0
		nexthop add id 100 group 1
		xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 mode tunnel mark 1 aead 'rfc4106(gcm(aes))' $AEAD_KEY 128
		EOF
		"$VPNECMP" -n "$ns" group add g nhid 100 2>/dev/null &&
			"$VPNECMP" -n "$ns" path add p dev d0 group g nhid 1 \
				local 10.0.0.1 remote 10.0.0.2 mark 1 2>/dev/null
		ip netns del "$ns"
		n=$((n + 1))
	done
	echo "$n" > "$1"
}

loop_rmmod()
{
	local n=0

	while [ "$SECONDS" -lt "$END" ]; do
		sleep $((RACE_SECONDS / 4))
		[ "$SECONDS" -lt "$END" ] || break
		if rmmod vpnecmp 2>/dev/null; then
			n=$((n + 1))
			insmod "$VPNECMP_KO" || break
		fi
	done
	echo "$n" > "$1"
}

# consistent: every active group holds exactly its UP paths; "member" of
# every path says whether its nexthop is in the kernel group.
consistent()
{
	local groups paths g nhid kernel up members

	groups=$(vx -j group show) || return 1
	paths=$(vx -j path show) || return 1
	for g in $(jq -r '.[].name' <<<"$groups"); do
		nhid=$(jq -r --arg g "$g" '.[] | select(.name == $g) | .nhid' <<<"$groups")
		kernel=$(ip -n "$CGW" -j nexthop show id "$nhid" 2>/dev/null |
			 jq -r '[.[0].group[].id] | sort | map(tostring) | join(" ")')
		members=$(jq -r --arg g "$g" '[.[] | select(.group == $g and .member) |
			  .nhid] | sort | map(tostring) | join(" ")' <<<"$paths")
		up=$(jq -r --arg g "$g" '[.[] | select(.group == $g and .state == "up") |
		     .nhid] | sort | map(tostring) | join(" ")' <<<"$paths")
		case $(jq -r --arg g "$g" '.[] | select(.name == $g) | .state' <<<"$groups") in
		active)
			[ "$kernel" = "$up" ] && [ "$members" = "$up" ] || {
				echo "group $g: kernel {$kernel} members {$members} up {$up}"
				return 1
			} ;;
		*)
			[ -z "$members" ] || [ "$members" = "$kernel" ] || {
				echo "group $g: kernel {$kernel} members {$members}"
				return 1
			} ;;
		esac
	done
}

races()
{
	local d=$TMPDIR_T out total n f seed=${RACE_SEED:-$RANDOM}

	xfrm_if_lines | ip -n "$CGW" -batch - || { fail "xfrm interfaces"; return; }
	sa_add 1 && sa_add 2 && vpnecmp_std_paths "" hold-up 100 signals sa,dpd &&
		wait_members "1 2" || { fail "setup"; return; }
	ktap_print_msg "races: $(nproc) CPUs, $RACE_SECONDS s, seed $seed"
	TUN_L=("" "$(tun_local 1)" "$(tun_local 2)")
	TUN_R=("" "$(tun_remote 1)" "$(tun_remote 2)")

	END=$((SECONDS + RACE_SECONDS))
	loop_sa "$d/sa" &
	loop_links "$d/links" &
	loop_netns "$d/netns" &
	loop_rmmod "$d/rmmod" &
	ip netns exec "$CGW" python3 "$SELFTESTS_DIR/genl_churn.py" \
		"$RACE_SECONDS" "$seed" > "$d/churn" 2>&1 &
	wait

	total=0
	for f in sa links netns rmmod; do
		n=$(cat "$d/$f" 2>/dev/null)
		[ -n "$n" ] || { fail "loop $f did not finish"; n=0; }
		ktap_print_msg "races: $f operations: $n"
		total=$((total + n))
	done
	out=$(cat "$d/churn")
	ktap_print_msg "races: genetlink churn: $out"
	n=$(awk '$1 == "ops" { print $2 }' <<<"$out")
	[ -n "$n" ] || { fail "genl_churn.py failed"; n=0; }
	total=$((total + n))
	ktap_print_msg "races: $total concurrent operations"

	module_loaded || insmod "$VPNECMP_KO" || { fail "module cannot be loaded"; return; }
	ip netns list | grep -q "^vx-rns-$$-" && fail "namespaces left: $(ip netns list)"

	# Quiet now: the kernel groups must match the paths' states.
	for n in $(seq 100); do
		consistent > "$d/c" && break
		sleep 0.1
	done
	[ -s "$d/c" ] && fail "stale membership: $(cat "$d/c")"

	# Group g recovers both tunnels (re-added if a reload lost it).
	vx group add g nhid 100 2>/dev/null
	vx path add t1 group g dev t1 nhid 1 local "$(tun_local 1)" \
		remote "$(tun_remote 1)" mark 1 hold-up 100 signals sa,dpd 2>/dev/null
	vx path add t2 group g dev t2 nhid 2 local "$(tun_local 2)" \
		remote "$(tun_remote 2)" mark 2 hold-up 100 signals sa,dpd 2>/dev/null
	vx event t1 dpd up && vx event t2 dpd up || fail "dpd up events"
	wait_members "1 2" || fail "group g not back to 1 2: $(members); $(vx path show)"
	consistent > "$d/c" || fail "after recovery: $(cat "$d/c")"
}

run_tests "$ALL_TESTS"
