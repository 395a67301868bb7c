/*
 * test_shm.c - the umlab:// transport: the real plugin (loaded by
 * libvdeplug from VDEPLUGIN_PATH) against the real fabric on its loop.
 * Frames both ways, with a guest's SOCK_SEQPACKET NIC on the same switch,
 * a burst larger than the rings (backpressure, nothing lost, in order),
 * a plug that goes away or is replaced, and a plug that breaks its ring.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "netsim/netsim_int.h"
#include "netsim/shmring.h"
#include "tests/unit/guestplug.h"
#include "tests/unit/netrig.h"

#define BURST 5000

struct opener {
	char url[160];
	VDECONN *c;
	int err, done;
};

static void *
open_thread(void *arg)
{
	struct opener *o = arg;

	o->c = vde_open(o->url, "test", NULL);
	o->err = errno;
	__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* vde_open("umlab://PATH") while the fabric's loop answers it. */
static VDECONN *
shm_plug(struct rig *r, const char *name)
{
	struct opener o = { .c = NULL };
	pthread_t t;

	snprintf(o.url, sizeof(o.url), "umlab://%s/%s", r->dir, name);
	assert_int_equal(pthread_create(&t, NULL, open_thread, &o), 0);
	while (!__atomic_load_n(&o.done, __ATOMIC_ACQUIRE))
		loop_run_once(r->l, 5);
	pthread_join(t, NULL);
	if (o.c == NULL)
		fail_msg("vde_open %s: %s", o.url, strerror(o.err));
	return o.c;
}

/* A port for a umlab:// plug, with no client yet. */
static struct ns_port *
bare_port(struct rig *r, int i, const char *name)
{
	ns_port_allow_shm(port_alone(r, r->sw[0], i, name));
	return r->p[i];
}

static int
setup(void **state)
{
	struct rig *r = rig_new("shm");

	r->sw[0] = ns_switch_new(r->f, "s1", NS_SWITCH);
	*state = r;
	return 0;
}

static void
test_frames_both_ways(void **state)
{
	struct rig *r = *state;
	uint8_t f[64], b[2048];
	struct ns_counters ca, cb;
	size_t n;

	bare_port(r, 0, "a");
	bare_port(r, 1, "b");
	r->c[0] = shm_plug(r, "a");
	r->c[1] = shm_plug(r, "b");
	assert_int_equal(ns_port_shm_plugs(r->p[0]), 1);
	n = craft(f, mac_bc, mac_a, 0, 0x11);
	sendf(r->c[0], f, n);
	assert_int_equal(got(r, r->c[1], b), (ssize_t)n);
	assert_memory_equal(b, f, n);
	/* b answers a by unicast: the switch learned a's MAC */
	n = craft(f, mac_a, mac_x, 0, 0x22);
	sendf(r->c[1], f, n);
	assert_int_equal(got(r, r->c[0], b), (ssize_t)n);
	assert_memory_equal(b, f, n);
	ns_port_counters(r->p[0], &ca);
	ns_port_counters(r->p[1], &cb);
	assert_int_equal(ca.rx_frames, 1);
	assert_int_equal(ca.tx_frames, 1);
	assert_int_equal(cb.rx_frames, 1);
	assert_int_equal(cb.tx_frames, 1);
	assert_int_equal(ca.drop_frames + cb.drop_frames, 0);
}

/* A umlab:// plug and a guest's NIC on the same switch. */
static void
test_beside_a_guest(void **state)
{
	struct rig *r = *state;
	uint8_t f[64], b[2048];
	size_t n;

	bare_port(r, 0, "a");
	r->c[0] = shm_plug(r, "a");
	port(r, r->sw[0], 1, "g");
	n = craft(f, mac_x, mac_a, 0, 0x33);
	sendf(r->c[0], f, n);
	assert_int_equal(got(r, r->c[1], b), (ssize_t)n);
	assert_memory_equal(b, f, n);
	n = craft(f, mac_a, mac_x, 0, 0x44);
	sendf(r->c[1], f, n);
	assert_int_equal(got(r, r->c[0], b), (ssize_t)n);
	assert_memory_equal(b, f, n);
}

