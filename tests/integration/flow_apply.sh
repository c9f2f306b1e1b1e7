#!/bin/bash
# Flow transactions (flow.apply, qvctl flow add-file / replace-file): many changes checked as a
# whole and applied at once; one bad change (through qvctl or raw JSON-RPC) changes nothing and
# the error names its index (or FILE:LINE); the --max-rules limit is refused cleanly.
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

switch_start --max-rules 100
qvctl port add a vhost "$T/a.sock" >/dev/null
qvctl port add b vhost "$T/b.sock" >/dev/null
# the whole table (ids and texts), as a digest to keep the log short
flows() { qjson show flows | jq -c '[.flows[] | {id, text}]' | md5sum | cut -c1-12; }
n_flows() { qjson show flows | jq '.flows | length'; }
raw() { printf '%s\n' "$1" | python3 "$here/rpc_raw.py" "$T/sw.sock"; }
apply() { raw "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"flow.apply\",\"params\":$1}"; }

# a file of 60 rules (comments and blank lines skipped) is one transaction
{
    echo "# web servers"
    for i in $(seq 1 60); do echo "in=a,proto=tcp,ip-dst=10.0.$((i / 250)).$((i % 250))/32,dst-port=80 actions=output:b"; done
    echo ""
} >"$T/good.rules"
out=$(qvctl flow add-file "$T/good.rules")
check_contains "add-file reports one transaction" "60 flow(s) added, 0 deleted, in one transaction" "$out"
check_eq "rules in force after add-file" 60 "$(n_flows)"
check_eq "ids are consecutive, in file order" "1 60" "$(qjson show flows | jq -r '"\(.flows[0].id) \(.flows[59].id)"')"
first4=$(qjson show flows | jq -r '.flows[0:4][].text')
before=$(flows)

# one bad rule in a file: nothing applied, FILE:LINE named
{ echo "in=a,proto=udp actions=output:b"; echo "in=a,proto=udp,dst-port=53 actions=output:b"; echo "in=nope actions=output:b"; } >"$T/bad.rules"
rc=0; out=$(qvctl flow add-file "$T/bad.rules" 2>&1) || rc=$?
check_eq "add-file with a bad rule: exit status" 1 "$rc"
check_contains "add-file names FILE:LINE" "$T/bad.rules:3: add[2]: column 4: unknown port 'nope'" "$out"
check_contains "add-file says nothing was applied" "nothing was applied" "$out"
check_eq "add-file with a bad rule changed nothing" "$before" "$(flows)"
rc=0; out=$(qvctl flow replace-file "$T/bad.rules" 2>&1) || rc=$?
check_eq "replace-file with a bad rule: exit status" 1 "$rc"
check_eq "replace-file with a bad rule changed nothing" "$before" "$(flows)"

# raw JSON-RPC: the error names the index of the bad change, and nothing changes
expect_apply_error() { # WHAT PARAMS CODE WORDS
    local out
    out=$(apply "$2")
    check_eq "$1: error code" "$3" "$(echo "$out" | jq -r '.error.code')"
    check_contains "$1: message" "$4" "$(echo "$out" | jq -r '.error.message')"
    check_eq "$1: nothing changed" "$before" "$(flows)"
}
expect_apply_error "bad rule at index 2" '{"add":["in=a actions=output:b","in=b actions=drop","in=a,vlan=5000 actions=drop"],"del":[1]}' -32602 "add[2]: "
expect_apply_error "rule not a string" '{"add":["in=a actions=output:b",7]}' -32602 "add[1]: must be a rule"
expect_apply_error "unknown id" '{"add":["in=a actions=output:b"],"del":[2,3,999]}' -32000 "del[2]: no flow with id 999"
expect_apply_error "id deleted twice" '{"del":[4,5,4]}' -32000 "del[2]: flow 4 is deleted twice"
expect_apply_error "add not an array" '{"add":"in=a actions=drop"}' -32602 "'add' must be an array"
expect_apply_error "replace with deletions" '{"replace":true,"del":[1]}' -32000 "takes no deletions"

