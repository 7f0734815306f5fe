/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Uplink provisioning at run time (docs/provisioning.md): the DHCPv6 and
 * DHCPv4 clients, SLAAC and DAD on WAN ports, Router Advertisements on LAN
 * ports, and the learnt values handed to lib/config. Control lcore only,
 * except the nep_config_learnt callbacks (any thread, under the lock).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <netinet/in.h>

#include <rte_ip.h>
#include <rte_random.h>
#include <rte_udp.h>

#include "mh.h"
#include "nep_control.h"
#include "nep_lease.h"
#include "prov.h"

struct prov_state prov_state = { .lock = PTHREAD_MUTEX_INITIALIZER };

#define PS (&prov_state)
#define PROV_NS_S 1000000000ull
#define NS_PER_MS 1000000ull

/* RFC 8415 7.6 (seconds); SOL_MAX_RT kept short for an edge box. */
#define SOL_TIMEOUT_MS 1000
#define SOL_MAX_RT_MS 120000
#define REQ_TIMEOUT_MS 1000
#define REQ_MAX_RT_MS 30000
#define REQ_MAX_RC 10
#define REN_TIMEOUT_MS 10000
#define REN_MAX_RT_MS 600000
#define DAD_MS 1000			/* RetransTimer, DupAddrDetectTransmits 1 */
#define RS_INTERVAL_MS 4000		/* RFC 4861 10 */
#define RS_MAX 3

static const char *const d6_names[] = { "off", "soliciting", "requesting",
	"bound", "renewing", "rebinding" };
static const char *const d4_names[] = { "off", "selecting", "requesting",
	"bound", "renewing", "rebinding" };

static const uint8_t all_dhcp6[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 1, 0, 2 };
static const uint8_t all_nodes[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 1 };
static const uint8_t all_routers[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 2 };

/* ---- helpers ---- */

/* Time since then (the loop's clock may lag a handler's by a little). */
static inline uint64_t
elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static uint64_t
jitter(uint64_t ns)
{
	/* RAND: -0.1 .. +0.1 (RFC 8415 15) */
	uint64_t span = ns / 5;

	return ns - ns / 10 + (span ? rte_rand() % span : 0);
}

static char *
a6(const uint8_t *a, char *buf, size_t len)
{
	struct nep_addr x = { .family = AF_INET6 };

	memcpy(x.a, a, 16);
	nep_addr_str(&x, buf, len);
	return buf;
}

static char *
a4(uint32_t host, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", host >> 24, (host >> 16) & 0xff,
		(host >> 8) & 0xff, host & 0xff);
	return buf;
}

static char *
p6(const uint8_t *a, unsigned plen, char *buf, size_t len)
{
	char t[48];

	snprintf(buf, len, "%.46s/%u", a6(a, t, sizeof(t)), plen & 0xff);
	return buf;
}

static unsigned
mask_len(uint32_t mask)
{
	return (unsigned)__builtin_popcount(mask);
}

static void
mark_dirty(void)
{
	PS->dirty = true;
}

static struct prov_uplink *
uplink_by_name(const char *name)
{
	for (unsigned i = 0; i < PROV_MAX_UPLINKS; i++)
		if (PS->up[i].used && strcmp(PS->up[i].name, name) == 0)
			return &PS->up[i];
	return NULL;
}

/* ---- what lib/config asks (any thread) ---- */

static unsigned
learnt_port_addrs(void *arg, const char *port, struct nep_ifaddr *out,
	unsigned max)
{
	const struct nep_app *app = arg;
	unsigned n = 0;

	pthread_mutex_lock(&PS->lock);
	for (unsigned i = 0; i < PROV_MAX_UPLINKS && n < max; i++) {
		const struct prov_uplink *u = &PS->up[i];

		if (!u->used || strcmp(app->ports[u->port].name, port) != 0)
			continue;
		if (u->nd.have_addr && n < max) {
			out[n].addr.family = AF_INET6;
			memcpy(out[n].addr.a, u->nd.addr, 16);
			/* SLAAC: the on-link /64; IA_NA: the address alone */
			out[n++].len = u->slaac ? 64 : 128;
		}
		if (u->dhcp4 && u->d4.addr != 0 && n < max &&
			u->d4.state >= D4_BOUND) {
			uint32_t be = htonl(u->d4.addr);

			memset(&out[n], 0, sizeof(out[n]));
			out[n].addr.family = AF_INET;
			memcpy(out[n].addr.a, &be, 4);
			out[n++].len = (uint8_t)mask_len(u->d4.mask);
		}
	}
	pthread_mutex_unlock(&PS->lock);
	return n;
}

static bool
learnt_prefix6(void *arg, const char *uplink, struct nep_prefix *out)
{
	bool ok = false;

	(void)arg;
	pthread_mutex_lock(&PS->lock);
	const struct prov_uplink *u = uplink_by_name(uplink);
	if (u != NULL && u->d6.have_pd) {
		memset(out, 0, sizeof(*out));
		out->addr.family = AF_INET6;
		memcpy(out->addr.a, u->d6.pd.prefix, 16);
		out->len = u->d6.pd.len;
		ok = true;
	}
	pthread_mutex_unlock(&PS->lock);
	return ok;
}

static bool
learnt_next_hop(void *arg, const char *uplink, int family,
	struct nep_addr *out)
{
	bool ok = false;

	(void)arg;
	pthread_mutex_lock(&PS->lock);
	const struct prov_uplink *u = uplink_by_name(uplink);
	memset(out, 0, sizeof(*out));
	if (u != NULL && family == AF_INET6 && u->nd.have_router) {
		out->family = AF_INET6;
		memcpy(out->a, u->nd.router, 16);
		ok = true;
	} else if (u != NULL && family == AF_INET && u->d4.router != 0 &&
		u->d4.state >= D4_BOUND) {
		uint32_t be = htonl(u->d4.router);

		out->family = AF_INET;
		memcpy(out->a, &be, 4);
		ok = true;
	}
	pthread_mutex_unlock(&PS->lock);
	return ok;
}

static bool
learnt_default_route(void *arg, int family, struct nep_addr *via,
	char port[NEP_NAME_MAX])
{
	const struct nep_app *app = arg;
	bool ok = false;

	pthread_mutex_lock(&PS->lock);
	/* the first provisioned uplink that has a router (file order) */
	for (unsigned i = 0; i < PROV_MAX_UPLINKS && !ok; i++) {
		const struct prov_uplink *u = &PS->up[i];

		if (!u->used)
			continue;
		memset(via, 0, sizeof(*via));
		if (family == AF_INET6 && u->router_learnt &&
			u->nd.have_router) {
			via->family = AF_INET6;
			memcpy(via->a, u->nd.router, 16);
			ok = true;
		} else if (family == AF_INET && u->dhcp4 && u->d4.router &&
			u->d4.state >= D4_BOUND) {
			uint32_t be = htonl(u->d4.router);

			via->family = AF_INET;
			memcpy(via->a, &be, 4);
			ok = true;
		}
		if (ok)
			snprintf(port, NEP_NAME_MAX, "%s",
				app->ports[u->port].name);
	}
	pthread_mutex_unlock(&PS->lock);
	return ok;
}

static struct nep_config_learnt learnt_src = {
	.default_route = learnt_default_route,
	.port_addrs = learnt_port_addrs,
	.prefix6 = learnt_prefix6,
	.next_hop = learnt_next_hop,
};

/* ---- output ---- */

static void
send_udp6(struct nep_app *app, struct prov_uplink *u, const uint8_t *dst,
	const uint8_t *payload, int len)
{
	struct rte_mbuf *m;
	uint8_t *f, mac[6];

	if (len <= 0 || (m = nep_ctl_alloc(app)) == NULL)
		return;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(f + 14 + 40 + 8, payload, (size_t)len);
	m->data_len = m->pkt_len = (uint16_t)(14 + nep_udp6_wrap(f + 14,
		app->ports[u->port].ll, dst, NEP_DHCP6_CLIENT_PORT,
		NEP_DHCP6_SERVER_PORT, (uint32_t)len, 0, 1));
	nep_ip6_mcast_mac(dst, mac);
	nep_ctl_set_eth(app, m, u->port, mac, RTE_ETHER_TYPE_IPV6);
	nep_ctl_tx(app, u->port, m);
	u->d6.sent++;
}

