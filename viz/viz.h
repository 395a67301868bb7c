/*
 * viz.h - pictures of a lab, drawn with Graphviz (libgvc) from the lab
 * model.  Never looks at live processes.
 */
#ifndef UMLAB_VIZ_H
#define UMLAB_VIZ_H

#include <stddef.h>

struct lab;

/* What to draw beyond the lab's shape; every field may be NULL. */
struct viz_style {
	/* "dot", "neato", "sfdp", "fdp", "circo" or "twopi"; NULL: dot up to
	 * 40 drawn nodes, sfdp above. */
	const char *engine;
	/* lab->nnodes entries ("ready", "stopped", "crashed", ...): written
	 * under the node's name and shown by its colour. */
	const char *const *node_state;
	/* lab->nlinks entries, each NULL or a label for that cable (such as
	 * its frame counters). */
	const char *const *link_label;
};

/* 1 if engine is a layout engine viz accepts. */
int viz_known_engine(const char *engine);

/* Write the lab's topology as dot text to a malloc'ed string (caller frees). */
char *viz_topology_dot(const struct lab *lab);
/* Render the topology into path; format is a Graphviz output format
 * ("svg", "png", "pdf", "dot").  0 on success, else -1 with err filled. */
int viz_render(const struct lab *lab, const char *format, const char *path, char *err, size_t errlen);
/* The same with a style (st may be NULL); path "-" writes to stdout.  An
 * existing file at path is replaced only once the new one is complete. */
int viz_render_style(const struct lab *lab, const char *format, const char *path, const struct viz_style *st,
		     char *err, size_t errlen);
/* The dot text with a style (caller frees). */
char *viz_topology_dot_style(const struct lab *lab, const struct viz_style *st);
/* Render into a malloc'ed buffer (caller frees) of *len bytes, NUL
 * terminated; NULL with err filled. */
char *viz_render_mem(const struct lab *lab, const char *format, const struct viz_style *st, size_t *len,
		     char *err, size_t errlen);

#endif
