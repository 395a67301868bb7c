/*
 * fabric-bench.c - the pieces of bench/fabric-bench.sh: two libvdeplug
 * plugs exchanging frames, and a host for umlab's fabric.
 *
 *   fabric-bench host DIR            a 2-port switch at DIR/a and DIR/b
 *                                    (guest ports: bess://DIR/a), until
 *                                    SIGTERM/SIGINT; counters on exit
 *   fabric-bench recv URL SECONDS    count frames for SECONDS after the first
 *                                    one; prints "frames/s N"
 *   fabric-bench send URL SIZE SECONDS   send SIZE-byte frames flat out
 *   fabric-bench host DIR LOSS SEED  the same switch, losing LOSS (0..1) of
 *                                    the frames port a gets from its plug
 *   fabric-bench sendn URL SIZE COUNT    send exactly COUNT frames
 *   fabric-bench count URL IDLE      count frames until none came for IDLE
 *                                    seconds; prints "frames N"
 * (the last three: bench/impair-accuracy.sh)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <libvdeplug.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "netsim/netsim.h"

static const unsigned char mac_recv[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const unsigned char mac_send[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "bess://PATH": connect to a stream port as UML's vector driver does and
 * hand the socket to libvdeplug's seqpacket plugin; else any vdeplug URL. */
static VDECONN *
plug(const char *url)
{
	char fdurl[32];
	VDECONN *c;

	if (strncmp(url, "bess://", 7) == 0) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

		snprintf(a.sun_path, sizeof(a.sun_path), "%s", url + 7);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			fprintf(stderr, "fabric-bench: connect %s: %s\n", url + 7, strerror(errno));
			exit(1);
		}
		snprintf(fdurl, sizeof(fdurl), "seqpacket://%d", fd);
		url = fdurl;
	}

	if ((c = vde_open((char *)url, "fabric-bench", NULL)) == NULL) {
		fprintf(stderr, "fabric-bench: vde_open %s: %s\n", url, strerror(errno));
		exit(1);
	}
	return c;
}

static void
frame(unsigned char *f, size_t len, const unsigned char *dst, const unsigned char *src)
{
	memset(f, 0x5a, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
}

static void
on_signal(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		loop_break(arg);
}

static int
host(const char *dir, double loss, uint64_t seed)
{
	struct ns_port *p[2];
	struct ns_counters c;
	struct ns_fabric *f;
	struct ns_switch *sw;
	struct loop *l;
	char path[256], err[256];
	sigset_t ss;
	int i, sfd;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	if ((l = loop_new()) == NULL || (f = ns_fabric_new(l)) == NULL ||
	    (sw = ns_switch_new(f, "bench", NS_SWITCH)) == NULL) {
		fprintf(stderr, "fabric-bench: out of memory\n");
		return 1;
	}
	for (i = 0; i < 2; i++) {
		char name[2] = { (char)('a' + i), 0 };

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if ((p[i] = ns_port_new(sw, name, path, err, sizeof(err))) == NULL) {
			fprintf(stderr, "fabric-bench: %s\n", err);
			return 1;
		}
		ns_port_allow_shm(p[i]);	/* umlab:// plugs, beside bess:// ones */
	}
	if (loss > 0) {
		struct ns_impair im = { .loss = loss };

		if (ns_impair_check(&im, err, sizeof(err)) < 0 ||
		    ns_port_impair(p[0], NS_FROM_NODE, &im, seed, err, sizeof(err)) < 0) {
			fprintf(stderr, "fabric-bench: %s\n", err);
			return 1;
		}
	}
	if ((sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK)) == -1 ||
	    loop_add_fd(l, sfd, EPOLLIN, on_signal, l) == -1) {
		fprintf(stderr, "fabric-bench: signalfd: %s\n", strerror(errno));
		return 1;
	}
	/* tell the script the ports exist */
	printf("ready\n");
	fflush(stdout);
	loop_run(l);
	for (i = 0; i < 2; i++) {
		ns_port_counters(p[i], &c);
		fprintf(stderr, "fabric port %s: rx %llu tx %llu drop %llu (loss %llu queue_full %llu)\n",
		    ns_port_name(p[i]), (unsigned long long)c.rx_frames,
		    (unsigned long long)c.tx_frames, (unsigned long long)c.drop_frames,
		    (unsigned long long)(c.dir[0].drop[NS_DROP_LOSS] + c.dir[1].drop[NS_DROP_LOSS]),
		    (unsigned long long)(c.dir[0].drop[NS_DROP_QUEUE_FULL] +
		    c.dir[1].drop[NS_DROP_QUEUE_FULL]));
	}
	loop_del_fd(l, sfd);
	close(sfd);
	ns_fabric_free(f);
	loop_free(l);
	return 0;
}