static void
send_udp4(struct nep_app *app, struct prov_uplink *u, uint32_t src,
	uint32_t dst, const uint8_t *payload, int len)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct rte_mbuf *m;
	uint8_t *f;

	if (len <= 0 || (m = nep_ctl_alloc(app)) == NULL)
		return;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(f + 14 + 20 + 8, payload, (size_t)len);
	m->data_len = m->pkt_len = (uint16_t)(14 + nep_udp4_wrap(f + 14,
		htonl(src), htonl(dst), NEP_DHCP4_CLIENT_PORT,
		NEP_DHCP4_SERVER_PORT, (uint32_t)len, 0, 64));
	u->d4.sent++;
	if (dst == 0xffffffffu) {
		nep_ctl_set_eth(app, m, u->port, bcast, RTE_ETHER_TYPE_IPV4);
		nep_ctl_tx(app, u->port, m);
	} else {
		/* renewing: unicast to the server, through the gateway */
		uint32_t gw = htonl(u->d4.router ? u->d4.router : dst);

		f[12] = 0x08;
		f[13] = 0x00;
		nep_ctl_send_via(app, m, app->ports[u->port].ifid, 4,
			(const uint8_t *)&gw);
	}
}

/* An ICMPv6 ND message (body already at f + 14 + 40) from src to dst. */
static void
send_nd(struct nep_app *app, unsigned port, struct rte_mbuf *m,
	const uint8_t *src, const uint8_t *dst, uint32_t icmp_len)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *), mac[6];

	/* RFC 4861: ND messages carry hop limit 255 */
	m->data_len = m->pkt_len = (uint16_t)(14 + nep_icmp6_wrap(f + 14, src,
		dst, icmp_len, 255));
	nep_ip6_mcast_mac(dst, mac);
	nep_ctl_set_eth(app, m, port, mac, RTE_ETHER_TYPE_IPV6);
	nep_ctl_tx(app, port, m);
}

/* ---- DHCPv6 ---- */

static void
d6_send(struct nep_app *app, struct prov_uplink *u, uint64_t now)
{
	struct prov_d6 *d = &u->d6;
	struct nep_dhcp6_req r = { 0 };
	uint8_t buf[512];
	uint64_t el = elapsed(now, d->start_ns) / 10000000ull; /* 1/100 s */

	switch (d->state) {
	case D6_SOLICIT: r.type = NEP_DHCP6_SOLICIT; break;
	case D6_REQUEST: r.type = NEP_DHCP6_REQUEST; break;
	case D6_RENEW: r.type = NEP_DHCP6_RENEW; break;
	case D6_REBIND: r.type = NEP_DHCP6_REBIND; break;
	default: return;
	}
	r.xid = d->xid;
	r.duid = PS->duid;
	r.duid_len = PS->duid_len;
	if (d->state == D6_REQUEST || d->state == D6_RENEW) {
		r.server_id = d->server;
		r.server_id_len = d->server_len;
	}
	r.elapsed_cs = el > 0xffff ? 0xffff : (uint16_t)el;
	r.want_dns = true;
	r.want_pd = u->pd;
	r.pd_iaid = u->iaid;
	r.pd_hint_len = u->hint;
	r.pd_have = u->pd && d->have_pd && d->state != D6_SOLICIT;
	r.pd = d->pd;
	if (d->state == D6_REQUEST) {
		/* what the Advertise offered */
		r.pd_have = u->pd;
		r.pd = d->offer_pd;
	}
	r.want_na = u->na;
	r.na_iaid = u->iaid;
	r.na_have = u->na && d->have_na && d->state != D6_SOLICIT;
	r.na = d->na;
	if (d->state == D6_REQUEST) {
		r.na_have = u->na;
		r.na = d->offer_na;
	}
	send_udp6(app, u, all_dhcp6, buf, nep_dhcp6_build(&r, buf,
		sizeof(buf)));
}

static void
d6_begin(struct prov_uplink *u, enum prov_d6_state st, uint64_t now,
	uint64_t first_rt_ms)
{
	struct prov_d6 *d = &u->d6;

	d->state = st;
	d->xid = (uint32_t)rte_rand() & 0xffffff;
	d->start_ns = now;
	d->tries = 0;
	d->rt_ns = jitter(first_rt_ms * NS_PER_MS);
	/* RFC 8415 18.2.1: the first Solicit waits up to SOL_MAX_DELAY */
	d->next_ns = st == D6_SOLICIT ? now + rte_rand() % PROV_NS_S : now;
}

static void
d6_lose(struct nep_app *app, struct prov_uplink *u, uint64_t now,
	const char *why)
{
	struct prov_d6 *d = &u->d6;
	char t[64];

	(void)app;
	pthread_mutex_lock(&PS->lock);
	if (d->have_pd) {
		NEP_LOG(WARNING, "dhcp6 %s: prefix %s lost (%s)", u->name,
			p6(d->pd.prefix, d->pd.len, t, sizeof(t)), why);
		d->changes++;
	}
	if (d->have_na && u->na) {
		NEP_LOG(WARNING, "dhcp6 %s: address %s lost (%s)", u->name,
			a6(d->na.addr, t, sizeof(t)), why);
		if (u->nd.have_addr &&
			memcmp(u->nd.addr, d->na.addr, 16) == 0)
			u->nd.have_addr = false;
	}
	d->have_pd = d->have_na = false;
	pthread_mutex_unlock(&PS->lock);
	mark_dirty();
	d6_begin(u, D6_SOLICIT, now, SOL_TIMEOUT_MS);
}

static void d_dad_start(struct nep_app *app, struct prov_uplink *u,
	const uint8_t *addr, uint64_t now);

/* A Reply that binds (to Request, Renew or Rebind). */
static void
d6_bind(struct nep_app *app, struct prov_uplink *u,
	const struct nep_dhcp6_msg *m, const uint8_t *src, uint64_t now)
{
	struct prov_d6 *d = &u->d6;
	const struct nep_dhcp6_prefix *pd = NULL;
	const struct nep_dhcp6_iaaddr *na = NULL;
	uint32_t t1 = 0, t2 = 0, pref = UINT32_MAX;
	char a[64], b[64];

	if (u->pd && m->has_pd && (!m->pd_has_status || m->pd_status == 0))
		for (unsigned i = 0; i < m->n_prefixes && pd == NULL; i++)
			if (m->prefixes[i].valid != 0 && m->prefixes[i].len <= 64)
				pd = &m->prefixes[i];
	if (u->na && m->has_na && (!m->na_has_status || m->na_status == 0))
		for (unsigned i = 0; i < m->n_addrs && na == NULL; i++)
			if (m->addrs[i].valid != 0)
				na = &m->addrs[i];
	if ((u->pd && pd == NULL) || (u->na && na == NULL)) {
		/* NoBinding, NoPrefixAvail...: start again */
		d->rejected++;
		d6_lose(app, u, now, "the server gave no binding");
		return;
	}
	pthread_mutex_lock(&PS->lock);
	if (pd != NULL) {
		bool same = d->have_pd && d->pd.len == pd->len &&
			memcmp(d->pd.prefix, pd->prefix, 16) == 0;

		if (!same) {
			if (d->have_pd)
				NEP_LOG(NOTICE, "dhcp6 %s: prefix changed %s -> "
					"%s", u->name, p6(d->pd.prefix,
					d->pd.len, a, sizeof(a)),
					p6(pd->prefix, pd->len, b, sizeof(b)));
			else
				NEP_LOG(NOTICE, "dhcp6 %s: prefix %s obtained "
					"(preferred %u s, valid %u s)", u->name,
					p6(pd->prefix, pd->len, b, sizeof(b)),
					pd->preferred, pd->valid);
			d->changes++;
			mark_dirty();
		} else {
			NEP_LOG(INFO, "dhcp6 %s: prefix %s renewed (valid %u "
				"s)", u->name, p6(pd->prefix, pd->len, b,
				sizeof(b)), pd->valid);
		}
		d->pd = *pd;
		d->have_pd = true;
		t1 = m->pd_t1;
		t2 = m->pd_t2;
		pref = pd->preferred;
	}
	bool new_na = false;
	if (na != NULL) {
		new_na = !d->have_na || memcmp(d->na.addr, na->addr, 16) != 0;
		if (new_na)
			NEP_LOG(NOTICE, "dhcp6 %s: address %s obtained",
				u->name, a6(na->addr, b, sizeof(b)));
		d->na = *na;
		d->have_na = true;
		if (pd == NULL) {
			t1 = m->na_t1;
			t2 = m->na_t2;
		}
		pref = RTE_MIN(pref, na->preferred);
	}
	pthread_mutex_unlock(&PS->lock);
	/* RFC 8415 14.2: T1/T2 of 0 leave the choice to the client */
	nep_lease6_times(pref, t1, t2, &d->t1, &d->t2);
	d->bound_ns = now;
	memcpy(d->server, m->server_id, m->server_id_len);
	d->server_len = m->server_id_len;
	memcpy(d->server_addr, src, 16);
	d->state = D6_BOUND;
	if (new_na)
		d_dad_start(app, u, na->addr, now);
}

