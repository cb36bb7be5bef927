#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# The failover demo, run inside the guest by demo.sh on the two-tunnel
# topology (topo.sh).  UDP flows go from the LAN to the cloud host over both
# tunnels; the receiver records which tunnel each packet came through
# (IP_PKTINFO).  At FAULT s tunnel 1 fails (FAULT_CMD), at RESTORE s it
# comes back (RESTORE_CMD).  The run is done twice: with vpnecmp managing the group, and
# without (a static group, as on a gateway today).  Prints a timeline and
# writes per-100 ms packet counts per tunnel, and the packets lost, for the
# plot.
#
# usage: demo.py CGW LAN AWS OUTDIR FAULT_CMD RESTORE_CMD VPNECMP UNMANAGE_CMD
#                [FAULT_TEXT RESTORE_TEXT]

import json
import os
import subprocess
import sys
import time

FLOWS = 64
PERIOD = 0.025          # one packet per flow every 25 ms: 2560 pps in all
DURATION = 8.0
FAULT = 2.0
RESTORE = 5.0
BIN = 0.1

SENDER = r'''
import socket, sys, time, json
flows, period, duration = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
socks = []
for i in range(flows):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("198.51.100.2", 30000 + i))
    socks.append(s)
start = time.monotonic()
print(json.dumps({"start_ns": time.monotonic_ns()}), flush=True)
seq = 0
rounds = []
while time.monotonic() - start < duration:
    rounds.append(time.monotonic_ns())
    for i, s in enumerate(socks):
        try:
            s.sendto(seq.to_bytes(4, "big"), ("203.0.113.130", 9000))
        except OSError:
            pass
    seq += 1
    delay = start + seq * period - time.monotonic()
    if delay > 0:
        time.sleep(delay)
print(json.dumps({"rounds": rounds}), flush=True)
'''

RECEIVER = r'''
import socket, sys, time, struct, json, select
duration = float(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
IP_PKTINFO = 8
s.setsockopt(socket.SOL_IP, IP_PKTINFO, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("203.0.113.130", 9000))
print("ready", flush=True)
end = time.monotonic() + duration
recs = []
while time.monotonic() < end:
    r, _, _ = select.select([s], [], [], 0.2)
    if not r:
        continue
    data, anc, _, addr = s.recvmsg(64, 64)
    ifindex = 0
    for level, typ, val in anc:
        if typ == IP_PKTINFO:
            ifindex = struct.unpack("=i", val[:4])[0]
    recs.append((time.monotonic_ns(), addr[1], int.from_bytes(data[:4], "big"), ifindex))
json.dump(recs, sys.stdout)
'''


def ns_ifindex(ns, dev):
    out = subprocess.run(["ip", "-n", ns, "-j", "link", "show", dev],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]["ifindex"]


def run_phase(name, cgw, lan, aws, del_cmd, add_cmd, vpnecmp, managed):
    t1, t2 = ns_ifindex(aws, "t1"), ns_ifindex(aws, "t2")
    mon = None
    if managed:
        mon = subprocess.Popen([vpnecmp, "-n", cgw, "-j", "monitor"],
                               stdout=subprocess.PIPE, text=True)
    rcv = subprocess.Popen(["ip", "netns", "exec", aws, "python3", "-c", RECEIVER,
                            str(DURATION + 3)], stdout=subprocess.PIPE, text=True)
    rcv.stdout.readline()
    snd = subprocess.Popen(["ip", "netns", "exec", lan, "python3", "-c", SENDER,
                            str(FLOWS), str(PERIOD), str(DURATION)],
                           stdout=subprocess.PIPE, text=True)
    start_ns = json.loads(snd.stdout.readline())["start_ns"]
    start = start_ns / 1e9

    def at(offset):
        delay = start + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    at(FAULT)
    fault_ns = time.monotonic_ns()
    subprocess.run(del_cmd, shell=True, check=True)
    fault_done_ns = time.monotonic_ns()
    at(RESTORE)
    restore_ns = time.monotonic_ns()
    subprocess.run(add_cmd, shell=True, check=True)
    restore_done_ns = time.monotonic_ns()
    round_ns = json.loads(snd.stdout.readline())["rounds"]
    rounds = len(round_ns)
    snd.wait()
    recs = json.loads(rcv.communicate()[0])
    events = []
    if mon:
        time.sleep(0.3)
        mon.terminate()
        events = [json.loads(line) for line in mon.communicate()[0].splitlines()
                  if line.strip()]

    sent = rounds * FLOWS
    got = {(sport, seq) for _, sport, seq, _ in recs}
    lost = sent - len(got)
    # which tunnel each flow used before the fault, and whether it moved
    before, after = {}, {}
    for ts, sport, seq, ifi in recs:
        if ts < fault_ns:
            before[sport] = ifi
        elif fault_ns <= ts < restore_ns:
            after.setdefault(sport, set()).add(ifi)
    on_t2 = [f for f, i in before.items() if i == t2]
    moved_t2 = [f for f in on_t2 if after.get(f, {t2}) != {t2}]
    on_t1 = [f for f, i in before.items() if i == t1]
    # the last round with a loss, by the time the sender sent it
    # and the packets lost per BIN, by the time the sender sent them
    last_loss = None
    lost_bins = {}
    for seq in range(rounds):
        n = sum((sport, seq) not in got
                for sport in range(30000, 30000 + FLOWS))
        if n:
            last_loss = (round_ns[seq] - start_ns) / 1e9
            b = int((round_ns[seq] - start_ns) / 1e9 / BIN)
            lost_bins[b] = lost_bins.get(b, 0) + n
    bins = {}
    for ts, _, _, ifi in recs:
        b = int((ts - start_ns) / 1e9 / BIN)
        c = bins.setdefault(b, [0, 0])
        c[0 if ifi == t1 else 1] += 1

    return dict(name=name, sent=sent, lost=lost, fault_ns=fault_ns,
                fault_done_ns=fault_done_ns, restore_done_ns=restore_done_ns,
                restore_ns=restore_ns, start_ns=start_ns, on_t1=len(on_t1),
                rate=rounds / DURATION,
                on_t2=len(on_t2), moved_t2=len(moved_t2), last_loss=last_loss,
                events=events, bins=bins, lost_bins=lost_bins)