/* A plug that receives: its reads give up after 200 ms (a socket would
 * otherwise block for good once the sender stops), and a switch has
 * learned where it is before the script, told "ready", starts a sender. */
static VDECONN *
receiver(const char *url)
{
	struct timeval tmo = { 0, 200000 };
	unsigned char buf[64];
	VDECONN *c = plug(url);

	setsockopt(vde_datafd(c), SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	frame(buf, sizeof(buf), (const unsigned char *)"\xff\xff\xff\xff\xff\xff", mac_recv);
	(void)vde_send(c, buf, sizeof(buf), 0);
	printf("ready\n");
	fflush(stdout);
	return c;
}

static int
recv_frames(const char *url, double secs)
{
	unsigned char buf[2048];
	unsigned long long n = 0;
	double t0 = 0, t = 0;
	VDECONN *c = receiver(url);
	ssize_t r;

	for (;;) {
		r = vde_recv(c, buf, sizeof(buf), 0);
		if (r > 0) {
			if (n++ == 0)
				t0 = now_s();
			if ((n & 255) != 0)
				continue;
		} else if (n == 0)
			continue;
		t = now_s();
		if (t - t0 >= secs)
			break;
	}
	printf("frames/s %.0f\n", (n - 1) / (t - t0));
	vde_close(c);
	return 0;
}

static int
send_frames(const char *url, size_t size, double secs)
{
	unsigned char buf[2048];
	unsigned long long n = 0, fail = 0;
	VDECONN *c = plug(url);
	double t0 = now_s();

	frame(buf, size, mac_recv, mac_send);
	for (;;) {
		if (vde_send(c, buf, size, 0) < 0)
			fail++;
		else
			n++;
		if (((n + fail) & 255) == 0 && now_s() - t0 >= secs)
			break;
	}
	fprintf(stderr, "sender %s: sent %llu failed %llu\n", url, n, fail);
	vde_close(c);
	return 0;
}

/* Exactly count frames, each numbered; a send that fails is retried. */
static int
sendn_frames(const char *url, size_t size, unsigned long long count)
{
	unsigned char buf[2048];
	unsigned long long n = 0;
	VDECONN *c = plug(url);

	frame(buf, size, mac_recv, mac_send);
	while (n < count) {
		memcpy(buf + 14, &n, sizeof(n));
		if (vde_send(c, buf, size, 0) == (ssize_t)size)
			n++;
	}
	printf("sent %llu\n", n);
	vde_close(c);
	return 0;
}

static int
count_frames(const char *url, double idle)
{
	unsigned char buf[2048];
	unsigned long long n = 0;
	VDECONN *c = receiver(url);
	double last = now_s();
	ssize_t r;

	for (;;) {
		r = vde_recv(c, buf, sizeof(buf), 0);
		if (r > 0) {
			n++;
			last = now_s();
		} else if (n > 0 && now_s() - last >= idle) {
			break;
		}
	}
	printf("frames %llu\n", n);
	vde_close(c);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "host") == 0)
		return host(argv[2], 0, 0);
	if (argc == 5 && strcmp(argv[1], "host") == 0)
		return host(argv[2], atof(argv[3]), strtoull(argv[4], NULL, 0));
	if (argc == 5 && strcmp(argv[1], "sendn") == 0)
		return sendn_frames(argv[2], strtoul(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "count") == 0)
		return count_frames(argv[2], atof(argv[3]));
	if (argc == 4 && strcmp(argv[1], "recv") == 0)
		return recv_frames(argv[2], atof(argv[3]));
	if (argc == 5 && strcmp(argv[1], "send") == 0) {
		size_t size = strtoul(argv[3], NULL, 10);

		if (size < 14 || size > 1514) {
			fprintf(stderr, "fabric-bench: frame size %zu not in 14..1514\n", size);
			return 1;
		}
		return send_frames(argv[2], size, atof(argv[4]));
	}
	fprintf(stderr, "usage: fabric-bench host DIR [LOSS SEED] | recv URL SECONDS | "
	    "send URL SIZE SECONDS | sendn URL SIZE COUNT | count URL IDLE\n");
	return 2;
}
