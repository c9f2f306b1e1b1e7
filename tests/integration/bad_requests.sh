#!/bin/bash
# Bad input over the control socket and through qvctl: each gets an error that names what is
# wrong, and the switch's state (ports, flows) is exactly what it was before.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
qvctl flow add 'in=a actions=output:b' >/dev/null
state() { qjson show ports | jq -c '[.ports[] | {name, type, default, admin}]'; qjson show flows | jq -c '[.flows[] | {id, text}]'; }
before=$(state)

raw() { printf '%s\n' "$1" | python3 "$here/rpc_raw.py" "$T/sw.sock"; }
expect_raw_error() { # expect_raw_error WHAT REQUEST CODE WORDS
    local out
    out=$(raw "$2")
    check_eq "$1: error code" "$3" "$(echo "$out" | jq -r '.error.code')"
    check_contains "$1: message" "$4" "$(echo "$out" | jq -r '.error.message')"
}
expect_raw_error "not JSON" '{"jsonrpc":"2.0","id":1,"method":' -32700 "parse error"
expect_raw_error "no version" '{"id":1,"method":"port.list"}' -32600 '"jsonrpc"'
expect_raw_error "batch" '[{"jsonrpc":"2.0","id":1,"method":"port.list"}]' -32600 "batches are not supported"
expect_raw_error "unknown method" '{"jsonrpc":"2.0","id":1,"method":"port.ad"}' -32601 "port.ad"
expect_raw_error "params not object" '{"jsonrpc":"2.0","id":1,"method":"port.del","params":["a"]}' -32600 "must be an object"
expect_raw_error "unknown param" '{"jsonrpc":"2.0","id":1,"method":"port.del","params":{"nmae":"a"}}' -32602 "unknown parameter 'nmae'"
expect_raw_error "port.add: a key no port class takes" '{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"name":"c","type":"vhost","pth":"/tmp/x.sock"}}' -32602 "unknown parameter 'pth'"
expect_raw_error "port.set: a key no port class sets" '{"jsonrpc":"2.0","id":1,"method":"port.set","params":{"name":"a","mut":1500}}' -32602 "unknown parameter 'mut'"
expect_raw_error "wrong type" '{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"name":"c","type":"vhost","path":"/tmp/x.sock","queues":"2"}}' -32602 "'queues' must be an integer"
expect_raw_error "vring_stats not a boolean" '{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"name":"c","type":"vhost","path":"/tmp/x.sock","vring_stats":"no"}}' -32602 "'vring_stats' must be true or false"
expect_raw_error "bad port type" '{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"name":"c","type":"tap"}}' -32602 '"vhost", "dpdk", "af_packet", "af_xdp" or "vhost_kernel"'
expect_raw_error "bad port name" '{"jsonrpc":"2.0","id":1,"method":"port.add","params":{"name":"a b","type":"vhost","path":"/tmp/x.sock"}}' -32602 "port name 'a b'"
# qv-controld's methods: each parameter typed; a wrong type or range is refused naming it
controld_start
cat >"$T/svc.yaml" <<Y
switch:
  socket-dir: $T
ports:
  - {name: uplink, type: vhost, path: $T/uplink.sock}
  - {name: lan, type: vhost, path: $T/lan.sock}
vnfs:
  - {name: fw, vcpus: 1, memory: 256MiB, kernel: /boot/vmlinuz}
chains:
  - {name: web, from: uplink, match: {proto: udp}, hops: [fw], to: lan}
Y
craw() { printf '%s\n' "$1" | python3 "$here/rpc_raw.py" "$T/cd.sock"; }
expect_cd_error() { # expect_cd_error WHAT REQUEST CODE WORDS
    local out
    out=$(craw "$2")
    check_eq "qv-controld $1: error code" "$3" "$(echo "$out" | jq -r '.error.code')"
    check_contains "qv-controld $1: message" "$4" "$(echo "$out" | jq -r '.error.message')"
}
apply_req() { # apply_req CHECK-VALUE: an apply request of svc.yaml as JSON
    jq -cn --arg y "$(cat "$T/svc.yaml")" --argjson c "$1" \
        '{jsonrpc: "2.0", id: 1, method: "apply", params: {name: "svc.yaml", yaml: $y, check: $c}}'
}
# {"check": "true"} once applied the file it was to only plan
expect_cd_error "apply check as a string" "$(apply_req '"true"')" -32602 "parameter 'check' must be true or false"
expect_cd_error "apply check as a number" "$(apply_req 1)" -32602 "'check' must be true or false"
check_eq "apply check:true plans and applies nothing" "true false" \
    "$(craw "$(apply_req true)" | jq -r '"\(.result.ok) \(.result.applied)"')"
