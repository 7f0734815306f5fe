/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_errno.h>

#include "nep_policy.h"

/*
 * Field layout: proto | dscp | src (4 or 1 words) | dst | sport,dport.
 * rte_acl reads the first byte alone and every other input group as 4
 * consecutive bytes, so DSCP is a 4-byte bitmask over dscp + pad1 (zero in
 * every input): a 1-byte field alone in its group matches nothing.
 */
enum {
	F_PROTO,
	F_DSCP,
	F_SRC0,
	F_SRC1,
	F_SRC2,
	F_SRC3,
	F_DST0,
	F_DST1,
	F_DST2,
	F_DST3,
	F_SPORT,
	F_DPORT,
	F_NUM6,
};
enum { G_PROTO, G_DSCP, G_SRC0, G_DST0 = G_SRC0 + 4, G_PORTS = G_DST0 + 4 };

RTE_ACL_RULE_DEF(nep_acl_rule6, F_NUM6);
#define F_NUM4 6 /* proto, dscp, src, dst, sport, dport */
RTE_ACL_RULE_DEF(nep_acl_rule4, F_NUM4);

static void
field(struct rte_acl_field_def *d, uint8_t type, uint8_t size, uint8_t idx,
	uint8_t input, uint32_t offset)
{
	d->type = type;
	d->size = size;
	d->field_index = idx;
	d->input_index = input;
	d->offset = offset;
}

static unsigned
defs6(struct rte_acl_field_def *d)
{
	unsigned n = 0, i;

	field(&d[n], RTE_ACL_FIELD_TYPE_BITMASK, 1, n, G_PROTO,
		offsetof(struct nep_acl_in, proto));
	n++;
	field(&d[n], RTE_ACL_FIELD_TYPE_BITMASK, 4, n, G_DSCP,
		offsetof(struct nep_acl_in, dscp));
	n++;
	for (i = 0; i < 4; i++, n++)
		field(&d[n], RTE_ACL_FIELD_TYPE_MASK, 4, n, G_SRC0 + i,
			offsetof(struct nep_acl_in, src) + 4 * i);
	for (i = 0; i < 4; i++, n++)
		field(&d[n], RTE_ACL_FIELD_TYPE_MASK, 4, n, G_DST0 + i,
			offsetof(struct nep_acl_in, dst) + 4 * i);
	field(&d[n], RTE_ACL_FIELD_TYPE_RANGE, 2, n, G_PORTS,
		offsetof(struct nep_acl_in, sport));
	n++;
	field(&d[n], RTE_ACL_FIELD_TYPE_RANGE, 2, n, G_PORTS,
		offsetof(struct nep_acl_in, dport));
	n++;
	return n;
}

static unsigned
defs4(struct rte_acl_field_def *d)
{
	unsigned n = 0;

	field(&d[n], RTE_ACL_FIELD_TYPE_BITMASK, 1, n, 0,
		offsetof(struct nep_acl_in, proto));
	n++;
	field(&d[n], RTE_ACL_FIELD_TYPE_BITMASK, 4, n, 1,
		offsetof(struct nep_acl_in, dscp));
	n++;
	field(&d[n], RTE_ACL_FIELD_TYPE_MASK, 4, n, 2,
		offsetof(struct nep_acl_in, src));
	n++;
	field(&d[n], RTE_ACL_FIELD_TYPE_MASK, 4, n, 3,
		offsetof(struct nep_acl_in, dst));
	n++;
	field(&d[n], RTE_ACL_FIELD_TYPE_RANGE, 2, n, 4,
		offsetof(struct nep_acl_in, sport));
	n++;
	field(&d[n], RTE_ACL_FIELD_TYPE_RANGE, 2, n, 4,
		offsetof(struct nep_acl_in, dport));
	n++;
	return n;
}

/* A prefix as MASK fields: one 32-bit word per field, host order. */
static void
prefix_words(const struct nep_prefix *p, bool any, unsigned words,
	struct rte_acl_field *f)
{
	for (unsigned i = 0; i < words; i++) {
		int bits = any ? 0 : (int)p->len - (int)(32 * i);
		uint32_t v = 0;
		if (bits > 32)
			bits = 32;
		if (bits < 0)
			bits = 0;
		if (!any)
			v = (uint32_t)p->addr.a[4 * i] << 24 |
				(uint32_t)p->addr.a[4 * i + 1] << 16 |
				(uint32_t)p->addr.a[4 * i + 2] << 8 |
				p->addr.a[4 * i + 3];
		f[i].value.u32 = v;
		f[i].mask_range.u32 = (uint32_t)bits;
	}
}