struct sender {
	VDECONN *c;
	int sent;
};

static void *
send_thread(void *arg)
{
	struct sender *s = arg;
	uint8_t f[64];
	size_t n = craft(f, mac_x, mac_a, 0, 0);

	for (s->sent = 0; s->sent < BURST; s->sent++) {
		memcpy(f + 14, &s->sent, sizeof(s->sent));
		if (vde_send(s->c, f, n, 0) != (ssize_t)n)
			break;
	}
	return NULL;
}

/* More frames than both rings hold, sent flat out by a blocking sender
 * to a receiver that reads between loop rounds as vde_plug does (poll
 * the datafd, then one vde_recv): all arrive, in order.  A lost kick
 * leaves the receiver waiting on a datafd that never turns readable. */
static void
test_burst_is_not_lost(void **state)
{
	struct rig *r = *state;
	struct sender s;
	struct ns_counters cb;
	pthread_t t;
	uint8_t b[2048];
	int want = 0, idle = 0;

	bare_port(r, 0, "a");
	bare_port(r, 1, "b");
	r->c[0] = shm_plug(r, "a");
	r->c[1] = shm_plug(r, "b");
	/* b makes itself known, so that frames to mac_x are unicast */
	{
		uint8_t f[64];
		size_t n = craft(f, mac_bc, mac_x, 0, 0);

		sendf(r->c[1], f, n);
		loop_run_once(r->l, 5);
		assert_int_equal(got(r, r->c[0], b), (ssize_t)n);
	}
	s.c = r->c[0];
	assert_int_equal(pthread_create(&t, NULL, send_thread, &s), 0);
	while (want < BURST && idle < 2000) {
		struct pollfd pf = { .fd = vde_datafd(r->c[1]), .events = POLLIN };
		ssize_t k;
		int v;

		loop_run_once(r->l, 1);
		idle++;
		while (poll(&pf, 1, 0) == 1) {
			if ((k = vde_recv(r->c[1], b, sizeof(b), 0)) < 0)
				fail_msg("vde_recv after POLLIN: %s", strerror(errno));
			if (k == 0)
				break;	/* a kick for frames read already */
			memcpy(&v, b + 14, sizeof(v));
			assert_int_equal(v, want);
			want++;
			idle = 0;
		}
	}
	pthread_join(t, NULL);
	assert_int_equal(s.sent, BURST);
	assert_int_equal(want, BURST);
	ns_port_counters(r->p[1], &cb);
	assert_int_equal(cb.dir[NS_TO_NODE].drop[NS_DROP_QUEUE_FULL], 0);
}

/* A frame too large for a slot is dropped as mtu, not truncated. */
static void
test_too_large_for_a_slot(void **state)
{
	struct rig *r = *state;
	static uint8_t f[3000];
	uint8_t b[2048];
	struct ns_counters ca;

	bare_port(r, 0, "a");
	r->c[0] = shm_plug(r, "a");
	port(r, r->sw[0], 1, "g");
	craft(f, mac_bc, mac_x, 0, 0x55);
	sendf(r->c[1], f, sizeof(f));
	assert_int_equal(got(r, r->c[0], b), 0);
	ns_port_counters(r->p[0], &ca);
	assert_int_equal(ca.dir[NS_TO_NODE].drop[NS_DROP_MTU], 1);
	/* and the plug refuses one on its side */
	errno = 0;
	assert_int_equal(vde_send(r->c[0], f, sizeof(f), 0), -1);
	assert_int_equal(errno, EMSGSIZE);
}

