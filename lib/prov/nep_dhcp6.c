/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "nep_dhcp6.h"
#include "prov_util.h"

static const char *const err_names[NEP_DHCP6_E_COUNT + 1] = {
#define NEP_DHCP6_ERR_NAME(n, v, s) [-(v)] = s,
	NEP_DHCP6_ERRS(NEP_DHCP6_ERR_NAME)
#undef NEP_DHCP6_ERR_NAME
};

const char *
nep_dhcp6_err_name(int err)
{
	if (err > 0 || err < -NEP_DHCP6_E_COUNT)
		return "unknown";
	return err == 0 ? "ok" : err_names[-err];
}

uint16_t
nep_dhcp6_duid_llt(uint8_t *out, const uint8_t mac[6], uint32_t t)
{
	struct prov_w w = {out, NEP_DUID_LLT_LEN, 0, false};

	prov_w_u16(&w, 1); /* DUID-LLT */
	prov_w_u16(&w, 1); /* hardware type: Ethernet */
	prov_w_u32(&w, t);
	prov_w_bytes(&w, mac, 6);
	return NEP_DUID_LLT_LEN;
}

/* ---- build ---- */

/* What each client message type carries (RFC 8415 18.2). */
struct type_rules {
	bool client_type, sid_required, pd, na, oro;
};

static struct type_rules
rules_of(uint8_t type)
{
	struct type_rules t = {false, false, false, false, false};

	switch (type) {
	case NEP_DHCP6_SOLICIT:
	case NEP_DHCP6_REBIND:
		t = (struct type_rules){true, false, true, true, true};
		break;
	case NEP_DHCP6_REQUEST:
	case NEP_DHCP6_RENEW:
		t = (struct type_rules){true, true, true, true, true};
		break;
	case NEP_DHCP6_CONFIRM:
		t = (struct type_rules){true, false, false, true, false};
		break;
	case NEP_DHCP6_RELEASE:
		t = (struct type_rules){true, true, true, true, false};
		break;
	case NEP_DHCP6_DECLINE:
		t = (struct type_rules){true, true, false, true, false};
		break;
	case NEP_DHCP6_INFO_REQUEST:
		t = (struct type_rules){true, false, false, false, true};
		break;
	}
	return t;
}

static size_t
opt_begin(struct prov_w *w, uint16_t code)
{
	size_t at = w->len;

	prov_w_u16(w, code);
	prov_w_u16(w, 0); /* length, patched by opt_end() */
	return at;
}

static void
opt_end(struct prov_w *w, size_t at)
{
	prov_w_set16(w, at + 2, (uint16_t)(w->len - at - 4));
}