/* Common fields of a rule; words = 4 (IPv6) or 1 (IPv4). */
static void
fill_rule(struct rte_acl_field *f, unsigned words, const struct nep_policy_conf *pc,
	const struct nep_prefix *dst_only)
{
	unsigned src = 2, dst = 2 + words, ports = 2 + 2 * words;

	if (dst_only != NULL) {
		f[0].value.u8 = 0;
		f[0].mask_range.u8 = 0;
		f[1].value.u32 = 0;
		f[1].mask_range.u32 = 0;
		prefix_words(NULL, true, words, &f[src]);
		prefix_words(dst_only, false, words, &f[dst]);
		f[ports].value.u16 = 0;
		f[ports].mask_range.u16 = 0xffff;
		f[ports + 1].value.u16 = 0;
		f[ports + 1].mask_range.u16 = 0xffff;
		return;
	}
	f[0].value.u8 = pc->proto < 0 ? 0 : (uint8_t)pc->proto;
	f[0].mask_range.u8 = pc->proto < 0 ? 0 : 0xff;
	/* Host order: the DSCP byte comes first in the input, so on top. */
	f[1].value.u32 = pc->dscp < 0 ? 0 : (uint32_t)pc->dscp << 24;
	f[1].mask_range.u32 = pc->dscp < 0 ? 0 : 0xff000000u;
	prefix_words(&pc->src, !pc->has_src, words, &f[src]);
	prefix_words(&pc->dst, !pc->has_dst, words, &f[dst]);
	f[ports].value.u16 = pc->sport_lo;
	f[ports].mask_range.u16 = pc->sport_hi;
	f[ports + 1].value.u16 = pc->dport_lo;
	f[ports + 1].mask_range.u16 = pc->dport_hi;
}

static int
policy_family_ok(const struct nep_policy_conf *pc, int af)
{
	if (pc->has_dst && pc->dst.addr.family != af)
		return 0;
	if (pc->has_src && pc->src.addr.family != af)
		return 0;
	return 1;
}

static struct rte_acl_ctx *
build_ctx(const struct nep_steering_conf *st, int af, unsigned generation,
	unsigned *n_rules, char *err, size_t errlen)
{
	struct rte_acl_config cfg = { 0 };
	struct rte_acl_param prm = { 0 };
	struct rte_acl_ctx *ctx;
	char name[RTE_ACL_NAMESIZE];
	unsigned words = af == AF_INET6 ? 4 : 1, i, n = 0;
	unsigned total = st->n_policies + st->n_excluded;

	snprintf(name, sizeof(name), "nep_acl%c_%u", af == AF_INET6 ? '6' : '4',
		generation);
	prm.name = name;
	prm.socket_id = SOCKET_ID_ANY;
	prm.rule_size = af == AF_INET6 ? RTE_ACL_RULE_SZ(F_NUM6) :
					 RTE_ACL_RULE_SZ(F_NUM4);
	prm.max_rule_num = total + 1;
	ctx = rte_acl_create(&prm);
	if (ctx == NULL) {
		snprintf(err, errlen, "rte_acl_create: %s",
			rte_strerror(rte_errno));
		return NULL;
	}
	for (i = 0; i < st->n_excluded + st->n_policies; i++) {
		struct nep_acl_rule6 r = { 0 };
		const struct nep_prefix *ex = NULL;
		const struct nep_policy_conf *pc = NULL;

		if (i < st->n_excluded) {
			ex = &st->excluded[i];
			if (ex->addr.family != af)
				continue;
			r.data.userdata = NEP_POLICY_EXCLUDED;
			r.data.priority = RTE_ACL_MAX_PRIORITY;
		} else {
			unsigned p = i - st->n_excluded;
			pc = &st->policies[p];
			if (!policy_family_ok(pc, af))
				continue;
			r.data.userdata = p + 1;
			/* First match wins: earlier rules rank higher. */
			r.data.priority = (int32_t)(RTE_ACL_MAX_PRIORITY - 1 - p);
		}
		r.data.category_mask = 1;
		fill_rule(r.field, words, pc, ex);
		if (rte_acl_add_rules(ctx, (struct rte_acl_rule *)&r, 1) != 0) {
			snprintf(err, errlen, "rte_acl_add_rules failed");
			rte_acl_free(ctx);
			return NULL;
		}
		n++;
	}
	*n_rules = n;
	if (n == 0) {
		rte_acl_free(ctx);
		return NULL;
	}
	cfg.num_categories = 1;
	cfg.num_fields = af == AF_INET6 ? defs6(cfg.defs) : defs4(cfg.defs);
	if (rte_acl_build(ctx, &cfg) != 0) {
		snprintf(err, errlen, "rte_acl_build failed");
		rte_acl_free(ctx);
		return NULL;
	}
	return ctx;
}

int
nep_classifier_build(struct nep_classifier *c,
	const struct nep_steering_conf *st, unsigned generation, char *err,
	size_t errlen)
{
	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	c->acl6 = build_ctx(st, AF_INET6, generation, &c->n_rules6, err, errlen);
	if (c->acl6 == NULL && err[0] != '\0')
		return -1;
	c->acl4 = build_ctx(st, AF_INET, generation, &c->n_rules4, err, errlen);
	if (c->acl4 == NULL && err[0] != '\0') {
		nep_classifier_free(c);
		return -1;
	}
	return 0;
}

void
nep_classifier_free(struct nep_classifier *c)
{
	rte_acl_free(c->acl6);
	rte_acl_free(c->acl4);
	memset(c, 0, sizeof(*c));
}
