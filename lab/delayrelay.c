// SPDX-License-Identifier: BSD-3-Clause
/*
 * delayrelay: a fixed-delay wire between two interfaces of the root
 * namespace, for the lab (lab/delay builds and runs it; docs/lab.md,
 * "Delay and loss injection"). The kernel here has no netem.
 *
 *   delayrelay [-s SPIN_US] [-r RTPRIO] NEP_IF ISP_IF TO_MS FROM_MS [PARAMFILE]
 *
 * Every frame received on NEP_IF (neptune's tap) is sent on ISP_IF TO_MS
 * later, every frame received on ISP_IF (the root end of the veth to the
 * ISP) is sent on NEP_IF FROM_MS later: all EtherTypes, in order (a FIFO
 * per direction; a frame never leaves before the one received before it).
 *
 * - AF_PACKET SOCK_RAW sockets bound to each interface, PACKET_IGNORE_OUTGOING
 *   (the relay never reads back what it sends), promiscuous membership.
 * - PACKET_VNET_HDR on receive and send: a TSO/GSO frame or one whose
 *   checksum is still partial (veths carry both across namespaces) keeps its
 *   offload metadata, and the kernel segments and checksums it on the way
 *   out as the bridge would have.
 * - Arrival time: the kernel's receive timestamp (SO_TIMESTAMPNS, converted
 *   to CLOCK_MONOTONIC) when it is plausible, else the time of recvmsg.
 * - Departure: an absolute CLOCK_MONOTONIC timerfd armed SPIN_US (default
 *   100) before the head of the queues, then ppoll with a zero timeout until
 *   it is due: a timer here (a VM) fires 20-70 us late, often more. Polling
 *   takes at most half of each 10 ms; beyond that the timer alone decides
 *   (less precise, but a SCHED_FIFO poller never starves the CPU's other
 *   tasks). SCHED_FIFO priority RTPRIO (default 10; 0: SCHED_OTHER, far
 *   less precise under load) and 1 ns timer slack.
 * - SIGHUP: re-read "TO_MS FROM_MS" from PARAMFILE; frames already queued
 *   keep their departure time, new ones never overtake them.
 * - SIGUSR1: counters to stderr. SIGTERM/SIGINT: counters, exit (queued
 *   frames are dropped). Exits by itself when an interface disappears.
 * - Prints "ready" on stdout once both sockets are bound.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define RXBUF (256 * 1024)          /* a GSO frame of up to 64 KiB and more */
#define BATCH 64                    /* frames read per socket per round */
#define QMAX_BYTES (256u << 20)     /* per direction; tail drop beyond */
#define SPIN_WINDOW_NS 10000000LL  /* polling budget: half of each 10 ms */
#define MAX_DELAY_NS (60000LL * 1000000LL)

/* upper bounds (us) of the lateness buckets; the last one is open */
static const int late_us[] = { 5, 10, 20, 50, 100, 200, 500, 1000, 5000 };
#define NLATE (sizeof(late_us) / sizeof(late_us[0]) + 1)

struct pkt {
	struct pkt *next;
	int64_t due;
	uint32_t len;
	unsigned char data[];
};

struct dir {
	const char *name;
	int rx, tx;
	int64_t delay;
	struct pkt *head, *tail;
	size_t qbytes, qlen, qlen_max;
	int64_t last_due;
	uint64_t rx_pkts, tx_pkts, drop_queue, drop_tx, drop_trunc;
	int64_t late_max;
	uint64_t late[NLATE]; /* departures by lateness, buckets late_us[] */
};

static volatile sig_atomic_t got_term, got_hup, got_usr1;
static void on_sig(int s)
{
	if (s == SIGHUP)
		got_hup = 1;
	else if (s == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static int64_t mono(void) { return clock_ns(CLOCK_MONOTONIC); }

static int parse_ms(const char *s, int64_t *ns)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v * 1e6 > (double)MAX_DELAY_NS)
		return -1;
	*ns = (int64_t)(v * 1e6 + 0.5);
	return 0;
}

static int open_sock(const char *ifname, int *ifindex)
{
	int fd, one = 1, big = 8 << 20;
	struct sockaddr_ll sll;
	struct packet_mreq mr;

	*ifindex = (int)if_nametoindex(ifname);
	if (!*ifindex) {
		fprintf(stderr, "delayrelay: no interface %s\n", ifname);
		return -1;
	}
	/* protocol 0: receives nothing until bound to the interface below */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto fail;
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = *ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)))
		goto fail;
	return fd;