int
nep_dhcp6_build(const struct nep_dhcp6_req *r, uint8_t *buf, size_t cap)
{
	struct type_rules t = rules_of(r->type);
	struct prov_w w = {buf, cap, 0, false};
	size_t at, ia;

	if (!t.client_type || r->duid == NULL || r->duid_len == 0 ||
		r->duid_len > NEP_DUID_MAX)
		return NEP_DHCP6_E_BUILD_BAD_REQUEST;
	if (t.sid_required != (r->server_id != NULL) ||
		(r->server_id != NULL &&
			(r->server_id_len == 0 ||
				r->server_id_len > NEP_DUID_MAX)))
		return NEP_DHCP6_E_BUILD_BAD_REQUEST;
	if ((r->rapid_commit && r->type != NEP_DHCP6_SOLICIT) ||
		(r->want_pd && !t.pd) || (r->want_na && !t.na))
		return NEP_DHCP6_E_BUILD_BAD_REQUEST;
	if (r->want_pd &&
		(r->pd_hint_len > 128 || (r->pd_have && r->pd.len > 128)))
		return NEP_DHCP6_E_BUILD_BAD_REQUEST;

	prov_w_u8(&w, r->type);
	prov_w_u8(&w, (uint8_t)(r->xid >> 16));
	prov_w_u16(&w, (uint16_t)r->xid);

	at = opt_begin(&w, NEP_DHCP6_OPT_CLIENTID);
	prov_w_bytes(&w, r->duid, r->duid_len);
	opt_end(&w, at);
	if (r->server_id != NULL) {
		at = opt_begin(&w, NEP_DHCP6_OPT_SERVERID);
		prov_w_bytes(&w, r->server_id, r->server_id_len);
		opt_end(&w, at);
	}
	at = opt_begin(&w, NEP_DHCP6_OPT_ELAPSED_TIME);
	prov_w_u16(&w, r->elapsed_cs);
	opt_end(&w, at);
	if (t.oro) {
		at = opt_begin(&w, NEP_DHCP6_OPT_ORO);
		if (r->want_dns) {
			prov_w_u16(&w, NEP_DHCP6_OPT_DNS_SERVERS);
			prov_w_u16(&w, NEP_DHCP6_OPT_DOMAIN_LIST);
		}
		if (r->type == NEP_DHCP6_INFO_REQUEST) {
			prov_w_u16(&w, NEP_DHCP6_OPT_INFO_REFRESH_TIME);
			prov_w_u16(&w, NEP_DHCP6_OPT_INF_MAX_RT);
		} else {
			prov_w_u16(&w, NEP_DHCP6_OPT_SOL_MAX_RT);
		}
		opt_end(&w, at);
	}
	if (r->rapid_commit) {
		at = opt_begin(&w, NEP_DHCP6_OPT_RAPID_COMMIT);
		opt_end(&w, at);
	}
	if (r->want_na) {
		ia = opt_begin(&w, NEP_DHCP6_OPT_IA_NA);
		prov_w_u32(&w, r->na_iaid);
		prov_w_u32(&w, 0); /* T1 */
		prov_w_u32(&w, 0); /* T2 */
		if (r->na_have) {
			at = opt_begin(&w, NEP_DHCP6_OPT_IAADDR);
			prov_w_bytes(&w, r->na.addr, 16);
			prov_w_u32(&w, 0);
			prov_w_u32(&w, 0);
			opt_end(&w, at);
		}
		opt_end(&w, ia);
	}
	if (r->want_pd) {
		ia = opt_begin(&w, NEP_DHCP6_OPT_IA_PD);
		prov_w_u32(&w, r->pd_iaid);
		prov_w_u32(&w, 0);
		prov_w_u32(&w, 0);
		if (r->pd_have || r->pd_hint_len != 0) {
			static const uint8_t any[16];

			at = opt_begin(&w, NEP_DHCP6_OPT_IAPREFIX);
			prov_w_u32(&w, 0); /* preferred */
			prov_w_u32(&w, 0); /* valid */
			prov_w_u8(&w, r->pd_have ? r->pd.len : r->pd_hint_len);
			prov_w_bytes(&w, r->pd_have ? r->pd.prefix : any, 16);
			opt_end(&w, at);
		}
		opt_end(&w, ia);
	}
	if (w.overflow)
		return NEP_DHCP6_E_BUILD_NO_SPACE;
	return (int)w.len;
}

/* ---- parse ---- */

struct opt {
	uint16_t code, len;
	const uint8_t *v;
};

/*
 * The option at *off in p[0..len): 1 and *o filled, 0 at the end, or
 * e_cut (header cut) / e_over (body past len).
 */
static int
next_opt(const uint8_t *p, size_t len, size_t *off, struct opt *o, int e_cut,
	int e_over)
{
	if (*off == len)
		return 0;
	if (len - *off < 4)
		return e_cut;
	o->code = prov_get16(p + *off);
	o->len = prov_get16(p + *off + 2);
	if (o->len > len - *off - 4)
		return e_over;
	o->v = p + *off + 4;
	*off += 4u + o->len;
	return 1;
}

/* Sub-options of an IA Prefix / IA Address: only their bounds matter. */
static int
check_nested(const uint8_t *p, size_t len)
{
	size_t off = 0;
	struct opt o;
	int rc;

	while ((rc = next_opt(p, len, &off, &o, NEP_DHCP6_E_IA_OVERRUN,
			NEP_DHCP6_E_IA_OVERRUN)) > 0) {
		if (o.code == NEP_DHCP6_OPT_STATUS_CODE && o.len < 2)
			return NEP_DHCP6_E_BAD_IA_OPTION;
	}
	return rc;
}

static void
mask_prefix(uint8_t pfx[16], uint8_t len)
{
	for (unsigned int i = 0; i < 16; i++) {
		if (len >= 8u * (i + 1))
			continue;
		if (len <= 8u * i)
			pfx[i] = 0;
		else
			pfx[i] &= (uint8_t)(0xff << (8u * (i + 1) - len));
	}
}

