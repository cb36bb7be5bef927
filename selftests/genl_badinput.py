#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Raw generic netlink requests against the vpnecmp family, bypassing the CLI,
# so that the kernel's own validation is what is tested: each request must
# be refused with the expected errno and an extack message.  Prints one line
# per case, "ok<TAB>DESC" or "not ok<TAB>DESC" after its "# " diagnostics,
# for badinput.sh to turn into KTAP; with --count, the number of cases.
#
# Runs inside the namespace prepared by badinput.sh: group "g" (nhid 100)
# with path "p1" (nhid 1 over dummy d1, 192.0.2.1 -> 192.0.2.2), nexthop 2
# over d2 unused, dummy d3 without a nexthop.

import errno
import socket
import struct
import sys

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_CAP_ACK = 10
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLM_F_ACK_TLVS = 0x200
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_DUMP = 0x300
NLA_F_NESTED = 0x8000
NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
GENL_HDR = 20		# struct nlmsghdr + struct genlmsghdr

# uapi/linux/vpnecmp.h
CMD = dict(VERSION_GET=1, GROUP_NEW=2, GROUP_DEL=3, GROUP_SET=4, GROUP_GET=5,
           PATH_NEW=6, PATH_DEL=7, PATH_SET=8, PATH_GET=9, EVENT=10)
A_GROUP, A_PATH, A_SIGNAL, A_SIGNAL_UP, A_NTF = 3, 4, 5, 6, 7
G_NAME, G_NHID, G_TYPE, G_ALL_DOWN, G_FALLBACK, G_PREEMPT, G_HOLD = range(1, 8)
G_STATE = 8
(P_NAME, P_GROUP, P_IFINDEX, P_NHID, P_LOCAL4, P_REMOTE4, P_LOCAL6,
 P_REMOTE6, P_MARK, P_IF_ID, P_WEIGHT, P_TIER, P_SIGNALS, P_HOLD) = range(1, 15)
P_STATE = 15


def attr(atype, payload):
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    return hdr + payload + b"\0" * (-len(payload) % 4)


def u8(t, v):
    return attr(t, struct.pack("=B", v))


def u32(t, v):
    return attr(t, struct.pack("=I", v))


def be32(t, addr):
    return attr(t, socket.inet_aton(addr))


def string(t, s):
    return attr(t, s.encode() + b"\0")


def nest(t, *attrs):
    return attr(t | NLA_F_NESTED, b"".join(attrs))


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0
        self.offs = None	# NLMSGERR_ATTR_OFFS of the last error
        self.family = self.resolve("vpnecmp")

    def request(self, family, cmd, payload, flags=NLM_F_REQUEST | NLM_F_ACK,
                raw=None):
        self.seq += 1
        body = raw if raw is not None else struct.pack("=BBH", cmd, 1, 0) + payload
        msg = struct.pack("=IHHII", 16 + len(body), family, flags, self.seq, 0)
        self.sock.send(msg + body)
        replies = []
        while True:
            data = self.sock.recv(65536)
            off = 0
            while off + 16 <= len(data):
                length, mtype, mflags, seq, _ = struct.unpack_from("=IHHII", data, off)
                if length < 16:
                    return -errno.EIO, "bad reply", replies
                if seq == self.seq and mtype in (NLMSG_ERROR, NLMSG_DONE):
                    err = struct.unpack_from("=i", data, off + 16)[0]
                    text = ""
                    self.offs = None
                    # after struct nlmsgerr (the request's header only,
                    # NETLINK_CAP_ACK), or after NLMSG_DONE's error code
                    tlv = off + (36 if mtype == NLMSG_ERROR else 20)
                    if mflags & NLM_F_ACK_TLVS:
                        text = self._extack(data[tlv:off + length])
                        self.offs = self._offs(data[tlv:off + length])
                    return err, text, replies
                if seq == self.seq:
                    replies.append(data[off + 20:off + length])
                off += (length + 3) & ~3

    @staticmethod
    def _extack(tlvs):
        off = 0
        while off + 4 <= len(tlvs):
            length, atype = struct.unpack_from("=HH", tlvs, off)
            if length < 4:
                break
            if atype == NLMSGERR_ATTR_MSG:
                return tlvs[off + 4:off + length].split(b"\0")[0].decode()
            off += (length + 3) & ~3
        return ""

    @staticmethod
    def _offs(tlvs):
        off = 0
        while off + 4 <= len(tlvs):
            length, atype = struct.unpack_from("=HH", tlvs, off)
            if length < 4:
                break
            if atype == NLMSGERR_ATTR_OFFS:
                return struct.unpack_from("=I", tlvs, off + 4)[0]
            off += (length + 3) & ~3
        return None

    def resolve(self, name):
        err, _, replies = self.request(0x10, 3, string(2, name))
        if err or not replies:
            sys.exit("vpnecmp family not found")
        payload = replies[0]
        off = 0
        while off + 4 <= len(payload):
            length, atype = struct.unpack_from("=HH", payload, off)
            if atype == 1:
                return struct.unpack_from("=H", payload, off + 4)[0]
            off += (length + 3) & ~3
        sys.exit("no family id")


