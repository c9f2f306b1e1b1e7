#!/bin/bash
# Linux peers behind af_packet ports: two network namespaces, each on a veth pair whose outer
# end is a switch port. ping both ways, ping at MTU 9000 with DF set, a TCP transfer that
# arrives whole; a veth taken down makes its port go down (output counted as port-down, the
# change logged and shown with its time), and up again restores traffic.
. "$(dirname "$0")/lib.sh"
for tool in ip ping ethtool nc sha256sum; do
    command -v $tool >/dev/null || fail "$tool is needed (Debian: iproute2 iputils-ping ethtool netcat-openbsd)"
done

ns1=qvns1_$$ ns2=qvns2_$$ v1=qvv1_$$ v2=qvv2_$$
netns_cleanup() { # (deleting a namespace deletes its veth pair)
    local x
    for x in "$ns1" "$ns2"; do ip netns del "$x" 2>/dev/null || true; done
    for x in "$v1" "$v2"; do ip link del "$x" 2>/dev/null || true; done
}
trap 'st=$?; netns_cleanup; set +e; (exit $st); cleanup' EXIT
for i in 1 2; do
    ns=qvns${i}_$$ v=qvv${i}_$$
    ip netns add "$ns"
    ip link add "$v" mtu 9000 type veth peer name eth0 netns "$ns"
    ip link set "$v" up
    ip netns exec "$ns" ip link set eth0 mtu 9000 up
    ip netns exec "$ns" ip addr add "10.77.0.$i/24" dev eth0
    # af_packet hands over frames whose checksum is left for a NIC: have the kernel fill it
    ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
done

switch_start
out=$(qvctl port add p1 af_packet nosuchnetdev0 2>&1) && fail "a missing netdev was accepted"
check_contains "a missing netdev is refused by name" "no network interface 'nosuchnetdev0'" "$out"
qvctl port add p1 af_packet "$v1" --mtu 9000 >/dev/null
qvctl port add p2 af_packet "$v2" --mtu 9000 >/dev/null
out=$(qvctl port add p3 af_packet "$v1" 2>&1) && fail "a second port on $v1 was accepted"
check_contains "one port per netdev" "already port p1's" "$out"
qvctl flow add 'in=p1 actions=output:p2' >/dev/null
qvctl flow add 'in=p2 actions=output:p1' >/dev/null
check_eq "p1 mtu" 9000 "$(port_field p1 mtu)"
check_eq "p1 state" up "$(port_field p1 state)"

ip netns exec "$ns1" ping -c 3 -i 0.2 -W 2 10.77.0.2 >"$T/ping12.log" || fail "ns1 -> ns2 ping failed"
pass "ping ns1 -> ns2"
ip netns exec "$ns2" ping -c 3 -i 0.2 -W 2 10.77.0.1 >"$T/ping21.log" || fail "ns2 -> ns1 ping failed"
pass "ping ns2 -> ns1"
ip netns exec "$ns1" ping -M do -s 8972 -c 3 -i 0.2 -W 2 10.77.0.2 >"$T/pingj.log" ||
    fail "ping -M do -s 8972 (9000 B IP packets) failed"
pass "9000 B IP packets, DF set, both ways"

# TCP: 8 MiB through the switch, compared by checksum
head -c 8388608 /dev/urandom >"$T/blob"
want=$(sha256sum <"$T/blob" | cut -d' ' -f1)
ip netns exec "$ns2" timeout 60 nc -l -N -p 5001 >"$T/got" 2>"$T/nc-server.log" &
ncpid=$!
PIDS+=("$ncpid")
wait_until "nc listening in ns2" 10 bash -c "ip netns exec $ns2 ss -ltn | grep -q ':5001'"
ip netns exec "$ns1" timeout 60 nc -N 10.77.0.2 5001 <"$T/blob" 2>"$T/nc-client.log" ||
    fail "the TCP sender failed"
wait "$ncpid" || true
check_eq "TCP transfer arrived whole (sha256)" "$want" "$(sha256sum <"$T/got" | cut -d' ' -f1)"

