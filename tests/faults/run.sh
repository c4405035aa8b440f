#!/usr/bin/env bash
# The fault matrix of issue #11 §1: every bulk and background path of every language, through
# toxiproxy and the emulator's own faults at once, checked user by user against its input.
#
#   tests/faults/run.sh            the reduced matrix (2,000 users through the CLI, 1,000 through
#                                  each language; scripts/test-all.sh runs it), then the table
#   FULL=1 tests/faults/run.sh     the full matrix: 100,000 users through `logrocket import` and
#                                  10,000 through each language's call, in every combination;
#                                  then the table, also written into bench/README.md ("Fault
#                                  matrix (#11)"; NO_README=1 leaves it alone)
#
# Between the clients and the emulator (`logrocket emulator`, release build, its own process)
# sits toxiproxy, with these combinations (COMBOS picks some, e.g. COMBOS="all all-tls"); every
# one has latency with jitter (20 +- 5 ms towards the client, 5 +- 2 ms towards the server):
#   net-slow   the slicer (answers cut into ~24-byte pieces 0.5 ms apart, requests into ~64;
#              over TLS ~200 both ways) and a bandwidth limit per connection (64 KB/s each way;
#              over TLS 1 MB/s)
#   net-break  connections reset mid-answer (reset_peer on the answers of 10% of connections:
#              the request was processed, its answer never arrives) and the timeout toxic (2%
#              of connections swallow every answer and never close)
#   server     the emulator's own faults (tests/faults/driver.py): 30% of requests answered 5xx,
#              every 3 s a burst of 300 ms in which every request is answered 429 with
#              Retry-After: 1, and every second two hangs of HANG_MS, past the client's timeout
#              (one then stores the user, the other closes the connection)
#   all        all of the above together, plain HTTP (HTTP/1.1)
#   all-tls    all of the above together, the emulator over TLS (`--tls`; HTTP/2), the clients
#              trusting its CA
#   give-up    so that some rows fail for good and must be reported: the clients allow only 2
#              retries, against net-break's toxics, 50% of requests answered 5xx and the hangs
#              (no 429 bursts)
# and these clients (CLIENTS picks some), each run against an emulator just reset:
#   cli             `logrocket import users.csv` (release build), its rejects file
#   cli-fixed       the same with --fixed-concurrency --concurrency 256 (full matrix only: the
#                   engine without its adaptive pace, beside it)
#   python-bulk     Client.identify_many      python-enqueue  Client.enqueue, then close
#   node-bulk       client.identifyMany       node-enqueue    client.enqueue, then close
#   go-bulk         Client.IdentifyMany       go-enqueue      Client.Enqueue, then Shutdown
#   c-bulk          lr_client_identify_many_json (C drives no background delivery here)
# Every client: a 2 s timeout per attempt (TIMEOUT_MS), 10 retries (RETRIES), a 1 s connect
# timeout, the language's default (adaptive) concurrency; Node also a short backoff (50 ms
# doubling to 2 s), the only binding that lets it be set. Enqueue: a queue of 1,000 updates, so
# that the producer meets back-pressure, and close/Shutdown with a 10-minute deadline. The
# input (tests/faults/gen.py) holds a few rows the API refuses (a name of 1,100 characters),
# which must fail as validation errors. tests/faults/check.py checks each run (see its
# docstring) and prints the table.
#
# The reduced matrix: every combination through the CLI, every client through "all", over TLS
# the CLI, Go's enqueue and Python's bulk call, and "give-up" through the CLI and Python's
# enqueue; LANES (3) runs go side by side, each lane
# with emulators and proxies of its own (the full matrix: 1 lane). A watchdog stops a client
# that gets fewer than STALL_MIN (100) users stored in STALL_SECONDS (60; reduced: 30) while
# more are to go ("stalled": a failed run, whose stored users are still checked against the
# input; with STALL_OK=1 it is "STALLED" and does not fail the script, for looking into a
# stall without stopping the rest of the matrix);
# STEP_TIMEOUT bounds every run as well.
#
# Environment: FULL, COMBOS, CLIENTS, CLI_USERS / LANG_USERS (the sizes), LANES, TIMEOUT_MS
# (2000), RETRIES (10), HANG_MS (3000), STALL_SECONDS, STALL_MIN, STEP_TIMEOUT, PY_VENV
# (default: target/py-wheel-venv, where scripts/test-python.sh installs the wheel it built,
# else target/py-venv), C_PREFIX (where scripts/install-c.sh installs the C library, on every run;
# default target/c-prefix), KEEP=1 keeps the work directory. toxiproxy:
# as scripts/toxiproxy.sh finds it (installing it with `go install` when missing). Everything stays on
# 127.0.0.1. Exits 1 when any run fails its check.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/tests/faults"
FULL=${FULL:-0}
# The table goes into bench/README.md only from the whole full matrix.
DEFAULT_MATRIX=1
[[ -n "${COMBOS:-}${CLIENTS:-}${CLI_USERS:-}${LANG_USERS:-}" ]] && DEFAULT_MATRIX=0
ALL_COMBOS="net-slow net-break server all all-tls give-up"
ALL_CLIENTS="cli python-bulk python-enqueue node-bulk node-enqueue go-bulk go-enqueue c-bulk"
if [[ "$FULL" == 1 ]]; then
    CLIENTS=${CLIENTS:-"cli cli-fixed ${ALL_CLIENTS#cli }"}
    CLI_USERS=${CLI_USERS:-100000}
    LANG_USERS=${LANG_USERS:-10000}
    COMBOS=${COMBOS:-$ALL_COMBOS}
    LANES=${LANES:-1}
    STEP_TIMEOUT=${STEP_TIMEOUT:-1800}
    STALL_SECONDS=${STALL_SECONDS:-60}