static void
d6_input(struct nep_app *app, struct prov_uplink *u, const uint8_t *src,
	const uint8_t *p, size_t len, uint64_t now)
{
	struct prov_d6 *d = &u->d6;
	struct nep_dhcp6_msg m;
	int rc = nep_dhcp6_parse(p, len, &m);

	if (rc < 0) {
		PS->bad_dhcp6++;
		NEP_LOG(DEBUG, "dhcp6 %s: dropped a %s message", u->name,
			nep_dhcp6_err_name(rc));
		return;
	}
	if (m.type == NEP_DHCP6_RECONFIGURE) {
		/* RFC 8415 18.2.10.1: only with the Reconfigure Key
		 * authentication, which neptune does not take */
		PS->reconfigure_ignored++;
		return;
	}
	if (m.xid != d->xid || m.client_id_len != PS->duid_len ||
		memcmp(m.client_id, PS->duid, PS->duid_len) != 0) {
		d->rejected++;
		return;
	}
	d->received++;
	if (m.has_status && m.status != NEP_DHCP6_ST_SUCCESS &&
		m.status != NEP_DHCP6_ST_USE_MULTICAST) {
		d->rejected++;
		return;
	}
	switch (d->state) {
	case D6_SOLICIT:
		if (m.type != NEP_DHCP6_ADVERTISE)
			break;
		if ((u->pd && (!m.has_pd || m.n_prefixes == 0)) ||
			(u->na && (!m.has_na || m.n_addrs == 0))) {
			d->rejected++;
			break;
		}
		/* the first Advertise that offers what we ask (a preference
		 * of 255 or not: neptune does not wait for others) */
		memcpy(d->server, m.server_id, m.server_id_len);
		d->server_len = m.server_id_len;
		if (m.n_prefixes)
			d->offer_pd = m.prefixes[0];
		if (m.n_addrs)
			d->offer_na = m.addrs[0];
		d6_begin(u, D6_REQUEST, now, REQ_TIMEOUT_MS);
		d6_send(app, u, now);
		d->tries = 1;
		d->next_ns = now + d->rt_ns;
		break;
	case D6_REQUEST:
	case D6_RENEW:
	case D6_REBIND:
		if (m.type == NEP_DHCP6_REPLY)
			d6_bind(app, u, &m, src, now);
		break;
	default:
		break;
	}
}

static void
d6_run(struct nep_app *app, struct prov_uplink *u, uint64_t now)
{
	struct prov_d6 *d = &u->d6;

	if (d->state == D6_OFF)
		return;
	if (d->state == D6_BOUND || d->state == D6_RENEW ||
		d->state == D6_REBIND) {
		uint64_t since = elapsed(now, d->bound_ns) / PROV_NS_S;
		uint32_t valid = UINT32_MAX;

		if (d->have_pd)
			valid = d->pd.valid;
		if (d->have_na)
			valid = RTE_MIN(valid, d->na.valid);
		switch (nep_lease_phase(since, d->t1, d->t2, valid)) {
		case NEP_LEASE_EXPIRED:
			d6_lose(app, u, now, "valid lifetime over");
			return;
		case NEP_LEASE_REBIND:
			if (d->state != D6_REBIND)
				d6_begin(u, D6_REBIND, now, REN_TIMEOUT_MS);
			break;
		case NEP_LEASE_RENEW:
			if (d->state == D6_BOUND)
				d6_begin(u, D6_RENEW, now, REN_TIMEOUT_MS);
			break;
		default:
			break;
		}
		if (d->state == D6_BOUND)
			return;
	}
	if (now < d->next_ns)
		return;
	if (d->state == D6_REQUEST && d->tries >= REQ_MAX_RC) {
		d6_begin(u, D6_SOLICIT, now, SOL_TIMEOUT_MS);
		return;
	}
	d6_send(app, u, now);
	if (d->tries++ > 0) {
		uint64_t mrt = (d->state == D6_SOLICIT ? SOL_MAX_RT_MS :
			d->state == D6_REQUEST ? REQ_MAX_RT_MS : REN_MAX_RT_MS) *
			NS_PER_MS;

		d->rt_ns = nep_lease_next_rt(d->rt_ns, mrt,
			(uint32_t)rte_rand());
	}
	d->next_ns = now + d->rt_ns;
}

/* ---- DHCPv4 ---- */

static void
d4_send(struct nep_app *app, struct prov_uplink *u, uint64_t now)
{
	struct prov_d4 *d = &u->d4;
	struct nep_dhcp4_req r = { 0 };
	uint8_t buf[600], cid[7];
	uint64_t secs = elapsed(now, d->start_ns) / PROV_NS_S;
	uint32_t dst = 0xffffffffu, src = 0;

	r.xid = d->xid;
	r.secs = secs > 0xffff ? 0xffff : (uint16_t)secs;
	r.broadcast = true;	/* no address yet: answers come broadcast */
	memcpy(r.chaddr, app->ports[u->port].mac.addr_bytes, 6);
	cid[0] = 1;		/* RFC 2132 9.14: hardware type, MAC */
	memcpy(cid + 1, r.chaddr, 6);
	r.client_id = cid;
	r.client_id_len = 7;
	switch (d->state) {
	case D4_SELECTING:
		r.type = NEP_DHCP4_DISCOVER;
		break;
	case D4_REQUESTING:
		r.type = NEP_DHCP4_REQUEST;
		r.requested_ip = d->offered;
		r.server_id = d->server;
		break;
	case D4_RENEWING:
		r.type = NEP_DHCP4_REQUEST;
		r.ciaddr = src = d->addr;
		r.broadcast = false;
		dst = d->server;
		break;
	case D4_REBINDING:
		r.type = NEP_DHCP4_REQUEST;
		r.ciaddr = src = d->addr;
		r.broadcast = false;
		break;
	default:
		return;
	}
	send_udp4(app, u, src, dst, buf, nep_dhcp4_build(&r, buf,
		sizeof(buf)));
}

static void
d4_begin(struct prov_uplink *u, enum prov_d4_state st, uint64_t now)
{
	struct prov_d4 *d = &u->d4;

	d->state = st;
	d->xid = (uint32_t)rte_rand();
	d->start_ns = now;
	d->tries = 0;
	d->next_ns = st == D4_SELECTING ? now + rte_rand() % PROV_NS_S : now;
}

static void
d4_lose(struct prov_uplink *u, uint64_t now, const char *why)
{
	struct prov_d4 *d = &u->d4;
	char a[32];

	if (d->addr != 0) {
		NEP_LOG(WARNING, "dhcp4 %s: address %s lost (%s)", u->name,
			a4(d->addr, a, sizeof(a)), why);
		pthread_mutex_lock(&PS->lock);
		d->addr = d->router = 0;
		d->changes++;
		pthread_mutex_unlock(&PS->lock);
		mark_dirty();
	}
	d4_begin(u, D4_SELECTING, now);
}

