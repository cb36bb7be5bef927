#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# make bench, host side: turns the result lines the guests wrote into
# build/bench/KVER/*.txt into build/bench/results.md, PNG plots (gnuplot)
# and Documentation/benchmarks.rst.  It reports numbers; it never fails on
# them.
#
#   report.py BENCHDIR REPO KVER...

import os
import platform
import re
import subprocess
import sys


def parse(path):
    """Lines "NAME k=v k=v ..." -> {NAME: {k: v}} (values as floats when numeric)."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, rest = line.partition(" ")
            kv = {}
            for m in re.finditer(r"(\S+?)=(\S+)", rest):
                v = m.group(2)
                try:
                    v = float(v)
                except ValueError:
                    pass
                kv[m.group(1)] = v
            if not kv:
                kv["text"] = rest
            out[name] = kv
    return out


def ms(us):
    return f"{us / 1000:.2f}"


CONTENDERS = [("module", "a. vpnecmp.ko"),
              ("hook", "b. shell hook (ip xfrm monitor -> updown.sh -> ip)"),
              ("udaemon", "c. C daemon (XFRM multicast -> RTM_NEWNEXTHOP)"),
              ("floor", "d. floor: one replace from a running process")]


def targets(lat):
    """The issue's targets as (text, value, wanted, met) tuples."""
    def get(name, key):
        return lat.get(name, {}).get(key)

    rows = []

    def ratio(desc, num, den, want, cmp):
        if num is None or den is None or not den:
            rows.append((desc, None, want, None))
            return
        v = num / den
        rows.append((desc, v, want, cmp(v)))

    ratio("a <= b/20 at p50: b/a p50", get("hook", "p50"), get("module", "p50"),
          ">= 20", lambda v: v >= 20)
    ratio("a <= b/20 at p99: b/a p99", get("hook", "p99"), get("module", "p99"),
          ">= 20", lambda v: v >= 20)
    ratio("a <= c at p50: a/c p50", get("module", "p50"), get("udaemon", "p50"),
          "<= 1", lambda v: v <= 1)
    ratio("a p99 <= c p99 / 3 under load: c/a p99 (load)",
          get("udaemon-load", "p99"), get("module-load", "p99"),
          ">= 3", lambda v: v >= 3)
    ratio("a <= 3 x d at p50: a/d p50", get("module", "p50"), get("floor", "p50"),
          "<= 3", lambda v: v <= 3)
    # also under load, for reference
    ratio("(load) b/a p50", get("hook-load", "p50"), get("module-load", "p50"),
          ">= 20", lambda v: v >= 20)
    ratio("(load) a/c p50", get("module-load", "p50"), get("udaemon-load", "p50"),
          "<= 1", lambda v: v <= 1)
    ratio("(load) a/d p50", get("module-load", "p50"), get("floor-load", "p50"),
          "<= 3", lambda v: v <= 3)
    return rows


# Why a target can be missed and what would close it, by the start of the
# target's text.  Printed only for missed targets.
WHY = {
    "a <= b/20": "the hook's cost is fork/exec of a script and of ip; under emulation an "
                 "exec costs tens of ms, and so does the module's wake-up of a kworker on an "
                 "idle vCPU, which compresses the ratio compared with hardware",
    "a <= c at p50": "vpnecmp reacts on an unbound, ordered workqueue at normal priority: the "
                     "XFRM hook queues a work item and a kworker must be woken and scheduled, "
                     "one wake-up like the daemon's; on an idle emulated vCPU that wake-up "
                     "dominates both. What would close it: WQ_HIGHPRI (nice -20 kworkers) or "
                     "applying from a dedicated SCHED_FIFO kthread, and coalescing the "
                     "kernel_sendmsg + kernel_recvmsg ACK wait",
    "a p99 <= c p99": "under load the module's kworker (nice 0, unbound) competes with the "
                      "spinning processes exactly like the daemon does: the scheduler, not the "
                      "code path, sets the tail. What would close it: a WQ_HIGHPRI workqueue "
                      "(its kworkers run at nice -20 and preempt normal tasks) or a "
                      "SCHED_FIFO kthread for the replace",
    "a <= 3 x d": "the floor is one syscall in a running task; vpnecmp adds the work item's "
                  "wake-up and the ACK round trip on its in-kernel socket. A high-priority "
                  "workqueue shortens the wake-up; not waiting for the ACK in line would "
                  "remove the second part",
}


def fmt(v, nd=2):
    if v is None:
        return "-"
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e12:
            return str(int(v))
        return f"{v:.{nd}f}"
    return str(v)


