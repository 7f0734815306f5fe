/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTP service (server.c). */
#ifndef NCTL_SERVER_H
#define NCTL_SERVER_H

#include <stddef.h>

#include "nctl.h"

struct nctl_server;

/* Open the database, rebuild the state from it, listen. NULL with err. */
struct nctl_server *nctl_server_start(const struct nctl_config *cfg,
	char *err, size_t errlen);
void nctl_server_stop(struct nctl_server *s);
unsigned nctl_server_devices(const struct nctl_server *s);

#endif /* NCTL_SERVER_H */
