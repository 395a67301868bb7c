/*
 * mconsole.h - a client for UML's management console (a unix datagram
 * socket at UML_DIR/UMID/mconsole).
 */
#ifndef UMLAB_MCONSOLE_H
#define UMLAB_MCONSOLE_H

#include <stddef.h>

/* Send cmd ("halt", "sysrq c", "version", ...).  When reply is non-NULL,
 * wait up to timeout_ms for the answer.  0 on success; -1 with errno or
 * with reply holding the guest's error text. */
int mconsole_command(const char *socket_path, const char *cmd, char *reply, size_t replylen,
		     int timeout_ms);

#endif
