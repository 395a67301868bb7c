/*
 * topology.c - the lab model as a Graphviz graph.
 *
 * The dot text is the single source: viz_render parses it back with
 * agmemread, lays it out and renders it, so `umlab graph -T dot` and the
 * pictures can never disagree.  Guests are boxes, switches "component"
 * shapes, hubs ellipses; a wire has no node of its own and becomes one
 * edge between its two guests.  Interface names and addresses sit at the
 * guest end of each edge.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gvc.h>

#include "core/lab.h"
#include "viz/viz.h"

/* Above this many drawn nodes dot gets slow and tall; use a force layout. */
#define VIZ_DOT_MAX_NODES 40

static const char *const viz_formats[] = { "svg", "png", "pdf", "dot" };
static const char *const viz_engines[] = { "dot", "neato", "sfdp", "fdp", "circo", "twopi" };

static void viz_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void viz_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Write s as the inside of a dot double-quoted string that is also used as
 * a label: quotes and backslashes are escaped (a bare backslash would start
 * a label escape such as \N or \l), control and non-ASCII bytes become '?'
 * so no charset or line-break surprise reaches the renderer.
 */
static void viz_put_escaped(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fputc('\\', f);
		fputc(c < 0x20 || c >= 0x7f ? '?' : c, f);
	}
}

/* "n:name" and "s:name": guests and switches live in separate namespaces. */
static void viz_put_id(FILE *f, char kind, const char *name)
{
	fputc('"', f);
	fputc(kind, f);
	fputc(':', f);
	viz_put_escaped(f, name);
	fputc('"', f);
}

/* "eth0\n10.0.0.1/24" (a dot label line break), or just "eth0". */
static void viz_put_iface_label(FILE *f, const struct lab_iface *i)
{
	char cidr[32];

	lab_iface_cidr(i, cidr, sizeof(cidr));
	fputc('"', f);
	viz_put_escaped(f, i->name);
	if (cidr[0] != '\0') {
		fputs("\\n", f);
		viz_put_escaped(f, cidr);
	}
	fputc('"', f);
}

static void viz_put_tooltip(FILE *f, const struct lab_link *l)
{
	fputs(" tooltip=\"", f);
	viz_put_escaped(f, l->name);
	fputc('"', f);
}

/* A wire with exactly two cables is drawn as an edge, not as a node. */
static int viz_wire_is_edge(const struct lab *lab, const struct lab_switch *sw)
{
	size_t i, n = 0;

	if (sw->kind != LAB_WIRE)
		return 0;
	for (i = 0; i < lab->nlinks; i++)
		if (lab->links[i]->sw == sw && lab->links[i]->iface != NULL)
			n++;
	return n == 2;
}

static size_t viz_count_drawn(const struct lab *lab)
{
	size_t i, n = lab->nnodes;

	for (i = 0; i < lab->nswitches; i++)
		if (!viz_wire_is_edge(lab, lab->switches[i]))
			n++;
	return n;
}

static const char *viz_engine_for(const struct lab *lab, const struct viz_style *st)
{
	if (st != NULL && st->engine != NULL)
		return st->engine;
	return viz_count_drawn(lab) <= VIZ_DOT_MAX_NODES ? "dot" : "sfdp";
}

int viz_known_engine(const char *engine)
{
	size_t i;

	for (i = 0; i < sizeof(viz_engines) / sizeof(viz_engines[0]); i++)
		if (strcmp(engine, viz_engines[i]) == 0)
			return 1;
	return 0;
}

static size_t viz_index_of_link(const struct lab *lab, const struct lab_link *l)
{
	size_t i;

	for (i = 0; i < lab->nlinks; i++)
		if (lab->links[i] == l)
			break;
	return i;
}

/* The caller's text for link l, or NULL. */
static const char *viz_link_label(const struct lab *lab, const struct viz_style *st, const struct lab_link *l)
{
	size_t i;

	if (st == NULL || st->link_label == NULL)
		return NULL;
	i = viz_index_of_link(lab, l);
	return i < lab->nlinks ? st->link_label[i] : NULL;
}

/*
 * Colours that read on a projector and in grey print; the state is also
 * written under the name so colour is never the only cue.
 */