static void
d4_input(struct nep_app *app, struct prov_uplink *u, const uint8_t *p,
	size_t len, uint64_t now)
{
	struct prov_d4 *d = &u->d4;
	struct nep_dhcp4_msg m;
	int rc = nep_dhcp4_parse(p, len, &m);
	char a[32], b[32], g[32];

	(void)app;
	if (rc < 0) {
		PS->bad_dhcp4++;
		return;
	}
	if (m.xid != d->xid ||
		memcmp(m.chaddr, app->ports[u->port].mac.addr_bytes, 6) != 0) {
		d->rejected++;
		return;
	}
	d->received++;
	if (d->state == D4_SELECTING && m.type == NEP_DHCP4_OFFER) {
		if (m.yiaddr == 0 || !m.has_server_id) {
			d->rejected++;
			return;
		}
		d->offered = m.yiaddr;
		d->server = m.server_id;
		d->state = D4_REQUESTING;
		d->tries = 0;
		d->next_ns = now;
		return;
	}
	if (d->state < D4_REQUESTING)
		return;
	if (m.type == NEP_DHCP4_NAK) {
		d->rejected++;
		d4_lose(u, now, "NAK");
		return;
	}
	if (m.type != NEP_DHCP4_ACK || m.yiaddr == 0)
		return;
	uint32_t mask = m.has_mask ? m.mask : 0xffffff00u;
	uint32_t router = m.has_router ? m.router : 0;
	bool changed = m.yiaddr != d->addr || mask != d->mask ||
		router != d->router;

	pthread_mutex_lock(&PS->lock);
	if (changed) {
		if (d->addr != 0)
			NEP_LOG(NOTICE, "dhcp4 %s: address changed %s -> %s/%u "
				"gateway %s", u->name, a4(d->addr, a, sizeof(a)),
				a4(m.yiaddr, b, sizeof(b)), mask_len(mask),
				a4(router, g, sizeof(g)));
		else
			NEP_LOG(NOTICE, "dhcp4 %s: address %s/%u obtained, "
				"gateway %s, lease %u s", u->name,
				a4(m.yiaddr, b, sizeof(b)), mask_len(mask),
				a4(router, g, sizeof(g)), m.lease_s);
		d->changes++;
		mark_dirty();
	} else {
		NEP_LOG(INFO, "dhcp4 %s: lease of %s renewed (%u s)", u->name,
			a4(m.yiaddr, b, sizeof(b)), m.lease_s);
	}
	d->addr = m.yiaddr;
	d->mask = mask;
	d->router = router;
	if (m.has_server_id)
		d->server = m.server_id;
	nep_lease4_times(m.lease_s, m.t1_s, m.t2_s, &d->lease_s, &d->t1_s,
		&d->t2_s);
	d->bound_ns = now;
	d->state = D4_BOUND;
	pthread_mutex_unlock(&PS->lock);
}

static void
d4_run(struct nep_app *app, struct prov_uplink *u, uint64_t now)
{
	struct prov_d4 *d = &u->d4;

	if (d->state == D4_OFF)
		return;
	if (d->state >= D4_BOUND) {
		uint64_t since = elapsed(now, d->bound_ns) / PROV_NS_S;

		switch (nep_lease_phase(since, d->t1_s, d->t2_s, d->lease_s)) {
		case NEP_LEASE_EXPIRED:
			d4_lose(u, now, "lease over");
			return;
		case NEP_LEASE_REBIND:
			if (d->state != D4_REBINDING)
				d4_begin(u, D4_REBINDING, now);
			break;
		case NEP_LEASE_RENEW:
			if (d->state == D4_BOUND)
				d4_begin(u, D4_RENEWING, now);
			break;
		default:
			break;
		}
		if (d->state == D4_BOUND)
			return;
	}
	if (now < d->next_ns)
		return;
	if (d->state == D4_REQUESTING && d->tries >= 4) {
		d4_begin(u, D4_SELECTING, now);
		return;
	}
	d4_send(app, u, now);
	/* RFC 2131 4.1: 4 s doubling to 64 s, +-1 s; renewing: half the
	 * time left, at least 60 s (shorter here: the lease may be short) */
	uint64_t rt = (4ull << RTE_MIN(d->tries, 4u)) * PROV_NS_S;
	if (d->state >= D4_RENEWING)
		rt = RTE_MAX(d->lease_s * PROV_NS_S / 16, PROV_NS_S);
	d->tries++;
	d->next_ns = now + rt - PROV_NS_S + rte_rand() % (2 * PROV_NS_S);
}

/* ---- SLAAC, the default router, DAD ---- */

static void
d_dad_start(struct nep_app *app, struct prov_uplink *u, const uint8_t *addr,
	uint64_t now)
{
	struct prov_nd *nd = &u->nd;
	struct rte_mbuf *m = nep_ctl_alloc(app);
	static const uint8_t unspec[16];
	uint8_t sn[16];
	char t[64];

	memcpy(nd->tentative, addr, 16);
	nd->dad_running = true;
	nd->dad_dup = false;
	nd->dad_until_ns = now + DAD_MS * NS_PER_MS;
	NEP_LOG(INFO, "%s %s: duplicate address detection of %s", u->slaac ?
		"slaac" : "dhcp6", u->name, a6(addr, t, sizeof(t)));
	if (m == NULL)
		return;
	nep_ip6_solicited_node(addr, sn);
	/* RFC 4862 5.4.2: from ::, no source link-layer option */
	uint8_t *icmp = rte_pktmbuf_mtod(m, uint8_t *) + 14 + 40;
	memset(icmp, 0, 24);
	icmp[0] = NEP_ICMP6_NS;
	memcpy(icmp + 8, addr, 16);
	send_nd(app, u->port, m, unspec, sn, 24);
}

static void
slaac_form(struct nep_app *app, struct prov_uplink *u, uint8_t out[16])
{
	uint8_t ll[16];

	/* modified EUI-64 from the port's MAC (RFC 4291 2.5.1) */
	nep_ip6_linklocal_from_mac(app->ports[u->port].mac.addr_bytes, ll);
	memcpy(out, u->nd.prefix, 8);
	memcpy(out + 8, ll + 8, 8);
}

