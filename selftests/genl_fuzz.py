#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Netlink fuzzer for the vpnecmp family (Python 3 standard library only).
#
#   genl_fuzz.py [-n MESSAGES] [-j PROCS] [-s SEED]
#
# Runs inside the namespace prepared by fuzz.sh.  PROCS processes, each with
# its own socket and the seed SEED + i, send MESSAGES in all: random bodies,
# valid-looking requests mutated (bytes flipped, attributes dropped,
# duplicated, retyped, truncated, given zero or huge lengths, nested
# garbage), unknown commands, flags and genl versions, dumps, and
# valid-looking sequences in random order.  Valid-looking writes only name
# the fuzzer's own objects (1 or 2 character names starting with "z", the
# nexthops of fuzz.sh's dummies fz0..fz3); the configuration the fuzzer must
# not touch has longer names, out of reach of its mutations.
#
# Prints the seed, the messages sent, how many got an answer and the
# answers per errno, on stdout.  Exits 1 if a process died or a socket
# stopped answering; the kernel's behaviour is judged by fuzz.sh.

import argparse
import errno
import json
import os
import random
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from genl_badinput import (A_GROUP, A_PATH, A_SIGNAL, A_SIGNAL_UP, A_NTF,  # noqa: E402
                           CMD, G_ALL_DOWN, G_FALLBACK, G_HOLD, G_NAME, G_NHID,
                           G_PREEMPT, G_TYPE, NLA_F_NESTED, NLM_F_ACK,
                           NLM_F_REQUEST, NLMSG_ERROR, P_GROUP, P_HOLD,
                           P_IFINDEX, P_LOCAL4, P_LOCAL6, P_MARK, P_NAME,
                           P_NHID, P_REMOTE4, P_REMOTE6, P_SIGNALS, P_TIER,
                           P_WEIGHT, P_IF_ID, Genl, attr, nest, string, u8, u32)

NLMSG_DONE = 3
NLM_F_DUMP = 0x300
NAMES = ["z", "z0", "z1", "z2", "z3", "zz"]
GROUP_NHIDS = [210, 211, 212, 213, 100, 99, 1, 4242, 0]
DEVS = ["fz0", "fz1", "fz2", "fz3", "lo"]
PATH_NHIDS = [201, 202, 203, 204, 1, 2, 210, 4242]
ADDRS = ["192.0.2.%d" % i for i in (1, 2, 9, 10, 11, 12)]


