#!/bin/bash
# Running qwikvirt as a service, from the build tree: the systemd units pass systemd-analyze
# verify (with no warning at all), the daemons tell systemd they are ready (sd_notify READY=1,
# path and abstract sockets) once their socket answers, qv-controld's --domain-type auto falls
# back to qemu with a warning when the KVM device does not work (QV_KVM_DEVICE seam), the man
# pages say what --help says, and qvctl's bash completion completes commands, ports and VMs.
. "$QV_SRC/tests/integration/lib.sh"

UNITS=$QV_BUILD/contrib
for tool in systemd-analyze python3 jq; do
    command -v $tool >/dev/null || fail "$tool missing: run scripts/setup-host.sh"
done

# ---- systemd units ----------------------------------------------------------------------------
# verify needs the ExecStart binaries: point the units at the build tree's
mkdir -p "$T/units"
sed -E "s|^ExecStart=[^ ]*/|ExecStart=$QV_BUILD/dataplane/|" "$UNITS/qv-switchd.service" \
    >"$T/units/qv-switchd.service"
sed -E "s|^ExecStart=[^ ]*/|ExecStart=$QV_BUILD/control/controld/|" "$UNITS/qv-controld.service" \
    >"$T/units/qv-controld.service"
sed -E "s|^ExecStart=[^ ]*/|ExecStart=$QV_BUILD/control/exporter/|" "$UNITS/qv-exporter.service" \
    >"$T/units/qv-exporter.service"
# systemd-analyze verify exits 0 on unknown keys and bad values: any output is a failure
verify() { systemd-analyze verify --man=no "$@" 2>&1; }
out=$(verify "$T/units/qv-switchd.service" "$T/units/qv-controld.service" \
    "$T/units/qv-exporter.service") || fail "systemd-analyze verify: $out"
check_eq "systemd-analyze verify: the three units, no warning" "" "$out"
for want in Restart=on-failure SupplementaryGroups=qwikvirt DynamicUser=yes \
    'ExecStart=.*/qv-exporter $QV_EXPORTER_OPTS'; do
    grep -qx -- "$want" "$T/units/qv-exporter.service" || fail "qv-exporter.service lacks $want"
done
pass "qv-exporter.service: restart on failure, no privilege but the qwikvirt group"
sed 's/^Type=notify/Type=notfy/' "$T/units/qv-switchd.service" >"$T/units/qv-broken.service"
out=$(verify "$T/units/qv-broken.service" || true)
check_contains "verify would catch a broken unit" "Failed to parse service type" "$out"
for u in qv-switchd qv-controld; do
    f=$T/units/$u.service
    for want in Type=notify Restart=on-failure RuntimeDirectory=qwikvirt \
        RuntimeDirectoryPreserve=yes StateDirectory=qwikvirt Group=qwikvirt; do
        grep -qx "$want" "$f" || fail "$u.service lacks $want"
    done
    pass "$u.service: notify, restart on failure, /run/qwikvirt kept, /var/lib/qwikvirt"
done
grep -qx "Wants=qv-switchd.service" "$T/units/qv-controld.service" &&
    grep -qE "^After=.*qv-switchd.service" "$T/units/qv-controld.service" ||
    fail "qv-controld.service must want and follow qv-switchd.service"
pass "qv-controld.service: Wants= and After= qv-switchd.service"

# ---- sd_notify readiness ----------------------------------------------------------------------
# notify_listen NAME SOCKET: a datagram socket that writes the first message to $T/NAME.notify
notify_listen() {
    python3 - "$2" "$T/$1.notify" <<'PY' &
import socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + path[1:] if path.startswith("@") else path)
open(out + ".bound", "w").close()
s.settimeout(120)
data = s.recv(4096)
with open(out, "wb") as f:
    f.write(data)
PY
    PIDS+=($!)
    wait_until "notify socket $2 bound" 10 test -e "$T/$1.notify.bound"
}
notify_listen switchd "$T/notify-sw.sock"
NOTIFY_SOCKET=$T/notify-sw.sock switch_start
wait_until "qv-switchd's READY=1" 30 grep -q "READY=1" "$T/switchd.notify"
check_eq "qv-switchd notified READY=1" "READY=1" "$(cat "$T/switchd.notify")"
qvctl show ports >/dev/null || fail "qv-switchd said READY but its socket does not answer"
pass "qv-switchd: the socket answers once READY"

