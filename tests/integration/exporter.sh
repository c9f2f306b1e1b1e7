#!/bin/bash
# qv-exporter: /metrics passes `promtool check metrics`, port counters move between two scrapes
# while traffic flows, every drop reason is a series, qv_up says 1 with the switch and 0 once
# it is stopped (the exporter still answers); per chain series once qv-controld answers; only
# GET/HEAD on /metrics, 404 elsewhere.
. "$(dirname "$0")/lib.sh"

EXPORTER_BIN=$QV_BUILD/control/exporter/qv-exporter
command -v promtool >/dev/null ||
    fail "promtool missing: apt-get install -y prometheus (scripts/setup-host.sh installs it)"
command -v curl >/dev/null || fail "curl missing: apt-get install -y curl"

scrape() { curl -sS --fail --max-time 20 "http://$ADDR/metrics"; }
# value FILE SERIES -> the value of the exact series (name{labels}) in a scrape, or nothing
value() { awk -v s="$2" '$1 == s {print $2}' "$1"; }
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$@"; }

switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
qvctl flow add 'in=a,proto=udp actions=output:b' >/dev/null

# a -> b forwarded by the rule; b -> a has no rule: no-match drops on b
peer_bg flow "$T/a.sock" "$T/b.sock" -- --gen 0:64:16 --gen 1:64:4 --duration 0 --rate 20000 \
    --rx 1 --timeout 120
wait_until "traffic through the switch" 60 bash -c \
    "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"b\") | .tx_packets')\" -gt 100 ]"

# a generous timeout: the daemons answer slowly under the sanitizers, busy reconciling
"$EXPORTER_BIN" --listen 127.0.0.1:0 --switch "$T/sw.sock" --controld "$T/cd.sock" \
    --timeout 10000 >"$T/exporter.log" 2>&1 &
EXPORTER_PID=$!
PIDS+=("$EXPORTER_PID")
wait_until "qv-exporter ready" 20 grep -q 'qv-exporter: ready' "$T/exporter.log"
ADDR=$(sed -n 's|.*listening on http://\([^/]*\)/metrics.*|\1|p' "$T/exporter.log")
check_contains "listens on loopback, on the port the kernel gave" "127.0.0.1:" "$ADDR"

scrape >"$T/s1.txt" || fail "first scrape failed"
promtool check metrics <"$T/s1.txt" >"$T/promtool1.log" 2>&1 ||
    fail "promtool check metrics: $(cat "$T/promtool1.log")"
pass "promtool check metrics passes on a scrape with traffic"
check_eq "qv_up switchd" 1 "$(value "$T/s1.txt" 'qv_up{daemon="switchd"}')"
check_eq "qv_up controld (not running)" 0 "$(value "$T/s1.txt" 'qv_up{daemon="controld"}')"
rx1=$(value "$T/s1.txt" 'qv_port_rx_packets_total{port="a"}')
[ -n "$rx1" ] || fail "no qv_port_rx_packets_total for port a in: $(grep qv_port_rx "$T/s1.txt")"

# the second scrape once the switch has counted more than the first one saw
wait_until "port a rx beyond $rx1" 30 bash -c \
    "[ \"\$($QVCTL_BIN --switch $T/sw.sock --json show ports | jq '.ports[] | select(.name==\"a\") | .rx_packets')\" -gt $rx1 ]"
scrape >"$T/s2.txt" || fail "second scrape failed"
promtool check metrics <"$T/s2.txt" >"$T/promtool2.log" 2>&1 ||
    fail "promtool check metrics (2nd scrape): $(cat "$T/promtool2.log")"
rx2=$(value "$T/s2.txt" 'qv_port_rx_packets_total{port="a"}')
[ "$rx2" -gt "$rx1" ] || fail "qv_port_rx_packets_total{port=\"a\"} did not move: $rx1 then $rx2"
pass "port a rx counter moved between scrapes ($rx1 -> $rx2)"
b1=$(value "$T/s1.txt" 'qv_port_rx_bytes_total{port="b"}')
b2=$(value "$T/s2.txt" 'qv_port_rx_bytes_total{port="b"}')
[ "$b2" -gt "$b1" ] || fail "qv_port_rx_bytes_total{port=\"b\"} did not move: $b1 then $b2"
pass "port b rx bytes moved between scrapes ($b1 -> $b2)"
[ "$(value "$T/s2.txt" 'qv_port_tx_packets_total{port="b"}')" -gt 0 ] ||
    fail "no packets counted out of b"
pass "port b tx counted"