static void viz_put_state_style(FILE *f, const char *state)
{
	const char *fill = "#fff3cd", *line = "#b7791f", *pen = "1.5";

	if (strcmp(state, "ready") == 0) {
		fill = "#d4edda";
		line = "#2e7d32";
	} else if (strcmp(state, "stopped") == 0) {
		fill = "#e3e8ee";
		line = "#455a64";
	} else if (strcmp(state, "crashed") == 0 || strcmp(state, "failed") == 0) {
		fill = "#f8d0d0";
		line = "#c62828";
		pen = "3";
	}
	fprintf(f, " fillcolor=\"%s\" color=\"%s\" penwidth=%s", fill, line, pen);
}

static void viz_write_switch(FILE *f, const struct lab_switch *sw)
{
	fputs("  ", f);
	viz_put_id(f, 's', sw->name);
	fputs(" [label=\"", f);
	viz_put_escaped(f, sw->name);
	switch (sw->kind) {
	case LAB_HUB:
		fputs("\" shape=ellipse fillcolor=\"#fff4c2\"];\n", f);
		break;
	case LAB_WIRE: /* a wire that is not cabled to exactly two guests */
		fputs("\" shape=box style=\"dashed\" fontsize=9];\n", f);
		break;
	case LAB_SWITCH:
	default:
		fputs("\" shape=component fillcolor=\"#cfe2f3\"];\n", f);
		break;
	}
}

/* The two cables of a two-port wire as one guest-to-guest edge. */
static void viz_write_wire(FILE *f, const struct lab *lab, const struct lab_switch *sw,
			   const struct viz_style *st)
{
	const struct lab_link *ends[2] = { NULL, NULL };
	size_t i, n = 0;

	for (i = 0; i < lab->nlinks && n < 2; i++)
		if (lab->links[i]->sw == sw && lab->links[i]->iface != NULL)
			ends[n++] = lab->links[i];
	fputs("  ", f);
	viz_put_id(f, 'n', ends[0]->iface->node->name);
	fputs(" -- ", f);
	viz_put_id(f, 'n', ends[1]->iface->node->name);
	fputs(" [taillabel=", f);
	viz_put_iface_label(f, ends[0]->iface);
	fputs(" headlabel=", f);
	viz_put_iface_label(f, ends[1]->iface);
	fputs(" label=\"", f);
	viz_put_escaped(f, sw->name);
	for (i = 0; i < 2; i++) {
		const char *t = viz_link_label(lab, st, ends[i]);

		if (t != NULL) {
			fputs("\\n", f);
			viz_put_escaped(f, ends[i]->iface->node->name);
			fputs(": ", f);
			viz_put_escaped(f, t);
		}
	}
	fputs("\" style=bold minlen=2", f);
	fputs(" tooltip=\"", f);
	viz_put_escaped(f, sw->name);
	fputs("\"];\n", f);
}

/* A link whose impairments are set in the lab model (either direction). */
static int viz_impaired(const struct lab_link *l)
{
	static const struct lab_impair zero;

	return memcmp(&l->imp[0], &zero, sizeof(zero)) != 0 ||
	       memcmp(&l->imp[1], &zero, sizeof(zero)) != 0;
}

/* VLANs by colour; a link down red and dashed; an impaired one dashed. */
static void viz_put_link_look(FILE *f, const struct lab_link *l)
{
	static const char *const palette[] = {
		"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
	};

	if (l->down)
		fputs(" color=\"#c62828\" style=dashed penwidth=2", f);
	else if (viz_impaired(l))
		fputs(" style=dashed", f);
	if (l->vlan && !l->down)
		fprintf(f, " color=\"%s\" penwidth=2", palette[l->vlan % 8]);
}

