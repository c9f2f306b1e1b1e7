#!/usr/bin/env python3
# qwikvirt: writes the seed corpora of tests/fuzz/corpus/ (run from the repository root), for the
# targets whose inputs are binary layouts (parse, pcapng, domain_xml, rpc_stream ops) or built
# from the tree (yaml: configs/), and switch_methods (a caller, a method, its params);
# controld_methods' seeds are kept as files only.
import os, struct, json
C = 'tests/fuzz/corpus'
def put(t, name, data):
    os.makedirs(f'{C}/{t}', exist_ok=True)
    open(f'{C}/{t}/{name}', 'wb').write(data if isinstance(data, bytes) else data.encode())

mac = bytes.fromhex('525400123456') + bytes.fromhex('525400abcdef')
def eth(et, payload, tags=()):
    h = mac
    for tpid, vid in tags: h += struct.pack('!HH', tpid, vid)
    return h + struct.pack('!H', et) + payload
def ipv4(proto, l4, frag=0, ihl=5):
    opts = b'\x01' * ((ihl - 5) * 4)
    tot = 20 + len(opts) + len(l4)
    return struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, tot, 1, frag, 64, proto, 0,
                       bytes([10,0,0,1]), bytes([10,0,0,2])) + opts + l4
def ipv6(nh, payload):
    return struct.pack('!IHBB', 0x60000000, len(payload), nh, 64) + bytes(range(16)) + bytes(range(16, 32)) + payload
tcp = struct.pack('!HHIIHHHH', 12345, 80, 1, 0, 0x5002, 1024, 0, 0)
udp = struct.pack('!HHHH', 5353, 53, 12, 0) + b'dnsq'
frames = {
  'ipv4-tcp': eth(0x0800, ipv4(6, tcp)),
  'ipv4-udp-vlan100': eth(0x0800, ipv4(17, udp), [(0x8100, 100)]),
  'ipv4-qinq': eth(0x0800, ipv4(6, tcp), [(0x88a8, 10), (0x8100, 20)]),
  'ipv4-options-sctp': eth(0x0800, ipv4(132, struct.pack('!HHII', 1, 2, 3, 4), ihl=7)),
  'ipv4-later-fragment': eth(0x0800, ipv4(17, udp, frag=0x20b9)),
  'ipv4-padded': eth(0x0800, ipv4(1, b'\x08\x00' + b'\0' * 6)) + b'\0' * 18,
  'ipv6-tcp': eth(0x86dd, ipv6(6, tcp)),
  'ipv6-hopopts-udp': eth(0x86dd, ipv6(0, bytes([17, 0]) + b'\x01\x04\0\0\0\0' + udp)),
  'ipv6-fragment': eth(0x86dd, ipv6(44, bytes([6, 0, 0, 8, 0, 0, 0, 1]) + tcp)),
  'ipv6-ah-udp': eth(0x86dd, ipv6(51, bytes([17, 1]) + b'\0' * 10 + udp)),
  'arp': eth(0x0806, bytes.fromhex('0001080006040001') + mac[6:] + bytes([10,0,0,1]) + b'\0'*6 + bytes([10,0,0,2])),
}
for name, f in frames.items():
    put('parse', name, bytes([0]) + f)
    put('parse', name + '-split', bytes([23 if len(f) > 23 else 1]) + f)
put('parse', 'ipv4-tcp-split-in-l4', bytes([40]) + frames['ipv4-tcp'])

reqs = [
  '{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"name":"vhost0","type":"vhost"}}',
  '{"jsonrpc":"2.0","id":"a","method":"port.del","params":{"name":"x\\"y"}}',
  '{"jsonrpc":"2.0","method":"port.add","params":{}}',
  '{"jsonrpc":"2.0","id":null,"method":"rpc.list"}',
  '{"jsonrpc":"2.0","id":7,"method":"null"}',
  '{"jsonrpc":"1.0","id":1,"method":"port.add"}',
  '[1,2,3]',
  '{"jsonrpc":"2.0","id":1.5,"method":"nope","params":[1]}',
]
for i, r in enumerate(reqs): put('rpc_frame', f'req{i}', r)

