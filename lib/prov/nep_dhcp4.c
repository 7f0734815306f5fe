/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "nep_dhcp4.h"
#include "prov_util.h"

/* BOOTP field offsets (RFC 2131 2). */
#define OFF_XID 4
#define OFF_SECS 8
#define OFF_FLAGS 10
#define OFF_CIADDR 12
#define OFF_YIADDR 16
#define OFF_SIADDR 20
#define OFF_GIADDR 24
#define OFF_CHADDR 28
#define OFF_SNAME 44
#define SNAME_LEN 64
#define OFF_FILE 108
#define FILE_LEN 128
#define OFF_OPTIONS 240

static const char *const err_names[NEP_DHCP4_E_COUNT + 1] = {
#define NEP_DHCP4_ERR_NAME(n, v, s) [-(v)] = s,
	NEP_DHCP4_ERRS(NEP_DHCP4_ERR_NAME)
#undef NEP_DHCP4_ERR_NAME
};

const char *
nep_dhcp4_err_name(int err)
{
	if (err > 0 || err < -NEP_DHCP4_E_COUNT)
		return "unknown";
	return err == 0 ? "ok" : err_names[-err];
}

static const uint8_t param_req[] = {NEP_DHCP4_OPT_SUBNET_MASK,
	NEP_DHCP4_OPT_ROUTER, NEP_DHCP4_OPT_DNS, NEP_DHCP4_OPT_LEASE_TIME,
	NEP_DHCP4_OPT_T1, NEP_DHCP4_OPT_T2, NEP_DHCP4_OPT_MTU};

static void
opt_u32(struct prov_w *w, uint8_t code, uint32_t v)
{
	prov_w_u8(w, code);
	prov_w_u8(w, 4);
	prov_w_u32(w, v);
}

int
nep_dhcp4_build(const struct nep_dhcp4_req *r, uint8_t *buf, size_t cap)
{
	struct prov_w w = {buf, cap, 0, false};
	size_t hn = 0;
	uint8_t *z;

	switch (r->type) {
	case NEP_DHCP4_DISCOVER:
	case NEP_DHCP4_REQUEST:
	case NEP_DHCP4_DECLINE:
	case NEP_DHCP4_RELEASE:
	case NEP_DHCP4_INFORM:
		break;
	default:
		return NEP_DHCP4_E_BUILD_BAD_REQUEST;
	}
	if (r->client_id != NULL && r->client_id_len < 2)
		return NEP_DHCP4_E_BUILD_BAD_REQUEST;
	if (r->hostname != NULL) {
		hn = strnlen(r->hostname, 256);
		if (hn == 0 || hn > 255)
			return NEP_DHCP4_E_BUILD_BAD_REQUEST;
	}

	/* The header: all zero but what a client sets. */
	z = prov_w_room(&w, OFF_OPTIONS);
	if (z == NULL)
		return NEP_DHCP4_E_BUILD_NO_SPACE;
	memset(z, 0, OFF_OPTIONS);
	z[0] = 1; /* BOOTREQUEST */
	z[1] = 1; /* Ethernet */
	z[2] = 6;
	w.len = OFF_XID;
	prov_w_u32(&w, r->xid);
	prov_w_u16(&w, r->secs);
	prov_w_u16(&w, r->broadcast ? NEP_DHCP4_FLAG_BROADCAST : 0);
	prov_w_u32(&w, r->ciaddr);
	w.len = OFF_CHADDR;
	prov_w_bytes(&w, r->chaddr, 6);
	w.len = NEP_DHCP4_HDR_LEN;
	prov_w_u32(&w, NEP_DHCP4_MAGIC);

	prov_w_u8(&w, NEP_DHCP4_OPT_MSG_TYPE);
	prov_w_u8(&w, 1);
	prov_w_u8(&w, r->type);
	if (r->client_id != NULL) {
		prov_w_u8(&w, NEP_DHCP4_OPT_CLIENT_ID);
		prov_w_u8(&w, r->client_id_len);
		prov_w_bytes(&w, r->client_id, r->client_id_len);
	}
	if (r->requested_ip != 0)
		opt_u32(&w, NEP_DHCP4_OPT_REQUESTED_IP, r->requested_ip);
	if (r->server_id != 0)
		opt_u32(&w, NEP_DHCP4_OPT_SERVER_ID, r->server_id);
	if (r->hostname != NULL) {
		prov_w_u8(&w, NEP_DHCP4_OPT_HOSTNAME);
		prov_w_u8(&w, (uint8_t)hn);
		prov_w_bytes(&w, r->hostname, hn);
	}
	if (r->type != NEP_DHCP4_DECLINE && r->type != NEP_DHCP4_RELEASE) {
		prov_w_u8(&w, NEP_DHCP4_OPT_PARAM_REQ);
		prov_w_u8(&w, sizeof(param_req));
		prov_w_bytes(&w, param_req, sizeof(param_req));
	}
	prov_w_u8(&w, NEP_DHCP4_OPT_END);
	if (!w.overflow && w.len < NEP_DHCP4_MIN_LEN) {
		size_t pad = NEP_DHCP4_MIN_LEN - w.len;

		z = prov_w_room(&w, pad);
		if (z != NULL)
			memset(z, 0, pad);
	}
	if (w.overflow)
		return NEP_DHCP4_E_BUILD_NO_SPACE;
	return (int)w.len;
}

