/*
 * html.c - report.html from report.json.
 *
 * One self-contained page: inline CSS and SVG, no script, nothing fetched,
 * so it opens from file:// on a machine without network and survives being
 * mailed around.  Order: the verdict (a CI user stops there), the checks,
 * how to reproduce the run, the topology and the timeline (a teacher
 * projects those), then a table per node and per link.
 *
 * Every string of the report and every byte of a console log is
 * untrusted: it goes through html_text() or html_attr(), and a console
 * path is only followed if it is relative and has no "..".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lab.h"
#include "core/util.h"
#include "viz/report.h"
#include "viz/viz.h"

#define CONSOLE_MAX (32 * 1024)   /* bytes of each console log shown (its end) */
#define TL_MAX_NODE_ROWS 24       /* above: every boot on one row */

static void html_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
html_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Text content: markup characters escaped, control bytes (but newline and
 * tab) dropped, ANSI escape sequences (ESC [ ... letter) removed. */
static void
html_textn(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		case 0x1b:
			if (i + 1 < n && s[i + 1] == '[') {
				for (i += 2; i < n && !((s[i] >= '@' && s[i] <= '~')); i++)
					;
			}
			break;
		default:
			if (c >= 0x20 || c == '\n' || c == '\t')
				fputc(c, f);
			break;
		}
	}
}

static void
html_text(FILE *f, const char *s)
{
	if (s != NULL)
		html_textn(f, s, strlen(s));
}

/* Attribute values are quoted with '"' and go through the same escaping. */
#define html_attr html_text

/* --- reading the report --- */

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static double
jnum(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static long long
jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static void
put_seconds(FILE *f, double t)
{
	if (isnan(t))
		fputs("&ndash;", f);
	else
		fprintf(f, "%.2f&nbsp;s", t);
}

/* A path from the report that may be opened under dir. */
static int
safe_relative(const char *p)
{
	if (p == NULL || p[0] == '\0' || p[0] == '/')
		return 0;
	for (const char *q = p; (q = strstr(q, "..")) != NULL; q += 2)
		if ((q == p || q[-1] == '/') && (q[2] == '\0' || q[2] == '/'))
			return 0;
	return 1;
}

/* --- the report as a page --- */

struct page {
	FILE *f;
	json_t *r;
	const char *dir;
	const char *verdict;
	int incomplete;       /* the run did not reach its end */
	double end;           /* the run's duration, or the last time seen */
};

static const char html_css[] =
	":root{--ok:#1e7b34;--okbg:#e3f4e6;--bad:#b3261e;--badbg:#fbe4e2;--warn:#8a5300;"
	"--warnbg:#fff1d6;--ink:#1d232b;--muted:#5b6672;--line:#d8dee5;--panel:#f6f8fa}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',"
	"sans-serif;color:var(--ink);background:#fff}\n"
	"main{max-width:1280px;margin:0 auto;padding:0 24px 40px}\n"
	".banner{padding:18px 24px;color:#fff;display:flex;flex-wrap:wrap;align-items:baseline;gap:8px 24px}\n"
	".banner .verdict{font-size:34px;font-weight:800;letter-spacing:.04em}\n"
	".banner .sum{font-size:18px;opacity:.95}\n"
	".v-passed{background:var(--ok)}.v-failed{background:var(--bad)}.v-other{background:#a35c00}\n"
	".incomplete{margin:16px 0 0;padding:12px 16px;border:2px solid var(--bad);background:var(--badbg);"
	"color:var(--bad);font-weight:600;border-radius:6px}\n"
	".incomplete b{font-size:20px;letter-spacing:.05em;margin-right:8px}\n"
	".incomplete pre{color:var(--ink);font-weight:400;margin:8px 0 0}\n"
	"h2{font-size:20px;margin:28px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line)}\n"
	"h2 small{font-weight:400;color:var(--muted);font-size:15px;margin-left:8px}\n"
	"table{border-collapse:collapse;width:100%;font-size:15px}\n"
	"th{text-align:left;background:var(--panel);color:var(--muted);font-weight:600;font-size:13px;"
	"text-transform:uppercase;letter-spacing:.04em}\n"
	"th,td{padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}\n"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"tr.fail td{background:var(--badbg)}\n"
	".badge{display:inline-block;min-width:52px;text-align:center;padding:2px 8px;border-radius:4px;"
	"font-weight:700;font-size:13px;letter-spacing:.04em;color:#fff}\n"
	".badge.pass{background:var(--ok)}.badge.fail{background:var(--bad)}\n"
	".st{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600;"
	"border:1px solid}\n"
	".st-ready{color:var(--ok);background:var(--okbg)}.st-stopped{color:#37474f;background:#e3e8ee}\n"
	".st-crashed,.st-failed{color:var(--bad);background:var(--badbg)}"
	".st-other{color:var(--warn);background:var(--warnbg)}\n"
	"code,pre{font:13px/1.4 ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace}\n"
	"pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 12px;"
	"overflow:auto;max-height:420px;white-space:pre-wrap;word-break:break-all;margin:6px 0}\n"
	".muted{color:var(--muted)}\n"
	".repro pre{max-height:none;font-size:15px}\n"
	"dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0}\n"
	"dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}\n"
	".figure{border:1px solid var(--line);border-radius:8px;padding:12px;background:#fff;overflow:auto}\n"
	".figure svg{display:block;margin:0 auto;max-width:100%;height:auto}\n"
	".legend{font-size:14px;color:var(--muted);margin:6px 0 0}\n"
	".legend span{margin-right:14px;white-space:nowrap}\n"
	".sw{display:inline-block;width:14px;height:14px;border-radius:2px;border:1px solid;"
	"vertical-align:-1px;margin-right:4px}\n"
	"details summary{cursor:pointer;color:#0b57d0}\n"
	"table.checks td{padding:5px 10px}\n"
	"table.checks th:nth-child(1){width:3em}table.checks th:nth-child(2){width:6em}"
	"table.checks th:nth-child(4){width:6em}\n"
	"table.checks details{display:inline;margin-left:10px;font-size:14px}\n"
	"table.checks summary{display:inline}\n"
	"table.checks details[open]{display:block;margin-left:0}\n"
	".failed-list{padding:8px 12px;background:var(--badbg);border-radius:6px;color:var(--bad)}\n"
	".failed-list a{color:var(--bad)}\n"
	"a{color:#0b57d0}\n"
	"footer{margin-top:32px;color:var(--muted);font-size:13px}\n"
	"@media print{.banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"pre{max-height:none}}\n";

