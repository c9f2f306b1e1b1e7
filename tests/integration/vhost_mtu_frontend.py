#!/usr/bin/env python3
# A minimal vhost-user front-end that does what QEMU does for a guest NIC with host_mtu=N
# (DPDK's virtio-user cannot: it never sends VHOST_USER_NET_SET_MTU): negotiates
# VIRTIO_NET_F_MTU and the MTU protocol feature, sends the MTU, then sets up two empty vrings
# in a memfd so that the device becomes ready. It stays connected until STOP_FILE exists.
# usage: vhost_mtu_frontend.py SOCKET MTU STOP_FILE
import os
import socket
import struct
import sys
import time

GET_FEATURES, SET_FEATURES, SET_OWNER, SET_MEM_TABLE = 1, 2, 3, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, SET_VRING_KICK, SET_VRING_CALL = 8, 9, 10, 12, 13
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, SET_VRING_ENABLE, NET_SET_MTU = 15, 16, 18, 20
F_MTU, F_PROTOCOL_FEATURES, F_VERSION_1 = 1 << 3, 1 << 30, 1 << 32
PROTOCOL_F_MTU = 1 << 4
RING = 256
MEM = 1 << 20
UADDR = 0x7F0000000000  # the "guest" address of the memory, as QEMU would give its own


def send(s, req, payload=b"", fds=()):
    msg = struct.pack("<III", req, 0x1, len(payload)) + payload
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("<%di" % len(fds), *fds))] if fds else []
    s.sendmsg([msg], anc)


def recv_u64(s, req):
    hdr = s.recv(12, socket.MSG_WAITALL)
    r, flags, size = struct.unpack("<III", hdr)
    body = s.recv(size, socket.MSG_WAITALL)
    if r != req or size != 8:
        sys.exit("unexpected reply %d (size %d) to request %d" % (r, size, req))
    return struct.unpack("<Q", body)[0]


def main():
    path, mtu, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.time() + 20
    while True:
        try:
            s.connect(path)
            break
        except OSError:
            if time.time() > deadline:
                sys.exit("cannot connect to %s" % path)
            time.sleep(0.05)
    send(s, GET_FEATURES)
    features = recv_u64(s, GET_FEATURES)
    if not features & F_MTU or not features & F_PROTOCOL_FEATURES:
        sys.exit("the back-end offers no VIRTIO_NET_F_MTU or protocol features: %#x" % features)
    send(s, GET_PROTOCOL_FEATURES)
    if not recv_u64(s, GET_PROTOCOL_FEATURES) & PROTOCOL_F_MTU:
        sys.exit("the back-end offers no VHOST_USER_PROTOCOL_F_MTU")
    send(s, SET_PROTOCOL_FEATURES, struct.pack("<Q", PROTOCOL_F_MTU))
    send(s, SET_OWNER)
    send(s, SET_FEATURES, struct.pack("<Q", F_MTU | F_PROTOCOL_FEATURES | F_VERSION_1))
    send(s, NET_SET_MTU, struct.pack("<Q", mtu))
    mem = os.memfd_create("vhost-mtu-guest")
    os.ftruncate(mem, MEM)
    send(s, SET_MEM_TABLE, struct.pack("<IIQQQQ", 1, 0, 0, MEM, UADDR, 0), [mem])
    fds = []
    for vring in (0, 1):  # split rings: descriptors, then avail, then used (4 KiB aligned)
        base = UADDR + vring * 0x10000
        desc, avail, used = base, base + 16 * RING, base + 0x8000
        send(s, SET_VRING_NUM, struct.pack("<II", vring, RING))
        send(s, SET_VRING_ADDR, struct.pack("<IIQQQQ", vring, 0, desc, used, avail, 0))
        send(s, SET_VRING_BASE, struct.pack("<II", vring, 0))
        kick, call = os.eventfd(0), os.eventfd(0)
        fds += [kick, call]
        send(s, SET_VRING_KICK, struct.pack("<Q", vring), [kick])
        send(s, SET_VRING_CALL, struct.pack("<Q", vring), [call])
        send(s, SET_VRING_ENABLE, struct.pack("<II", vring, 1))
    while not os.path.exists(stop):  # the peer's lifetime, not a synchronisation
        time.sleep(0.05)
    s.close()


main()