static void
send_rs(struct nep_app *app, struct prov_uplink *u)
{
	struct rte_mbuf *m = nep_ctl_alloc(app);
	int len;

	if (m == NULL)
		return;
	len = nep_rs_build(app->ports[u->port].mac.addr_bytes,
		rte_pktmbuf_mtod(m, uint8_t *) + 14 + 40, 64);
	if (len < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	send_nd(app, u->port, m, app->ports[u->port].ll, all_routers,
		(uint32_t)len);
	u->nd.rs_sent++;
}

static void
ra_input_wan(struct nep_app *app, struct prov_uplink *u, const uint8_t *src,
	const struct nep_ra *ra, uint64_t now)
{
	struct prov_nd *nd = &u->nd;
	char t[64];

	nd->ra_received++;
	if (u->router_learnt) {
		bool had = nd->have_router;

		pthread_mutex_lock(&PS->lock);
		if (ra->router_lifetime != 0) {
			if (!had || memcmp(nd->router, src, 16) != 0) {
				NEP_LOG(NOTICE, "ra %s: default router %s "
					"(lifetime %u s)", u->name,
					a6(src, t, sizeof(t)),
					ra->router_lifetime);
				memcpy(nd->router, src, 16);
				nd->have_router = true;
				mark_dirty();
			}
			nd->router_lifetime = ra->router_lifetime;
			nd->router_until_ns = now + ra->router_lifetime *
				PROV_NS_S;
		} else if (had && memcmp(nd->router, src, 16) == 0) {
			NEP_LOG(WARNING, "ra %s: default router %s withdrawn",
				u->name, a6(src, t, sizeof(t)));
			nd->have_router = false;
			mark_dirty();
		}
		pthread_mutex_unlock(&PS->lock);
	}
	if (!u->slaac)
		return;
	for (unsigned i = 0; i < ra->n_prefixes; i++) {
		const struct nep_ra_prefix *p = &ra->prefixes[i];

		/* RFC 4862 5.5.3: autonomous, /64 here, preferred <= valid,
		 * never link-local */
		if (!p->autonomous || p->len != 64 || p->valid == 0 ||
			p->preferred > p->valid ||
			(p->prefix[0] == 0xfe && (p->prefix[1] & 0xc0) == 0x80))
			continue;
		if (!nd->have_prefix || memcmp(nd->prefix, p->prefix, 8) != 0) {
			uint8_t addr[16];

			if (nd->have_prefix)
				continue; /* one SLAAC address per uplink */
			memcpy(nd->prefix, p->prefix, 16);
			nd->have_prefix = true;
			slaac_form(app, u, addr);
			d_dad_start(app, u, addr, now);
		}
		/* RFC 4862 5.5.3 e: a valid lifetime is not cut below 2 h
		 * by an unauthenticated RA, unless it extends it */
		uint64_t until = now + (uint64_t)p->valid * PROV_NS_S;
		if (until > nd->prefix_until_ns ||
			p->valid * PROV_NS_S > 7200 * PROV_NS_S)
			nd->prefix_until_ns = until;
		break;
	}
}

static void
nd_run(struct nep_app *app, struct prov_uplink *u, uint64_t now)
{
	struct prov_nd *nd = &u->nd;
	char t[64];

	if ((u->slaac || u->router_learnt) && !nd->have_router &&
		nd->rs_sent < RS_MAX && now >= nd->next_rs_ns &&
		app->ports[u->port].link_up) {
		send_rs(app, u);
		nd->next_rs_ns = now + RS_INTERVAL_MS * NS_PER_MS;
	}
	if (nd->dad_running && now >= nd->dad_until_ns) {
		nd->dad_running = false;
		if (nd->dad_dup) {
			NEP_LOG(ERR, "%s: %s is a duplicate (DAD): not used",
				u->name, a6(nd->tentative, t, sizeof(t)));
		} else {
			NEP_LOG(NOTICE, "%s %s: address %s in use",
				u->slaac ? "slaac" : "dhcp6", u->name,
				a6(nd->tentative, t, sizeof(t)));
			pthread_mutex_lock(&PS->lock);
			memcpy(nd->addr, nd->tentative, 16);
			nd->have_addr = true;
			pthread_mutex_unlock(&PS->lock);
			mark_dirty();
		}
	}
	if (nd->have_router && now >= nd->router_until_ns) {
		NEP_LOG(WARNING, "ra %s: default router %s expired", u->name,
			a6(nd->router, t, sizeof(t)));
		pthread_mutex_lock(&PS->lock);
		nd->have_router = false;
		pthread_mutex_unlock(&PS->lock);
		nd->rs_sent = 0;
		mark_dirty();
	}
	if (u->slaac && nd->have_prefix && now >= nd->prefix_until_ns) {
		NEP_LOG(WARNING, "slaac %s: prefix expired", u->name);
		pthread_mutex_lock(&PS->lock);
		nd->have_prefix = false;
		nd->have_addr = false;
		pthread_mutex_unlock(&PS->lock);
		mark_dirty();
	}
}

static void
prov_nd_seen(struct nep_app *app, unsigned port, uint8_t type,
	const uint8_t *target)
{
	(void)app;
	(void)type;
	for (unsigned i = 0; i < PROV_MAX_UPLINKS; i++) {
		struct prov_uplink *u = &PS->up[i];

		if (u->used && u->port == port && u->nd.dad_running &&
			memcmp(u->nd.tentative, target, 16) == 0)
			u->nd.dad_dup = true;
	}
}

/* ---- Router Advertisements on LAN ports ---- */

static const struct prov_ra_conf *
ra_conf_of(const struct nep_app *app, unsigned port)
{
	const struct prov_config *pc = prov_conf(app->cfg);

	for (unsigned i = 0; pc != NULL && i < pc->n_ra; i++)
		if ((unsigned)pc->ra[i].port == port)
			return &pc->ra[i];
	return NULL;
}

/* The prefixes port advertises: configured, or its own global /64s. */
static unsigned
ra_prefixes(const struct nep_app *app, const struct nep_config *cfg,
	const struct prov_ra_conf *rc, struct nep_prefix *out)
{
	const struct nep_port_conf *pc = &cfg->ports[rc->port];
	unsigned n = 0;

	(void)app;
	if (rc->prefixes_set) {
		memcpy(out, rc->prefixes, sizeof(out[0]) * rc->n_prefixes);
		return rc->n_prefixes;
	}
	for (unsigned i = 0; i < pc->n_addrs && n < PROV_MAX_PFX; i++) {
		const struct nep_ifaddr *ia = &pc->addrs[i];

		if (ia->addr.family != AF_INET6 || ia->len != 64 ||
			(ia->addr.a[0] == 0xfe && (ia->addr.a[1] & 0xc0) == 0x80))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].addr.family = AF_INET6;
		memcpy(out[n].addr.a, ia->addr.a, 8);
		out[n++].len = 64;
	}
	return n;
}

