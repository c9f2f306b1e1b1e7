#!/usr/bin/env python3
"""flow_churn.py SOCKET FLOWS STATE PID - rule churn at a steady rate while process PID lives
(at most 3000 rounds), over one JSON-RPC connection. STATE is a JSON file
{"flow_rules": {"PORT": [ids...]}, "fillers": [ids...]}: the rules forwarding each UDP source
port a -> b (each port starts with two: a high and a low priority one, both output:b) and
filler rules. Every round: one port gets a new rule (random priority) and loses its oldest,
alternately as one transaction (flow.apply add + del) and as two (flow.add, then flow.del);
or, a round in three, a port with two rules or more loses one of them alone, so that a rule of
the rte_acl part is deleted with another one of that part left to take over (the copies of
flows.c); a port always keeps one rule forwarding it. Filler rules are added and deleted too.
Prints the rounds, the folds of background rebuilds seen and the rules that should be in
force; exits 1 on any error."""
import json
import os
import random
import socket
import sys

sock, n_flows, state, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
st = json.load(open(state))
rules = {int(p): ids for p, ids in st["flow_rules"].items()}
fillers = st["fillers"]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
f = s.makefile("rw")
seq = 0
rnd = random.Random(16)


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


def flow_rule(port):
    return f"in=a,proto=udp,src-port={port},priority={rnd.randint(1000, 3000)} actions=output:b"


rounds = 0
folds0 = call("flow.summary", {})["rebuild"]["folds"]
while alive() and rounds < 3000:
    port = 1024 + rnd.randrange(n_flows)
    if rounds % 3 == 0 and len(rules[port]) >= 2:
        # a deletion alone: an older rule, often of the rte_acl part, takes over
        call("flow.del", {"id": rules[port].pop(rnd.randrange(len(rules[port])))})
        rounds += 1
        continue
    old = rules[port].pop(0)
    if rounds % 2:
        new = call("flow.apply", {"add": [flow_rule(port)], "del": [old]})["first_id"]
    else:
        new = call("flow.add", {"flow": flow_rule(port)})["id"]
        call("flow.del", {"id": old})
    rules[port].append(new)
    if rounds % 3 == 1:  # often a port gets a second rule
        rules[port].append(call("flow.add", {"flow": flow_rule(port)})["id"])
    i = rnd.randrange(len(fillers))
    r = call("flow.apply", {"add": [f"in=a,proto=udp,ip-dst=172.31.{rounds % 250}.{i % 250} actions=drop"],
                            "del": [fillers[i]]})
    fillers[i] = r["first_id"]
    rounds += 1
folds = call("flow.summary", {})["rebuild"]["folds"] - folds0
print(rounds, folds, sum(len(v) for v in rules.values()) + len(fillers) + 1)
