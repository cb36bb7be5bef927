#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Failover reaction latency of vpnecmp, measured in the gateway namespace
# that failover_latency.sh prepares (topo.sh; paths t1, t2 in group g over
# nexthop group 100, hold-up 0).  Each trial deletes tunnel 1's outbound SA
# and waits for the nexthop group replace; then the SA is re-added and the
# group restored (not timed).  Three figures per trial:
#
#   module   kernel clock: the XFRM hook saw the deletion (PATH_NTF cause_ns)
#            -> the kernel acknowledged the replace (GROUP_NTF timestamp_ns)
#   floor    one RTM_NEWNEXTHOP replace of the same group sent by this
#            (already running) process, send -> ACK
#
# Prints numbers only; it never judges them.  Usage: latency.py TRIALS

import select
import socket
import statistics
import struct
import subprocess
import sys
import time

SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_XFRM = 6
XFRMNLGRP_SA = 3
XFRM_MSG_DELSA = 0x11
RTNLGRP_NEXTHOP = 32
RTM_NEWNEXTHOP = 104
NLMSG_ERROR = 2


def attrs(buf):
    off = 0
    while off + 4 <= len(buf):
        length, atype = struct.unpack_from("=HH", buf, off)
        if length < 4:
            return
        yield atype & 0x3fff, buf[off + 4:off + length]
        off += (length + 3) & ~3


def messages(data):
    off = 0
    while off + 16 <= len(data):
        length, mtype, flags, seq, pid = struct.unpack_from("=IHHII", data, off)
        if length < 16:
            return
        yield mtype, data[off + 16:off + length]
        off += (length + 3) & ~3


def genl_family(sock, name):
    payload = struct.pack("=BBH", 3, 1, 0)
    nm = name.encode() + b"\0"
    payload += struct.pack("=HH", 4 + len(nm), 2) + nm + b"\0" * (-len(nm) % 4)
    sock.send(struct.pack("=IHHII", 16 + len(payload), 0x10, 1, 1, 0) + payload)
    fam, grps = None, {}
    for mtype, body in messages(sock.recv(65536)):
        for atype, val in attrs(body[4:]):
            if atype == 1:
                fam = struct.unpack("=H", val[:2])[0]
            elif atype == 7:
                for _, grp in attrs(val):
                    d = dict(attrs(grp))
                    grps[d[1].split(b"\0")[0].decode()] = struct.unpack("=I", d[2])[0]
    return fam, grps


def ntf(body):
    out = {}
    for atype, val in attrs(body[4:]):
        if atype == 7:
            for a, v in attrs(val):
                out[a] = v
    return out


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summary(name, values):
    us = [v / 1000 for v in values]
    print(f"{name:9s} n={len(us):3d}  median {statistics.median(us):9.1f} us"
          f"  p90 {pct(us, 90):9.1f} us  worst {max(us):9.1f} us")


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    delete, add = sys.argv[2], sys.argv[3]

    xs = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_XFRM)
    xs.bind((0, 1 << (XFRMNLGRP_SA - 1)))
    rs = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    rs.bind((0, 0))
    rs.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, RTNLGRP_NEXTHOP)
    gs = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    gs.bind((0, 0))
    fam, grps = genl_family(gs, "vpnecmp")
    gs.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, grps["events"])
    cs = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    cs.bind((0, 0))

    module, floor = [], []
    for trial in range(trials):
        t_del = t_nh = cause = done = None
        subprocess.run(delete, shell=True, check=True)
        deadline = time.monotonic() + 10
        while (t_nh is None or done is None) and time.monotonic() < deadline:
            ready, _, _ = select.select([xs, rs, gs], [], [], 1)
            now = time.monotonic_ns()
            for s in ready:
                data = s.recv(65536)
                for mtype, body in messages(data):
                    if s is xs and mtype == XFRM_MSG_DELSA and t_del is None:
                        t_del = now
                    elif s is rs and mtype == RTM_NEWNEXTHOP and t_nh is None:
                        if dict(attrs(body[8:])).get(1) == struct.pack("=I", 100):
                            t_nh = now
                    elif s is gs and mtype == fam:
                        cmd = body[0]
                        a = ntf(body)
                        if cmd == 11 and struct.unpack("=I", a[4])[0] == 0:
                            cause = struct.unpack("=Q", a[7])[0]
                        elif cmd == 12 and cause is not None:
                            done = struct.unpack("=Q", a[6])[0]
        if None in (t_del, t_nh, cause, done):
            print(f"# trial {trial}: incomplete (delsa {t_del}, nexthop {t_nh},"
                  f" cause {cause}, replace {done})")
        else:
            module.append(done - cause)
        subprocess.run(add, shell=True, check=True)
        # drain until the group is back (two members)
        deadline = time.monotonic() + 10
        back = False
        while not back and time.monotonic() < deadline:
            ready, _, _ = select.select([xs, rs, gs], [], [], 1)
            for s in ready:
                for mtype, body in messages(s.recv(65536)):
                    if s is gs and mtype == fam and body[0] == 12:
                        back = True

    # floor: the same group replaced from this running process
    members = struct.pack("=IBBH", 1, 0, 0, 0) + struct.pack("=IBBH", 2, 0, 0, 0)
    msg_attrs = (struct.pack("=HHI", 8, 1, 100) +
                 struct.pack("=HH", 4 + len(members), 2) + members +
                 struct.pack("=HHHxx", 6, 3, 0))
    for seq in range(1, trials + 1):
        body = struct.pack("=BBBBI", 0, 0, 0, 0, 0) + msg_attrs
        req = struct.pack("=IHHII", 16 + len(body), RTM_NEWNEXTHOP,
                          1 | 4 | 0x100, seq, 0) + body
        t0 = time.monotonic_ns()
        cs.send(req)
        while True:
            got = [m for m in messages(cs.recv(65536)) if m[0] == NLMSG_ERROR]
            if got:
                break
        floor.append(time.monotonic_ns() - t0)

    print(f"# {len(module)} of {trials} trials complete")
    if module:
        summary("module", module)
    summary("floor", floor)
    if not module:
        return 1
    print(f"ratio module/floor (median) "
          f"{statistics.median(module) / statistics.median(floor):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
