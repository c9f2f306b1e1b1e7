#!/usr/bin/env python3
"""jumbo_compare.py IN.pcap OUT.pcap VID - every frame of OUT is the frame of IN at the same
position with an 802.1Q tag of VID inserted after the MACs (bytes only). Prints the count and
the largest frame, or the first difference and exits 1."""
import struct
import sys



def packets(path):
    """The frames of a pcap file (bytes only)."""
    with open(path, "rb") as f:
        data = f.read()
    end = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off, out = 24, []
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out


def main():
    src, out, vid = packets(sys.argv[1]), packets(sys.argv[2]), int(sys.argv[3])
    if len(src) != len(out) or not src:
        print(f"{len(out)} frames out for {len(src)} in")
        return 1
    tag = struct.pack(">HH", 0x8100, vid)
    for i, (s, o) in enumerate(zip(src, out)):
        if s[:12] + tag + s[12:] != o:
            print(f"frame {i + 1}: {len(o)} bytes out, {len(s)} in: not the input with tag {vid}")
            return 1
    print(f"{len(out)} frames = input + VLAN {vid}, largest {max(map(len, out))} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
