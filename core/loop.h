/*
 * loop.h - the lab's event loop: file descriptors, timers and child
 * processes on one epoll instance.  Nothing in the controller blocks;
 * every subsystem registers callbacks here.
 *
 * Callbacks may delete the object being dispatched (including their own
 * fd registration or timer): a deleted registration is never called again,
 * even later in the same dispatch round.
 */
#ifndef UMLAB_LOOP_H
#define UMLAB_LOOP_H

#include <stdint.h>
#include <sys/types.h>

struct loop;
struct loop_timer;

/* events is a mask of EPOLLIN/EPOLLOUT/EPOLLHUP/EPOLLERR */
typedef void (*loop_fd_cb)(int fd, uint32_t events, void *arg);
/* Return the next delay in ns to run again, or LOOP_TIMER_DONE. */
typedef int64_t (*loop_timer_cb)(struct loop_timer *t, void *arg);
/* status is as from waitpid(2). */
typedef void (*loop_child_cb)(pid_t pid, int status, void *arg);

#define LOOP_TIMER_DONE (-1)
#define LOOP_NS_PER_MS 1000000LL
#define LOOP_NS_PER_S 1000000000LL

struct loop *loop_new(void);
void loop_free(struct loop *l);

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
void loop_del_fd(struct loop *l, int fd);

/* Run cb after delay_ns (0: on the next round).  The timer is freed when
 * cb returns LOOP_TIMER_DONE or when cancelled. */
struct loop_timer *loop_timer_add(struct loop *l, int64_t delay_ns, loop_timer_cb cb, void *arg);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Watch a child process through a pidfd; cb runs once, after it is reaped. */
int loop_add_child(struct loop *l, pid_t pid, loop_child_cb cb, void *arg);
/* Stop watching (the caller reaps the child itself). */
void loop_del_child(struct loop *l, pid_t pid);

/* Monotonic clock in ns. */
int64_t loop_now(void);

/* Dispatch one round of events, waiting at most timeout_ms (-1: forever).
 * Returns the number of callbacks run, or -1 on error. */
int loop_run_once(struct loop *l, int timeout_ms);
/* Run until loop_break(). */
void loop_run(struct loop *l);
void loop_break(struct loop *l);
int loop_broken(const struct loop *l);

#endif
