#!/bin/bash
# Captures read back with tshark: rx, tx and both directions (packet count, bytes, interface
# name, direction), a BPF filter picking exactly its packets out of a mixed replay, count and
# size limits, rotation, a capture under full traffic that costs forwarding nothing, files
# complete when the port goes or the switch stops, and every bad request refused unchanged.
. "$(dirname "$0")/lib.sh"

ts() { tshark -r "$1" -T fields -e "${@:2}" 2>/dev/null; }
caps() { qjson capture list | jq -c '[.captures[] | {id, state}]'; }

switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
qvctl flow add 'in=a,proto=udp actions=output:b' >/dev/null
$MKPCAP "$T/mix.pcap" count=20,proto=udp,dst-port=80,size=100 count=7,proto=udp,dst-port=53,size=80 \
    count=5,proto=tcp,dst-port=22 count=3,eth-type=arp >/dev/null

# ---- bad requests: clear errors, nothing starts ----
before=$(caps)
err() { local rc=0 out; out=$(qvctl "$@" 2>&1) || rc=$?; [ $rc = 1 ] || fail "expected exit 1 from: $*"; echo "$out"; }
check_contains "bad filter: libpcap's message" "syntax error" "$(err capture start a --filter 'udp portt 80' --file "$T/x.pcapng")"
check_contains "outside the capture directory" "is outside" "$(err capture start a --file /tmp/x.pcapng)"
check_contains "missing directory" "does not exist" "$(err capture start a --file "$T/nodir/x.pcapng")"
touch "$T/exists.pcapng"
check_contains "existing file" "--force" "$(err capture start a --file "$T/exists.pcapng")"
ln -s "$T/exists.pcapng" "$T/link.pcapng"
check_contains "symlink" "symbolic link" "$(err capture start a --force --file "$T/link.pcapng")"
check_contains "unknown port" "no port named 'zz'" "$(err capture start zz --file "$T/x.pcapng")"
check_contains "rotate needs max-size" "max_size" "$(err capture start a --rotate --file "$T/x.pcapng")"
check_eq "nothing started" "$before" "$(caps)"
[ ! -e "$T/x.pcapng" ] || fail "a refused capture left a file"
pass "no file left by refused captures"

# ---- rx, tx, both, filter, count ----
qvctl capture start a --dir rx --file "$T/a-rx.pcapng" >/dev/null
qvctl capture start b --dir tx --file "$T/b-tx.pcapng" >/dev/null
qvctl capture start a --file "$T/a-both.pcapng" >/dev/null
qvctl capture start a --dir rx --filter 'udp dst port 53' --file "$T/a-dns.pcapng" >/dev/null
qvctl capture start a --dir rx --count 4 --file "$T/a-4.pcapng" >/dev/null
peer_run p1 "$T/a.sock" "$T/b.sock" -- --tx "0:$T/mix.pcap" --rx 1 --expect 27 --timeout 30 ||
    fail "traffic did not pass"
wait_until "all 35 packets counted on a" 10 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[0].rx_packets')\" = 35 ]"
check_eq "the count-limited capture finished by itself" "done count reached" \
    "$(qjson capture list | jq -r '.captures[] | select(.file | endswith("a-4.pcapng")) | "\(.state) \(.end)"')"
for id in $(qjson capture list | jq -r '.captures[] | select(.state == "running") | .id'); do
    qvctl capture stop "$id" >/dev/null
done
check_eq "rx capture: packets" 35 "$(ts "$T/a-rx.pcapng" frame.number | wc -l)"
check_eq "rx capture: bytes" $((20 * 100 + 7 * 80 + 5 * 64 + 3 * 64)) "$(ts "$T/a-rx.pcapng" frame.len | paste -sd+ | bc)"
check_eq "rx capture: interface name" "a" "$(ts "$T/a-rx.pcapng" frame.interface_name | sort -u)"
check_eq "rx capture: direction inbound" "0x00000001" "$(ts "$T/a-rx.pcapng" frame.packet_flags_direction | sort -u)"
check_eq "tx capture on b: the 27 UDP packets" 27 "$(ts "$T/b-tx.pcapng" udp.dstport | wc -l)"
check_eq "tx capture: interface name" "b" "$(ts "$T/b-tx.pcapng" frame.interface_name | sort -u)"
check_eq "tx capture: direction outbound" "0x00000002" "$(ts "$T/b-tx.pcapng" frame.packet_flags_direction | sort -u)"
check_eq "both on a: only rx traffic exists there" 35 "$(ts "$T/a-both.pcapng" frame.number | wc -l)"
check_eq "filter: exactly the 7 DNS packets" "7 53" "$(ts "$T/a-dns.pcapng" udp.dstport | sort | uniq -c | awk '{print $1, $2}')"
check_eq "count 4: four packets" 4 "$(ts "$T/a-4.pcapng" frame.number | wc -l)"
check_eq "file mode 0640" 640 "$(stat -c %a "$T/a-rx.pcapng")"
check_eq "statistics block: received, dropped" "35 0" "$(python3 "$(dirname "$0")/pcapng_stats.py" "$T/a-rx.pcapng")"