def kernel_sections(k, d):
    md = []
    lat, loss, scale, tp = d["latency"], d["loss"], d["scale"], d["throughput"]

    md.append(f"### Kernel {k}\n")
    md.append("#### 1. Reaction latency (ms; XFRM DELSA notification -> RTM_NEWNEXTHOP notification)\n")
    md.append("| contender | load | n | p50 | p90 | p99 | max |")
    md.append("|---|---|---|---|---|---|---|")
    for sfx, load in (("", "idle"), ("-load", "2 vCPUs busy")):
        for name, desc in CONTENDERS:
            r = lat.get(name + sfx)
            if not r:
                md.append(f"| {desc} | {load} | not measured | | | | |")
                continue
            md.append(f"| {desc} | {load} | {fmt(r.get('n'))}/{fmt(r.get('trials'))} | "
                      f"{ms(r['p50'])} | {ms(r['p90'])} | {ms(r['p99'])} | {ms(r['max'])} |"
                      if r.get("n") else f"| {desc} | {load} | 0/{fmt(r.get('trials'))} | | | | |")
    md.append("")
    md.append("| target | measured | wanted | met |")
    md.append("|---|---|---|---|")
    for desc, v, want, met in targets(lat):
        md.append(f"| {desc} | {fmt(v)} | {want} | "
                  f"{'-' if met is None else ('yes' if met else '**no**')} |")
    md.append("")
    for desc, v, want, met in targets(lat):
        if met is False and not desc.startswith("("):
            why = next((w for k2, w in WHY.items() if desc.startswith(k2)), None)
            if why:
                md.append(f"- missed: {desc} = {fmt(v)}: {why}.")
    md.append("")

    md.append("#### 2. Packet loss during failover (resilient group, 32 buckets)\n")
    md.append("| fault | gateway | flows | pps sent | packets sent | lost | lost before fault "
              "| fault -> last loss (ms) | flows on t1 / t2 | t2 flows moved | "
              "lost after return | t2 flows moved on return | t1 share after return (of packets) |")
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for sc, desc in (("sa", "(i) SA deleted"), ("dpd", "(ii) far end lost, DPD event"),
                     ("probe", "(iii) underlay blackhole, prober")):
        for mode in ("vpnecmp", "static"):
            r = loss.get(f"loss-{sc}-{mode}")
            if not r or "sent" not in r:
                md.append(f"| {desc} | {mode} | not measured in this run"
                          " | | | | | | | | | | |")
                continue
            last = fmt(r.get("fault_to_last_loss_ms"), 1)
            if r.get("no_loss_after_fault"):
                last = "none between fault and return"
            md.append(f"| {desc} | {mode} | {fmt(r.get('flows'))} | {fmt(r.get('pps'), 0)} | "
                      f"{fmt(r.get('sent'))} | {fmt(r.get('lost'))} | {fmt(r.get('lost_before_fault'))} | "
                      f"{last} | {fmt(r.get('on_t1'))} / {fmt(r.get('on_t2'))} | "
                      f"{fmt(r.get('t2_flows_moved'))} | {fmt(r.get('lost_after_return'))} | "
                      f"{fmt(r.get('t2_flows_moved_on_return'))} | {fmt(r.get('t1_share_after_return'))} "
                      f"({fmt(r.get('pkts_after_return'))}) |")
    md.append("")

    md.append("#### 3. Scale and cost\n")
    md.append("| paths | configure (s; of which netlink requests) | charged per path (bytes, memcg) | "
              "members | failover p50 / p99 / max (ms) |")
    md.append("|---|---|---|---|---|")
    for n in (1, 16, 256):
        r = scale.get(f"paths-{n}")
        lr = scale.get(f"paths-{n}-latency", {})
        if not r:
            md.append(f"| {n} | not measured | | | |")
            continue
        lat_s = (f"{ms(lr['p50'])} / {ms(lr['p99'])} / {ms(lr['max'])}"
                 if lr.get("n") else "-")
        md.append(f"| {n} | {fmt(r.get('configure_s'))} ({fmt(r.get('netlink_s'))}) | "
                  f"{fmt(r.get('memcg_bytes_per_path'))} | {fmt(r.get('members'))} | {lat_s} |")
    md.append("")
    md.append("| SAs (10 000) | SAs/s | kmalloc-32 objects | errors |")
    md.append("|---|---|---|---|")
    for name, desc in (("sas-matching-add", "add, matching 256 paths"),
                       ("sas-matching-del", "delete, matching"),
                       ("sas-foreign-add", "add, matching no path"),
                       ("sas-foreign-del", "delete, matching no path")):
        r = scale.get(name)
        if r:
            md.append(f"| {desc} | {fmt(r.get('rate'), 0)} | {fmt(r.get('kmalloc32_objs'))} | "
                      f"{fmt(r.get('errors'))} |")
    r = scale.get("sas-module-bytes-per-sa")
    if r:
        md.append(f"\nmemory the module adds per tracked SA: {r.get('text', '-')} bytes "
                  f"(kmalloc-32 objects, matching minus foreign, x 32 / 10 000)\n")
    md.append("| churn (ACKed requests) | module | events/s | group notifications | "
              "guest CPU us/event | CPU busy |")
    md.append("|---|---|---|---|---|---|")
    for mode, desc in (("rekey", "make-before-break rekey"), ("flap", "add/delete (tunnel up/down)"),
                       ("foreign", "add/delete, SA of no path")):
        for sfx in ("-loaded", "-unloaded"):
            r = scale.get(f"churn-{mode}{sfx}")
            if r:
                md.append(f"| {desc} | {sfx[1:]} | {fmt(r.get('rate'), 0)} | "
                          f"{fmt(r.get('group_notifications'))} | "
                          f"{fmt(r.get('cpu_us_per_event'), 1)} | {fmt(r.get('cpu_util'))} |")
    fl, fu = scale.get("churn-flap-loaded"), scale.get("churn-flap-unloaded")
    ol, ou = scale.get("churn-foreign-loaded"), scale.get("churn-foreign-unloaded")
    if fl and fu:
        md.append(f"\nmodule CPU per XFRM event that changes a path (flap, loaded - unloaded): "
                  f"{fl['cpu_us_per_event'] - fu['cpu_us_per_event']:.1f} us")
    if ol and ou:
        md.append(f"module CPU per XFRM event of no path (foreign, loaded - unloaded): "
                  f"{ol['cpu_us_per_event'] - ou['cpu_us_per_event']:.1f} us")
    r = scale.get("churn-rekey-loaded")
    if r:
        md.append(f"spurious group changes during {fmt(r.get('events'))} rekey events: "
                  f"{fmt(r.get('group_notifications'))} (target 0)")
    md.append("")

    md.append("#### 4. Data plane (16 flows, 1400-byte UDP, ESP over both tunnels)\n")
    md.append("| module | runs | Mbit/s (each) | mean |")
    md.append("|---|---|---|---|")
    for m in ("loaded", "unloaded"):
        runs = d["tp_runs"].get(m, [])
        if runs:
            md.append(f"| {m} | {len(runs)} | {', '.join(f'{x:.1f}' for x in runs)} | "
                      f"{sum(runs) / len(runs):.1f} |")
    md.append("")

    pr = d.get("probe", {})
    md.append("#### 5. Prober (vpnecmp daemon)\n")
    md.append("| probes | trials | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | false downs |")
    md.append("|---|---|---|---|---|---|---|")
    for iv in (100, 10):
        r = pr.get(f"detect-{iv}ms")
        if not r or not r.get("n"):
            md.append(f"| {iv} ms x 3 | not measured | | | | | |")
            continue
        md.append(f"| {iv} ms x 3 | {fmt(r.get('n'))}/{fmt(r.get('trials'))} | "
                  f"{fmt(r.get('p50_ms'), 1)} | {fmt(r.get('p90_ms'), 1)} | "
                  f"{fmt(r.get('p99_ms'), 1)} | {fmt(r.get('max_ms'), 1)} | "
                  f"{fmt(r.get('false_downs'))} |")
    md.append("")
    md.append("| paths | interval | CPU (% of one CPU) | per path | probes/s sent (wanted) | "
              "false probe downs |")
    md.append("|---|---|---|---|---|---|")
    for n in (1, 64, 1000):
        for iv in (100, 10):
            r = pr.get(f"cpu-{n}-{iv}ms")
            if not r:
                md.append(f"| {n} | {iv} ms | not measured | | | |")
                continue
            md.append(f"| {n} | {iv} ms | {fmt(r.get('cpu_pct'))} | "
                      f"{fmt(r.get('cpu_pct_per_path'), 4)} | {fmt(r.get('probes_per_s'), 0)} "
                      f"({fmt(r.get('wanted_per_s'), 0)}) | {fmt(r.get('probe_downs'))} |")
    md.append("")
    tn = d.get("tenant", {})
    md.append("#### 6. Another namespace's load (tenant_churn.sh; reaction latency, ms)\n")
    md.append("| gateway namespace beside | n | p50 | p90 | p99 | max | tenant replaces/s | "
              "tenant work runs |")
    md.append("|---|---|---|---|---|---|---|---|")
    for name, desc in (("idle", "nothing"),
                       ("tenant-plain", "tenant churning 1024 kernel groups, no vpnecmp"),
                       ("tenant-vpnecmp", "the same tenant with 1024 vpnecmp groups")):
        r = tn.get(name)
        c = tn.get(name + "-churn", {})
        if not r or not r.get("n"):
            md.append(f"| {desc} | not measured | | | | | | |")
            continue
        md.append(f"| {desc} | {fmt(r.get('n'))}/{fmt(r.get('trials'))} | {ms(r['p50'])} | "
                  f"{ms(r['p90'])} | {ms(r['p99'])} | {ms(r['max'])} | "
                  f"{fmt(c.get('churn_per_s'), 0)} | {fmt(c.get('tenant_work_runs'), 0)} |")
    md.append("")

    return md


