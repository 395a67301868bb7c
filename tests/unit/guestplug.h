/*
 * guestplug.h - a test's stand-in for a guest NIC: a SOCK_SEQPACKET
 * connection to a fabric port, as UML's vector driver makes, handed to
 * libvdeplug's seqpacket plugin so that tests send and receive frames
 * with vde_send/vde_recv.
 */
#ifndef UMLAB_TEST_GUESTPLUG_H
#define UMLAB_TEST_GUESTPLUG_H

#include <libvdeplug.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The connection itself, for a test that watches it: an fd, or -1. */
static inline int
guest_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%.107s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static inline VDECONN *
guest_plug(const char *path)
{
	char url[32];
	VDECONN *c;
	int fd = guest_connect(path);

	if (fd < 0)
		return NULL;
	snprintf(url, sizeof(url), "seqpacket://%d", fd);
	if ((c = vde_open(url, "test", NULL)) == NULL)
		close(fd);
	return c;
}

#endif
