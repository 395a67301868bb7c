/*
 * agent.h - the controller's side of the agent protocol (guest/proto.h):
 * one struct agent per running guest, reading and writing the guest's
 * serial line through the event loop.
 */
#ifndef UMLAB_AGENT_H
#define UMLAB_AGENT_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct agent;

/* Output kept per stream of one exec; the rest is counted and dropped. */
#define AGENT_OUTPUT_MAX (16u * 1024 * 1024)

struct agent_exec_result {
	int status;          /* wait status (WIFEXITED...); valid when error == NULL */
	const char *error;   /* non-NULL: the command did not run or its end was lost */
	const char *out;     /* NUL-terminated; out_len bytes (may contain NULs) */
	size_t out_len;
	const char *err;
	size_t err_len;
	int truncated;       /* output beyond AGENT_OUTPUT_MAX was dropped */
	int64_t duration_ns; /* request sent to EXIT received */
	int timed_out;       /* the guest killed it after its timeout */
	int detached;        /* a leftover process kept its output open: EXIT came
			      * without the rest of the output (guest/PROTOCOL.md) */
	unsigned mode;       /* agent_get: the file's mode bits */
};

/* Streamed output of an exec (agent_exec_ex with `output`): called for
 * each chunk instead of keeping it; fd 1 or 2. */
typedef void (*agent_output_cb)(int fd, const char *p, size_t len, void *arg);

struct agent_exec_opts {
	const char *const *env;   /* NULL or KEY=VALUE strings, NULL-terminated */
	const char *cwd;          /* NULL: / */
	const void *stdin_data;   /* sent as the process's stdin... */
	size_t stdin_len;
	int stdin_open;           /* ...then EOF, unless set: feed it with agent_stdin() */
	unsigned timeout_ms;      /* 0: none; else the guest kills the process group */
	int pty;                  /* run on a pty (session leader, controlling tty) */
	unsigned rows, cols;      /* the pty's size; 0: 24x80 */
	agent_output_cb output;   /* NULL: collect output into the result */
	void *output_arg;
};

/* The result and its buffers are valid only during the callback. */
typedef void (*agent_exec_cb)(const struct agent_exec_result *r, void *arg);

struct agent_events {
	void (*hello)(void *arg, uint32_t version, const char *banner);
	void (*ready)(void *arg, const char *info);
	/* Setup failed, or the channel broke (protocol error, EOF): msg says why.
	 * After a channel error the agent accepts no more requests. */
	void (*error)(void *arg, const char *msg);
	void (*log)(void *arg, const char *text, size_t len);
};

/* rfd/wfd: the host ends of the serial line, made non-blocking here; the
 * agent closes them in agent_free(). */
struct agent *agent_new(struct loop *l, int rfd, int wfd, const struct agent_events *ev, void *arg);
/* Pending execs get their callback with error "agent closed". */
void agent_free(struct agent *a);

int agent_setup(struct agent *a, const char *text);
/* Returns the request id (> 0) or -1 when the channel is down. */
int agent_exec(struct agent *a, const char *const argv[], agent_exec_cb cb, void *arg);
/* exec with options; o may be NULL.  Returns the id or -1. */
int agent_exec_ex(struct agent *a, const char *const argv[], const struct agent_exec_opts *o,
		  agent_exec_cb cb, void *arg);
/* More stdin for an exec started with stdin_open; len 0 sends EOF. */
int agent_stdin(struct agent *a, int id, const void *p, size_t len);
/* Resize the pty of an exec started with pty = 1. */
int agent_winsize(struct agent *a, int id, unsigned rows, unsigned cols);
/* Send a signal to an exec's process group. */
int agent_kill(struct agent *a, int id, int sig);
/* Write data to path in the guest with the given mode; cb gets status 0
 * or an error naming the path. */
int agent_put(struct agent *a, const char *path, unsigned mode, const void *data, size_t len,
	      agent_exec_cb cb, void *arg);
/* Read a guest file: cb gets it in out/out_len and its mode in mode;
 * larger than AGENT_OUTPUT_MAX is an error. */
int agent_get(struct agent *a, const char *path, agent_exec_cb cb, void *arg);
int agent_poweroff(struct agent *a);
/* Requests still waiting for their EXIT. */
unsigned agent_pending(const struct agent *a);

#endif