else
    CLI_USERS=${CLI_USERS:-2000}
    LANG_USERS=${LANG_USERS:-1000}
    LANES=${LANES:-3}
    STEP_TIMEOUT=${STEP_TIMEOUT:-180}
    STALL_SECONDS=${STALL_SECONDS:-30}
fi
CLIENTS=${CLIENTS:-$ALL_CLIENTS}
STALL_MIN=${STALL_MIN:-100}
TIMEOUT_MS=${TIMEOUT_MS:-2000}
RETRIES=${RETRIES:-10}
HANG_MS=${HANG_MS:-3000}
CLOSE_TIMEOUT_MS=${CLOSE_TIMEOUT_MS:-600000}
API_KEY=faults-key
APP=faults/app
export FAULTS_API_KEY=$API_KEY FAULTS_APP=$APP FAULTS_TIMEOUT_MS=$TIMEOUT_MS \
    FAULTS_RETRIES=$RETRIES FAULTS_CLOSE_TIMEOUT_MS=$CLOSE_TIMEOUT_MS
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# The clients are told to ignore proxy variables; curl and Python's urllib here are too.
export NO_PROXY="${NO_PROXY:+$NO_PROXY,}127.0.0.1,localhost"
export no_proxy="$NO_PROXY"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/logrocket-faults.XXXXXX")
# Processes this script (or this lane) started and has not waited for yet.
PIDS=()
kill_ours() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
cleanup() {
    trap - EXIT INT TERM
    kill_ours
    if [[ "${KEEP:-0}" == 1 ]]; then
        echo "kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A process waited for leaves the list, so that no cleanup ever signals a process id the
# system has since given to another process.
forget() {
    local keep=() pid
    for pid in "${PIDS[@]}"; do [[ "$pid" == "$1" ]] || keep+=("$pid"); done
    PIDS=("${keep[@]}")
}
say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
started_all=$SECONDS

# --- tools and clients -------------------------------------------------------------------------

command -v curl >/dev/null || die "curl is needed"
TOXI=$("$ROOT/scripts/toxiproxy.sh")
TOXI_VERSION=$("$ROOT/scripts/toxiproxy.sh" --version)

have() { [[ " $CLIENTS " == *" $1 "* ]]; }
have_any() {
    local c
    for c in "$@"; do have "$c" && return 0; done
    return 1
}

say "building the release CLI (cargo build --release -p logrocket-cli)"
(cd "$ROOT" && cargo build --quiet --release --locked -p logrocket-cli)
BIN="$CARGO_TARGET_DIR/release/logrocket"

PY=""
if have_any python-bulk python-enqueue; then
    if [[ -z "${PY_VENV:-}" ]]; then
        PY_VENV="$CARGO_TARGET_DIR/py-wheel-venv"
        "$PY_VENV/bin/python" -c 'import logrocket_identify' 2>/dev/null || PY_VENV="$ROOT/target/py-venv"
    fi
    PY="$PY_VENV/bin/python"
    if ! "$PY" -c 'import logrocket_identify' 2>/dev/null; then
        say "installing the Python package into $PY_VENV (pip install ./bindings/python)"
        [[ -x "$PY" ]] || python3 -m venv "$PY_VENV"
        "$PY" -m pip install --quiet "maturin>=1.9,<2"
        (cd "$ROOT" && PATH="$PY_VENV/bin:$PATH" "$PY" -m pip install --quiet --no-build-isolation ./bindings/python)
    fi
    say "Python $("$PY" -c 'import logrocket_identify as m, sys; print(sys.version.split()[0], "package", m.__file__)')"
fi
export NODE_PKG="$ROOT/bindings/node"
if have_any node-bulk node-enqueue && ! compgen -G "$NODE_PKG/*.node" >/dev/null; then
    say "building the Node package (npm install in bindings/node)"
    (cd "$NODE_PKG" && npm install --no-audit --no-fund)
fi
if have_any go-bulk go-enqueue c-bulk; then
    C_PREFIX=${C_PREFIX:-$CARGO_TARGET_DIR/c-prefix}
    # Every time (under a second once built): a library installed before the core changed
    # would test the old engine.
    say "installing the C library into $C_PREFIX (scripts/install-c.sh)"
    "$ROOT/scripts/install-c.sh" --prefix "$C_PREFIX" >/dev/null
    # As scripts/test-go.sh: pkg-config finds the static library (`#cgo pkg-config:
    # logrocket-identify-static` in bindings/go).
    export PKG_CONFIG_PATH="$C_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    export CGO_ENABLED=1
fi
if have_any go-bulk go-enqueue; then
    say "building tests/faults/go (bindings/go through a replace directive)"
    # go build, not go run: the program runs many times, and go run may reuse a cached program
    # linked against an older library (as scripts/test-go.sh notes).
    (cd "$HERE/go" && go build -o "$WORK/faults-go" .)
fi
if have c-bulk; then
    say "building tests/faults/c/faults_c.c against the static library"
    # shellcheck disable=SC2046
    gcc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 -o "$WORK/faults-c" \
        "$HERE/c/faults_c.c" $(pkg-config --cflags --libs logrocket-identify-static)
fi
build_seconds=$((SECONDS - started_all))

for size in $(printf '%s\n' "$CLI_USERS" "$LANG_USERS" | sort -u); do
    python3 "$HERE/gen.py" "$size" "$WORK/users-$size"
done

# --- toxiproxy, and per lane a plain and a TLS emulator behind a proxy each --------------------

TOXI_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOXI_API="http://127.0.0.1:$TOXI_PORT"
LOG_LEVEL=warn "$TOXI" -host 127.0.0.1 -port "$TOXI_PORT" >"$WORK/toxiproxy.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
    curl -sf "$TOXI_API/version" >/dev/null 2>&1 && break
    sleep 0.1
done
toxi() { # METHOD PATH [BODY]
    if [[ $# -ge 3 ]]; then
        curl -sf -X "$1" -H 'Content-Type: application/json' -d "$3" "$TOXI_API$2"
    else
        curl -sf -X "$1" "$TOXI_API$2"
    fi
}

# By name (plain-1, tls-1, ...): the emulator's own URL, and the URL through its proxy.
declare -A EMULATOR PROXIED
start_emulator() { # NAME [--tls ...]
    local name=$1
    shift
    "$BIN" emulator --port 0 --api-key "$API_KEY" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    local lines=1
    [[ $# -gt 0 ]] && lines=2 # --tls: the URL, then the CA's path
    for _ in $(seq 100); do
        [[ -s "$WORK/$name.out" && $(wc -l <"$WORK/$name.out") -ge $lines ]] && break
        kill -0 "$pid" 2>/dev/null || die "the $name emulator exited: $(cat "$WORK/$name.err")"
        sleep 0.1
    done
    local url
    url=$(sed -n 1p "$WORK/$name.out")
    [[ "$url" == http*://127.0.0.1:* ]] || die "the $name emulator printed no loopback URL ('$url')"
    toxi POST /proxies "{\"name\":\"$name\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:${url##*:}\",\"enabled\":true}" \
        >"$WORK/proxy-$name.json" || die "cannot create the proxy $name"
    EMULATOR[$name]=$url
    PROXIED[$name]="${url%%://*}://$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["listen"])' "$WORK/proxy-$name.json")"
}
for lane in $(seq "$LANES"); do
    start_emulator "plain-$lane"
    # Each TLS emulator makes a CA of its own.
    start_emulator "tls-$lane" --tls --ca-cert-out "$WORK/ca-$lane.pem"
done
say "toxiproxy $TOXI_VERSION; $LANES lane(s), each a plain and a TLS emulator behind a proxy"

add_toxic() { # PROXY NAME TYPE STREAM TOXICITY ATTRIBUTES_JSON
    toxi POST "/proxies/$1/toxics" \
        "{\"name\":\"$2\",\"type\":\"$3\",\"stream\":\"$4\",\"toxicity\":$5,\"attributes\":$6}" >/dev/null ||
        die "cannot add the toxic $2 to $1"
}
clear_toxics() { # PROXY
    local name
    for name in $(toxi GET "/proxies/$1/toxics" | python3 -c 'import json,sys; print(" ".join(t["name"] for t in json.load(sys.stdin)))'); do
        toxi DELETE "/proxies/$1/toxics/$name" >/dev/null
    done
}
set_toxics() { # PROXY COMBO
    local proxy=$1 combo=$2
    clear_toxics "$proxy"
    # Jitter of a quarter of the latency: much more makes the adaptive concurrency collapse (a
    # finding of this matrix, see bench/README.md), which would only make the runs slow.
    add_toxic "$proxy" latency_down latency downstream 1.0 '{"latency":20,"jitter":5}'
    add_toxic "$proxy" latency_up latency upstream 1.0 '{"latency":5,"jitter":2}'
    case $combo in net-slow | all | all-tls)
        # Over TLS one HTTP/2 connection carries up to 100 requests at once: pieces as small
        # as HTTP/1.1's would cap it at a few dozen answers a second (the slicer waits between
        # pieces), so they are larger there, and the bandwidth too.
        local down='{"average_size":24,"size_variation":16,"delay":500}' rate=64
        local up='{"average_size":64,"size_variation":32,"delay":200}'
        if [[ "$proxy" == tls-* ]]; then
            down='{"average_size":200,"size_variation":150,"delay":100}' up=$down rate=1024
        fi
        add_toxic "$proxy" slicer_down slicer downstream 1.0 "$down"
        add_toxic "$proxy" slicer_up slicer upstream 1.0 "$up"
        add_toxic "$proxy" bandwidth_down bandwidth downstream 1.0 "{\"rate\":$rate}"
        add_toxic "$proxy" bandwidth_up bandwidth upstream 1.0 "{\"rate\":$rate}"
        ;;
    esac
    case $combo in net-break | all | all-tls | give-up)
        add_toxic "$proxy" reset_mid_answer reset_peer downstream 0.1 '{"timeout":20}'
        add_toxic "$proxy" swallow_answers timeout downstream 0.02 '{"timeout":0}'
        ;;
    esac
}
server_faults() { # COMBO -> driver.py's arguments, none for none
    case $1 in
        server | all | all-tls) echo "--5xx 0.3 --burst-every 3 --burst-ms 300 --hang-every 1 --hang-ms $HANG_MS" ;;
        give-up) echo "--5xx 0.5 --hang-every 1 --hang-ms $HANG_MS" ;;
    esac
}

control() { # EMULATOR_URL CA METHOD ROUTE: straight to the emulator, never through toxiproxy
    if [[ -n "$2" ]]; then
        curl -sf --cacert "$2" -X "$3" "$1/_emulator/$4"
    else
        curl -sf -X "$3" "$1/_emulator/$4"
    fi
}

# --- one run -----------------------------------------------------------------------------------

RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
run() { # LANE COMBO CLIENT
    local lane=$1 combo=$2 client=$3 name="plain-$1" ca=""
    if [[ "$combo" == *-tls ]]; then
        name="tls-$lane" ca="$WORK/ca-$lane.pem"
    fi
    local emulator=${EMULATOR[$name]} url=${PROXIED[$name]}
    local users=$LANG_USERS
    [[ "$client" == cli* ]] && users=$CLI_USERS
    local retries=$RETRIES
    [[ "$combo" == give-up ]] && retries=2
    local input="$WORK/users-$users" run_dir="$WORK/$combo-$client"
    mkdir -p "$run_dir"
    control "$emulator" "$ca" POST reset >/dev/null || die "cannot reset the emulator $name"
    set_toxics "$name" "$combo"
    local faults driver_pid=""
    faults=$(server_faults "$combo")
    if [[ -n "$faults" ]]; then
        # shellcheck disable=SC2086
        python3 "$HERE/driver.py" "$emulator" "$ca" "$run_dir/driver.json" $faults 2>"$run_dir/driver.err" &
        driver_pid=$!
        PIDS+=("$driver_pid")
        # The client starts once the faults are in place (a fast client may otherwise be
        # done before the driver's first request).
        for _ in $(seq 100); do
            [[ -e "$run_dir/driver.json.ready" ]] && break
            kill -0 "$driver_pid" 2>/dev/null || die "driver.py ended early: $(cat "$run_dir/driver.err")"
            sleep 0.1
        done
        [[ -e "$run_dir/driver.json.ready" ]] || die "driver.py not ready after 10 s: $(cat "$run_dir/driver.err")"
    fi
    local command=()
    case $client in
        cli | cli-fixed)
            command=("$BIN" import "$input.csv" --base-url "$url" --api-key "$API_KEY" --app "$APP"
                --no-proxy-env --no-progress --rejects "$run_dir/rejects.jsonl"
                --timeout "$(python3 -c "print($TIMEOUT_MS / 1000)")" --max-retries "$retries"
                --connect-timeout 1)
            [[ -n "$ca" ]] && command+=(--ca-cert "$ca")
            [[ "$client" == cli-fixed ]] && command+=(--fixed-concurrency --concurrency 256)
            ;;
        python-*) command=("$PY" "$HERE/clients/faults_python.py" "${client#python-}") ;;
        node-*) command=(node "$HERE/clients/faults_node.js" "${client#node-}") ;;
        go-*) command=("$WORK/faults-go" "${client#go-}") ;;
        c-bulk) command=("$WORK/faults-c" bulk) ;;
        *) die "unknown client $client" ;;
    esac
    [[ "$client" == cli* ]] || command+=("$url" "$ca" "$input.jsonl" "$run_dir/result.json")
    local status=0 t0 t1
    t0=$(date +%s.%N)
    # In the background, so that a cleanup can stop it (timeout runs it in a process group of
    # its own, which a signal to this script's group would miss).
    FAULTS_RETRIES=$retries timeout "$STEP_TIMEOUT" "${command[@]}" >"$run_dir/client.out" 2>"$run_dir/client.err" &
    local client_pid=$!
    PIDS+=("$client_pid")
    # The watchdog, beside it: a client that gets fewer than STALL_MIN users stored (requests
    # answered 200) in STALL_SECONDS while more than that many are still to go is stuck (a
    # healthy one stores hundreds a second through every combination), and is stopped rather
    # than left to crawl until STEP_TIMEOUT. The last few users of a run may take long (retries
    # with backoff): they are left to STEP_TIMEOUT.
    (
        stored=() window=$((STALL_SECONDS / 5))
        while sleep 5 && kill -0 "$client_pid" 2>/dev/null; do
            count=$(control "$emulator" "$ca" GET stats |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["statuses"].get("200", 0))' 2>/dev/null) || continue
            stored+=("$count")
            if [[ ${#stored[@]} -gt $window ]]; then
                earlier=${stored[$((${#stored[@]} - 1 - window))]}
                if ((count - earlier < STALL_MIN && users - count >= STALL_MIN)); then
                    echo "stalled: $((count - earlier)) requests answered 200 in the last ${STALL_SECONDS} s ($count in all)" >"$run_dir/stalled"
                    kill -TERM "$client_pid" 2>/dev/null || true
                    break
                fi
            fi
        done
    ) &
    local watchdog_pid=$!
    PIDS+=("$watchdog_pid")
    wait "$client_pid" || status=$?
    t1=$(date +%s.%N)
    forget "$client_pid"
    kill "$watchdog_pid" 2>/dev/null || true
    wait "$watchdog_pid" 2>/dev/null || true
    forget "$watchdog_pid"
    local stalled=""
    [[ -e "$run_dir/stalled" ]] && stalled=$(cat "$run_dir/stalled")
    [[ $status -eq 124 ]] && stalled="did not finish in $STEP_TIMEOUT s"
    if [[ -n "$driver_pid" ]]; then
        kill -TERM "$driver_pid" 2>/dev/null || true
        wait "$driver_pid" 2>/dev/null || true
        forget "$driver_pid"
    fi
    clear_toxics "$name"
    # Requests the client gave up on may still be in the emulator (a hang of HANG_MS): let them
    # finish, then wait until the counts stop moving.
    if [[ -n "$faults" ]]; then sleep "$(python3 -c "print($HANG_MS / 1000 + 0.5)")"; fi
    # (The statuses only: every stats query is one more connection.)
    local before="" now statuses
    for _ in $(seq 30); do
        now=$(control "$emulator" "$ca" GET stats) || die "cannot read the stats of $name"
        statuses=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["statuses"])' "$now")
        [[ "$statuses" == "$before" ]] && break
        before=$statuses
        sleep 0.5
    done
    printf '%s' "$now" >"$run_dir/stats.json"
    control "$emulator" "$ca" GET users >"$run_dir/users.json" || die "cannot read the users of $name"
    local wall
    wall=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$t0" "$t1")
    local common=(--combo "$combo" --client "$client" --users "$run_dir/users.json"
        --stats "$run_dir/stats.json" --wall "$wall" --results "$RESULTS")
    if [[ -z "$stalled" && "$client" != cli* && ( $status -ne 0 || ! -s "$run_dir/result.json" ) ]]; then
        stalled="exited $status without a result"
    fi
    [[ -n "$faults" ]] && common+=(--driver "$run_dir/driver.json")
    if [[ -n "$stalled" ]]; then
        [[ "${STALL_OK:-0}" == 1 ]] && common+=(--tolerate-stall)
        python3 "$HERE/check.py" crashed "${common[@]}" --exit "$status" --log "$run_dir/client.err" \
            --why "$stalled" --input "$input.jsonl"
        return
    fi
    local check=(python3 "$HERE/check.py" run "${common[@]}")
    if [[ "$client" == cli* ]]; then
        check+=(--input "$input.csv" --rejects "$run_dir/rejects.jsonl" --cli-log "$run_dir/client.err"
            --cli-exit "$status")
    else
        check+=(--input "$input.jsonl" --result "$run_dir/result.json")
    fi
    "${check[@]}" || die "check.py failed on $combo / $client"
}

# --- the matrix --------------------------------------------------------------------------------

MATRIX=()
if [[ -n "${COMBOS:-}" ]]; then
    for combo in $COMBOS; do
        for client in $CLIENTS; do MATRIX+=("$combo $client"); done
    done
else
    for combo in net-slow net-break server; do have cli && MATRIX+=("$combo cli"); done
    for client in $CLIENTS; do MATRIX+=("all $client"); done
    for client in cli go-enqueue python-bulk; do have "$client" && MATRIX+=("all-tls $client"); done
    for client in cli python-enqueue; do have "$client" && MATRIX+=("give-up $client"); done
fi

say "the matrix: ${#MATRIX[@]} runs in $LANES lane(s), $CLI_USERS users through the CLI and $LANG_USERS through each language (builds took ${build_seconds}s)"
matrix_started=$SECONDS
LANE_PIDS=()
for lane in $(seq "$LANES"); do
    (
        # A lane stops what it started, not the parent's emulators.
        PIDS=()
        trap kill_ours EXIT
        trap 'exit 130' INT TERM
        i=0
        for entry in "${MATRIX[@]}"; do
            # Round robin: run i goes to lane i % LANES + 1.
            # shellcheck disable=SC2086
            if ((i % LANES + 1 == lane)); then run "$lane" $entry; fi
            i=$((i + 1))
        done
    ) &
    LANE_PIDS+=($!)
    PIDS+=($!)
done
lanes_ok=1
for pid in "${LANE_PIDS[@]}"; do
    wait "$pid" || lanes_ok=0
    forget "$pid"
done
matrix_seconds=$((SECONDS - matrix_started))
[[ $lanes_ok == 1 ]] || die "a lane of the matrix broke off (see above)"

# The table in the matrix's order, whichever lane finished first.
python3 - "$RESULTS" "${MATRIX[@]}" <<'EOF'
import json, sys
path, order = sys.argv[1], sys.argv[2:]
rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
rank = {tuple(entry.split()): i for i, entry in enumerate(order)}
rows.sort(key=lambda r: rank.get((r["combo"], r["client"]), len(rank)))
with open(path, "w", encoding="utf-8") as f:
    f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
EOF
TABLE=$(python3 "$HERE/check.py" table "$RESULTS")
CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
NOTE="Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs ($CPU), Linux $(uname -r), toxiproxy $TOXI_VERSION: ${#MATRIX[@]} runs in ${matrix_seconds} s ($LANES at a time). Every client: ${TIMEOUT_MS} ms per attempt, ${RETRIES} retries (give-up: 2); emulator hangs of ${HANG_MS} ms."
printf '\n%s\n\n%s\n' "$TABLE" "$NOTE"

failed=$(python3 -c 'import json,sys; print(sum(json.loads(l)["verdict"] not in ("PASS", "STALLED") for l in open(sys.argv[1])))' "$RESULTS")
runs=$(wc -l <"$RESULTS")
[[ "$runs" -eq ${#MATRIX[@]} ]] || die "$runs results for ${#MATRIX[@]} runs"
if [[ "$FULL" == 1 && "$DEFAULT_MATRIX" == 1 && "${NO_README:-0}" != 1 ]]; then
    python3 - "$ROOT/bench/README.md" "$TABLE" "$NOTE" <<'EOF'
import sys
readme, table, note = sys.argv[1:]
START, END = "<!-- faults:start -->", "<!-- faults:end -->"
text = open(readme, encoding="utf-8").read()
if START not in text or END not in text:
    sys.exit(f"{readme} has no {START} ... {END} section")
head, rest = text.split(START, 1)
_, tail = rest.split(END, 1)
with open(readme, "w", encoding="utf-8") as f:
    f.write(f"{head}{START}\n{table}\n\n{note}\n{END}{tail}")
print(f"updated {readme}", file=sys.stderr)
EOF
fi
say "fault matrix: ${#MATRIX[@]} runs, $failed failed; ${matrix_seconds}s (+${build_seconds}s of builds)"
[[ "$failed" -eq 0 ]]