notify_listen controld "@qvtest-notify-$$"
NOTIFY_SOCKET=@qvtest-notify-$$ controld_start
wait_until "qv-controld's READY=1" 30 grep -q "READY=1" "$T/controld.notify"
check_eq "qv-controld notified READY=1 (abstract socket)" "READY=1" "$(cat "$T/controld.notify")"
qvc show controld >/dev/null || fail "qv-controld said READY but its socket does not answer"
pass "qv-controld: the socket answers once READY"
stop_pid "$CONTROLD_PID"

# ---- KVM detection: --domain-type auto (the default) ------------------------------------------
kvm_log() { # kvm_log NAME DEVICE [options]: qv-controld with VMs on, until ready; its log
    local name=$1 dev=$2 pid i
    shift 2
    QV_KVM_DEVICE=$dev "$CONTROLD_BIN" --socket "$T/kvm-$name.sock" --switch "$T/sw.sock" \
        --state-dir "$T/kvm-$name" --interval 60000 "$@" >"$T/kvm-$name.log" 2>&1 &
    pid=$!
    PIDS+=($pid)
    for ((i = 0; i < 400; i++)); do
        grep -q 'qv-controld: ready' "$T/kvm-$name.log" && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.05
    done
    stop_pid $pid
    cat "$T/kvm-$name.log"
}
out=$(kvm_log missing "$T/no-kvm")
check_contains "no KVM device: qemu, with a warning" "qv-controld: warning: VMs: domain type qemu (software emulation, slow): cannot open $T/no-kvm: No such file or directory" "$out"
out=$(kvm_log null /dev/null)
check_contains "a device that is not KVM: qemu" "domain type qemu (software emulation, slow): /dev/null does not answer as KVM" "$out"
if [ -d /sys/module/kvm_pvm ] && [ -c /dev/kvm ]; then
    out=$(kvm_log pvm /dev/kvm)
    check_contains "PVM's /dev/kvm: qemu" "/dev/kvm opens, but KVM is PVM (module kvm_pvm)" "$out"
fi
out=$(kvm_log forced "$T/no-kvm" --domain-type qemu)
case $out in *"domain type"*) fail "--domain-type qemu should not probe: $out" ;; esac
pass "--domain-type qemu: no probe, no warning"
rc=0
"$CONTROLD_BIN" --domain-type fast >"$T/bad-type.log" 2>&1 || rc=$?
check_eq "--domain-type fast: usage error" 2 "$rc"
check_contains "--domain-type names the choices" "expected auto, qemu or kvm" "$(cat "$T/bad-type.log")"