def ifindex(name):
    return socket.if_nametoindex(name)


def path_attrs(name="p9", group="g", dev="d2", nhid=2, local="192.0.2.5",
               remote="192.0.2.6", extra=()):
    a = [string(P_NAME, name)] if name is not None else []
    if group is not None:
        a.append(string(P_GROUP, group))
    if dev is not None:
        a.append(u32(P_IFINDEX, ifindex(dev)))
    if nhid is not None:
        a.append(u32(P_NHID, nhid))
    if local is not None:
        a.append(be32(P_LOCAL4, local))
    if remote is not None:
        a.append(be32(P_REMOTE4, remote))
    a.extend(extra)
    return nest(A_PATH, *a)


def cases():
    long_name = "x" * 16
    return [
        # (description, command, payload, errno, extack substring)
        ("group add without the group nest", "GROUP_NEW", b"",
         errno.EINVAL, "missing object"),
        ("group add without name", "GROUP_NEW", nest(A_GROUP, u32(G_NHID, 100)),
         errno.EINVAL, "missing name"),
        ("group add with empty name", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, ""), u32(G_NHID, 101)),
         errno.EINVAL, "empty name"),
        ("group add without nhid", "GROUP_NEW", nest(A_GROUP, string(G_NAME, "g2")),
         errno.EINVAL, "missing nexthop group id"),
        ("group add with 16-char name", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, long_name), u32(G_NHID, 101)),
         (errno.EINVAL, errno.ERANGE), ""),
        # Names outside [A-Za-z0-9_.-] would break the text, JSON and
        # Prometheus outputs of every tool: the module refuses them itself.
        ("group name with a colon", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "a:b"), u32(G_NHID, 101)),
         errno.EINVAL, "name may only contain"),
        ("group name with a double quote", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, 'a"b'), u32(G_NHID, 101)),
         errno.EINVAL, "name may only contain"),
        ("group name in UTF-8", "GROUP_NEW",
         nest(A_GROUP, attr(G_NAME, "caf\u00e9".encode() + b"\0"), u32(G_NHID, 101)),
         errno.EINVAL, "name may only contain"),
        ("path name with a slash", "PATH_NEW", path_attrs(name="a/b"),
         errno.EINVAL, "name may only contain"),
        ("group name not NUL-terminated", "GROUP_NEW",
         nest(A_GROUP, attr(G_NAME, b"abcd"), u32(G_NHID, 101)),
         errno.EINVAL, ""),
        ("group nhid as u8", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u8(G_NHID, 1)),
         (errno.EINVAL, errno.ERANGE), ""),
        ("group nhid 0", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 0)),
         errno.ERANGE, "out of range"),
        ("group type 2", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 101), u32(G_TYPE, 2)),
         errno.ERANGE, "out of range"),
        ("group hold-up over one hour", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 101),
              u32(G_HOLD, 3600001)),
         errno.ERANGE, "out of range"),
        ("group preempt 2", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 101), u8(G_PREEMPT, 2)),
         errno.ERANGE, "out of range"),
        ("group read-only state", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 101), u32(G_STATE, 0)),
         errno.EINVAL, "read-only"),
        ("group duplicate name", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g"), u32(G_NHID, 101)),
         errno.EEXIST, "group already exists"),
        ("group nhid already managed", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 100)),
         errno.EEXIST, "already managed"),
        ("group nhid does not exist", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 4242)),
         errno.ENOENT, "does not exist"),
        ("group nhid is not a group", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 2)),
         errno.EINVAL, "not a nexthop group"),
        ("group type mismatch", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 101), u32(G_TYPE, 1)),
         errno.EINVAL, "type does not match"),
        ("fallback without all-down fallback", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 101),
              u32(G_FALLBACK, 2)),
         errno.EINVAL, "needs all-down fallback"),
        ("all-down fallback without nexthop", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 101),
              u32(G_ALL_DOWN, 1)),
         errno.EINVAL, "needs a fallback nexthop"),
        ("fallback nexthop is a group", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 101),
              u32(G_ALL_DOWN, 1), u32(G_FALLBACK, 100)),
         errno.EINVAL, "is a group"),
        ("group set nhid", "GROUP_SET",
         nest(A_GROUP, string(G_NAME, "g"), u32(G_NHID, 101)),
         errno.EINVAL, "cannot be changed"),
        ("group set unknown group", "GROUP_SET",
         nest(A_GROUP, string(G_NAME, "nope"), u8(G_PREEMPT, 0)),
         errno.ENOENT, "group not found"),
        ("group del unknown group", "GROUP_DEL", nest(A_GROUP, string(G_NAME, "nope")),
         errno.ENOENT, "group not found"),
        ("group del with paths", "GROUP_DEL", nest(A_GROUP, string(G_NAME, "g")),
         errno.EBUSY, "still has paths"),
        ("group get unknown group", "GROUP_GET", nest(A_GROUP, string(G_NAME, "nope")),
         errno.ENOENT, "group not found"),
        ("group nest without NLA_F_NESTED", "GROUP_NEW",
         attr(A_GROUP, string(G_NAME, "g2") + u32(G_NHID, 101)),
         errno.EINVAL, "NLA_F_NESTED"),
        ("unknown top-level attribute", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 101)) + u32(50, 1),
         errno.EINVAL, ""),
        ("unknown group attribute", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 101), u32(40, 1)),
         errno.EINVAL, ""),
        ("read-only top-level attribute", "GROUP_NEW",
         nest(A_GROUP, string(G_NAME, "g2"), u32(G_NHID, 101)) +
         u32(A_NTF, 1),
         errno.EINVAL, "read-only"),
        ("attribute longer than the message", "GROUP_NEW",
         struct.pack("=HH", 200, A_GROUP | NLA_F_NESTED) + b"\0" * 8,
         errno.EINVAL, ""),
        ("zero-length nested attribute", "GROUP_NEW",
         struct.pack("=HH", 4, A_GROUP | NLA_F_NESTED),
         errno.EINVAL, "missing name"),
        ("path add without group", "PATH_NEW", path_attrs(group=None),
         errno.EINVAL, "missing group"),
        ("path add without device", "PATH_NEW", path_attrs(dev=None),
         errno.EINVAL, "missing device"),
        ("path add without nhid", "PATH_NEW", path_attrs(nhid=None),
         errno.EINVAL, "missing nexthop id"),
        ("path add without remote", "PATH_NEW", path_attrs(remote=None),
         errno.EINVAL, "missing remote"),
        ("path add mixing IPv4 and IPv6", "PATH_NEW",
         path_attrs(remote=None, extra=[attr(P_REMOTE6, b"\x20\x01\x0d\xb8" + b"\0" * 12)]),
         errno.EINVAL, "mix IPv4 and IPv6"),
        ("path IPv6 address of 4 bytes", "PATH_NEW",
         path_attrs(local=None, remote=None,
                    extra=[attr(P_LOCAL6, b"\0" * 4), attr(P_REMOTE6, b"\0" * 16)]),
         errno.ERANGE, ""),
        ("path weight 0", "PATH_NEW", path_attrs(extra=[u32(P_WEIGHT, 0)]),
         errno.ERANGE, "out of range"),
        ("path weight 257", "PATH_NEW", path_attrs(extra=[u32(P_WEIGHT, 257)]),
         errno.ERANGE, "out of range"),
        ("path tier 16", "PATH_NEW", path_attrs(extra=[u32(P_TIER, 16)]),
         errno.ERANGE, "out of range"),
        ("path unknown signal bit", "PATH_NEW", path_attrs(extra=[u32(P_SIGNALS, 0x40)]),
         errno.EINVAL, ""),
        ("path read-only state", "PATH_NEW", path_attrs(extra=[u32(P_STATE, 2)]),
         errno.EINVAL, "read-only"),
        ("path unknown group", "PATH_NEW", path_attrs(group="nope"),
         errno.ENOENT, "group not found"),
        ("path duplicate name", "PATH_NEW", path_attrs(name="p1"),
         errno.EEXIST, "path already exists"),
        ("path nexthop used by another path", "PATH_NEW",
         path_attrs(dev="d1", nhid=1),
         errno.EEXIST, "nexthop already used"),
        ("path duplicate SA match", "PATH_NEW",
         path_attrs(local="192.0.2.1", remote="192.0.2.2"),
         errno.EEXIST, "already matches these SAs"),
        ("path unknown nexthop", "PATH_NEW", path_attrs(nhid=4242),
         errno.ENOENT, "does not exist"),
        ("path nexthop is a group", "PATH_NEW", path_attrs(nhid=101),
         errno.EINVAL, "is a group"),
        ("path nexthop on another device", "PATH_NEW", path_attrs(dev="d3"),
         errno.EINVAL, "does not use the path's device"),
        ("path unknown ifindex", "PATH_NEW",
         nest(A_PATH, string(P_NAME, "p9"), string(P_GROUP, "g"),
              u32(P_IFINDEX, 999999), u32(P_NHID, 2),
              be32(P_LOCAL4, "192.0.2.5"), be32(P_REMOTE4, "192.0.2.6")),
         errno.ENODEV, "device not found"),
        ("path set endpoints", "PATH_SET",
         nest(A_PATH, string(P_NAME, "p1"), be32(P_LOCAL4, "192.0.2.9")),
         errno.EINVAL, "cannot be changed"),
        ("path set unknown path", "PATH_SET",
         nest(A_PATH, string(P_NAME, "nope"), u32(P_WEIGHT, 2)),
         errno.ENOENT, "path not found"),
        ("path del unknown path", "PATH_DEL", nest(A_PATH, string(P_NAME, "nope")),
         errno.ENOENT, "path not found"),
        ("event without signal", "EVENT", nest(A_PATH, string(P_NAME, "p1")),
         errno.EINVAL, "missing signal"),
        ("event without state", "EVENT",
         nest(A_PATH, string(P_NAME, "p1")) + u32(A_SIGNAL, 1),
         errno.EINVAL, "missing signal state"),
        ("event on the sa signal", "EVENT",
         nest(A_PATH, string(P_NAME, "p1")) + u32(A_SIGNAL, 0) + u8(A_SIGNAL_UP, 0),
         errno.EINVAL, "cannot be set"),
        ("event signal 5", "EVENT",
         nest(A_PATH, string(P_NAME, "p1")) + u32(A_SIGNAL, 5) + u8(A_SIGNAL_UP, 0),
         errno.ERANGE, "out of range"),
        ("event state 2", "EVENT",
         nest(A_PATH, string(P_NAME, "p1")) + u32(A_SIGNAL, 1) + u8(A_SIGNAL_UP, 2),
         errno.ERANGE, "out of range"),
        ("event unknown path", "EVENT",
         nest(A_PATH, string(P_NAME, "nope")) + u32(A_SIGNAL, 1) + u8(A_SIGNAL_UP, 0),
         errno.ENOENT, "path not found"),
        ("unknown command 99", 99, b"", errno.EOPNOTSUPP, ""),
        ("notification command sent as request", 11, b"", errno.EOPNOTSUPP, ""),
    ]


