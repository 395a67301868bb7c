/*
 * kathara.c - a parsed Kathará lab (labconf.c) as an umlab lab and a run
 * plan per device.  See kathara.h.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lab.h"
#include "core/util.h"
#include "guest/proto.h"
#include "scenarios/kathara.h"

#define PUSH(arr, n) (grow((void **)&(arr), (n), sizeof(*(arr))), &(arr)[(n)++])
#define MEM_MIN_MB 40
#define MEM_MAX_MB 4096

static void
grow(void **arr, size_t n, size_t size)
{
	void *a = realloc(*arr, (n + 1) * size);

	if (a == NULL)
		abort();
	memset((char *)a + n * size, 0, size);
	*arr = a;
}

static void __attribute__((format(printf, 2, 3)))
note(struct kathara_lab *kl, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	*PUSH(kl->notes, kl->nnotes) = s;
}

/* --- images and packages --- */

static const struct image {
	const char *name;       /* without tag; "*wireshark*" style: substring match when sub */
	int sub;
	const char *packages;   /* required */
	const char *note;
	int skip;
} images[] = {
	{ "kathara/base", 0, "iproute2 iputils-ping", NULL, 0 },
	{ "kathara/frr", 0, "iproute2 iputils-ping frr", NULL, 0 },
	{ "kathara/quagga", 0, "iproute2 iputils-ping",
	  "Quagga is not packaged in Debian 12 (its last release is in Debian 11): `systemctl start "
	  "quagga` will fail; move the lab to kathara/frr, whose daemons read most Quagga configurations", 0 },
	{ "kathara/bind", 0, "iproute2 iputils-ping bind9 bind9-dnsutils", NULL, 0 },
	{ "kathara/apache", 0, "iproute2 iputils-ping apache2", NULL, 0 },
	{ "kathara/openvswitch", 0, "iproute2 iputils-ping openvswitch-switch", NULL, 0 },
	{ "kathara/sdn", 0, "iproute2 iputils-ping openvswitch-switch", NULL, 0 },
	{ "kathara/bird", 0, "iproute2 iputils-ping bird2", NULL, 0 },
	{ "kathara/p4", 0, "iproute2 iputils-ping",
	  "P4 (bmv2, simple_switch) is not packaged in Debian 12; its programs will be missing", 0 },
	{ "wireshark", 1, "",
	  "not started: it is a desktop tool that watches traffic; umlab's own capture (a pcapng file "
	  "per link, under pcap/) serves this", 1 },
};

/* Extras that Kathará's base image has and labs often use. */
static const char suggested_base[] = "tcpdump traceroute net-tools bind9-dnsutils curl";

/* Services started by `systemctl start X`, `service X start`, `/etc/init.d/X start`. */
static const struct { const char *service, *package; } services[] = {
	{ "frr", "frr" }, { "apache2", "apache2" }, { "bind9", "bind9" }, { "named", "bind9" },
	{ "ssh", "openssh-server" }, { "sshd", "openssh-server" }, { "nginx", "nginx" },
	{ "isc-dhcp-server", "isc-dhcp-server" }, { "openvswitch-switch", "openvswitch-switch" },
	{ "bird", "bird2" }, { "vsftpd", "vsftpd" }, { "squid", "squid" },
};

/* Commands at the start of a startup line. */
static const struct { const char *cmd, *package; } commands[] = {
	{ "ifconfig", "net-tools" }, { "route", "net-tools" }, { "arp", "net-tools" },
	{ "tcpdump", "tcpdump" }, { "traceroute", "traceroute" }, { "iptables", "iptables" },
	{ "nft", "nftables" }, { "dhclient", "isc-dhcp-client" }, { "curl", "curl" },
	{ "wget", "wget" }, { "dig", "bind9-dnsutils" }, { "nslookup", "bind9-dnsutils" },
	{ "ovs-vsctl", "openvswitch-switch" }, { "bridge", "iproute2" }, { "ip", "iproute2" },
	{ "ping", "iputils-ping" }, { "iperf3", "iperf3" }, { "vtysh", "frr" },
};

