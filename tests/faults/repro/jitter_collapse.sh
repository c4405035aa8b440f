#!/usr/bin/env bash
# Reproducer (found by the fault matrix, tests/faults/run.sh): latency jitter of more than about
# half the latency reads as queueing to the adaptive engine, which cuts its in-flight limit by a
# tenth nearly every round trip, down to a handful: `logrocket import` of 20,000 users through
# toxiproxy (15 +- 10 ms towards the client, 5 +- 5 ms towards the server) takes minutes, against
# about 2 s with the same latency and no jitter, or with the jitter and a fixed concurrency.
#
#   tests/faults/repro/jitter_collapse.sh     three imports: no jitter, jitter, jitter + fixed 256
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && cargo build --quiet --release --locked -p logrocket-cli)
BIN="$CARGO_TARGET_DIR/release/logrocket"
TOXI=$("$ROOT/scripts/toxiproxy.sh")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/logrocket-jitter.XXXXXX")
EMU_PID="" TOXI_PID=""
cleanup() {
    for pid in $EMU_PID $TOXI_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
"$BIN" emulator --port 0 --api-key k >"$WORK/emulator.out" 2>&1 &
EMU_PID=$!
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$TOXI" -host 127.0.0.1 -port "$PORT" >"$WORK/toxiproxy.log" 2>&1 &
TOXI_PID=$!
for _ in $(seq 50); do
    [[ -s "$WORK/emulator.out" ]] && curl -sf --noproxy '*' "http://127.0.0.1:$PORT/version" >/dev/null && break
    sleep 0.1
done
EMU=$(sed -n 1p "$WORK/emulator.out")
API="http://127.0.0.1:$PORT"
post() { curl -sf --noproxy '*' -X POST -H 'Content-Type: application/json' -d "$2" "$API$1" >/dev/null; }
post /proxies "{\"name\":\"p\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:${EMU##*:}\"}"
URL="http://$(curl -sf --noproxy '*' "$API/proxies/p" | python3 -c 'import json,sys; print(json.load(sys.stdin)["listen"])')"
latency() { # DOWN_MS DOWN_JITTER UP_MS UP_JITTER
    curl -sf --noproxy '*' -X DELETE "$API/proxies/p/toxics/down" >/dev/null || true
    curl -sf --noproxy '*' -X DELETE "$API/proxies/p/toxics/up" >/dev/null || true
    post /proxies/p/toxics "{\"name\":\"down\",\"type\":\"latency\",\"stream\":\"downstream\",\"attributes\":{\"latency\":$1,\"jitter\":$2}}"
    post /proxies/p/toxics "{\"name\":\"up\",\"type\":\"latency\",\"stream\":\"upstream\",\"attributes\":{\"latency\":$3,\"jitter\":$4}}"
}
python3 "$ROOT/tests/faults/gen.py" 20000 "$WORK/users"
import() { # LABEL [ARGS...]
    local label=$1
    shift
    curl -sf --noproxy '*' -X POST "$EMU/_emulator/reset"
    local started=$SECONDS
    timeout 120 "$BIN" import "$WORK/users.csv" --base-url "$URL" --api-key k --app o/a \
        --no-progress --no-proxy-env --rejects "$WORK/rejects.jsonl" "$@" >/dev/null 2>&1 || true
    echo "$label: $(curl -sf --noproxy '*' "$EMU/_emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["statuses"].get("200", 0))') of 19,960 users stored in $((SECONDS - started)) s (at most 120)"
}
latency 15 0 5 0
import "20 ms, no jitter, adaptive"
latency 15 10 5 5
import "20 ms +- 15 ms of jitter, adaptive"
import "20 ms +- 15 ms of jitter, --fixed-concurrency --concurrency 256" --fixed-concurrency --concurrency 256
