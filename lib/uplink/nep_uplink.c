/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "nep_uplink.h"

int
nep_uplink_set_add(struct nep_uplink_set *s, uint8_t id, uint32_t weight)
{
	unsigned int i;

	/* Weight 0 means "never balanced": keep it out of the set. */
	if (weight == 0)
		return -EINVAL;
	for (i = 0; i < s->n; i++)
		if (s->id[i] == id)
			return -EINVAL;
	if (s->n >= NEP_MAX_UPLINKS)
		return -ENOSPC;
	s->id[s->n] = id;
	s->weight[s->n] = weight;
	s->inv_w[s->n] = 1.0 / (double)weight;
	s->n++;
	return 0;
}

static unsigned int
add_role(const struct nep_uplink_view *v, unsigned int n,
	enum nep_uplink_role role, struct nep_uplink_set *out)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (v[i].role == role && nep_uplink_usable(&v[i]))
			nep_uplink_set_add(out, v[i].id, v[i].weight);
	return out->n;
}

unsigned int
nep_uplink_pool_build(const struct nep_uplink_view *uplinks, unsigned int n,
	struct nep_uplink_set *out)
{
	nep_uplink_set_init(out);
	if (add_role(uplinks, n, NEP_UPLINK_PRIMARY, out) > 0)
		return out->n;
	/* Backups only stand in when no primary is usable. */
	return add_role(uplinks, n, NEP_UPLINK_BACKUP, out);
}