const char *
kathara_image_packages(const char *image, const char **note, int *skip)
{
	char name[256];
	char *colon;

	*note = NULL;
	*skip = 0;
	snprintf(name, sizeof(name), "%s", image ? image : "kathara/base");
	/* drop a tag (the colon after the last slash) */
	if ((colon = strrchr(name, ':')) != NULL && strchr(colon, '/') == NULL)
		*colon = '\0';
	for (size_t i = 0; i < sizeof(images) / sizeof(*images); i++)
		if (images[i].sub ? strstr(name, images[i].name) != NULL : strcmp(name, images[i].name) == 0) {
			*note = images[i].note;
			*skip = images[i].skip;
			return images[i].packages;
		}
	*note = "an image umlab does not know: its nodes run the host's programs, like kathara/base";
	return images[0].packages;
}

int
kathara_pkg_installed(const char *pkg)
{
	const char *dir = getenv("UMLAB_DPKG_INFO");
	char *path;
	glob_t g;
	int ok;

	if (dir == NULL || *dir == '\0')
		dir = "/var/lib/dpkg/info";
	path = xasprintf("%s/%s.list", dir, pkg);
	ok = access(path, F_OK) == 0;
	free(path);
	if (ok)
		return 1;
	path = xasprintf("%s/%s:*.list", dir, pkg);
	ok = glob(path, 0, NULL, &g) == 0 && g.gl_pathc > 0;
	globfree(&g);
	free(path);
	return ok;
}

static int
in_list(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static void
need(struct kathara_lab *kl, const char *pkgs, int required)
{
	char *dup = xstrdup(pkgs), *save = NULL;

	for (char *p = strtok_r(dup, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
		if (required)   /* a suggestion that turns out to be needed */
			for (size_t i = 0; i < kl->nsuggested; i++)
				if (strcmp(kl->suggested[i], p) == 0) {
					free(kl->suggested[i]);
					kl->suggested[i] = kl->suggested[--kl->nsuggested];
					break;
				}
		if (in_list(kl->missing, kl->nmissing, p) || in_list(kl->suggested, kl->nsuggested, p) ||
		    kathara_pkg_installed(p))
			continue;
		if (required)
			*PUSH(kl->missing, kl->nmissing) = xstrdup(p);
		else
			*PUSH(kl->suggested, kl->nsuggested) = xstrdup(p);
	}
	free(dup);
}

char *
kathara_apt_line(const struct kathara_lab *kl)
{
	char *line, *p;

	if (kl->nmissing == 0)
		return NULL;
	line = xstrdup("apt-get install -y");
	for (size_t i = 0; i < kl->nmissing; i++) {
		p = xasprintf("%s %s", line, kl->missing[i]);
		free(line);
		line = p;
	}
	return line;
}

/* --- reading startup files (the packages they need) --- */

static char *
read_text(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *t = read_file(path, 1 << 20, NULL);

	free(path);
	return t;
}

/* Split a line into at most max words (in place; '#' ends the line). */
static int
words(char *line, char **w, int max)
{
	int n = 0;
	char *save = NULL;

	if ((line = strchr(line, '#') ? (*strchr(line, '#') = '\0', line) : line) == NULL)
		return 0;
	for (char *p = strtok_r(line, " \t\r;", &save); p && n < max; p = strtok_r(NULL, " \t\r;", &save))
		w[n++] = p;
	return n;
}

static void
scan_needs(struct kathara_lab *kl, const char *text)
{
	char *buf = xstrdup(text), *save = NULL;

	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *w[8];
		int n = words(line, w, 8);
		const char *svc = NULL;

		if (n == 0)
			continue;
		if (strcmp(w[0], "systemctl") == 0 && n >= 3)
			svc = w[2];
		else if (strcmp(w[0], "service") == 0 && n >= 2)
			svc = w[1];
		else if (strncmp(w[0], "/etc/init.d/", 12) == 0)
			svc = w[0] + 12;
		if (svc != NULL) {
			char s[64];

			snprintf(s, sizeof(s), "%s", svc);
			if (strlen(s) > 8 && strcmp(s + strlen(s) - 8, ".service") == 0)
				s[strlen(s) - 8] = '\0';
			if (strcmp(s, "quagga") == 0 || strcmp(s, "zebra") == 0) {
				if (!kl->quagga_noted++)
					note(kl, "a startup file starts Quagga, which Debian 12 does not package; "
						 "it will fail (use FRR)");
				continue;
			}
			for (size_t i = 0; i < sizeof(services) / sizeof(*services); i++)
				if (strcmp(s, services[i].service) == 0)
					need(kl, services[i].package, 1);
			continue;
		}
		for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
			if (strcmp(w[0], commands[i].cmd) == 0)
				need(kl, commands[i].package, 1);
	}
	free(buf);
}

/* --- the run plan --- */

/* 'text' quoted for the shell. */
static char *
sq(const char *s)
{
	size_t n = 2;
	char *out, *o;

	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	o = out = xcalloc(1, n + 1);
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *p;
	}
	*o = '\'';
	return out;
}

