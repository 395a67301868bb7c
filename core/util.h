/*
 * util.h - small helpers shared by every part.
 */
#ifndef UMLAB_UTIL_H
#define UMLAB_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

/* Exit statuses of the umlab command. */
enum {
	UMLAB_EXIT_OK = 0,      /* every check passed */
	UMLAB_EXIT_FAILED = 1,  /* a check failed */
	UMLAB_EXIT_USAGE = 2,   /* bad input: scenario error, unknown option, missing file */
	UMLAB_EXIT_ENV = 3,     /* the environment is not fit (linux.uml missing, ...) */
};

/* malloc'ed printf; aborts on out-of-memory (nothing sane to do then). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

/* mkdir -p with mode; 0 on success. */
int mkdir_p(const char *path, mode_t mode);
/* rm -rf without following symlinks; 0 on success. */
int rm_rf(const char *path);
/* Write a whole file atomically (temp file + rename). 0 on success. */
int write_file_atomic(const char *path, const void *data, size_t len);
/* Copy a regular file; 0 on success. */
int copy_file(const char *from, const char *to, mode_t mode);
/* cp -a of a tree (files, folders, symlinks; modes kept); when uid is
 * not -1 everything made is chowned to uid:gid.  0 on success, else -1
 * with errno and the failing path in err. */
int copy_tree(const char *from, const char *to, uid_t uid, gid_t gid, char *err, size_t errlen);
/* The last `lines` lines of a file, malloc'ed ("" if unreadable). */
char *file_tail(const char *path, int lines);
/* Read a whole file (at most max bytes) into a malloc'ed NUL-terminated buffer. */
char *read_file(const char *path, size_t max, size_t *len);

int set_nonblock(int fd);
int set_cloexec(int fd);

/* Seconds since an arbitrary point as a double, from loop_now(). */
double now_seconds(void);

#endif