/*
 * The body of an IA_PD or IA_NA (code tells which). Returns 0 when
 * taken, 1 when discarded (T1 > T2 > 0), or an error.
 */
static int
parse_ia(uint16_t code, const uint8_t *v, uint16_t len, struct nep_dhcp6_msg *m)
{
	bool pd = code == NEP_DHCP6_OPT_IA_PD;
	uint32_t t1, t2;
	size_t off = 12;
	struct opt o;
	int rc;

	if (len < 12)
		return NEP_DHCP6_E_BAD_OPTION;
	t1 = prov_get32(v + 4);
	t2 = prov_get32(v + 8);
	if (t1 > t2 && t2 > 0) {
		m->n_ignored++;
		return 1;
	}
	if (pd) {
		m->pd_iaid = prov_get32(v);
		m->pd_t1 = t1;
		m->pd_t2 = t2;
	} else {
		m->na_iaid = prov_get32(v);
		m->na_t1 = t1;
		m->na_t2 = t2;
	}
	while ((rc = next_opt(v, len, &off, &o, NEP_DHCP6_E_IA_OVERRUN,
			NEP_DHCP6_E_IA_OVERRUN)) > 0) {
		if (o.code == NEP_DHCP6_OPT_STATUS_CODE) {
			if (o.len < 2)
				return NEP_DHCP6_E_BAD_IA_OPTION;
			if (pd) {
				m->pd_has_status = true;
				m->pd_status = prov_get16(o.v);
			} else {
				m->na_has_status = true;
				m->na_status = prov_get16(o.v);
			}
		} else if (pd && o.code == NEP_DHCP6_OPT_IAPREFIX) {
			struct nep_dhcp6_prefix *x;
			uint32_t pref, valid;

			if (o.len < 25)
				return NEP_DHCP6_E_BAD_IA_OPTION;
			if (o.v[8] > 128)
				return NEP_DHCP6_E_BAD_PREFIX_LEN;
			rc = check_nested(o.v + 25, o.len - 25u);
			if (rc < 0)
				return rc;
			pref = prov_get32(o.v);
			valid = prov_get32(o.v + 4);
			if (pref > valid) {
				m->n_ignored++;
				continue;
			}
			if (m->n_prefixes >= NEP_DHCP6_MAX_IA_ITEMS)
				continue;
			x = &m->prefixes[m->n_prefixes++];
			x->preferred = pref;
			x->valid = valid;
			x->len = o.v[8];
			memcpy(x->prefix, o.v + 9, 16);
			mask_prefix(x->prefix, x->len);
		} else if (!pd && o.code == NEP_DHCP6_OPT_IAADDR) {
			struct nep_dhcp6_iaaddr *x;
			uint32_t pref, valid;

			if (o.len < 24)
				return NEP_DHCP6_E_BAD_IA_OPTION;
			rc = check_nested(o.v + 24, o.len - 24u);
			if (rc < 0)
				return rc;
			pref = prov_get32(o.v + 16);
			valid = prov_get32(o.v + 20);
			if (pref > valid) {
				m->n_ignored++;
				continue;
			}
			if (m->n_addrs >= NEP_DHCP6_MAX_IA_ITEMS)
				continue;
			x = &m->addrs[m->n_addrs++];
			memcpy(x->addr, o.v, 16);
			x->preferred = pref;
			x->valid = valid;
		}
	}
	return rc;
}

static int
copy_duid(const struct opt *o, uint8_t *dst, uint16_t *dst_len)
{
	if (o->len < 3 || o->len > NEP_DUID_MAX)
		return NEP_DHCP6_E_BAD_DUID;
	if (*dst_len == 0) {
		memcpy(dst, o->v, o->len);
		*dst_len = o->len;
	}
	return 0;
}

