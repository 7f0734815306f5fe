/* SPDX-License-Identifier: BSD-3-Clause */
/* SRv6's services to other features (srv6_export.h), on the control lcore. */
#include <string.h>

#include <rte_mbuf.h>

#include "mh_export.h"
#include "nep_control.h"
#include "srv6.h"
#include "srv6_export.h"

const char *const nep_srv6_encap_names[NEP_SRV6_ENC_MAX] = { "srh",
	"ip6ip6" };
const char *const nep_srv6_tclass_names[NEP_SRV6_T_MAX] = { "unknown", "T0",
	"T1", "OP" };

static const struct srv6_policy *
find_policy(const struct srv6_snap *ss, const char *overlay, const char *site,
	const struct nep_config *cfg)
{
	const struct srv6_config *sc = srv6_conf(cfg);

	for (unsigned i = 0; i < ss->n_policies; i++) {
		const struct srv6_policy *p = &ss->policies[i];

		if (p->family == 6 && p->overlay < sc->n_overlays &&
			p->site < sc->n_sites &&
			strcmp(sc->overlays[p->overlay].name, overlay) == 0 &&
			strcmp(sc->sites[p->site].name, site) == 0)
			return p;
	}
	return NULL;
}

static void
fill_info(const struct nep_app *app, const struct srv6_snap *ss,
	unsigned gp, const struct srv6_policy *pol, unsigned k,
	struct nep_srv6_path_info *o)
{
	const struct srv6_path *p = &ss->paths[gp];
	struct nep_health_metrics hm;

	memset(o, 0, sizeof(*o));
	o->index = gp;
	o->site_path = k;
	snprintf(o->uplink, sizeof(o->uplink), "%s", p->uplink);
	o->uplink_slot = nep_mh_uplink_by_name(app, p->uplink);
	memcpy(o->endpoint, p->probe, 16);
	memcpy(o->src, p->src, 16);
	o->up = (__atomic_load_n(&ss->up_mask, __ATOMIC_ACQUIRE) >> gp) & 1;
	o->health_up = ss->health ? nep_health_is_up(&p->health) :
				    !p->health.link_down;
	o->modes[NEP_SRV6_ENC_SRH] = true;
	o->modes[NEP_SRV6_ENC_IP6IP6] = pol != NULL && pol->alt_ok[k];
	o->mode = p->mode;
	o->tclass = p->tclass;
	if (ss->health) {
		nep_health_get_metrics(&p->health, &hm);
		o->has_rtt = hm.n_targets > 0 && hm.target[0].has_rtt;
		o->rtt_ms = hm.rtt_ms;
		o->jitter_ms = hm.jitter_ms;
		o->loss_pct = hm.loss_pct;
	}
}

unsigned
nep_srv6_site_paths(const struct nep_app *app, const char *overlay,
	const char *site, struct nep_srv6_path_info *out, unsigned max)
{
	const struct srv6_snap *ss = SRV6_SNAP(app->snap);
	const struct srv6_policy *pol;
	unsigned n = 0;

	if (ss == NULL || !ss->enabled)
		return 0;
	pol = find_policy(ss, overlay, site, app->snap->cfg);
	if (pol == NULL)
		return 0;
	for (unsigned k = 0; k < pol->n_paths && n < max; k++)
		fill_info(app, ss, pol->path[k], pol, k, &out[n++]);
	return n;
}

unsigned
nep_srv6_n_paths(const struct nep_app *app)
{
	const struct srv6_snap *ss = SRV6_SNAP(app->snap);

	return ss != NULL && ss->enabled ? ss->n_paths : 0;
}

bool
nep_srv6_path(const struct nep_app *app, unsigned index,
	struct nep_srv6_path_info *out)
{
	const struct srv6_snap *ss = SRV6_SNAP(app->snap);

	if (ss == NULL || !ss->enabled || index >= ss->n_paths)
		return false;
	/* the first IPv6 policy through this path says what is possible */
	for (unsigned i = 0; i < ss->n_policies; i++) {
		const struct srv6_policy *pol = &ss->policies[i];

		if (pol->family != 6)
			continue;
		for (unsigned k = 0; k < pol->n_paths; k++)
			if (pol->path[k] == index) {
				fill_info(app, ss, index, pol, k, out);
				return true;
			}
	}
	fill_info(app, ss, index, NULL, 0, out);
	return true;
}