# ---- man pages: generated from --help and configs/README.md ----------------------------------
roff_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(aq/'"'"'/g' "$1"; }
for m in dataplane/qv-switchd:8 control/controld/qv-controld:8 control/qvctl/qvctl:8 \
    bench/qv-bench:1 control/exporter/qv-exporter:8; do
    prog=$QV_BUILD/${m%:*} page=$UNITS/$(basename "${m%:*}").${m#*:}
    [ -s "$page" ] || fail "$page not built: help2man missing? (scripts/setup-host.sh, then meson setup --reconfigure)"
    text=$(roff_text "$page")
    for o in $("$prog" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
        grep -qF -- "$o" <<<"$text" || fail "$(basename "$page") lacks $o of --help"
    done
    warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    check_eq "$(basename "$page"): every --help option, renders without warning" "" "$warn"
done
text=$(roff_text "$UNITS/qvctl.8")
for c in "qvctl port add" "qvctl check" "qvctl vm clone" "qvctl capture start"; do
    grep -qF "$c" <<<"$text" || fail "qvctl.8 lacks the help of '$c'"
done
pass "qvctl.8: every command's help"
page=$UNITS/qwikvirt.yaml.5
[ -s "$page" ] || fail "$page not built: pandoc missing? (scripts/setup-host.sh, then meson setup --reconfigure)"
text=$(roff_text "$page")
keys=$(grep -oE '^\| `[a-z-]+`' "$QV_SRC/configs/README.md" | grep -oE '[a-z-]+' | sort -u)
[ "$(wc -w <<<"$keys")" -gt 20 ] || fail "found too few keys in configs/README.md: $keys"
for k in $keys; do grep -qF -- "$k" <<<"$text" || fail "qwikvirt.yaml.5 lacks key '$k'"; done
grep -qF "FILE:LINE:COLUMN" <<<"$text" || fail "qwikvirt.yaml.5 lacks the errors section"
warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
check_eq "qwikvirt.yaml.5: every key of configs/README.md, renders without warning" "" "$warn"

# ---- bash completion --------------------------------------------------------------------------
COMP=$QV_SRC/contrib/bash-completion/qvctl
bash -n "$COMP" || fail "bash -n $COMP"
pass "bash -n on the completion"
# complete WORDS... : what bash would offer for the last word (empty for a new one)
complete_words() {
    bash -c '. "$1"; shift; [ -z "${COMP_PATH:-}" ] || PATH=$COMP_PATH
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _qvctl;
        [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$@" | sort | tr '\n' ' '
}
check_contains "commands" "apply call capture check flow help port show stats trace vm" \
    "$(complete_words "$QVCTL_BIN" "")"
check_eq "show's views" "chains controld drops flows l2 placement pmd ports " \
    "$(complete_words "$QVCTL_BIN" show "")"
check_eq "a command by its first letter" "vm " "$(complete_words "$QVCTL_BIN" v)"
check_contains "help: the commands" "apply call capture check flow port show stats trace vm" \
    "$(complete_words "$QVCTL_BIN" help "")"
check_eq "help COMMAND: its words" "add del set " "$(complete_words "$QVCTL_BIN" help port "")"
qvctl port add web1 vhost "$T/web1.sock" >/dev/null
qvctl port add web2 vhost "$T/web2.sock" >/dev/null
check_eq "port names from the running switch" "web1 web2 " \
    "$(complete_words "$QVCTL_BIN" --switch "$T/sw.sock" port del "")"
check_eq "port names for trace" "web2 " \
    "$(complete_words "$QVCTL_BIN" --switch "$T/sw.sock" trace web2)"
check_eq "no switch: no port names, no error" "" \
    "$(complete_words "$QVCTL_BIN" --switch "$T/none.sock" port del "")"
# VM names as qv-controld lists them, from a stand-in qvctl (no VMs here); with jq and without
mkdir -p "$T/bin"
cat >"$T/bin/qvctl" <<'SH'
#!/bin/sh
case "$*" in
*"vm list"*) printf '{\n  "vms": [\n    {\n      "name": "qv-fw-0",\n      "state": "running",\n      "ports": [\n        {\n          "name": "fw-0-in"\n        }\n      ]\n    },\n    {\n      "name": "qv-fw-1"\n    }\n  ],\n  "uri": "qemu:///system"\n}\n' ;;
*) exit 1 ;;
esac
SH
chmod +x "$T/bin/qvctl"
check_eq "VM names from qv-controld" "qv-fw-0 qv-fw-1 " \
    "$(complete_words "$T/bin/qvctl" vm start "")"
ln -s "$(command -v awk)" "$T/bin/awk"
check_eq "VM names without jq" "qv-fw-0 qv-fw-1 " \
    "$(COMP_PATH=$T/bin complete_words "$T/bin/qvctl" vm console qv-)"
mkdir -p "$T/files" && touch "$T/files/a.yaml" "$T/files/b.txt"
check_eq "check completes YAML files" "a.yaml " \
    "$(cd "$T/files" && complete_words "$QVCTL_BIN" check "")"

# ---- qv-exporter's completion: its --help's options, the default address, 'none' ------------
XCOMP=$QV_SRC/contrib/bash-completion/qv-exporter
bash -n "$XCOMP" || fail "bash -n $XCOMP"
xcomplete() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _qv_exporter
        [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' _ "$XCOMP" "$@" |
        sort | tr '\n' ' '
}
check_eq "qv-exporter: the options of its --help" \
    "$("$QV_BUILD/control/exporter/qv-exporter" --help | sed -n '/^Options:/,/^$/p' |
        grep -oE -- '--[a-z]+' | sort -u | tr '\n' ' ')" \
    "$(xcomplete qv-exporter --)"
check_contains "qv-exporter --listen: the default" "127.0.0.1:9482" "$(xcomplete qv-exporter --listen "")"
check_contains "qv-exporter --controld: none" "none" "$(xcomplete qv-exporter --controld n)"