def ops(*parts):
    out = b''
    for p in parts:
        if isinstance(p, int): out += bytes([p]); continue
        p = p.encode() if isinstance(p, str) else p
        while p:
            c, p = p[:127], p[127:]
            out += bytes([len(c)]) + c
    return out
echo = '{"jsonrpc":"2.0","id":1,"method":"echo","params":{"s":"hi"}}\n'
put('rpc_stream', 'two-lines', ops(echo + '{"jsonrpc":"2.0","id":2,"method":"fail","params":{"name":"p"}}\n'))
put('rpc_stream', 'partial-lines', ops(echo[:10], echo[10:30], echo[30:] + echo[:5], echo[5:]))
put('rpc_stream', 'crlf-blank-eof', ops('\r\n  \t\n' + echo[:-1] + '\r\n' + '{"jsonrpc":"2.0","id":3,"method":"rpc.list"}'))
put('rpc_stream', 'too-long', ops(echo, '{"jsonrpc":"2.0","id":4,"method":"echo","params":{"s":"', *([0xbf] + [0x9f]), '"}}\n', echo))
pre = '{"jsonrpc":"2.0","id":5,"method":"echo","params":{"s":"'
def fill_to(n):  # filler ops for n bytes of 'a': 2 KiB runs, then 64-byte, then 1..64
    o = []
    while n >= 2048 * 64: o.append(0xbf); n -= 2048 * 64
    if n >= 2048: o.append(0x80 + n // 2048 - 1); n %= 2048
    while n >= 64: o.append(0xff); n -= 64
    if n: o.append(0xc0 + n - 1)
    return o
# a line of 65535 bytes + newline (the limit, newline included) is served; one more is refused
put('rpc_stream', 'just-under-limit', ops(pre, *fill_to(65535 - len(pre) - 3), '"}}\n'))
put('rpc_stream', 'at-limit', ops(pre, *fill_to(65536 - len(pre) - 3), '"}}\n'))
put('rpc_stream', 'notification-garbage', ops('{"jsonrpc":"2.0","method":"echo"}\n{not json\n\n'))

rules = ['in=uplink,proto=tcp actions=pop-vlan,group:vhost0+vhost1',
  'in=vhost0 actions=pop-vlan,push-vlan:4095,output:vhost1,output:uplink',
  'in=vhost0,ip-dst=10.1.2.3/8 actions=drop',
  'in=uplink,vlan=100,proto=udp,src-port=1024-65535,dst-port=53,priority=1000 actions=output:vhost0',
  'in=vhost1,eth-type=0x86dd,ip-src=2001:db8::1/64 actions=output:uplink',
  'in=vhost0,dl-dst=52:54:00:12:34:56 actions=drop',
  'in=vhost0 actions=output:vhost1, output:uplink',
  'in=vhost0,vlan=1,in=vhost1 actions=drop']
for i, r in enumerate(rules): put('rule_syntax', f'rule{i}', r)

for f in sorted(os.listdir('configs')):
    if f.endswith('.yaml'): put('yaml', f, open('configs/' + f, 'rb').read())
put('yaml', 'many-errors.yaml', open('tests/data/yaml/many-errors.yaml', 'rb').read())

def resp(result):
    return json.dumps({'jsonrpc': '2.0', 'id': 1, 'result': result}) + '\n'
drops = {'no_route': 3, 'tx_full': 1, 'bad_header': 2, 'whatever': 9}
put('qvctl_decode', 'ports', resp({'ports': [{'name': 'uplink0', 'type': 'dpdk', 'index': 0, 'link': 'up', 'rx_packets': 10, 'tx_packets': 5, 'rx_bytes': 1000, 'drops': drops}, {'name': 'vhost0', 'type': 'vhost', 'path': '/run/x.sock'}]}))
put('qvctl_decode', 'pmd', resp({'pmds': [{'core': 1, 'busy_pct': 12.5, 'busy_cycles': 100, 'idle_cycles': 900, 'rxqs': [{'port': 'uplink0', 'queue': 0, 'cycles': 50, 'packets': 3}]}]}))
put('qvctl_decode', 'flows', resp({'flows': [{'id': 1, 'rule': 'in=uplink0 actions=drop', 'priority': 10, 'packets': 2, 'bytes': 128}]}))
put('qvctl_decode', 'stats-l2', resp({'drops': drops, 'entries': [{'mac': '52:54:00:12:34:56', 'port': 'vhost0', 'vlan': 0, 'age': 1.5}], 'ports': [], 'rx_packets': 1e300}))
put('qvctl_decode', 'chains', resp({'chains': [{'name': 'web', 'from': 'uplink0', 'to': 'uplink1', 'hops': [{'vnf': 'fw', 'ports': [{'name': 'fw-0-in'}]}], 'rules': 4}], 'switch': 'up', 'placement': {'nodes': [0]}}))
put('qvctl_decode', 'error', '{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"port \'x\' not found"}}\n')
put('qvctl_decode', 'wrong-id', '{"jsonrpc":"2.0","id":2,"result":{}}\n')

def pcapng_in(snap, name, comment, pkts):
    out = struct.pack('<H', snap) + bytes([len(name)]) + name + bytes([len(comment) // 2]) + comment
    for d, direction, extra in pkts:
        out += struct.pack('<HBB', len(d), direction, extra) + d
    return out
fl = list(frames.values())
put('pcapng', 'three-packets', pcapng_in(0, b'vhost0', b'qvctl capture', [(fl[0], 1, 0), (fl[1], 2, 0), (fl[6], 0, 4)]))
put('pcapng', 'snaplen-64', pcapng_in(64, b'uplink0', b'', [(fl[0] + b'x' * 100, 1, 0), (b'', 1, 0)]))
put('pcapng', 'long-names', pcapng_in(0, b'p' * 199, b'c' * 254, [(fl[2], 1, 255)]))

def dom(flags, nics, hostdevs, vcpus, mem64, huge, strs, ifaces=(), devs=()):
    out = bytes([flags, nics, hostdevs])
    out += strs[0].encode() + b'\0'   # name
    out += bytes([vcpus, mem64, huge])
    for s in strs[1:]: out += s.encode() + b'\0'
    for mode, sock, m, q, rc in ifaces:
        out += bytes([mode]) + sock.encode() + b'\0' + m.encode() + b'\0' + bytes([q, rc])
    for d in devs: out += d.encode() + b'\0'
    return out
put('domain_xml', 'kernel-boot', dom(0, 2, 0, 2, 4, 0, ['fw-0', '/images/vmlinuz', '/images/initrd.img', 'console=ttyS0 pci=nomsi', '', '', '/var/log/qwikvirt/fw-0.log', '', '0-1', '', '1'],
    [(0, '/run/qwikvirt/vhost/fw-0-in.sock', '', 1, 0), (1, '/run/qwikvirt/vhost/fw-0-out.sock', '52:54:00:aa:bb:cc', 2, 3)]))
put('domain_xml', 'disk-hostdev-msix', dom(1 | 2 | 4 | 8 | 16, 1, 1, 1, 16, 0, ['rtr1', '', '', '', '/images/rtr.qcow2', '/images/base.qcow2', '', '9f1c5e2a-0b8e-4a43-8c34-2b1b8f3c1d2e', '', '0', ''],
    [(0, '/run/sock', '', 0, 0)], ['0000:03:10.2']))
put('domain_xml', 'hostile-strings', dom(0, 1, 0, 1, 4, 0, ['a', '/k"<&>\'', '/i]]>', 'a="b" </cmdline><x>', '/d\' file=\'/etc/passwd', '/b"/>', '/s&amp;', '', '', '', ''],
    [(0, '/run/a"/><x y="', '', 0, 0)]))

# switch_methods: caller byte (0 trusted, 1 root, 2 group member), method name, NUL, params.
sw = {
  'port-add-ring': (1, 'port.add', {'name': 'x', 'type': 'dpdk', 'devargs': 'net_ring5'}),
  'port-add-pcap': (1, 'port.add', {'name': 'x', 'type': 'dpdk', 'devargs': 'net_pcap3,rx_pcap=in.pcap,tx_pcap=out.pcap'}),
  'port-add-pcap-escape': (1, 'port.add', {'name': 'x', 'type': 'dpdk', 'devargs': 'net_pcap3,tx_pcap=../../etc/x'}),
  'port-add-virtio-user': (1, 'port.add', {'name': 'x', 'type': 'dpdk', 'devargs': 'net_virtio_user2,path=/etc/x,queues=2'}),
  'port-add-pci-keys': (1, 'port.add', {'name': 'x', 'type': 'dpdk', 'devargs': '0000:03:00.0,foo=1', 'rxq': 2}),
  'port-add-vhost': (0, 'port.add', {'name': 'vx', 'type': 'vhost', 'path': 'vx.sock', 'queues': 2, 'mtu': 9000}),
  'port-add-vhost-client': (1, 'port.add', {'name': 'vx', 'type': 'vhost', 'path': 'sub/../vx.sock', 'client': True}),
  'port-add-member': (2, 'port.add', {'name': 'x', 'type': 'dpdk', 'devargs': 'net_ring6'}),
  'port-set': (1, 'port.set', {'name': 'r0', 'default': 'l2', 'admin': 'down', 'mtu': 2000}),
  'port-del': (1, 'port.del', {'name': 'r1'}),
  'port-list': (2, 'port.list', {}),
  'port-queues': (2, 'port.queues', {'name': 'v0'}),
  'port-police': (1, 'port.police', {'name': 'r0', 'rate': 1000000, 'burst': 10000}),
  'flow-add': (1, 'flow.add', {'flow': 'in=r0,vlan=100,proto=tcp,dst-port=80 actions=push-vlan:5,output:r1'}),
  'flow-add-group': (1, 'flow.add', {'flow': 'in=r0 actions=group:symmetric:r1,v0'}),
  'flow-apply': (1, 'flow.apply', {'replace': ['in=r0 actions=output:r1', 'priority=5,ip-dst=10.0.0.0/8 actions=drop']}),
  'flow-apply-txn': (1, 'flow.apply', {'add': ['in=r1 actions=output:r0'], 'del': [1], 'txn': 'a'}),
  'flow-del': (1, 'flow.del', {'id': 1}),
  'flow-list': (2, 'flow.list', {}),
  'flow-summary': (2, 'flow.summary', {}),
  'stats-get': (2, 'stats.get', {}),
  'stats-clear': (1, 'stats.clear', {}),
  'pmd-show': (2, 'pmd.show', {}),
  'group-show': (2, 'group.show', {}),
  'capture-start': (2, 'capture.start', {'port': 'r0', 'file': 'a.pcapng', 'dir': 'rx', 'filter': 'udp port 53', 'count': 10}),
  'capture-start-force': (1, 'capture.start', {'port': 'r0', 'file': 'f.pcapng', 'force': True, 'max_size': 4096, 'rotate': True}),
  'capture-start-escape': (2, 'capture.start', {'port': 'r0', 'file': '/etc/passwd', 'force': True}),
  'capture-stop': (2, 'capture.stop', {'id': 1}),
  'capture-list': (2, 'capture.list', {}),
  'trace-start': (2, 'trace.start', {'port': 'v0', 'count': 5}),
  'trace-show': (2, 'trace.show', {}),
}
for name, (caller, method, params) in sw.items():
    put('switch_methods', name, bytes([caller]) + method.encode() + b'\0' + json.dumps(params).encode())