def load_kernel(bench, k):
    d = {}
    for f in ("latency", "loss", "scale", "throughput", "probe", "tenant"):
        d[f] = parse(os.path.join(bench, k, f + ".txt"))
    runs = {}
    p = os.path.join(bench, k, "throughput.txt")
    if os.path.exists(p):
        for line in open(p):
            m = re.match(r"throughput-(\w+) .*mbit=([\d.]+)", line)
            if m:
                runs.setdefault(m.group(1), []).append(float(m.group(2)))
    d["tp_runs"] = runs
    return d


def plot(bench, k):
    """Packets per tunnel per 200 ms around the fault, with and without vpnecmp."""
    kd = os.path.join(bench, k)
    pngs = []
    for sc, title in (("sa", "SA of tunnel 1 deleted"), ("dpd", "far end lost + DPD event")):
        w = os.path.join(kd, f"loss-{sc}-vpnecmp.dat")
        s = os.path.join(kd, f"loss-{sc}-static.dat")
        if not (os.path.exists(w) and os.path.exists(s)):
            continue
        png = os.path.join(bench, f"packets-{sc}-{k}.png")
        script = f"""
set terminal png size 900,650
set output "{png}"
set multiplot layout 2,1
set xlabel "time from the fault (s)"; set ylabel "packets / 200 ms"
set arrow from 0,graph 0 to 0,graph 1 nohead dt 2
set title "{title}, with vpnecmp ({k})"
plot "{w}" using 1:2 with steps title "tunnel 1", "" using 1:3 with steps title "tunnel 2"
set title "{title}, without vpnecmp (static group)"
plot "{s}" using 1:2 with steps title "tunnel 1", "" using 1:3 with steps title "tunnel 2"
unset multiplot
"""
        try:
            subprocess.run(["gnuplot"], input=script, text=True, check=True,
                           capture_output=True)
            pngs.append(png)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"report: gnuplot failed: {e}", file=sys.stderr)
    return pngs


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                          text=True).stdout.splitlines()
    return (f"host: {cpu}, {os.cpu_count()} CPUs, "
            f"{platform.system()} {platform.release()}; guests: "
            f"{qemu[0] if qemu else 'QEMU'} TCG (no KVM), -smp 2, 512 MB")


