# shellcheck shell=bash
# Shared functions of the neptune lab (sourced by lab/up, lab/down, lab/demo).
# Topology and addressing: docs/lab.md.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NEP_ROOT=$(dirname "$LAB_DIR")
LAB_RUN=$LAB_DIR/run
NEP_BUILD=${NEPTUNE_BUILD_DIR:-$NEP_ROOT/build}
NEPTUNE=$NEP_BUILD/app/neptune/neptune
NEPTUNE_CLI=$NEP_BUILD/app/neptune-cli/neptune-cli
LAB_CONFIG_DEFAULT=$NEP_ROOT/config/neptune-lab.yaml
LAB_SOCK_DEFAULT=/run/neptune/lab.sock

# Every namespace the lab owns; lab/down deletes exactly these.
LAB_NAMESPACES="client isp1 isp2 isp3 core srv1 srv2 srv3 srv-global-pref srv-global-bal"
# neptune's net_tap interfaces (they stay in the root namespace, bridged to
# client and isp1..3; see attach_tap).
LAB_TAPS="nep-lan nep-isp1 nep-isp2 nep-isp3"

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: ERROR: %s\n' "$*" >&2; exit 1; }

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ns_exists() { [ -e "/run/netns/$1" ]; }
link_exists() { ip link show dev "$1" >/dev/null 2>&1; }

# The management socket named by a config file (management.socket).
config_socket() {
	/usr/bin/python3 - "$1" "$LAB_SOCK_DEFAULT" <<'EOF'
import sys, yaml
with open(sys.argv[1]) as f:
    c = yaml.safe_load(f) or {}
print(((c.get("management") or {}).get("socket")) or "/run/neptune/neptune.sock")
EOF
}

# The socket of the running lab (recorded by lab/up), else the default.
lab_socket() {
	if [ -s "$LAB_RUN/socket" ]; then cat "$LAB_RUN/socket"; else echo "$LAB_SOCK_DEFAULT"; fi
}

cli() { "$NEPTUNE_CLI" -s "$(lab_socket)" "$@"; }

# True if PID is a live neptune process.
is_neptune_pid() {
	local pid=$1 comm exe
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	[ "$comm" = neptune ] && return 0
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	case "$exe" in */neptune | */neptune" (deleted)") return 0 ;; esac
	return 1
}

neptune_pid() {
	local pid
	[ -s "$LAB_RUN/neptune.pid" ] || return 1
	pid=$(cat "$LAB_RUN/neptune.pid")
	is_neptune_pid "$pid" || return 1
	echo "$pid"
}

# Send SIGTERM to PID, SIGKILL after $2 seconds (default 5); wait until gone.
kill_pid() {
	local pid=$1 grace=${2:-5} i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq $((grace * 10))); do
		[ -d "/proc/$pid" ] || return 0
		# a zombie child of ours counts as gone
		grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && return 0
		sleep 0.1
	done
	log "PID $pid ignored SIGTERM for ${grace}s, sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	for _ in $(seq 20); do
		[ -d "/proc/$pid" ] || return 0
		sleep 0.1
	done
}

# The EAL files of a file prefix left by a neptune that is gone: its
# hugepage files (each holds a page until the next start with that prefix
# or until removed) and its runtime directory. The lab's neptunes run with
# file prefixes and hugepages, not in memory, so that dpdk-dumpcap can
# attach (docs/operations.md, "Packet capture").
LAB_HUGEDIR=/dev/hugepages
eal_prefix_remove() { # PREFIX
	rm -f "$LAB_HUGEDIR/$1"map_* 2>/dev/null || true
	rm -rf "/var/run/dpdk/$1"
}

# hugetlbfs mounted where EAL looks for it (a fresh machine may not have it)
hugetlbfs_mount() {
	grep -qs " $LAB_HUGEDIR hugetlbfs " /proc/mounts && return 0
	mkdir -p "$LAB_HUGEDIR"
	mount -t hugetlbfs nodev "$LAB_HUGEDIR" || die "cannot mount hugetlbfs on $LAB_HUGEDIR"
}

# ---------------------------------------------------------------- topology

