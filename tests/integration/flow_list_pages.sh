#!/bin/bash
# flow.list in pages (offset, limit, total, next_offset) and `qvctl show flows` paging through
# it: a table of 100,000 rules (tens of MB as one answer) is shown whole (every id once, in
# order), as a table and as JSON; bad paging parameters are refused, naming the parameter.
. "$(dirname "$0")/lib.sh"
# this machine is loaded: a port change waits for the PMD's grace periods, give it time
qvctl() { "$QVCTL_BIN" --switch "$T/sw.sock" --timeout 60000 "$@"; }
here=$(dirname "$0")
N=100000

switch_start
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
raw() { printf '%s\n' "$1" | python3 "$here/rpc_raw.py" "$T/sw.sock"; }
list() { raw "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"flow.list\",\"params\":$1}"; }

awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) printf "in=a,vlan=100,proto=tcp,ip-src=192.168.0.0/16,ip-dst=10.%d.%d.%d/32,dst-port=8000-8080 actions=pop-vlan,push-vlan:200,output:b\n", int(i / 65536), int(i / 256) % 256, i % 256 }' >"$T/many.rules"
qvctl flow add-file "$T/many.rules" >/dev/null
check_eq "rules in force" $N "$(qjson show flows --summary | jq '.rules')"

# the pages
p=$(list '{"offset":0,"limit":4000}')
check_eq "first page: 4000 rules, total, next offset" "4000 $N 4000 1" \
    "$(jq -r '.result | "\(.flows | length) \(.total) \(.next_offset) \(.flows[0].id)"' <<<"$p")"
p=$(list "{\"offset\":$((N - 1500)),\"limit\":4000}")
check_eq "last page: the rest, no next offset" "1500 null $N" \
    "$(jq -r '.result | "\(.flows | length) \(.next_offset) \(.flows[-1].id)"' <<<"$p")"
check_eq "past the end: empty" "0 null" \
    "$(list "{\"offset\":$((N + 5))}" | jq -r '.result | "\(.flows | length) \(.next_offset)"')"
check_contains "limit over a page is refused, naming it" "limit" \
    "$(list '{"limit":4001}' | jq -r '.error.message')"
check_contains "a negative offset is refused, naming it" "offset" \
    "$(list '{"offset":-1}' | jq -r '.error.message')"

# qvctl pages through it all
qjson show flows >"$T/all.json" || fail "qvctl --json show flows failed at $N rules"
check_eq "show flows --json: every rule once, in id order" "$N $N 1 $N true" \
    "$(jq -r '.flows | "\(length) \(map(.id) | unique | length) \(.[0].id) \(.[-1].id) \(. == sort_by(.id))"' "$T/all.json")"
check_eq "show flows --json: total" $N "$(jq '.total' "$T/all.json")"
check_eq "show flows: a row per rule and the header" $((N + 1)) "$(qvctl show flows | wc -l)"

# a port change at this size re-resolves only the rules naming the port (a figure, logged)
summary() { qjson show flows --summary; }
# wait_build: no background build running, the last one folded in or refused (last_error):
# the switch stops only once a build ends
wait_build() {
    local end=$((SECONDS + 400))
    until [ "$(summary | jq -r '.rebuild.running == false and (.acl.kind == "rte_acl" or .rebuild.last_error != "")')" = true ]; do
        [ $SECONDS -lt $end ] || fail "the background build of $N rules did not end in 400 s: $(summary | jq -c .rebuild)"
        sleep 1
    done
}
wait_build
folds=$(summary | jq .rebuild.folds)
qvctl port add c vhost "$T/c.sock" >/dev/null
qvctl flow add 'in=c actions=output:b' >/dev/null
t0=$(date +%s%N)
qvctl port del c >/dev/null
t1=$(date +%s%N)
log "port del at $N rules: qvctl $(((t1 - t0) / 1000000)) ms, table update $(summary | jq '.rebuild.last_port_change_s * 1000 | floor') ms (grace period included), rte_acl part: $(summary | jq -r .acl.kind)"
check_eq "the rule on c went inert" true "$(qjson show flows | jq '.flows[-1].inert')"
# the port change leaves work for a background build, started on the control loop's next turn
end=$((SECONDS + 30))
until [ "$(summary | jq --argjson f "$folds" '.rebuild.running or .rebuild.folds > $f')" = true ] ||
    [ $SECONDS -ge $end ]; do sleep 0.2; done
wait_build
switch_stop
