#!/usr/bin/env bash
# The cost a C or Go caller pays per identify above the Rust API's: the same N PUTs (default
# 20,000, concurrency 16) through the Rust blocking identify_many (bench/ffi_bench.rs), the C
# bulk call (bench/ffi_bench.c) and Go's IdentifyMany (bindings/go/bench_test.go), each against
# one `logrocket emulator` running in another process (release builds).
#
# Each program reports its wall time and the user + system CPU time its process spent during
# the run (getrusage deltas). Every run starts from the caller's own values (Rust builders, C
# setters, Go structs) and includes turning them into requests, since a caller pays for that too. The callers run in ROUNDS rounds (default 5), one of each per
# round, in rotated order, with the emulator reset before each run, so a busy moment on the
# machine hits every caller alike. The table gives medians, and ratios to Rust taken within each
# round (then the median of those). On a machine where client and server share the CPUs, the
# client's CPU per request is the steadier figure: every microsecond it spends is taken from
# the server.
#
#   bash bench/ffi_bench.sh [count]        ROUNDS=5 CONCURRENCY=16 override the defaults
#
# GO_BASELINE=<git revision> adds a fourth caller, "go-base": the Go package as of that revision
# (with today's bench_test.go), built against today's library, to measure a Go change side by
# side with the code before it. It needs the old package to call only exports that still exist.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
count="${1:-20000}"
rounds="${ROUNDS:-5}"
concurrency="${CONCURRENCY:-16}"
rel="$CARGO_TARGET_DIR/release"

cargo build --release -q -p logrocket-cli -p logrocket-ffi
cargo build --release -q -p logrocket-ffi --example ffi_bench
gcc -O2 -Wall -Wextra -Werror -Iinclude bench/ffi_bench.c "$rel/liblogrocket_identify_ffi.a" \
    -lpthread -ldl -lm -o "$rel/ffi_bench_c"
# The Go package finds the library with pkg-config: install this release build where it looks.
./scripts/install-c.sh --prefix "$CARGO_TARGET_DIR/c-prefix" --no-build >/dev/null
export PKG_CONFIG_PATH="$CARGO_TARGET_DIR/c-prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# The Go test binary is built once, so no run pays for compiling it. (CGO_LDFLAGS: for a
# GO_BASELINE package from before pkg-config.)
(cd bindings/go && CGO_ENABLED=1 CGO_LDFLAGS="-L$rel" go test -c -o "$rel/ffi_bench_go" .)
callers=(rust c go)
if [[ -n "${GO_BASELINE:-}" ]]; then
    base="$(mktemp -d)"
    git archive "$GO_BASELINE" bindings/go | tar -x -C "$base"
    cp -r include "$base/include"
    cp bindings/go/bench_test.go "$base/bindings/go/bench_test.go"
    (cd "$base/bindings/go" && CGO_ENABLED=1 CGO_LDFLAGS="-L$rel" go test -c -o "$rel/ffi_bench_go_base" .)
    rm -rf "$base"
    callers+=(go-base)
fi

fifo="$(mktemp -u)"
mkfifo "$fifo"
"$rel/logrocket" emulator >"$fifo" &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; rm -f "$fifo"' EXIT
exec 3<"$fifo"
read -r first_line <&3
url="$(grep -o 'http://[^ ]*' <<<"$first_line")"
cat <&3 >/dev/null &

run() {
    case "$1" in
    rust) "$rel/examples/ffi_bench" "$url" "$count" "$concurrency" ;;
    c) "$rel/ffi_bench_c" "$url" "$count" "$concurrency" ;;
    go) LOGROCKET_BENCH_URL="$url" LOGROCKET_BENCH_COUNT="$count" \
        "$rel/ffi_bench_go" -test.run '^TestBenchIdentifyMany$' -test.count=1 | grep -E '^go	' ;;
    go-base) LOGROCKET_BENCH_URL="$url" LOGROCKET_BENCH_COUNT="$count" \
        "$rel/ffi_bench_go_base" -test.run '^TestBenchIdentifyMany$' -test.count=1 | grep -E '^go	' |
        sed 's/^go	/go-base	/' ;;
    esac
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u '+%Y-%m-%d %H:%M UTC')"
rows=()
for ((round = 0; round < rounds; round++)); do
    for ((i = 0; i < ${#callers[@]}; i++)); do
        caller="${callers[$(((round + i) % ${#callers[@]}))]}"
        curl -fsS -X POST "$url/_emulator/reset" >/dev/null
        row="$(run "$caller")"
        printf 'round %d: %s\n' "$((round + 1))" "$row" >&2
        rows+=("$((round + 1))	$row")
    done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

summary="$(cat <<'PY'
import statistics, sys
med = statistics.median
runs = {}
for line in sys.stdin:
    rnd, caller, total, ok, seconds, rate, user, system = line.split("\t")
    per = 1e6 / int(total)
    runs.setdefault(caller, {})[int(rnd)] = {
        "total": int(total), "rate": float(rate), "user": float(user) * per,
        "system": float(system) * per, "cpu": (float(user) + float(system)) * per,
    }
rust = runs["rust"]
print("| caller | PUTs | requests/s (median) | vs Rust, same round (median) "
      "| client CPU µs/request (median) | user / sys µs | CPU vs Rust, same round (median) |")
print("|---|---:|---:|---:|---:|---:|---:|")
callers = [c for c in ("rust", "c", "go", "go-base") if c in runs]
for caller in callers:
    r = runs[caller]
    def median_of(key):
        return med(v[key] for v in r.values())
    rate_ratio = med(r[k]["rate"] / rust[k]["rate"] - 1 for k in r)
    cpu_ratio = med(r[k]["cpu"] / rust[k]["cpu"] - 1 for k in r)
    total = r[min(r)]["total"]
    print(f"| {caller} | {total:,} | {median_of('rate'):,.0f} | {rate_ratio:+.1%} "
          f"| {median_of('cpu'):.1f} | {median_of('user'):.1f} / {median_of('system'):.1f} "
          f"| {cpu_ratio:+.1%} |")
print()
print("Per round, requests/s (client CPU µs/request):")
for k in sorted(rust):
    cells = ", ".join(f"{c} {runs[c][k]['rate']:,.0f} ({runs[c][k]['cpu']:.1f})" for c in callers)
    print(f"  round {k}: {cells}")
PY
)"
printf '%s\n' "${rows[@]}" | python3 -c "$summary"
printf '\n%s, %s rounds of %s PUTs, concurrency %s; load average (1, 5, 15 min) before: %s, after: %s\n' \
    "$started" "$rounds" "$count" "$concurrency" "$load_before" "$load_after"
