#!/usr/bin/env python3
"""rule_churn.py SOCKET FIRST_ID PID - while process PID lives (at most 2000 rounds), replace the
a->b forwarding rule (flow FIRST_ID to start with) by an equivalent one of another priority
and add/delete an unrelated rule, over one JSON-RPC connection. Prints the number of rounds;
exits 1 on any RPC error."""
import json
import os
import socket
import sys

sock, prev, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
f = s.makefile("rw")
seq = 0


def call(method, params):
    global seq
    seq += 1
    f.write(json.dumps({"jsonrpc": "2.0", "id": seq, "method": method, "params": params}) + "\n")
    f.flush()
    r = json.loads(f.readline())
    if "error" in r:
        sys.exit(f"{method} {params}: {r['error']['message']}")
    return r["result"]


def alive():
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


rounds = 0
while alive() and rounds < 2000:
    new = call("flow.add", {"flow": f"in=a,proto=udp,priority={1000 + rounds} actions=output:b"})["id"]
    call("flow.del", {"id": prev})
    prev = new
    other = call("flow.add", {"flow": f"in=b,ip-dst=192.0.2.{rounds % 250}/32 actions=drop"})["id"]
    call("flow.del", {"id": other})
    rounds += 1
print(rounds)
