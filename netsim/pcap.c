/*
 * pcap.c - per-port capture files in pcapng, written by hand: libpcap
 * 1.10 (Debian 12) reads pcapng but can only write classic pcap, and
 * classic pcap cannot say which way a frame went.
 *
 * A file is one section: a Section Header Block, two Interface
 * Description Blocks (0: the frames the node sent into the fabric,
 * 1: the frames the fabric delivered to the node; Ethernet, snaplen
 * NS_SNAPLEN, if_tsresol 9: nanoseconds), then an Enhanced Packet Block
 * a frame, on the interface of its direction and with epb_flags saying
 * the direction too (inbound: from the node; outbound: to the node,
 * as seen from the fabric's port).  Blocks are written in host byte
 * order; the SHB's byte-order magic tells readers which.
 *
 * An optional size limit (counted in blocks' bytes, the file's size):
 * a full file is either the last one (capture stops, the rest is
 * counted) or, with a ring of N files, renamed to PATH.1 (PATH.1 to
 * PATH.2, ...) and a new PATH begun, with its own SHB and IDBs.
 * Writes are buffered in stdio; ns_pcap_close flushes, so a file is
 * complete once closed (a killed run may leave a partial last block).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netsim/netsim_int.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define LINKTYPE_ETHERNET 1
#define OPT_ENDOFOPT 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2
#define EPB_INBOUND 1u		/* epb_flags bits 0-1: the direction */
#define EPB_OUTBOUND 2u

/* An EPB's bytes besides the padded frame: type, length, interface,
 * timestamp (2), captured and original length; epb_flags (4 + 4) and
 * opt_endofopt (4); the trailing length. */
#define EPB_OVERHEAD (7 * 4 + 8 + 4 + 4)

#define PAD4(n) (((n) + 3u) & ~(size_t)3)

struct ns_pcap {
	FILE *fp;
	char *path;
	char *name;		/* the port's, for the IDBs' if_name; may be NULL */
	uint64_t max_bytes;	/* 0: no limit */
	int files;		/* ring of files; 0 or 1: stop at the limit */
	uint64_t written;	/* bytes in the current file */
	uint64_t head;		/* bytes of SHB + IDBs */
	uint64_t missed;	/* frames not written: the limit was reached */
	int stopped;
};

/* A growing block in memory, for the header blocks. */
struct blk {
	unsigned char b[512];
	size_t n;
};

static void
put32(struct blk *k, uint32_t v)
{
	memcpy(k->b + k->n, &v, 4);
	k->n += 4;
}

static void
put16(struct blk *k, uint16_t v)
{
	memcpy(k->b + k->n, &v, 2);
	k->n += 2;
}

/* An option: code, length, value padded to 32 bits. */
static void
put_opt(struct blk *k, uint16_t code, const void *val, size_t len)
{
	if (k->n + 4 + PAD4(len) + 16 > sizeof(k->b))
		return;		/* no room: leave the option out */
	put16(k, code);
	put16(k, (uint16_t)len);
	memcpy(k->b + k->n, val, len);
	memset(k->b + k->n + len, 0, PAD4(len) - len);
	k->n += PAD4(len);
}

/* Close a block begun with type and a placeholder length. */
static void
blk_end(struct blk *k)
{
	uint32_t total = (uint32_t)(k->n + 4);

	memcpy(k->b + 4, &total, 4);
	put32(k, total);
}

static size_t
shb(struct blk *k)
{
	static const char app[] = "umlab";
	int64_t section_len = -1;	/* not given */

	k->n = 0;
	put32(k, BT_SHB);
	put32(k, 0);
	put32(k, BYTE_ORDER_MAGIC);
	put16(k, 1);			/* version 1.0 */
	put16(k, 0);
	memcpy(k->b + k->n, &section_len, 8);
	k->n += 8;
	put_opt(k, OPT_SHB_USERAPPL, app, sizeof(app) - 1);
	put16(k, OPT_ENDOFOPT);
	put16(k, 0);
	blk_end(k);
	return k->n;
}

static size_t
idb(struct blk *k, const char *port, const char *what)
{
	char name[256];
	uint8_t tsresol = 9;		/* 10^-9 s */

	if (port != NULL)
		snprintf(name, sizeof(name), "%s %s", port, what);
	else
		snprintf(name, sizeof(name), "%s", what);
	k->n = 0;
	put32(k, BT_IDB);
	put32(k, 0);
	put16(k, LINKTYPE_ETHERNET);
	put16(k, 0);
	put32(k, NS_SNAPLEN);
	put_opt(k, OPT_IF_NAME, name, strlen(name));
	put_opt(k, OPT_IF_TSRESOL, &tsresol, 1);
	put16(k, OPT_ENDOFOPT);
	put16(k, 0);
	blk_end(k);
	return k->n;
}

