#!/usr/bin/env bash
# `logrocket import` against the emulator in another process, and the ceiling: the same PUTs
# from a plain HTTP load generator against the same emulator. See bench/README.md.
#
#   bench/import_bench.sh            build, run everything, print the table, update README.md
#
# Environment: RUNS (default 3), CONCURRENCY (32), SIZES ("10000 100000"),
# LOAD_REQUESTS (100000), LOAD_GENERATOR=wrk to use wrk rather than oha (WRK_SECONDS, 5),
# NO_README=1 to leave README.md alone, BEFORE_BIN=path/to/an/older/logrocket to add its rows
# (same flags; e.g. a build of the commit before a change, for a before/after table).
# The import runs at exactly CONCURRENCY (--fixed-concurrency) like the load generator's
# connections, plus one row on the CLI's default (adaptive) settings.
# Everything stays on 127.0.0.1 and every run sends a finite number of requests.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
RUNS=${RUNS:-3}
CONCURRENCY=${CONCURRENCY:-32}
SIZES=${SIZES:-"10000 100000"}
LOAD_REQUESTS=${LOAD_REQUESTS:-100000}
API_KEY=bench-key
ORG_APP=bench/app
# No single step may hang the benchmark.
STEP_TIMEOUT=900

WORK=$(mktemp -d "${TMPDIR:-/tmp}/logrocket-bench.XXXXXX")
EMULATOR_PID=""
cleanup() {
    if [[ -n "$EMULATOR_PID" ]]; then
        kill "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# --- tools -------------------------------------------------------------------------------------

if [[ ! -x /usr/bin/time ]]; then
    say "installing GNU time (for peak RSS)"
    as_root apt-get install -y time >/dev/null
fi

say "building the release binary"
(cd "$ROOT" && cargo build --release -p logrocket-cli)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET_DIR/release/logrocket"
[[ -x "$BIN" ]] || die "no binary at $BIN"

# The load generator: oha from the crates registry if it installs in reasonable time, else wrk.
OHA=""
if [[ "${LOAD_GENERATOR:-}" != wrk ]]; then
    OHA=$(command -v oha || true)
    if [[ -z "$OHA" && -x "$HOME/.cargo/bin/oha" ]]; then OHA="$HOME/.cargo/bin/oha"; fi
fi
if [[ -z "$OHA" && "${LOAD_GENERATOR:-}" != wrk ]]; then
    say "installing oha (cargo install oha --locked, at most 20 minutes)"
    if timeout 1200 cargo install oha --locked >"$WORK/oha-install.log" 2>&1; then
        OHA="$HOME/.cargo/bin/oha"
    else
        say "oha did not install (see below); falling back to wrk"
        tail -5 "$WORK/oha-install.log" >&2 || true
    fi
fi
WRK=""
if [[ -z "$OHA" ]]; then
    WRK=$(command -v wrk || true)
    if [[ -z "$WRK" ]]; then
        as_root apt-get install -y wrk >/dev/null
        WRK=$(command -v wrk)
    fi
fi

# --- data --------------------------------------------------------------------------------------

for size in $SIZES; do
    say "generating $size users"
    python3 "$BENCH/gen_users.py" "$size" "$WORK/users-$size.csv"
done
BODY=$(python3 "$BENCH/gen_users.py" --body)

# --- the emulator, in its own process ----------------------------------------------------------

"$BIN" emulator --port 0 --api-key "$API_KEY" >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
EMULATOR_PID=$!
URL=""
for _ in $(seq 100); do
    URL=$(head -n 1 "$WORK/emulator.out" 2>/dev/null || true)
    [[ -n "$URL" ]] && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || die "the emulator exited: $(cat "$WORK/emulator.err")"
    sleep 0.1
done
[[ "$URL" == http://127.0.0.1:* ]] || die "the emulator printed no loopback URL (got '$URL')"
say "emulator at $URL (pid $EMULATOR_PID)"

reset_emulator() {
    curl -sf -X POST "$URL/_emulator/reset" >/dev/null || die "cannot reset the emulator"
}

stored_users() {
    curl -sf "$URL/_emulator/users" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:03.21" -> seconds
wall_seconds() {
    awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0
        for (i = 1; i <= n; i++) s = s * 60 + p[i]
        print s }' "$1"
}
peak_rss_kb() {
    awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"
}
cpu_seconds() {
    awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$1"
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"

# --- the CLI -----------------------------------------------------------------------------------

# One record per run: label, requests, wall seconds, peak RSS kB, 200s, client CPU seconds.
record() {
    local label=$1 requests=$2 ok=$3
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$requests" "$(wall_seconds "$WORK/time.txt")" \
        "$(peak_rss_kb "$WORK/time.txt")" "$ok" "$(cpu_seconds "$WORK/time.txt")" >>"$RESULTS"
    say "$(tail -1 "$RESULTS" | awk -F'\t' '{printf "%s: %s of %s OK in %ss, peak RSS %s kB, CPU %ss", $1, $5, $2, $3, $4, $6}')"
}

cli_run() {
    local size=$1 bin=${2:-$BIN} label=${3:-cli} status=0 stored
    local -a concurrency=(--concurrency "$CONCURRENCY" --fixed-concurrency)
    case "$label" in
    *before*) concurrency=(--concurrency "$CONCURRENCY") ;; # older builds: always fixed
    *adaptive*) concurrency=() ;;
    esac
    reset_emulator
    timeout "$STEP_TIMEOUT" /usr/bin/time -v -o "$WORK/time.txt" \
        "$bin" import "$WORK/users-$size.csv" \
        "${concurrency[@]}" --no-progress \
        --base-url "$URL" --api-key "$API_KEY" --app "$ORG_APP" \
        --rejects "$WORK/rejects.jsonl" \
        >/dev/null 2>"$WORK/import.err" || status=$?
    [[ $status -eq 0 ]] || die "import exited $status: $(tail -5 "$WORK/import.err")"
    stored=$(stored_users)
    [[ "$stored" -eq "$size" ]] || die "the emulator stored $stored users, not $size"
    record "$label $((size / 1000))k" "$size" "$size"
}

# --- the ceiling: the same PUTs from a load generator ------------------------------------------

if [[ -n "$OHA" ]]; then
    LOAD_TOOL="oha $("$OHA" --version | awk '{print $2}')"
    LOAD_DESCRIPTION="$LOAD_REQUESTS PUTs to distinct user ids"
    # Distinct user ids from a pattern (oha takes the dots of the address literally).
    PATTERN="$URL/v1/orgs/bench/apps/app/users/load-[0-9]{12}"
    # Loopback only: check what the pattern expands to before sending anything.
    "$OHA" --no-tui --dump-urls 5 -n 5 -m PUT --rand-regex-url "$PATTERN" >"$WORK/urls.txt"
    while read -r target; do
        [[ "$target" == "$URL/"* ]] || die "oha would send to $target"
    done <"$WORK/urls.txt"
    load_run() {
        timeout "$STEP_TIMEOUT" /usr/bin/time -v -o "$WORK/time.txt" \
            "$OHA" --no-tui --output-format json -n "$LOAD_REQUESTS" -c "$CONCURRENCY" \
            -m PUT -H "Authorization: token $API_KEY" -H "Content-Type: application/json" \
            -d "$BODY" --rand-regex-url "$PATTERN" >"$WORK/load.json"
        # Only 200s count, over the whole run.
        python3 - "$WORK/load.json" <<'EOF'
import json, sys
summary = json.load(open(sys.argv[1]))
statuses = summary.get("statusCodeDistribution") or {}
errors = summary.get("errorDistribution") or {}
total = sum(statuses.values()) + sum(errors.values())
print(f'{total}\t{statuses.get("200", 0)}')
EOF
    }
else
    # wrk prints its version with a usage message and exits 1.
    LOAD_TOOL="$({ "$WRK" --version 2>&1 || true; } | head -1 | awk '{print $1, $2}')"
    cat >"$WORK/put.lua" <<EOF
-- PUTs to distinct user ids: each thread counts in its own range.
local threads = {}
-- "id" is set per thread by setup(), as a global of that thread.
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
    # wrk runs for a duration, not a count (a thread that stops early still waits it out).
    WRK_SECONDS=${WRK_SECONDS:-5}
    LOAD_DESCRIPTION="${WRK_SECONDS} s of PUTs to distinct user ids"
    load_run() {
        local total
        timeout "$STEP_TIMEOUT" /usr/bin/time -v -o "$WORK/time.txt" \
            "$WRK" -t 2 -c "$CONCURRENCY" -d "${WRK_SECONDS}s" -s "$WORK/put.lua" "$URL" \
            >"$WORK/load.txt"
        # Every id is distinct, so the users the emulator stored are the 200s.
        total=$(awk '/requests in/ {print $1}' "$WORK/load.txt")
        printf '%s\t%s\n' "$total" "$(stored_users)"
    }
fi

ceiling_run() {
    local total ok
    reset_emulator
    load_run >"$WORK/load.tsv"
    read -r total ok <"$WORK/load.tsv"
    [[ "$ok" -gt 0 && "$ok" -ge $((total * 99 / 100)) ]] ||
        die "the load generator got only $ok 200s of $total"
    record "load generator ($LOAD_TOOL)" "$total" "$ok"
}

# --- the runs, interleaved so that a noisy moment on the machine hits every row alike ------------

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for run in $(seq "$RUNS"); do
    say "run $run of $RUNS"
    for size in $SIZES; do
        cli_run "$size"
        if [[ -n "${BEFORE_BIN:-}" ]]; then
            cli_run "$size" "$BEFORE_BIN" "cli before"
        fi
    done
    cli_run "${SIZES##* }" "$BIN" "cli adaptive"
    ceiling_run
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

EMULATOR_RSS_MB=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$EMULATOR_PID/status")

# --- the table ---------------------------------------------------------------------------------

CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
cat >"$WORK/machine.txt" <<EOF
Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs ($CPU), $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM,
Linux $(uname -r), $(rustc --version | awk '{print $1, $2}'). Concurrency $CONCURRENCY, $RUNS runs each,
the emulator (\`logrocket emulator\`, release build, peak RSS $EMULATOR_RSS_MB MB) in its own process on the same
machine, so client and server share the CPUs. Load generator: $LOAD_TOOL, $LOAD_DESCRIPTION.
Load average (1, 5, 15 min) before the runs: $LOAD_START; after: $LOAD_END.
EOF
if [[ "${NO_README:-}" == 1 ]]; then
    python3 "$BENCH/table.py" "$RESULTS" "$WORK/machine.txt"
else
    python3 "$BENCH/table.py" "$RESULTS" "$WORK/machine.txt" "$BENCH/README.md"
fi