# What each operation uses: top-level attributes, and those of its nest.
# Everything else must be refused, with the extack pointing at it
# (NLMSGERR_ATTR_OFFS).  GROUP_NEW once accepted and ignored a SIGNAL.
A_MAX, G_MAX, P_MAX = 7, 16, 19
OPS = {
    # op: (object nest, top-level used, nest attributes used, base nest)
    "VERSION_GET": (None, set(), set(), []),
    "GROUP_NEW": (A_GROUP, {A_GROUP}, set(range(G_NAME, G_HOLD + 1)),
                  [string(G_NAME, "g2"), u32(G_NHID, 101)]),
    "GROUP_SET": (A_GROUP, {A_GROUP},
                  {G_NAME, G_ALL_DOWN, G_FALLBACK, G_PREEMPT, G_HOLD},
                  [string(G_NAME, "g")]),
    "GROUP_DEL": (A_GROUP, {A_GROUP}, {G_NAME}, [string(G_NAME, "g")]),
    "GROUP_GET": (A_GROUP, {A_GROUP}, {G_NAME}, [string(G_NAME, "g")]),
    "PATH_NEW": (A_PATH, {A_PATH}, set(range(P_NAME, P_HOLD + 1)),
                 [string(P_NAME, "p9"), string(P_GROUP, "g")]),
    "PATH_SET": (A_PATH, {A_PATH}, {P_NAME, P_WEIGHT, P_TIER, P_SIGNALS, P_HOLD},
                 [string(P_NAME, "p1")]),
    "PATH_DEL": (A_PATH, {A_PATH}, {P_NAME}, [string(P_NAME, "p1")]),
    "PATH_GET": (A_PATH, {A_PATH}, {P_NAME, P_GROUP}, [string(P_NAME, "p1")]),
    "EVENT": (A_PATH, {A_PATH, A_SIGNAL, A_SIGNAL_UP}, {P_NAME},
              [string(P_NAME, "p1")]),
}