static const char *
state_class(const char *state)
{
	if (state == NULL)
		return "st-other";
	if (strcmp(state, "ready") == 0)
		return "st-ready";
	if (strcmp(state, "stopped") == 0)
		return "st-stopped";
	if (strcmp(state, "crashed") == 0 || strcmp(state, "failed") == 0)
		return "st-crashed";
	return "st-other";
}

static void
put_head(struct page *p)
{
	FILE *f = p->f;
	const char *lab = jstr(p->r, "lab");

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      /* Nothing on this page may load anything from anywhere. */
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n<title>", f);
	html_text(f, p->verdict);
	fputs(" &ndash; umlab lab ", f);
	html_text(f, lab ? lab : "?");
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", html_css);
}

static void
put_banner(struct page *p)
{
	FILE *f = p->f;
	json_t *checks = json_object_get(p->r, "checks");
	size_t i, npass = 0, nchecks = json_array_size(checks);
	json_t *c;
	const char *cls = strcmp(p->verdict, "passed") == 0 ? "v-passed" :
			  strcmp(p->verdict, "failed") == 0 ? "v-failed" : "v-other";
	const char *error = jstr(p->r, "error");

	json_array_foreach(checks, i, c)
		npass += json_is_true(json_object_get(c, "passed"));
	fprintf(f, "<header class=\"banner %s\" id=\"verdict\"><div class=\"verdict\">", cls);
	for (const char *v = p->verdict; *v; v++) {
		char up = *v >= 'a' && *v <= 'z' ? (char)(*v - 'a' + 'A') : *v;

		html_textn(f, &up, 1);
	}
	fputs("</div><div class=\"sum\">lab <b>", f);
	html_text(f, jstr(p->r, "lab"));
	fprintf(f, "</b> &middot; %zu nodes &middot; %zu links &middot; %zu of %zu checks passed"
		   " &middot; ", json_array_size(json_object_get(p->r, "nodes")),
		json_array_size(json_object_get(p->r, "links")), npass, nchecks);
	put_seconds(f, jnum(p->r, "duration_s"));
	fputs("</div></header>\n<main>\n", f);
	if (p->incomplete) {
		fputs("<div class=\"incomplete\" id=\"incomplete\"><b>INCOMPLETE</b>", f);
		if (strcmp(p->verdict, "incomplete") == 0)
			fputs("umlab did not finish this run: it was killed or crashed before writing its "
			      "final report. What is below is what was known when the run began.", f);
		else
			fputs("the run stopped before the end of its scenario; checks it did not reach are "
			      "missing below.", f);
		if (error != NULL) {
			fputs("<pre>ERROR: ", f);
			html_text(f, error);
			fputs("</pre>", f);
		}
		fputs("</div>\n", f);
	}
}