static void viz_write(FILE *f, const struct lab *lab, const struct viz_style *st)
{
	size_t i;

	fputs("graph \"", f);
	viz_put_escaped(f, lab->name);
	fputs("\" {\n", f);
	fputs("  graph [label=\"", f);
	viz_put_escaped(f, lab->name);
	/* layout= lets `dot -Tsvg lab.dot` pick the engine viz_render uses. */
	/* Head/tail labels get no room from the layout: spread the nodes. */
	/* Obstacle-avoiding splines cost sfdp 20 s at 250 nodes (straight
	 * lines: 0.1 s); big labs get straight lines. */
	fprintf(f, "\" labelloc=t fontname=\"Helvetica\" fontsize=16 layout=%s overlap=false"
		   " splines=%s outputorder=edgesfirst nodesep=0.9 ranksep=1.2];\n",
		viz_engine_for(lab, st), viz_count_drawn(lab) <= VIZ_DOT_MAX_NODES ? "true" : "line");
	fputs("  node [fontname=\"Helvetica\" fontsize=11 style=filled fillcolor=white];\n", f);
	fputs("  edge [fontname=\"Helvetica\" fontsize=9 labelfontsize=9 labelfontcolor=\"#1f4e79\""
	      " labeldistance=2.2];\n",
	      f);

	for (i = 0; i < lab->nnodes; i++) {
		const struct lab_node *n = lab->nodes[i];

		const char *state = st != NULL && st->node_state != NULL ? st->node_state[i] : NULL;

		fputs("  ", f);
		viz_put_id(f, 'n', n->name);
		fputs(" [label=\"", f);
		viz_put_escaped(f, n->name);
		if (state != NULL) {
			fputs("\\n", f);
			viz_put_escaped(f, state);
		}
		fputs("\" shape=box", f);
		if (state != NULL)
			viz_put_state_style(f, state);
		fputs("];\n", f);
	}
	for (i = 0; i < lab->nswitches; i++) {
		const struct lab_switch *sw = lab->switches[i];

		if (viz_wire_is_edge(lab, sw))
			viz_write_wire(f, lab, sw, st);
		else
			viz_write_switch(f, sw);
	}
	/* One edge per cable; parallel cables stay parallel edges. */
	for (i = 0; i < lab->nlinks; i++) {
		const struct lab_link *l = lab->links[i];
		const char *t;

		if (l->iface == NULL || l->sw == NULL || viz_wire_is_edge(lab, l->sw))
			continue;
		fputs("  ", f);
		viz_put_id(f, 'n', l->iface->node->name);
		fputs(" -- ", f);
		viz_put_id(f, 's', l->sw->name);
		fputs(" [taillabel=", f);
		viz_put_iface_label(f, l->iface);
		viz_put_tooltip(f, l);
		viz_put_link_look(f, l);
		if ((t = viz_link_label(lab, st, l)) != NULL || l->vlan || l->trunk || l->down ||
		    viz_impaired(l)) {
			int said = t != NULL;

			fputs(" label=\"", f);
			if (t != NULL)
				viz_put_escaped(f, t);
			if (l->vlan)
				fprintf(f, "%svlan %d", said++ ? "\\n" : "", l->vlan);
			if (l->trunk) {
				fprintf(f, "%strunk", said++ ? "\\n" : "");
				for (int v = 0; v < l->nvlans; v++)
					fprintf(f, "%s%d", v ? "," : " ", l->vlans[v]);
				if (l->nvlans == 0)
					fputs(" (all)", f);
			}
			if (l->down)
				fprintf(f, "%sDOWN", said ? "\\n" : "");
			else if (viz_impaired(l))
				fprintf(f, "%simpaired", said ? "\\n" : "");
			fputc('"', f);
		}
		fputs("];\n", f);
	}
	/* Trunks between switches: bold, labelled with their VLANs. */
	for (i = 0; i < lab->ntrunks; i++) {
		const struct lab_trunk *k = lab->trunks[i];

		fputs("  ", f);
		viz_put_id(f, 's', k->a->name);
		fputs(" -- ", f);
		viz_put_id(f, 's', k->b->name);
		fputs(" [style=bold penwidth=3 color=\"#555555\" label=\"trunk", f);
		for (int v = 0; v < k->nvlans; v++)
			fprintf(f, "%s%d", v ? "," : " ", k->vlans[v]);
		if (k->nvlans == 0)
			fputs(" (all)", f);
		fputs("\"];\n", f);
	}
	/* Uplinks: the world beyond the lab, named by its URL. */
	for (i = 0; i < lab->nuplinks; i++) {
		const struct lab_uplink *u = lab->uplinks[i];

		fputs("  ", f);
		viz_put_id(f, 'u', u->name);
		fputs(" [label=\"", f);
		viz_put_escaped(f, u->url);
		fputs("\" shape=cds style=\"filled,dashed\" fillcolor=\"#eeeeee\" fontsize=9];\n  ", f);
		viz_put_id(f, 's', u->sw->name);
		fputs(" -- ", f);
		viz_put_id(f, 'u', u->name);
		fputs(" [style=dashed label=\"", f);
		viz_put_escaped(f, u->name);
		fputs("\" fontsize=9];\n", f);
	}
	/* Plugs: a program on this host, not a place; its socket (known once
	 * the lab runs) only as a tooltip, since it goes with the lab. */
	for (i = 0; i < lab->nplugs; i++) {
		const struct lab_plug *p = lab->plugs[i];

		fputs("  ", f);
		viz_put_id(f, 'p', p->name);
		fputs(" [label=\"host program\" shape=invhouse style=\"filled,dotted\" "
		      "fillcolor=\"#fff4cc\" fontsize=9", f);
		if (p->path[0] != '\0') {
			fputs(" tooltip=\"umlab://", f);
			viz_put_escaped(f, p->path);
			fputc('"', f);
		}
		fputs("];\n  ", f);
		viz_put_id(f, 's', p->sw->name);
		fputs(" -- ", f);
		viz_put_id(f, 'p', p->name);
		fputs(" [style=dotted label=\"", f);
		viz_put_escaped(f, p->name);
		fputs("\" fontsize=9];\n", f);
	}
	fputs("}\n", f);
}