fail:
	fprintf(stderr, "delayrelay: %s: %s\n", ifname, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void stats(struct dir *d, int n)
{
	for (int i = 0; i < n; i++) {
		char h[256];
		size_t o = 0;
		for (size_t b = 0; b < NLATE; b++)
			o += (size_t)snprintf(h + o, sizeof(h) - o, " %s%d:%" PRIu64,
					      b + 1 < NLATE ? "<" : ">=",
					      late_us[b + 1 < NLATE ? b : b - 1], d[i].late[b]);
		fprintf(stderr,
			"delayrelay: %s delay %.3f ms: rx %" PRIu64 " tx %" PRIu64
			" drop(queue %" PRIu64 " tx %" PRIu64 " trunc %" PRIu64 ")"
			" queued %zu (max %zu); late max %.1f us, by us%s\n",
			d[i].name, d[i].delay / 1e6, d[i].rx_pkts, d[i].tx_pkts,
			d[i].drop_queue, d[i].drop_tx, d[i].drop_trunc, d[i].qlen,
			d[i].qlen_max, d[i].late_max / 1e3, h);
	}
}

static int read_params(const char *file, struct dir *d)
{
	char a[64], b[64];
	int64_t to, from;
	FILE *f = fopen(file, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%63s %63s", a, b) != 2 || parse_ms(a, &to) || parse_ms(b, &from)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	d[0].delay = to;
	d[1].delay = from;
	return 0;
}

/* An error on a socket: the interface went down (keep going, as a wire
 * would) or disappeared (exit). */
static int sock_error(const char *ifname, int ifindex, int err)
{
	char name[IF_NAMESIZE];
	if (err == EAGAIN || err == EINTR || err == ENOBUFS)
		return 0;
	if (!if_indextoname((unsigned)ifindex, name) || strcmp(name, ifname)) {
		fprintf(stderr, "delayrelay: %s is gone, exiting\n", ifname);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char buf[RXBUF];
	const char *ifn[2], *paramfile = NULL;
	int ifx[2], s[2], tfd;
	struct dir d[2];
	struct sigaction sa;
	sigset_t block, empty;
	struct sched_param sp;
	int64_t armed = -1, spin = 100000, win = 0, spun = 0, last = 0;
	int was_busy = 0;
	int rtprio = 10;

	for (int o; (o = getopt(argc, argv, "s:r:")) != -1;) {
		char *end;
		long v = strtol(optarg, &end, 10);
		if (*end || v < 0 || (o == 's' && v > 10000) || (o == 'r' && v > 99))
			goto usage;
		if (o == 's')
			spin = v * 1000;
		else
			rtprio = (int)v;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc != 5 && argc != 6) {
usage:
		fprintf(stderr, "usage: delayrelay [-s SPIN_US] [-r RTPRIO] NEP_IF ISP_IF TO_MS FROM_MS [PARAMFILE]\n");
		return 2;
	}
	ifn[0] = argv[1];
	ifn[1] = argv[2];
	memset(d, 0, sizeof(d));
	d[0].name = "to";   /* NEP_IF -> ISP_IF */
	d[1].name = "from"; /* ISP_IF -> NEP_IF */
	if (parse_ms(argv[3], &d[0].delay) || parse_ms(argv[4], &d[1].delay)) {
		fprintf(stderr, "delayrelay: bad delay (ms, 0..60000)\n");
		return 2;
	}
	if (argc == 6)
		paramfile = argv[5];

	prctl(PR_SET_TIMERSLACK, 1UL);
	sp.sched_priority = rtprio;
	if (rtprio && sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp))
		fprintf(stderr, "delayrelay: no SCHED_FIFO (%s): timing less precise\n",
			strerror(errno));

	for (int i = 0; i < 2; i++)
		if ((s[i] = open_sock(ifn[i], &ifx[i])) < 0)
			return 1;
	d[0].rx = s[0];
	d[0].tx = s[1];
	d[1].rx = s[1];
	d[1].tx = s[0];
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0) {
		perror("delayrelay: timerfd_create");
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&empty);

	printf("ready\n");
	fflush(stdout);

	while (!got_term) {
		static const struct timespec zero;
		struct pollfd pfd[3];
		int64_t now = mono(), next = -1, wake;
		int busy;

		if (got_hup) {
			got_hup = 0;
			if (!paramfile || read_params(paramfile, d))
				fprintf(stderr, "delayrelay: SIGHUP: cannot read %s\n",
					paramfile ? paramfile : "(no PARAMFILE)");
			else
				fprintf(stderr, "delayrelay: delay now to %.3f ms, from %.3f ms\n",
					d[0].delay / 1e6, d[1].delay / 1e6);
		}
		if (got_usr1) {
			got_usr1 = 0;
			stats(d, 2);
		}

		/* send what is due */
		for (int i = 0; i < 2; i++) {
			struct dir *q = &d[i];
			while (q->head && q->head->due <= (now = mono())) {
				struct pkt *p = q->head;
				int64_t late = now - p->due;
				if (send(q->tx, p->data, p->len, MSG_DONTWAIT) < 0) {
					q->drop_tx++;
					if (sock_error(ifn[i ^ 1], ifx[i ^ 1], errno))
						got_term = 2;
				} else {
					q->tx_pkts++;
				}
				if (late > q->late_max)
					q->late_max = late;
				{
					size_t b = 0;
					while (b + 1 < NLATE && late >= late_us[b] * 1000LL)
						b++;
					q->late[b]++;
				}
				q->head = p->next;
				if (!q->head)
					q->tail = NULL;
				q->qlen--;
				q->qbytes -= p->len;
				free(p);
			}
			if (q->head && (next < 0 || q->head->due < next))
				next = q->head->due;
		}
		if (got_term)
			break;

		/* A timer wakes up tens of microseconds late here (a VM): sleep
		 * until SPIN before the next departure, poll from there on;
		 * but never more than half of each 10 ms on polling (with
		 * SCHED_FIFO it would starve the CPU's other tasks), beyond
		 * that the timer alone. */
		if (was_busy)
			spun += now - last;
		if (now - win >= SPIN_WINDOW_NS) {
			win = now;
			spun = 0;
		}
		last = now;
		busy = next >= 0 && next - now <= spin && spun < SPIN_WINDOW_NS / 2;
		was_busy = busy;
		wake = busy || next < 0 ? -1 : next - spin;
		if (wake != armed) {
			struct itimerspec its;
			memset(&its, 0, sizeof(its));
			if (wake >= 0) {
				its.it_value.tv_sec = wake / 1000000000LL;
				its.it_value.tv_nsec = wake % 1000000000LL;
			}
			timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
			armed = wake;
		}

		pfd[0].fd = s[0];
		pfd[1].fd = s[1];
		pfd[2].fd = tfd;
		for (int i = 0; i < 3; i++) {
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (ppoll(pfd, 3, busy ? &zero : NULL, &empty) < 0) {
			if (errno == EINTR)
				continue;
			perror("delayrelay: ppoll");
			break;
		}
		if (pfd[2].revents & POLLIN) {
			uint64_t x;
			if (read(tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
				perror("delayrelay: timerfd read");
			armed = -1; /* expired: re-arm for the next head */
		}

		for (int i = 0; i < 2; i++) {
			struct dir *q = &d[i];
			if (!(pfd[i].revents & (POLLIN | POLLERR)))
				continue;
			for (int n = 0; n < BATCH; n++) {
				char cbuf[CMSG_SPACE(sizeof(struct timespec))];
				struct iovec iov = { buf, sizeof(buf) };
				struct msghdr mh = { 0 };
				struct cmsghdr *c;
				struct virtio_net_hdr *vh;
				int64_t arr, mnow, rnow, due;
				struct pkt *p;
				ssize_t len;

				mh.msg_iov = &iov;
				mh.msg_iovlen = 1;
				mh.msg_control = cbuf;
				mh.msg_controllen = sizeof(cbuf);
				len = recvmsg(q->rx, &mh, MSG_DONTWAIT);
				if (len < 0) {
					if (errno != EAGAIN && sock_error(ifn[i], ifx[i], errno))
						got_term = 2;
					break;
				}
				mnow = mono();
				q->rx_pkts++;
				if ((mh.msg_flags & MSG_TRUNC) || len < (ssize_t)sizeof(*vh)) {
					q->drop_trunc++;
					continue;
				}
				/* the kernel's receive time, on CLOCK_MONOTONIC */
				arr = mnow;
				for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
					if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
						struct timespec ts;
						int64_t k;
						memcpy(&ts, CMSG_DATA(c), sizeof(ts));
						rnow = clock_ns(CLOCK_REALTIME);
						k = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec -
						    (rnow - mono());
						/* plausible: not ahead, at most 2 ms old */
						if (k <= mnow && mnow - k < 2000000)
							arr = k;
					}
				}
				vh = (struct virtio_net_hdr *)buf;
				vh->flags &= ~VIRTIO_NET_HDR_F_DATA_VALID;
				if (q->qbytes + (size_t)len > QMAX_BYTES) {
					q->drop_queue++;
					continue;
				}
				p = malloc(sizeof(*p) + (size_t)len);
				if (!p) {
					q->drop_queue++;
					continue;
				}
				due = arr + q->delay;
				if (due < q->last_due)
					due = q->last_due; /* never overtake */
				q->last_due = due;
				p->next = NULL;
				p->due = due;
				p->len = (uint32_t)len;
				memcpy(p->data, buf, (size_t)len);
				if (q->tail)
					q->tail->next = p;
				else
					q->head = p;
				q->tail = p;
				q->qlen++;
				q->qbytes += (size_t)len;
				if (q->qlen > q->qlen_max)
					q->qlen_max = q->qlen;
			}
		}
	}
	stats(d, 2);
	return got_term == 2 ? 3 : 0;
}
