/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management socket server.
 *
 * A non-EAL control thread accepts clients on a Unix stream socket and
 * reads request lines. Each line becomes a request that is passed to the
 * control lcore through a single-producer/single-consumer ring; the control
 * lcore runs it in nep_mgmt_poll() and flags it done, and the server thread
 * writes the framed reply. Appliance state is thus only ever touched by the
 * control lcore.
 *
 * Ownership of a request: the submitter allocates it. Normally it also
 * frees it once done. If the submitter gives up (timeout, shutdown) it marks
 * the request abandoned and whoever sees that mark last (control lcore or
 * nep_mgmt_stop) frees it; an atomic state word settles the race.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "nep_mgmt.h"
#include "nep_mgmt_priv.h"

RTE_LOG_REGISTER(nep_mgmt_logtype, neptune.mgmt, INFO);

#define MGMT_LOG(level, fmt, ...)                                             \
	rte_log(RTE_LOG_##level, nep_mgmt_logtype, "mgmt: " fmt "\n",        \
		##__VA_ARGS__)

#define MGMT_MAX_CLIENTS 16
#define MGMT_RING_SIZE 64
#define MGMT_POLL_BURST 4	/* requests run per nep_mgmt_poll() call */
#define MGMT_WAIT_NS 200000	/* sleep between checks of a request */
#define MGMT_TIMEOUT_MS 10000	/* control lcore unresponsive: give up */
#define MGMT_OUT_MAX (8u << 20)	/* replies queued for one client */
#define MGMT_IDLE_MS_DEFAULT 600000	/* a client silent this long goes */
#define MGMT_EVICT_IDLE_MS 1000	/* all slots taken: the longest idle
				 * client (this long at least) makes room */

enum req_state {
	REQ_PENDING,
	REQ_DONE,
	REQ_ABANDONED,
};

struct mgmt_req {
	uint32_t state;			/* enum req_state, atomic */
	int rc;
	unsigned flags;			/* NEP_DISPATCH_* */
	void *prep;			/* the command's prep, made by the
					 * submitter (nep_dispatch_prepare) */
	nep_cmd_prep_free_fn prep_free;
	struct nep_buf reply;
	char line[NEP_MGMT_LINE_MAX];
};

struct mgmt_client {
	int fd;
	bool ro;			/* read_group member: show only */
	bool overflow;			/* discarding an over-long line */
	uint64_t last_ms;		/* its last request (or connection) */
	bool eof;			/* it closed its side: done once its
					 * lines are answered and taken */
	size_t len;
	char buf[NEP_MGMT_LINE_MAX];
	/* Replies not yet taken by the client: written as the socket
	 * accepts them (POLLOUT), never with a blocking send; no more of
	 * its requests are read until they are gone. */
	char *out;
	size_t out_len, out_off, out_cap;
};

struct nep_mgmt {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ino_t ino;			/* our socket, to unlink only ours */
	int lfd;
	int wake_fd;			/* eventfd: wakes the thread to stop */
	bool running;
	bool telemetry;
	uint32_t stop;			/* atomic */
	pthread_t tid;
	struct rte_ring *ring;
	pthread_mutex_t submit_lock;	/* the ring is single-producer */
	struct nep_dispatch *disp;
	bool read_group;		/* nep_mgmt_set_read_group() done */
	uint64_t idle_ms;		/* nep_mgmt_set_idle_timeout() */
	struct mgmt_client cl[MGMT_MAX_CLIENTS];
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
req_free(struct mgmt_req *r)
{
	if (r->prep != NULL && r->prep_free != NULL)
		r->prep_free(r->prep);
	nep_buf_free(&r->reply);
	free(r);
}

int
nep_mgmt_submit(struct nep_mgmt *m, const char *line, struct nep_buf *out)
{
	return nep_mgmt_submit_flags(m, line, out, 0);
}

int
nep_mgmt_submit_flags(struct nep_mgmt *m, const char *line,
	struct nep_buf *out, unsigned flags)
{
	const struct timespec nap = { 0, MGMT_WAIT_NS };
	struct mgmt_req *r;
	uint64_t deadline;
	int rc;

	nep_buf_reset(out);
	if (strlen(line) >= sizeof(r->line)) {
		nep_buf_printf(out, "error: line too long (max %d bytes)\n",
			NEP_MGMT_LINE_MAX - 1);
		return -1;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		nep_buf_printf(out, "error: out of memory\n");
		return -1;
	}
	nep_buf_init(&r->reply);
	strcpy(r->line, line);
	r->flags = flags;
	r->state = REQ_PENDING;
	/* Slow preparation (a reload's parse) here, off the control lcore. */
	nep_dispatch_prepare(m->disp, line, flags, &r->prep, &r->prep_free);

	pthread_mutex_lock(&m->submit_lock);
	rc = rte_ring_sp_enqueue(m->ring, r);
	pthread_mutex_unlock(&m->submit_lock);
	if (rc != 0) {
		req_free(r);
		nep_buf_printf(out, "error: management queue full, retry\n");
		return -1;
	}

	/* The control lcore polls us every loop, so this is short. */
	deadline = mono_ms() + MGMT_TIMEOUT_MS;
	for (;;) {
		uint32_t expected = REQ_PENDING;

		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == REQ_DONE)
			break;
		if (__atomic_load_n(&m->stop, __ATOMIC_RELAXED) == 0 &&
		    mono_ms() < deadline) {
			nanosleep(&nap, NULL);
			continue;
		}
		if (__atomic_compare_exchange_n(&r->state, &expected,
				REQ_ABANDONED, false, __ATOMIC_ACQ_REL,
				__ATOMIC_ACQUIRE)) {
			/* the control lcore or nep_mgmt_stop() frees it */
			if (__atomic_load_n(&m->stop, __ATOMIC_RELAXED))
				nep_buf_printf(out, "error: neptune is "
					"shutting down\n");
			else
				nep_buf_printf(out, "error: timed out waiting "
					"for the control lcore\n");
			return -1;
		}
		/* it completed just now: expected == REQ_DONE */
	}
	nep_buf_append(out, r->reply.data, r->reply.len);
	rc = r->rc;
	req_free(r);
	return rc;
}

void
nep_mgmt_poll(struct nep_mgmt *m)
{
	void *objs[MGMT_POLL_BURST];
	unsigned n;

	if (m == NULL)
		return;
	n = rte_ring_sc_dequeue_burst(m->ring, objs, MGMT_POLL_BURST, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct mgmt_req *r = objs[i];
		uint32_t expected = REQ_PENDING;

		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) ==
				REQ_ABANDONED) {
			req_free(r);
			continue;
		}
		r->rc = nep_dispatch_line_prep(m->disp, r->line, &r->reply,
			r->flags, r->prep);
		/* release: the reply is complete before the waiter sees DONE */
		if (!__atomic_compare_exchange_n(&r->state, &expected, REQ_DONE,
				false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			req_free(r);	/* abandoned while running */
	}
}

/* ---- server thread ---- */

static void
client_close(struct mgmt_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->overflow = false;
	c->eof = false;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = c->out_cap = 0;
}

/* Write what the socket takes now of c's queued replies. -1: gone. */
static int
client_flush(struct mgmt_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off,
			c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;	/* the rest at POLLOUT */
			return -1;
		}
		c->out_off += (size_t)w;
	}
	c->out_len = c->out_off = 0;
	return 0;
}

