#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Large objects through a small reader, in raw generic netlink (the kernel's
# behaviour, not a client library's).  Runs in the namespace scale.sh
# prepares: dummy d0, nexthops 1..256 over it, kernel groups 1001..1004.
# It creates group "big" (256 paths) and "s2".."s4" (248 paths each): 1000
# paths.  Prints "ok<TAB>DESC" / "not ok<TAB>DESC" lines after "# "
# diagnostics, for scale.sh to turn into KTAP; --count prints the number
# of cases.
#
# The reader is libmnl-style: a 4 KiB buffer.  A datagram larger than that
# is sized with MSG_PEEK | MSG_TRUNC and read whole (as libnl does): the
# kernel may send one only when it holds a single object that cannot be
# smaller (the 256-member group, about 10 KiB).

import errno
import select
import socket
import struct
import sys
import time

from genl_badinput import (Genl, nest, string, u8, u32, be32,
                           A_GROUP, A_PATH, A_SIGNAL, A_SIGNAL_UP, A_NTF,
                           G_NAME, G_NHID, G_HOLD, P_NAME, P_GROUP,
                           P_IFINDEX, P_NHID, P_LOCAL4, P_REMOTE4, P_MARK,
                           P_SIGNALS, P_HOLD, NLMSG_ERROR, CMD)

NLM_F_DUMP = 0x300
NLM_F_MULTI = 2
NLMSG_DONE = 3
G_MEMBERS = 10
NTF_GROUP, NTF_MEMBERS = 2, 8
GROUP_NTF = 12
SIGNAL_ADMIN = 4
READER = 4096
CASES = 9

GROUPS = [("big", 1001, 256), ("s2", 1002, 248), ("s3", 1003, 248),
          ("s4", 1004, 248)]


def attrs(payload):
    out = {}
    off = 0
    while off + 4 <= len(payload):
        length, atype = struct.unpack_from("=HH", payload, off)
        if length < 4:
            break
        out.setdefault(atype & 0x3fff, []).append(payload[off + 4:off + length])
        off += (length + 3) & ~3
    return out


def count_members(group_payload, members_type):
    a = attrs(group_payload)
    if members_type not in a:
        return 0
    return len(attrs(a[members_type][0]))


class Reader:
    """A genl socket read through a 4 KiB buffer."""

    def __init__(self, family):
        self.family = family
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
        self.sock.bind((0, 0))
        self.seq = 0
        self.big = []		# (datagram length, messages in it) over READER

    def datagram(self, timeout=10):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        # With MSG_TRUNC, netlink returns the datagram's real length.
        size = self.sock.recv_into(bytearray(READER), READER,
                                   socket.MSG_PEEK | socket.MSG_TRUNC)
        return self.sock.recv(max(size, READER))

    def dump(self, cmd, payload=b""):
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        msg = struct.pack("=IHHII", 16 + len(body), self.family,
                          1 | NLM_F_DUMP, self.seq, 0)
        self.sock.send(msg + body)
        objs = []
        while True:
            data = self.datagram()
            if data is None:
                return -errno.ETIMEDOUT, objs
            off, n = 0, 0
            while off + 16 <= len(data):
                length, mtype, _, seq, _ = struct.unpack_from("=IHHII", data, off)
                n += 1
                if seq != self.seq:
                    pass
                elif mtype == NLMSG_DONE:
                    return struct.unpack_from("=i", data, off + 16)[0], objs
                elif mtype == NLMSG_ERROR:
                    return struct.unpack_from("=i", data, off + 16)[0], objs
                else:
                    objs.append(data[off + 20:off + length])
                off += (length + 3) & ~3
            if len(data) > READER:
                self.big.append((len(data), n))