char *viz_topology_dot(const struct lab *lab)
{
	return viz_topology_dot_style(lab, NULL);
}

char *viz_topology_dot_style(const struct lab *lab, const struct viz_style *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (lab == NULL)
		return NULL;
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	viz_write(f, lab, st);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int viz_known_format(const char *format)
{
	size_t i;

	for (i = 0; i < sizeof(viz_formats) / sizeof(viz_formats[0]); i++)
		if (strcmp(format, viz_formats[i]) == 0)
			return 1;
	return 0;
}

/*
 * The one Graphviz context of the process.  A context per render is not
 * safe: the pango plugin (Graphviz 2.42, Debian 12) caches a pointer to
 * the last font name, which belongs to the context, and reads it after
 * gvFreeContext (ASan: heap-use-after-free in textspan_size on the second
 * render).  A run renders several times (report.html early, at start()
 * and at the end; topology.svg), so the context lives until exit.
 */
static GVC_t *viz_gvc;

/* Lay out and render dot text into f.  0 or -1 with err filled. */
static int viz_render_gv(const char *dot, const char *engine, const char *format, FILE *f, char *err,
			 size_t errlen)
{
	GVC_t *gvc;
	Agraph_t *g;
	int rc = -1;

	if (viz_gvc == NULL)
		viz_gvc = gvContext();
	gvc = viz_gvc;
	if (gvc == NULL) {
		viz_err(err, errlen, "graphviz: cannot create a context");
		return -1;
	}
	g = agmemread(dot);
	if (g == NULL) {
		viz_err(err, errlen, "graphviz: cannot parse the generated dot text");
		goto out;
	}
	/* The layout attribute would override the engine gvLayout is given. */
	agsafeset(g, "layout", (char *)engine, "");
	if (gvLayout(gvc, g, engine) != 0) {
		if (strcmp(engine, "sfdp") != 0) {
			viz_err(err, errlen, "graphviz: layout with '%s' failed", engine);
			goto out_graph;
		}
		/* sfdp is an optional plugin; neato handles big graphs, slower. */
		agsafeset(g, "layout", "neato", "");
		if (gvLayout(gvc, g, "neato") != 0) {
			viz_err(err, errlen, "graphviz: layout with 'sfdp' and 'neato' failed");
			goto out_graph;
		}
	}
	if (gvRender(gvc, g, format, f) != 0)
		viz_err(err, errlen, "graphviz: cannot render format '%s' (plugin missing?)", format);
	else
		rc = 0;
	gvFreeLayout(gvc, g);
out_graph:
	agclose(g);
out:
	return rc;
}

/* Check the inputs and build the dot text; NULL with err filled. */
static char *viz_prepare(const struct lab *lab, const char *format, const struct viz_style *st, char *err,
			 size_t errlen)
{
	char *dot;

	if (lab == NULL || format == NULL) {
		viz_err(err, errlen, "viz: missing lab or format");
		return NULL;
	}
	if (!viz_known_format(format)) {
		viz_err(err, errlen, "unknown output format '%s' (use svg, png, pdf or dot)", format);
		return NULL;
	}
	if (st != NULL && st->engine != NULL && !viz_known_engine(st->engine)) {
		viz_err(err, errlen, "unknown layout engine '%s' (use dot, neato, sfdp, fdp, circo or twopi)",
			st->engine);
		return NULL;
	}
	dot = viz_topology_dot_style(lab, st);
	if (dot == NULL)
		viz_err(err, errlen, "lab %s: cannot build the dot text: %s", lab->name, strerror(errno));
	return dot;
}

/* The picture of dot into f.  0 or -1 with err filled. */
static int viz_emit(const struct lab *lab, const char *dot, const char *format, const struct viz_style *st,
		    FILE *f, const char *what, char *err, size_t errlen)
{
	if (strcmp(format, "dot") == 0) {
		if (fputs(dot, f) == EOF) {
			viz_err(err, errlen, "%s: write: %s", what, strerror(errno));
			return -1;
		}
		return 0;
	}
	return viz_render_gv(dot, viz_engine_for(lab, st), format, f, err, errlen);
}

char *viz_render_mem(const struct lab *lab, const char *format, const struct viz_style *st, size_t *lenp,
		     char *err, size_t errlen)
{
	char *dot, *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if ((dot = viz_prepare(lab, format, st, err, errlen)) == NULL)
		return NULL;
	f = open_memstream(&buf, &len);
	if (f == NULL) {
		viz_err(err, errlen, "viz: %s", strerror(errno));
		free(dot);
		return NULL;
	}
	rc = viz_emit(lab, dot, format, st, f, "memory", err, errlen);
	free(dot);
	if (fclose(f) != 0 && rc == 0) {
		viz_err(err, errlen, "viz: %s", strerror(errno));
		rc = -1;
	}
	if (rc != 0) {
		free(buf);
		return NULL;
	}
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

int viz_render(const struct lab *lab, const char *format, const char *dest, char *err, size_t errlen)
{
	return viz_render_style(lab, format, dest, NULL, err, errlen);
}

int viz_render_style(const struct lab *lab, const char *format, const char *dest, const struct viz_style *st,
		     char *err, size_t errlen)
{
	char *dot = NULL, *tmp = NULL;
	FILE *f = NULL;
	size_t tmplen;
	mode_t mask;
	int fd, rc = -1;

	if (dest == NULL || dest[0] == '\0') {
		viz_err(err, errlen, "viz: missing output path");
		return -1;
	}
	if ((dot = viz_prepare(lab, format, st, err, errlen)) == NULL)
		return -1;
	if (strcmp(dest, "-") == 0) {
		rc = viz_emit(lab, dot, format, st, stdout, "stdout", err, errlen);
		if (rc == 0 && fflush(stdout) != 0) {
			viz_err(err, errlen, "stdout: write: %s", strerror(errno));
			rc = -1;
		}
		free(dot);
		return rc;
	}
	/* Same folder as dest, so rename(2) replaces it atomically. */
	tmplen = strlen(dest) + sizeof(".tmpXXXXXX");
	tmp = malloc(tmplen);
	if (tmp == NULL) {
		viz_err(err, errlen, "%s: %s", dest, strerror(ENOMEM));
		goto out;
	}
	snprintf(tmp, tmplen, "%s.tmpXXXXXX", dest);
	fd = mkstemp(tmp);
	if (fd < 0) {
		viz_err(err, errlen, "%s: cannot create a temporary file: %s", dest, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	/* mkstemp makes 0600; give the picture the usual 0666 & ~umask. */
	mask = umask(0);
	umask(mask);
	(void)fchmod(fd, 0666 & ~mask);
	f = fdopen(fd, "w");
	if (f == NULL) {
		viz_err(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto out_unlink;
	}
	if (viz_emit(lab, dot, format, st, f, tmp, err, errlen) != 0)
		goto out_unlink;
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		viz_err(err, errlen, "%s: write: %s", tmp, strerror(errno ? errno : EIO));
		goto out_unlink;
	}
	if (fclose(f) != 0) {
		f = NULL;
		viz_err(err, errlen, "%s: close: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	f = NULL;
	if (rename(tmp, dest) != 0) {
		viz_err(err, errlen, "%s: cannot rename from %s: %s", dest, tmp, strerror(errno));
		goto out_unlink;
	}
	rc = 0;
	goto out;
out_unlink:
	if (f != NULL)
		fclose(f);
	unlink(tmp);
out:
	free(tmp);
	free(dot);
	return rc;
}