/* The plug closes: frames for it are no_peer drops; a new one takes over. */
static void
test_plug_goes_and_comes_back(void **state)
{
	struct rig *r = *state;
	uint8_t f[64], b[2048];
	struct ns_counters ca;
	size_t n;

	bare_port(r, 0, "a");
	r->c[0] = shm_plug(r, "a");
	port(r, r->sw[0], 1, "g");
	vde_close(r->c[0]);
	r->c[0] = NULL;
	n = craft(f, mac_bc, mac_x, 0, 0x66);
	sendf(r->c[1], f, n);
	(void)got(r, r->c[1], b);
	ns_port_counters(r->p[0], &ca);
	assert_int_equal(ca.dir[NS_TO_NODE].drop[NS_DROP_NO_PEER], 1);
	r->c[0] = shm_plug(r, "a");
	assert_int_equal(ns_port_shm_plugs(r->p[0]), 2);
	sendf(r->c[1], f, n);
	assert_int_equal(got(r, r->c[0], b), (ssize_t)n);
}

/* A plug made by hand, to misbehave: its connection (returned), its
 * mapping and its descriptors. */
struct raw {
	int s, fds[SHM_NFDS];
	struct shm_area *area;
	uint32_t size;
};

static void
raw_plug(struct rig *r, const char *name, struct raw *p)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * SHM_NFDS)];
	} cm;
	struct shm_welcome w;
	struct iovec iov = { &w, sizeof(w) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
		.msg_controllen = sizeof(cm.b) };
	struct pollfd pf = { .events = POLLIN };
	int i;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", r->dir, name);
	assert_true((p->s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) >= 0);
	assert_int_equal(connect(p->s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(send(p->s, SHM_HELLO, sizeof(SHM_HELLO), 0), (ssize_t)sizeof(SHM_HELLO));
	/* run the fabric until its welcome is there (at most ~2 s) */
	pf.fd = p->s;
	for (i = 0; i < 1000 && poll(&pf, 1, 0) == 0; i++)
		loop_run_once(r->l, 2);
	assert_int_equal(recvmsg(p->s, &mh, MSG_DONTWAIT), (ssize_t)sizeof(w));
	memcpy(p->fds, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(p->fds));
	p->size = w.size;
	p->area = mmap(NULL, w.size, PROT_READ | PROT_WRITE, MAP_SHARED, p->fds[0], 0);
	assert_true(p->area != MAP_FAILED);
}

static void
raw_kick_and_run(struct rig *r, struct raw *p)
{
	uint64_t one = 1;
	int i;

	assert_int_equal(write(p->fds[1], &one, sizeof(one)), (ssize_t)sizeof(one));
	for (i = 0; i < 10; i++)
		loop_run_once(r->l, 2);
}

static void
raw_close(struct raw *p)
{
	munmap(p->area, p->size);
	for (int i = 0; i < SHM_NFDS; i++)
		close(p->fds[i]);
	close(p->s);
}

/* The memfd is sealed, and a head far ahead of the tail ends the
 * connection without harm. */
static void
test_broken_ring_is_dropped(void **state)
{
	struct rig *r = *state;
	struct pollfd pf;
	struct ns_counters ca;
	struct raw p;

	bare_port(r, 0, "a");
	raw_plug(r, "a", &p);
	assert_int_equal(ftruncate(p.fds[0], 4096), -1);	/* sealed */
	assert_int_equal(errno, EPERM);
	atomic_store(&p.area->ring[SHM_TOFAB].head, 100000);
	raw_kick_and_run(r, &p);
	ns_port_counters(r->p[0], &ca);
	assert_int_equal(ca.rx_errors, 1);
	assert_int_equal(ca.rx_frames, 0);
	pf.fd = p.s;
	pf.events = POLLRDHUP;
	assert_int_equal(poll(&pf, 1, 100), 1);	/* the fabric hung up */
	raw_close(&p);
}

/* A slot length over the MTU is an rx error, not a read past the slot;
 * the good frame after it goes through. */
static void
test_bad_length_is_an_error(void **state)
{
	struct rig *r = *state;
	struct shm_ring *ring;
	struct ns_counters ca;
	uint8_t b[2048];
	struct raw p;
	size_t n;

	bare_port(r, 0, "a");
	raw_plug(r, "a", &p);
	port(r, r->sw[0], 1, "g");
	ring = &p.area->ring[SHM_TOFAB];
	ring->slot[0].len = SHM_SLOTSZ * 4;
	n = craft(ring->slot[1].data, mac_bc, mac_a, 0, 0x77);
	ring->slot[1].len = (uint32_t)n;
	atomic_store(&ring->head, 2);
	raw_kick_and_run(r, &p);
	assert_int_equal(got(r, r->c[1], b), (ssize_t)n);
	assert_memory_equal(b, ring->slot[1].data, n);
	ns_port_counters(r->p[0], &ca);
	assert_int_equal(ca.rx_errors, 1);
	assert_int_equal(ca.rx_frames, 2);
	assert_int_equal(atomic_load(&ring->tail), 2);
	raw_close(&p);
}

/* On a guest's port (no ns_port_allow_shm) the hello is only a frame:
 * a guest that sends those bytes cannot turn its port into rings. */
static void
test_guest_port_ignores_hello(void **state)
{
	struct rig *r = *state;
	char path[128];
	uint8_t b[2048];
	int fd;

	port(r, r->sw[0], 1, "g2");
	port_alone(r, r->sw[0], 0, "g1");	/* a guest's port: no ns_port_allow_shm */
	snprintf(path, sizeof(path), "%s/g1", r->dir);
	assert_true((fd = guest_connect(path)) >= 0);
	assert_int_equal(send(fd, SHM_HELLO, sizeof(SHM_HELLO), 0), (ssize_t)sizeof(SHM_HELLO));
	assert_int_equal(got(r, r->c[1], b), (ssize_t)sizeof(SHM_HELLO));
	assert_memory_equal(b, SHM_HELLO, sizeof(SHM_HELLO));
	assert_int_equal(ns_port_shm_plugs(r->p[0]), 0);
	close(fd);
}

static void
on_alarm(int sig)
{
	(void)sig;
	fail_msg("the fabric blocked on a descriptor the plug made blocking");
}

/* The plug makes every descriptor it got blocking (O_NONBLOCK is shared
 * with the fabric's copies), asks for room kicks it never reads, and
 * floods frames: the fabric never blocks. */
static void
test_plug_cannot_block_the_fabric(void **state)
{
	struct rig *r = *state;
	struct shm_ring *ring;
	struct raw p;
	int i;

	bare_port(r, 0, "a");
	raw_plug(r, "a", &p);
	for (i = 1; i < SHM_NFDS; i++)
		assert_int_equal(fcntl(p.fds[i], F_SETFL, 0), 0);
	ring = &p.area->ring[SHM_TOFAB];
	signal(SIGALRM, on_alarm);
	alarm(30);
	for (i = 0; i < 400000; i++) {
		uint32_t h = atomic_load(&ring->head);

		ring->slot[h & (SHM_SLOTS - 1)].len = 60;
		atomic_store(&ring->prod_wait, 1);
		atomic_store(&ring->head, h + 1);
		(void)!send(p.fds[1], "k", 1, MSG_DONTWAIT);
		loop_run_once(r->l, 0);
	}
	alarm(0);
	assert_true(r->p[0]->c.rx_frames > 300000);
	raw_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frames_both_ways, setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_beside_a_guest, setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_burst_is_not_lost, setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_too_large_for_a_slot, setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_plug_goes_and_comes_back, setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_broken_ring_is_dropped, setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_bad_length_is_an_error, setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_guest_port_ignores_hello, setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_plug_cannot_block_the_fabric, setup, rig_teardown),
	};

	if (getenv("VDEPLUGIN_PATH") == NULL)
		setenv("VDEPLUGIN_PATH", "netsim:" VDEPLUG_SYSDIR, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
