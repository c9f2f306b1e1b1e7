#!/usr/bin/env python3
"""flows_add.py SOCKET FILE - add every rule of FILE (one per line, qvctl flow add syntax) to the
qv-switchd at SOCKET over one JSON-RPC connection: a thousand filler rules without a thousand
qvctl processes. Stops at the first rule the switch refuses, with its message."""
import json
import socket
import sys


def main():
    sock, path = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    f = s.makefile("rwb")
    n = 0
    with open(path) as rules:
        for i, line in enumerate(rules, 1):
            rule = line.strip()
            if not rule:
                continue
            req = {"jsonrpc": "2.0", "id": i, "method": "flow.add", "params": {"flow": rule}}
            f.write(json.dumps(req).encode() + b"\n")
            f.flush()
            resp = json.loads(f.readline() or b"{}")
            if "result" not in resp:
                sys.exit("flows_add.py: %s:%d: %s: %s" % (path, i, rule, resp.get("error", resp)))
            n += 1
    print("flows_add.py: %d rules added" % n, file=sys.stderr)


if __name__ == "__main__":
    main()