class Fuzzer:
    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.genl = Genl()
        self.genl.sock.settimeout(5)
        self.ifindex = {}
        for dev in DEVS:
            try:
                self.ifindex[dev] = socket.if_nametoindex(dev)
            except OSError:
                self.ifindex[dev] = 999
        self.sent = 0
        self.answered = 0
        self.errnos = {}

    # ------------------------------------------------------------ valid-looking
    def pick(self, seq):
        return self.rnd.choice(seq)

    def group_attrs(self, full):
        r = self.rnd
        a = [string(G_NAME, self.pick(NAMES))]
        if full or r.random() < 0.5:
            a.append(u32(G_NHID, self.pick(GROUP_NHIDS)))
        if r.random() < 0.2:
            a.append(u32(G_TYPE, r.randrange(3)))
        if r.random() < 0.2:
            a.append(u32(G_ALL_DOWN, r.randrange(3)))
        if r.random() < 0.2:
            a.append(u32(G_FALLBACK, self.pick([99, 201, 210, 0])))
        if r.random() < 0.2:
            a.append(u8(G_PREEMPT, r.randrange(3)))
        if r.random() < 0.2:
            a.append(u32(G_HOLD, self.pick([0, 50, 1000, 3600001])))
        return nest(A_GROUP, *a)

    def path_attrs(self, full):
        r = self.rnd
        a = [string(P_NAME, self.pick(NAMES))]
        if full:
            dev = self.pick(DEVS)
            a += [string(P_GROUP, self.pick(NAMES)),
                  u32(P_IFINDEX, self.ifindex[dev]),
                  u32(P_NHID, self.pick(PATH_NHIDS))]
            if r.random() < 0.9:
                a += [attr(P_LOCAL4, socket.inet_aton(self.pick(ADDRS))),
                      attr(P_REMOTE4, socket.inet_aton(self.pick(ADDRS)))]
            else:
                a += [attr(P_LOCAL6, r.randbytes(16)),
                      attr(P_REMOTE6, r.randbytes(16))]
            if r.random() < 0.3:
                a.append(u32(self.pick([P_MARK, P_IF_ID]), r.randrange(5)))
        if r.random() < 0.3:
            a.append(u32(P_WEIGHT, self.pick([0, 1, 7, 256, 257])))
        if r.random() < 0.3:
            a.append(u32(P_TIER, r.randrange(17)))
        if r.random() < 0.3:
            a.append(u32(P_SIGNALS, r.randrange(64)))
        if r.random() < 0.2:
            a.append(u32(P_HOLD, self.pick([0, 20, 1000])))
        return nest(A_PATH, *a)

    def valid_looking(self):
        """(cmd, payload, flags) of a plausible request on fuzzer objects."""
        r = self.rnd
        cmd = self.pick(list(CMD))
        flags = NLM_F_REQUEST | NLM_F_ACK
        if cmd == "VERSION_GET":
            payload = b""
        elif cmd in ("GROUP_NEW", "GROUP_SET", "GROUP_DEL", "GROUP_GET"):
            payload = self.group_attrs(cmd == "GROUP_NEW")
        elif cmd == "EVENT":
            payload = (nest(A_PATH, string(P_NAME, self.pick(NAMES))) +
                       u32(A_SIGNAL, r.randrange(6)) +
                       u8(A_SIGNAL_UP, r.randrange(3)))
        else:
            payload = self.path_attrs(cmd == "PATH_NEW")
        if cmd.endswith("_GET") and r.random() < 0.5:
            flags |= NLM_F_DUMP
            if r.random() < 0.5:
                payload = b""
        return CMD[cmd], payload, flags

    # ------------------------------------------------------------ mutations
    def garbage_attrs(self, depth=0):
        r = self.rnd
        out = b""
        for _ in range(r.randrange(4)):
            t = r.randrange(24)
            if depth < 3 and r.random() < 0.3:
                out += attr(t | NLA_F_NESTED, self.garbage_attrs(depth + 1))
            else:
                out += attr(t | (NLA_F_NESTED if r.random() < 0.1 else 0),
                            r.randbytes(self.pick([0, 1, 2, 4, 8, 16, 17])))
        return out

    def mutate(self, payload):
        r = self.rnd
        b = bytearray(payload)
        kind = r.randrange(10)
        if kind == 0 and b:                      # flip bytes
            for _ in range(r.randrange(1, 4)):
                b[r.randrange(len(b))] = r.randrange(256)
        elif kind == 1 and len(b) >= 4:          # an nla_len of 0 or huge
            off = r.randrange(0, len(b) - 3, 4) if len(b) > 4 else 0
            struct.pack_into("=H", b, off, self.pick([0, 1, 3, 4, 0xfff, 0xffff]))
        elif kind == 2 and b:                    # truncate
            del b[r.randrange(len(b)):]
        elif kind == 3:                          # nested garbage
            b += nest(self.pick([A_GROUP, A_PATH, A_NTF, 40]), self.garbage_attrs())
        elif kind == 4:                          # unknown or read-only attrs
            b += u32(self.pick([0, A_NTF, 8, 9, 60, 0x7fff]), r.randrange(1 << 32))
        elif kind == 5 and len(b) >= 4:          # retype the first attribute
            struct.pack_into("=H", b, 2, r.randrange(1 << 16))
        elif kind == 6:                          # duplicate everything
            b = b + b
        elif kind == 7 and b:                    # random tail
            b += r.randbytes(r.randrange(1, 64))
        elif kind == 8 and len(b) > 8:           # an attribute shrunk in place
            struct.pack_into("=H", b, 4, r.randrange(4))
        else:
            b = bytearray(self.garbage_attrs())
        return bytes(b)

    def message(self):
        """(header flags, body, nlmsg_len or None for the true length)."""
        r = self.rnd
        kind = r.random()
        cmd, payload, flags = self.valid_looking()
        version = 1
        if kind < 0.3:
            pass                                  # plausible as is
        elif kind < 0.75:
            payload = self.mutate(payload)
        elif kind < 0.85:
            cmd = self.pick([0, 11, 12, 13, 99, 255, r.randrange(256)])
            payload = self.garbage_attrs()
        elif kind < 0.92:
            flags = NLM_F_REQUEST | NLM_F_ACK | r.randrange(1 << 16)
            version = r.randrange(256)
        elif kind < 0.95:
            # A message length that does not match what is sent: the
            # kernel drops it (or reads garbage after it) without a word.
            body = struct.pack("=BBH", cmd, version, 0) + payload
            return flags, body, self.pick([0, 1, 15, 17, 0xffffffff])
        else:
            body = r.randbytes(self.pick([0, 1, 3, 4, 5, 17, 64, 300]))
            return flags, body, None
        body = struct.pack("=BBH", cmd, version, r.choice([0, 0, 0, 0xffff])) + payload
        return flags, body, None

    # ------------------------------------------------------------ transport
    def frame(self, flags, body, length=None):
        """One netlink message, padded to 4 bytes, with the next seq."""
        g = self.genl
        g.seq += 1
        if length is None:
            length = 16 + len(body)
        msg = struct.pack("=IHHII", length, g.family, flags, g.seq, 0) + body
        return msg + b"\0" * (-len(msg) % 4)

    def answers(self, pending):
        """Read until every seq in pending got its NLMSG_ERROR or DONE."""
        g = self.genl
        while pending:
            data = g.sock.recv(1 << 16)
            off = 0
            while off + 16 <= len(data):
                length, mtype, _, seq, _ = struct.unpack_from("=IHHII", data, off)
                if length < 16:
                    break
                if seq in pending and mtype in (NLMSG_ERROR, NLMSG_DONE):
                    err = 0
                    if mtype == NLMSG_ERROR:
                        err = -struct.unpack_from("=i", data, off + 16)[0]
                    pending.discard(seq)
                    self.answered += 1
                    self.count(err)
                off += (length + 3) & ~3

    def count(self, key):
        key = str(key)
        self.errnos[key] = self.errnos.get(key, 0) + 1

    def run(self, count):
        """Send count messages, in batches of 1 to 32 per send() (genetlink
        handles each message of a batch on its own); a message whose length
        field lies goes alone, and gets no answer."""
        while self.sent < count:
            batch, pending = [], set()
            for _ in range(min(self.rnd.randrange(1, 33), count - self.sent)):
                flags, body, length = self.message()
                if length is not None:
                    self.genl.sock.send(self.frame(flags, body, length))
                    self.sent += 1
                    self.count("unanswered")
                    break
                batch.append(self.frame(flags, body))
                pending.add(self.genl.seq)
            if not batch:
                continue
            self.genl.sock.send(b"".join(batch))
            self.sent += len(batch)
            try:
                self.answers(pending)
            except socket.timeout:
                self.count("timeout")
                return 1
            except OSError as e:                 # ENOBUFS: answers were lost
                self.count(errno.errorcode.get(e.errno, e.errno))
        return 0