# ---- size limit: stop, and rotate ----
qvctl capture start a --dir rx --max-size 4096 --file "$T/small.pcapng" >/dev/null
qvctl capture start a --dir rx --max-size 4096 --rotate --file "$T/rot.pcapng" >/dev/null
peer_run p2 "$T/a.sock" "$T/b.sock" -- --tx "0:$T/mix.pcap" --repeat 4 --rx 1 --expect 108 \
    --timeout 30 || fail "traffic did not pass"
wait_until "size-limited capture ended" 10 bash -c "$QVCTL_BIN --switch $T/sw.sock --json capture list | jq -e '.captures[] | select(.file | endswith(\"small.pcapng\")) | select(.end == \"size limit\")'"
size=$(stat -c %s "$T/small.pcapng")
[ "$size" -le 4096 ] || fail "size-limited file is $size bytes"
pass "size-limited file stopped at $size bytes"
rid=$(qjson capture list | jq -r '.captures[] | select(.file | endswith("rot.pcapng")) | .id')
qvctl capture stop "$rid" >/dev/null
total=0
for f in "$T"/rot.pcapng*; do total=$((total + $(ts "$f" frame.number | wc -l))); done
check_eq "rotation: every packet in one of the files" 140 "$total"
[ -e "$T/rot.pcapng.1" ] || fail "no rotated file rot.pcapng.1"
pass "rotated into $(ls "$T"/rot.pcapng* | wc -l) files"

# ---- under full traffic: forwarding loses nothing, the capture counts its own drops ----
qvctl stats clear >/dev/null
qvctl capture start a --dir rx --file "$T/full.pcapng" >/dev/null
peer_run full "$T/a.sock" "$T/b.sock" -- --gen 0:64:64 --count 500000 --window 256 --rx 1 \
    --expect 500000 --timeout 60 --json "$T/full.json" || fail "forwarding lost packets while capturing"
check_eq "forwarded under capture" 500000 "$(jq .rx "$T/full.json")"
check_eq "switch drops under capture" 0 "$(qjson stats | jq '[.drops[]] | add')"
fid=$(qjson capture list | jq -r '.captures[] | select(.file | endswith("full.pcapng")) | .id')
wait_until "capture thread caught up" 20 bash -c "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json capture list | jq '.captures[] | select(.id == $fid) | .packets + .drops_ring + .drops_nomem')\" = 500000 ]"
pass "capture: written + dropped copies = 500000 ($(qjson capture list | jq -c ".captures[] | select(.id == $fid) | {packets, drops_ring, drops_nomem}"))"
qvctl capture stop "$fid" >/dev/null
check_eq "statistics block counts the copies dropped" \
    "$(qjson capture list | jq -r ".captures[] | select(.id == $fid) | \"\\(.packets + .drops_ring + .drops_nomem) \\(.drops_ring + .drops_nomem)\"")" \
    "$(python3 "$(dirname "$0")/pcapng_stats.py" "$T/full.pcapng")"
check_eq "full capture file has what was written" \
    "$(qjson capture list | jq ".captures[] | select(.id == $fid) | .packets")" \
    "$(python3 "$(dirname "$0")/pcapng_stats.py" --packets "$T/full.pcapng")"

# ---- the port goes away / the switch stops: files are complete ----
qvctl capture start b --file "$T/gone.pcapng" >/dev/null
qvctl capture start a --file "$T/end.pcapng" >/dev/null
qvctl port del b >/dev/null
check_eq "capture ended with its port" "done port removed" \
    "$(qjson capture list | jq -r '.captures[] | select(.file | endswith("gone.pcapng")) | "\(.state) \(.end)"')"
tshark -r "$T/gone.pcapng" >/dev/null 2>&1 || fail "gone.pcapng is not readable"
pass "gone.pcapng readable"
switch_stop
tshark -r "$T/end.pcapng" >/dev/null 2>&1 || fail "end.pcapng is not readable after the switch stopped"
pass "end.pcapng readable after the switch stopped"
