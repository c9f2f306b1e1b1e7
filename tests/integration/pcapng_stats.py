#!/usr/bin/env python3
"""pcapng_stats.py FILE - print 'RECV DROP' from the last interface statistics block (ISB) of a
pcapng file: isb_ifrecv and isb_ifdrop. Exits 1 when the file has no ISB.
pcapng_stats.py --packets FILE - print the number of packet blocks (faster than tshark)."""
import struct
import sys

count_only = sys.argv[1] == "--packets"
path = sys.argv[2] if count_only else sys.argv[1]
data = open(path, "rb").read()
off, found, packets = 0, None, 0
while off + 12 <= len(data):
    btype, blen = struct.unpack("<II", data[off:off + 8])
    if blen < 12:
        break
    if btype == 6:
        packets += 1
    if btype == 5:  # ISB: if_id, ts_hi, ts_lo, then options
        opts, vals, o = data[off + 20:off + blen - 4], {}, 0
        while o + 4 <= len(opts):
            code, olen = struct.unpack("<HH", opts[o:o + 4])
            if code == 0:
                break
            if olen == 8:
                vals[code] = struct.unpack("<Q", opts[o + 4:o + 12])[0]
            o += 4 + ((olen + 3) & ~3)
        found = (vals.get(4), vals.get(5))
    off += blen
if count_only:
    print(packets)
    sys.exit(0)
if not found:
    sys.exit(f"{path}: no interface statistics block")
print(found[0], found[1])