static int
parse_opt(const struct opt *o, struct nep_dhcp6_msg *m)
{
	uint32_t v;
	int rc;

	switch (o->code) {
	case NEP_DHCP6_OPT_CLIENTID:
		return copy_duid(o, m->client_id, &m->client_id_len);
	case NEP_DHCP6_OPT_SERVERID:
		return copy_duid(o, m->server_id, &m->server_id_len);
	case NEP_DHCP6_OPT_PREFERENCE:
		if (o->len != 1)
			return NEP_DHCP6_E_BAD_OPTION;
		if (!m->has_preference) {
			m->has_preference = true;
			m->preference = o->v[0];
		}
		return 0;
	case NEP_DHCP6_OPT_STATUS_CODE:
		if (o->len < 2)
			return NEP_DHCP6_E_BAD_OPTION;
		if (!m->has_status) {
			m->has_status = true;
			m->status = prov_get16(o->v);
		}
		return 0;
	case NEP_DHCP6_OPT_RAPID_COMMIT:
		if (o->len != 0)
			return NEP_DHCP6_E_BAD_OPTION;
		m->rapid_commit = true;
		return 0;
	case NEP_DHCP6_OPT_AUTH:
		/* Protocol, algorithm, RDM, replay (RFC 8415 21.11). */
		if (o->len < 11)
			return NEP_DHCP6_E_BAD_OPTION;
		m->has_auth = true;
		return 0;
	case NEP_DHCP6_OPT_RECONF_MSG:
		if (o->len != 1)
			return NEP_DHCP6_E_BAD_OPTION;
		if (!m->has_reconf_msg) {
			m->has_reconf_msg = true;
			m->reconf_msg = o->v[0];
		}
		return 0;
	case NEP_DHCP6_OPT_SOL_MAX_RT:
		if (o->len != 4)
			return NEP_DHCP6_E_BAD_OPTION;
		v = prov_get32(o->v);
		if (v >= 60 && v <= 86400)
			m->sol_max_rt = v;
		return 0;
	case NEP_DHCP6_OPT_INFO_REFRESH_TIME:
		if (o->len != 4)
			return NEP_DHCP6_E_BAD_OPTION;
		m->info_refresh = prov_get32(o->v);
		return 0;
	case NEP_DHCP6_OPT_DNS_SERVERS:
		if (o->len % 16 != 0)
			return NEP_DHCP6_E_BAD_OPTION;
		for (unsigned int i = 0;
			i < o->len / 16u && m->n_dns < NEP_DHCP6_MAX_DNS; i++)
			memcpy(m->dns[m->n_dns++], o->v + 16 * i, 16);
		return 0;
	case NEP_DHCP6_OPT_DOMAIN_LIST:
		/* A broken list is not worth the message's prefixes. */
		(void)nep_prov_dns_names(o->v, o->len, &m->domains[0][0],
			NEP_PROV_NAME_MAX, NEP_DHCP6_MAX_DOMAINS,
			&m->n_domains);
		return 0;
	case NEP_DHCP6_OPT_IA_PD:
		if (m->has_pd)
			return 0;
		rc = parse_ia(o->code, o->v, o->len, m);
		if (rc == 0)
			m->has_pd = true;
		return rc < 0 ? rc : 0;
	case NEP_DHCP6_OPT_IA_NA:
		if (m->has_na)
			return 0;
		rc = parse_ia(o->code, o->v, o->len, m);
		if (rc == 0)
			m->has_na = true;
		return rc < 0 ? rc : 0;
	}
	return 0;
}

int
nep_dhcp6_parse(const uint8_t *p, size_t len, struct nep_dhcp6_msg *m)
{
	size_t off = 4;
	struct opt o;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len < 4)
		return NEP_DHCP6_E_TRUNCATED;
	if (p[0] != NEP_DHCP6_ADVERTISE && p[0] != NEP_DHCP6_REPLY &&
		p[0] != NEP_DHCP6_RECONFIGURE)
		return NEP_DHCP6_E_BAD_MSG_TYPE;
	m->type = p[0];
	m->xid = (uint32_t)p[1] << 16 | prov_get16(p + 2);
	while ((rc = next_opt(p, len, &off, &o, NEP_DHCP6_E_TRUNCATED,
			NEP_DHCP6_E_OPTION_OVERRUN)) > 0) {
		rc = parse_opt(&o, m);
		if (rc < 0)
			break;
	}
	if (rc == 0 && m->server_id_len == 0)
		rc = NEP_DHCP6_E_NO_SERVER_ID;
	if (rc < 0)
		memset(m, 0, sizeof(*m));
	return rc;
}