static void
ra_send(struct nep_app *app, unsigned port, bool final)
{
	const struct prov_ra_conf *rc = ra_conf_of(app, port);
	struct prov_ra_rt *rt = &PS->ra[port];
	struct nep_prefix pfx[PROV_MAX_PFX];
	struct nep_ra ra = { 0 };
	struct rte_mbuf *m;
	unsigned n;
	int len;

	if (rc == NULL || (m = nep_ctl_alloc(app)) == NULL)
		return;
	n = ra_prefixes(app, app->cfg, rc, pfx);
	ra.cur_hop_limit = 64;
	ra.managed = rc->managed;
	ra.other = rc->other;
	/* RFC 4861 6.2.5: a router ceasing to be one says lifetime 0 */
	ra.router_lifetime = final ? 0 : (uint16_t)rc->router_lifetime_s;
	ra.has_sllao = true;
	memcpy(ra.sllao, app->ports[port].mac.addr_bytes, 6);
	if (rc->mtu) {
		ra.has_mtu = true;
		ra.mtu = app->ports[port].mtu;
	}
	for (unsigned i = 0; i < n && ra.n_prefixes < NEP_RA_MAX_PREFIXES;
		i++) {
		struct nep_ra_prefix *p = &ra.prefixes[ra.n_prefixes++];

		memcpy(p->prefix, pfx[i].addr.a, 16);
		p->len = pfx[i].len;
		p->onlink = true;
		p->autonomous = pfx[i].len == 64;
		p->valid = rc->valid_s;
		p->preferred = rc->preferred_s;
	}
	if (rt->withdraw_left > 0) {
		for (unsigned i = 0; i < rt->n_withdraw &&
			ra.n_prefixes < NEP_RA_MAX_PREFIXES; i++) {
			struct nep_ra_prefix *p = &ra.prefixes[ra.n_prefixes++];

			memcpy(p->prefix, rt->withdraw[i].addr.a, 16);
			p->len = rt->withdraw[i].len;
			p->onlink = true;
			p->autonomous = p->len == 64;
			p->valid = p->preferred = 0;
		}
		rt->withdraw_left--;
	}
	ra.n_rdnss = rc->n_rdnss;
	memcpy(ra.rdnss, rc->rdnss, sizeof(ra.rdnss));
	/* RFC 8106 5.1: at least MaxRtrAdvInterval, 3x recommended */
	ra.rdnss_lifetime = ra.dnssl_lifetime = 3 * rc->interval_s;
	ra.n_dnssl = rc->n_dnssl;
	memcpy(ra.dnssl, rc->dnssl, sizeof(ra.dnssl));
	len = nep_ra_build(&ra, rte_pktmbuf_mtod(m, uint8_t *) + 14 + 40,
		(size_t)(rte_pktmbuf_tailroom(m) - 14 - 40));
	if (len < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	send_nd(app, port, m, app->ports[port].ll, all_nodes, (uint32_t)len);
	rt->sent++;
	rt->last_ns = nep_now_ns();
}

static void
ra_run(struct nep_app *app, uint64_t now)
{
	const struct prov_config *pc = prov_conf(app->cfg);

	for (unsigned i = 0; pc != NULL && i < pc->n_ra; i++) {
		const struct prov_ra_conf *rc = &pc->ra[i];
		struct prov_ra_rt *rt = &PS->ra[rc->port];

		if (now < rt->next_ns || !app->ports[rc->port].link_up)
			continue;
		ra_send(app, (unsigned)rc->port, false);
		/* RFC 4861 6.2.4: the first 3 at most 16 s apart; then
		 * uniformly in [MinRtrAdvInterval, MaxRtrAdvInterval] */
		uint64_t max = rc->interval_s * PROV_NS_S, min = max / 3;
		uint64_t next = min + rte_rand() % (max - min + 1);
		if (rt->initial < 3) {
			rt->initial++;
			next = RTE_MIN(next, 16 * PROV_NS_S);
		}
		rt->next_ns = now + next;
	}
}

/* ---- local delivery ---- */

static struct prov_uplink *
uplink_on_port(unsigned port, bool (*want)(const struct prov_uplink *))
{
	for (unsigned i = 0; i < PROV_MAX_UPLINKS; i++)
		if (PS->up[i].used && PS->up[i].port == port &&
			want(&PS->up[i]))
			return &PS->up[i];
	return NULL;
}

static bool
wants_d6(const struct prov_uplink *u)
{
	return u->pd || u->na;
}

static bool
wants_d4(const struct prov_uplink *u)
{
	return u->dhcp4;
}

static bool
wants_ra(const struct prov_uplink *u)
{
	return u->slaac || u->router_learnt;
}

static void
local_dhcp6(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv6_hdr *ip6 = (const void *)(f + pi->l3_off);
	uint32_t l4_len = pi->l3_off + pi->l3_len - pi->l4_off;
	struct prov_uplink *u = uplink_on_port(port, wants_d6);

	if (u == NULL || l4_len < 8 ||
		(f[pi->l4_off] << 8 | f[pi->l4_off + 1]) !=
			NEP_DHCP6_SERVER_PORT) {
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	d6_input(app, u, ip6->src_addr, f + pi->l4_off + 8, l4_len - 8,
		nep_now_ns());
	nep_local_consumed(app, m);
}

static void
local_dhcp4(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t l4_len = pi->l3_off + pi->l3_len - pi->l4_off;
	struct prov_uplink *u = uplink_on_port(port, wants_d4);

	if (u == NULL || l4_len < 8 ||
		(f[pi->l4_off] << 8 | f[pi->l4_off + 1]) !=
			NEP_DHCP4_SERVER_PORT) {
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	d4_input(app, u, f + pi->l4_off + 8, l4_len - 8, nep_now_ns());
	nep_local_consumed(app, m);
}

static void
local_ra(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv6_hdr *ip6 = (const void *)(f + pi->l3_off);
	uint32_t l4_len = pi->l3_off + pi->l3_len - pi->l4_off;
	struct prov_uplink *u = uplink_on_port(port, wants_ra);
	struct nep_ra ra;

	if (u == NULL) {
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	/* RFC 4861 6.1.2: hop limit 255, from a link-local address */
	if (ip6->hop_limits != 255 || !nep_ip6_is_linklocal(ip6->src_addr) ||
		nep_ra_parse(f + pi->l4_off, l4_len, &ra) < 0) {
		u->nd.ra_rejected++;
		PS->bad_ra++;
		nep_ctl_drop(app, m, NEP_DROP_ND_MALFORMED);
		return;
	}
	ra_input_wan(app, u, ip6->src_addr, &ra, nep_now_ns());
	nep_local_consumed(app, m);
}

static void
local_rs(struct nep_app *app, struct rte_mbuf *m, unsigned port,
	const struct nep_pkt_info *pi)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv6_hdr *ip6 = (const void *)(f + pi->l3_off);
	uint32_t l4_len = pi->l3_off + pi->l3_len - pi->l4_off;
	struct prov_ra_rt *rt = &PS->ra[port];
	bool has;
	uint8_t mac[6];
	uint64_t now = nep_now_ns();

	if (ra_conf_of(app, port) == NULL) {
		nep_ctl_drop(app, m, NEP_DROP_LOCAL_UNHANDLED);
		return;
	}
	if (ip6->hop_limits != 255 ||
		nep_rs_parse(f + pi->l4_off, l4_len, &has, mac) < 0 ||
		(has && nep_ip6_is_unspecified(ip6->src_addr))) {
		PS->bad_ra++;
		nep_ctl_drop(app, m, NEP_DROP_ND_MALFORMED);
		return;
	}
	rt->solicited++;
	/* RFC 4861 6.2.6: answered multicast, at most one per 3 s; a
	 * rate-limited one makes the next periodic one come sooner */
	if (elapsed(now, rt->last_ns) >= 3 * PROV_NS_S)
		rt->next_ns = now + rte_rand() % (500 * NS_PER_MS);
	else
		rt->next_ns = RTE_MIN(rt->next_ns, rt->last_ns + 3 * PROV_NS_S);
	nep_local_consumed(app, m);
}

/* ---- republishing what was learnt ---- */

static void
republish(struct nep_app *app)
{
	struct nep_config_error cerr;
	char err[512];
	struct nep_config *cfg;

	PS->dirty = false;
	cfg = nep_config_reparse(app->cfg,
		app->drivers_dir[0] ? app->drivers_dir : NULL, &cerr);
	if (cfg == NULL) {
		PS->republish_failed++;
		NEP_LOG(ERR, "provisioning: %s", cerr.msg);
		return;
	}
	if (nep_reload_apply(app, cfg, err, sizeof(err)) < 0) {
		PS->republish_failed++;
		NEP_LOG(ERR, "provisioning: the learnt values were not "
			"applied: %s", err);
		return;
	}
	PS->republished++;
}

/* ---- lifecycle ---- */

static void
load_duid(struct nep_app *app)
{
	const struct prov_config *pc = prov_conf(app->cfg);
	FILE *fp = fopen(pc->duid_file, "rb");
	uint8_t mac[6];

	if (fp != NULL) {
		size_t n = fread(PS->duid, 1, sizeof(PS->duid), fp);

		fclose(fp);
		if (n >= 3) {
			PS->duid_len = (uint16_t)n;
			return;
		}
	}
	/* RFC 8415 11.2: DUID-LLT from the first WAN port, kept so that
	 * the ISP sees the same client after a restart */
	memset(mac, 0, sizeof(mac));
	for (unsigned i = 0; i < app->n_ports; i++)
		if (app->ports[i].role == NEP_PORT_WAN) {
			memcpy(mac, app->ports[i].mac.addr_bytes, 6);
			break;
		}
	PS->duid_len = nep_dhcp6_duid_llt(PS->duid, mac,
		(uint32_t)(time(NULL) - 946684800));
	fp = fopen(pc->duid_file, "wb");
	if (fp == NULL || fwrite(PS->duid, 1, PS->duid_len, fp) !=
		PS->duid_len)
		NEP_LOG(WARNING, "provisioning: cannot keep the DUID in %s: "
			"%s (a restart will look like a new client)",
			pc->duid_file, strerror(errno));
	if (fp != NULL)
		fclose(fp);
}

/* The provisioned uplinks of the running configuration, kept by name. */
static void
sync_uplinks(struct nep_app *app, uint64_t now)
{
	const struct mh_config *mc = mh_conf(app->cfg);
	bool keep[PROV_MAX_UPLINKS] = { false };

	for (unsigned i = 0; i < mc->n_uplinks; i++) {
		const struct nep_uplink_conf *uc = &mc->uplinks[i];
		bool any = uc->pd || uc->addr_mode != NEP_ADDR_STATIC ||
			uc->ipv4_dhcp || uc->next_hop_learnt;
		struct prov_uplink *u;

		if (!any)
			continue;
		u = uplink_by_name(uc->name);
		if (u == NULL) {
			for (unsigned k = 0; k < PROV_MAX_UPLINKS && u == NULL;
				k++)
				if (!PS->up[k].used)
					u = &PS->up[k];
			if (u == NULL)
				continue;
			pthread_mutex_lock(&PS->lock);
			memset(u, 0, sizeof(*u));
			snprintf(u->name, sizeof(u->name), "%s", uc->name);
			u->port = (unsigned)uc->port;
			u->iaid = (uint32_t)(u - PS->up) + 1;
			u->used = true;
			pthread_mutex_unlock(&PS->lock);
		}
		keep[u - PS->up] = true;
		u->pd = uc->pd;
		u->na = uc->addr_mode == NEP_ADDR_DHCPV6;
		u->slaac = uc->addr_mode == NEP_ADDR_SLAAC;
		u->router_learnt = uc->next_hop_learnt;
		u->hint = uc->prefix_hint;
		u->pd_subnet = uc->pd_subnet;
		if ((u->pd || u->na) && u->d6.state == D6_OFF)
			d6_begin(u, D6_SOLICIT, now, SOL_TIMEOUT_MS);
		if (!(u->pd || u->na))
			u->d6.state = D6_OFF;
		u->dhcp4 = uc->ipv4_dhcp;
		if (u->dhcp4 && u->d4.state == D4_OFF)
			d4_begin(u, D4_SELECTING, now);
		if (!u->dhcp4)
			u->d4.state = D4_OFF;
	}
	for (unsigned k = 0; k < PROV_MAX_UPLINKS; k++)
		if (PS->up[k].used && !keep[k]) {
			pthread_mutex_lock(&PS->lock);
			PS->up[k].used = false;
			pthread_mutex_unlock(&PS->lock);
		}
}

/* Prefixes the old configuration advertised on a port and the new one
 * does not: withdrawn (lifetime 0) in the next RAs. */
static void
ra_sync(struct nep_app *app, const struct nep_config *old,
	const struct nep_config *cur)
{
	const struct prov_config *pc = prov_conf(cur), *opc = prov_conf(old);
	struct nep_prefix now_p[PROV_MAX_PFX], old_p[PROV_MAX_PFX];

	for (unsigned j = 0; j < opc->n_ra; j++) {
		const struct prov_ra_conf *orc = &opc->ra[j];
		struct prov_ra_rt *rt = &PS->ra[orc->port];
		unsigned no = ra_prefixes(app, old, orc, old_p), n = 0;

		for (unsigned i = 0; i < pc->n_ra; i++)
			if (pc->ra[i].port == orc->port)
				n = ra_prefixes(app, cur, &pc->ra[i], now_p);
		rt->n_withdraw = 0;
		for (unsigned i = 0; i < no; i++) {
			bool still = false;

			for (unsigned k = 0; k < n; k++)
				still |= memcmp(&old_p[i], &now_p[k],
					sizeof(old_p[i])) == 0;
			if (!still && rt->n_withdraw < PROV_MAX_PFX)
				rt->withdraw[rt->n_withdraw++] = old_p[i];
		}
		if (rt->n_withdraw) {
			/* RFC 4862 5.5.3 e: hosts keep an unauthenticated
			 * prefix 2 h past a lower lifetime (docs) */
			rt->withdraw_left = 3;
			rt->next_ns = 0;
		}
	}
}

static void
prov_reload_prepare(struct nep_app *app, struct nep_snapshot *s)
{
	ra_sync(app, app->cfg, s->cfg);
}

static void
prov_reload_done(struct nep_app *app)
{
	sync_uplinks(app, nep_now_ns());
}

static int
prov_init(struct nep_app *app)
{
	app->feat[nep_prov_feature.id] = PS;
	learnt_src.arg = app;
	nep_config_set_learnt(&learnt_src);
	nep_local_register(6, NEP_PROTO_UDP, NEP_DHCP6_CLIENT_PORT, "dhcp6",
		local_dhcp6);
	nep_local_register_any(4, NEP_PROTO_UDP, NEP_DHCP4_CLIENT_PORT,
		"dhcp4", local_dhcp4);
	nep_local_register_any(6, NEP_PROTO_ICMPV6, NEP_ICMP6_RA, "ra",
		local_ra);
	nep_local_register_any(6, NEP_PROTO_ICMPV6, NEP_ICMP6_RS, "rs",
		local_rs);
	load_duid(app);
	sync_uplinks(app, nep_now_ns());
	return 0;
}

static void
prov_stop(struct nep_app *app)
{
	const struct prov_config *pc = prov_conf(app->cfg);
	uint64_t now = nep_now_ns();

	/* RFC 8415 18.2.7: give the leases back; RFC 4861 6.2.5: stop
	 * being the LAN's router */
	for (unsigned i = 0; i < PROV_MAX_UPLINKS; i++) {
		struct prov_uplink *u = &PS->up[i];

		if (!u->used)
			continue;
		if ((u->d6.have_pd || u->d6.have_na) && u->d6.server_len) {
			struct nep_dhcp6_req r = { 0 };
			uint8_t buf[512];

			r.type = NEP_DHCP6_RELEASE;
			r.xid = (uint32_t)rte_rand() & 0xffffff;
			r.duid = PS->duid;
			r.duid_len = PS->duid_len;
			r.server_id = u->d6.server;
			r.server_id_len = u->d6.server_len;
			r.want_pd = u->d6.have_pd;
			r.pd_iaid = u->iaid;
			r.pd_have = u->d6.have_pd;
			r.pd = u->d6.pd;
			r.want_na = u->d6.have_na;
			r.na_iaid = u->iaid;
			r.na_have = u->d6.have_na;
			r.na = u->d6.na;
			send_udp6(app, u, all_dhcp6, buf,
				nep_dhcp6_build(&r, buf, sizeof(buf)));
		}
		if (u->d4.state >= D4_BOUND && u->d4.addr != 0) {
			struct nep_dhcp4_req r = { 0 };
			uint8_t buf[600];

			uint8_t cid[7] = { 1 };	/* as in its requests */

			r.type = NEP_DHCP4_RELEASE;
			r.xid = (uint32_t)rte_rand();
			memcpy(r.chaddr, app->ports[u->port].mac.addr_bytes, 6);
			memcpy(cid + 1, r.chaddr, 6);
			r.client_id = cid;
			r.client_id_len = 7;
			r.ciaddr = u->d4.addr;
			r.server_id = u->d4.server;
			u->d4.state = D4_RENEWING;	/* unicast */
			send_udp4(app, u, u->d4.addr, u->d4.server, buf,
				nep_dhcp4_build(&r, buf, sizeof(buf)));
		}
	}
	for (unsigned i = 0; pc != NULL && i < pc->n_ra; i++)
		ra_send(app, (unsigned)pc->ra[i].port, true);
	(void)now;
}

static void
prov_fini(struct nep_app *app)
{
	(void)app;
	nep_config_set_learnt(NULL);
}

static void
prov_run(struct nep_app *app, uint64_t loop_ns)
{
	/* the clock the handlers stamp with */
	uint64_t now = nep_now_ns();

	(void)loop_ns;
	for (unsigned i = 0; i < PROV_MAX_UPLINKS; i++) {
		struct prov_uplink *u = &PS->up[i];

		if (!u->used || !app->ports[u->port].link_up)
			continue;
		d6_run(app, u, now);
		d4_run(app, u, now);
		nd_run(app, u, now);
	}
	ra_run(app, now);
	/* In the loop iteration that learnt it, before the management
	 * commands: `show dhcp` never says bound before it is applied.
	 * Changes seen together are applied together. */
	if (PS->dirty)
		republish(app);
}

/* ---- show dhcp, show ra ---- */

static json_t *
d6_json(const struct prov_uplink *u, uint64_t now)
{
	const struct prov_d6 *d = &u->d6;
	char s[2 * NEP_DUID_MAX + 1] = "", t[64];
	json_t *o;

	if (!u->pd && !u->na)
		return json_null();
	for (unsigned i = 0; i < d->server_len; i++)
		snprintf(s + 2 * i, 3, "%02x", d->server[i]);
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "state",
		d6_names[d->state], "server", s, "changes",
		(json_int_t)d->changes, "sent", (json_int_t)d->sent,
		"received", (json_int_t)d->received, "rejected",
		(json_int_t)d->rejected);
	bool bound = d->state >= D6_BOUND;
	uint64_t since = bound ? elapsed(now, d->bound_ns) / PROV_NS_S : 0;
	if (d->have_pd && bound) {
		struct nep_prefix pd = { .addr.family = AF_INET6,
			.len = d->pd.len }, used;

		memcpy(pd.addr.a, d->pd.prefix, 16);
		json_object_set_new(o, "prefix", json_string(p6(d->pd.prefix,
			d->pd.len, t, sizeof(t))));
		/* the /64 the uplink translates to: its pd_subnet */
		json_object_set_new(o, "prefix_used",
			mh_pd_subnet(&pd, u->pd_subnet, &used) == 0 ?
			json_string(p6(used.addr.a, 64, t, sizeof(t))) :
			json_null());
		json_object_set_new(o, "preferred_s", json_integer(
			d->pd.preferred > since ? d->pd.preferred - since : 0));
		json_object_set_new(o, "valid_s", json_integer(
			d->pd.valid > since ? d->pd.valid - since : 0));
	} else {
		json_object_set_new(o, "prefix", json_null());
		json_object_set_new(o, "prefix_used", json_null());
	}
	json_object_set_new(o, "address", d->have_na && bound ?
		json_string(a6(d->na.addr, t, sizeof(t))) : json_null());
	json_object_set_new(o, "t1_s", json_integer(bound ? d->t1 : 0));
	json_object_set_new(o, "t2_s", json_integer(bound ? d->t2 : 0));
	json_object_set_new(o, "renew_in_s", json_integer(
		d->state == D6_BOUND && d->t1 > since ? d->t1 - since : 0));
	return o;
}

static json_t *
nd_json(const struct prov_uplink *u, uint64_t now)
{
	const struct prov_nd *nd = &u->nd;
	char t[64];

	if (!u->slaac && !u->router_learnt)
		return json_null();
	json_t *o = json_pack("{s:I, s:I, s:I}", "ra_received",
		(json_int_t)nd->ra_received, "ra_rejected",
		(json_int_t)nd->ra_rejected, "rs_sent", (json_int_t)nd->rs_sent);
	json_object_set_new(o, "address", u->slaac && nd->have_addr ?
		json_string(a6(nd->addr, t, sizeof(t))) : json_null());
	json_object_set_new(o, "tentative", nd->dad_running ?
		json_string(a6(nd->tentative, t, sizeof(t))) : json_null());
	json_object_set_new(o, "router", nd->have_router ?
		json_string(a6(nd->router, t, sizeof(t))) : json_null());
	json_object_set_new(o, "router_lifetime_s", json_integer(
		nd->have_router && nd->router_until_ns > now ?
		(nd->router_until_ns - now) / PROV_NS_S : 0));
	return o;
}

static json_t *
d4_json(const struct prov_uplink *u, uint64_t now)
{
	const struct prov_d4 *d = &u->d4;
	char t[32], g[32], s[32];

	if (!u->dhcp4)
		return json_null();
	json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I}", "state",
		d4_names[d->state], "changes", (json_int_t)d->changes, "sent",
		(json_int_t)d->sent, "received", (json_int_t)d->received,
		"rejected", (json_int_t)d->rejected);
	bool bound = d->state >= D4_BOUND && d->addr != 0;
	uint64_t since = bound ? elapsed(now, d->bound_ns) / PROV_NS_S : 0;
	char ab[40];

	snprintf(ab, sizeof(ab), "%s/%u", a4(d->addr, t, sizeof(t)),
		mask_len(d->mask));
	json_object_set_new(o, "server", bound ? json_string(a4(d->server, s,
		sizeof(s))) : json_null());
	json_object_set_new(o, "address", bound ? json_string(ab) :
		json_null());
	json_object_set_new(o, "gateway", bound && d->router ?
		json_string(a4(d->router, g, sizeof(g))) : json_null());
	json_object_set_new(o, "lease_s", json_integer(bound &&
		d->lease_s > since ? d->lease_s - since : 0));
	json_object_set_new(o, "renew_in_s", json_integer(d->state ==
		D4_BOUND && d->t1_s > since ? d->t1_s - since : 0));
	return o;
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;

	return json_is_string(v) ? json_string_value(v) : "-";
}

