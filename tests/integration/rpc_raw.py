#!/usr/bin/env python3
"""rpc_raw.py SOCKET - send each line of stdin as-is to a JSON-RPC Unix socket and print each
response line (for tests of malformed requests that qvctl would never send)."""
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rwb")
for line in sys.stdin.buffer:
    f.write(line if line.endswith(b"\n") else line + b"\n")
    f.flush()
    resp = f.readline()
    if not resp:
        print("<closed>")
        break
    sys.stdout.write(resp.decode())
    sys.stdout.flush()
