/*
 * pcap.c - per-port capture files through libpcap, with nanosecond
 * timestamps, and an optional size limit: a full file is either the
 * last one (capture stops, the rest is counted) or, with a ring of N
 * files, renamed to PATH.1 (PATH.1 to PATH.2, ...) and a new PATH begun.
 * pcap_dump buffers in stdio; ns_pcap_close flushes, so a file is
 * complete once closed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netsim/netsim_int.h"

#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16

struct ns_pcap {
	pcap_t *dead;
	pcap_dumper_t *dump;
	char *path;
	uint64_t max_bytes;	/* 0: no limit */
	int files;		/* ring of files; 0 or 1: stop at the limit */
	uint64_t written;	/* bytes in the current file */
	uint64_t missed;	/* frames not written: the limit was reached */
	int stopped;
};

static int
open_dump(struct ns_pcap *c, char *err, size_t errlen)
{
	if ((c->dump = pcap_dump_open(c->dead, c->path)) == NULL) {
		/* libpcap's message already names the file */
		snprintf(err, errlen, "capture: %s", pcap_geterr(c->dead));
		return -1;
	}
	c->written = PCAP_FILE_HDR;
	return 0;
}

struct ns_pcap *
ns_pcap_open(const char *path, char *err, size_t errlen)
{
	struct ns_pcap *c;

	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		snprintf(err, errlen, "capture %s: out of memory", path);
		return NULL;
	}
	c->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, NS_SNAPLEN,
	    PCAP_TSTAMP_PRECISION_NANO);
	if (c->dead == NULL) {
		snprintf(err, errlen, "capture %s: pcap_open_dead failed", path);
		free(c->path);
		free(c);
		return NULL;
	}
	if (open_dump(c, err, errlen) < 0) {
		pcap_close(c->dead);
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

	pcap_dump_close(c->dump);
	c->dump = NULL;
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
	if (open_dump(c, e, sizeof(e)) < 0)
		c->stopped = 1;
}

void
ns_pcap_write(struct ns_pcap *c, const struct timespec *ts, const void *frame, size_t len)
{
	struct pcap_pkthdr h;
	uint64_t rec;

	h.ts.tv_sec = ts->tv_sec;
	h.ts.tv_usec = ts->tv_nsec;	/* nanoseconds: the file says so */
	h.len = (bpf_u_int32)len;
	h.caplen = len > NS_SNAPLEN ? NS_SNAPLEN : (bpf_u_int32)len;
	rec = PCAP_REC_HDR + h.caplen;
	if (c->max_bytes != 0 && !c->stopped && c->written + rec > c->max_bytes &&
	    c->written > PCAP_FILE_HDR)
		rotate(c);
	if (c->stopped) {
		c->missed++;
		return;
	}
	pcap_dump((u_char *)c->dump, &h, frame);
	c->written += rec;
}

void
ns_pcap_close(struct ns_pcap *c)
{
	if (c == NULL)
		return;
	if (c->dump != NULL) {
		pcap_dump_flush(c->dump);
		pcap_dump_close(c->dump);
	}
	pcap_close(c->dead);
	free(c->path);
	free(c);
}
