#!/usr/bin/env python3
"""pcap_compare.py GOT.pcap WANT.pcap - compare two pcap files packet by packet (bytes only,
timestamps ignored). Prints the first difference and exits 1, or prints 'N packets identical'."""
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        sys.exit(f"{path}: not a pcap file ({len(data)} bytes)")
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(end + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out


def main():
    got, want = packets(sys.argv[1]), packets(sys.argv[2])
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            at = next((k for k in range(min(len(g), len(w))) if g[k] != w[k]), min(len(g), len(w)))
            print(f"packet {i + 1}: differs at byte {at} (got {len(g)} bytes, want {len(w)})\n"
                  f"  got:  {g[max(0, at - 4):at + 12].hex()}\n  want: {w[max(0, at - 4):at + 12].hex()}")
            return 1
    if len(got) != len(want):
        print(f"got {len(got)} packets, want {len(want)}")
        return 1
    print(f"{len(got)} packets identical")
    return 0


sys.exit(main())
