#!/usr/bin/env bash
# The client over a real 50 ms round trip (issue #10 §4): toxiproxy in front of the TLS emulator
# adds 25 ms each way. See bench/README.md, "WAN: 50 ms round trip through toxiproxy (#10)".
#
#   bench/wan_bench.sh            build, run the whole matrix (~7 minutes), print the table,
#                                 update README.md
#   QUICK=1 bench/wan_bench.sh    the same matrix with fewer users (~2 minutes)
#
# The matrix, every row against the same emulator through the same proxy:
#   - `logrocket import` at fixed concurrency (CONCURRENCIES, default "32 128 512") over
#     HTTP/1.1 (--http1) and HTTP/2 (the default over TLS); concurrencies below 128 send
#     SLOW_USERS users (default 20,000: 32 in flight at 50 ms is 640 users/s at best);
#   - `logrocket import` on default settings (adaptive, ceiling 512), HTTP/2 and HTTP/1.1, with
#     no server limit (target: 10,000 users/s), then with the emulator limited to RATE
#     requests/s (default 3000; target: 90% of RATE with under 1% of requests answered 429);
#   - the same two targets through Python's `client.identify_many(rows)` and Node's
#     `client.identifyMany(rows)`, default settings (CLIENTS, default "cli python node").
#
# Environment: USERS (100000; QUICK=1: 20000), SLOW_USERS (20000; QUICK=1: 5000), RUNS (1: the
# table shows the median run by users/s), LATENCY_MS (25, each way), RATE (3000),
# CONCURRENCIES (empty: no fixed rows), CLIENTS, PY_VENV (target/py-venv), NO_README=1 to leave
# README.md alone, TRACE=0 to skip polling the emulator's stats once a second during each run (the answers per
# second column, and the per-second series printed while running).
# toxiproxy is found (or installed with `go install`) by scripts/toxiproxy.sh.
# Everything stays on 127.0.0.1 and every run sends a finite number of requests.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
if [[ "${QUICK:-0}" == 1 ]]; then
    USERS=${USERS:-20000}
    SLOW_USERS=${SLOW_USERS:-5000}
else
    USERS=${USERS:-100000}
    SLOW_USERS=${SLOW_USERS:-20000}
fi
RUNS=${RUNS:-1}
LATENCY_MS=${LATENCY_MS:-25}
RATE=${RATE:-3000}
CONCURRENCIES=${CONCURRENCIES-"32 128 512"}
CLIENTS=${CLIENTS:-"cli python node"}
PY_VENV=${PY_VENV:-$ROOT/target/py-venv}
NODE_PKG="$ROOT/bindings/node"
API_KEY=bench-key
ORG_APP=bench/app
# The core's default ceiling, read from its one definition (logrocket_identify::DEFAULT_CONCURRENCY);
# the adaptive rows use every client's default, which is this.
DEFAULT_CEILING=$(sed -n 's/^pub const DEFAULT_CONCURRENCY: usize = \([0-9_]*\);.*/\1/p' \
    "$ROOT/crates/logrocket-identify/src/config.rs" | tr -d _)