/* Interface 0: from the node; 1: to the node. */
static unsigned
if_of(enum ns_dir d)
{
	return d == NS_FROM_NODE ? 0 : 1;
}

static int
open_file(struct ns_pcap *c, char *err, size_t errlen)
{
	static const char *const what[2] = { "from node", "to node" };
	struct blk k;
	int i;

	if ((c->fp = fopen(c->path, "wb")) == NULL) {
		snprintf(err, errlen, "capture: %s: %s", c->path, strerror(errno));
		return -1;
	}
	c->written = 0;
	if (fwrite(k.b, 1, shb(&k), c->fp) != k.n)
		goto fail;
	c->written += k.n;
	for (i = 0; i < 2; i++) {
		if (fwrite(k.b, 1, idb(&k, c->name, what[i]), c->fp) != k.n)
			goto fail;
		c->written += k.n;
	}
	c->head = c->written;
	return 0;
fail:
	snprintf(err, errlen, "capture: %s: %s", c->path, strerror(errno));
	fclose(c->fp);
	c->fp = NULL;
	return -1;
}

struct ns_pcap *
ns_pcap_open(const char *path, const char *name, char *err, size_t errlen)
{
	struct ns_pcap *c;

	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(path)) == NULL ||
	    (name != NULL && (c->name = strdup(name)) == NULL)) {
		if (c != NULL)
			free(c->path);
		free(c);
		snprintf(err, errlen, "capture %s: out of memory", path);
		return NULL;
	}
	if (open_file(c, err, errlen) < 0) {
		free(c->name);
		free(c->path);
		free(c);
		return NULL;
	}
	return c;
}

void
ns_pcap_limit(struct ns_pcap *c, uint64_t max_bytes, int files)
{
	c->max_bytes = max_bytes;
	c->files = files;
}

uint64_t
ns_pcap_missed(const struct ns_pcap *c)
{
	return c ? c->missed : 0;
}

/* The current file is full: start the next one of the ring, or stop. */
static void
rotate(struct ns_pcap *c)
{
	char *from, *to;
	char e[256];
	int i;

	fclose(c->fp);
	c->fp = NULL;
	if (c->files <= 1) {
		c->stopped = 1;
		return;
	}
	for (i = c->files - 1; i >= 1; i--) {
		if (asprintf(&to, "%s.%d", c->path, i) < 0)
			break;
		if (i == 1)
			from = strdup(c->path);
		else if (asprintf(&from, "%s.%d", c->path, i - 1) < 0)
			from = NULL;
		if (from != NULL)
			(void)rename(from, to);
		free(from);
		free(to);
	}
	if (open_file(c, e, sizeof(e)) < 0)
		c->stopped = 1;
}

void
ns_pcap_write(struct ns_pcap *c, enum ns_dir d, const struct timespec *ts,
	      const void *frame, size_t len)
{
	static const unsigned char zero[4];
	uint32_t h[7], t[4];
	uint32_t caplen = len > NS_SNAPLEN ? NS_SNAPLEN : (uint32_t)len;
	uint64_t ns = (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
	size_t pad = PAD4(caplen) - caplen;
	uint32_t total = (uint32_t)(EPB_OVERHEAD + caplen + pad);

	if (c->max_bytes != 0 && !c->stopped && c->written + total > c->max_bytes &&
	    c->written > c->head)
		rotate(c);
	if (c->stopped) {
		c->missed++;
		return;
	}
	h[0] = BT_EPB;
	h[1] = total;
	h[2] = if_of(d);
	h[3] = (uint32_t)(ns >> 32);
	h[4] = (uint32_t)ns;
	h[5] = caplen;
	h[6] = (uint32_t)len;
	memcpy(&t[0], (const uint16_t[2]){ OPT_EPB_FLAGS, 4 }, 4);	/* code, length */
	t[1] = d == NS_FROM_NODE ? EPB_INBOUND : EPB_OUTBOUND;
	t[2] = OPT_ENDOFOPT;
	t[3] = total;
	if (fwrite(h, sizeof(h), 1, c->fp) != 1 ||
	    fwrite(frame, 1, caplen, c->fp) != caplen ||
	    fwrite(zero, 1, pad, c->fp) != pad ||
	    fwrite(t, sizeof(t), 1, c->fp) != 1) {
		/* the disk is full, or some such: stop here */
		fclose(c->fp);
		c->fp = NULL;
		c->stopped = 1;
		c->missed++;
		return;
	}
	c->written += total;
}

void
ns_pcap_close(struct ns_pcap *c)
{
	if (c == NULL)
		return;
	if (c->fp != NULL) {
		(void)fflush(c->fp);
		fclose(c->fp);
	}
	free(c->name);
	free(c->path);
	free(c);
}
