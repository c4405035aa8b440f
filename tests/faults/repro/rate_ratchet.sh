#!/usr/bin/env bash
# Reproducer (found by the fault matrix, tests/faults/run.sh): under 30% 5xx answers plus a
# short burst of 429s (Retry-After: 1) every 3 s, the send rate the adaptive engine learns from
# each burst only ever goes down, to 1 request/s, and `logrocket import` of 20,000 users crawls
# (hours) instead of finishing in seconds. No toxiproxy: the emulator on loopback.
#
#   tests/faults/repro/rate_ratchet.sh          prints each learned rate, then what got stored
#   EXTRA="--fixed-concurrency --concurrency 256" tests/faults/repro/rate_ratchet.sh
#                                               the same without the adaptive engine: finishes
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && cargo build --quiet --release --locked -p logrocket-cli)
BIN="$CARGO_TARGET_DIR/release/logrocket"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/logrocket-ratchet.XXXXXX")
EMU_PID="" FAULTS_PID=""
cleanup() {
    for pid in $FAULTS_PID $EMU_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
"$BIN" emulator --port 0 --api-key k >"$WORK/emulator.out" 2>&1 &
EMU_PID=$!
for _ in $(seq 50); do [[ -s "$WORK/emulator.out" ]] && break; sleep 0.1; done
EMU=$(sed -n 1p "$WORK/emulator.out")
python3 "$ROOT/tests/faults/gen.py" 20000 "$WORK/users"
faults() { curl -sf --noproxy '*' -X POST -H 'Content-Type: application/json' -d "$1" "$EMU/_emulator/faults"; }
(
    while :; do
        faults '{"rate": {"probability": 0.3, "fault": {"status": 503}}}'
        sleep 2.7
        faults '{"rate": {"probability": 1.0, "fault": {"status": 429, "retry_after": "1"}}}'
        sleep 0.3
    done
) &
FAULTS_PID=$!
# shellcheck disable=SC2086
LOGROCKET_LOG=logrocket_identify::engine::adaptive=debug timeout 90 "$BIN" import "$WORK/users.csv" \
    --base-url "$EMU" --api-key k --app o/a --max-retries 10 --no-progress --no-proxy-env \
    --rejects "$WORK/rejects.jsonl" ${EXTRA:-} 2>&1 | sed 's/\x1b\[[0-9;]*m//g' |
    grep -o 'learned a send rate from a burst of 429s rate=[0-9]*\|^imported.*' |
    sed 's/learned a send rate from a burst of 429s rate=/learned rate (requests\/s): /' || true
echo "after at most 90 s, the emulator: $(curl -sf --noproxy '*' "$EMU/_emulator/stats") (19,960 users to store)"
