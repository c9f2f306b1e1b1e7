#!/usr/bin/env python3
# recovery.py - for scripts/chaos.sh: from the sink's pcap per port (qv-peer --rx PORT:FILE,
# frames with qv-peer's sequence numbers) and the kill times, each port's time from a kill to
# the first packet forwarded again, and the packets lost across it.
#
#   recovery.py --kills FILE (one epoch time per line) NAME=FILE.pcap...
#   recovery.py --loss-from T NAME=FILE.pcap...   (packets lost after time T, from the gaps in
#                                                  the sequence numbers: "NAME LOST/EXPECTED")
# Prints one line per kill, per-port medians, and "recovery_s=X": per kill the slowest port,
# median over the kills. A port with no packet after a kill counts as not recovered (inf).
import argparse
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills")
    ap.add_argument("--loss-from", type=float)
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
    slowest = []
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
    for n, v in per_port.items():
        print("port %s: median %.3f s, max %.3f s over %d kills" %
              (n, statistics.median(v), max(v), len(v)))
    med = statistics.median(slowest) if slowest else float("inf")
    print("recovery_s=%s" % ("inf" if med == float("inf") else "%.3f" % med))


if __name__ == "__main__":
    sys.exit(main())