def child(seed, count, wfd):
    f = Fuzzer(seed)
    rc = f.run(count)
    os.write(wfd, json.dumps([f.sent, f.answered, f.errnos]).encode() + b"\n")
    os._exit(rc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--messages", type=int, default=100000)
    ap.add_argument("-j", "--procs", type=int, default=4)
    ap.add_argument("-s", "--seed", type=int,
                    default=int.from_bytes(os.urandom(4), "little"))
    args = ap.parse_args()
    print(f"seed {args.seed} processes {args.procs} messages {args.messages}",
          flush=True)

    rfd, wfd = os.pipe()
    pids = []
    for i in range(args.procs):
        n = args.messages // args.procs + (i < args.messages % args.procs)
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            child(args.seed + i, n, wfd)
        pids.append(pid)
    os.close(wfd)
    rc = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        if status:
            print(f"# process {pid} failed: status {status}")
            rc = 1
    sent = answered = 0
    errnos = {}
    with os.fdopen(rfd) as r:
        for line in r:
            s, a, e = json.loads(line)
            sent += s
            answered += a
            for k, v in e.items():
                errnos[k] = errnos.get(k, 0) + v
    print(f"sent {sent} answered {answered}")
    for k, v in sorted(errnos.items(), key=lambda kv: -kv[1]):
        name = k
        if k.lstrip("-").isdigit():
            name = "ok" if k == "0" else errno.errorcode.get(int(k), k)
        print(f"errno {name} {v}")
    if sent < args.messages:
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