static void
add_sysctl(struct kathara_node *kn, const char *key, const char *value)
{
	struct lc_kv *kv;

	for (size_t i = 0; i < kn->nsysctls; i++)
		if (strcmp(kn->sysctls[i].key, key) == 0) {
			free(kn->sysctls[i].value);
			kn->sysctls[i].value = xstrdup(value);
			return;
		}
	kv = PUSH(kn->sysctls, kn->nsysctls);
	kv->key = xstrdup(key);
	kv->value = xstrdup(value);
}

/* DockerMachine.create(): defaults, then the device's own, per interface too. */
static void
plan_sysctls(struct kathara_node *kn)
{
	const struct lc_device *d = kn->dev;
	int v6 = d->ipv6 == 1;   /* Kathará's default setting enable_ipv6 is false */

	add_sysctl(kn, "net.ipv4.conf.all.rp_filter", "0");
	add_sysctl(kn, "net.ipv4.conf.default.rp_filter", "0");
	add_sysctl(kn, "net.ipv4.conf.lo.rp_filter", "0");
	add_sysctl(kn, "net.ipv4.ip_forward", "1");
	add_sysctl(kn, "net.ipv4.icmp_ratelimit", "0");
	if (v6) {
		add_sysctl(kn, "net.ipv6.conf.all.forwarding", "1");
		add_sysctl(kn, "net.ipv6.conf.all.accept_ra", "0");
		add_sysctl(kn, "net.ipv6.icmp.ratelimit", "0");
		add_sysctl(kn, "net.ipv6.conf.default.disable_ipv6", "0");
		add_sysctl(kn, "net.ipv6.conf.all.disable_ipv6", "0");
	} else {
		add_sysctl(kn, "net.ipv6.conf.default.disable_ipv6", "1");
		add_sysctl(kn, "net.ipv6.conf.all.disable_ipv6", "1");
		add_sysctl(kn, "net.ipv6.conf.default.forwarding", "0");
		add_sysctl(kn, "net.ipv6.conf.all.forwarding", "0");
	}
	for (size_t i = 0; i < d->nsysctls; i++)
		add_sysctl(kn, d->sysctls[i].key, d->sysctls[i].value);
	for (size_t i = 0; i < d->nifaces; i++) {
		char k[64];

		snprintf(k, sizeof(k), "net.ipv4.conf.eth%d.rp_filter", d->ifaces[i].index);
		add_sysctl(kn, k, "0");
		snprintf(k, sizeof(k), "net.ipv6.conf.eth%d.disable_ipv6", d->ifaces[i].index);
		add_sysctl(kn, k, v6 ? "0" : "1");
		if (v6) {
			snprintf(k, sizeof(k), "net.ipv6.conf.eth%d.forwarding", d->ifaces[i].index);
			add_sysctl(kn, k, "1");
		}
	}
}

struct sbuf {
	char *s;
	size_t len;
};

static void __attribute__((format(printf, 2, 3)))
out(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	b->s = realloc(b->s, b->len + (size_t)n + 1);
	if (b->s == NULL)
		abort();
	memcpy(b->s + b->len, s, (size_t)n + 1);
	b->len += (size_t)n;
	free(s);
}

/*
 * Put a host file into the script, to be written at guestpath when the
 * script runs: the start sequence then needs nothing of the lab's folder
 * in the guest (whose uid may not read it: a lab under /root when umlab
 * runs as root).  Returns 0, or -1 when the file cannot be read.
 */
static int
embed(struct sbuf *b, const char *hostpath, const char *guestpath, int mode)
{
	char *text = read_file(hostpath, 4 << 20, NULL), *q = sq(guestpath);
	char delim[32];
	int n = 0;

	if (text == NULL) {
		free(q);
		return -1;
	}
	/* A delimiter the text does not hold on a line of its own. */
	do
		snprintf(delim, sizeof(delim), "UMLAB_EOF_%d", n++);
	while (strstr(text, delim) != NULL);
	out(b, "mkdir -p \"$(dirname %s)\" && cat > %s <<'%s'\n%s%s%s\n", q, q, delim, text,
	    *text && text[strlen(text) - 1] != '\n' ? "\n" : "", delim);
	if (mode)
		out(b, "chmod %o %s\n", mode, q);
	free(q);
	free(text);
	return 0;
}

