#!/bin/bash
# The switch's counters through DPDK telemetry: dpdk-telemetry.py reads /qv/ports, /qv/pmds,
# /qv/flows, /qv/drops and /qv/xstats (devices' own counters) from the switch's runtime
# directory, agreeing with qvctl.
. "$(dirname "$0")/lib.sh"

switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
qvctl flow add 'in=a,proto=udp actions=output:b' >/dev/null
$MKPCAP "$T/in.pcap" count=40,proto=udp count=7,proto=tcp >/dev/null
peer_run t "$T/a.sock" "$T/b.sock" -- --tx "0:$T/in.pcap" --rx 1 --expect 40 --timeout 30 ||
    fail "traffic did not pass"
wait_until "the 7 TCP packets counted" 10 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json stats | jq '.drops[\"no-match\"]')\" = 7 ]"

tel() { echo "$1" | python3 /usr/bin/dpdk-telemetry.py -f "qvt$$" 2>/dev/null | tail -n 1; }
check_contains "telemetry lists our commands" "/qv/ports" "$(tel /)"
check_eq "/qv/ports a rx" 47 "$(tel /qv/ports | jq '."/qv/ports".a.rx_packets')"
check_eq "/qv/ports b tx" 40 "$(tel /qv/ports | jq '."/qv/ports".b.tx_packets')"
check_eq "/qv/ports a no-match drops" 7 "$(tel /qv/ports | jq '."/qv/ports".a.drops_no_match')"
check_eq "/qv/drops" 7 "$(tel /qv/drops | jq '."/qv/drops".no_match')"
check_eq "/qv/flows hits" 40 "$(tel /qv/flows | jq '."/qv/flows".id1.hits')"
check_eq "/qv/pmds packets" 47 "$(tel /qv/pmds | jq '."/qv/pmds" | to_entries[0].value.packets')"

# /qv/xstats: the extended counters of ethdev-backed ports, by port name (vhost has none); they
# are left out of /qv/ports, where a NIC's hundreds would crowd out the port's own fields
$MKPCAP "$T/replay.pcap" count=25,proto=udp >/dev/null
qvctl port add pc dpdk "net_pcap0,rx_pcap=$T/replay.pcap" >/dev/null
wait_until "the 25 replayed frames received" 20 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"pc\") | .rx_packets')\" = 25 ]"
xs=$(tel /qv/xstats)
check_eq "/qv/xstats pc rx_good_packets" 25 "$(echo "$xs" | jq '."/qv/xstats".pc.rx_good_packets')"
check_eq "... as show port says" "$(port_field pc 'xstats.rx_good_packets')" "$(echo "$xs" | jq '."/qv/xstats".pc.rx_good_packets')"
check_eq "... with the driver's names (per queue too)" 25 "$(echo "$xs" | jq '."/qv/xstats".pc.rx_q0_packets')"
check_eq "no xstats for a vhost port" null "$(echo "$xs" | jq '."/qv/xstats".a')"
check_eq "/qv/xstats,pc: one port's" 25 "$(tel /qv/xstats,pc | jq '."/qv/xstats".rx_good_packets')"
check_eq "/qv/xstats,a: a port without them is an error" null "$(tel /qv/xstats,a | jq '."/qv/xstats"')"
check_eq "/qv/ports leaves them out" "[]" "$(tel /qv/ports | jq -c '[."/qv/ports".pc | keys[] | select(startswith("xstats"))]')"