[[ -n "$DEFAULT_CEILING" ]] || { echo "cannot read DEFAULT_CONCURRENCY from config.rs" >&2; exit 1; }
TARGET_UNLIMITED=10000
# No single step may hang the benchmark.
STEP_TIMEOUT=900

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/logrocket-wan.XXXXXX")
EMULATOR_PID=""
TOXI_PID=""
TRACER_PID=""
cleanup() {
    for pid in "$TRACER_PID" "$EMULATOR_PID" "$TOXI_PID"; do
        if [[ -n "$pid" ]]; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- tools -------------------------------------------------------------------------------------

if [[ ! -x /usr/bin/time ]]; then
    say "installing GNU time (for client CPU)"
    as_root apt-get install -y time >/dev/null
fi
command -v curl >/dev/null || die "curl is needed"

TOXI=$("$ROOT/scripts/toxiproxy.sh")
TOXI_VERSION=$("$ROOT/scripts/toxiproxy.sh" --version)

say "building the release binary"
(cd "$ROOT" && cargo build --release -p logrocket-cli)
BIN="$CARGO_TARGET_DIR/release/logrocket"
[[ -x "$BIN" ]] || die "no binary at $BIN"

have_client() { [[ " $CLIENTS " == *" $1 "* ]]; }

PY=""
if have_client python; then
    # As scripts/test-python.sh builds it; pyproject.toml's [tool.maturin] profile is "release".
    say "building the Python package (release profile) into $PY_VENV"
    [[ -x "$PY_VENV/bin/python" ]] || python3 -m venv "$PY_VENV"
    PY="$PY_VENV/bin/python"
    export PATH="$PY_VENV/bin:$PATH"
    if ! "$PY" -m maturin --version >/dev/null 2>&1; then
        "$PY" -m pip install --quiet "maturin>=1.9,<2"
    fi
    (cd "$ROOT" && "$PY" -m pip install --quiet --no-build-isolation --force-reinstall --no-deps ./bindings/python)
fi
if have_client node; then
    # Built by scripts/test-node.sh (napi build --release); built here only when missing.
    if ! compgen -G "$NODE_PKG/*.node" >/dev/null; then
        say "building the Node package (npm install in bindings/node)"
        (cd "$NODE_PKG" && npm install --no-audit --no-fund)
    fi
    NODE_BUILT=$(stat -c '%y' "$(compgen -G "$NODE_PKG/*.node" | head -1)" | cut -d. -f1)
fi

# --- data and drivers --------------------------------------------------------------------------

for size in $(printf '%s\n' "$USERS" "$SLOW_USERS" | sort -u); do
    say "generating $size users"
    python3 "$BENCH/gen_users.py" "$size" "$WORK/users-$size.csv"
done

# Python and Node send the same users as the CSV (same ids, fields and trait strings), built
# lazily; each prints one JSON line: the bulk call's seconds and its counts.
cat >"$WORK/run.py" <<'EOF'
import json, sys, time
from logrocket_identify import Client

url, ca, users, key, app = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
FIRST = ["Ada", "Linus", "Grace", "Alan", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger"]
LAST = ["Lovelace", "Turing", "Hopper", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Dijkstra"]
PLANS = ["free", "starter", "pro", "team", "enterprise"]
CAMPAIGNS = ["podcast", "newsletter", "search", "social", "referral", "conference"]

def rows():
    for i in range(1, users + 1):
        first, last = FIRST[i % 10], LAST[(i // 10) % 9]
        yield {"user_id": f"user-{i:07d}", "name": f"{first} {last}",
               "email": f"{first.lower()}.{last.lower()}{i}@example.com",
               "timestamp": 1_767_225_600_000 + i * 60_000,
               "traits": {"campaign": CAMPAIGNS[(i * 11) % 6], "plan": PLANS[(i * 7) % 5],
                          "revenue": str((i * 37) % 500)}}

client = Client(api_key=key, app_id=app, base_url=url, ca_cert=ca, proxy_from_env=False)
started = time.perf_counter()
report = client.identify_many(rows())
seconds = time.perf_counter() - started
client.close()
first = str(report.failures[0].error) if report.failures else ""
print(json.dumps({"seconds": seconds, "succeeded": report.succeeded, "failed": report.failed,
                  "first_error": first}))
EOF
cat >"$WORK/run.js" <<'EOF'
'use strict'
const { Client } = require(process.env.NODE_PKG)
const [url, ca, usersText, apiKey, appId] = process.argv.slice(2)
const users = Number(usersText)
const FIRST = ['Ada', 'Linus', 'Grace', 'Alan', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Frances', 'Edsger']
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Liskov', 'Thompson', 'Hamilton', 'Ritchie', 'Allen', 'Dijkstra']
const PLANS = ['free', 'starter', 'pro', 'team', 'enterprise']
const CAMPAIGNS = ['podcast', 'newsletter', 'search', 'social', 'referral', 'conference']
function * rows () {
  for (let i = 1; i <= users; i += 1) {
    const first = FIRST[i % 10]
    const last = LAST[Math.floor(i / 10) % 9]
    yield {
      userId: `user-${String(i).padStart(7, '0')}`,
      name: `${first} ${last}`,
      email: `${first.toLowerCase()}.${last.toLowerCase()}${i}@example.com`,
      timestamp: 1_767_225_600_000 + i * 60_000,
      traits: { campaign: CAMPAIGNS[(i * 11) % 6], plan: PLANS[(i * 7) % 5], revenue: String((i * 37) % 500) }
    }
  }
}
async function main () {
  const client = new Client({ apiKey, appId, baseUrl: url, caCert: ca, proxyFromEnv: false })
  const started = process.hrtime.bigint()
  const report = await client.identifyMany(rows())
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  await client.close()
  const first = report.failures.length ? String(report.failures[0].error) : ''
  console.log(JSON.stringify({ seconds, succeeded: report.succeeded, failed: report.failed, first_error: first }))
}
main().catch((e) => { console.error(e); process.exit(1) })
EOF

# --- the TLS emulator, in its own process ------------------------------------------------------

"$BIN" emulator --tls --port 0 --api-key "$API_KEY" --ca-cert-out "$WORK/ca.pem" \
    >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
EMULATOR_PID=$!
for _ in $(seq 100); do
    [[ $(wc -l <"$WORK/emulator.out") -ge 2 ]] && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || die "the emulator exited: $(cat "$WORK/emulator.err")"
    sleep 0.1
done
EMULATOR_URL=$(sed -n 1p "$WORK/emulator.out")
CA=$(sed -n 2p "$WORK/emulator.out")
[[ "$EMULATOR_URL" == https://127.0.0.1:* ]] || die "the emulator printed no loopback URL (got '$EMULATOR_URL')"
EMULATOR_PORT=${EMULATOR_URL##*:}
say "emulator at $EMULATOR_URL (pid $EMULATOR_PID), CA $CA"

# Control calls go straight to the emulator, not through the proxy.
control() {
    local method=$1 route=$2 body=${3:-}
    if [[ -n "$body" ]]; then
        curl -sf --noproxy '*' --cacert "$CA" -X "$method" -H 'Content-Type: application/json' \
            -d "$body" "$EMULATOR_URL/_emulator/$route"
    else
        curl -sf --noproxy '*' --cacert "$CA" -X "$method" "$EMULATOR_URL/_emulator/$route"
    fi
}

# --- toxiproxy: 25 ms each way -----------------------------------------------------------------

TOXI_PORT=$(free_port)
TOXI_API="http://127.0.0.1:$TOXI_PORT"
LOG_LEVEL=warn "$TOXI" -host 127.0.0.1 -port "$TOXI_PORT" >"$WORK/toxiproxy.log" 2>&1 &
TOXI_PID=$!
for _ in $(seq 100); do
    curl -sf --noproxy '*' "$TOXI_API/version" >/dev/null 2>&1 && break
    kill -0 "$TOXI_PID" 2>/dev/null || die "toxiproxy exited: $(cat "$WORK/toxiproxy.log")"
    sleep 0.1
done
toxi() {
    curl -sf --noproxy '*' -X POST -H 'Content-Type: application/json' -d "$2" "$TOXI_API$1"
}
toxi /proxies "{\"name\":\"emulator\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:$EMULATOR_PORT\",\"enabled\":true}" \
    >"$WORK/proxy.json" || die "cannot create the proxy"
for stream in upstream downstream; do
    toxi /proxies/emulator/toxics "{\"name\":\"latency_$stream\",\"type\":\"latency\",\"stream\":\"$stream\",\"toxicity\":1.0,\"attributes\":{\"latency\":$LATENCY_MS,\"jitter\":0}}" \
        >/dev/null || die "cannot add the $stream latency"
done
LISTEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["listen"])' "$WORK/proxy.json")
URL="https://$LISTEN"
[[ "$URL" == https://127.0.0.1:* ]] || die "toxiproxy listens on '$LISTEN'"
say "toxiproxy $TOXI_VERSION (pid $TOXI_PID): $URL -> $EMULATOR_URL, ${LATENCY_MS} ms each way"

# The round trip of a request on an established TLS connection: first byte minus handshake end.
rtt_ms() {
    local url=$1
    for _ in 1 2 3 4 5; do
        curl -s --noproxy '*' --cacert "$CA" -o /dev/null \
            -w '%{time_appconnect} %{time_starttransfer}\n' "$url/_emulator/health"
    done | awk '{print ($2 - $1) * 1000}' | sort -n | awk '{a[NR] = $1} END {printf "%.1f", a[int((NR + 1) / 2)]}'
}
RTT_DIRECT=$(rtt_ms "$EMULATOR_URL")
RTT_PROXY=$(rtt_ms "$URL")
say "round trip: ${RTT_PROXY} ms through toxiproxy (${RTT_DIRECT} ms direct); nominal $((2 * LATENCY_MS)) ms"
python3 -c "import sys; r = float(sys.argv[1]); n = 2 * int(sys.argv[2]); sys.exit(0 if n * 0.9 <= r <= n * 1.5 else 1)" \
    "$RTT_PROXY" "$LATENCY_MS" || die "the round trip through toxiproxy is ${RTT_PROXY} ms, not ~$((2 * LATENCY_MS)) ms"

# --- one run -----------------------------------------------------------------------------------

TICKS=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

RESULTS="$WORK/results.jsonl"
: >"$RESULTS"

# run CLIENT PROTOCOL(h1|h2) CONCURRENCY(N|adaptive) LIMIT(0: none) USERS RUN
run() {
    local client=$1 proto=$2 conc=$3 limit=$4 users=$5 run_no=$6
    local status=0 started ended emu0 toxi0 emu1 toxi1 seconds delivered failed first_error=""
    if [[ "$limit" -gt 0 ]]; then
        control POST rate-limit "{\"per_second\": $limit}" >/dev/null || die "cannot set the rate limit"
    else
        control POST rate-limit '{"per_second": null}' >/dev/null || die "cannot lift the rate limit"
    fi
    # After the rate limit: the reset zeroes the stats, the bucket starts full as with --rate-limit.
    control POST reset >/dev/null || die "cannot reset the emulator"
    emu0=$(cpu_ticks "$EMULATOR_PID")
    toxi0=$(cpu_ticks "$TOXI_PID")
    TRACER_PID=""
    : >"$WORK/trace.txt"
    if [[ "${TRACE:-1}" == 1 ]]; then
        # The API requests answered so far, once a second (each poll is one more connection).
        # Stopped through a file rather than a signal, so that no poll is cut off half-way.
        rm -f "$WORK/trace.stop"
        (while sleep 1 && [[ ! -e "$WORK/trace.stop" ]]; do
            control GET stats >>"$WORK/trace.txt" || break
            echo >>"$WORK/trace.txt"
        done) &
        TRACER_PID=$!
    fi
    started=$(date +%s.%N)
    case $client in
        cli)
            local args=(import "$WORK/users-$users.csv" --base-url "$URL" --api-key "$API_KEY"
                --app "$ORG_APP" --ca-cert "$CA" --no-proxy-env --no-progress
                --rejects "$WORK/rejects.jsonl")
            [[ "$proto" == h1 ]] && args+=(--http1)
            if [[ "$conc" != adaptive ]]; then
                args+=(--fixed-concurrency --concurrency "$conc")
            fi
            timeout "$STEP_TIMEOUT" /usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" \
                "$BIN" "${args[@]}" >/dev/null 2>"$WORK/client.err" || status=$?
            ;;
        python)
            timeout "$STEP_TIMEOUT" /usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" \
                "$PY" "$WORK/run.py" "$URL" "$CA" "$users" "$API_KEY" "$ORG_APP" \
                >"$WORK/client.out" 2>"$WORK/client.err" || status=$?
            ;;
        node)
            NODE_PKG="$NODE_PKG" timeout "$STEP_TIMEOUT" /usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" \
                node "$WORK/run.js" "$URL" "$CA" "$users" "$API_KEY" "$ORG_APP" \
                >"$WORK/client.out" 2>"$WORK/client.err" || status=$?
            ;;
    esac
    ended=$(date +%s.%N)
    if [[ -n "$TRACER_PID" ]]; then
        touch "$WORK/trace.stop"
        wait "$TRACER_PID" 2>/dev/null || true
        TRACER_PID=""
    fi
    emu1=$(cpu_ticks "$EMULATOR_PID")
    toxi1=$(cpu_ticks "$TOXI_PID")
    # `import` exits 1 when rows failed (EXIT_ROWS_FAILED); any other non-zero status is a
    # broken run.
    if [[ $status -ne 0 && ! ( "$client" == cli && $status -eq 1 ) ]]; then
        die "$client exited $status: $(tail -5 "$WORK/client.err")"
    fi
    if [[ "$client" == cli ]]; then
        # "imported 99990 of 100000 rows in 9.87s (10131 rows/s)"
        delivered=$(sed -n 's/^imported \([0-9]*\) of \([0-9]*\) rows.*/\1/p' "$WORK/client.err" | tail -1)
        [[ -n "$delivered" ]] || die "no summary from import: $(tail -3 "$WORK/client.err")"
        failed=$((users - delivered))
        # Process wall time, start-up and reading the CSV included.
        seconds=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$started" "$ended")
        [[ $failed -eq 0 ]] || first_error=$(head -1 "$WORK/rejects.jsonl" | cut -c1-200)
    else
        read -r seconds delivered failed first_error < <(python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print(r["seconds"], r["succeeded"], r["failed"], r["first_error"].replace("\n", " ")[:200])' "$WORK/client.out")
    fi
    control GET stats >"$WORK/stats.json" || die "cannot read the emulator's stats"
    control GET requests >"$WORK/requests.json" || die "cannot read the emulator's request log"
    python3 - "$RESULTS" "$WORK/stats.json" "$WORK/requests.json" "$WORK/time.txt" \
        "$client" "$proto" "$conc" "$limit" "$users" "$run_no" "$seconds" "$delivered" "$failed" \
        "$first_error" "$(((emu1 - emu0)))" "$(((toxi1 - toxi0)))" "$TICKS" "$WORK/trace.txt" <<'EOF'
import json, sys
(results, stats_path, requests_path, time_path, client, proto, conc, limit, users, run_no,
 seconds, delivered, failed, first_error, emu_ticks, toxi_ticks, ticks, trace_path) = sys.argv[1:]
stats = json.load(open(stats_path))
trace = [json.loads(line) for line in open(trace_path) if line.strip()]
# Connections opened by the tracer's own polls are not the client's.
stats["connections"] -= len(trace)
per_second = []
if trace:
    answered = [sum(t["statuses"].values()) for t in trace]
    per_second = [b - a for a, b in zip([0] + answered, answered)]
    print(f"    trace, answers per second: {' '.join(map(str, per_second))}; client connections: "
          f"{' '.join(str(t['connections'] - i - 1) for i, t in enumerate(trace))}", file=sys.stderr)
protocols = sorted({r["protocol"] for r in json.load(open(requests_path))})
wall, user, system = (float(x) for x in open(time_path).read().split()[-3:])
statuses = {int(k): v for k, v in stats["statuses"].items()}
row = {
    "client": client, "proto": proto, "conc": conc, "limit": int(limit), "users": int(users),
    "run": int(run_no), "seconds": float(seconds), "delivered": int(delivered),
    "failed": int(failed), "first_error": first_error,
    # Minus one: the connection of this very stats query.
    "connections": stats["connections"] - 1,
    "requests": sum(statuses.values()), "ok": statuses.get(200, 0),
    "r429": statuses.get(429, 0), "protocols": protocols,
    "cpu_client": user + system, "cpu_emulator": int(emu_ticks) / int(ticks),
    "cpu_toxiproxy": int(toxi_ticks) / int(ticks), "process_wall": wall,
    # API answers (any status) in each whole second of the run.
    "per_second": per_second,
}
with open(results, "a") as f:
    f.write(json.dumps(row) + "\n")
r = row
print(f"    {client} {proto} {conc} limit={limit or '-'}: {r['delivered']:,}/{r['users']:,} in "
      f"{r['seconds']:.1f}s = {r['delivered'] / r['seconds']:,.0f} users/s, {r['connections']} "
      f"connections, {r['r429']:,} 429s of {r['requests']:,} requests, {'/'.join(protocols)}, CPU "
      f"client {r['cpu_client']:.1f}s emulator {r['cpu_emulator']:.1f}s toxiproxy "
      f"{r['cpu_toxiproxy']:.1f}s" + (f"; first failure: {first_error}" if first_error else ""),
      file=sys.stderr)
EOF
}

# --- the matrix, interleaved across runs -------------------------------------------------------

MATRIX=()
if have_client cli; then
    for conc in $CONCURRENCIES; do
        users=$USERS
        [[ $conc -lt 128 ]] && users=$SLOW_USERS
        MATRIX+=("cli h1 $conc 0 $users" "cli h2 $conc 0 $users")
    done
    MATRIX+=("cli h2 adaptive 0 $USERS" "cli h1 adaptive 0 $USERS" "cli h2 adaptive $RATE $USERS")
fi
for client in python node; do
    have_client "$client" && MATRIX+=("$client h2 adaptive 0 $USERS" "$client h2 adaptive $RATE $USERS")
done

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
BENCH_START=$(date +%s)
for run_no in $(seq "$RUNS"); do
    say "run $run_no of $RUNS"
    for entry in "${MATRIX[@]}"; do
        # shellcheck disable=SC2086
        run $entry "$run_no"
    done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
BENCH_MINUTES=$(( ($(date +%s) - BENCH_START + 59) / 60 ))
EMULATOR_RSS_MB=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$EMULATOR_PID/status")
TOXI_RSS_MB=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$TOXI_PID/status")

# --- the table ---------------------------------------------------------------------------------

CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
NODE_NOTE=""
have_client node && NODE_NOTE=" Node $(node --version) (bindings/node as built $NODE_BUILT)."
PY_NOTE=""
have_client python && PY_NOTE=" Python $("$PY" -c 'import sys; print(sys.version.split()[0])') (bindings/python installed with pip, release profile)."
cat >"$WORK/machine.txt" <<EOF
Measured $(date -u '+%Y-%m-%d %H:%M UTC') ($BENCH_MINUTES min) on $(nproc) CPUs ($CPU), $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM,
Linux $(uname -r), $(rustc --version | awk '{print $1, $2}'), toxiproxy $TOXI_VERSION. Client, toxiproxy and the emulator
(\`logrocket emulator --tls\`, release build, peak RSS $EMULATOR_RSS_MB MB; toxiproxy $TOXI_RSS_MB MB) share the CPUs.
Round trip of one request on an open connection (curl, median of 5): ${RTT_PROXY} ms through toxiproxy,
${RTT_DIRECT} ms direct. $RUNS run(s) per row (the median run by users/s).$PY_NOTE$NODE_NOTE
Load average (1, 5, 15 min) before the runs: $LOAD_START; after: $LOAD_END.
EOF

python3 - "$RESULTS" "$WORK/machine.txt" "$RTT_PROXY" "$TARGET_UNLIMITED" "$DEFAULT_CEILING" \
    "$([[ "${NO_README:-}" == 1 ]] && echo "" || echo "$BENCH/README.md")" <<'EOF'
import json, sys
from collections import OrderedDict

results, machine_path, rtt_ms, target_unlimited, ceiling, readme = sys.argv[1:]
# The ideal is concurrency over the round trip measured through the proxy (not the nominal
# 2 x LATENCY_MS): what a client keeping N requests in flight could reach at best.
rtt = float(rtt_ms) / 1000
target_unlimited, ceiling = int(target_unlimited), int(ceiling)
START, END = "<!-- wan:start -->", "<!-- wan:end -->"
CLIENTS = {"cli": "`logrocket import`", "python": "Python `identify_many`", "node": "Node `identifyMany`"}

rows = OrderedDict()
for line in open(results):
    r = json.loads(line)
    rows.setdefault((r["client"], r["proto"], r["conc"], r["limit"], r["users"]), []).append(r)

lines = [
    "| client | protocol | concurrency | server limit | users | users/s | ideal users/s | % of ideal | target | answers/s: 1st s → last s (median) | connections | 429s (% of requests) | failed | wall s | CPU s client / emulator / toxiproxy |",
    "|---|---|---|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---|",
]
for (client, proto, conc, limit, users), runs in rows.items():
    runs.sort(key=lambda r: r["delivered"] / r["seconds"])
    r = runs[(len(runs) - 1) // 2]
    rate = r["delivered"] / r["seconds"]
    in_flight = ceiling if conc == "adaptive" else int(conc)
    ideal = in_flight / rtt
    if limit:
        ideal = min(ideal, limit)
    share_429 = 100 * r["r429"] / r["requests"] if r["requests"] else 0.0
    if conc == "adaptive" and not limit:
        met = rate >= target_unlimited
        target = f"≥ {target_unlimited:,}/s: {'met' if met else 'missed'}"
    elif conc == "adaptive":
        met = rate >= 0.9 * limit and share_429 < 1.0
        target = f"≥ {0.9 * limit:,.0f}/s, < 1% 429: {'met' if met else 'missed'}"
    else:
        target = "—"
    seen = {"HTTP/1.1": "HTTP/1.1", "HTTP/2.0": "HTTP/2"}
    protocol = "/".join(seen.get(p, p) for p in r["protocols"]) or proto
    expected = "HTTP/1.1" if proto == "h1" else "HTTP/2"
    if protocol != expected:
        protocol += f" (asked {expected})"
    concurrency = f"adaptive (≤ {ceiling})" if conc == "adaptive" else f"fixed {conc}"
    whole = r.get("per_second", [])
    if whole:
        ramp = f"{whole[0]:,} → {whole[-1]:,} ({sorted(whole)[len(whole) // 2]:,})"
    else:
        ramp = "—"
    lines.append(
        f"| {CLIENTS[client]} | {protocol} | {concurrency} | {f'{limit:,}/s' if limit else 'none'} "
        f"| {users:,} | {rate:,.0f} | {ideal:,.0f} | {100 * rate / ideal:.0f}% | {target} | {ramp} "
        f"| {r['connections']:,} | {r['r429']:,} ({share_429:.2f}%) | {r['failed']:,} "
        f"| {r['seconds']:.1f} | {r['cpu_client']:.1f} / {r['cpu_emulator']:.1f} / {r['cpu_toxiproxy']:.1f} |"
    )
section = "\n".join(lines) + "\n\n" + open(machine_path).read().strip()
print(section)
if readme:
    text = open(readme, encoding="utf-8").read()
    if START not in text or END not in text:
        sys.exit(f"{readme} has no {START} ... {END} section")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    with open(readme, "w", encoding="utf-8") as f:
        f.write(f"{head}{START}\n{section}\n{END}{tail}")
EOF
