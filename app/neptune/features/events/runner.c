/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hook runner: a control thread (rte_ctrl_thread_create, not an EAL
 * lcore) that takes events from a bounded queue and runs each hook that
 * wants them, one at a time, in order:
 *
 *   argv: EXEC ARGS... KIND SUBJECT
 *   env:  NEPTUNE_EVENT, NEPTUNE_SUBJECT, NEPTUNE_FROM, NEPTUNE_TO,
 *         NEPTUNE_REASON, NEPTUNE_TIME (RFC 3339, UTC), NEPTUNE_TIME_MS,
 *         NEPTUNE_SEQ, NEPTUNE_HOOK, NEPTUNE_SOCKET (the management socket,
 *         for neptune-cli -s), NEPTUNE_UPLINK / NEPTUNE_PORT /
 *         NEPTUNE_PEER when the subject is one, and a plain PATH
 *
 * in its own process group, stdin /dev/null, stdout and stderr logged
 * line by line, no other descriptor inherited, default signal
 * dispositions; killed (the whole group) when it outlives its timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_lcore.h>

#include "events.h"

struct ev_job {
	struct ev_event ev;
	struct ev_hook_conf hook;
};

struct ev_runner {
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	unsigned head, n;
	struct ev_job q[EV_QUEUE];
	uint64_t counts[EV_RUN_MAX];
	bool has_last;
	struct ev_last_run last;
	char socket[NEP_PATH_MAX];
};

/* Log the complete lines of buf (len), keep the rest at the front. */
static size_t
log_lines(const char *hook, char *buf, size_t len, bool flush)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n') {
			NEP_LOG(INFO, "hook %s: %.*s", hook, (int)(i - start),
				buf + start);
			start = i + 1;
		}
	if (flush && start < len) {
		NEP_LOG(INFO, "hook %s: %.*s", hook, (int)(len - start),
			buf + start);
		start = len;
	}
	memmove(buf, buf + start, len - start);
	return len - start;
}

static void
env_add(char **env, unsigned *n, const char *k, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return;
	if (asprintf(&env[*n], "%s=%s", k, v) >= 0)
		(*n)++;
}

static enum ev_result
run_hook(struct ev_runner *r, const struct ev_job *j, int *status)
{
	const struct ev_event *ev = &j->ev;
	const char *kind = ev_kind_names[ev->kind];
	char *argv[EV_MAX_ARGS + 4];
	unsigned na = 0;
	char *env[20] = { NULL };
	char tbuf[64], ms[24], seq[24], out[4096];
	unsigned ne = 0;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int pfd[2], rc;
	size_t olen = 0;
	pid_t pid;
	enum ev_result res = EV_RUN_OK;
	uint64_t deadline = nep_now_ms() + j->hook.timeout_ms;
	bool exited = false, killed = false;

	argv[na++] = (char *)(uintptr_t)j->hook.exec;
	for (unsigned i = 0; i < j->hook.n_args; i++)
		argv[na++] = (char *)(uintptr_t)j->hook.args[i];
	argv[na++] = (char *)(uintptr_t)kind;
	argv[na++] = (char *)(uintptr_t)ev->subject;
	argv[na] = NULL;
	nep_iso_time(ev->wall_ms, tbuf, sizeof(tbuf));
	snprintf(ms, sizeof(ms), "%" PRIu64, ev->wall_ms);
	snprintf(seq, sizeof(seq), "%" PRIu64, ev->seq);
	env_add(env, &ne, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
		"/usr/bin:/sbin:/bin");
	env_add(env, &ne, "NEPTUNE_EVENT", kind);
	env_add(env, &ne, "NEPTUNE_SUBJECT", ev->subject);
	env_add(env, &ne, "NEPTUNE_FROM", ev->from);
	env_add(env, &ne, "NEPTUNE_TO", ev->to);
	env_add(env, &ne, "NEPTUNE_REASON", ev->reason);
	env_add(env, &ne, "NEPTUNE_TIME", tbuf);
	env_add(env, &ne, "NEPTUNE_TIME_MS", ms);
	env_add(env, &ne, "NEPTUNE_SEQ", seq);
	env_add(env, &ne, "NEPTUNE_HOOK", j->hook.name);
	env_add(env, &ne, "NEPTUNE_SOCKET", r->socket);
	if (strncmp(kind, "uplink_", 7) == 0)
		env_add(env, &ne, "NEPTUNE_UPLINK", ev->subject);
	else if (strncmp(kind, "port_", 5) == 0)
		env_add(env, &ne, "NEPTUNE_PORT", ev->subject);
	else if (strncmp(kind, "tunnel_", 7) == 0)
		env_add(env, &ne, "NEPTUNE_PEER", ev->subject);
	env[ne] = NULL;

	*status = -1;
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) != 0) {
		NEP_LOG(ERR, "hook %s: pipe: %s", j->hook.name, strerror(errno));
		res = EV_RUN_FAILED;
		goto out_env;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&def);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);	/* SIGPIPE ignored here */
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
		POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, j->hook.exec, &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pfd[1]);
	if (rc != 0) {
		NEP_LOG(ERR, "hook %s: cannot run %s: %s", j->hook.name,
			j->hook.exec, strerror(rc));
		close(pfd[0]);
		res = EV_RUN_FAILED;
		goto out_env;
	}
	while (!exited) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t got;
		pid_t w;

		if (poll(&p, 1, 10) > 0) {
			got = read(pfd[0], out + olen, sizeof(out) - 1 - olen);
			if (got > 0)
				olen = log_lines(j->hook.name, out,
					olen + (size_t)got,
					olen + (size_t)got >= sizeof(out) - 1);
		}
		w = waitpid(pid, status, WNOHANG);
		if (w == pid) {
			exited = true;
		} else if (w < 0 && errno != EINTR) {
			break;
		} else if (!killed && nep_now_ms() >= deadline) {
			NEP_LOG(WARNING, "hook %s: still running after %u ms, "
				"killed", j->hook.name, j->hook.timeout_ms);
			kill(-pid, SIGKILL);
			killed = true;
			res = EV_RUN_TIMEOUT;
		}
	}
	/* What it wrote last (a grandchild keeping the pipe open is not
	 * waited for). */
	for (;;) {
		ssize_t got = read(pfd[0], out + olen, sizeof(out) - 1 - olen);
		if (got <= 0)
			break;
		olen = log_lines(j->hook.name, out, olen + (size_t)got,
			olen + (size_t)got >= sizeof(out) - 1);
	}
	log_lines(j->hook.name, out, olen, true);
	close(pfd[0]);
	if (res == EV_RUN_OK && (!exited || !WIFEXITED(*status) ||
		WEXITSTATUS(*status) != 0)) {
		res = EV_RUN_FAILED;
		NEP_LOG(WARNING, "hook %s (%s %s): %s %d", j->hook.name, kind,
			ev->subject, exited && WIFSIGNALED(*status) ?
			"killed by signal" : "exit status",
			exited && WIFSIGNALED(*status) ? WTERMSIG(*status) :
			exited ? WEXITSTATUS(*status) : -1);
	}