static int
parse_opts(const uint8_t *p, size_t len, struct nep_dhcp4_msg *m,
	uint8_t *overload, bool *has_type)
{
	size_t off = 0;

	while (off < len) {
		uint8_t code = p[off], ol;
		const uint8_t *v;

		if (code == NEP_DHCP4_OPT_END)
			return 0;
		if (code == NEP_DHCP4_OPT_PAD) {
			off++;
			continue;
		}
		if (len - off < 2)
			return NEP_DHCP4_E_OPTION_OVERRUN;
		ol = p[off + 1];
		if (ol > len - off - 2)
			return NEP_DHCP4_E_OPTION_OVERRUN;
		v = p + off + 2;
		off += 2u + ol;
		switch (code) {
		case NEP_DHCP4_OPT_MSG_TYPE:
			if (ol != 1)
				return NEP_DHCP4_E_BAD_OPTION;
			if (!*has_type) {
				*has_type = true;
				m->type = v[0];
			}
			break;
		case NEP_DHCP4_OPT_OVERLOAD:
			/* Only the options field may carry it. */
			if (overload == NULL)
				break;
			if (ol != 1 || v[0] < 1 || v[0] > 3)
				return NEP_DHCP4_E_BAD_OPTION;
			if (*overload == 0)
				*overload = v[0];
			break;
		case NEP_DHCP4_OPT_SUBNET_MASK:
		case NEP_DHCP4_OPT_SERVER_ID:
		case NEP_DHCP4_OPT_LEASE_TIME:
		case NEP_DHCP4_OPT_T1:
		case NEP_DHCP4_OPT_T2: {
			bool *has = NULL;
			uint32_t *dst;

			if (ol != 4)
				return NEP_DHCP4_E_BAD_OPTION;
			if (code == NEP_DHCP4_OPT_SUBNET_MASK) {
				has = &m->has_mask;
				dst = &m->mask;
			} else if (code == NEP_DHCP4_OPT_SERVER_ID) {
				has = &m->has_server_id;
				dst = &m->server_id;
			} else if (code == NEP_DHCP4_OPT_LEASE_TIME) {
				dst = &m->lease_s;
			} else if (code == NEP_DHCP4_OPT_T1) {
				dst = &m->t1_s;
			} else {
				dst = &m->t2_s;
			}
			/* First instance wins; absent-as-0 ones by a flag. */
			if (has != NULL) {
				if (*has)
					break;
				*has = true;
			}
			*dst = prov_get32(v);
			break;
		}
		case NEP_DHCP4_OPT_ROUTER:
		case NEP_DHCP4_OPT_DNS:
			if (ol == 0 || ol % 4 != 0)
				return NEP_DHCP4_E_BAD_OPTION;
			for (unsigned int i = 0; i < ol / 4u; i++) {
				if (code == NEP_DHCP4_OPT_ROUTER &&
					!m->has_router) {
					m->has_router = true;
					m->router = prov_get32(v);
				} else if (code == NEP_DHCP4_OPT_DNS &&
					   m->n_dns < NEP_DHCP4_MAX_DNS) {
					m->dns[m->n_dns++] =
						prov_get32(v + 4 * i);
				}
			}
			break;
		case NEP_DHCP4_OPT_MTU:
			if (ol != 2)
				return NEP_DHCP4_E_BAD_OPTION;
			if (!m->has_mtu && prov_get16(v) >= 68) {
				m->has_mtu = true;
				m->mtu = prov_get16(v);
			}
			break;
		}
	}
	return 0;
}

int
nep_dhcp4_parse(const uint8_t *p, size_t len, struct nep_dhcp4_msg *m)
{
	uint8_t overload = 0;
	bool has_type = false;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len < OFF_OPTIONS)
		return NEP_DHCP4_E_TRUNCATED;
	if (p[0] != 2)
		return NEP_DHCP4_E_NOT_REPLY;
	if (prov_get32(p + NEP_DHCP4_HDR_LEN) != NEP_DHCP4_MAGIC)
		return NEP_DHCP4_E_BAD_MAGIC;
	rc = parse_opts(
		p + OFF_OPTIONS, len - OFF_OPTIONS, m, &overload, &has_type);
	/* RFC 2131 4.1: file first, then sname. */
	if (rc == 0 && (overload & 1))
		rc = parse_opts(p + OFF_FILE, FILE_LEN, m, NULL, &has_type);
	if (rc == 0 && (overload & 2))
		rc = parse_opts(p + OFF_SNAME, SNAME_LEN, m, NULL, &has_type);
	if (rc == 0 && !has_type)
		rc = NEP_DHCP4_E_NO_MSG_TYPE;
	if (rc == 0 && m->type != NEP_DHCP4_OFFER && m->type != NEP_DHCP4_ACK &&
		m->type != NEP_DHCP4_NAK)
		rc = NEP_DHCP4_E_BAD_MSG_TYPE;
	if (rc < 0) {
		memset(m, 0, sizeof(*m));
		return rc;
	}
	m->op = p[0];
	m->xid = prov_get32(p + OFF_XID);
	m->flags = prov_get16(p + OFF_FLAGS);
	memcpy(m->chaddr, p + OFF_CHADDR, 6);
	m->ciaddr = prov_get32(p + OFF_CIADDR);
	m->yiaddr = prov_get32(p + OFF_YIADDR);
	m->siaddr = prov_get32(p + OFF_SIADDR);
	m->giaddr = prov_get32(p + OFF_GIADDR);
	return 0;
}
