#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tunnel flavours a cloud VPN is terminated with: VTI and XFRM
# interfaces, IPv4 and IPv6 underlays, NAT-T (ESP in UDP 4500, as behind a
# NAT or Global Accelerator).  For each, the outbound SA must be matched to
# its path (by mark or if_id), its deletion must pull the tunnel and its
# return bring it back.  If one fails, that flavour of gateway is not
# protected at all.
#
# timeout: 300

ALL_TESTS="
	vti4
	xfrm4
	vti6
	xfrm6
	natt_vti4
	natt_xfrm6
"

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/topo.sh"

vti4_env() { TOPO_KIND=vti TOPO_FAMILY=4; }
xfrm4_env() { TOPO_KIND=xfrm TOPO_FAMILY=4; }
vti6_env() { TOPO_KIND=vti TOPO_FAMILY=6; }
xfrm6_env() { TOPO_KIND=xfrm TOPO_FAMILY=6; }
natt_vti4_env() { TOPO_KIND=vti TOPO_FAMILY=4 TOPO_NATT=1; }
natt_xfrm6_env() { TOPO_KIND=xfrm TOPO_FAMILY=6 TOPO_NATT=1; }


# The same checks for every flavour: SAs found when the paths are added,
# traffic on both tunnels, SA deletion pulls tunnel 1, its return restores it.
basic_failover()
{
	local r1 r2 d1

	sa_add 1 && sa_add 2 || { fail "SA setup"; return; }
	vpnecmp_std_paths "" hold-up 200 || { fail "path setup"; return; }
	wait_members "1 2" || fail "both tunnels not in the group: $(members)"
	expect_eq "$(path_field t1 stats.sa_count)" 1 "t1 SAs matched"
	expect_eq "$(path_field t2 stats.sa_count)" 1 "t2 SAs matched"
	if [ "$TOPO_NATT" = 0 ]; then
		send_flows 32
		r1=$(rx_packets "$AWS" t1); r2=$(rx_packets "$AWS" t2)
		[ "$r1" -gt 0 ] && [ "$r2" -gt 0 ] ||
			fail "32 flows did not use both tunnels (t1 $r1, t2 $r2)"
	fi

	sa_del_out 1
	wait_members "2" || fail "tunnel 1 still in the group: $(members)"
	expect_eq "$(path_field t1 reason)" sa "t1 reason"
	if [ "$TOPO_NATT" = 0 ]; then
		send_flows 32
		d1=$(( $(rx_packets "$AWS" t1) - r1 ))
		expect_eq "$d1" 0 "packets into dead tunnel 1"
	fi

	ip -n "$CGW" -batch - <<-EOS
	$(sa_line 1 out "$(spi_of 1 out 1)")
	EOS
	wait_members "1 2" || fail "tunnel 1 not back: $(members)"
	expect_eq "$(path_field t1 state)" up "t1 state"
}

vti4() { basic_failover; }
xfrm4() { basic_failover; }
vti6() { basic_failover; }
xfrm6() { basic_failover; }
natt_vti4() { basic_failover; }
natt_xfrm6() { basic_failover; }

run_tests "$ALL_TESTS"
