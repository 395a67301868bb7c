/*
 * mconsole.c - UML management console client.
 *
 * Wire format (arch/um/drivers/mconsole.h): a request is
 *   u32 magic 0xcafebabe, u32 version 2, u32 len, char data[512];
 * a reply is u32 err, u32 more, u32 len, char data[512].  The guest
 * answers to the sender's address, so we autobind an abstract address.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "node/mconsole.h"

#define MCONSOLE_MAGIC 0xcafebabe
#define MCONSOLE_VERSION 2
#define MCONSOLE_MAX_DATA 512

struct mc_request {
	uint32_t magic, version, len;
	char data[MCONSOLE_MAX_DATA];
};

struct mc_reply {
	uint32_t err, more, len;
	char data[MCONSOLE_MAX_DATA];
};

int
mconsole_command(const char *socket_path, const char *cmd, char *reply, size_t replylen,
		 int timeout_ms)
{
	struct sockaddr_un to = { .sun_family = AF_UNIX };
	sa_family_t autobind = AF_UNIX;
	struct mc_request req = { .magic = MCONSOLE_MAGIC, .version = MCONSOLE_VERSION };
	struct mc_reply rep;
	struct pollfd pfd;
	size_t n = strlen(cmd);
	int fd, saved;

	if (n >= MCONSOLE_MAX_DATA || strlen(socket_path) >= sizeof(to.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(req.data, cmd, n);
	req.len = (uint32_t)n;
	strcpy(to.sun_path, socket_path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	/* Binding with only the family asks for an autobound abstract name. */
	if (bind(fd, (struct sockaddr *)&autobind, sizeof(autobind)) < 0)
		goto fail;
	if (sendto(fd, &req, sizeof(req.magic) * 3 + n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		goto fail;
	if (reply == NULL) {
		close(fd);
		return 0;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, timeout_ms) <= 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	memset(&rep, 0, sizeof(rep));
	if (recv(fd, &rep, sizeof(rep), 0) < (ssize_t)(3 * sizeof(uint32_t)))
		goto fail;
	if (rep.len > MCONSOLE_MAX_DATA)
		rep.len = MCONSOLE_MAX_DATA;
	snprintf(reply, replylen, "%.*s", (int)rep.len, rep.data);
	close(fd);
	return rep.err ? -1 : 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