ns_create() { # NS [router]
	local ns=$1 router=${2:-}
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	# No DAD, no RA/autoconf, no reverse-path filter: tests never wait for
	# tentative addresses and asymmetric paths are allowed.
	nsx "$ns" sysctl -qw \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.dad_transmits=0 net.ipv6.conf.default.dad_transmits=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.autoconf=0 net.ipv6.conf.default.autoconf=0 \
		net.ipv6.conf.all.router_solicitations=0 \
		net.ipv6.conf.default.router_solicitations=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv6.icmp.ratelimit=0 net.ipv4.icmp_ratelimit=0 \
		net.ipv4.ping_group_range="0 2147483647"
	if [ "$router" = router ]; then
		nsx "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1 \
			net.ipv6.conf.default.forwarding=1 net.ipv4.ip_forward=1
	fi
}

veth() { # NS1 IF1 NS2 IF2
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

addr() { # NS IF ADDR/LEN...
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do
		case "$a" in
		*:*) ip -n "$ns" -6 addr add "$a" dev "$dev" nodad ;;
		*) ip -n "$ns" -4 addr add "$a" dev "$dev" ;;
		esac
	done
}

route() { # NS PREFIX via GW
	local ns=$1
	shift
	case "$1$3" in
	*:*) ip -n "$ns" -6 route replace "$@" ;;
	*) ip -n "$ns" -4 route replace "$@" ;;
	esac
}

# Everything except neptune's taps: namespaces, veths, addresses, routes.
lab_topology() {
	local n nn srv x
	for ns in client srv1 srv2 srv3 srv-global-pref srv-global-bal; do
		ns_create "$ns"
	done
	for ns in isp1 isp2 isp3 core; do
		ns_create "$ns" router
	done

	# core ("the Internet") and the two global services
	veth core to-gpref srv-global-pref to-core
	addr core to-gpref 2001:db8:999:1::1/64 203.0.113.17/28
	addr srv-global-pref to-core 2001:db8:999:1::10/64 203.0.113.26/28
	route srv-global-pref default via 2001:db8:999:1::1
	route srv-global-pref default via 203.0.113.17

	veth core to-gbal srv-global-bal to-core
	addr core to-gbal 2001:db8:998:1::1/64 203.0.113.1/28
	addr srv-global-bal to-core 2001:db8:998:1::10/64 203.0.113.10/28
	route srv-global-bal default via 2001:db8:998:1::1
	route srv-global-bal default via 203.0.113.1

	for n in 1 2 3; do
		nn=$n$n
		srv="${n}0${n}" # 101 202 303
		x=$((16 * (n + 1)))

		# ISP n <-> core
		veth "isp$n" to-core core "to-isp$n"
		addr "isp$n" to-core "2001:db8:${n}0:ff::1/64" "198.18.$n.1/24"
		addr core "to-isp$n" "2001:db8:${n}0:ff::2/64" "198.18.$n.2/24"
		# ISP n <-> its single-homed server srvN
		veth "isp$n" "to-srv$n" "srv$n" "to-isp$n"
		addr "isp$n" "to-srv$n" "2001:db8:$srv:1::1/64" "203.0.113.$((x + 1))/28"
		addr "srv$n" "to-isp$n" "2001:db8:$srv:1::10/64" "203.0.113.$((x + 10))/28"
		route "srv$n" default via "2001:db8:$srv:1::1"
		route "srv$n" default via "203.0.113.$((x + 1))"

		# ISP n: global services via the core
		route "isp$n" 2001:db8:999:1::/64 via "2001:db8:${n}0:ff::2"
		route "isp$n" 2001:db8:998:1::/64 via "2001:db8:${n}0:ff::2"
		route "isp$n" 203.0.113.0/28 via "198.18.$n.2"
		route "isp$n" 203.0.113.16/28 via "198.18.$n.2"

		# core: each delegated prefix, each WAN link (health probes come
		# from neptune's WAN address) and each srvN prefix via its ISP
		route core "2001:db8:${nn}00:1::/64" via "2001:db8:${n}0:ff::1"
		route core "2001:db8:${n}0:1::/64" via "2001:db8:${n}0:ff::1"
		route core "198.51.100.$((16 * n))/28" via "198.18.$n.1"
		route core "2001:db8:$srv:1::/64" via "2001:db8:${n}0:ff::1"
		route core "203.0.113.$x/28" via "198.18.$n.1"
	done
	# core: the LAN itself via isp1, for plain routing (IPv4, and IPv6 that
	# neptune does not steer); steered IPv6 leaves translated to a delegated
	# prefix and comes back through that prefix's ISP
	route core fd42:100:1::/64 via 2001:db8:10:ff::1
	route core 192.0.2.0/24 via 198.18.1.1
}