# every reason the switch knows is a series, per port and switch-wide
reasons=$(qjson stats | jq -r '.drops | keys[]')
[ "$(wc -w <<<"$reasons")" -ge 7 ] || fail "the switch lists too few drop reasons: $reasons"
for r in $reasons; do
    for p in a b; do
        [ -n "$(value "$T/s2.txt" "qv_port_drops_total{port=\"$p\",reason=\"$r\"}")" ] ||
            fail "no series qv_port_drops_total{port=\"$p\",reason=\"$r\"}"
    done
    [ -n "$(value "$T/s2.txt" "qv_drops_total{reason=\"$r\"}")" ] ||
        fail "no series qv_drops_total{reason=\"$r\"}"
done
pass "every drop reason ($(echo $reasons)) is a series for each port and switch-wide"
[ "$(value "$T/s2.txt" 'qv_port_drops_total{port="b",reason="no-match"}')" -gt 0 ] ||
    fail "b's unmatched packets not counted as no-match drops"
pass "no-match drops on b counted"
check_eq "rule hits series" 1 "$(grep -c '^qv_rule_hits_total{id="1",rule="in=a' "$T/s2.txt")"
[ -n "$(grep '^qv_pmd_busy_cycles_total{core="' "$T/s2.txt")" ] || fail "no PMD busy cycles"
[ -n "$(grep '^qv_pmd_cycles_per_packet{core="' "$T/s2.txt")" ] || fail "no PMD cycles per packet"
pass "PMD cycles exported"

# the HTTP side: HEAD works, other paths 404, other methods 405, big requests 431
check_eq "HEAD /metrics" 200 "$(http_code -I "http://$ADDR/metrics")"
check_eq "GET /other" 404 "$(http_code "http://$ADDR/other")"
check_eq "GET /../etc/passwd (no files)" 404 "$(http_code --path-as-is "http://$ADDR/../etc/passwd")"
check_eq "POST /metrics" 405 "$(http_code -X POST -d x "http://$ADDR/metrics")"
check_eq "oversized request" 431 "$(http_code -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' x)" "http://$ADDR/metrics")"

# a client that never finishes its request is cut off (408) and the next scrape is served
python3 - "$ADDR" >"$T/idle.txt" 2>&1 <<'PY' &
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.settimeout(60)
s.sendall(b"GET /metr")  # and nothing more
print(s.recv(200).decode().split("\r\n")[0])
PY
IDLE_PID=$!
PIDS+=("$IDLE_PID")
scrape >/dev/null || fail "scrape while another client holds a half-sent request"
wait "$IDLE_PID" || fail "the idle client failed: $(cat "$T/idle.txt")"
check_eq "a request that never finishes" "HTTP/1.1 408 Request Timeout" "$(cat "$T/idle.txt")"

# qv-controld answers: per chain series, and qv_up{daemon="controld"} 1
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
  - name: "web"
    from: uplink
    match: {proto: udp, dst-port: 80}
    hops: [fw]
    to: lan
    bidirectional: true
Y
qvc apply "$T/svc.yaml" >/dev/null
controld_up() { scrape >"$T/s4.txt" && [ "$(value "$T/s4.txt" 'qv_up{daemon="controld"}')" = 1 ]; }
wait_until "qv_up{daemon=\"controld\"} 1 (see exporter.log)" 60 controld_up
promtool check metrics <"$T/s4.txt" >"$T/promtool4.log" 2>&1 ||
    fail "promtool check metrics (with qv-controld): $(cat "$T/promtool4.log")"
check_eq "qv_up controld" 1 "$(value "$T/s4.txt" 'qv_up{daemon="controld"}')"
check_eq "qv_chain_rules = qvctl show chains' rules" \
    "$(qvc --json show chains | jq '.chains[] | select(.name == "web") | .rules | length')" \
    "$(value "$T/s4.txt" 'qv_chain_rules{chain="web"}')"
check_eq "chain hits series" 1 "$(grep -c '^qv_chain_hits_total{chain="web"} ' "$T/s4.txt")"
[ -n "$(value "$T/s4.txt" 'qv_chain_port_up{chain="web",hop="uplink",port="uplink"}')" ] ||
    fail "no qv_chain_port_up for the chain's ingress: $(grep qv_chain_port_up "$T/s4.txt")"
pass "qv_chain_port_up per port on the chain's path"

# the switch goes away: the exporter still answers, with qv_up 0 and no switch series
switch_stop
stop_pid "$PEER_PID"
scrape >"$T/s3.txt" || fail "scrape with the switch stopped failed (the exporter should answer)"
promtool check metrics <"$T/s3.txt" >"$T/promtool3.log" 2>&1 ||
    fail "promtool check metrics (switch stopped): $(cat "$T/promtool3.log")"
check_eq "qv_up switchd after the switch stopped" 0 "$(value "$T/s3.txt" 'qv_up{daemon="switchd"}')"
check_eq "no port series without the switch" 0 "$(grep -c '^qv_port_' "$T/s3.txt" || true)"
check_contains "the exporter logs why" "does not answer" "$(cat "$T/exporter.log")"

# the exporter stops cleanly
stop_pid "$EXPORTER_PID"
st=0
wait "$EXPORTER_PID" 2>/dev/null || st=$?
check_eq "qv-exporter exit status on SIGTERM" 0 "$st"
