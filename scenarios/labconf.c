/*
 * labconf.c - lab.conf, lab.dep and lab.ext with Kathará 3.8's rules.
 *
 * Kathará matches each stripped lab.conf line against
 *   ^([a-z0-9_]{1,30})\[(\w+)\]=(["']?)([^"']+)(\3)(\s+#.*)?$
 * and otherwise accepts only blank lines, lines whose first column is '#'
 * and LAB_*=value.  The matcher below follows that regex by hand
 * (including its backtracking for an unquoted value followed by a
 * comment), so what Kathará accepts is accepted and the rest gets a
 * precise message instead of Kathará's "In lab.conf - Line 7".
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "scenarios/labconf.h"

#define LC_MAX_FILE (4 * 1024 * 1024)
#define LC_MAX_INDEX 4096

#define PUSH(arr, n) (grow((void **)&(arr), (n), sizeof(*(arr))), &(arr)[(n)++])

static void
grow(void **arr, size_t n, size_t size)
{
	void *a = realloc(*arr, (n + 1) * size);

	if (a == NULL)
		abort();
	memset((char *)a + n * size, 0, size);
	*arr = a;
}

static const char *const metadata[] = { "LAB_NAME", "LAB_DESCRIPTION", "LAB_VERSION", "LAB_AUTHOR",
					"LAB_EMAIL", "LAB_WEB" };
static const char *const reserved[] = { "shared", "_test" };
static const char known_options[] = "image, mem, cpus, port, bridged, ipv6, exec, sysctl, env, shell, "
				    "num_terms, ulimit, privileged, entrypoint, args, volume";

struct ctx {
	struct lc_lab *lab;
	const char *file;
	int line;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, c->errlen, "%s:%d: ", c->file, c->line);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void __attribute__((format(printf, 2, 3)))
warn(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *msg, *full;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	full = xasprintf("%s:%d: %s", c->file, c->line, msg);
	free(msg);
	*PUSH(c->lab->warnings, c->lab->nwarnings) = full;
}

static int
is_word(int ch)
{
	return isalnum(ch) || ch == '_';
}

static int
all_word(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!is_word((unsigned char)*s))
			return 0;
	return 1;
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Python's str.strip(): in place, returns the start. */
static char *
strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
lc_strtobool(const char *s)
{
	static const char *const yes[] = { "y", "yes", "t", "true", "on", "1" };
	static const char *const no[] = { "n", "no", "f", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}

/* Machine.get_mem(): a unit b/k/m/g (any case) or a bare number of MiB. */
long
lc_parse_mem(const char *s)
{
	char num[32], *end;
	size_t n = strlen(s);
	int unit = 'm';
	long v;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	if (strchr("bBkKmMgG", num[n - 1]) != NULL) {
		unit = tolower((unsigned char)num[n - 1]);
		num[--n] = '\0';
	}
	if (n == 0 || !all_digits(num))
		return -1;
	errno = 0;
	v = strtol(num, &end, 10);
	if (errno != 0 || v > (1L << 40))
		return -1;
	switch (unit) {
	case 'b': return v / (1024 * 1024);
	case 'k': return v / 1024;
	case 'g': return v * 1024;
	default: return v;
	}
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;

		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    p[2] != (i == 5 ? '\0' : ':'))
			return -1;
		mac[i] = (uint8_t)strtoul((char[3]){ p[0], p[1], 0 }, NULL, 16);
	}
	return 0;
}

struct lc_device *
lc_find_device(const struct lc_lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->ndevices; i++)
		if (strcmp(lab->devices[i].name, name) == 0)
			return &lab->devices[i];
	return NULL;
}

static struct lc_device *
get_device(struct ctx *c, const char *name)
{
	struct lc_device *d = lc_find_device(c->lab, name);

	if (d != NULL)
		return d;
	d = PUSH(c->lab->devices, c->lab->ndevices);
	d->name = xstrdup(name);
	d->line = c->line;
	d->ipv6 = -1;
	d->num_terms = -1;
	return d;
}

