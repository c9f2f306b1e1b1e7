#!/usr/bin/env python3
"""rpc_clients.py MODE SOCKET [ARGS] - misbehaving control clients for rpc_limits.sh.

  hold SOCKET N STATUS   open N connections, each asking rpc.list once; write "held H
                         refused R unanswered U" and the first refusal to STATUS once each
                         has answered or been refused; then hold the accepted ones, idle,
                         until killed, or until the server has closed them all (then append
                         "all H closed by the server" and exit)
  halfline SOCKET        send half a request line, then wait (at most 60 s) for the server to
                         close; print what it sent and "closed"
  flood SOCKET STATUS    send requests without ever reading the answers; write "flooding" to
                         STATUS once the server has stopped taking them, "closed" once it has
                         closed the connection (at most 120 s)
Deadlines are only reached when the server misbehaves; nothing waits a fixed time."""
import os
import select
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def write_status(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.rename(tmp, path)


def hold(path, n, status):
    conns = [connect(path) for _ in range(n)]
    # Each asks once, so that each is known to be either accepted (it answers) or refused (an
    # error line, then EOF), then stays idle.
    for s in conns:
        try:
            s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"rpc.list"}\n')
        except (BrokenPipeError, ConnectionResetError):
            pass
    files = {s: s.makefile("rb") for s in conns}
    held, refused, first = [], 0, ""
    deadline = time.monotonic() + 60
    pending = list(conns)
    while pending and time.monotonic() < deadline:
        r, _, _ = select.select(pending, [], [], 1)
        for s in r:
            line = files[s].readline()
            pending.remove(s)
            if b'"result"' in line:
                held.append(s)
            else:
                refused += 1
                if not first:
                    first = line.decode(errors="replace").strip()
                s.close()
    write_status(status, "held %d refused %d unanswered %d\n%s" % (len(held), refused,
                                                                    len(pending), first))
    # Hold until killed, or until the server has closed every one (idle timeout).
    total = len(held)
    while held:
        r, _, _ = select.select(held, [], [], 5)
        for s in r:
            if not s.recv(4096):
                held.remove(s)
                s.close()
    with open(status, "a") as f:
        f.write("all %d closed by the server\n" % total)


def halfline(path):
    s = connect(path)
    s.sendall(b'{"jsonrpc":"2.0","id":1,')
    s.settimeout(60)
    got = b""
    try:
        while True:
            data = s.recv(4096)
            if not data:
                break
            got += data
    except socket.timeout:
        print("still open after 60 s")
        return 1
    sys.stdout.write(got.decode(errors="replace"))
    print("closed")
    return 0


def flood(path, status):
    s = connect(path)
    s.setblocking(False)
    req = b'{"jsonrpc":"2.0","id":1,"method":"rpc.list"}\n' * 64
    deadline = time.monotonic() + 120
    said_flooding = False
    while time.monotonic() < deadline:
        try:
            s.send(req)
            continue
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            break
        if not said_flooding:
            # the server no longer takes requests as fast as we send them: it is answering
            # into a socket we do not read
            write_status(status, "flooding")
            said_flooding = True
        _, w, x = select.select([], [s], [s], 1)
        # a closed peer shows as writable (the next send fails) or as an exception
        if x:
            break
    else:
        write_status(status, "still open after 120 s")
        return 1
    write_status(status, "closed")
    return 0


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "hold":
        hold(path, int(sys.argv[3]), sys.argv[4])
        return 0
    if mode == "halfline":
        return halfline(path)
    if mode == "flood":
        return flood(path, sys.argv[3])
    print("unknown mode " + mode, file=sys.stderr)
    return 2


sys.exit(main())