static int
cmd_show_dhcp(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = ctx->app;
	uint64_t now = nep_now_ns();
	json_t *list = json_array();

	if (!ctx->json)
		nep_buf_printf(ctx->out, "%-8s %-6s %-11s %-24s %-11s %-30s "
			"%-11s %s\n", "UPLINK", "PORT", "DHCPV6", "PREFIX",
			"RENEW", "WAN ADDRESS", "DHCPV4", "IPV4 / GATEWAY");
	for (unsigned i = 0; i < PROV_MAX_UPLINKS; i++) {
		const struct prov_uplink *u = &PS->up[i];

		if (!u->used)
			continue;
		json_t *d6 = d6_json(u, now), *nd = nd_json(u, now),
		       *d4 = d4_json(u, now);
		json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o}", "uplink",
			u->name, "port", app->ports[u->port].name, "dhcp6", d6,
			"slaac", nd, "dhcp4", d4);
		if (!ctx->json) {
			char renew[16] = "-", v4[64] = "-";
			const char *addr = u->slaac ? jstr(nd, "address") :
				u->na ? jstr(d6, "address") : "static";

			if (json_is_object(d6))
				snprintf(renew, sizeof(renew), "%llds",
					(long long)json_integer_value(
						json_object_get(d6,
							"renew_in_s")));
			if (json_is_object(d4))
				snprintf(v4, sizeof(v4), "%s via %s",
					jstr(d4, "address"), jstr(d4, "gateway"));
			nep_buf_printf(ctx->out, "%-8s %-6s %-11s %-24s %-11s "
				"%-30s %-11s %s\n", u->name,
				app->ports[u->port].name, json_is_object(d6) ?
				jstr(d6, "state") : "static",
				jstr(d6, "prefix"), renew, addr,
				json_is_object(d4) ? jstr(d4, "state") :
				"static", v4);
		}
		json_array_append_new(list, o);
	}
	if (ctx->json)
		ctx->json_out = json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I}",
			"uplinks", list, "republished",
			(json_int_t)PS->republished, "republish_failed",
			(json_int_t)PS->republish_failed,
			"reconfigure_ignored",
			(json_int_t)PS->reconfigure_ignored, "bad_dhcp6",
			(json_int_t)PS->bad_dhcp6, "bad_dhcp4",
			(json_int_t)PS->bad_dhcp4, "bad_ra",
			(json_int_t)PS->bad_ra);
	else
		json_decref(list);
	return 0;
}

