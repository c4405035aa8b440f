#!/usr/bin/env bash
# Background delivery in Rust (bench/delivery_bench.rs) against `logrocket emulator` in its own
# process: drain rate next to a plain load generator on the same emulator (runs interleaved),
# a paced handler loop's per-call latency, and the memory of 1,000,000 pending updates of
# 100,000 users. Prints a table and rewrites the "Background delivery (Rust)" table in
# bench/README.md (NO_README=1 leaves it alone).
#
#   bench/delivery_bench.sh       RUNS (3), COUNT (100000), CONCURRENCY (32), PER_SECOND (5000)
#
# The load generator is wrk from Debian (installed with apt-get if missing), 32 connections,
# the same PUT body. Everything stays on 127.0.0.1 and every run sends a finite number of requests.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
COUNT=${COUNT:-100000}
CONCURRENCY=${CONCURRENCY:-32}
PER_SECOND=${PER_SECOND:-5000}
WRK_SECONDS=${WRK_SECONDS:-5}
API_KEY=bench-key

WORK=$(mktemp -d "${TMPDIR:-/tmp}/logrocket-delivery.XXXXXX")
EMULATOR_PID=""
cleanup() {
    if [[ -n "$EMULATOR_PID" ]]; then kill "$EMULATOR_PID" 2>/dev/null || true; wait "$EMULATOR_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

if ! command -v wrk >/dev/null; then
    say "installing wrk"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi

say "building the release binaries"
(cd "$ROOT" && cargo build --release -q -p logrocket-cli &&
    cargo build --release -q -p logrocket-identify --example delivery_bench)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
CLI="$TARGET_DIR/release/logrocket"
BENCH="$TARGET_DIR/release/examples/delivery_bench"

"$CLI" emulator --port 0 --api-key "$API_KEY" >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
EMULATOR_PID=$!
URL=""
for _ in $(seq 100); do
    URL=$(head -n 1 "$WORK/emulator.out" 2>/dev/null || true)
    [[ -n "$URL" ]] && break
    sleep 0.1
done
[[ "$URL" == http://127.0.0.1:* ]] || die "the emulator printed no loopback URL (got '$URL')"
reset() { curl -sf -X POST "$URL/_emulator/reset" >/dev/null; }
stored() { curl -sf "$URL/_emulator/users" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

BODY='{"name":"Bench User","email":"bench@example.com","timestamp":1700000000000,"traits":{"campaign":"spring","plan":"pro","revenue":1}}'
cat >"$WORK/put.lua" <<EOF
local threads = {}
local counter = 0
wrk.method = "PUT"
wrk.body = [[$BODY]]
wrk.headers["Authorization"] = "token $API_KEY"
wrk.headers["Content-Type"] = "application/json"
function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end
function request()
    counter = counter + 1
    return wrk.format(nil, string.format("/v1/orgs/bench/apps/app/users/load-%d-%d", id, counter))
end
EOF

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
for run in $(seq "$RUNS"); do
    say "run $run of $RUNS"
    reset
    "$BENCH" drain "$URL" "$COUNT" "$CONCURRENCY" >>"$RESULTS"
    [[ "$(stored)" -eq "$COUNT" ]] || die "the emulator did not store $COUNT users"
    reset
    wrk -t 2 -c "$CONCURRENCY" -d "${WRK_SECONDS}s" -s "$WORK/put.lua" "$URL" >"$WORK/wrk.txt"
    ok=$(stored)
    awk -v ok="$ok" -v s="$WRK_SECONDS" '/requests in/ {printf "wrk\t%d\t%d\t%s\t%.0f\t0\n", $1, ok, s, ok / s}' \
        "$WORK/wrk.txt" >>"$RESULTS"
done
reset
say "latency: $COUNT enqueues at $PER_SECOND/s"
"$BENCH" latency "$URL" "$COUNT" "$PER_SECOND" >>"$RESULTS"
say "memory: 1,000,000 pending updates of 100,000 users"
"$BENCH" memory 100000 1000000 >>"$RESULTS"

python3 - "$RESULTS" "$ROOT/bench/README.md" "${NO_README:-}" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" <<'EOF'
import statistics, sys
results, readme, no_readme, when, cpus = sys.argv[1:6]
rows = [line.rstrip("\n").split("\t") for line in open(results) if line.strip()]
drains = [float(r[4]) for r in rows if r[0] == "drain"]
drain_cpu = [float(r[5]) for r in rows if r[0] == "drain"]
loads = [float(r[4]) for r in rows if r[0] == "wrk"]
ratios = [d / l for d, l in zip(drains, loads)]
latency = next(r for r in rows if r[0] == "latency")
memory = next(r for r in rows if r[0] == "memory")
count = next(r for r in rows if r[0] == "drain")[1]
table = f"""| measure | figure | target |
|---|---:|---|
| drain rate, {int(count):,} enqueued users (median of {len(drains)}) | {statistics.median(drains):,.0f} users/s | |
| load generator (wrk), same emulator, same runs (median) | {statistics.median(loads):,.0f} PUTs/s | |
| drain / load generator, same run (median) | {statistics.median(ratios):.2f}x | at least 0.7x |
| client CPU per delivered user (median) | {statistics.median(drain_cpu):.1f} µs | |
| one `enqueue` in a handler loop at {int(latency[2]):,}/s: p50 / p99 / p99.9 / max | {float(latency[3]):.1f} / {float(latency[4]):.1f} / {float(latency[5]):.1f} / {float(latency[6]):.0f} µs | p99 under 100 µs |
| 1,000,000 pending updates of {int(memory[2]):,} users: peak RSS | {float(memory[6]):.1f} MB ({int(memory[3]):,} pending PUTs, {int(memory[4]):,} coalesced, {float(memory[5]):.0f} ns per enqueue) | under 100 MB |

Measured {when} on {cpus} CPUs, the emulator (release) in its own process on the same machine.
Rerun: `bash bench/delivery_bench.sh`."""
print(table)
if no_readme != "1":
    text = open(readme).read()
    start, end = "<!-- delivery:start -->", "<!-- delivery:end -->"
    if start in text:
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1]
        text = head + start + "\n" + table + "\n" + end + tail
    else:
        text += f"\n## Background delivery (Rust)\n\n`bash bench/delivery_bench.sh`\n\n{start}\n{table}\n{end}\n"
    open(readme, "w").write(text)
EOF
