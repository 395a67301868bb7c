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
int agent_poweroff(struct agent *a);
/* Requests still waiting for their EXIT. */
unsigned agent_pending(const struct agent *a);

#endif
