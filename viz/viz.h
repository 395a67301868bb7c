/*
 * viz.h - pictures of a lab, drawn with Graphviz (libgvc) from the lab
 * model.  Never looks at live processes.
 */
#ifndef UMLAB_VIZ_H
#define UMLAB_VIZ_H

#include <stddef.h>

struct lab;

/* Write the lab's topology as dot text to a malloc'ed string (caller frees). */
char *viz_topology_dot(const struct lab *lab);
/* Render the topology into path; format is a Graphviz output format
 * ("svg", "png", "pdf", "dot").  0 on success, else -1 with err filled. */
int viz_render(const struct lab *lab, const char *format, const char *path, char *err, size_t errlen);

#endif
