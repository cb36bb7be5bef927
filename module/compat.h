/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels vpnecmp supports (Debian's 6.1 and 6.12,
 * and newer).  Forced into every file by Kbuild: this is the only place that
 * may test LINUX_VERSION_CODE or probe for kernel features.
 */
#ifndef _VPNECMP_COMPAT_H
#define _VPNECMP_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

/*
 * Listening to the events group needs CAP_NET_ADMIN where the kernel can
 * enforce it (6.6, and backported to Debian's 6.1).
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define VPNECMP_MCGRP_FLAGS	.flags = GENL_MCAST_CAP_NET_ADMIN
#else
#define VPNECMP_MCGRP_FLAGS
#endif

/* alloc_workqueue() WARNs on newer kernels without an explicit flag. */
#define VPNECMP_WQ_FLAGS	(WQ_MEM_RECLAIM | WQ_UNBOUND)

#endif /* _VPNECMP_COMPAT_H */