def unused_cases():
    """(desc, cmd, payload, errno, extack text, offset of the bad attr)"""
    out = []
    for op, (obj, top, used, base) in OPS.items():
        head = nest(obj, *base) if obj else b""
        if op == "EVENT":
            head += u32(A_SIGNAL, 1) + u8(A_SIGNAL_UP, 1)
        for t in range(1, A_MAX + 2):
            if t in top:
                continue
            bad = u32(t, 1)
            out.append((f"{op}: unused top-level attribute {t}", op,
                        head + bad, errno.EINVAL, "", GENL_HDR + len(head)))
        if obj is None:
            continue
        inner = b"".join(base)
        for t in range(1, (G_MAX if obj == A_GROUP else P_MAX) + 2):
            if t in used:
                continue
            bad = u32(t, 1)
            payload = nest(obj, *base, bad)
            if op == "EVENT":
                payload += u32(A_SIGNAL, 1) + u8(A_SIGNAL_UP, 1)
            out.append((f"{op}: unused attribute {t} in its nest", op,
                        payload, errno.EINVAL, "", GENL_HDR + 4 + len(inner)))
    # PATH_GET: a name gets one path, a group filters a dump; not both.
    out.append(("PATH_GET of one path with a group filter", "PATH_GET",
                nest(A_PATH, string(P_NAME, "p1"), string(P_GROUP, "g")),
                errno.EINVAL, "group filters a dump",
                GENL_HDR + 4 + len(string(P_NAME, "p1"))))
    out.append(("PATH_GET dump with a name", "PATH_GET_DUMP",
                nest(A_PATH, string(P_NAME, "p1")),
                errno.EINVAL, "a dump takes no name", GENL_HDR + 4))
    return out