def main():
    bench, repo, kvers = sys.argv[1], sys.argv[2], sys.argv[3:]
    data = {k: load_kernel(bench, k) for k in kvers}
    md = ["# vpnecmp benchmarks", "",
          f"Machine: {machine()}.", "",
          "Reproduce: `make bench` (both kernels, one guest each). Absolute times are "
          "inflated by emulation; compare ratios. Benchmarks print numbers and never fail on them.",
          ""]
    summary = ["## Ratios vs the targets", "",
               "| target | wanted | " + " | ".join(kvers) + " |",
               "|---|---|" + "---|" * len(kvers)]
    trows = {k: targets(data[k]["latency"]) for k in kvers}
    for i, (desc, _, want, _) in enumerate(trows[kvers[0]] if kvers else []):
        cells = []
        for k in kvers:
            _, v, _, met = trows[k][i]
            cells.append("-" if v is None else f"{fmt(v)} ({'met' if met else '**missed**'})")
        summary.append(f"| {desc} | {want} | " + " | ".join(cells) + " |")
    md += summary + [""]
    plots = []
    for k in kvers:
        md += kernel_sections(k, data[k])
        for png in plot(bench, k):
            plots.append(png)
            md.append(f"![{os.path.basename(png)}]({os.path.basename(png)})\n")
    with open(os.path.join(bench, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    # Documentation/benchmarks.rst: the hand-written part, up to the
    # marker, then the figures.
    doc = os.path.join(repo, "Documentation", "benchmarks.rst")
    marker = ".. Everything below is written by make bench"
    text = open(doc).read() if os.path.exists(doc) else marker + "\n"
    head = text[:text.index(marker)] if marker in text else text
    rst = [head.rstrip(), "", marker + " (selftests/bench/report.py).", "",
           "Latest figures", "==============", "",
           "From ``build/bench/results.md``.", "", ".. code-block:: text", ""]
    rst += [("   " + line).rstrip() for chunk in md for line in chunk.split("\n")]
    with open(doc, "w") as f:
        f.write("\n".join(rst) + "\n")
    print("\n".join(md))
    for p in plots:
        print(f"plot: {p}")


if __name__ == "__main__":
    main()
