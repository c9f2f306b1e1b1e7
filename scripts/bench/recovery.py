#!/usr/bin/env python3
# recovery.py - for scripts/chaos.sh: from the sink's pcap per port (qv-peer --rx PORT:FILE,
# frames with qv-peer's sequence numbers) and the kill times, each port's time from a kill to
# the first packet forwarded again, and the packets lost across it.
#
#   recovery.py --kills FILE (one epoch time per line) NAME=FILE.pcap...
#   recovery.py --loss-from T NAME=FILE.pcap...   (packets lost after time T, from the gaps in
#                                                  the sequence numbers: "NAME LOST/EXPECTED")
#   recovery.py --kills FILE --logs DIR NAME=FILE.pcap...   (also where the time went, from
#       DIR/switch.log, its supervisor's DIR/switch.log.events and DIR/controld.log)
# Prints one line per kill, per-port medians, and "recovery_s=X": per kill the slowest port,
# median over the kills. A port with no packet after a kill counts as not recovered (inf).
# With --logs, a line per kill and one of medians split the slowest port's time into phases:
#   restart   kill -> the supervisor started the switch again
#   exec      -> its first EAL line (exec, the dynamic loader, DPDK's constructors)
#   plugins   -> "Selected IOVA mode" (DPDK's driver plugins loaded, buses scanned)
#   eal       -> the end of rte_eal_init (memory, TSC calibration, lcores, bus probe)
#   init      -> "qv-switchd: ready" (the switch's own set-up, control socket)
#   notice    -> qv-controld's "is back: reconciling now"
#   restore   -> the restored rules published on the switch (qv-controld's port.list and
#                flow.list, the ports, then the rules: its "restored in" line says how long each)
#   vhost     -> the last vhost device ready before the first packet (vhost-user clients
#                reconnected: "vhost device N ready", rte_vhost's thread, not the 200 ms tick)
#   traffic   -> the first packet forwarded again (the slowest port)
import argparse
import datetime
import os
import re
import statistics
import struct
import sys

SEQ_MAGIC = b"QVSQ"


def read_pcap(path):
    """[(t, seq)] for every frame of a classic pcap (qv-peer writes microsecond stamps)."""
    out = []
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return out
        magic = struct.unpack("<I", hdr[:4])[0]
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            sec, frac, caplen, _ = struct.unpack(endian + "IIII", rec)
            data = f.read(caplen)
            if len(data) < caplen:
                break
            t = sec + frac / (1e9 if nano else 1e6)
            # qv-peer --gen: Ethernet + IPv4 (20) + UDP (8); seq at UDP payload 0..3, magic 4..7
            seq = None
            if len(data) >= 50 and data[46:50] == SEQ_MAGIC:
                seq = struct.unpack(">I", data[42:46])[0]
            out.append((t, seq))
    out.sort()
    return out


def one_kill(pkts, kill, until):
    """(recovery_s, lost) for the kill at time kill: the longest silence between the packet
    before it (or a packet still draining just after it) and the next kill."""
    lo = next((i for i, p in enumerate(pkts) if p[0] > kill - 0.2), None)
    if lo is None:
        return float("inf"), None
    window = [p for p in pkts[lo:] if p[0] < until]
    if not window:
        return float("inf"), None
    best, gap = None, -1.0
    for a, b in zip(window, window[1:]):
        if b[0] > kill and b[0] - a[0] > gap:
            best, gap = (a, b), b[0] - a[0]
    if best is None:
        return float("inf"), None
    a, b = best
    lost = b[1] - a[1] - 1 if a[1] is not None and b[1] is not None else None
    return max(b[0] - kill, 0.0), lost


LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z ")