# neptune's taps stay in the root namespace: DPDK's net_tap asks the kernel
# for the link state by interface name in neptune's own namespace, so a tap
# moved elsewhere reads as link down forever. Each tap is bridged instead:
#
#   neptune =fd= nep-isp1 --+ nbr-isp1 (bridge) +-- nve-isp1 ==veth== nep-isp1
#                   (root namespace, no IPv6, no addresses)          (in isp1)
#
# The namespace end of the veth pair carries the name, MAC and addresses the
# kernel end of the tap used to have, so inside the lab nothing changed.
# `ip link set nep-isp1 down` in the root namespace is a link failure that
# neptune sees through the PMD (lab/fail isp1 link).
tap_bridge() { echo "nbr-${1#nep-}"; }     # nep-isp1 -> nbr-isp1
tap_root_veth() { echo "nve-${1#nep-}"; }  # nep-isp1 -> nve-isp1
tap_namespace() {
	case "$1" in
	nep-lan) echo client ;;
	nep-isp[123]) echo "isp${1#nep-isp}" ;;
	*) die "unknown tap $1" ;;
	esac
}

# MAC of the lab end of each wire (the veth end in the namespace).
tap_peer_mac() {
	case "$1" in
	nep-lan) echo 02:00:00:00:01:10 ;;
	nep-isp[123]) echo "02:00:00:00:01:1${1#nep-isp}" ;;
	esac
}
# MAC of the tap's kernel interface in the root namespace. net_tap gives it
# the DPDK port's MAC; a bridge delivers frames addressed to one of its
# ports' own MACs to the root namespace's stack instead of forwarding them,
# so the tap must not keep neptune's MAC.
tap_root_mac() {
	case "$1" in
	nep-lan) echo 02:00:00:00:02:10 ;;
	nep-isp[123]) echo "02:00:00:00:02:1${1#nep-isp}" ;;
	esac
}

# No IPv6 on a root-namespace interface of the lab: the root kernel must
# send no router solicitations, MLD reports or DAD probes into the lab.
no_ipv6() {
	echo 1 >"/proc/sys/net/ipv6/conf/$1/disable_ipv6"
}

