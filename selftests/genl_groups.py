#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Many vpnecmp groups at once, over raw generic netlink (one process, a
# request each: thousands of CLI runs would take minutes under emulation).
#
#   genl_groups.py add N BASE DEV NHID [PATHS]
#	Groups g1..gN, group I managing kernel nexthop group BASE+I, hold-up
#	0; the first PATHS of them (default N) get a path aI over DEV,
#	nexthop NHID, signals admin only (up without an SA).  Stops at the
#	first refusal.  Each path runs the namespace's work over every group
#	(quadratic: a few paths keep a large setup fast under emulation).
#   genl_groups.py del N
#	Deletes the paths aI and the groups gI, I = 1..N (missing ones are
#	skipped).
#
# Prints "done COUNT" (requests that succeeded) and, after a refusal,
# "refused ERRNO-NAME EXTACK"; exits 0 either way (the caller judges), 2 on
# bad usage.  Runs in the current network namespace.

import errno
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from genl_badinput import (A_GROUP, A_PATH, CMD, G_HOLD, G_NAME,  # noqa: E402
                           G_NHID, P_GROUP, P_HOLD, P_IFINDEX, P_LOCAL4,
                           P_NAME, P_NHID, P_REMOTE4, P_SIGNALS, Genl, be32,
                           ifindex, nest, string, u32)

SIG_ADMIN = 1 << 4


def refused(err, text):
    print(f"refused {errno.errorcode.get(-err, str(err))} {text}")


def add(genl, n, base, dev, nhid, paths):
    done = 0
    idx = ifindex(dev)
    for i in range(1, n + 1):
        err, text, _ = genl.request(genl.family, CMD["GROUP_NEW"], nest(
            A_GROUP, string(G_NAME, f"g{i}"), u32(G_NHID, base + i),
            u32(G_HOLD, 0)))
        if err:
            refused(err, text)
            break
        done += 1
        if i > paths:
            continue
        err, text, _ = genl.request(genl.family, CMD["PATH_NEW"], nest(
            A_PATH, string(P_NAME, f"a{i}"), string(P_GROUP, f"g{i}"),
            u32(P_IFINDEX, idx), u32(P_NHID, nhid),
            be32(P_LOCAL4, "192.0.2.1"), be32(P_REMOTE4, "192.0.2.2"),
            u32(P_SIGNALS, SIG_ADMIN), u32(P_HOLD, 0)))
        if err:
            refused(err, text)
            break
        done += 1
    print(f"done {done}")


def delete(genl, n):
    done = 0
    for i in range(1, n + 1):
        err, _, _ = genl.request(genl.family, CMD["PATH_DEL"],
                                 nest(A_PATH, string(P_NAME, f"a{i}")))
        done += not err
        err, _, _ = genl.request(genl.family, CMD["GROUP_DEL"],
                                 nest(A_GROUP, string(G_NAME, f"g{i}")))
        done += not err
    print(f"done {done}")


def main(argv):
    if len(argv) >= 6 and argv[1] == "add":
        add(Genl(), int(argv[2]), int(argv[3]), argv[4], int(argv[5]),
            int(argv[6]) if len(argv) > 6 else int(argv[2]))
    elif len(argv) == 3 and argv[1] == "del":
        delete(Genl(), int(argv[2]))
    else:
        sys.exit(2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
