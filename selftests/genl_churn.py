#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Configuration and signal churn for races.sh, over raw generic netlink so
# that one process makes hundreds of requests a second even under emulation.
#
#   genl_churn.py SECONDS SEED
#
# Runs in the gateway namespace of topo.sh until SECONDS have passed, doing
# at random: dpd events on t1 and t2, weight changes of t1, add/del of group
# "rg" (nhid 110) and of its paths r3 (dev t3, nhid 13, if_id 3) and r4
# (dev t4, nhid 14, if_id 4), and re-adding group "g" and its paths t1/t2
# when a module reload lost them.  Every answer is accepted (the devices,
# nexthops and the module itself come and go under it); a request that
# gets no answer at all is a failure.  Ends with t1 and t2 dpd up, and
# prints "ops N" and the errnos seen.

import errno
import random
import socket
import sys
import time
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from genl_badinput import (A_GROUP, A_PATH, A_SIGNAL, A_SIGNAL_UP, CMD,  # noqa: E402
                           G_HOLD, G_NAME, G_NHID, P_GROUP, P_HOLD, P_IF_ID,
                           P_IFINDEX, P_LOCAL4, P_MARK, P_NAME, P_NHID,
                           P_REMOTE4, P_SIGNALS, P_WEIGHT, Genl, be32, nest,
                           string, u8, u32)

SIG_DPD = 1
SIGNALS = 0x13  # sa, dpd, admin


def ifindex(dev):
    try:
        return socket.if_nametoindex(dev)
    except OSError:
        return 0


def path_new(name, group, dev, nhid, local, remote, tag, tagval):
    return nest(A_PATH, string(P_NAME, name), string(P_GROUP, group),
                u32(P_IFINDEX, ifindex(dev) or 999999), u32(P_NHID, nhid),
                be32(P_LOCAL4, local), be32(P_REMOTE4, remote),
                u32(tag, tagval), u32(P_SIGNALS, SIGNALS), u32(P_HOLD, 100))


class Churn:
    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.genl = None
        self.ops = 0
        self.errnos = {}

    def connect(self):
        try:
            self.genl = Genl()
            self.genl.sock.settimeout(10)
        except SystemExit:      # the family is not registered right now
            self.genl = None

    def req(self, cmd, payload):
        if self.genl is None:
            self.connect()
            if self.genl is None:
                self.count("nofamily")
                time.sleep(0.05)
                return -errno.ENOENT
        err, _, _ = self.genl.request(self.genl.family, CMD[cmd], payload)
        self.ops += 1
        self.count(errno.errorcode.get(-err, "ok"))
        if err in (-errno.ENOENT, -errno.EOPNOTSUPP) and self.rnd.random() < 0.2:
            self.genl.sock.close()   # maybe the module was reloaded
            self.genl = None
        return err

    def count(self, key):
        self.errnos[key] = self.errnos.get(key, 0) + 1

    def event(self, path, up):
        return self.req("EVENT", nest(A_PATH, string(P_NAME, path)) +
                        u32(A_SIGNAL, SIG_DPD) + u8(A_SIGNAL_UP, up))

    def main_config(self):
        self.req("GROUP_NEW", nest(A_GROUP, string(G_NAME, "g"), u32(G_NHID, 100),
                                   u32(G_HOLD, 100)))
        for i in (1, 2):
            self.req("PATH_NEW", path_new(f"t{i}", "g", f"t{i}", i,
                                          f"192.0.2.{4 * i - 3}",
                                          f"192.0.2.{4 * i - 2}", P_MARK, i))

    def step(self):
        r = self.rnd
        op = r.randrange(10)
        if op < 4:
            self.event(r.choice(["t1", "t2"]), r.randrange(2))
        elif op == 4:
            self.req("PATH_SET", nest(A_PATH, string(P_NAME, "t1"),
                                      u32(P_WEIGHT, r.randrange(1, 5))))
        elif op == 5:
            self.req("GROUP_NEW", nest(A_GROUP, string(G_NAME, "rg"),
                                       u32(G_NHID, 110)))
        elif op == 6:
            i = r.choice([3, 4])
            self.req("PATH_NEW", path_new(f"r{i}", "rg", f"t{i}", 10 + i,
                                          "192.0.2.1", "192.0.2.2", P_IF_ID, i))
        elif op == 7:
            self.req("PATH_DEL", nest(A_PATH, string(P_NAME, r.choice(["r3", "r4"]))))
        elif op == 8:
            self.req("GROUP_DEL", nest(A_GROUP, string(G_NAME, "rg")))
        else:
            self.main_config()


def main():
    seconds, seed = float(sys.argv[1]), int(sys.argv[2])
    c = Churn(seed)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            c.step()
    except socket.timeout:
        print("a request got no answer")
        return 1
    # Leave the signals up; the module may be absent at this moment.
    for p in ("t1", "t2"):
        c.event(p, 1)
    print(f"ops {c.ops}")
    print(" ".join(f"{k}:{v}" for k, v in sorted(c.errnos.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
