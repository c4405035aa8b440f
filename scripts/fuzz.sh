#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each for FUZZ_SECONDS (issue #11 §2), failing
# if any target crashes (a panic, a failed check, a timeout or running out of memory).
#
#   scripts/fuzz.sh                              # every target, 60 s each
#   FUZZ_SECONDS=20 scripts/fuzz.sh              # a shorter run, e.g. in CI
#   FUZZ_TARGETS="json_input emulator" scripts/fuzz.sh
#   FUZZ_JOBS=2 scripts/fuzz.sh                  # two targets at a time (one core each)
#
# Installs what it needs when missing: the nightly toolchain (rustup, minimal profile) and
# cargo-fuzz (cargo install). Each target starts from its committed seeds (fuzz/corpus/<t>/,
# written by fuzz/gen_corpus.py, only read here) plus what earlier runs found
# (fuzz/target/corpus/<t>/, not committed). A crash leaves its input in fuzz/artifacts/<t>/;
# the script prints it and how to reproduce and minimise it. A table of executions, exec/s
# and coverage per target ends the output (bench/README.md, "Fuzzing (#11)").
set -euo pipefail

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-1}
# Per input: a hang past this many seconds counts as a crash.
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"

say() { printf '[fuzz] %s\n' "$*" >&2; }
now() { date +%s; }

started=$(now)
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    say "installing the nightly toolchain"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
installed=$(now)

targets=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
say "building: $(echo $targets)"
if [ -z "${FUZZ_TARGETS:-}" ]; then
    cargo +nightly fuzz build
else
    for target in $targets; do
        cargo +nightly fuzz build "$target"
    done
fi
built=$(now)

logs=$root/fuzz/target/logs
mkdir -p "$logs"

run_one() {
    local target=$1
    mkdir -p "corpus/$target" "target/corpus/$target"
    # The first directory takes what this run finds; the committed seeds are only read.
    if cargo +nightly fuzz run "$target" "target/corpus/$target" "corpus/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb=2048 \
        -print_final_stats=1 >"$logs/$target.log" 2>&1; then
        echo ok >"$logs/$target.result"
    else
        echo CRASH >"$logs/$target.result"
    fi
}

say "running each target for ${FUZZ_SECONDS}s, $FUZZ_JOBS at a time"
running=0
for target in $targets; do
    rm -f "$logs/$target.result"
    run_one "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$FUZZ_JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait
ran=$(now)

failed=0
printf '\n| target | result | executions | exec/s | coverage (edges) | features | corpus |\n'
printf '|---|---|---:|---:|---:|---:|---:|\n'
for target in $targets; do
    log=$logs/$target.log
    result=$(cat "$logs/$target.result" 2>/dev/null || echo CRASH)
    final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
    # The last status line ("#N DONE cov: X ft: Y corp: Z/..."), or the last one before a crash.
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
    field() { sed -n "s/.* $1: \([^ ]*\).*/\1/p" <<<"$last"; }
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$result" \
        "$(final_stat number_of_executed_units)" "$(final_stat average_exec_per_sec)" \
        "$(field cov)" "$(field ft)" "$(field corp)"
    if [ "$result" != ok ]; then
        failed=1
        say "$target crashed; the end of $log:"
        grep -v '^#[0-9]' "$log" | tail -40 >&2
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        if [ -n "$artifact" ]; then
            say "reproduce: (cd fuzz && cargo +nightly fuzz run $target $artifact)"
            say "minimise:  (cd fuzz && cargo +nightly fuzz tmin $target $artifact)"
        fi
    fi
done
printf '\ninstall %ss, build %ss, run %ss\n' \
    $((installed - started)) $((built - installed)) $((ran - built))
exit "$failed"
