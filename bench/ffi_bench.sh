#!/usr/bin/env bash
# The cost a C or Go caller pays per identify above the Rust API's: the same N PUTs (default
# 20,000, concurrency 16) through the Rust blocking identify_many, the C bulk call and Go's
# IdentifyMany, each against one `logrocket emulator` running in another process (release
# builds). Prints a table; run it a few times, loopback timings vary.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
count="${1:-20000}"
rel="$CARGO_TARGET_DIR/release"

cargo build --release -q -p logrocket-cli -p logrocket-ffi
cargo build --release -q -p logrocket-ffi --example ffi_bench
gcc -O2 -Wall -Wextra -Werror -Iinclude bench/ffi_bench.c "$rel/liblogrocket_identify_ffi.a" \
    -lpthread -ldl -lm -o "$rel/ffi_bench_c"

fifo="$(mktemp -u)"
mkfifo "$fifo"
"$rel/logrocket" emulator >"$fifo" &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; rm -f "$fifo"' EXIT
exec 3<"$fifo"
read -r first_line <&3
url="$(grep -o 'http://[^ ]*' <<<"$first_line")"
cat <&3 >/dev/null &

rows=()
for round in 1 2; do
    rows+=("$("$rel/examples/ffi_bench" "$url" "$count")")
    rows+=("$("$rel/ffi_bench_c" "$url" "$count")")
    rows+=("$(cd bindings/go && CGO_LDFLAGS="-L$rel" LOGROCKET_BENCH_URL="$url" LOGROCKET_BENCH_COUNT="$count" \
        go test -count=1 -v -run TestBenchIdentifyMany . | grep -E '^go	')")
done
printf '%s\n' "${rows[@]}" | awk -F'\t' '
    { best[$1] = ($5 > best[$1]) ? $5 : best[$1]; n[$1] = $2 }
    END {
        printf "| caller | PUTs | best requests/s of 2 | vs Rust |\n|---|---|---|---|\n"
        split("rust c go", order, " ")
        for (i = 1; i <= 3; i++) { k = order[i]; printf "| %s | %d | %.0f | %+.1f%% |\n", k, n[k], best[k], (best[k] / best["rust"] - 1) * 100 }
    }'