/* Encapsulate the inner packet at offset 14 of m with ep; send on p. */
static int
encap_send(struct nep_app *app, struct rte_mbuf *m,
	const struct nep_srv6_policy *ep, const struct srv6_path *p)
{
	struct nep_meta *meta = nep_meta(m);
	uint32_t ilen = rte_pktmbuf_data_len(m) - 14, off, len;
	uint16_t hdr = ep->hdr_len;
	uint8_t *f;

	if (rte_pktmbuf_prepend(m, hdr) == NULL) {
		nep_ctl_drop(app, m, NEP_DROP_NO_HEADROOM);
		return -1;
	}
	f = rte_pktmbuf_mtod(m, uint8_t *);
	if (nep_srv6_encap(ep, f, 14u + hdr, ilen, &off, &len) != NEP_SRV6_OK ||
		off != 14) {
		nep_ctl_drop(app, m, srv6_drop_rc[NEP_SRV6_ERR_INNER]);
		return -1;
	}
	f[12] = 0x86;
	f[13] = 0xdd;
	m->data_len = m->pkt_len = 14 + len;
	meta->family = 6;
	if (meta->flags & NEP_META_F_TXSTAMP)
		meta->icmp_param += (uint32_t)hdr << 16 | hdr;
	nep_ctl_send_via(app, m, p->port_id, 6, p->next_hop);
	return 0;
}

int
nep_srv6_send_on_path(struct nep_app *app, struct rte_mbuf *m,
	const char *overlay, const char *site, unsigned k,
	enum nep_srv6_encap_mode mode)
{
	const struct srv6_snap *ss = SRV6_SNAP(app->snap);
	const struct srv6_policy *pol;

	if (ss == NULL || !ss->enabled ||
		(pol = find_policy(ss, overlay, site, app->snap->cfg)) == NULL ||
		k >= pol->n_paths ||
		(mode == NEP_SRV6_ENC_IP6IP6 && !pol->alt_ok[k])) {
		nep_ctl_drop(app, m, srv6_drop_no_path);
		return -1;
	}
	return encap_send(app, m, mode == NEP_SRV6_ENC_IP6IP6 ? &pol->alt[k] :
								&pol->encap[k],
		&ss->paths[pol->path[k]]);
}

int
nep_srv6_send_plain(struct nep_app *app, struct rte_mbuf *m, unsigned index)
{
	const struct srv6_snap *ss = SRV6_SNAP(app->snap);
	const struct srv6_path *p;

	if (ss == NULL || !ss->enabled || index >= ss->n_paths) {
		nep_ctl_drop(app, m, srv6_drop_no_path);
		return -1;
	}
	p = &ss->paths[index];
	nep_ctl_send_via(app, m, p->port_id, 6, p->next_hop);
	return 0;
}

/* The SR policy of the overlay route for ip6's destination in VRF
 * table, NULL when it is not an overlay destination. */
static const struct srv6_policy *
overlay_policy(const struct nep_snapshot *s, unsigned table,
	const uint8_t *ip6)
{
	const struct srv6_snap *ss = SRV6_SNAP(s);
	const struct nep_rib *rib = nep_snap_rib(s, table);
	uint64_t nh;
	uint32_t idx;

	if (ss == NULL || !ss->enabled || rib == NULL)
		return NULL;
	nh = nep_rib_lookup6(rib, ip6 + 24);
	idx = nep_nh_index(nh);
	if (nep_nh_kind(nh) != NEP_NH_FEATURE ||
		NEP_NH_FEATURE_OWNER(idx) != nep_srv6_feature.id)
		return NULL;
	return &ss->policies[ss->routes[NEP_NH_FEATURE_ROUTE(idx)].policy];
}

