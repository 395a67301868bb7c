/*
 * ctl.h - the control socket of a running lab (`umlab start` keeps the
 * lab's controller running in the background; `umlab status|exec|stop`
 * talk to it).  See scenarios/CONTROL.md for the protocol.
 *
 * The socket is a unix SOCK_SEQPACKET socket with owner-only permissions,
 * at RUNTIME/labs/KEY.sock, where KEY names the lab folder or scenario
 * file (its name plus a hash of its real path).  Every packet is one
 * message: a type byte, then the payload.
 */
#ifndef UMLAB_CTL_H
#define UMLAB_CTL_H

#include <stddef.h>
#include <stdint.h>

#define CTL_MAX_MSG (64 * 1024)

enum ctl_type {
	/* client -> controller */
	CTL_STATUS = 'S',   /* -> CTL_JSON */
	CTL_EXEC = 'E',     /* NODE\0ARG0\0ARG1\0... -> CTL_OUT/CTL_ERR..., then CTL_EXIT or CTL_FAIL */
	CTL_STOP = 'Q',     /* -> CTL_OK; the connection closes when the lab is down */
	CTL_FAULT = 'F',    /* KIND\0TARGET\0KEY=VALUE\0... -> CTL_OK or CTL_FAIL */
	CTL_CONNECT = 'C',  /* u16 rows, u16 cols, NODE\0[ARG0\0...]: a shell on a pty;
	                       -> CTL_OUT as it comes, CTL_EXIT at the end */
	CTL_STDIN = 'I',    /* bytes for the connected shell; len 0: hang up */
	CTL_WINSZ = 'W',    /* u16 rows, u16 cols */
	CTL_CAPTURE = 'P',  /* LINK\0, with the fd to stream pcap into (SCM_RIGHTS)
	                       -> CTL_OK; the connection closes when the stream ends */
	CTL_CHECK = 'K',    /* [WAIT_S as text]: run the lab's checks() blocks again, each
	                       wait_until at most WAIT_S s -> CTL_RESULT per check, then
	                       CTL_OK, or CTL_FAIL when a block stopped with an error */
	/* controller -> client */
	CTL_RESULT = 'r',   /* '1' passed or '0' failed, NAME\0DETAIL\0 */
	CTL_JSON = 'J',     /* status as JSON text */
	CTL_OUT = 'o',      /* stdout bytes */
	CTL_ERR = 'e',      /* stderr bytes */
	CTL_EXIT = 'x',     /* i32 little-endian wait status */
	CTL_FAIL = '!',     /* text: why the request failed */
	CTL_OK = 'k',
};

struct scn;

/* The socket path for a lab (folder or scenario file); malloc'ed, or NULL
 * with err filled when the lab cannot be resolved. */
char *ctl_socket_path(const char *lab, char *err, size_t errlen);
/* The folder holding every running lab's socket. */
char *ctl_socket_dir(void);

/* Controller side: listen at path; 0 on success.  Fails with EADDRINUSE
 * when a live controller already owns it (a stale socket is replaced). */
int ctl_listen(struct scn *s, const char *path, char *err, size_t errlen);
void ctl_close(struct scn *s);

/* Client side. */
/* Connect; -1 with errno (ECONNREFUSED/ENOENT: no such lab running; a
 * stale socket is removed). */
int ctl_connect(const char *path);
int ctl_send(int fd, int type, const void *payload, size_t len);
/* Receive one message into buf (CTL_MAX_MSG + 1 bytes); returns the
 * payload length and sets *type, 0 at EOF (type 0), -1 on error. */
long ctl_recv(int fd, int *type, uint8_t *buf);
/* The same, passing or receiving one file descriptor (-1: none). */
int ctl_send_fd(int fd, int type, const void *payload, size_t len, int passfd);
long ctl_recv_fd(int fd, int *type, uint8_t *buf, int *passedfd);

#endif