def main():
    if "--count" in sys.argv:
        print(CASES)
        return 0
    g = Genl()
    fam = g.family
    failed = 0

    def report(ok, desc, diag=""):
        nonlocal failed
        if not ok:
            failed += 1
            if diag:
                print(f"# {diag}")
        print(f"{'ok' if ok else 'not ok'}\t{desc}")

    ifi = socket.if_nametoindex("d0")
    err = 0
    for name, nhid, npaths in GROUPS:
        e, msg, _ = g.request(fam, CMD["GROUP_NEW"],
                              nest(A_GROUP, string(G_NAME, name),
                                   u32(G_NHID, nhid), u32(G_HOLD, 0)))
        err = err or e
        for i in range(1, npaths + 1):
            e, msg, _ = g.request(fam, CMD["PATH_NEW"], nest(
                A_PATH, string(P_NAME, f"{name}-{i}"), string(P_GROUP, name),
                u32(P_IFINDEX, ifi), u32(P_NHID, i),
                be32(P_LOCAL4, "192.0.2.1"), be32(P_REMOTE4, "198.51.100.1"),
                u32(P_MARK, i), u32(P_SIGNALS, 0), u32(P_HOLD, 0)))
            if e and not err:
                print(f"# path {name}-{i}: {e} {msg}")
            err = err or e
    report(not err, "1000 paths in 4 groups created (256 in group big)")

    # Every path has only the admin signal, up: all become members.
    members = -1
    for _ in range(600):
        e, msg, replies = g.request(fam, CMD["GROUP_GET"],
                                    nest(A_GROUP, string(G_NAME, "big")))
        if not e and replies:
            members = count_members(attrs(replies[0])[A_GROUP][0], G_MEMBERS)
            if members == 256:
                break
        time.sleep(0.1)
    report(not e and members == 256, "GET of a group of 256 members",
           f"GROUP_GET big: {e} ({errno.errorcode.get(-e, e)}) {msg}, "
           f"{members} members")

    rd = Reader(fam)
    e, objs = rd.dump(CMD["GROUP_GET"])
    seen = {}
    for o in objs:
        a = attrs(attrs(o)[A_GROUP][0])
        seen[a[G_NAME][0].rstrip(b"\0").decode()] = count_members(
            attrs(o)[A_GROUP][0], G_MEMBERS)
    want = {n: c for n, _, c in GROUPS}
    report(e == 0 and seen == want,
           "group dump through a 4 KiB reader: every group, every member",
           f"dump: error {e}, got {seen}, want {want}")
    report(all(n == 1 for _, n in rd.big),
           "a datagram over 4 KiB holds one object only",
           f"datagrams over {READER} B (length, messages): {rd.big}")

    rd = Reader(fam)
    e, objs = rd.dump(CMD["PATH_GET"])
    names = set()
    for o in objs:
        names.add(attrs(attrs(o)[A_PATH][0])[P_NAME][0])
    report(e == 0 and len(objs) == 1000 and len(names) == 1000,
           "path dump through a 4 KiB reader: 1000 paths, each once",
           f"dump: error {e}, {len(objs)} paths, {len(names)} distinct")
    report(not rd.big, "path dump datagrams fit 4 KiB",
           f"datagrams over {READER} B: {rd.big}")

    e, objs = rd.dump(CMD["PATH_GET"], nest(A_PATH, string(P_GROUP, "s3")))
    groups = {attrs(attrs(o)[A_PATH][0])[P_GROUP][0] for o in objs}
    report(e == 0 and len(objs) == 248 and groups == {b"s3\0"},
           "path dump filtered by group s3: its 248 paths only",
           f"dump: error {e}, {len(objs)} paths of groups {groups}")

    # Notifications: a member leaves and comes back.
    ntf = Reader(fam)
    grp_id = None
    e, _, replies = g.request(0x10, 3, string(2, "vpnecmp"))
    for mg in attrs(attrs(replies[0]).get(7, [b""])[0]).values():
        a = attrs(mg[0])
        if a.get(1, [b""])[0].rstrip(b"\0") == b"events":
            grp_id = struct.unpack("=I", a[2][0])[0]
    ntf.sock.setsockopt(270, 1, grp_id)	# NETLINK_ADD_MEMBERSHIP
    got = []
    for up, want_n in ((0, 255), (1, 256)):
        e, msg, _ = g.request(fam, CMD["EVENT"],
                              nest(A_PATH, string(P_NAME, "big-7")) +
                              u32(A_SIGNAL, SIGNAL_ADMIN) + u8(A_SIGNAL_UP, up))
        n = None
        deadline = time.time() + 30
        while time.time() < deadline:
            data = ntf.datagram(timeout=deadline - time.time())
            if data is None:
                break
            length, mtype, _, _, _ = struct.unpack_from("=IHHII", data)
            if data[16] != GROUP_NTF:
                continue
            a = attrs(attrs(data[20:length])[A_NTF][0])
            if a[NTF_GROUP][0] != b"big\0":
                continue
            n = len(attrs(a[NTF_MEMBERS][0])) if NTF_MEMBERS in a else 0
            if n == want_n:
                break
        got.append(n)
    report(got == [255, 256], "group notifications of 255 and 256 members",
           f"members in the notifications: {got}, want [255, 256]")
    report(all(n == 1 for _, n in ntf.big),
           "each notification datagram holds one message",
           f"{ntf.big}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
