/*
 * pcap.c - per-port capture files through libpcap.  pcap_dump buffers in
 * stdio; ns_pcap_close flushes, so a file is complete once closed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "netsim/netsim_int.h"

#define NS_SNAPLEN 65535

struct ns_pcap {
	pcap_t *dead;
	pcap_dumper_t *dump;
};

struct ns_pcap *
ns_pcap_open(const char *path, char *err, size_t errlen)
{
	struct ns_pcap *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "capture %s: out of memory", path);
		return NULL;
	}
	if ((c->dead = pcap_open_dead(DLT_EN10MB, NS_SNAPLEN)) == NULL) {
		snprintf(err, errlen, "capture %s: pcap_open_dead failed", path);
		free(c);
		return NULL;
	}
	if ((c->dump = pcap_dump_open(c->dead, path)) == NULL) {
		/* libpcap's message already names the file */
		snprintf(err, errlen, "capture: %s", pcap_geterr(c->dead));
		pcap_close(c->dead);
		free(c);
		return NULL;
	}
	return c;
}

void
ns_pcap_write(struct ns_pcap *c, const struct timeval *tv, const void *frame, size_t len)
{
	struct pcap_pkthdr h;

	h.ts = *tv;
	h.len = (bpf_u_int32)len;
	h.caplen = len > NS_SNAPLEN ? NS_SNAPLEN : (bpf_u_int32)len;
	pcap_dump((u_char *)c->dump, &h, frame);
}

void
ns_pcap_close(struct ns_pcap *c)
{
	if (c == NULL)
		return;
	pcap_dump_flush(c->dump);
	pcap_dump_close(c->dump);
	pcap_close(c->dead);
	free(c);
}
