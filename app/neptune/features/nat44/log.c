/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mapping log (nat44.log; docs/nat44.md, "Mapping log"): the workers
 * put each mapping created or expired in a ring; the control lcore writes
 * them to a file (one line each, UTC time in milliseconds) or to syslog.
 * A worker never writes a file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <arpa/inet.h>

#include <rte_ring.h>

#include "mh_config.h"
#include "nat44.h"

int
nat_log_open(struct nep_app *app, const struct nat_config *nc)
{
	struct nat_ctl *ct = &nat_ctl_state;

	(void)app;
	if (nc->log[0] == '\0')
		return 0;
	if (strcmp(nc->log, "syslog") == 0) {
		openlog("neptune-nat44", LOG_NDELAY, LOG_DAEMON);
		ct->log_syslog = true;
		return 0;
	}
	ct->log_file = fopen(nc->log, "ae");
	if (ct->log_file == NULL) {
		NEP_LOG(ERR, "nat44: cannot open the mapping log %s: %s",
			nc->log, strerror(errno));
		return -1;
	}
	return 0;
}

static void
write_ev(struct nep_app *app, const struct nat_log_ev *ev, const char *when)
{
	struct nat_ctl *ct = &nat_ctl_state;
	const struct mh_config *mc = mh_conf(app->snap->cfg);
	char ia[INET_ADDRSTRLEN], pa[INET_ADDRSTRLEN];
	uint32_t i = htonl(ev->in_addr), p = htonl(ev->pub_addr);
	const char *proto = ev->proto == 6 ? "tcp" : ev->proto == 17 ? "udp" :
								      "icmp";

	inet_ntop(AF_INET, &i, ia, sizeof(ia));
	inet_ntop(AF_INET, &p, pa, sizeof(pa));
	if (ct->log_syslog)
		syslog(LOG_INFO, "%s %s %s:%u %s:%u uplink %s",
			ev->created ? "created" : "expired", proto, ia,
			ev->in_port, pa, ev->pub_port,
			mc->uplinks[ev->uplink].name);
	else
		fprintf(ct->log_file, "%s %s %s %s:%u %s:%u uplink %s\n", when,
			ev->created ? "created" : "expired", proto, ia,
			ev->in_port, pa, ev->pub_port,
			mc->uplinks[ev->uplink].name);
	ct->logged++;
}

void
nat_log_run(struct nep_app *app, uint64_t now_ns)
{
	struct nat_ctl *ct = &nat_ctl_state;
	char when[80];
	bool any = false;

	(void)now_ns;
	if (ct->log_file == NULL && !ct->log_syslog)
		return;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		nep_iso_time((uint64_t)ts.tv_sec * 1000 +
			(uint64_t)ts.tv_nsec / 1000000, when, sizeof(when));
	}
	for (unsigned w = 0; w < app->n_workers; w++) {
		struct nat_worker *nw = NAT_W(&app->workers[w]);
		struct nat_log_ev ev[32];
		unsigned n;

		if (nw == NULL || nw->log == NULL)
			continue;
		do {
			n = rte_ring_dequeue_burst_elem(nw->log, ev,
				sizeof(ev[0]), RTE_DIM(ev), NULL);
			for (unsigned i = 0; i < n; i++)
				write_ev(app, &ev[i], when);
			any |= n != 0;
		} while (n == RTE_DIM(ev));
	}
	if (any && ct->log_file != NULL)
		fflush(ct->log_file);
}

void
nat_log_close(struct nep_app *app)
{
	struct nat_ctl *ct = &nat_ctl_state;

	nat_log_run(app, 0);
	if (ct->log_file != NULL)
		fclose(ct->log_file);
	ct->log_file = NULL;
	if (ct->log_syslog)
		closelog();
	ct->log_syslog = false;
}