int
nep_srv6_route_inner(struct nep_app *app, struct rte_mbuf *m, unsigned table)
{
	const struct nep_snapshot *s = app->snap;
	const struct srv6_snap *ss = SRV6_SNAP(s);
	uint8_t *ip6 = rte_pktmbuf_mtod(m, uint8_t *) + 14;
	const struct srv6_policy *pol = overlay_policy(s, table, ip6);
	const struct srv6_site_rt *sr;
	uint32_t label;
	uint64_t up;
	unsigned b, k;

	if (pol == NULL)
		return -1;
	sr = &ss->sites[pol->site];
	label = nep_srv6_flow_label(ip6, rte_pktmbuf_data_len(m) - 14);
	b = label & (SRV6_BUCKETS - 1);
	up = __atomic_load_n(&ss->up_mask, __ATOMIC_ACQUIRE);
	for (k = 0; k < sr->n_paths; k++)
		if ((up >> sr->path[sr->rank[b][k]]) & 1)
			break;
	if (k == sr->n_paths) {
		/* No path in use (an OP class, say, judged from our side):
		 * a reply still goes out over one whose health probes pass.
		 * Transparency differs by direction, and without this two
		 * sites that each judged their paths OP would never answer
		 * each other's probes again. */
		for (k = 0; k < sr->n_paths; k++) {
			const struct srv6_path *q =
				&ss->paths[sr->path[sr->rank[b][k]]];

			if (ss->health ? nep_health_is_up(&q->health) :
					 !q->health.link_down)
				break;
		}
	}
	if (k == sr->n_paths) {
		nep_ctl_drop(app, m, srv6_drop_no_path);
		return 0;
	}
	{
		unsigned lk = sr->rank[b][k];
		const struct srv6_path *p = &ss->paths[sr->path[lk]];

		encap_send(app, m, srv6_path_encap(pol, p, lk), p);
	}
	return 0;
}

static unsigned
common_bits(const uint8_t *a, const uint8_t *b)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 16; i++) {
		uint8_t x = a[i] ^ b[i];

		if (x == 0) {
			n += 8;
			continue;
		}
		return n + (unsigned)__builtin_clz((unsigned)x) - 24;
	}
	return n;
}

int
nep_srv6_reply_reverse(struct nep_app *app, struct rte_mbuf *m,
	unsigned table, unsigned in_port, const uint8_t outer_src[16],
	bool srh)
{
	const struct nep_snapshot *s = app->snap;
	const struct srv6_snap *ss = SRV6_SNAP(s);
	uint8_t *ip6 = rte_pktmbuf_mtod(m, uint8_t *) + 14;
	const struct srv6_policy *pol = overlay_policy(s, table, ip6);
	unsigned best = 0, best_k = 0;

	if (pol == NULL)
		return -1;
	for (unsigned k = 0; k < pol->n_paths; k++) {
		const struct srv6_path *p = &ss->paths[pol->path[k]];
		unsigned c = common_bits(p->probe, outer_src);

		if (p->port == in_port && c >= 64 && c > best) {
			best = c;
			best_k = k;
		}
	}
	if (best == 0)
		return -1;
	encap_send(app, m, !srh && pol->alt_ok[best_k] ? &pol->alt[best_k] :
							 &pol->encap[best_k],
		&ss->paths[pol->path[best_k]]);
	return 0;
}

void
nep_srv6_set_sla_ok(struct nep_app *app, unsigned k, uint64_t ok)
{
	struct srv6_snap *ss = SRV6_SNAP(app->snap);

	if (ss == NULL || !ss->enabled || k >= NEP_MAX_SLA)
		return;
	__atomic_store_n(&ss->sla_ok[k], ok, __ATOMIC_RELEASE);
}

void
nep_srv6_set_path_mode(struct nep_app *app, unsigned index,
	enum nep_srv6_encap_mode mode, enum nep_srv6_tclass tclass)
{
	struct srv6_snap *ss = SRV6_SNAP(app->snap);

	if (ss == NULL || !ss->enabled || index >= ss->n_paths)
		return;
	__atomic_store_n(&ss->paths[index].mode, (uint8_t)mode,
		__ATOMIC_RELEASE);
	ss->paths[index].tclass = (uint8_t)tclass;
	srv6_publish_mask(app, ss);
}
