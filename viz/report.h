/*
 * report.h - report.html, the page a person reads after a run.  It is
 * made from report.json alone (plus the console logs beside it), so any
 * run folder can have its page rebuilt (`umlab report DIR`).
 */
#ifndef UMLAB_VIZ_REPORT_H
#define UMLAB_VIZ_REPORT_H

#include <stddef.h>

/* The report_format of report.json this reader understands. */
#define VIZ_REPORT_FORMAT 1

/* The page for report.json text json (len bytes).  dir, if not NULL, is
 * the run folder the relative paths in the report (console logs) are
 * read from.  Returns a malloc'ed NUL-terminated page (caller frees), or
 * NULL with err filled: not JSON, not an umlab report, or a report_format
 * this umlab does not know. */
char *viz_report_html(const char *json, size_t len, const char *dir, char *err, size_t errlen);

/* Read dir/report.json and write the page to out (NULL: dir/report.html)
 * through a temporary file and rename(2), so an existing page survives a
 * failure.  0 on success; -1 with err filled if the report cannot be read
 * or understood, -2 if the page cannot be written. */
int viz_report_write(const char *dir, const char *out, char *err, size_t errlen);

#endif