static void
put_checks(struct page *p)
{
	FILE *f = p->f;
	json_t *checks = json_object_get(p->r, "checks"), *c;
	size_t i;

	fputs("<section id=\"checks\"><h2>Checks</h2>\n", f);
	if (json_array_size(checks) == 0) {
		fputs("<p class=\"muted\">The scenario recorded no check.</p></section>\n", f);
		return;
	}
	/* Many checks: the failed ones first, as links, so nobody scrolls for them. */
	if (json_array_size(checks) > 10) {
		int first = 1;

		json_array_foreach(checks, i, c) {
			if (json_is_true(json_object_get(c, "passed")))
				continue;
			fputs(first ? "<p class=\"failed-list\"><b>Failed:</b> " : ", ", f);
			fprintf(f, "<a href=\"#check-%zu\">#%zu ", i + 1, i + 1);
			html_text(f, jstr(c, "name"));
			fputs("</a>", f);
			first = 0;
		}
		if (!first)
			fputs("</p>\n", f);
	}
	fputs("<table class=\"checks\"><thead><tr><th class=\"num\">#</th><th>Result</th><th>Check</th>"
	      "<th class=\"num\">Time</th><th>Where</th></tr></thead><tbody>\n", f);
	json_array_foreach(checks, i, c) {
		int ok = json_is_true(json_object_get(c, "passed"));
		const char *detail = jstr(c, "detail");

		fprintf(f, "<tr class=\"%s\" id=\"check-%zu\"><td class=\"num\">%zu</td><td><span "
			   "class=\"badge %s\">%s</span></td><td>", ok ? "pass" : "fail", i + 1, i + 1,
			ok ? "pass" : "fail", ok ? "PASS" : "FAIL");
		html_text(f, jstr(c, "name"));
		if (detail != NULL && *detail != '\0') {
			/* A failure's detail is what one reads first: open. */
			fprintf(f, "<details%s><summary>detail</summary><pre>", ok ? "" : " open");
			html_text(f, detail);
			fputs("</pre></details>", f);
		}
		fputs("</td><td class=\"num\">", f);
		put_seconds(f, jnum(c, "time_s"));
		fputs("</td><td><code>", f);
		html_text(f, jstr(c, "where"));
		fputs("</code></td></tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

static void
put_repro(struct page *p)
{
	FILE *f = p->f;
	const char *cmd = jstr(p->r, "command_line"), *cwd = jstr(p->r, "cwd");
	const json_t *seed = json_object_get(p->r, "seed");

	fputs("<section id=\"reproduce\" class=\"repro\"><h2>Reproduce this run</h2>\n", f);
	if (cmd != NULL) {
		fputs("<pre>", f);
		if (cwd != NULL) {
			fputs("cd ", f);
			html_text(f, cwd);
			fputs(" &amp;&amp; ", f);
		}
		html_text(f, cmd);
		fputs("</pre>\n", f);
	} else {
		fputs("<pre>umlab run ", f);
		html_text(f, jstr(p->r, "scenario"));
		fputs("</pre>\n", f);
	}
	fputs("<dl class=\"meta\"><dt>seed</dt><dd>", f);
	if (json_is_integer(seed))
		fprintf(f, "<code>%lld</code>", (long long)json_integer_value(seed));
	else if (json_is_string(seed))
		html_text(f, json_string_value(seed));
	else
		fputs("<span class=\"muted\">none &ndash; nothing in this run was random</span>", f);
	fputs("</dd><dt>scenario</dt><dd><code>", f);
	html_text(f, jstr(p->r, "scenario"));
	fputs("</code></dd><dt>umlab</dt><dd>", f);
	html_text(f, jstr(p->r, "umlab_version"));
	fputs("</dd>", f);
	if (jstr(p->r, "started_at") != NULL) {
		fputs("<dt>started</dt><dd>", f);
		html_text(f, jstr(p->r, "started_at"));
		fputs("</dd>", f);
	}
	fputs("<dt>exit status</dt><dd>", f);
	if (jint(p->r, "exit_status") >= 0)
		fprintf(f, "%lld", jint(p->r, "exit_status"));
	else
		fputs("&ndash;", f);
	fputs("</dd></dl></section>\n", f);
}

/* --- topology: the lab rebuilt from the report, drawn with its states --- */

static struct lab *
lab_from_report(json_t *r, char *err, size_t errlen)
{
	json_t *nodes = json_object_get(r, "nodes"), *links = json_object_get(r, "links"), *o;
	const char *name = jstr(r, "lab");
	struct lab *lab = lab_new(name ? name : "lab");
	size_t i;

	json_array_foreach(nodes, i, o) {
		if (lab_add_node(lab, jstr(o, "name") ? jstr(o, "name") : "", err, errlen) == NULL)
			goto fail;
	}
	json_array_foreach(links, i, o) {
		const char *swname = jstr(o, "switch"), *kind = jstr(o, "switch_kind");
		const char *ifname = jstr(o, "interface"), *cidr = NULL;
		struct lab_node *n = lab_find_node(lab, jstr(o, "node") ? jstr(o, "node") : "");
		struct lab_switch *sw;
		struct lab_link *l;
		json_t *node = json_array_get(nodes, 0), *ifs, *ifo;
		size_t k;

		if (n == NULL || swname == NULL) {
			html_err(err, errlen, "link %zu: unknown node or no switch", i + 1);
			goto fail;
		}
		sw = lab_find_switch(lab, swname);
		if (sw == NULL) {
			enum lab_switch_kind kd = kind && strcmp(kind, "hub") == 0 ? LAB_HUB :
						  kind && strcmp(kind, "wire") == 0 ? LAB_WIRE : LAB_SWITCH;

			if ((sw = lab_add_switch(lab, swname, kd, err, errlen)) == NULL)
				goto fail;
		}
		/* The interface's address is kept with the node. */
		json_array_foreach(nodes, k, node)
			if (jstr(node, "name") && strcmp(jstr(node, "name"), n->name) == 0)
				break;
		ifs = json_object_get(node, "interfaces");
		json_array_foreach(ifs, k, ifo)
			if (ifname && jstr(ifo, "name") && strcmp(jstr(ifo, "name"), ifname) == 0)
				cidr = jstr(ifo, "address");
		if ((l = lab_connect(lab, n, sw, cidr, err, errlen)) == NULL)
			goto fail;
		if (ifname != NULL)
			snprintf(l->iface->name, sizeof(l->iface->name), "%s", ifname);
		if (jstr(o, "name") != NULL)
			snprintf(l->name, sizeof(l->name), "%s", jstr(o, "name"));
	}
	return lab;
fail:
	lab_free(lab);
	return NULL;
}

static void
fmt_count(char *buf, size_t len, long long v)
{
	if (v < 0)
		snprintf(buf, len, "?");
	else if (v < 10000)
		snprintf(buf, len, "%lld", v);
	else if (v < 10000000)
		snprintf(buf, len, "%.1fk", (double)v / 1e3);
	else
		snprintf(buf, len, "%.1fM", (double)v / 1e6);
}

/* "7 out / 7 in" (frames, from the node's side), ", 2 drops" if any. */
static char *
link_label(const json_t *l)
{
	char out[32], in[32];
	long long drops = jint(l, "drops");

	if (!json_is_integer(json_object_get(l, "frames_from_node")))
		return NULL;
	fmt_count(out, sizeof(out), jint(l, "frames_from_node"));
	fmt_count(in, sizeof(in), jint(l, "frames_to_node"));
	if (drops > 0)
		return xasprintf("%s out / %s in, %lld dropped", out, in, drops);
	return xasprintf("%s out / %s in", out, in);
}

/* Write svg (Graphviz output) without its XML prologue, sized by CSS. */
static void
put_inline_svg(FILE *f, const char *svg)
{
	const char *start = strstr(svg, "<svg"), *end;

	if (start == NULL)
		return;
	end = strchr(start, '>');
	if (end == NULL)
		return;
	/* Drop width= and height= so the viewBox scales it to the page. */
	fputs("<svg role=\"img\" aria-label=\"topology\"", f);
	for (const char *q = start + 4; q < end;) {
		const char *a = q;

		while (a < end && *a == ' ')
			a++;
		if (a >= end)
			break;
		const char *eq = memchr(a, '=', (size_t)(end - a)), *v1, *v2;

		if (eq == NULL || eq[1] != '"' || (v1 = eq + 2, v2 = memchr(v1, '"', (size_t)(end - v1))) == NULL) {
			fwrite(a, 1, (size_t)(end - a), f);
			break;
		}
		if (!((eq - a == 5 && strncmp(a, "width", 5) == 0) ||
		      (eq - a == 6 && strncmp(a, "height", 6) == 0))) {
			fputc(' ', f);
			fwrite(a, 1, (size_t)(v2 + 1 - a), f);
		} else if (eq - a == 5) {
			/* Up to 1.5 times as drawn: a small lab stays readable on a
			 * projector without filling the screen. */
			fputs(" style=\"max-width:min(100%,calc(1.5*", f);
			fwrite(v1, 1, (size_t)(v2 - v1), f);
			fputs("))\" width=\"100%\"", f);
		}
		q = v2 + 1;
	}
	fputs(end, f);
}

static void
put_topology(struct page *p)
{
	FILE *f = p->f;
	json_t *nodes = json_object_get(p->r, "nodes"), *links = json_object_get(p->r, "links"), *o;
	struct viz_style st = { 0 };
	const char **states = NULL;
	char **labels = NULL;
	struct lab *lab;
	char err[512];
	char *svg = NULL;
	size_t i;

	fputs("<section id=\"topology\"><h2>Topology<small>node colour is its state at the end of the "
	      "run; labels on cables count frames sent and received by the node</small></h2>\n", f);
	lab = lab_from_report(p->r, err, sizeof(err));
	if (lab != NULL && lab->nnodes == json_array_size(nodes) && lab->nlinks == json_array_size(links)) {
		states = xcalloc(lab->nnodes + 1, sizeof(*states));
		labels = xcalloc(lab->nlinks + 1, sizeof(*labels));
		json_array_foreach(nodes, i, o)
			states[i] = jstr(o, "state") ? jstr(o, "state") : "unknown";
		json_array_foreach(links, i, o)
			labels[i] = link_label(o);
		st.node_state = states;
		st.link_label = (const char *const *)labels;
		svg = viz_render_mem(lab, "svg", &st, NULL, err, sizeof(err));
	}
	if (svg != NULL) {
		fputs("<div class=\"figure\">", f);
		put_inline_svg(f, svg);
		fputs("</div>\n<p class=\"legend\">"
		      "<span><i class=\"sw\" style=\"background:#d4edda;border-color:#2e7d32\"></i>ready</span>"
		      "<span><i class=\"sw\" style=\"background:#e3e8ee;border-color:#455a64\"></i>stopped "
		      "cleanly</span>"
		      "<span><i class=\"sw\" style=\"background:#f8d0d0;border-color:#c62828\"></i>crashed</span>"
		      "<span><i class=\"sw\" style=\"background:#fff3cd;border-color:#b7791f\"></i>booting, "
		      "stopping or not started</span>"
		      "<span><i class=\"sw\" style=\"background:#cfe2f3;border-color:#333\"></i>switch</span>"
		      "</p>\n",
		      f);
	} else {
		fputs("<p class=\"muted\">The topology could not be drawn: ", f);
		html_text(f, lab == NULL || err[0] ? err : "the report's nodes and links disagree");
		fputs("</p>\n", f);
	}
	fputs("</section>\n", f);
	free(svg);
	if (labels != NULL)
		for (i = 0; lab != NULL && i < lab->nlinks; i++)
			free(labels[i]);
	free(labels);
	free(states);
	lab_free(lab);
}

/* --- the timeline: boots, checks, events and the end on one axis --- */

#define TL_W 1000.0
#define TL_LEFT 150.0
#define TL_RIGHT 24.0
#define TL_ROW 26.0

static double
tl_x(const struct page *p, double t)
{
	return TL_LEFT + (TL_W - TL_LEFT - TL_RIGHT) * (p->end > 0 ? t / p->end : 0);
}

static double
nice_step(double span)
{
	double raw = span / 8, mag = pow(10, floor(log10(raw > 0 ? raw : 1)));

	if (raw / mag < 1.5)
		return mag;
	if (raw / mag < 3.5)
		return 2 * mag;
	if (raw / mag < 7.5)
		return 5 * mag;
	return 10 * mag;
}

static void
tl_row_label(FILE *f, double y, const char *text, const char *cls)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"%s\">", TL_LEFT - 10,
		y + 4, cls);
	html_text(f, text);
	fputs("</text>\n", f);
}

static const char *
event_colour(const char *kind)
{
	if (kind == NULL)
		return "#6a1b9a";
	if (strstr(kind, "fault") || strstr(kind, "crash") || strstr(kind, "down"))
		return "#b3261e";
	if (strstr(kind, "link"))
		return "#0b57d0";
	return "#6a1b9a";
}

static void
put_timeline(struct page *p)
{
	FILE *f = p->f;
	json_t *nodes = json_object_get(p->r, "nodes"), *checks = json_object_get(p->r, "checks");
	json_t *events = json_object_get(p->r, "events"), *o;
	size_t i, nn = json_array_size(nodes), nrows;
	int per_node = nn <= TL_MAX_NODE_ROWS;
	double y, h, step, lastx = -100, t;

	nrows = (per_node ? nn : (nn > 0)) + 1 + (json_array_size(events) > 0);
	h = 30 + nrows * TL_ROW + 34;
	fputs("<section id=\"timeline\"><h2>Timeline<small>seconds since the run began</small></h2>\n"
	      "<div class=\"figure\">", f);
	fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\" aria-label=\"timeline\" "
		   "style=\"max-width:%.0fpx;font:13px system-ui,'DejaVu Sans',sans-serif\">\n"
		   "<style>.rl{fill:#1d232b}.ax{fill:#5b6672;font-size:12px}.sm{fill:#1d232b;font-size:11px}"
		   "</style>\n", TL_W, h, TL_W);
	/* Grid and axis. */
	step = nice_step(p->end);
	for (t = 0; t <= p->end * 1.0001; t += step) {
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"20\" y2=\"%.1f\" stroke=\"#e6eaee\"/>"
			   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"ax\">%g</text>\n",
			tl_x(p, t), tl_x(p, t), h - 26, tl_x(p, t), h - 10, t);
	}
	y = 30;
	if (per_node) {
		json_array_foreach(nodes, i, o) {
			double b = jnum(o, "boot_s");
			const char *state = jstr(o, "state");
			int bad = state && (strcmp(state, "crashed") == 0 || strcmp(state, "failed") == 0);

			tl_row_label(f, y, jstr(o, "name"), "rl");
			if (!isnan(b)) {
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" rx=\"3\" "
					   "fill=\"#f0b429\"><title>", tl_x(p, 0), y - 6,
					tl_x(p, b) - tl_x(p, 0) > 1 ? tl_x(p, b) - tl_x(p, 0) : 1);
				html_text(f, jstr(o, "name"));
				fprintf(f, " booted in %.2f s</title></rect>\n", b);
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"6\" fill=\"%s\">"
					   "<title>", tl_x(p, b), y - 3, tl_x(p, p->end) - tl_x(p, b),
					bad ? "#b3261e" : "#2e7d32");
				html_text(f, jstr(o, "name"));
				fputs(" up</title></rect>\n", f);
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"sm\">boot %.2f s</text>\n",
					tl_x(p, b) + 4, y - 8, b);
			} else {
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\">never booted%s",
					tl_x(p, 0), y + 4, state ? " &ndash; " : "");
				html_text(f, state);
				fputs("</text>\n", f);
			}
			y += TL_ROW;
		}
	} else if (nn > 0) {
		char lbl[48];

		snprintf(lbl, sizeof(lbl), "boots (%zu nodes)", nn);
		tl_row_label(f, y, lbl, "rl");
		json_array_foreach(nodes, i, o) {
			double b = jnum(o, "boot_s");

			if (isnan(b))
				continue;
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#f0b429\" "
				   "stroke-width=\"2\"><title>", tl_x(p, b), tl_x(p, b), y - 8, y + 8);
			html_text(f, jstr(o, "name"));
			fprintf(f, " ready at %.2f s</title></line>\n", b);
		}
		y += TL_ROW;
	}
	/* Checks: a green dot or a red diamond, numbered as in the table. */
	tl_row_label(f, y, "checks", "rl");
	json_array_foreach(checks, i, o) {
		double x = tl_x(p, isnan(jnum(o, "time_s")) ? 0 : jnum(o, "time_s"));
		int ok = json_is_true(json_object_get(o, "passed"));

		if (ok)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"#1e7b34\">", x, y);
		else
			fprintf(f, "<path d=\"M%.1f %.1fl8 8l-8 8l-8 -8z\" fill=\"#b3261e\">", x, y - 8);
		fprintf(f, "<title>#%zu %s: ", i + 1, ok ? "PASS" : "FAIL");
		html_text(f, jstr(o, "name"));
		fputs(ok ? "</title></circle>\n" : "</title></path>\n", f);
		if (x - lastx >= 16) {
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"sm\">%zu</text>\n",
				x, y - 10, i + 1);
			lastx = x;
		}
	}
	y += TL_ROW;
	/* Events (faults, link changes, ...): whatever later parts record. */
	if (json_array_size(events) > 0) {
		lastx = -1000;
		tl_row_label(f, y, "events", "rl");
		json_array_foreach(events, i, o) {
			double x = tl_x(p, isnan(jnum(o, "t")) ? 0 : jnum(o, "t"));

			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\" "
				   "transform=\"rotate(45 %.1f %.1f)\"><title>", x - 5, y - 5,
				event_colour(jstr(o, "kind")), x, y);
			html_text(f, jstr(o, "kind"));
			fputs(" ", f);
			html_text(f, jstr(o, "target"));
			fputs(": ", f);
			html_text(f, jstr(o, "text"));
			fputs("</title></rect>\n", f);
			if (x - lastx >= 90) {
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"sm\">", x + 9, y + 4);
				html_text(f, jstr(o, "kind"));
				fputs(" ", f);
				html_text(f, jstr(o, "target"));
				fputs("</text>\n", f);
				lastx = x;
			}
		}
		y += TL_ROW;
	}
	/* The end of the run. */
	fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"14\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\" "
		   "stroke-dasharray=\"5 3\"/><text x=\"%.1f\" y=\"12\" text-anchor=\"end\" class=\"sm\">"
		   "%s %.2f s</text>\n", tl_x(p, p->end), tl_x(p, p->end), h - 26,
		p->incomplete ? "#b3261e" : "#1d232b", tl_x(p, p->end), p->incomplete ? "stopped" : "end",
		p->end);
	fputs("</svg></div>\n<p class=\"legend\"><span><i class=\"sw\" style=\"background:#f0b429;"
	      "border-color:#f0b429\"></i>booting</span><span><i class=\"sw\" style=\"background:#2e7d32;"
	      "border-color:#2e7d32\"></i>up</span><span>&#9679; check passed</span>"
	      "<span style=\"color:#b3261e\">&#9670; check failed</span>"
	      "<span style=\"color:#6a1b9a\">&#9670; event</span></p>\n", f);
	if (json_array_size(events) > 0) {
		fputs("<table><thead><tr><th class=\"num\">Time</th><th>Kind</th><th>Target</th>"
		      "<th>What</th></tr></thead><tbody>\n", f);
		json_array_foreach(events, i, o) {
			fputs("<tr><td class=\"num\">", f);
			put_seconds(f, jnum(o, "t"));
			fputs("</td><td>", f);
			html_text(f, jstr(o, "kind"));
			fputs("</td><td>", f);
			html_text(f, jstr(o, "target"));
			fputs("</td><td>", f);
			html_text(f, jstr(o, "text"));
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}
	fputs("</section>\n", f);
}