/* Queue one framed reply for c and send what goes at once. -1: the
 * client is gone, or holds more unread replies than MGMT_OUT_MAX. */
static int
client_reply(struct mgmt_client *c, bool ok, const char *payload, size_t len)
{
	char hdr[32];
	int hl = snprintf(hdr, sizeof(hdr), "%s %zu\n", ok ? "OK" : "ERR", len);
	size_t need = c->out_len + (size_t)hl + len;

	if (need > MGMT_OUT_MAX)
		return -1;
	if (need > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *n;

		while (cap < need)
			cap *= 2;
		n = realloc(c->out, cap);
		if (n == NULL)
			return -1;
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, hdr, (size_t)hl);
	memcpy(c->out + c->out_len + hl, payload, len);
	c->out_len = need;
	return client_flush(c);
}

/* Write one framed reply, blocking (the refusal of a client that gets
 * no slot). Returns 0, or -1 if the client is gone. */
static int
send_frame(int fd, bool ok, const char *payload, size_t len)
{
	char hdr[32];
	struct iovec iov[2];
	struct msghdr msg;
	int hl;

	hl = snprintf(hdr, sizeof(hdr), "%s %zu\n", ok ? "OK" : "ERR", len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)hl;
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	while (msg.msg_iovlen > 0) {
		ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* partial write: advance the iovecs */
		while (msg.msg_iovlen > 0 && (size_t)w >= msg.msg_iov->iov_len) {
			w -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen > 0) {
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + w;
			msg.msg_iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int
send_text(int fd, bool ok, const char *s)
{
	return send_frame(fd, ok, s, strlen(s));
}

static int
handle_line(struct nep_mgmt *m, struct mgmt_client *c, char *line)
{
	struct nep_buf out;
	size_t len = strlen(line);
	const char *s;
	int rc;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	for (s = line; *s == ' ' || *s == '\t'; s++)
		;
	c->last_ms = mono_ms();
	if (*s == '\0')
		return client_reply(c, true, "", 0);	/* keep in step */

	nep_buf_init(&out);
	rc = nep_mgmt_submit_flags(m, line, &out,
		c->ro ? NEP_DISPATCH_READ_ONLY : 0);
	rc = client_reply(c, rc == 0, out.data ? out.data : "", out.len);
	nep_buf_free(&out);
	return rc;
}

/* Answer the complete lines in c's buffer, while its replies are taken
 * as they come (the rest waits until its queued replies are gone). */
static void
client_lines(struct nep_mgmt *m, struct mgmt_client *c)
{
	char *nl;

	while (c->fd >= 0 && c->out_len == 0 &&
		(nl = memchr(c->buf, '\n', c->len)) != NULL) {
		size_t used = (size_t)(nl - c->buf) + 1;
		int rc;

		*nl = '\0';
		if (c->overflow) {
			/* One reply per line keeps the client in step. */
			c->overflow = false;
			rc = client_reply(c, false, "error: line too long\n",
				strlen("error: line too long\n"));
		} else {
			rc = handle_line(m, c, c->buf);
		}
		if (rc < 0) {
			client_close(c);
			return;
		}
		c->len -= used;
		memmove(c->buf, c->buf + used, c->len);
	}
}

/* A client that closed its side goes once everything is answered. */
static void
client_done(struct mgmt_client *c)
{
	if (c->fd >= 0 && c->eof && c->out_len == 0 &&
		memchr(c->buf, '\n', c->len) == NULL)
		client_close(c);
}

/* Read what the client sent and answer every complete line. */
static void
client_read(struct nep_mgmt *m, struct mgmt_client *c)
{
	ssize_t n;

	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len,
		MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			client_close(c);
		return;
	}
	if (n == 0) {
		/* EOF: a last line without newline is still a request */
		c->eof = true;
		if (c->len > 0 && c->len < sizeof(c->buf) && !c->overflow &&
			memchr(c->buf, '\n', c->len) == NULL)
			c->buf[c->len++] = '\n';
		client_lines(m, c);
		client_done(c);
		return;
	}
	c->len += (size_t)n;
	client_lines(m, c);
	if (c->fd >= 0 && c->len == sizeof(c->buf) &&
		memchr(c->buf, '\n', c->len) == NULL) {
		/* no newline in a full buffer: drop until the next one */
		c->overflow = true;
		c->len = 0;
	}
}

/* The client idle the longest, if every slot is taken: it makes room
 * for a new operator. -1: none idle long enough. */
static int
evict_candidate(struct nep_mgmt *m, uint64_t now)
{
	int best = -1;

	for (unsigned i = 0; i < MGMT_MAX_CLIENTS; i++) {
		const struct mgmt_client *c = &m->cl[i];

		if (c->fd < 0)
			return -1;	/* a free slot */
		if (now - c->last_ms >= MGMT_EVICT_IDLE_MS &&
			(best < 0 || c->last_ms < m->cl[best].last_ms))
			best = (int)i;
	}
	return best;
}

static void
client_accept(struct nep_mgmt *m)
{
	uint64_t now = mono_ms();
	int fd, ev;

	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	bool ro = false;

	fd = accept4(m->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* With a read group, only root (and our own user) may change state. */
	if (__atomic_load_n(&m->read_group, __ATOMIC_ACQUIRE) &&
	    (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr,
			&crlen) != 0 || (cr.uid != 0 && cr.uid != geteuid())))
		ro = true;
	/* all slots taken: the longest idle client goes, so idle
	 * connections can never lock an operator out */
	if ((ev = evict_candidate(m, now)) >= 0) {
		MGMT_LOG(NOTICE, "all %u clients connected: closing the one idle "
			"for %" PRIu64 " ms", MGMT_MAX_CLIENTS,
			now - m->cl[ev].last_ms);
		client_close(&m->cl[ev]);
	}
	for (unsigned i = 0; i < MGMT_MAX_CLIENTS; i++) {
		if (m->cl[i].fd < 0) {
			m->cl[i].fd = fd;
			m->cl[i].ro = ro;
			m->cl[i].len = 0;
			m->cl[i].overflow = false;
			m->cl[i].last_ms = now;
			return;
		}
	}
	/* every client busy right now (one request in the last second):
	 * a short refusal, which a blocking send cannot stall for long */
	{
		struct timeval tv = { 0, 200000 };

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		send_text(fd, false, "error: too many clients\n");
	}
	close(fd);
}

static void *
mgmt_thread(void *arg)
{
	struct nep_mgmt *m = arg;
	struct pollfd pfd[2 + MGMT_MAX_CLIENTS];
	int who[2 + MGMT_MAX_CLIENTS];

	while (!__atomic_load_n(&m->stop, __ATOMIC_RELAXED)) {
		nfds_t n = 0;
		int rc;

		pfd[n].fd = m->wake_fd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = m->lfd;
		pfd[n++].events = POLLIN;
		uint64_t now = mono_ms();

		for (unsigned i = 0; i < MGMT_MAX_CLIENTS; i++) {
			struct mgmt_client *c = &m->cl[i];

			if (c->fd < 0)
				continue;
			if (now - c->last_ms > m->idle_ms) {
				client_close(c);	/* idle too long */
				continue;
			}
			who[n] = (int)i;
			pfd[n].fd = c->fd;
			/* replies pending: wait until it takes them */
			pfd[n++].events = c->out_len != 0 ? POLLOUT : POLLIN;
		}
		rc = poll(pfd, n, 1000);
		if (rc < 0) {
			if (errno != EINTR) {
				MGMT_LOG(ERR, "poll: %s", strerror(errno));
				usleep(100000);
			}
			continue;
		}
		if (__atomic_load_n(&m->stop, __ATOMIC_RELAXED))
			break;
		if (pfd[1].revents & POLLIN)
			client_accept(m);
		for (nfds_t i = 2; i < n; i++) {
			struct mgmt_client *c = &m->cl[who[i]];

			if (c->fd < 0)
				continue;	/* evicted by this round's accept */
			if (pfd[i].revents & POLLOUT) {
				if (client_flush(c) < 0) {
					client_close(c);
					continue;
				}
				if (c->out_len == 0)
					client_lines(m, c);	/* lines waiting */
				client_done(c);
				continue;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				client_read(m, c);
		}
	}
	for (unsigned i = 0; i < MGMT_MAX_CLIENTS; i++)
		client_close(&m->cl[i]);
	return NULL;
}

/* ---- setup ---- */

/* mkdir -p for the socket's directory; directories we create are 0700. */
static int
make_parent_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;	/* in the current directory, or in / */
	*slash = '\0';
	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
		return -1;
	}
	for (char *p = dir + 1; ; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = c;
		if (c == '\0')
			return 0;
	}
}

static int
listen_socket(struct nep_mgmt *m)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, m->path);

	if (lstat(m->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			MGMT_LOG(ERR, "%s exists and is not a socket", m->path);
			errno = EEXIST;
			return -1;
		}
		/* A live server answers: never steal its socket. */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
		if (rc == 0) {
			MGMT_LOG(ERR, "another server is running on %s", m->path);
			errno = EADDRINUSE;
			return -1;
		}
		MGMT_LOG(INFO, "removing stale socket %s", m->path);
		if (unlink(m->path) < 0 && errno != ENOENT)
			return -1;
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* 0600 from birth; chmod below covers a umask racing with us */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(m->path, 0600) < 0 || listen(fd, 64) < 0 ||
	    stat(m->path, &st) < 0) {
		int e = errno;

		if (rc == 0)
			unlink(m->path);
		close(fd);
		errno = e;
		return -1;
	}
	m->ino = st.st_ino;
	m->lfd = fd;
	return 0;
}