# adds and deletes in one transaction: ids of the adds follow in order
res=$(apply '{"add":["in=a,proto=udp actions=output:b","in=b actions=drop"],"del":[1,2]}')
check_eq "apply: added deleted first_id rules" "2 2 61 60" "$(echo "$res" | jq -r '.result | "\(.added) \(.deleted) \(.first_id) \(.rules)"')"
check_eq "a small transaction is published as a delta" true "$(echo "$res" | jq -r .result.incremental)"
check_eq "deleted rules are gone" 0 "$(qjson show flows | jq '[.flows[] | select(.id == 1 or .id == 2)] | length')"
check_eq "added rules are there, last" "61 62" "$(qjson show flows | jq -r '"\(.flows[-2].id) \(.flows[-1].id)"')"
before=$(flows)

# a transaction staged over requests: nothing is in force before the commit; an error in a
# later request gives the whole transaction up
txn=$(apply '{"add":["in=a,proto=icmp actions=output:b"],"commit":false}' | jq .result.txn)
check_eq "staged, not committed: nothing changed" "$before" "$(flows)"
out=$(apply "{\"txn\":$txn,\"add\":[\"in=a,proto=sctp actions=output:b\",\"in=a,ip-dst=10.1.2.3/8 actions=drop\"]}")
check_contains "error in a later request names its index in the transaction" "add[2]: " "$(echo "$out" | jq -r .error.message)"
check_eq "failed staged transaction changed nothing" "$before" "$(flows)"
check_contains "a failed transaction is given up" "no open flow transaction $txn" \
    "$(apply "{\"txn\":$txn,\"commit\":true}" | jq -r .error.message)"
txn=$(apply '{"add":["in=a,proto=icmp actions=output:b"],"commit":false}' | jq .result.txn)
apply "{\"txn\":$txn,\"add\":[\"in=a,proto=sctp actions=output:b\"],\"del\":[3],\"commit\":false}" >/dev/null
res=$(apply "{\"txn\":$txn}")
check_eq "staged transaction committed at once" "2 1 61" "$(echo "$res" | jq -r '.result | "\(.added) \(.deleted) \(.rules)"')"

# the limit: --max-rules 100 holds 61 now
for i in $(seq 1 40); do echo "in=b,proto=udp,dst-port=$i actions=drop"; done >"$T/more.rules"
before=$(flows)
rc=0; out=$(qvctl flow add-file "$T/more.rules" 2>&1) || rc=$?
check_eq "over the limit: exit status" 1 "$rc"
check_contains "over the limit: the limit is named" "at most 100 rules (qv-switchd --max-rules) and this transaction would make 101" "$out"
check_eq "over the limit: nothing changed" "$before" "$(flows)"
head -n 39 "$T/more.rules" >"$T/fill.rules"
qvctl flow add-file "$T/fill.rules" >/dev/null
check_eq "up to the limit" 100 "$(n_flows)"
rc=0; out=$(qvctl flow add 'in=b actions=drop' 2>&1) || rc=$?
check_eq "one more rule at the limit: exit status" 1 "$rc"
check_contains "one more rule at the limit: refused" "at most 100 rules" "$out"
check_eq "the limit is in flow.summary" 100 "$(qvctl call flow.summary | jq .max_rules)"

# replace-file: the table becomes the file, in one transaction
head -n 5 "$T/good.rules" >"$T/five.rules"
out=$(qvctl flow replace-file "$T/five.rules")
check_contains "replace-file reports it" "4 flow(s) added, 100 deleted" "$out"
check_eq "the table is the file" "$first4" "$(qjson show flows | jq -r '.flows[].text')"
summary=$(qvctl show flows --summary)
check_contains "show flows --summary: rules" "rules in force   4 (limit 100" "$summary"
check_contains "show flows --summary: rte_acl part" "rte_acl part" "$summary"
check_contains "flow add-file --help" "one transaction" "$(qvctl flow add-file --help)"