/* Set key in a key/value list (a repeated key keeps its place). 1 if it replaced a value. */
static int
kv_set(struct lc_kv **arr, size_t *n, const char *key, const char *value, int line)
{
	struct lc_kv *kv;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*arr)[i].key, key) == 0) {
			free((*arr)[i].value);
			(*arr)[i].value = xstrdup(value);
			(*arr)[i].line = line;
			return 1;
		}
	kv = PUSH(*arr, *n);
	kv->key = xstrdup(key);
	kv->value = xstrdup(value);
	kv->line = line;
	return 0;
}

const char *
lc_sysctl(const struct lc_device *dev, const char *key)
{
	for (size_t i = 0; i < dev->nsysctls; i++)
		if (strcmp(dev->sysctls[i].key, key) == 0)
			return dev->sysctls[i].value;
	return NULL;
}

/* --- lab.conf --- */

static int
add_iface(struct ctx *c, struct lc_device *d, const char *arg, const char *value)
{
	char *v = xstrdup(value), *cd = v, *mac = NULL, *slash;
	struct lc_iface *f;
	long idx;
	int rc = -1;

	errno = 0;
	idx = strtol(arg, NULL, 10);
	if (errno != 0 || idx > LC_MAX_INDEX) {
		fail(c, "interface index %s of %s is too large", arg, d->name);
		goto out;
	}
	if ((slash = strchr(v, '/')) != NULL) {
		/* parse_cd_mac_address(): the non-empty '/'-separated parts must be two. */
		char *parts[3];
		int n = 0;

		for (char *p = strtok(v, "/"); p != NULL; p = strtok(NULL, "/"))
			if (n < 3)
				parts[n++] = p;
		if (n != 2) {
			fail(c, "bad interface definition '%s' for %s[%s] (want CD or CD/MAC)", value,
			     d->name, arg);
			goto out;
		}
		cd = parts[0];
		mac = parts[1];
	}
	if (!all_word(cd)) {
		fail(c, "collision domain '%s' of %s[%s] has characters other than letters, digits and _",
		     cd, d->name, arg);
		goto out;
	}
	for (size_t i = 0; i < d->nifaces; i++) {
		if (d->ifaces[i].index == (int)idx) {
			fail(c, "interface %ld of %s defined twice (first at line %d)", idx, d->name,
			     d->ifaces[i].line);
			goto out;
		}
		if (strcmp(d->ifaces[i].cd, cd) == 0) {
			fail(c, "%s is connected twice to collision domain %s (interface %d at line %d, "
			     "interface %ld here)", d->name, cd, d->ifaces[i].index, d->ifaces[i].line, idx);
			goto out;
		}
	}
	f = PUSH(d->ifaces, d->nifaces);
	f->index = (int)idx;
	f->cd = xstrdup(cd);
	f->line = c->line;
	if (mac != NULL) {
		if (parse_mac(mac, f->mac) < 0) {
			fail(c, "bad MAC address '%s' for %s[%s] (want six hex pairs such as "
			     "02:00:00:00:00:01)", mac, d->name, arg);
			goto out;
		}
		f->has_mac = 1;
	}
	{
		int known = 0;

		for (size_t i = 0; i < c->lab->ncds; i++)
			if (strcmp(c->lab->cds[i], cd) == 0)
				known = 1;
		if (!known)
			*PUSH(c->lab->cds, c->lab->ncds) = xstrdup(cd);
	}
	rc = 0;
out:
	free(v);
	return rc;
}

static int
match_re(const char *s, int (*ok)(int), int min)
{
	int n = 0;

	while (ok((unsigned char)s[n]))
		n++;
	return n >= min ? n : -1;
}

static int
is_word_dash(int ch)
{
	return is_word(ch) || ch == '-';
}

/* ^net\.([\w-]+\.)+[\w-]+=[^=]*$ */
static int
sysctl_ok(const char *v, char **key, char **val)
{
	const char *eq = strchr(v, '=');
	const char *p;
	int parts = 0;

	if (eq == NULL || strchr(eq + 1, '=') != NULL || strncmp(v, "net.", 4) != 0)
		return 0;
	for (p = v + 4; p < eq;) {
		int n = 0;

		while (p + n < eq && is_word_dash((unsigned char)p[n]))
			n++;
		if (n == 0)
			return 0;
		p += n;
		parts++;
		if (p < eq) {
			if (*p != '.')
				return 0;
			p++;
			if (p == eq)
				return 0;
		}
	}
	if (parts < 2)
		return 0;
	*key = strndup(v, (size_t)(eq - v));
	*val = xstrdup(eq + 1);
	return 1;
}