expect_cd_error "apply without yaml" '{"jsonrpc":"2.0","id":1,"method":"apply","params":{"name":"x"}}' -32602 "missing parameter 'yaml'"
expect_cd_error "apply yaml not a string" '{"jsonrpc":"2.0","id":1,"method":"apply","params":{"name":"x","yaml":["a"]}}' -32602 "parameter 'yaml' must be a string"
# {"timeout_s": -1} once waited 2^32-1 ms (49 days) before destroying the VM
expect_cd_error "vm.stop negative timeout" '{"jsonrpc":"2.0","id":1,"method":"vm.stop","params":{"name":"qv-fw-0","timeout_s":-1}}' -32602 "parameter 'timeout_s' must be an integer 0..3600"
expect_cd_error "vm.stop timeout as a string" '{"jsonrpc":"2.0","id":1,"method":"vm.stop","params":{"name":"qv-fw-0","timeout_s":"5"}}' -32602 "'timeout_s' must be an integer"
expect_cd_error "vm.console bytes out of range" '{"jsonrpc":"2.0","id":1,"method":"vm.console","params":{"name":"qv-fw-0","bytes":0}}' -32602 "'bytes' must be an integer 1..1048576"
expect_cd_error "vm.start name not a string" '{"jsonrpc":"2.0","id":1,"method":"vm.start","params":{"name":5}}' -32602 "parameter 'name' must be a string"
expect_cd_error "vm.start without a name" '{"jsonrpc":"2.0","id":1,"method":"vm.start","params":{}}' -32602 "missing parameter 'name'"
expect_cd_error "vm.revert without a tag" '{"jsonrpc":"2.0","id":1,"method":"vm.revert","params":{"name":"qv-fw-0"}}' -32602 "missing parameter 'tag'"
expect_cd_error "vm.clone new not a string" '{"jsonrpc":"2.0","id":1,"method":"vm.clone","params":{"name":"qv-fw-0","new":true}}' -32602 "parameter 'new' must be a string"
expect_cd_error "vm.snapshot unknown param" '{"jsonrpc":"2.0","id":1,"method":"vm.snapshot","params":{"name":"qv-fw-0","tga":"x"}}' -32602 "unknown parameter 'tga'"
# well-typed parameters reach the method: here it says VMs are off
expect_cd_error "vm.stop well typed" '{"jsonrpc":"2.0","id":1,"method":"vm.stop","params":{"name":"qv-fw-0","timeout_s":5}}' -32000 "--no-vms"
check_eq "qv-controld applied nothing" null "$(qvc --json show controld | jq -c '.file')"

big=$(head -c 70000 /dev/zero | tr '\0' 'x')
out=$(raw "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"port.list\",\"params\":{\"x\":\"$big\"}}")
check_contains "oversized request refused" "larger than 65536 bytes" "$out"

# through qvctl: exit status and message on stderr
expect_cli_error() { # expect_cli_error WHAT STATUS WORDS qvctl-args...
    local what=$1 st=$2 words=$3 out rc=0
    shift 3
    out=$(qvctl "$@" 2>&1) || rc=$?
    check_eq "$what: exit status" "$st" "$rc"
    check_contains "$what: message" "$words" "$out"
}
expect_cli_error "duplicate port" 1 "port a already exists" port add a vhost "$T/c.sock"
expect_cli_error "socket in use" 1 "already used by port a" port add c vhost "$T/a.sock"
expect_cli_error "devargs of an unknown driver" 1 "'net_nosuchdriver0' is not a PCI address or a device of an allowed vdev driver" \
    port add c dpdk net_nosuchdriver0
expect_cli_error "devargs that fail to probe" 1 "cannot probe" port add c dpdk net_pcap9,rx_iface=qvnosuchif0
expect_cli_error "vhost path outside the socket directory" 1 "is outside; give a file name" \
    port add c vhost /tmp/qv-nodir/c.sock
expect_cli_error "unknown port in flow" 1 "unknown port 'nope'" flow add 'in=nope actions=output:b'
expect_cli_error "bad match key" 1 "unknown key 'vlna'" flow add 'in=a,vlna=5 actions=output:b'
expect_cli_error "host bits in prefix" 1 "did you mean 10.0.0.0/8" flow add 'ip-dst=10.1.2.3/8 actions=output:b'
expect_cli_error "vlan out of range" 1 "4096" flow add 'vlan=4096 actions=output:b'
expect_cli_error "missing actions" 1 "actions=" flow add 'in=a'
expect_cli_error "no such flow" 1 "no flow with id 99" flow del 99
expect_cli_error "no such port" 1 "no port named 'zz'" port del zz
expect_cli_error "usage error" 2 "usage" port add
expect_cli_error "unknown command" 2 "usage" frobnicate
expect_cli_error "switch not running" 1 "$T/nope.sock" --switch "$T/nope.sock" show ports
check_contains "--help teaches the match syntax" "dst-port" "$(qvctl flow add --help)"
check_contains "top-level --help lists commands" "show" "$(qvctl --help)"
check_contains "qv-switchd --help" "--pmd-cores" "$("$SWITCHD_BIN" --help)"

check_eq "state unchanged after every bad request" "$before" "$(state)"