static int
cmd_show_ra(struct nep_cmd_ctx *ctx)
{
	struct nep_app *app = ctx->app;
	const struct prov_config *pc = prov_conf(app->cfg);
	json_t *list = json_array();
	uint64_t now = nep_now_ns();

	for (unsigned i = 0; i < pc->n_ra; i++) {
		const struct prov_ra_conf *rc = &pc->ra[i];
		const struct prov_ra_rt *rt = &PS->ra[rc->port];
		struct nep_prefix pfx[PROV_MAX_PFX];
		unsigned n = ra_prefixes(app, app->cfg, rc, pfx);
		json_t *pl = json_array();
		char t[64];

		for (unsigned k = 0; k < n; k++)
			json_array_append_new(pl, json_pack("{s:s, s:I, s:I}",
				"prefix", p6(pfx[k].addr.a, pfx[k].len, t,
					sizeof(t)), "valid_s",
				(json_int_t)rc->valid_s, "preferred_s",
				(json_int_t)rc->preferred_s));
		json_t *o = json_pack("{s:s, s:o, s:I, s:I, s:I, s:I, s:b, "
			"s:I}", "port", app->ports[rc->port].name, "prefixes",
			pl, "interval_s", (json_int_t)rc->interval_s,
			"router_lifetime_s", (json_int_t)rc->router_lifetime_s,
			"sent", (json_int_t)rt->sent, "solicited",
			(json_int_t)rt->solicited, "mtu", rc->mtu,
			"next_in_ms", (json_int_t)(rt->next_ns > now ?
				(rt->next_ns - now) / NS_PER_MS : 0));
		if (!ctx->json) {
			nep_buf_printf(ctx->out, "%s: every %u s at most, "
				"router lifetime %u s, %" PRIu64 " sent, %"
				PRIu64 " solicitations\n",
				app->ports[rc->port].name, rc->interval_s,
				rc->router_lifetime_s, rt->sent, rt->solicited);
			for (unsigned k = 0; k < n; k++)
				nep_buf_printf(ctx->out, "  prefix %s valid %u "
					"s preferred %u s\n", p6(pfx[k].addr.a,
					pfx[k].len, t, sizeof(t)), rc->valid_s,
					rc->preferred_s);
			for (unsigned k = 0; k < rc->n_rdnss; k++)
				nep_buf_printf(ctx->out, "  rdnss %s\n",
					a6(rc->rdnss[k], t, sizeof(t)));
			for (unsigned k = 0; k < rc->n_dnssl; k++)
				nep_buf_printf(ctx->out, "  dnssl %s\n",
					rc->dnssl[k]);
		}
		json_array_append_new(list, o);
	}
	if (!ctx->json && pc->n_ra == 0)
		nep_buf_printf(ctx->out, "no port sends router "
			"advertisements\n");
	nep_reply_list(ctx, "ports", list);
	return 0;
}

static void
prov_commands(struct nep_app *app, struct nep_dispatch *d)
{
	(void)app;
	nep_dispatch_bind(d, "show dhcp", cmd_show_dhcp);
	nep_dispatch_bind(d, "show ra", cmd_show_ra);
}

static const struct nep_feature prov_feature = {
	.name = "provisioning",
	.order = 60,
	.init = prov_init,
	.fini = prov_fini,
	.stop = prov_stop,
	.reload_prepare = prov_reload_prepare,
	.reload_done = prov_reload_done,
	.run = prov_run,
	.commands = prov_commands,
	.nd_seen = prov_nd_seen,
};

struct nep_feature nep_prov_feature;

RTE_INIT(prov_register)
{
	nep_prov_feature = prov_feature;
	nep_feature_register(&nep_prov_feature);
}
