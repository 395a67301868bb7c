/* netrig.c - see netrig.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/guestplug.h"
#include "tests/unit/netrig.h"

struct ns_port *
port_alone(struct rig *r, struct ns_switch *sw, int i, const char *name)
{
	char err[256], path[128];

	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	if ((r->p[i] = ns_port_new(sw, name, path, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	return r->p[i];
}

struct ns_port *
port(struct rig *r, struct ns_switch *sw, int i, const char *name)
{
	char path[128];

	port_alone(r, sw, i, name);
	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	if ((r->c[i] = guest_plug(path)) == NULL)
		fail_msg("connect %s: %s", path, strerror(errno));
	return r->p[i];
}

struct rig *
rig_new(const char *tag)
{
	struct rig *r = calloc(1, sizeof(*r));

	snprintf(r->dir, sizeof(r->dir), "/tmp/umlab-test-%s.XXXXXX", tag);
	assert_non_null(mkdtemp(r->dir));
	r->l = loop_new();
	r->f = ns_fabric_new(r->l);
	return r;
}

int
rig_teardown(void **state)
{
	struct rig *r = *state;
	char cmd[128];
	int i;

	for (i = 0; i < NETRIG_PORTS; i++)
		if (r->c[i] != NULL)
			vde_close(r->c[i]);
	ns_fabric_free(r->f);
	loop_free(r->l);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", r->dir);
	free(r);
	return 0;
}

size_t
craft(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], int vid, uint8_t fill)
{
	size_t o = 12, i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (vid) {
		f[12] = 0x81;
		f[13] = 0x00;
		f[14] = (uint8_t)(vid >> 8);
		f[15] = (uint8_t)vid;
		o = 16;
	}
	f[o] = 0x88;
	f[o + 1] = 0xb5;
	for (i = o + 2; i < o + 48; i++)
		f[i] = fill;
	return o + 48;
}

ssize_t
got(struct rig *r, VDECONN *c, uint8_t *buf)
{
	struct pollfd pfd = { .fd = vde_datafd(c), .events = POLLIN };
	int i;

	for (i = 0; i < 30; i++)
		loop_run_once(r->l, 1);
	if (poll(&pfd, 1, 0) != 1)
		return 0;
	return vde_recv(c, buf, 2048, 0);
}

void
sendf(VDECONN *c, const uint8_t *f, size_t len)
{
	assert_int_equal(vde_send(c, f, len, 0), (ssize_t)len);
}
