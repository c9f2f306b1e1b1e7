#!/bin/bash
# Rules replaced, added and deleted under traffic lose no packet: the peer keeps a bounded
# window in flight (so nothing overflows a ring) while the table is republished again and
# again; every packet sent must arrive, and the switch must count no drop at all.
. "$(dirname "$0")/lib.sh"

N=600000
switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
prev=$(qjson flow add 'in=a actions=output:b' | jq .id)

peer_bg gen "$T/a.sock" "$T/b.sock" -- --gen 0:64:1000 --count $N --rate 100000 --window 256 --rx 1 \
    --expect $N --timeout 120 --json "$T/gen.json"
wait_until "traffic flowing" 30 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"b\") | .tx_packets')\" -gt 1000 ]"

# replace the forwarding rule by an equivalent one of another priority, then delete the old
# one (at every instant exactly one live table forwards a -> b), plus an unrelated rule added
# and removed, for as long as the traffic runs
updates=$(python3 "$(dirname "$0")/rule_churn.py" "$T/sw.sock" "$prev" "$PEER_PID") ||
    fail "rule updates failed: $updates"
wait "$PEER_PID" || fail "peer did not receive all $N packets (see peer-gen.log)"
[ "$updates" -ge 20 ] || fail "only $updates table updates happened under traffic"
pass "$updates rule replacements under traffic"
check_eq "packets received by the peer" $N "$(jq .rx "$T/gen.json")"
check_eq "window releases (packets given up as lost)" 0 "$(jq .window_released "$T/gen.json")"
check_eq "switch drops, all reasons" 0 "$(qjson stats | jq '[.drops[]] | add')"
check_eq "b tx_packets" $N "$(port_field b tx_packets)"