def main():
    all_cases = cases() + unused_cases()
    if "--count" in sys.argv:
        print(len(all_cases))
        return 0
    genl = Genl()
    failed = 0
    for desc, cmd, payload, want_err, want_msg, *want_offs in all_cases:
        flags = NLM_F_REQUEST | NLM_F_ACK
        if cmd == "PATH_GET_DUMP":
            cmd, flags = "PATH_GET", NLM_F_REQUEST | NLM_F_DUMP
        cmdno = CMD[cmd] if isinstance(cmd, str) else cmd
        err, msg, _ = genl.request(genl.family, cmdno, payload, flags=flags)
        if not isinstance(want_err, tuple):
            want_err = (want_err,)
        ok = -err in want_err and want_msg in msg
        if want_offs:
            # the extack names the attribute: its offset, and a message.
            # 6.1 puts no offset in the NLMSG_DONE of a failed dump: there
            # the message alone names it.
            offs_ok = genl.offs == want_offs[0] or \
                (genl.offs is None and flags & NLM_F_DUMP == NLM_F_DUMP)
            ok = ok and offs_ok and msg != ""
        if not ok:
            failed += 1
            want = "|".join(errno.errorcode[e] for e in want_err)
            where = f" at offset {genl.offs}, want {want_offs[0]}" if want_offs else ""
            print(f"# {desc}: got {err} ({errno.errorcode.get(-err, err)}) "
                  f"\"{msg}\"{where}, want {want} \"{want_msg}\"")
        print(f"{'ok' if ok else 'not ok'}\tkernel rejects: {desc}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
