/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who feeds a signal: the registry "vpnecmp daemon" keeps, per network
 * namespace, of the signals its feeders own, read by "vpnecmp event" (see
 * owner.c).
 */
#ifndef _VPNECMP_OWNER_H
#define _VPNECMP_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define VPNECMP_RUN_DIR		"/run/vpnecmp"
#define VPNECMP_SOURCE_MAX	16

struct vpnecmp_owner {
	char path[16];
	unsigned int signal;			/* enum vpnecmp_signal */
	char source[VPNECMP_SOURCE_MAX];	/* strongswan, libreswan, bgp, probe */
	pid_t pid;				/* of the daemon */
	char conf[256];				/* its configuration file */
};

/* The registry of the current network namespace; 0 or -errno. */
int vpnecmp_owner_file(char *buf, size_t len);
/* 1 and *o filled when a running daemon feeds PATH's SIGNAL, else 0. */
int vpnecmp_owner_find(const char *path, unsigned int signal, struct vpnecmp_owner *o);
/* The daemon's declaration, whole (n may be 0); 0 or -errno. */
int vpnecmp_owner_write(const struct vpnecmp_owner *o, unsigned int n);
void vpnecmp_owner_remove(void);

#endif /* _VPNECMP_OWNER_H */
