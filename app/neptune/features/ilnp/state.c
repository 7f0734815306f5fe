/* SPDX-License-Identifier: BSD-3-Clause */
/* The ILNP feature's registration record and drop ids. */
#include "ilnp.h"

struct nep_feature nep_ilnp_feature;
unsigned ilnp_drop_lu_bad_checksum;
struct ilnp_ctl ilnp_ctl_state;