static int
opt_bool(struct ctx *c, struct lc_device *d, const char *opt, const char *value, int *out)
{
	int b = lc_strtobool(value);

	if (b < 0)
		return fail(c, "bad %s value '%s' for %s (want true or false)", opt, value, d->name);
	*out = b;
	return 0;
}

static int
opt_string(struct ctx *c, struct lc_device *d, const char *opt, char **slot, const char *value)
{
	if (*slot != NULL) {
		warn(c, "%s[%s] is given again; the last value '%s' wins (as in Kathará)", d->name, opt, value);
		free(*slot);
	}
	*slot = xstrdup(value);
	return 0;
}

static int
add_option(struct ctx *c, struct lc_device *d, const char *opt, const char *value)
{
	char *k = NULL, *v = NULL;
	int rc = 0;

	if (strcmp(opt, "image") == 0)
		return opt_string(c, d, opt, &d->image, value);
	if (strcmp(opt, "shell") == 0)
		return opt_string(c, d, opt, &d->shell, value);
	if (strcmp(opt, "entrypoint") == 0)
		return opt_string(c, d, opt, &d->entrypoint, value);
	if (strcmp(opt, "args") == 0)
		return opt_string(c, d, opt, &d->args, value);
	if (strcmp(opt, "mem") == 0) {
		long mb = lc_parse_mem(value);

		if (mb < 0)
			return fail(c, "bad mem value '%s' for %s (want e.g. 64m, 128M or 1g)", value, d->name);
		d->mem_mb = (unsigned)mb;
		d->mem_line = c->line;
		return opt_string(c, d, opt, &d->mem, value);
	}
	if (strcmp(opt, "cpus") == 0) {
		char *end;

		errno = 0;
		if (strtod(value, &end) < 0 || *end != '\0' || end == value || errno != 0)
			return fail(c, "bad cpus value '%s' for %s (want a number such as 0.5)", value, d->name);
		return opt_string(c, d, opt, &d->cpus, value);
	}
	if (strcmp(opt, "num_terms") == 0) {
		if (!all_digits(value))
			return fail(c, "bad num_terms value '%s' for %s (want 0 or more)", value, d->name);
		d->num_terms = atoi(value);
		return opt_string(c, d, opt, &d->num_terms_s, value);
	}
	if (strcmp(opt, "ipv6") == 0)
		return opt_bool(c, d, opt, value, &d->ipv6);
	if (strcmp(opt, "bridged") == 0)
		return opt_bool(c, d, opt, value, &d->bridged);
	if (strcmp(opt, "privileged") == 0)
		return opt_bool(c, d, opt, value, &d->privileged);
	if (strcmp(opt, "exec") == 0) {
		*PUSH(d->exec, d->nexec) = xstrdup(value);
		return 0;
	}
	if (strcmp(opt, "sysctl") == 0) {
		if (!sysctl_ok(value, &k, &v))
			return fail(c, "bad sysctl '%s' for %s (want net.KEY=VALUE: Kathará allows only "
				    "net.* keys)", value, d->name);
		if (kv_set(&d->sysctls, &d->nsysctls, strip(k), strip(v), c->line))
			warn(c, "sysctl %s of %s is given again; the last value wins", k, d->name);
		goto out;
	}
	if (strcmp(opt, "env") == 0) {
		const char *eq = strchr(value, '=');

		if (eq == NULL || eq == value || match_re(value, is_word, 1) != eq - value)
			return fail(c, "bad env '%s' for %s (want NAME=VALUE)", value, d->name);
		k = strndup(value, (size_t)(eq - value));
		v = xstrdup(eq + 1);
		kv_set(&d->envs, &d->nenvs, k, strip(v), c->line);
		goto out;
	}
	if (strcmp(opt, "ulimit") == 0) {
		/* ^\w+=(-?\d+)(:(-?\d+))?$, soft/hard >= -1, soft -1 needs hard -1 */
		const char *eq = strchr(value, '=');
		long soft, hard;
		char *end;

		if (eq == NULL || eq == value || match_re(value, is_word, 1) != eq - value)
			goto bad_ulimit;
		soft = strtol(eq + 1, &end, 10);
		if (end == eq + 1 || !(isdigit((unsigned char)end[-1])))
			goto bad_ulimit;
		hard = soft;
		if (*end == ':') {
			const char *h = end + 1;

			hard = strtol(h, &end, 10);
			if (end == h || !isdigit((unsigned char)end[-1]))
				goto bad_ulimit;
		}
		if (*end != '\0' || soft < -1 || hard < -1 || (soft == -1 && hard != -1))
			goto bad_ulimit;
		if (soft != -1 && hard != -1 && soft > hard)
			soft = hard;
		k = strndup(value, (size_t)(eq - value));
		v = xasprintf("%ld:%ld", soft, hard);
		kv_set(&d->ulimits, &d->nulimits, k, v, c->line);
		goto out;
bad_ulimit:
		return fail(c, "bad ulimit '%s' for %s (want NAME=SOFT[:HARD], each -1 or more)", value,
			    d->name);
	}
	if (strcmp(opt, "port") == 0) {
		/* [host:]guest[/proto]; the host port defaults to 3000 */
		char *dup = xstrdup(value), proto_tcp[] = "tcp", host_dflt[] = "3000";
		char *proto = proto_tcp, *host = host_dflt, *guest = dup, *p;

		if ((p = strchr(dup, '/')) != NULL) {
			*p = '\0';
			proto = p + 1;
		}
		if ((p = strchr(guest, ':')) != NULL) {
			*p = '\0';
			host = guest;
			guest = p + 1;
		}
		for (p = proto; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
			rc = fail(c, "bad port protocol '%s' for %s (want tcp, udp or sctp)", proto, d->name);
		else if (!all_digits(host) || !all_digits(guest))
			rc = fail(c, "bad port '%s' for %s (want [HOST:]GUEST[/PROTO])", value, d->name);
		else {
			k = xasprintf("%s/%s", host, proto);
			kv_set(&d->ports, &d->nports, k, guest, c->line);
		}
		free(dup);
		goto out;
	}
	if (strcmp(opt, "volume") == 0) {
		/* host|guest[|mode], empty parts dropped */
		char *dup = xstrdup(value), *parts[4];
		int n = 0;

		for (char *p = strtok(dup, "|"); p != NULL; p = strtok(NULL, "|"))
			if (n < 4)
				parts[n++] = p;
		if (n != 2 && n != 3)
			rc = fail(c, "bad volume '%s' for %s (want HOST_PATH|GUEST_PATH[|MODE])", value, d->name);
		else {
			v = xasprintf("%s|%s", parts[1], n == 3 ? parts[2] : "ro");
			kv_set(&d->volumes, &d->nvolumes, parts[0], v, c->line);
		}
		free(dup);
		goto out;
	}
	return fail(c, "unknown option '%s' for device %s (known: %s; Kathará would keep it and ignore "
		    "it, umlab refuses it to catch typos)", opt, d->name, known_options);
out:
	free(k);
	free(v);
	return rc;
}

/*
 * The lab.conf regex by hand.  Returns 1 and fills key/arg/value (pointers
 * into line, which is modified) on a match, 0 otherwise with *why set to
 * the reason it does not match (for the error message).
 */
static int
match_line(char *line, char **key, char **arg, char **value, const char **why)
{
	char *p = line, *vs, *ve;
	int klen = 0, alen;
	char q = 0;

	*why = NULL;
	while ((p[klen] >= 'a' && p[klen] <= 'z') || isdigit((unsigned char)p[klen]) || p[klen] == '_')
		klen++;
	if (p[klen] != '[') {
		char *b = strchr(line, '[');

		if (b != NULL && strchr(b, ']') != NULL && strchr(b, '=') != NULL)
			*why = "device";
		return 0;
	}
	if (klen == 0 || klen > 30) {
		*why = "device";
		return 0;
	}
	p[klen] = '\0';
	*key = p;
	p += klen + 1;
	alen = match_re(p, is_word, 1);
	if (alen < 0 || p[alen] != ']' || p[alen + 1] != '=') {
		*why = "arg";
		return 0;
	}
	p[alen] = '\0';
	*arg = p;
	p += alen + 2;
	if (*p == '"' || *p == '\'')
		q = *p++;
	vs = p;
	while (*p && *p != '"' && *p != '\'')
		p++;
	ve = p;
	if (ve == vs) {
		*why = q && *p == q ? "empty" : (q ? (*p ? "quote" : "unterminated") : "empty");
		return 0;
	}
	if (q) {
		if (*p != q) {
			*why = *p ? "quote" : "unterminated";
			return 0;
		}
		p++;
		if (*p != '\0') {
			/* (\s+#.*)?$ */
			char *t = p;

			while (isspace((unsigned char)*t))
				t++;
			if (t == p || *t != '#') {
				*why = strchr(p, q) != NULL ? "quote" : "trailing";
				return 0;
			}
		}
		*ve = '\0';
		*value = vs;
		return 1;
	}
	if (*p == '\0') {
		*value = vs;
		return 1;
	}
	/* Unquoted value stopped by a quote: the regex backtracks to the
	 * longest value followed by \s+#.* */
	for (char *j = ve - 1; j > vs; j--) {
		if (isspace((unsigned char)*j)) {
			char *t = j;

			while (isspace((unsigned char)*t))
				t++;
			if (*t == '#') {
				*j = '\0';
				*value = vs;
				return 1;
			}
		}
	}
	*why = *p == '"' || *p == '\'' ? (strchr(p + 1, *p) ? "quote" : "unterminated") : "trailing";
	return 0;
}

static int
conf_line(struct ctx *c, char *raw)
{
	char *line, *key = NULL, *arg = NULL, *value = NULL;
	const char *why;
	char *copy, *shown;
	struct lc_device *d;
	int rc = 0;

	copy = xstrdup(raw);
	line = strip(copy);
	shown = xstrdup(line);    /* match_line() cuts line into pieces */
	if (match_line(line, &key, &arg, &value, &why)) {
		for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
			if (strcmp(key, reserved[i]) == 0) {
				rc = fail(c, "'%s' is a reserved name, not usable for a device", key);
				goto out;
			}
		d = get_device(c, key);
		if (all_digits(arg))
			rc = add_iface(c, d, arg, value);
		else if (isdigit((unsigned char)arg[0]))
			rc = fail(c, "bad interface index '%s' for device %s", arg, key);
		else
			rc = add_option(c, d, arg, value);
		goto out;
	}
	/* Kathará checks the raw line here: a comment starts in column 1. */
	if (raw[0] == '#' || *line == '\0')
		goto out;
	for (size_t i = 0; i < sizeof(metadata) / sizeof(*metadata); i++) {
		size_t n = strlen(metadata[i]);
		char *v, **slot;

		if (strncmp(raw, metadata[i], n) != 0 || raw[n] != '=')
			continue;
		v = raw + n + 1;
		if (strchr(v, '=') != NULL) {
			rc = fail(c, "%s's value contains '=' (Kathará cannot read it)", metadata[i]);
			goto out;
		}
		switch (metadata[i][4]) {
		case 'N': slot = &c->lab->name; break;
		case 'D': slot = &c->lab->description; break;
		case 'V': slot = &c->lab->version; break;
		case 'A': slot = &c->lab->author; break;
		case 'E': slot = &c->lab->email; break;
		default: slot = &c->lab->web; break;
		}
		{
			char *val = xstrdup(v), *w = val;

			for (char *r = val; *r; r++)
				if (*r != '"' && *r != '\'')
					*w++ = *r;
			*w = '\0';
			free(*slot);
			*slot = xstrdup(strip(val));
			free(val);
		}
		goto out;
	}
	if (isspace((unsigned char)raw[0]) && *line == '#')
		rc = fail(c, "indented comment (Kathará accepts '#' only in the first column)");
	else if (why == NULL)
		rc = fail(c, "unrecognised line '%s' (want DEVICE[ARG]=VALUE, LAB_*=VALUE, a comment or a "
			  "blank line)", shown);
	else if (strcmp(why, "device") == 0)
		rc = fail(c, "bad device name in '%s' (Kathará allows 1-30 of a-z, 0-9 and _)", shown);
	else if (strcmp(why, "arg") == 0)
		rc = fail(c, "bad '[ARG]=' in '%s' (want DEVICE[N]=CD or DEVICE[OPTION]=VALUE)", shown);
	else if (strcmp(why, "empty") == 0)
		rc = fail(c, "empty value in '%s'", shown);
	else if (strcmp(why, "unterminated") == 0)
		rc = fail(c, "unterminated quote");
	else if (strcmp(why, "quote") == 0)
		rc = fail(c, "a quote inside the value of '%s' (Kathará allows none)", shown);
	else
		rc = fail(c, "unexpected text after the value in '%s' (a comment needs a space before '#')",
			  shown);
out:
	free(copy);
	free(shown);
	return rc;
}

static int
iface_cmp(const void *a, const void *b)
{
	return ((const struct lc_iface *)a)->index - ((const struct lc_iface *)b)->index;
}

/* Machine.check(): interfaces 0..n-1 without gaps. */
static int
check_gaps(struct ctx *c)
{
	for (size_t i = 0; i < c->lab->ndevices; i++) {
		struct lc_device *d = &c->lab->devices[i];

		qsort(d->ifaces, d->nifaces, sizeof(*d->ifaces), iface_cmp);
		for (size_t j = 0; j < d->nifaces; j++)
			if (d->ifaces[j].index != (int)j) {
				c->line = d->ifaces[j].line;
				return fail(c, "interface %zu of %s is missing, yet %s[%d] is defined (Kathará "
					    "numbers a device's interfaces 0, 1, 2... without gaps)", j,
					    d->name, d->name, d->ifaces[j].index);
			}
	}
	return 0;
}

/* Iterate over the lines of text (a modified copy). */
static int
each_line(struct ctx *c, const char *text, int (*fn)(struct ctx *, char *))
{
	char *buf = xstrdup(text), *p = buf, *nl;
	int rc = 0;

	for (c->line = 1; *p; c->line++) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if ((rc = fn(c, p)) < 0)
			break;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	free(buf);
	return rc;
}

/* --- lab.dep --- */

static int
dep_line(struct ctx *c, char *raw)
{
	char *copy = xstrdup(raw), *line = strip(copy), *p;
	struct lc_dep *dep = NULL;
	int n, rc = 0;

	if (*line == '\0' || *line == '#')
		goto out;
	/* ^(\w+):\s?((\w+ ?)+)$ */
	n = match_re(line, is_word, 1);
	if (n < 0 || line[n] != ':')
		goto bad;
	line[n] = '\0';
	p = line + n + 1;
	if (isspace((unsigned char)*p))
		p++;
	if (match_re(p, is_word, 1) < 0)
		goto bad;
	for (size_t i = 0; i < c->lab->ndeps; i++)
		if (strcmp(c->lab->deps[i].device, line) == 0) {
			warn(c, "%s's dependencies are given again (line %d); these replace them", line,
			     c->lab->deps[i].line);
			dep = &c->lab->deps[i];
			for (size_t j = 0; j < dep->nafter; j++)
				free(dep->after[j]);
			dep->nafter = 0;
		}
	if (dep == NULL) {
		dep = PUSH(c->lab->deps, c->lab->ndeps);
		dep->device = xstrdup(line);
	}
	dep->line = c->line;
	while (*p) {
		n = match_re(p, is_word, 1);
		if (n < 0)
			goto bad;
		*PUSH(dep->after, dep->nafter) = strndup(p, (size_t)n);
		p += n;
		if (*p == ' ')
			p++;
	}
	goto out;
bad:
	rc = fail(c, "bad line '%s' (want DEVICE: DEVICE DEVICE ..., names separated by single spaces)",
		  strip(raw));
out:
	free(copy);
	return rc;
}

struct topo {
	struct ctx *c;
	char *state;            /* per device: 0 new, 1 on the path, 2 done */
	size_t *path;
	size_t npath;
};

static struct lc_dep *
dep_of(const struct lc_lab *lab, const char *name)
{
	for (size_t i = 0; i < lab->ndeps; i++)
		if (strcmp(lab->deps[i].device, name) == 0)
			return &lab->deps[i];
	return NULL;
}

static int
visit(struct topo *t, size_t i)
{
	struct lc_lab *lab = t->c->lab;
	struct lc_dep *dep;

	if (t->state[i] == 2)
		return 0;
	if (t->state[i] == 1) {
		/* A loop: from i's place on the path back to i. */
		char buf[512];
		size_t k = 0, len = 0;

		while (t->path[k] != i)
			k++;
		buf[0] = '\0';
		for (size_t j = k; j < t->npath && len < sizeof(buf); j++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s -> ",
						lab->devices[t->path[j]].name);
		if (len < sizeof(buf))
			snprintf(buf + len, sizeof(buf) - len, "%s", lab->devices[i].name);
		t->c->line = dep_of(lab, lab->devices[i].name)->line;
		return fail(t->c, "dependency loop: %s", buf);
	}
	t->state[i] = 1;
	t->path[t->npath++] = i;
	if ((dep = dep_of(lab, lab->devices[i].name)) != NULL)
		for (size_t j = 0; j < dep->nafter; j++) {
			struct lc_device *d = lc_find_device(lab, dep->after[j]);

			if (d != NULL && visit(t, (size_t)(d - lab->devices)) < 0)
				return -1;
		}
	t->npath--;
	t->state[i] = 2;
	*PUSH(lab->start_order, lab->nstart_order) = xstrdup(lab->devices[i].name);
	return 0;
}

static int
order_devices(struct ctx *c)
{
	struct lc_lab *lab = c->lab;
	struct topo t = { .c = c };
	int rc = 0;

	for (size_t i = 0; i < lab->ndeps; i++) {
		struct lc_dep *dep = &lab->deps[i];

		c->line = dep->line;
		if (lc_find_device(lab, dep->device) == NULL)
			warn(c, "'%s' is not a device of lab.conf; its line is ignored", dep->device);
		for (size_t j = 0; j < dep->nafter; j++)
			if (lc_find_device(lab, dep->after[j]) == NULL)
				warn(c, "'%s' (a dependency of %s) is not a device of lab.conf; ignored",
				     dep->after[j], dep->device);
	}
	t.state = xcalloc(lab->ndevices + 1, 1);
	t.path = xcalloc(lab->ndevices + 1, sizeof(*t.path));
	for (size_t i = 0; i < lab->ndevices && rc == 0; i++)
		rc = visit(&t, i);
	free(t.state);
	free(t.path);
	return rc;
}

/* --- lab.ext --- */

static int
ext_line(struct ctx *c, char *raw)
{
	char *copy = xstrdup(raw), *line = strip(copy), *p;
	struct lc_ext *e;
	int n, m, known = 0, rc = 0;
	long vlan = 0;

	if (raw[0] == '#' || *line == '\0')
		goto out;
	/* ^(\w+)\s+(\w+)(\.\d+)?$ */
	n = match_re(line, is_word, 1);
	if (n < 0 || !isspace((unsigned char)line[n]))
		goto bad;
	line[n] = '\0';
	p = line + n + 1;
	while (isspace((unsigned char)*p))
		p++;
	m = match_re(p, is_word, 1);
	if (m < 0)
		goto bad;
	if (p[m] == '.') {
		if (!all_digits(p + m + 1))
			goto bad;
		vlan = strtol(p + m + 1, NULL, 10);
		if (vlan >= 4095) {
			rc = fail(c, "VLAN ID %ld is outside 1..4094", vlan);
			goto out;
		}
		p[m] = '\0';
	} else if (p[m] != '\0')
		goto bad;
	for (size_t i = 0; i < c->lab->ncds; i++)
		if (strcmp(c->lab->cds[i], line) == 0)
			known = 1;
	if (!known) {
		rc = fail(c, "collision domain %s is not used in lab.conf", line);
		goto out;
	}
	e = PUSH(c->lab->exts, c->lab->nexts);
	e->cd = xstrdup(line);
	e->host_iface = xstrdup(p);
	e->vlan = (int)vlan;
	e->line = c->line;
	goto out;
bad:
	rc = fail(c, "bad line '%s' (want CD HOST_INTERFACE[.VLAN])", strip(raw));
out:
	free(copy);
	return rc;
}

/* --- loading --- */

struct lc_lab *
lc_parse(const char *conf, const char *dep, const char *ext, char *err, size_t errlen)
{
	struct lc_lab *lab = xcalloc(1, sizeof(*lab));
	struct ctx c = { .lab = lab, .err = err, .errlen = errlen };

	c.file = "lab.conf";
	if (*conf == '\0') {
		snprintf(err, errlen, "lab.conf: the file is empty");
		goto fail;
	}
	if (each_line(&c, conf, conf_line) < 0 || check_gaps(&c) < 0)
		goto fail;
	c.file = "lab.dep";
	if (dep != NULL && *dep == '\0') {
		c.line = 1;
		warn(&c, "the file is empty; ignored");
	} else if (dep != NULL && each_line(&c, dep, dep_line) < 0)
		goto fail;
	if (order_devices(&c) < 0)
		goto fail;
	c.file = "lab.ext";
	if (ext != NULL && each_line(&c, ext, ext_line) < 0)
		goto fail;
	return lab;
fail:
	lc_free(lab);
	return NULL;
}

static char *
read_opt(const char *dir, const char *name, int required, char *err, size_t errlen, int *failed)
{
	char *path = xasprintf("%s/%s", dir, name);
	size_t len;
	char *text = read_file(path, LC_MAX_FILE, &len);

	*failed = 0;
	if (text == NULL && (errno != ENOENT || required)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		*failed = 1;
	} else if (text != NULL && strlen(text) != len) {
		snprintf(err, errlen, "%s: the file holds a NUL byte (not a text file)", name);
		free(text);
		text = NULL;
		*failed = 1;
	}
	free(path);
	return text;
}

struct lc_lab *
lc_load(const char *dir, char *err, size_t errlen)
{
	char *conf, *dep = NULL, *ext = NULL;
	struct lc_lab *lab = NULL;
	int failed;

	conf = read_opt(dir, "lab.conf", 1, err, errlen, &failed);
	if (failed)
		return NULL;
	dep = read_opt(dir, "lab.dep", 0, err, errlen, &failed);
	if (failed)
		goto out;
	ext = read_opt(dir, "lab.ext", 0, err, errlen, &failed);
	if (failed)
		goto out;
	if ((lab = lc_parse(conf, dep, ext, err, errlen)) != NULL)
		lab->dir = xstrdup(dir);
out:
	free(conf);
	free(dep);
	free(ext);
	return lab;
}

void
lc_free_kvs(struct lc_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void
lc_free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
lc_free(struct lc_lab *lab)
{
	if (lab == NULL)
		return;
	for (size_t i = 0; i < lab->ndevices; i++) {
		struct lc_device *d = &lab->devices[i];

		free(d->name);
		for (size_t j = 0; j < d->nifaces; j++)
			free(d->ifaces[j].cd);
		free(d->ifaces);
		free(d->image);
		free(d->mem);
		free(d->cpus);
		free(d->shell);
		free(d->entrypoint);
		free(d->args);
		free(d->num_terms_s);
		lc_free_strv(d->exec, d->nexec);
		lc_free_kvs(d->sysctls, d->nsysctls);
		lc_free_kvs(d->envs, d->nenvs);
		lc_free_kvs(d->ulimits, d->nulimits);
		lc_free_kvs(d->ports, d->nports);
		lc_free_kvs(d->volumes, d->nvolumes);
	}
	free(lab->devices);
	for (size_t i = 0; i < lab->ndeps; i++) {
		free(lab->deps[i].device);
		lc_free_strv(lab->deps[i].after, lab->deps[i].nafter);
	}
	free(lab->deps);
	for (size_t i = 0; i < lab->nexts; i++) {
		free(lab->exts[i].cd);
		free(lab->exts[i].host_iface);
	}
	free(lab->exts);
	lc_free_strv(lab->cds, lab->ncds);
	lc_free_strv(lab->start_order, lab->nstart_order);
	lc_free_strv(lab->warnings, lab->nwarnings);
	free(lab->dir);
	free(lab->name);
	free(lab->description);
	free(lab->version);
	free(lab->author);
	free(lab->email);
	free(lab->web);
	free(lab);
}