/* A lab file's host path, if it exists. */
static char *
lab_file(const struct kathara_lab *kl, const char *name)
{
	char *p = xasprintf("%s/%s", kl->dir, name);

	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* The systemctl stand-in, written into the guest; PATH starts there. */
#define SHIM_DIR "/run/umlab-kathara"

static void
embed_shim(struct sbuf *b, const struct kathara_lab *kl)
{
	char *shim = xasprintf("%s/systemctl", kl->shimdir);

	if (embed(b, shim, SHIM_DIR "/systemctl", 0755) < 0)
		out(b, "echo 'umlab: the systemctl stand-in %s is missing' >&2\n", shim);
	free(shim);
}

char *
kathara_startup_script(const struct kathara_lab *kl, const struct kathara_node *kn)
{
	const struct lc_device *d = kn->dev;
	const char *shell = d->shell ? d->shell : "/bin/bash";
	struct sbuf b = { 0 };
	char *q, *q2, *f, *name;

	out(&b, "#!/bin/bash\n# Written by umlab from %s/lab.conf for device %s: Kathará 3.8's start "
		"sequence.\n", kl->dir, d->name);
	embed_shim(&b, kl);
	out(&b, "export PATH=" SHIM_DIR ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
	for (size_t i = 0; i < d->nenvs; i++) {
		q = sq(d->envs[i].value);
		out(&b, "export %s=%s\n", d->envs[i].key, q);
		free(q);
	}
	out(&b, "umlab_sysctl() {\n\tprintf '%%s\\n' \"$2\" > \"/proc/sys/$(printf '%%s' \"$1\" | tr . /)\" "
		"2>/dev/null ||\n\t\techo \"umlab: %s: sysctl $1=$2 failed\" >&2\n}\n", d->name);
	for (size_t i = 0; i < kn->nsysctls; i++) {
		q = sq(kn->sysctls[i].value);
		/* Debian's UML has no IPv6: nothing to disable then. */
		out(&b, "%sumlab_sysctl %s %s\n", strncmp(kn->sysctls[i].key, "net.ipv6.", 9) == 0 ?
		    "[ -d /proc/sys/net/ipv6 ] && " : "", kn->sysctls[i].key, q);
		free(q);
	}
	if (kl->shared_dir != NULL) {
		q = sq(kl->shared_dir);
		out(&b, "mkdir -p /shared && mount -t hostfs none /shared -o %s ||\n"
			"\techo \"umlab: %s: cannot mount the lab's shared/ at /shared\" >&2\n", q, d->name);
		free(q);
	} else
		out(&b, "mkdir -p /shared\n");
	for (size_t i = 0; i < d->nvolumes; i++) {
		char *guest = xstrdup(d->volumes[i].value), *mode = strrchr(guest, '|');

		*mode++ = '\0';
		f = xasprintf("%s%s", strcmp(mode, "rw") == 0 ? "" : "ro,", d->volumes[i].key);
		q = sq(guest);
		q2 = sq(f);
		out(&b, "mkdir -p %s && mount -t hostfs -o %s none %s\n", q, q2, q);
		free(f);
		free(q);
		free(q2);
		free(guest);
	}
	out(&b, "if [ ! -s /etc/hosts ]; then\n\tprintf '127.0.0.1 localhost\\n::1 localhost\\n"
		"127.0.1.1 %s\\n' > /etc/hosts\nfi\n", d->name);
	out(&b, "if [ -d /var/www ]; then chmod -R 777 /var/www/*; fi\n");
	out(&b, "if [ -d /etc/quagga ]; then chown -R quagga:quagga /etc/quagga/; chmod 640 /etc/quagga/*; fi\n");
	out(&b, "if [ -d /etc/frr ]; then chown -R frr:frr /etc/frr/; chmod 640 /etc/frr/*; fi\n");
	out(&b, "umlab_rc=0\n");
	/* Kathará prepends `set -x` to each file and runs it with the device's shell. */
	if ((f = lab_file(kl, "shared.startup")) != NULL && embed(&b, f, SHIM_DIR "/shared.startup", 0) == 0)
		out(&b, "%s -x " SHIM_DIR "/shared.startup > /var/log/shared.log 2>&1 || { umlab_rc=$?; "
			"echo \"umlab: %s: shared.startup exited with $umlab_rc (see /var/log/shared.log)\" >&2; }\n",
		    shell, d->name);
	free(f);
	name = xasprintf("%s.startup", d->name);
	if ((f = lab_file(kl, name)) != NULL && embed(&b, f, SHIM_DIR "/startup", 0) == 0)
		out(&b, "%s -x " SHIM_DIR "/startup > /var/log/startup.log 2>&1 || { umlab_rc=$?; "
			"echo \"umlab: %s: %s exited with $umlab_rc; the end of /var/log/startup.log:\" >&2; "
			"tail -n 5 /var/log/startup.log >&2; }\n", shell, d->name, name);
	free(f);
	free(name);
	for (size_t i = 0; i < d->nexec; i++)
		out(&b, "%s\n", d->exec[i]);
	out(&b, "touch /tmp/EOS\nexit $umlab_rc\n");
	return b.s;
}

static char *
shutdown_script(const struct kathara_lab *kl, const struct kathara_node *kn)
{
	struct sbuf b = { 0 };
	const char *shell = kn->dev->shell ? kn->dev->shell : "/bin/bash";
	const char *files[2] = { "shared.shutdown", NULL };
	char *name = xasprintf("%s.shutdown", kn->dev->name), *f, *q;

	files[1] = name;
	for (int i = 0; i < 2; i++)
		if ((f = lab_file(kl, files[i])) != NULL) {
			char *g = xasprintf(SHIM_DIR "/%s", files[i]);

			if (b.s == NULL)
				out(&b, "#!/bin/bash\n# Written by umlab: Kathará's shutdown files for %s.\n"
					"export PATH=" SHIM_DIR ":$PATH\n", kn->dev->name);
			if (embed(&b, f, g, 0) == 0) {
				q = sq(g);
				out(&b, "%s %s\n", shell, q);
				free(q);
			}
			free(g);
			free(f);
		}
	free(name);
	return b.s;
}

/* The systemctl shim's folder: $UMLAB_KATHARA_BIN, the source tree next
 * to the umlab binary, or the installed data folder. */
static char *
find_shimdir(void)
{
	const char *env = getenv("UMLAB_KATHARA_BIN");
	char exe[PATH_MAX], *p;
	ssize_t n;

	if (env != NULL && *env)
		return xstrdup(env);
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		p = xasprintf("%s/scenarios/kathara-bin", dirname(exe));
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return xstrdup(UMLAB_DATADIR "/kathara-bin");
}

static int
err_at(char *err, size_t errlen, const char *dir, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int
err_at(char *err, size_t errlen, const char *dir, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s/%s:%d: ", dir, file, line);

	if (n > 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A switch for collision domain cd: its own name, or "cd-NAME" when that
 * is taken by a device or not a valid umlab name. */
static struct lab_switch *
cd_switch(struct lab *lab, const struct lc_lab *conf, const char *cd, char *err, size_t errlen)
{
	char name[LAB_NAME_MAX + 8];
	struct lab_switch *sw;

	snprintf(name, sizeof(name), "%s", cd);
	if (!lab_valid_name(cd) || lc_find_device(conf, cd) != NULL)
		snprintf(name, sizeof(name), "cd-%s", cd);
	if ((sw = lab_find_switch(lab, name)) != NULL)
		return sw;
	return lab_add_switch(lab, name, LAB_SWITCH, err, errlen);
}

static int
build(struct kathara_lab *kl, struct lab *lab, char *err, size_t errlen)
{
	struct lc_lab *c = kl->conf;
	char e[256];

	for (size_t i = 0; i < c->nstart_order; i++) {
		struct lc_device *d = lc_find_device(c, c->start_order[i]);
		struct kathara_node *kn = PUSH(kl->nodes, kl->nnodes);
		const char *pkgs, *inote;
		int skip;
		char *p;

		kn->dev = d;
		pkgs = kathara_image_packages(d->image, &inote, &skip);
		if (skip) {
			kn->skip = xasprintf("%s (image %s): %s", d->name, d->image, inote);
			note(kl, "device %s", kn->skip);
			continue;
		}
		if (inote != NULL)
			note(kl, "device %s, image %s: %s", d->name, d->image ? d->image : "kathara/base", inote);
		need(kl, pkgs, 1);
		need(kl, suggested_base, 0);
		if ((kn->node = lab_add_node(lab, d->name, e, sizeof(e))) == NULL)
			return err_at(err, errlen, kl->dir, "lab.conf", d->line, "device %s: %s", d->name, e);
		kl->nstarted++;
		if (d->mem_mb != 0) {
			unsigned mb = d->mem_mb;

			if (mb < MEM_MIN_MB || mb > MEM_MAX_MB) {
				mb = mb < MEM_MIN_MB ? MEM_MIN_MB : MEM_MAX_MB;
				note(kl, "lab.conf:%d: %s[mem]=%s is outside what a UML guest takes (%d..%d MB); "
					 "it gets %u MB", d->mem_line, d->name, d->mem, MEM_MIN_MB, MEM_MAX_MB, mb);
			}
			kn->node->mem_mb = mb;
		}
		for (size_t j = 0; j < d->nifaces; j++) {
			struct lc_iface *f = &d->ifaces[j];
			struct lab_switch *sw;
			struct lab_link *k;

			if (j >= LAB_MAX_IFACES)
				return err_at(err, errlen, kl->dir, "lab.conf", f->line, "%s[%d]: umlab gives a "
					      "node at most %d interfaces", d->name, f->index, LAB_MAX_IFACES);
			if ((sw = cd_switch(lab, c, f->cd, e, sizeof(e))) == NULL ||
			    (k = lab_connect(lab, kn->node, sw, NULL, e, sizeof(e))) == NULL)
				return err_at(err, errlen, kl->dir, "lab.conf", f->line, "collision domain %s: %s",
					      f->cd, e);
			if (f->has_mac)
				memcpy(k->iface->mac, f->mac, 6);
		}
		plan_sysctls(kn);
		p = xasprintf("%s/%s", kl->dir, d->name);
		{
			struct stat st;

			if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
				kn->files_dir = p;
			else
				free(p);
		}
		kn->startup_text = kathara_startup_script(kl, kn);
		kn->shutdown_text = shutdown_script(kl, kn);
		p = xasprintf("%s.startup", d->name);
		if ((kn->startup = read_text(kl->dir, p)) != NULL)
			scan_needs(kl, kn->startup);
		free(kn->startup);
		kn->startup = NULL;
		free(p);
		/* What Docker does and a UML guest does not. */
		if (d->bridged)
			note(kl, "device %s: bridged (an interface on the host's network) is not supported: "
				 "it needs root and a tap device", d->name);
		if (d->nports)
			note(kl, "device %s: port forwarding from the host is not supported; ignored", d->name);
		if (d->nulimits || d->privileged || d->entrypoint || d->args || d->cpus)
			note(kl, "device %s: ulimit, privileged, entrypoint, args and cpus are Docker options; "
				 "ignored", d->name);
	}
	for (size_t i = 0; i < c->nexts; i++)
		note(kl, "lab.ext:%d: collision domain %s on host interface %s%s: not supported (a host "
			 "interface needs root and a tap device); %s stays internal to the lab",
		     c->exts[i].line, c->exts[i].cd, c->exts[i].host_iface,
		     c->exts[i].vlan ? " (VLAN)" : "", c->exts[i].cd);
	if (c->ndeps)
		note(kl, "lab.dep: nodes are started in dependency order, but up to 8 boot at once: a node "
			 "does not yet wait for its dependencies' startup to finish");
	if (kl->nstarted == 0)
		return err_at(err, errlen, kl->dir, "lab.conf", 1, "no device to start");
	return 0;
}

struct kathara_lab *
kathara_open(const char *dir, struct lab *lab, char *err, size_t errlen)
{
	struct kathara_lab *kl = xcalloc(1, sizeof(*kl));
	char e[1024], *abs, *p;
	struct stat st;
	struct sbuf b = { 0 };

	abs = realpath(dir, NULL);
	kl->dir = abs ? abs : xstrdup(dir);
	if ((kl->conf = lc_load(kl->dir, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s%s%s", e[0] == '/' ? "" : kl->dir, e[0] == '/' ? "" : "/", e);
		kathara_free(kl);
		return NULL;
	}
	p = xasprintf("%s/shared", kl->dir);
	if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
		kl->shared_dir = p;
	else
		free(p);
	kl->shimdir = find_shimdir();
	for (size_t i = 0; i < kl->conf->nwarnings; i++)
		note(kl, "%s", kl->conf->warnings[i]);
	if ((p = read_text(kl->dir, "shared.startup")) != NULL) {
		scan_needs(kl, p);
		free(p);
	}
	if (build(kl, lab, err, errlen) < 0) {
		kathara_free(kl);
		return NULL;
	}
	out(&b, "-- the built-in scenario of a Kathará lab folder\nstart()\n"
		"check(\"every device booted (%zu of %zu; %zu not started)\", true)\n"
		"for _, n in ipairs(nodes()) do\n"
		"  local st = n:startup_status()\n"
		"  check(n.name .. \" ran its startup files\", st == nil or st == 0,\n"
		"        \"its start sequence exited with status \" .. tostring(st) ..\n"
		"        \" (see /var/log/startup.log in the node and console/\" .. n.name .. \".log)\")\n"
		"end\n",
	    kl->nstarted, kl->nnodes, kl->nnodes - kl->nstarted);
	kl->scenario = b.s;
	return kl;
}

int
kathara_write_scripts(struct kathara_lab *kl, const char *outdir, char *err, size_t errlen)
{
	char *dir = xasprintf("%s/kathara", outdir);
	int rc = 0;

	if (mkdir_p(dir, 0755) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	for (size_t i = 0; i < kl->nnodes && rc == 0; i++) {
		struct kathara_node *kn = &kl->nodes[i];
		char *abs;

		if (kn->node == NULL)
			continue;
		abs = realpath(dir, NULL);
		free(kn->startup);
		kn->startup = xasprintf("%s/%s.startup.sh", abs ? abs : dir, kn->dev->name);
		if (write_file_atomic(kn->startup, kn->startup_text, strlen(kn->startup_text)) < 0 ||
		    chmod(kn->startup, 0755) < 0)
			rc = -1, snprintf(err, errlen, "%s: %s", kn->startup, strerror(errno));
		if (rc == 0 && kn->shutdown_text != NULL) {
			free(kn->shutdown);
			kn->shutdown = xasprintf("%s/%s.shutdown.sh", abs ? abs : dir, kn->dev->name);
			if (write_file_atomic(kn->shutdown, kn->shutdown_text, strlen(kn->shutdown_text)) < 0 ||
			    chmod(kn->shutdown, 0755) < 0)
				rc = -1, snprintf(err, errlen, "%s: %s", kn->shutdown, strerror(errno));
		}
		free(abs);
	}
	free(dir);
	return rc;
}

void
kathara_print_plan(const struct kathara_lab *kl, FILE *f)
{
	const struct lc_lab *c = kl->conf;

	fprintf(f, "umlab: Kathará lab %s%s%s: %zu devices, %zu collision domains\n", kl->dir,
		c->description ? ": " : "", c->description ? c->description : "", c->ndevices, c->ncds);
	for (size_t i = 0; i < kl->nnotes; i++)
		fprintf(f, "  note: %s\n", kl->notes[i]);
	if (kl->nsuggested) {
		fprintf(f, "  note: Kathará's base image also has these, which labs often use:");
		for (size_t i = 0; i < kl->nsuggested; i++)
			fprintf(f, " %s", kl->suggested[i]);
		fprintf(f, "\n");
	}
	fflush(f);
}

void
kathara_free(struct kathara_lab *kl)
{
	if (kl == NULL)
		return;
	for (size_t i = 0; i < kl->nnodes; i++) {
		struct kathara_node *kn = &kl->nodes[i];

		free(kn->skip);
		free(kn->files_dir);
		free(kn->startup);
		free(kn->shutdown);
		free(kn->startup_text);
		free(kn->shutdown_text);
		lc_free_kvs(kn->sysctls, kn->nsysctls);
	}
	free(kl->nodes);
	lc_free_strv(kl->missing, kl->nmissing);
	lc_free_strv(kl->suggested, kl->nsuggested);
	lc_free_strv(kl->notes, kl->nnotes);
	free(kl->scenario);
	free(kl->shimdir);
	free(kl->shared_dir);
	lc_free(kl->conf);
	free(kl->dir);
	free(kl);
}
