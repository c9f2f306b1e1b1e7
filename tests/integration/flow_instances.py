#!/usr/bin/env python3
"""qwikvirt: which instance of a load-balancing group each UDP flow reached, from the
captures of the instances' ports (group_affinity.sh), checked per flow.

  flow_instances.py gen OUT.pcap SRC DST N [REVERSE]   N UDP frames, one per flow (src port
        1024 + i, dst port 80; REVERSE: the replies, addresses and ports swapped)
  flow_instances.py map OUT.json K:FWD.pcap:REV.pcap...   per flow (key: the client's port)
        the instance K whose in-port (FWD) and out-port (REV) captures hold it; fails when a
        flow was seen on two instances or its two directions on different ones
  flow_instances.py moved A.json B.json   prints 'moved N of M' and, per instance of A, how
        many of its flows moved: 'from K N'
"""
import json
import struct
import sys


def frame(src, dst, sport, dport):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0,
                     bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    udp = struct.pack("!HHHH", sport, dport, 8, 0)
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    return (eth + ip + udp).ljust(60, b"\0")


def gen(out, src, dst, n, reverse=False):
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            p = frame(dst, src, 80, 1024 + i) if reverse else frame(src, dst, 1024 + i, 80)
            f.write(struct.pack("<IIII", 0, i, len(p), len(p)) + p)


def udp_ports(path):
    """(src port, dst port) of every UDP/IPv4 frame of a pcap (microsecond, Ethernet)."""
    with open(path, "rb") as f:
        data = f.read()
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        p = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(p) >= 42 and p[12:14] == b"\x08\x00" and p[23] == 17:
            ihl = (p[14] & 15) * 4
            out.append(struct.unpack_from("!HH", p, 14 + ihl))
    return out


def do_map(out, specs):
    fwd, rev, bad = {}, {}, []
    for spec in specs:
        k, fpcap, rpcap = spec.split(":")
        for sport, _ in udp_ports(fpcap):
            if fwd.setdefault(sport, k) != k:
                bad.append(f"flow {sport}: forward packets on instances {fwd[sport]} and {k}")
        for _, dport in udp_ports(rpcap):
            if rev.setdefault(dport, k) != k:
                bad.append(f"flow {dport}: reply packets on instances {rev[dport]} and {k}")
    for flow in sorted(set(fwd) | set(rev)):
        if fwd.get(flow) != rev.get(flow):
            bad.append(f"flow {flow}: forward on {fwd.get(flow)}, reply on {rev.get(flow)}")
    counts = {}
    for k in fwd.values():
        counts[k] = counts.get(k, 0) + 1
    print("flows per instance:", " ".join(f"{k}={n}" for k, n in sorted(counts.items())))
    with open(out, "w") as f:
        json.dump(fwd, f)
    if bad:
        print(f"{len(bad)} flows split or duplicated, e.g.:", *bad[:5], sep="\n  ")
        sys.exit(1)


def do_moved(a_path, b_path):
    a, b = json.load(open(a_path)), json.load(open(b_path))
    moved = [f for f in a if b.get(f) != a[f]]
    print(f"moved {len(moved)} of {len(a)}")
    for k in sorted(set(a.values())):
        print(f"from {k} {sum(1 for f in moved if a[f] == k)}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), len(sys.argv) > 6)
    elif cmd == "map":
        do_map(sys.argv[2], sys.argv[3:])
    elif cmd == "moved":
        do_moved(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
