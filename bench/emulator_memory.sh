#!/usr/bin/env bash
# Memory of `logrocket emulator` holding N users (issue #11): RSS after each checkpoint of a
# `logrocket import` of N generated users, and bytes per user. See bench/README.md, section
# "Emulator memory (#11)".
#
#   bench/emulator_memory.sh                 build, store 1,000,000 users, print the table
#   BEFORE_BIN=/tmp/old/logrocket bench/emulator_memory.sh
#                                            the same with another build's emulator first
#                                            (e.g. a copy of the release binary kept from
#                                            before a change), for a before/after table
#
# Environment: USERS (default 1000000), CHECKPOINTS (default "USERS/10 USERS/4 USERS/2 USERS",
# cumulative user counts at which RSS is read), CONCURRENCY (32), BEFORE_BIN (an emulator
# binary labelled "before"; the current release build is "after"), VERIFY=0 to skip the final
# read-back of every user.
#
# The users go over HTTP, through `logrocket import` of a CSV from bench/gen_users.py, as a
# user would load them: a million take about half a minute on 2 CPUs, so there is no need for
# an in-process loader that would bypass the request path (and its request log). The import
# client is always the current release build, whichever emulator it talks to.
# Everything stays on 127.0.0.1 and every run sends a finite number of requests.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
USERS=${USERS:-1000000}
CHECKPOINTS=${CHECKPOINTS:-"$((USERS / 10)) $((USERS / 4)) $((USERS / 2)) $USERS"}
CONCURRENCY=${CONCURRENCY:-32}
API_KEY=bench-key
ORG_APP=bench/app
STEP_TIMEOUT=900

