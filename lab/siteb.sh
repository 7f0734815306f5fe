# shellcheck shell=bash
# Site B of the SRv6 lab: a Linux kernel edge, the independent SRv6 peer of
# neptune A and C (sourced by lab/srv6, after lab/lib.sh). docs/lab.md,
# "The SRv6 lab".
#
#        isp1                          isp2
#   to-siteb 2001:db8:10:2::1     to-siteb 2001:db8:20:2::1
#        |                              |
#   to-isp1 2001:db8:10:2::2      to-isp2 2001:db8:20:2::2
#        +------------ siteb ----------+       (router, seg6)
#                        |
#          to-hostb fd42:200:1::1 198.18.20.1
#                        |
#          to-siteb fd42:200:1::10 198.18.20.10
#                      hostb
#
# B is addressing class A4: it has no locator, only its two /128 WAN
# addresses. A and C reach it with two-SID lists <B's WAN address, B's SID>:
# End processing of the SRH on the WAN address (seg6_enabled on the WAN
# interfaces), then the SID, a seg6local route:
#   fc00:b::6  End.DT6 table main    (IPv6 inner)
#   fc00:b::4  End.DX4 nh4 hostb     (IPv4 inner; this kernel has no VRF
#                                     module, so no End.DT4)
# B encapsulates vpn1's subnets of A and C (H.Encaps, one SID: the remote's
# locator + function 0x100, through isp1) with `encap seg6 mode encap` on
# IPv6 and IPv4 routes. Its default route is isp1 and it does not fail over;
# only what it answers from its isp2 address leaves through isp2 (a source
# rule), so A's and C's probes to that address see isp2's state.

SITEB_WAN1=2001:db8:10:2::2 SITEB_WAN1_GW=2001:db8:10:2::1
SITEB_WAN2=2001:db8:20:2::2 SITEB_WAN2_GW=2001:db8:20:2::1
SITEB_LAN6=fd42:200:1::1 SITEB_LAN4=198.18.20.1
HOSTB6=fd42:200:1::10 HOSTB4=198.18.20.10
SITEB_SID6=fc00:b::6 SITEB_SID4=fc00:b::4
# vpn1's SIDs at A and C through isp1 (locator + function 0x100)
SITEB_SID_A=2001:db8:10:1:5::100 SITEB_SID_C=2001:db8:10:3:5::100
SITEB_TABLE_ISP2=200

siteb_topology() {
	local p
	ns_create siteb router
	ns_create hostb
	veth siteb to-isp1 isp1 to-siteb
	veth siteb to-isp2 isp2 to-siteb
	veth siteb to-hostb hostb to-siteb
	addr isp1 to-siteb "$SITEB_WAN1_GW/64"
	addr isp2 to-siteb "$SITEB_WAN2_GW/64"
	addr siteb to-isp1 "$SITEB_WAN1/64"
	addr siteb to-isp2 "$SITEB_WAN2/64"
	addr siteb to-hostb "$SITEB_LAN6/64" "$SITEB_LAN4/24"
	addr hostb to-siteb "$HOSTB6/64" "$HOSTB4/24"
	route hostb default via "$SITEB_LAN6"
	route hostb default via "$SITEB_LAN4"

	route siteb default via "$SITEB_WAN1_GW"
	ip -n siteb -6 route replace "${SITEB_WAN2%::2}::/64" dev to-isp2 table "$SITEB_TABLE_ISP2"
	ip -n siteb -6 route replace default via "$SITEB_WAN2_GW" dev to-isp2 \
		table "$SITEB_TABLE_ISP2"
	ip -n siteb -6 rule add from "$SITEB_WAN2/128" table "$SITEB_TABLE_ISP2" pref 1000

	# SRH processing on packets to a local address (End on the WAN
	# addresses): the kernel wants both `all` and the interface enabled.
	nsx siteb sysctl -qw net.ipv6.conf.all.seg6_enabled=1 \
		net.ipv6.conf.to-isp1.seg6_enabled=1 net.ipv6.conf.to-isp2.seg6_enabled=1
	# outer source of B's own encapsulation
	ip -n siteb sr tunsrc set "$SITEB_WAN1"

	# local SIDs
	ip -n siteb -6 route add "$SITEB_SID6/128" encap seg6local action End.DT6 \
		table main dev to-hostb
	ip -n siteb -6 route add "$SITEB_SID4/128" encap seg6local action End.DX4 \
		nh4 "$HOSTB4" dev to-hostb

	# H.Encaps toward vpn1's subnets at A and C
	for p in fd42:100:1::/64 192.0.2.0/24; do
		ip -n siteb route add "$p" encap seg6 mode encap segs "$SITEB_SID_A" dev to-isp1
	done
	for p in fd42:300:1::/64 198.18.30.0/24; do
		ip -n siteb route add "$p" encap seg6 mode encap segs "$SITEB_SID_C" dev to-isp1
	done
}

# What siteb_topology set up is really there (the kernel accepted every
# seg6 route); prints what is missing and fails.
siteb_check() {
	local r6 r4 miss=""
	r6=$(ip -n siteb -6 route show)
	r4=$(ip -n siteb -4 route show)
	grep -q "^$SITEB_SID6 .*encap seg6local action End.DT6 table" <<<"$r6" || miss="$miss End.DT6"
	grep -q "^$SITEB_SID4 .*encap seg6local action End.DX4 nh4 $HOSTB4" <<<"$r6" || miss="$miss End.DX4"
	grep -q "^fd42:100:1::/64 .*encap seg6 mode encap segs 1 \[ $SITEB_SID_A \]" <<<"$r6" || miss="$miss encap6-A"
	grep -q "^fd42:300:1::/64 .*encap seg6 mode encap segs 1 \[ $SITEB_SID_C \]" <<<"$r6" || miss="$miss encap6-C"
	grep -q "^192.0.2.0/24 .*encap seg6 mode encap segs 1 \[ $SITEB_SID_A \]" <<<"$r4" || miss="$miss encap4-A"
	grep -q "^198.18.30.0/24 .*encap seg6 mode encap segs 1 \[ $SITEB_SID_C \]" <<<"$r4" || miss="$miss encap4-C"
	[ "$(nsx siteb sysctl -n net.ipv6.conf.to-isp1.seg6_enabled)" = 1 ] || miss="$miss seg6_enabled"
	[ -z "$miss" ] || { log "site B: missing:$miss"; return 1; }
	wait_ping hostb "$SITEB_LAN6" 5 || { log "site B: hostb cannot ping $SITEB_LAN6"; return 1; }
	wait_ping hostb "$SITEB_LAN4" 5 || { log "site B: hostb cannot ping $SITEB_LAN4"; return 1; }
}
