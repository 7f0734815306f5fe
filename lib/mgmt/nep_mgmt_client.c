/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client side of the management protocol (no EAL): connect, send a line,
 * read one framed reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "nep_mgmt.h"

/* Replies larger than this are treated as a framing error. */
#define NEP_MGMT_REPLY_MAX (64u << 20)

int
nep_mgmt_connect(const char *sock_path)
{
	struct sockaddr_un sa;
	int fd, e;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, char *p, size_t len)
{
	while (len > 0) {
		ssize_t r = read(fd, p, len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = ECONNRESET;	/* server went away */
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int
nep_mgmt_request(int fd, const char *line, struct nep_buf *reply)
{
	char hdr[32];
	size_t hl = 0;
	unsigned long len;
	char *end;
	bool ok;

	nep_buf_reset(reply);
	if (strchr(line, '\n') != NULL) {
		errno = EINVAL;
		return -1;
	}
	if (write_all(fd, line, strlen(line)) < 0 || write_all(fd, "\n", 1) < 0)
		return -1;

	/* Header: "OK <len>\n" or "ERR <len>\n"; short, read it bytewise. */
	for (;;) {
		if (hl + 1 >= sizeof(hdr)) {
			errno = EPROTO;
			return -1;
		}
		if (read_all(fd, hdr + hl, 1) < 0)
			return -1;
		if (hdr[hl] == '\n')
			break;
		hl++;
	}
	hdr[hl] = '\0';
	if (strncmp(hdr, "OK ", 3) == 0) {
		ok = true;
		end = hdr + 3;
	} else if (strncmp(hdr, "ERR ", 4) == 0) {
		ok = false;
		end = hdr + 4;
	} else {
		errno = EPROTO;
		return -1;
	}
	errno = 0;
	len = strtoul(end, &end, 10);
	if (errno != 0 || *end != '\0' || len > NEP_MGMT_REPLY_MAX) {
		errno = EPROTO;
		return -1;
	}
	if (len > 0) {
		char *p = malloc(len);

		if (p == NULL)
			return -1;
		if (read_all(fd, p, len) < 0 ||
		    nep_buf_append(reply, p, len) < 0) {
			free(p);
			return -1;
		}
		free(p);
	}
	return ok ? 0 : 1;
}