WORK=$(mktemp -d "${TMPDIR:-/tmp}/logrocket-emumem.XXXXXX")
EMULATOR_PID=""
stop_emulator() {
    if [[ -n "$EMULATOR_PID" ]]; then
        kill "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
        EMULATOR_PID=""
    fi
}
cleanup() {
    stop_emulator
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

say "building the release binary"
(cd "$ROOT" && cargo build --release -p logrocket-cli)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET_DIR/release/logrocket"
[[ -x "$BIN" ]] || die "no binary at $BIN"
if [[ -n "${BEFORE_BIN:-}" ]]; then
    [[ -x "$BEFORE_BIN" ]] || die "BEFORE_BIN=$BEFORE_BIN is not an executable"
fi

# --- data: one CSV per checkpoint step, each with the header ------------------------------------

prev=0
for point in $CHECKPOINTS; do
    [[ "$point" -gt "$prev" && "$point" -le "$USERS" ]] ||
        die "CHECKPOINTS must rise and end at most at USERS ($CHECKPOINTS)"
    prev=$point
done
say "generating $USERS users"
python3 "$BENCH/gen_users.py" "$USERS" "$WORK/users.csv"
prev=0
for point in $CHECKPOINTS; do
    # Data rows prev+1..point are lines prev+2..point+1 (line 1 is the header).
    awk -v from=$((prev + 2)) -v to=$((point + 1)) 'NR == 1 || (NR >= from && NR <= to)' \
        "$WORK/users.csv" >"$WORK/step-$point.csv"
    prev=$point
done
rm "$WORK/users.csv"

# --- one emulator binary: start it, fill it step by step, read its memory ----------------------

kb() { awk -v key="$1:" '$1 == key {print $2}' "/proc/$EMULATOR_PID/status"; }

start_emulator() {
    "$1" emulator --port 0 --api-key "$API_KEY" >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
    EMULATOR_PID=$!
    URL=""
    for _ in $(seq 100); do
        URL=$(head -n 1 "$WORK/emulator.out" 2>/dev/null || true)
        [[ -n "$URL" ]] && break
        kill -0 "$EMULATOR_PID" 2>/dev/null || die "the emulator exited: $(cat "$WORK/emulator.err")"
        sleep 0.1
    done
    [[ "$URL" == http://127.0.0.1:* ]] || die "the emulator printed no loopback URL (got '$URL')"
}

# The 200s the emulator answered since it started: every user id is distinct, so that is the
# number of users it stores.
answered_200() {
    curl -sf "$URL/_emulator/stats" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["statuses"].get("200", 0))'
}

RESULTS="$WORK/results.tsv"
READBACK="$WORK/readback.tsv"
: >"$RESULTS"
: >"$READBACK"

measure() {
    local label=$1 binary=$2 point start end ok stored status
    start_emulator "$binary"
    say "$label: emulator $binary at $URL (pid $EMULATOR_PID)"
    # Idle: the runtime, the binary's pages, nothing stored.
    printf '%s\t0\t%s\t%s\t0\n' "$label" "$(kb VmRSS)" "$(kb VmHWM)" >>"$RESULTS"
    for point in $CHECKPOINTS; do
        start=$(date +%s.%N)
        status=0
        timeout "$STEP_TIMEOUT" "$BIN" import "$WORK/step-$point.csv" \
            --concurrency "$CONCURRENCY" --no-progress \
            --base-url "$URL" --api-key "$API_KEY" --app "$ORG_APP" \
            --rejects "$WORK/rejects.jsonl" >/dev/null 2>"$WORK/import.err" || status=$?
        [[ $status -eq 0 ]] || die "import exited $status: $(tail -5 "$WORK/import.err")"
        end=$(date +%s.%N)
        ok=$(answered_200)
        [[ "$ok" -eq "$point" ]] || die "$label: the emulator answered $ok 200s, not $point"
        # A moment for the allocator to hand back what the last requests freed.
        sleep 1
        printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$point" "$(kb VmRSS)" "$(kb VmHWM)" \
            "$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", e - s}')" >>"$RESULTS"
        say "$(tail -1 "$RESULTS" | awk -F'\t' '{printf "%s: %d users, VmRSS %.1f MB, VmHWM %.1f MB, import %ss", $1, $2, $3/1024, $4/1024, $5}')"
    done
    if [[ "${VERIFY:-1}" != 0 ]]; then
        # After the measurements, since serving every user as JSON costs memory of its own.
        stored=$(curl -sf "$URL/_emulator/users" | python3 -c '
import json, sys
users = json.load(sys.stdin)
first = users[0]
assert first["userID"] == "user-0000001", first
assert first["appID"] == "app" and first["orgID"] == "bench", first
assert sorted(first["traits"]) == ["campaign", "plan", "revenue"], first
print(len(users))')
        [[ "$stored" -eq "$USERS" ]] || die "$label: the emulator returned $stored users, not $USERS"
        printf '%s\t%s\n' "$label" "$(kb VmHWM)" >>"$READBACK"
    fi
    stop_emulator
}

if [[ -n "${BEFORE_BIN:-}" ]]; then
    measure before "$BEFORE_BIN"
fi
measure after "$BIN"

# --- the table ---------------------------------------------------------------------------------

python3 - "$RESULTS" <<'EOF'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
idle = {label: int(rss) for label, users, rss, hwm, secs in rows if users == "0"}
print("| build | users | VmRSS MB | VmHWM (peak) MB | bytes/user (RSS / users) | bytes/user above idle | import s |")
print("|---|---:|---:|---:|---:|---:|---:|")
for label, users, rss, hwm, secs in rows:
    users, rss, hwm = int(users), int(rss), int(hwm)
    per = f"{rss * 1024 / users:,.0f}" if users else "-"
    above = f"{(rss - idle[label]) * 1024 / users:,.0f}" if users else "-"
    print(f"| {label} | {users:,} | {rss / 1024:.1f} | {hwm / 1024:.1f} | {per} | {above} | {secs if users else '-'} |")
EOF
CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo
while IFS=$'\t' read -r label hwm; do
    echo "$label: peak (VmHWM) after also reading every user back (GET /_emulator/users):" \
        "$(awk -v k="$hwm" 'BEGIN {printf "%.1f", k / 1024}') MB."
done <"$READBACK"
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs ($CPU), Linux $(uname -r)," \
    "$(rustc --version | awk '{print $1, $2}'); \`logrocket import\` at concurrency $CONCURRENCY," \
    "users from bench/gen_users.py."