/* --- nodes and links --- */

static void
put_console(struct page *p, const char *rel)
{
	FILE *f = p->f, *in;
	char *path, buf[4096];
	struct stat st;
	long size, from;
	size_t n;
	int fd;

	if (p->dir == NULL || !safe_relative(rel))
		return;
	/* A regular file, not a link out of the folder, nor a FIFO that
	 * would block the page's build. */
	path = xasprintf("%s/%s", p->dir, rel);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(path);
	in = NULL;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (in = fdopen(fd, "rb")) == NULL))
		close(fd);
	if (in == NULL) {
		fputs(" <span class=\"muted\">(no console log)</span>", f);
		return;
	}
	fseek(in, 0, SEEK_END);
	size = ftell(in);
	from = size > CONSOLE_MAX ? size - CONSOLE_MAX : 0;
	fseek(in, from, SEEK_SET);
	fputs("<details><summary>console", f);
	if (from > 0)
		fprintf(f, " (last %d KiB of %ld)", CONSOLE_MAX / 1024, (size + 1023) / 1024);
	fputs("</summary><pre>", f);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		html_textn(f, buf, n);
	fputs("</pre></details>", f);
	fclose(in);
}

static void
put_nodes(struct page *p)
{
	FILE *f = p->f;
	json_t *nodes = json_object_get(p->r, "nodes"), *o, *ifs, *ifo;
	size_t i, k;

	fprintf(f, "<section id=\"nodes\"><h2>Nodes<small>%zu</small></h2>\n",
		json_array_size(nodes));
	fputs("<table><thead><tr><th>Node</th><th>State</th><th class=\"num\">Boot</th>"
	      "<th class=\"num\">Memory</th><th>Interfaces</th><th>Reason, console</th></tr></thead>"
	      "<tbody>\n", f);
	json_array_foreach(nodes, i, o) {
		const char *state = jstr(o, "state"), *reason = jstr(o, "reason"), *con = jstr(o, "console");

		fputs("<tr><td><b>", f);
		html_text(f, jstr(o, "name"));
		fprintf(f, "</b></td><td><span class=\"st %s\">", state_class(state));
		html_text(f, state ? state : "unknown");
		fputs("</span></td><td class=\"num\">", f);
		put_seconds(f, jnum(o, "boot_s"));
		fputs("</td><td class=\"num\">", f);
		if (jint(o, "mem_mb") >= 0)
			fprintf(f, "%lld&nbsp;MB", jint(o, "mem_mb"));
		fputs("</td><td>", f);
		ifs = json_object_get(o, "interfaces");
		json_array_foreach(ifs, k, ifo) {
			fputs(k ? "<br><code>" : "<code>", f);
			html_text(f, jstr(ifo, "name"));
			fputs("</code> ", f);
			html_text(f, jstr(ifo, "address") ? jstr(ifo, "address") : "no address");
			fputs(" <span class=\"muted\">", f);
			html_text(f, jstr(ifo, "mac"));
			fputs("</span>", f);
		}
		fputs("</td><td>", f);
		/* "stopped" as the reason of a stopped node says nothing. */
		if (reason != NULL && !(state != NULL && strcmp(reason, state) == 0))
			html_text(f, reason);
		if (con != NULL) {
			if (safe_relative(con)) {
				fputs(" <a href=\"", f);
				html_attr(f, con);
				fputs("\">", f);
				html_text(f, con);
				fputs("</a>", f);
			}
			put_console(p, con);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

static void
put_num_cell(FILE *f, const json_t *o, const char *key)
{
	long long v = jint(o, key);

	if (v >= 0)
		fprintf(f, "<td class=\"num\">%lld</td>", v);
	else
		fputs("<td class=\"num\">&ndash;</td>", f);
}

static void
put_links(struct page *p)
{
	FILE *f = p->f;
	json_t *links = json_object_get(p->r, "links"), *o;
	size_t i;

	fprintf(f, "<section id=\"links\"><h2>Links<small>%zu; counted at the switch port, from the "
		   "node&rsquo;s side</small></h2>\n", json_array_size(links));
	fputs("<table><thead><tr><th>Link</th><th>Node</th><th>Switch</th>"
	      "<th class=\"num\">Frames out</th><th class=\"num\">Frames in</th>"
	      "<th class=\"num\">Bytes out</th><th class=\"num\">Bytes in</th>"
	      "<th class=\"num\">Drops</th><th>Capture</th></tr></thead><tbody>\n", f);
	json_array_foreach(links, i, o) {
		const char *pcap = jstr(o, "pcap");

		fputs(jint(o, "drops") > 0 ? "<tr class=\"fail\"><td><code>" : "<tr><td><code>", f);
		html_text(f, jstr(o, "name"));
		fputs("</code></td><td>", f);
		html_text(f, jstr(o, "node"));
		fputs(" <code>", f);
		html_text(f, jstr(o, "interface"));
		fputs("</code></td><td>", f);
		html_text(f, jstr(o, "switch"));
		fputs(" <span class=\"muted\">", f);
		html_text(f, jstr(o, "switch_kind"));
		fputs("</span></td>", f);
		put_num_cell(f, o, "frames_from_node");
		put_num_cell(f, o, "frames_to_node");
		put_num_cell(f, o, "bytes_from_node");
		put_num_cell(f, o, "bytes_to_node");
		put_num_cell(f, o, "drops");
		fputs("<td>", f);
		if (pcap != NULL && safe_relative(pcap)) {
			fputs("<a href=\"", f);
			html_attr(f, pcap);
			fputs("\">", f);
			html_text(f, pcap);
			fputs("</a>", f);
		} else {
			fputs("<span class=\"muted\">not captured</span>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

/* The latest time the report mentions: the axis must hold everything. */
static double
last_time(json_t *r)
{
	json_t *o;
	size_t i;
	double end = jnum(r, "duration_s"), t;

	if (isnan(end) || end < 0)
		end = 0;
	json_array_foreach(json_object_get(r, "nodes"), i, o)
		if (!isnan(t = jnum(o, "boot_s")) && t > end)
			end = t;
	json_array_foreach(json_object_get(r, "checks"), i, o)
		if (!isnan(t = jnum(o, "time_s")) && t > end)
			end = t;
	json_array_foreach(json_object_get(r, "events"), i, o)
		if (!isnan(t = jnum(o, "t")) && t > end)
			end = t;
	return end > 0 ? end : 1;
}

char *
viz_report_html(const char *json, size_t len, const char *dir, char *err, size_t errlen)
{
	struct page p = { .dir = dir };
	json_error_t je;
	json_t *fmt;
	char *buf = NULL;
	size_t blen = 0;

	p.r = json_loadb(json, len, 0, &je);
	if (p.r == NULL) {
		html_err(err, errlen, "not JSON: line %d: %s", je.line, je.text);
		return NULL;
	}
	fmt = json_object_get(p.r, "report_format");
	if (!json_is_object(p.r) || !json_is_integer(fmt)) {
		html_err(err, errlen, "not an umlab report (no report_format)");
		json_decref(p.r);
		return NULL;
	}
	if (json_integer_value(fmt) != VIZ_REPORT_FORMAT) {
		html_err(err, errlen, "report_format %lld is not one this umlab knows (it reads %d); "
			 "a newer umlab may read it", (long long)json_integer_value(fmt), VIZ_REPORT_FORMAT);
		json_decref(p.r);
		return NULL;
	}
	p.verdict = jstr(p.r, "verdict") ? jstr(p.r, "verdict") : "unknown";
	p.incomplete = (strcmp(p.verdict, "passed") != 0 && strcmp(p.verdict, "failed") != 0) ||
		       jstr(p.r, "error") != NULL;
	p.end = last_time(p.r);
	p.f = open_memstream(&buf, &blen);
	if (p.f == NULL) {
		html_err(err, errlen, "%s", strerror(errno));
		json_decref(p.r);
		return NULL;
	}
	put_head(&p);
	put_banner(&p);
	put_checks(&p);
	put_topology(&p);
	put_timeline(&p);
	put_nodes(&p);
	put_links(&p);
	put_repro(&p);
	fputs("<footer>Made by umlab ", p.f);
	html_text(p.f, jstr(p.r, "umlab_version"));
	fputs(" from report.json, the machine-readable record of this run (rebuild this page with "
	      "<code>umlab report DIR</code>).</footer>\n</main>\n</body>\n</html>\n", p.f);
	json_decref(p.r);
	if (fclose(p.f) != 0) {
		html_err(err, errlen, "%s", strerror(errno));
		free(buf);
		return NULL;
	}
	return buf;
}

int
viz_report_write(const char *dir, const char *out, char *err, size_t errlen)
{
	char *in = xasprintf("%s/report.json", dir), *dest, *json, *html;
	size_t len;
	int rc = 0;

	errno = 0;
	json = read_file(in, 64u << 20, &len);
	if (json == NULL) {
		html_err(err, errlen, "%s: %s", in, errno ? strerror(errno) : "cannot read");
		free(in);
		return -1;
	}
	html = viz_report_html(json, len, dir, err, errlen);
	free(json);
	if (html == NULL) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", err);
		html_err(err, errlen, "%s: %s", in, msg);
		free(in);
		return -1;
	}
	dest = out ? xstrdup(out) : xasprintf("%s/report.html", dir);
	if (write_file_atomic(dest, html, strlen(html)) < 0) {
		html_err(err, errlen, "%s: %s", dest, strerror(errno));
		rc = -2;
	}
	free(dest);
	free(html);
	free(in);
	return rc;
}