# Bridge one of neptune's taps to its namespace and configure the far end
# (client or ISP).
attach_tap() {
	local tap=$1 ns n br rv
	ns=$(tap_namespace "$tap")
	br=$(tap_bridge "$tap")
	rv=$(tap_root_veth "$tap")
	n=${tap#nep-isp}

	no_ipv6 "$tap"
	ip link set "$tap" address "$(tap_root_mac "$tap")"

	# stp off, no forwarding delay, no multicast snooping (flood ND and MLD
	# as a wire would), no bridge netfilter on this bridge's traffic (see
	# docs/lab.md about the global net.bridge.bridge-nf-call-* sysctls).
	ip link add "$br" type bridge stp_state 0 forward_delay 0 mcast_snooping 0 \
		nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0
	no_ipv6 "$br"
	ip link add "$rv" type veth peer name "$tap" netns "$ns"
	no_ipv6 "$rv"
	ip link set "$rv" master "$br"
	ip link set "$tap" master "$br"
	ip link set "$rv" up
	ip link set "$br" up

	ip -n "$ns" link set "$tap" address "$(tap_peer_mac "$tap")"
	ip -n "$ns" link set "$tap" up
	if [ "$ns" = client ]; then
		addr client nep-lan fd42:100:1::10/64 192.0.2.10/24
		route client default via fd42:100:1::1
		route client default via 192.0.2.1
	else
		addr "$ns" "$tap" "2001:db8:${n}0:1::1/64" "198.51.100.$((16 * n + 1))/28"
		# the LAN and this ISP's delegated prefix live behind neptune
		route "$ns" fd42:100:1::/64 via "2001:db8:${n}0:1::2"
		route "$ns" "2001:db8:${n}${n}00:1::/64" via "2001:db8:${n}0:1::2"
		route "$ns" 192.0.2.0/24 via "198.51.100.$((16 * n + 2))"
	fi
}

# Root-namespace links the lab creates around each tap.
lab_root_links() {
	local t
	for t in $LAB_TAPS; do
		printf '%s %s ' "$(tap_root_veth "$t")" "$(tap_bridge "$t")"
	done
}

lab_present() {
	local ns
	[ -s "$LAB_RUN/neptune.pid" ] && return 0
	for ns in $LAB_NAMESPACES; do ns_exists "$ns" && return 0; done
	for t in $LAB_TAPS $(lab_root_links); do link_exists "$t" && return 0; done
	srv6_present && return 0
	tunnel_present && return 0
	prov_present && return 0
	return 1
}

# Kill whatever still runs inside a lab namespace (iperf3 servers, pings left
# behind by an interrupted test), by PID, then delete the namespace.
ns_delete() {
	local ns=$1 pid
	ns_exists "$ns" || return 0
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		[ "$pid" = $$ ] && continue
		kill_pid "$pid" 2
	done
	ip netns delete "$ns" 2>/dev/null || log "could not delete namespace $ns"
}

lab_teardown() {
	local pid ns t sock
	srv6_teardown
	tunnel_teardown
	if pid=$(neptune_pid); then
		log "stopping neptune (PID $pid)"
		kill_pid "$pid" 5
	fi
	# after neptune: its DHCP Releases reach the servers still running
	prov_teardown
	rm -f "$LAB_RUN/neptune.pid"
	for ns in $LAB_NAMESPACES; do ns_delete "$ns"; done
	# root ends of the veth pairs (their peers went with the namespaces),
	# the bridges, and taps a dead neptune left behind
	for t in $(lab_root_links) $LAB_TAPS; do
		link_exists "$t" && { ip link del "$t" 2>/dev/null || log "could not delete $t"; }
	done
	sock=$(lab_socket)
	rm -f "$sock"
	rm -f "$LAB_RUN/socket"
	rm -f /run/neptune/nat44-mappings.log # the NAT44 lab's mapping log
	rm -f /run/neptune/lab-hooks.log # what the lab's event hook wrote
	eal_prefix_remove nep-lab # the standard lab's EAL files
	eal_prefix_remove nep-srv6-a # site A's (SRv6 lab)
	eal_prefix_remove nep-tun-ep # site A's (tunnel lab)
	return 0
}

# A port of a second neptune (lab/srv6's site C, lab/tunnel's hubs): a
# bridge and a veth pair (root end ROOT_VETH, namespace end named TAP in NS,
# with PEER_MAC), as attach_tap does for site A; neptune's tap joins the
# bridge once neptune has created it (enslave_tap).
bridge_port() { # TAP BRIDGE ROOT_VETH NS PEER_MAC
	local tap=$1 br=$2 rv=$3 ns=$4 peer_mac=$5
	ip link add "$br" type bridge stp_state 0 forward_delay 0 mcast_snooping 0 \
		nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0
	no_ipv6 "$br"
	ip link add "$rv" type veth peer name "$tap" netns "$ns"
	no_ipv6 "$rv"
	ip link set "$rv" master "$br"
	ip link set "$rv" up
	ip link set "$br" up
	ip -n "$ns" link set "$tap" address "$peer_mac"
	ip -n "$ns" link set "$tap" up
}

# Put neptune's tap TAP (root namespace) into BRIDGE with the kernel-side MAC
# ROOT_MAC (not neptune's: see tap_root_mac).
enslave_tap() { # TAP BRIDGE ROOT_MAC
	no_ipv6 "$1"
	ip link set "$1" address "$3"
	ip link set "$1" master "$2"
	ip link set "$1" up
}

# What is not up in `show WHAT --json` on SOCK (uplinks, overlays, tunnels),
# read loosely: every object with a string "state" under it that is not
# "up", as NAME=STATE; "(no answer)" if the command fails, "(no state)" if
# the answer has no state at all (nothing configured yet); empty if all up.
not_up() { # SOCK uplinks|overlays|tunnels
	"$NEPTUNE_CLI" -s "$1" --json show "$2" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("(no answer)")
    sys.exit()
bad = []
seen = [0]
def walk(o, where):
    if isinstance(o, dict):
        if "state" in o and isinstance(o["state"], str):
            seen[0] += 1
            if o["state"] != "up":
                bad.append("%s=%s" % (o.get("name") or o.get("uplink") or where, o["state"]))
        for k, v in o.items():
            walk(v, where + "/" + str(o.get("name", k)))
    elif isinstance(o, list):
        for v in o:
            walk(v, where)
walk(d, "")
print(" ".join(bad) if seen[0] else "(no state)")'
}

# ---------------------------------------------------------------- SRv6 lab
# What `lab/up srv6` (lab/srv6) adds to the standard lab: site B (a kernel
# edge), site C (a second neptune), a second slice on VLAN 100 at sites A and
# C. docs/lab.md, "The SRv6 lab". lab/down removes it whenever it is there;
# without it, these functions find nothing and do nothing.
SRV6_RUN=$LAB_RUN/srv6
SRV6_NAMESPACES="client2 siteb hostb hostc"
# neptune C's net_tap interfaces (root namespace, bridged like lab/up's)
SRV6_TAPS="s6c-lan s6c-isp1 s6c-isp2"
# site C's bridges and root veth ends; the VLAN relays' access veth ends
# (v6a-v100: client2, v6c-v100: hostc) and trunk taps (t6a-v100 in nbr-lan,
# t6c-v100 in b6c-lan)
SRV6_ROOT_LINKS="b6c-lan b6c-isp1 b6c-isp2 v6c-lan v6c-isp1 v6c-isp2 v6a-v100 t6a-v100 v6c-v100 t6c-v100"
SRV6_C_SOCK=/run/neptune/srv6-c.sock

# True if PID is a live lab/srv6-vlan-relay.
is_relay_pid() {
	[ -n "$1" ] && [ -r "/proc/$1/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'srv6-vlan-relay'
}

# What an addition to the standard lab (the SRv6 sites, the tunnel hubs)
# leaves: PID files under RUN (neptunes, and what OTHER_PID_CHECK says is
# its), namespaces, root links; the caller then removes its own files.
# lab_extra_present RUN "NAMESPACES" "LINKS"
lab_extra_present() {
	local x
	for x in "$1"/*.pid; do [ -s "$x" ] && return 0; done
	for x in $2; do ns_exists "$x" && return 0; done
	for x in $3; do link_exists "$x" && return 0; done
	return 1
}

# lab_extra_stop RUN "NAMESPACES" "LINKS" WHAT [OTHER_PID_CHECK]
lab_extra_stop() {
	local run=$1 nss=$2 links=$3 what=$4 other=${5:-} f pid x
	for f in "$run"/*.pid; do
		[ -s "$f" ] || continue
		pid=$(cat "$f")
		if is_neptune_pid "$pid"; then
			log "stopping $what $(basename "$f" .pid) (PID $pid)"
			kill_pid "$pid" 5
		elif [ -n "$other" ] && "$other" "$pid"; then
			kill_pid "$pid" 2
		fi
		rm -f "$f"
	done
	for x in $nss; do ns_delete "$x"; done
	for x in $links; do
		link_exists "$x" && { ip link del "$x" 2>/dev/null || log "could not delete $x"; }
	done
	return 0
}

srv6_present() {
	lab_extra_present "$SRV6_RUN" "$SRV6_NAMESPACES" "$SRV6_TAPS $SRV6_ROOT_LINKS"
}

# Stop neptune C and the VLAN relays (by the PIDs in lab/run/srv6/), delete
# the SRv6 namespaces and, by name, the root links. Before the standard
# teardown (site C's ISP-side veth ends live in isp1/isp2).
srv6_teardown() {
	lab_extra_stop "$SRV6_RUN" "$SRV6_NAMESPACES" "$SRV6_ROOT_LINKS $SRV6_TAPS" \
		"SRv6 site" is_relay_pid
	rm -f "$SRV6_C_SOCK"
	eal_prefix_remove nep-srv6-c
	return 0
}

# ---------------------------------------------------------------- tunnel lab
# What `lab/up tunnel` (lab/tunnel) adds to the standard lab: two hub
# neptunes on their own WAN links off the core, and the server segment
# behind them (namespace tunsrv). docs/lab.md, "The tunnel lab". lab/down
# removes it whenever it is there; without it these functions find nothing.
TUN_RUN=$LAB_RUN/tunnel
TUN_NAMESPACES="tunsrv"
# the hubs' net_tap interfaces (root namespace, bridged like lab/up's)
TUN_TAPS="th1-wan th1-lan th2-wan th2-lan"
# bridges (btN-wan: hub N's WAN link to the core; bt-lan: the server
# segment, both hubs' LAN taps and tunsrv) and the root veth ends
TUN_ROOT_LINKS="bt1-wan bt2-wan bt-lan vt1-wan vt2-wan vt-lan"
TUN_SOCKS="/run/neptune/tun-hub1.sock /run/neptune/tun-hub2.sock"
# the pre-shared keys lab/tunnel up writes (random at each up)
TUN_KEYS="/run/neptune/tun-ep.keys /run/neptune/tun-hub1.keys /run/neptune/tun-hub2.keys"

tunnel_present() {
	lab_extra_present "$TUN_RUN" "$TUN_NAMESPACES" "$TUN_TAPS $TUN_ROOT_LINKS"
}

# Stop the hubs (by the PIDs in lab/run/tunnel/), delete tunsrv (and, by PID,
# what runs in it) and, by name, the root links; the sockets, the keys, the
# hubs' EAL runtime directories. Before the standard teardown (the hubs'
# WAN veth ends live in the core namespace).
tunnel_teardown() {
	lab_extra_stop "$TUN_RUN" "$TUN_NAMESPACES" "$TUN_ROOT_LINKS $TUN_TAPS" \
		"tunnel"
	# shellcheck disable=SC2086 # lists of paths without spaces
	rm -f $TUN_SOCKS $TUN_KEYS
	eal_prefix_remove nep-tun-hub1
	eal_prefix_remove nep-tun-hub2
	rm -f "$TUN_RUN"/*.config # which config each hub ran (lab/tunnel fail clear)
	return 0
}

# ---------------------------------------------------------------- provisioning lab
# What `lab/up prov` (lab/prov) adds to the standard lab: DHCPv6 (IA_PD,
# IA_NA), DHCPv4 and radvd in each ISP namespace, and the check host
# provchk (lab/prov chk). docs/lab.md, "The provisioning lab". lab/down
# removes it whenever it is there; without it these find nothing.
PROV_RUN=$LAB_RUN/prov
PROV_NAMESPACES="provchk"
PROV_ROOT_LINKS="nve-provchk"

# True if PID is one of the provisioning lab's daemons (or check clients).
is_prov_daemon_pid() {
	[ -n "$1" ] && [ -r "/proc/$1/comm" ] || return 1
	case "$(cat "/proc/$1/comm" 2>/dev/null)" in
	kea-dhcp6 | kea-dhcp4 | radvd | dhclient) return 0 ;;
	esac
	return 1
}

prov_present() {
	lab_extra_present "$PROV_RUN" "$PROV_NAMESPACES" "$PROV_ROOT_LINKS"
}

# Stop the ISPs' kea-dhcp6, kea-dhcp4, radvd and provchk's dhclients by the
# PIDs in lab/run/prov/, delete provchk and its root veth end. Before the
# standard teardown (the daemons run in isp1..3).
prov_teardown() {
	lab_extra_stop "$PROV_RUN" "$PROV_NAMESPACES" "$PROV_ROOT_LINKS" \
		"provisioning" is_prov_daemon_pid
	rm -f /run/neptune/lab-prov-duid # the prov config's DUID file
	return 0
}

log_tail() {
	if [ -f "$LAB_RUN/neptune.log" ]; then
		printf -- '----- last lines of %s -----\n' "$LAB_RUN/neptune.log" >&2
		tail -n 30 "$LAB_RUN/neptune.log" >&2
		printf -- '-----\n' >&2
	fi
}

# Ping until it answers or the deadline (seconds) passes. NS DST DEADLINE
wait_ping() {
	local ns=$1 dst=$2 deadline=$3 end
	end=$(($(date +%s) + deadline))
	while :; do
		nsx "$ns" ping -n -c 1 -W 1 "$dst" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}
