#!/usr/bin/env bash
# qwikvirt: runs the libFuzzer targets of tests/fuzz for a bounded time each (CI: .ci/run), on
# their committed seed corpora; a crash fails the run and its input is kept as a regression case.
#   scripts/fuzz.sh [--seconds N] [--jobs J] [--build DIR] [TARGET...]
# TARGET is a folder name of tests/fuzz/corpus/ (default: all). New inputs the fuzzer finds go to
# a scratch folder, so the committed corpus stays small; a crashing input is copied to
# tests/fuzz/regressions/TARGET/, where the unit test fuzz_TARGET replays it in every build.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=30
jobs=$(nproc)
build=$root/build-fuzz
targets=()
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h | --help) sed -n '2,7p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    for d in "$root"/tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi
for t in "${targets[@]}"; do
    [ -d "$root/tests/fuzz/corpus/$t" ] || {
        echo "fuzz.sh: no target $t (targets are the folders of tests/fuzz/corpus/)" >&2
        exit 2
    }
done

command -v clang >/dev/null || {
    echo "fuzz.sh: clang is missing; run scripts/setup-host.sh (packages clang, libclang-rt-14-dev)" >&2
    exit 1
}
if [ ! -f "$build/build.ninja" ]; then
    # -Dmarch=none: the fuzz build need not be tuned, and its objects then match any CPU.
    log=$(mktemp)
    CC=clang meson setup "$build" "$root" -Dfuzz=true -Dmarch=none >"$log" 2>&1 || {
        cat "$log" >&2
        rm -f "$log"
        echo "fuzz.sh: meson setup of $build failed (log above)" >&2
        exit 1
    }
    rm -f "$log"
fi
# Only the targets and what they link, not the whole tree.
ninja -C "$build" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}") >"$build/fuzz-build.log" 2>&1 || {
    cat "$build/fuzz-build.log" >&2
    echo "fuzz.sh: building the fuzz targets in $build failed (log above)" >&2
    exit 1
}

work=$(mktemp -d /tmp/qv-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Runs one target; its log is $work/TARGET.log, its crash artifacts in $work/TARGET.art/.
run_one() {
    local t=$1 corpus=$root/tests/fuzz/corpus/$1 regress=$root/tests/fuzz/regressions/$1
    mkdir -p "$work/$t.new" "$work/$t.art"
    local dirs=("$work/$t.new" "$corpus")
    [ -d "$regress" ] && dirs+=("$regress")
    # The first folder takes what the fuzzer finds; the others are only read.
    # -max_len: room for the rpc_stream and yaml seeds, which are the longest.
    local rc=0
    # Sockets and state folders of the targets go under TMPDIR, removed with $work even
    # when a crash leaves them behind.
    mkdir -p "$work/$t.tmp"
    TMPDIR=$work/$t.tmp "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=1536 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$work/$t.art/" "${dirs[@]}" \
        >"$work/$t.log" 2>&1 || rc=$?
    echo $rc >"$work/$t.rc"
}

running=0
for t in "${targets[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

failed=0
printf '%-14s %12s %9s %8s  %s\n' target runs new-units crashes result
for t in "${targets[@]}"; do
    log=$work/$t.log
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    new=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
    crashes=0
    result=ok
    for a in "$work/$t.art"/*; do
        [ -e "$a" ] || continue
        crashes=$((crashes + 1))
        mkdir -p "$root/tests/fuzz/regressions/$t"
        cp "$a" "$root/tests/fuzz/regressions/$t/"
        result="kept tests/fuzz/regressions/$t/$(basename "$a")"
    done
    if [ "$(cat "$work/$t.rc")" != 0 ] && [ "$crashes" -eq 0 ]; then
        crashes=1
        result="failed without an artifact (exit $(cat "$work/$t.rc"))"
    fi
    printf '%-14s %12s %9s %8s  %s\n' "$t" "${runs:-?}" "${new:-?}" "$crashes" "$result"
    if [ "$crashes" -gt 0 ]; then
        failed=1
        # The report: from the sanitizer's or libFuzzer's first line to the input's name.
        echo "---- fuzz_$t: what it found ----"
        awk '/ERROR|runtime error|^==[0-9]+==/ {on=1} on && !/^  0x|^Shadow|redzone|^  [A-Z][a-z]+ .*:/ {print}
             /^Base64:|Test unit written/ {if (on) n++} n >= 2 {exit}' "$log" | head -60
        echo "----"
    fi
done
if [ "$failed" -ne 0 ]; then
    echo "fuzz.sh: a target crashed; reproduce with $build/tests/fuzz/fuzz_TARGET FILE and" \
        "commit the input under tests/fuzz/regressions/ with the fix" >&2
    exit 1
fi
