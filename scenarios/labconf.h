/*
 * labconf.h - reading a Kathará/Netkit lab folder: lab.conf, lab.dep and
 * lab.ext, with the rules of Kathará 3.8's parsers (LabParser, DepParser,
 * ExtParser, Machine.add_meta).  Pure: it reads those three files and
 * nothing else; what the lab means for umlab is kathara.c's business.
 *
 * Every error is "FILE:LINE: what is wrong" (FILE is lab.conf, lab.dep or
 * lab.ext, relative to the lab folder).  Where umlab is stricter than
 * Kathará (an unknown option is an error here, a silently kept typo
 * there), the message says so.
 */
#ifndef UMLAB_LABCONF_H
#define UMLAB_LABCONF_H

#include <stddef.h>
#include <stdint.h>

struct lc_iface {
	int index;               /* N in dev[N] */
	char *cd;                /* collision domain */
	int has_mac;
	uint8_t mac[6];
	int line;
};

struct lc_kv {
	char *key;
	char *value;
	int line;
};

struct lc_device {
	char *name;
	int line;                /* first line that names it */
	struct lc_iface *ifaces; /* sorted by index, 0..n-1 without gaps */
	size_t nifaces;
	/* Options as written (NULL: not given). */
	char *image, *mem, *cpus, *shell, *entrypoint, *args, *num_terms_s;
	unsigned mem_mb;         /* mem in MiB (0: not given) */
	int mem_line;
	int ipv6;                /* -1 not given, 0, 1 */
	int bridged;             /* 0/1 */
	int privileged;          /* 0/1 */
	int num_terms;           /* -1 not given */
	char **exec;             /* in order (repeatable) */
	size_t nexec;
	struct lc_kv *sysctls;   /* net.* only; a repeated key keeps its place, last value */
	size_t nsysctls;
	struct lc_kv *envs;
	size_t nenvs;
	struct lc_kv *ulimits;   /* key -> "soft:hard" */
	size_t nulimits;
	struct lc_kv *ports;     /* "host/proto" -> guest port */
	size_t nports;
	struct lc_kv *volumes;   /* host path -> "guest|mode" */
	size_t nvolumes;
};

/* lab.dep: `dev: a b c` (dev starts after a, b and c). */
struct lc_dep {
	char *device;
	char **after;
	size_t nafter;
	int line;
};

/* lab.ext: `CD host_iface[.vlan]`. */
struct lc_ext {
	char *cd;
	char *host_iface;
	int vlan;                /* 0: none */
	int line;
};

struct lc_lab {
	char *dir;               /* the lab folder (NULL when parsed from text) */
	/* LAB_* metadata (NULL when absent) */
	char *name, *description, *version, *author, *email, *web;
	struct lc_device *devices;   /* in order of first mention */
	size_t ndevices;
	char **cds;                  /* collision domains, in order of first mention */
	size_t ncds;
	struct lc_dep *deps;
	size_t ndeps;
	char **start_order;          /* every device; lab.dep respected, else lab.conf order */
	size_t nstart_order;
	struct lc_ext *exts;
	size_t nexts;
	char **warnings;             /* "lab.conf:4: ..." things Kathará only warns about */
	size_t nwarnings;
};

/* Read DIR/lab.conf (required), DIR/lab.dep and DIR/lab.ext (optional).
 * NULL with err filled on any error. */
struct lc_lab *lc_load(const char *dir, char *err, size_t errlen);

/* The same from text, for tests: conf is lab.conf's text; dep and ext
 * may be NULL (file absent). */
struct lc_lab *lc_parse(const char *conf, const char *dep, const char *ext, char *err, size_t errlen);

void lc_free(struct lc_lab *lab);
/* Free n key/value pairs, or n strings, and the array. */
void lc_free_kvs(struct lc_kv *kv, size_t n);
void lc_free_strv(char **v, size_t n);

struct lc_device *lc_find_device(const struct lc_lab *lab, const char *name);
/* Value of sysctl key on dev (NULL: not set). */
const char *lc_sysctl(const struct lc_device *dev, const char *key);

/* Kathará's memory syntax ("64m", "128M", "1g", "512" = MiB) -> MiB.
 * -1 on a bad value. */
long lc_parse_mem(const char *s);
/* Python's strtobool: y yes t true on 1 / n no f false off 0. -1 otherwise. */
int lc_strtobool(const char *s);

#endif