def read_log(path):
    """[(epoch, line)] of a qv log (lines stamped 2026-12-01T09:50:47.750Z, UTC)."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path, errors="replace") as f:
        for line in f:
            m = LOG_TIME.match(line)
            if m:
                t = datetime.datetime.fromisoformat(m.group(1)).replace(
                    tzinfo=datetime.timezone.utc)
                out.append((t.timestamp(), line))
    return out


def first(lines, t0, t1, pattern):
    """The time of the first line in [t0, t1) matching pattern, or None."""
    for t, line in lines:
        if t0 <= t < t1 and re.search(pattern, line):
            return t
    return None


PHASES = ["restart", "exec", "plugins", "eal", "init", "notice", "restore", "vhost", "traffic"]


def phases(logs, kill, until, traffic_at):
    """{phase: seconds} for one kill (a phase whose log line is missing is left out)."""
    sw, cd = read_log(os.path.join(logs, "switch.log")), read_log(os.path.join(logs, "controld.log"))
    starts = []
    ev = os.path.join(logs, "switch.log.events")
    if os.path.exists(ev):
        starts = [float(l.split()[1]) for l in open(ev) if l.startswith("START ")]
    start = next((t for t in starts if t >= kill and t < until), None)
    # log stamps have ms resolution: the supervisor's START may be up to 1 ms later than them
    base = (start or kill) - 0.001
    marks = [("restart", start)]
    marks.append(("exec", first(sw, base, until, r"dpdk EAL: ")))
    marks.append(("plugins", first(sw, base, until, r"EAL: Selected IOVA mode")))
    eal_end = first(sw, base, until, r"dpdk TELEMETRY: |flow-table: generation")
    marks.append(("eal", eal_end))
    ready = first(sw, base, until, r"qv-switchd: ready")
    marks.append(("init", ready))
    marks.append(("notice", first(cd, kill, until, r"is back: reconciling now")))
    marks.append(("restore", first(sw, ready or base, until,
                                   r"flow-table: generation \d+ published: [1-9]")))
    last = min(until, traffic_at) if traffic_at else until
    ups = [t for t, line in sw if ready and ready <= t <= last
           and re.search(r"vhost device \d+ ready", line)]
    marks.append(("vhost", max(ups) if ups else None))
    marks.append(("traffic", traffic_at))
    out, prev = {}, kill
    for name, t in marks:
        if t is None:
            continue
        out[name] = max(t - prev, 0.0)
        prev = max(t, prev)
    return out


def phase_line(p):
    return ", ".join("%s %d" % (n, round(p[n] * 1000)) for n in PHASES if n in p) + " (ms)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills")
    ap.add_argument("--loss-from", type=float)
    ap.add_argument("--logs", help="DIR with switch.log, switch.log.events, controld.log")
    ap.add_argument("ports", nargs="+", help="NAME=FILE.pcap")
    a = ap.parse_args()
    ports = {}
    for spec in a.ports:
        name, path = spec.split("=", 1)
        ports[name] = read_pcap(path)
    if a.loss_from is not None:
        for n, pkts in ports.items():
            seqs = sorted({s for t, s in pkts if t >= a.loss_from and s is not None})
            want = seqs[-1] - seqs[0] + 1 if seqs else 0
            print("%s %d/%d" % (n, want - len(seqs), want))
        return 0
    kills = [float(x) for x in open(a.kills).read().split()]
    per_port = {n: [] for n in ports}
    slowest, per_phase = [], {n: [] for n in PHASES}
    for k, kill in enumerate(kills):
        until = kills[k + 1] if k + 1 < len(kills) else float("inf")
        cells, worst = [], 0.0
        for n, pkts in ports.items():
            rec, lost = one_kill(pkts, kill, until)
            per_port[n].append(rec)
            worst = max(worst, rec)
            cells.append(
                "%s %s (lost %s)" % (n, "never" if rec == float("inf") else "%.3f s" % rec,
                                     "?" if lost is None else lost))
        slowest.append(worst)
        print("kill %d: first packet again on %s" % (k + 1, ", ".join(cells)))
        if a.logs:
            p = phases(a.logs, kill, until, kill + worst if worst != float("inf") else None)
            for n, v in p.items():
                per_phase[n].append(v)
            print("  where the time went: %s" % phase_line(p))
    for n, v in per_port.items():
        print("port %s: median %.3f s, max %.3f s over %d kills" %
              (n, statistics.median(v), max(v), len(v)))
    if a.logs:
        med_p = {n: statistics.median(v) for n, v in per_phase.items() if v}
        print("phases, median over the kills: %s" % phase_line(med_p))
    med = statistics.median(slowest) if slowest else float("inf")
    print("recovery_s=%s" % ("inf" if med == float("inf") else "%.3f" % med))


if __name__ == "__main__":
    sys.exit(main())
