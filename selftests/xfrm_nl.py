#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""XFRM requests iproute2 cannot send, over raw NETLINK_XFRM (uapi xfrm.h).

  xfrm_nl.py migrate OLD_SRC OLD_DST NEW_SRC NEW_DST [IF_ID]
      XFRM_MSG_MIGRATE of the outbound tunnel-mode ESP SA OLD_SRC -> OLD_DST
      (and the "dir out" policy 0.0.0.0/0 -> 0.0.0.0/0 whose template names
      it) to NEW_SRC -> NEW_DST; IF_ID selects the policy and the SA.
  xfrm_nl.py sa-in SRC DST SPI IF_ID
      XFRM_MSG_NEWSA of a tunnel-mode ESP SA SRC -> DST marked inbound
      (XFRMA_SA_DIR, 6.10+).  Exits 4 if the kernel does not keep the
      direction (the attribute is unknown there and was ignored: the SA is
      deleted again).

IPv4 only.  Exits 0 on success, 1 with the kernel's errno and extack text.
"""

import errno
import os
import socket
import struct
import sys

NETLINK_XFRM = 6
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
NLMSG_ERROR = 2
NLMSGERR_ATTR_MSG = 1
XFRM_MSG_NEWSA, XFRM_MSG_DELSA, XFRM_MSG_GETSA = 0x10, 0x11, 0x12
XFRM_MSG_MIGRATE = 0x21
XFRMA_MIGRATE, XFRMA_ALG_AEAD, XFRMA_IF_ID, XFRMA_SA_DIR = 17, 18, 31, 33
XFRM_SA_DIR_IN = 1
XFRM_MODE_TUNNEL = 1
XFRM_POLICY_OUT = 1
SOL_NETLINK, NETLINK_EXT_ACK = 270, 11
AEAD_KEY = bytes.fromhex("0123456789abcdef0123456789abcdef01234567")


def addr(a):
    """xfrm_address_t of an IPv4 address."""
    return socket.inet_aton(a) + bytes(12)


def nla(atype, payload):
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    return hdr + payload + bytes((4 - len(payload) % 4) % 4)


def selector_any():
    """struct xfrm_selector (56 bytes): 0.0.0.0/0 -> 0.0.0.0/0, IPv4."""
    return bytes(32) + struct.pack("=HHHHHBBB3xiI", 0, 0, 0, 0,
                                   socket.AF_INET, 0, 0, 0, 0, 0)


def request(mtype, payload):
    """Send one request, return the reply payloads (an ACK is not one)."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_XFRM)
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    s.bind((0, 0))
    msg = struct.pack("=IHHII", 16 + len(payload), mtype,
                      NLM_F_REQUEST | NLM_F_ACK, 1, 0) + payload
    s.sendto(msg, (0, 0))
    replies = []
    while True:
        data = s.recv(65536)
        off = 0
        while off + 16 <= len(data):
            ln, t, flags, _, _ = struct.unpack_from("=IHHII", data, off)
            body = data[off + 16:off + ln]
            if t == NLMSG_ERROR:
                err = struct.unpack_from("=i", body)[0]
                if err:
                    raise OSError(-err, extack(body, flags))
                return replies
            replies.append(body)
            off += (ln + 3) & ~3


def extack(body, flags):
    """The extack message of an NLMSG_ERROR body, if any."""
    if not flags & 0x200:            # NLM_F_ACK_TLVS
        return os.strerror(-struct.unpack_from("=i", body)[0])
    inner_len = struct.unpack_from("=I", body, 4)[0]
    off = 4 + (16 if flags & 0x100 else inner_len)   # NLM_F_CAPPED
    while off + 4 <= len(body):
        ln, t = struct.unpack_from("=HH", body, off)
        if ln < 4:
            break
        if t == NLMSGERR_ATTR_MSG:
            return body[off + 4:off + ln].rstrip(b"\0").decode()
        off += (ln + 3) & ~3
    return os.strerror(-struct.unpack_from("=i", body)[0])


def migrate(osrc, odst, nsrc, ndst, if_id=0):
    # struct xfrm_userpolicy_id: selector, index, dir (64 bytes)
    pol = selector_any() + struct.pack("=IB3x", 0, XFRM_POLICY_OUT)
    # struct xfrm_user_migrate (76 bytes)
    um = (addr(odst) + addr(osrc) + addr(ndst) + addr(nsrc) +
          struct.pack("=BBHIHH", socket.IPPROTO_ESP, XFRM_MODE_TUNNEL, 0,
                      0, socket.AF_INET, socket.AF_INET))
    payload = pol + nla(XFRMA_MIGRATE, um)
    if if_id:
        payload += nla(XFRMA_IF_ID, struct.pack("=I", if_id))
    request(XFRM_MSG_MIGRATE, payload)


def sa_id(dst, spi):
    """struct xfrm_usersa_id: daddr, spi, family, proto."""
    return addr(dst) + struct.pack("=IHBx", socket.htonl(spi),
                                   socket.AF_INET, socket.IPPROTO_ESP)


def sa_in(src, dst, spi, if_id):
    # struct xfrm_usersa_info (224 bytes)
    info = bytearray(224)
    info[0:56] = selector_any()
    info[56:80] = addr(dst) + struct.pack("=IB3x", socket.htonl(spi),
                                          socket.IPPROTO_ESP)
    info[80:96] = addr(src)
    # lifetimes: no limit
    struct.pack_into("=QQQQ", info, 96, *([2**64 - 1] * 4))
    struct.pack_into("=HBBB", info, 212, socket.AF_INET, XFRM_MODE_TUNNEL,
                     32, 0)
    alg = (b"rfc4106(gcm(aes))".ljust(64, b"\0") +
           struct.pack("=II", len(AEAD_KEY) * 8, 128) + AEAD_KEY)
    payload = (bytes(info) + nla(XFRMA_ALG_AEAD, alg) +
               nla(XFRMA_IF_ID, struct.pack("=I", if_id)) +
               nla(XFRMA_SA_DIR, struct.pack("=B", XFRM_SA_DIR_IN)))
    request(XFRM_MSG_NEWSA, payload)
    # Did the kernel keep the direction?  GETSA answers with it if so.
    reply = request(XFRM_MSG_GETSA, sa_id(dst, spi))
    off = 224
    body = reply[0] if reply else b""
    while off + 4 <= len(body):
        ln, t = struct.unpack_from("=HH", body, off)
        if ln < 4:
            break
        if t & 0x3fff == XFRMA_SA_DIR:
            return 0
        off += (ln + 3) & ~3
    request(XFRM_MSG_DELSA, sa_id(dst, spi))
    print("the kernel does not know SA directions (XFRMA_SA_DIR)")
    return 4


def main(argv):
    try:
        if argv[1:2] == ["migrate"] and len(argv) in (6, 7):
            migrate(*argv[2:6], int(argv[6]) if len(argv) == 7 else 0)
            return 0
        if argv[1:2] == ["sa-in"] and len(argv) == 6:
            return sa_in(argv[2], argv[3], int(argv[4], 0), int(argv[5]))
    except OSError as e:
        print(f"{argv[1]}: {errno.errorcode.get(e.errno, e.errno)}: "
              f"{e.strerror}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