static void
mgmt_free(struct nep_mgmt *m)
{
	void *obj;

	if (m->ring != NULL) {
		/* Left-overs were abandoned by their submitters. */
		while (rte_ring_sc_dequeue(m->ring, &obj) == 0)
			req_free(obj);
		rte_ring_free(m->ring);
	}
	if (m->lfd >= 0) {
		struct stat st;

		close(m->lfd);
		if (stat(m->path, &st) == 0 && st.st_ino == m->ino)
			unlink(m->path);
	}
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	pthread_mutex_destroy(&m->submit_lock);
	free(m);
}

struct nep_mgmt *
nep_mgmt_start(const char *sock_path, struct nep_dispatch *d, bool telemetry)
{
	static uint32_t seq;
	char name[RTE_RING_NAMESIZE];
	struct nep_mgmt *m;
	int rc, e;

	if (sock_path == NULL || sock_path[0] == '\0' || d == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(sock_path) >= sizeof(m->path)) {
		MGMT_LOG(ERR, "socket path too long: %s", sock_path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	strcpy(m->path, sock_path);
	m->lfd = -1;
	m->wake_fd = -1;
	m->disp = d;
	pthread_mutex_init(&m->submit_lock, NULL);
	for (unsigned i = 0; i < MGMT_MAX_CLIENTS; i++)
		m->cl[i].fd = -1;
	m->idle_ms = MGMT_IDLE_MS_DEFAULT;

	if (make_parent_dir(m->path) < 0) {
		e = errno;
		MGMT_LOG(ERR, "cannot create the directory of %s: %s",
			m->path, strerror(e));
		goto fail;
	}
	if (listen_socket(m) < 0) {
		e = errno;
		MGMT_LOG(ERR, "cannot listen on %s: %s", m->path, strerror(e));
		goto fail;
	}
	m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->wake_fd < 0) {
		e = errno;
		goto fail;
	}
	snprintf(name, sizeof(name), "nep_mgmt_%u",
		__atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	m->ring = rte_ring_create(name, MGMT_RING_SIZE, SOCKET_ID_ANY,
		RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (m->ring == NULL) {
		e = rte_errno;
		MGMT_LOG(ERR, "cannot create ring %s: %s", name,
			rte_strerror(e));
		goto fail;
	}
	rc = rte_ctrl_thread_create(&m->tid, "nep-mgmt", NULL, mgmt_thread, m);
	if (rc != 0) {
		e = rc < 0 ? -rc : rc;
		MGMT_LOG(ERR, "cannot start the server thread: %s",
			strerror(e));
		goto fail;
	}
	m->running = true;
	if (telemetry && nep_mgmt_telemetry_attach(m) == 0)
		m->telemetry = true;
	MGMT_LOG(INFO, "listening on %s", m->path);
	return m;
fail:
	mgmt_free(m);
	errno = e;
	return NULL;
}

void
nep_mgmt_set_idle_timeout(struct nep_mgmt *m, unsigned ms)
{
	__atomic_store_n(&m->idle_ms, (uint64_t)ms, __ATOMIC_RELAXED);
}

int
nep_mgmt_set_read_group(struct nep_mgmt *m, unsigned gid)
{
	char dir[sizeof(m->path)];
	struct stat st;
	char *slash;

	if (chown(m->path, (uid_t)-1, (gid_t)gid) < 0 ||
		chmod(m->path, 0660) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s", m->path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) == 0 && !(st.st_mode & S_IXOTH) &&
			chmod(dir, (st.st_mode & 07777) | S_IXOTH) < 0)
			return -1;
	}
	__atomic_store_n(&m->read_group, true, __ATOMIC_RELEASE);
	MGMT_LOG(INFO, "%s: group %u has read-only access", m->path, gid);
	return 0;
}

void
nep_mgmt_stop(struct nep_mgmt *m)
{
	uint64_t one = 1;

	if (m == NULL)
		return;
	__atomic_store_n(&m->stop, 1, __ATOMIC_RELAXED);
	if (m->telemetry)
		nep_mgmt_telemetry_detach(m);
	if (m->running) {
		if (write(m->wake_fd, &one, sizeof(one)) < 0)
			MGMT_LOG(DEBUG, "wake: %s", strerror(errno));
		pthread_join(m->tid, NULL);
	}
	mgmt_free(m);
}