def rel(ns, start_ns):
    return (ns - start_ns) / 1e9


FAULT_TEXT = "tunnel 1's outbound SA deleted (ip xfrm state delete)"
RESTORE_TEXT = "tunnel 1's SA re-added"


def report(p, out):
    w = out.write
    s = p["start_ns"]
    w(f"\n== {p['name']}\n")
    w(f"  {FLOWS} UDP flows, {p['rate']:.0f} packets/s each, "
      f"{p['on_t1']} on tunnel 1 and {p['on_t2']} on tunnel 2 before the fault\n")
    lines = [(p["fault_ns"], "FAULT: " + FAULT_TEXT),
             (p["fault_done_ns"], "  (the command that injects it has returned)"),
             (p["restore_ns"], RESTORE_TEXT),
             (p["restore_done_ns"], "  (the command that restores it has returned)")]
    for e in p["events"]:
        if e.get("event") == "path":
            cause = e.get("cause_ns") or e["timestamp_ns"]
            lines.append((e["timestamp_ns"],
                          f"vpnecmp: path {e['path']} {e['old_state']} -> "
                          f"{e['new_state']}, reason {e['reason']} "
                          f"({(e['timestamp_ns'] - cause) / 1e6:.2f} ms after "
                          f"the kernel saw the cause)"))
        elif e.get("event") == "group":
            members = " ".join(f"{m['nhid']}({m.get('path') or '-'})"
                               for m in e.get("members", []))
            lines.append((e["timestamp_ns"],
                          f"vpnecmp: group {e['group']} members "
                          f"{members or 'none'}, kernel answered {e['error']}"))
    for ts, text in sorted(lines):
        w(f"  t={rel(ts, s):6.3f} s  {text}\n")
    if p["last_loss"] is None:
        w("  no packet lost\n")
    else:
        w(f"  last packet lost: sent at t={p['last_loss']:.3f} s\n")
    w(f"  packets: {p['sent']} sent, {p['lost']} lost\n")
    w(f"  flows on tunnel 2 that moved during the fault: {p['moved_t2']} "
      f"of {p['on_t2']}\n")


def main():
    global FAULT_TEXT, RESTORE_TEXT
    cgw, lan, aws, outdir, del_cmd, add_cmd, vpnecmp = sys.argv[1:8]
    unmanage = sys.argv[8]
    if len(sys.argv) > 10:
        FAULT_TEXT, RESTORE_TEXT = sys.argv[9:11]
    os.makedirs(outdir, exist_ok=True)
    phases = [run_phase("with vpnecmp", cgw, lan, aws, del_cmd, add_cmd,
                        vpnecmp, True)]
    subprocess.run(unmanage, shell=True, check=True)
    time.sleep(0.5)
    phases.append(run_phase("without vpnecmp (static nexthop group)", cgw, lan,
                            aws, del_cmd, add_cmd, vpnecmp, False))

    with open(os.path.join(outdir, "timeline.txt"), "w") as out:
        out.write("vpnecmp failover demo: two tunnels, resilient nexthop group, "
                  f"kernel {os.uname().release}\n")
        for p in phases:
            report(p, out)
        a, b = phases
        out.write(f"\nSummary: {a['lost']} packets lost with vpnecmp, "
                  f"{b['lost']} without.\n")
    for p, tag in zip(phases, ("with", "without")):
        with open(os.path.join(outdir, f"packets-{tag}.dat"), "w") as f:
            f.write("# t_s tunnel1 tunnel2 lost (packets per 100 ms: received "
                    "through each tunnel, and lost, by the time they were sent)\n")
            for b in range(int(DURATION / BIN) + 1):
                c = p["bins"].get(b, [0, 0])
                f.write(f"{b * BIN:.1f} {c[0]} {c[1]} {p['lost_bins'].get(b, 0)}\n")
    print(open(os.path.join(outdir, "timeline.txt")).read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