out_env:
	for (unsigned i = 0; i < ne; i++)
		free(env[i]);
	return res;
}

static void *
runner_main(void *arg)
{
	struct ev_runner *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct ev_job j;
		enum ev_result res;
		uint64_t t0;
		int status;

		while (r->n == 0 && !r->stop)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->stop)
			break;
		j = r->q[r->head];
		r->head = (r->head + 1) % EV_QUEUE;
		r->n--;
		pthread_mutex_unlock(&r->lock);

		t0 = nep_now_ms();
		res = run_hook(r, &j, &status);

		pthread_mutex_lock(&r->lock);
		r->counts[res]++;
		r->has_last = true;
		snprintf(r->last.hook, sizeof(r->last.hook), "%s", j.hook.name);
		snprintf(r->last.kind, sizeof(r->last.kind), "%s",
			ev_kind_names[j.ev.kind]);
		r->last.result = res;
		r->last.status = status >= 0 && WIFEXITED(status) ?
			WEXITSTATUS(status) : -1;
		r->last.ms = nep_now_ms() - t0;
		r->last.wall_ms = j.ev.wall_ms;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct ev_runner *
ev_runner_start(const char *socket)
{
	struct ev_runner *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	snprintf(r->socket, sizeof(r->socket), "%s", socket);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	if (rte_ctrl_thread_create(&r->tid, "nep-hooks", NULL, runner_main,
		r) != 0) {
		NEP_LOG(ERR, "hooks: cannot start the runner thread");
		free(r);
		return NULL;
	}
	return r;
}

void
ev_runner_stop(struct ev_runner *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	/* A hook in progress finishes or is killed at its timeout. */
	pthread_join(r->tid, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r);
}

bool
ev_runner_post(struct ev_runner *r, const struct ev_config *cfg,
	const struct ev_event *ev)
{
	bool all = true;

	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < cfg->n_hooks; i++) {
		struct ev_job *j;

		if (!(cfg->hooks[i].kinds & (1u << ev->kind)))
			continue;
		if (r->n == EV_QUEUE) {
			r->counts[EV_RUN_DROPPED]++;
			all = false;
			continue;
		}
		j = &r->q[(r->head + r->n) % EV_QUEUE];
		j->ev = *ev;
		j->hook = cfg->hooks[i];
		r->n++;
	}
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return all;
}

void
ev_runner_counts(struct ev_runner *r, uint64_t out[EV_RUN_MAX])
{
	pthread_mutex_lock(&r->lock);
	memcpy(out, r->counts, sizeof(r->counts));
	pthread_mutex_unlock(&r->lock);
}

bool
ev_runner_last(struct ev_runner *r, struct ev_last_run *out)
{
	bool has;

	pthread_mutex_lock(&r->lock);
	has = r->has_last;
	*out = r->last;
	pthread_mutex_unlock(&r->lock);
	return has;
}