# link down on the outer veth end: p2 goes down, traffic to it is port-down
before=$(port_field p1 'drops["port-down"]')
ip link set "$v2" down
wait_until "p2 link down" 10 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq -r '.ports[] | select(.name==\"p2\") | .state')\" = down ]"
pass "p2 went down with $v2"
[ "$(port_field p2 link_changed)" != null ] || fail "p2 shows no time of its link change"
pass "link change time shown: $(port_field p2 link_changed)"
grep -q "port p2: down (link down: $v2 set down, netlink)" "$T/switch.log" ||
    fail "no 'port p2: down (link down: $v2 set down, netlink)' event in the log"
pass "link-down event logged with the port and the reason"
ip netns exec "$ns1" ping -c 3 -i 0.2 -W 1 10.77.0.2 >/dev/null 2>&1 && fail "ping went through a down link"
after=$(port_field p1 'drops["port-down"]')
[ "$after" -gt "$before" ] || fail "no port-down drops on p1 while p2 was down ($before -> $after)"
pass "traffic to the down port counted as port-down ($((after - before)))"
ip link set "$v2" up
wait_until "p2 link up" 10 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq -r '.ports[] | select(.name==\"p2\") | .state')\" = up ]"
grep -q "port p2: up (link up: $v2 up with carrier, netlink)" "$T/switch.log" ||
    fail "no 'port p2: up (link up: $v2 up with carrier, netlink)' event in the log"
wait_until "ping again after link up" 20 ip netns exec "$ns1" ping -c 1 -W 1 10.77.0.2
pass "traffic restored after link up"
check_eq "p2's link is followed by netlink" netlink "$(port_field p2 link_detect)"

# two flaps faster than the control loop turns (200 ms): each down and up is still an event,
# reported when the kernel announces it rather than found by comparing states
n_lines() { grep -c "qv-switchd: port p2: $1 (link $1: " "$T/switch.log" || true; }
downs=$(n_lines down) ups=$(n_lines up)
ip link set "$v2" down && ip link set "$v2" up && ip link set "$v2" down && ip link set "$v2" up
n_lines_are() { [ "$(n_lines down)" = "$1" ] && [ "$(n_lines up)" = "$2" ]; }
wait_until "two more down and up lines for p2" 10 n_lines_are $((downs + 2)) $((ups + 2))
pass "two quick flaps logged as two downs and two ups"
wait_until "p2 up after the flaps" 10 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq -r '.ports[] | select(.name==\"p2\") | .state')\" = up ]"
wait_until "ping after the flaps" 20 ip netns exec "$ns1" ping -c 1 -W 1 10.77.0.2
pass "traffic after the flaps"

# the same namespaces behind af_xdp ports (XDP on a veth needs its peer's MTU under ~3.5 KB)
qvctl port del p1 >/dev/null
qvctl port del p2 >/dev/null
for i in 1 2; do
    ip netns exec "qvns${i}_$$" ip link set eth0 mtu 1500
    ip link set "qvv${i}_$$" mtu 1500
done
qvctl port add x1 af_xdp "$v1" >/dev/null
qvctl port add x2 af_xdp "$v2" >/dev/null
qvctl flow add 'in=x1 actions=output:x2' >/dev/null
qvctl flow add 'in=x2 actions=output:x1' >/dev/null
wait_until "ping ns1 -> ns2 through af_xdp" 20 ip netns exec "$ns1" ping -c 1 -W 1 10.77.0.2
ip netns exec "$ns2" ping -c 3 -i 0.2 -W 2 10.77.0.1 >/dev/null || fail "ns2 -> ns1 ping through af_xdp failed"
pass "ping both ways through af_xdp ports"
out=$(qvctl port add k vhost_kernel "qvk$$" 2>&1) && { qvctl port del k >/dev/null; pass "vhost_kernel port added"; } ||
    check_contains "vhost_kernel without vhost-net says what is missing" "vhost" "$out"
