#!/usr/bin/env bash
# Builds the C library (static and shared) once, checks that the committed header matches a
# fresh one, then compiles and runs the C tests (also under valgrind), the C examples and the
# C++ example. Needs cargo, gcc, g++, valgrind and tinyproxy (installed with apt-get when missing).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
lib="$CARGO_TARGET_DIR/debug/liblogrocket_identify_ffi.a"
out="$CARGO_TARGET_DIR/c"
header=include/logrocket_identify.h
mkdir -p "$out"

step() { printf '\n==> %s\n' "$*"; }

if ! command -v valgrind >/dev/null || ! command -v g++ >/dev/null; then
    step "installing valgrind and g++"
    apt-get update -qq && apt-get install -y -qq valgrind g++ >/dev/null
fi

step "cargo build -p logrocket-ffi (regenerates $header)"
committed="$out/header.committed"
if [[ -f "$header" ]]; then cp "$header" "$committed"; else : >"$committed"; fi
cargo build -p logrocket-ffi
if ! cmp -s "$committed" "$header"; then
    diff -u "$committed" "$header" || true
    echo "FAIL: $header was out of date with crates/logrocket-ffi; the build regenerated it: commit it" >&2
    exit 1
fi
if git ls-files --error-unmatch "$header" >/dev/null 2>&1; then
    git diff --exit-code -- "$header"
fi

cflags=(-Wall -Wextra -Werror -g -Iinclude)
libs=("$lib" -lpthread -ldl -lm)

step "C tests (gcc -std=c11 ${cflags[*]})"
gcc -std=c11 "${cflags[@]}" -Icrates/logrocket-ffi/tests/c crates/logrocket-ffi/tests/c/test_ffi.c \
    crates/logrocket-ffi/tests/c/json.c "${libs[@]}" -o "$out/test_ffi"
"$out/test_ffi" tests/vectors

step "C tests under valgrind"
valgrind --leak-check=full --error-exitcode=1 --quiet \
    --suppressions=crates/logrocket-ffi/tests/c/valgrind.supp \
    "$out/test_ffi" tests/vectors

step "C background delivery tests"
gcc -std=c11 "${cflags[@]}" crates/logrocket-ffi/tests/c/test_delivery.c "${libs[@]}" -o "$out/test_delivery"
"$out/test_delivery"

step "C background delivery tests under valgrind"
valgrind --leak-check=full --error-exitcode=1 --quiet \
    --suppressions=crates/logrocket-ffi/tests/c/valgrind.supp \
    "$out/test_delivery"

step "C network tests (HTTPS emulator, tinyproxy)"
if ! command -v tinyproxy >/dev/null; then
    step "installing tinyproxy"
    apt-get update -qq && apt-get install -y -qq tinyproxy >/dev/null
fi
gcc -std=c11 "${cflags[@]}" crates/logrocket-ffi/tests/c/test_network.c "${libs[@]}" -o "$out/test_network"
"$out/test_network" tests/proxy/tinyproxy.sh

step "C network tests under valgrind"
# --num-callers=40: deep enough for valgrind.supp's rustls entries to see rustls in the stack.
valgrind --leak-check=full --error-exitcode=1 --quiet --num-callers=40 \
    --suppressions=crates/logrocket-ffi/tests/c/valgrind.supp \
    "$out/test_network" tests/proxy/tinyproxy.sh

step "examples/c/identify.c"
gcc -std=c11 "${cflags[@]}" examples/c/identify.c "${libs[@]}" -o "$out/identify"
env -u LOGROCKET_API_KEY "$out/identify"
env -u LOGROCKET_API_KEY valgrind --leak-check=full --error-exitcode=1 --quiet \
    --suppressions=crates/logrocket-ffi/tests/c/valgrind.supp "$out/identify" >/dev/null

step "examples/c/enqueue.c"
gcc -std=c11 "${cflags[@]}" examples/c/enqueue.c "${libs[@]}" -o "$out/enqueue"
env -u LOGROCKET_API_KEY "$out/enqueue"
# Under valgrind everything runs tens of times slower: 200 updates fit close's 10 s deadline.
env -u LOGROCKET_API_KEY valgrind --leak-check=full --error-exitcode=1 --quiet \
    --suppressions=crates/logrocket-ffi/tests/c/valgrind.supp "$out/enqueue" 200 >/dev/null

step "examples/c/identify_many.cpp (g++ -std=c++17)"
g++ -std=c++17 -Wall -Wextra -Werror -g -Iinclude examples/c/identify_many.cpp "${libs[@]}" \
    -o "$out/identify_many"
"$out/identify_many"

step "C: all passed"
