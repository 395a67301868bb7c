/*
 * pcap-count - read a capture back with libpcap and print how many frames
 * match a BPF filter.  Used by the end-to-end tests.
 *   pcap-count FILE [FILTER]
 * Exit status 0, or 2 when the file cannot be read or the filter is bad.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct bpf_program prog;
	struct pcap_pkthdr *h;
	const unsigned char *data;
	unsigned long n = 0;
	pcap_t *p;
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: pcap-count FILE [FILTER]\n");
		return 2;
	}
	if ((p = pcap_open_offline(argv[1], errbuf)) == NULL) {
		fprintf(stderr, "pcap-count: %s\n", errbuf);
		return 2;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "pcap-count: %s: not an Ethernet capture\n", argv[1]);
		return 2;
	}
	if (pcap_compile(p, &prog, argc == 3 ? argv[2] : "", 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(p, &prog) < 0) {
		fprintf(stderr, "pcap-count: filter: %s\n", pcap_geterr(p));
		return 2;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1)
		n++;
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "pcap-count: %s: %s\n", argv[1], pcap_geterr(p));
		return 2;
	}
	printf("%lu\n", n);
	pcap_freecode(&prog);
	pcap_close(p);
	return 0;
}
