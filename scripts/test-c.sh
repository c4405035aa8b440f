#!/usr/bin/env bash
# Builds the C library once, in release (the build that is installed and packaged), checks that
# the committed header matches a fresh one, then compiles and runs the C tests (also under
# valgrind, and under AddressSanitizer and UndefinedBehaviorSanitizer), the check that no API key
# or proxy credential reaches any output (test_secrets.c), the C examples and the C++ example
# against it. Then packages it (scripts/package-c.sh), unpacks the package into a temporary
# prefix as a user without Rust would, and from there, outside the repository: checks the soname, the versions (lr_version,
# pkg-config, CMake) and builds and runs examples/c/identify.c with pkg-config and
# examples/c/identify_many.cpp with CMake's find_package.
# Needs cargo, gcc, g++, cmake, pkg-config, valgrind and tinyproxy (installed with apt-get when
# missing).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
lib="$CARGO_TARGET_DIR/release/liblogrocket_identify_ffi.a"
out="$CARGO_TARGET_DIR/c"
header=include/logrocket_identify.h
mkdir -p "$out"

step() { printf '\n==> %s\n' "$*"; }

missing=()
command -v valgrind >/dev/null || missing+=(valgrind)
command -v g++ >/dev/null || missing+=(g++)
command -v cmake >/dev/null || missing+=(cmake)
command -v pkg-config >/dev/null || missing+=(pkgconf)
if ((${#missing[@]})); then
    step "installing ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

step "cargo build --release -p logrocket-ffi (regenerates $header)"
committed="$out/header.committed"
if [[ -f "$header" ]]; then cp "$header" "$committed"; else : >"$committed"; fi
cargo build --release -p logrocket-ffi
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

step "C hostile inputs (tests/vectors/hostile; under valgrind without the 100,000-trait cases)"
gcc -std=c11 "${cflags[@]}" -Icrates/logrocket-ffi/tests/c crates/logrocket-ffi/tests/c/test_hostile.c \
    crates/logrocket-ffi/tests/c/json.c "${libs[@]}" -o "$out/test_hostile"
"$out/test_hostile" tests/vectors/hostile/hostile.json
valgrind --leak-check=full --error-exitcode=1 --quiet \
    --suppressions=crates/logrocket-ffi/tests/c/valgrind.supp \
    "$out/test_hostile" --skip-large tests/vectors/hostile/hostile.json

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

step "C: no API key or proxy credentials in any output (log callback at LR_LOG_TRACE, RUST_LOG=trace)"
gcc -std=c11 "${cflags[@]}" crates/logrocket-ffi/tests/c/test_secrets.c "${libs[@]}" -o "$out/test_secrets"
"$out/test_secrets" tests/proxy/tinyproxy.sh

step "C tests under AddressSanitizer and UndefinedBehaviorSanitizer (gcc -fsanitize=address,undefined)"
# The same programs, instrumented, against the same release library (the Rust side is not
# instrumented, but ASan intercepts every malloc and free, so a C test or the FFI freeing twice,
# freeing what it does not own, leaking or overrunning a buffer the library returned is caught).
# All four run whole: test_hostile with its 100,000-trait cases, test_delivery (about 40 s,
# almost all of it its own deadlines and rate limits, as without sanitizers). No LeakSanitizer
# suppressions are needed.
asan="$out/asan"
mkdir -p "$asan"
sanitize=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
tests_c=crates/logrocket-ffi/tests/c
gcc -std=c11 "${cflags[@]}" "${sanitize[@]}" -I"$tests_c" "$tests_c/test_ffi.c" "$tests_c/json.c" "${libs[@]}" -o "$asan/test_ffi"
gcc -std=c11 "${cflags[@]}" "${sanitize[@]}" -I"$tests_c" "$tests_c/test_hostile.c" "$tests_c/json.c" "${libs[@]}" -o "$asan/test_hostile"
gcc -std=c11 "${cflags[@]}" "${sanitize[@]}" "$tests_c/test_delivery.c" "${libs[@]}" -o "$asan/test_delivery"
gcc -std=c11 "${cflags[@]}" "${sanitize[@]}" "$tests_c/test_network.c" "${libs[@]}" -o "$asan/test_network"
gcc -std=c11 "${cflags[@]}" "${sanitize[@]}" "$tests_c/test_secrets.c" "${libs[@]}" -o "$asan/test_secrets"
(
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    "$asan/test_ffi" tests/vectors
    "$asan/test_hostile" tests/vectors/hostile/hostile.json
    "$asan/test_delivery"
    "$asan/test_network" tests/proxy/tinyproxy.sh
    "$asan/test_secrets" tests/proxy/tinyproxy.sh
)

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

# ---- The package, installed where a user would put it, used from outside the repository ----

step "scripts/package-c.sh (the same release build)"
./scripts/package-c.sh --out "$out/dist" --no-build
version="$(awk '/^\[/ { section = $0 } section == "[workspace.package]" && /^version *=/ {
    gsub(/^version *= *"|".*$/, ""); print; exit }' Cargo.toml)"
IFS=. read -r major minor patch <<<"${version%%[-+]*}"
# The soname's version (Cargo's compatibility rule, see build.rs) and a request it must refuse.
if [[ "$major.$minor" == 0.0 ]]; then abi="0.0.$patch" next_abi="0.0.$((patch + 1))"
elif [[ "$major" == 0 ]]; then abi="0.$minor" next_abi="0.$((minor + 1))"
else abi="$major" next_abi="$((major + 1))"; fi
tarballs=("$out/dist/logrocket-identify-c-$version-"*.tar.gz)
tarball="${tarballs[0]}"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
prefix="$scratch/prefix"
mkdir -p "$prefix"
step "unpacking $(basename "$tarball") into $prefix (no cargo involved from here)"
tar -xzf "$tarball" -C "$prefix" --strip-components=1
fail() { echo "FAIL: $*" >&2; exit 1; }
for file in include/logrocket_identify.h lib/liblogrocket_identify_ffi.a \
    "lib/liblogrocket_identify_ffi.so.$version" lib/pkgconfig/logrocket-identify.pc \
    lib/pkgconfig/logrocket-identify-static.pc lib/cmake/logrocket_identify/logrocket_identifyConfig.cmake \
    lib/cmake/logrocket_identify/logrocket_identifyConfigVersion.cmake; do
    [[ -f "$prefix/$file" ]] || fail "the package has no $file"
done
cmp -s include/logrocket_identify.h "$prefix/include/logrocket_identify.h" || fail "the packaged header differs from $header"

step "soname (readelf -d)"
soname="liblogrocket_identify_ffi.so.$abi"
readelf -d "$prefix/lib/liblogrocket_identify_ffi.so.$version" | grep "(SONAME)"
actual="$(readelf -d "$prefix/lib/liblogrocket_identify_ffi.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[[ "$actual" == "$soname" ]] || fail "soname is '$actual', expected $soname"
[[ "$(readlink "$prefix/lib/$soname")" == "liblogrocket_identify_ffi.so.$version" ]] || fail "lib/$soname is not a symlink to the library"
[[ "$(readlink "$prefix/lib/liblogrocket_identify_ffi.so")" == "$soname" ]] || fail "lib/liblogrocket_identify_ffi.so is not a symlink to $soname"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
step "versions: workspace $version = pkg-config = CMake package = lr_version()"
[[ "$(pkg-config --modversion logrocket-identify)" == "$version" ]] || fail "logrocket-identify.pc says $(pkg-config --modversion logrocket-identify)"
[[ "$(pkg-config --modversion logrocket-identify-static)" == "$version" ]] || fail "logrocket-identify-static.pc has another version"
cat >"$scratch/versions.cmake" <<EOF
# find_package's checks, as it makes them: this version, and which requests it meets.
cmake_minimum_required(VERSION 3.16)
set(CMAKE_SIZEOF_VOID_P 8)
foreach(case "$abi:TRUE" "$version:TRUE" "$next_abi:FALSE" "$major.$minor.$((patch + 1)):FALSE" ":TRUE")
  string(REPLACE ":" ";" case "\${case}")
  list(GET case 0 PACKAGE_FIND_VERSION)
  list(GET case 1 expected)
  string(REPLACE "." ";" parts "\${PACKAGE_FIND_VERSION}.0.0")
  list(GET parts 0 PACKAGE_FIND_VERSION_MAJOR)
  list(GET parts 1 PACKAGE_FIND_VERSION_MINOR)
  list(GET parts 2 PACKAGE_FIND_VERSION_PATCH)
  unset(PACKAGE_VERSION_COMPATIBLE)
  include("$prefix/lib/cmake/logrocket_identify/logrocket_identifyConfigVersion.cmake")
  if(NOT PACKAGE_VERSION STREQUAL "$version")
    message(FATAL_ERROR "ConfigVersion says \${PACKAGE_VERSION}, not $version")
  endif()
  if(NOT PACKAGE_VERSION_COMPATIBLE STREQUAL expected)
    message(FATAL_ERROR "a request for '\${PACKAGE_FIND_VERSION}': compatible=\${PACKAGE_VERSION_COMPATIBLE}, expected \${expected}")
  endif()
endforeach()
EOF
cmake -P "$scratch/versions.cmake"
# lr_version() through the static library (logrocket-identify-static.pc); the shared one's is
# identify's output below.
cat >"$scratch/version.c" <<'EOF'
#include <stdio.h>
#include "logrocket_identify.h"
int main(void) { puts(lr_version()); return 0; }
EOF
# shellcheck disable=SC2046 # pkg-config's output is a list of words
gcc -std=c11 -Wall -Werror "$scratch/version.c" $(pkg-config --cflags --libs logrocket-identify-static) \
    -o "$scratch/version"
! readelf -d "$scratch/version" | grep -q liblogrocket_identify || fail "the static link needs the shared library"
[[ "$("$scratch/version")" == "$version" ]] || fail "lr_version() of the static library is $("$scratch/version")"
echo "$version everywhere"

step "examples/c/identify.c outside the repository: gcc \$(pkg-config --cflags --libs logrocket-identify)"
mkdir -p "$scratch/c"
cp examples/c/identify.c "$scratch/c/"
(
    cd "$scratch/c"
    # shellcheck disable=SC2046
    gcc -std=c11 -Wall -Wextra -Werror identify.c $(pkg-config --cflags --libs logrocket-identify) -o identify
    readelf -d identify | grep -q "NEEDED.*\[$soname\]" || fail "identify does not load $soname"
    # The prefix is no place the dynamic loader searches: say where it is, as ldconfig would.
    LD_LIBRARY_PATH="$prefix/lib" env -u LOGROCKET_API_KEY ./identify | tee output
    grep -q "with lr $version\$" output || fail "the shared library's lr_version() is not $version"
)

step "examples/c/identify_many.cpp outside the repository: CMake find_package(logrocket_identify)"
mkdir -p "$scratch/cmake"
cp examples/c/CMakeLists.txt examples/c/identify_many.cpp examples/c/identify.c examples/c/enqueue.c "$scratch/cmake/"
(
    cd "$scratch/cmake"
    cmake -S . -B build -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" | tee configure.log
    grep -q "logrocket_identify $version in $prefix/lib/cmake/logrocket_identify" configure.log ||
        fail "find_package did not find version $version in $prefix"
    cmake --build build -j "$(nproc)"
    readelf -d build/identify_many | grep -q "NEEDED.*\[$soname\]" || fail "identify_many does not load $soname"
    ! readelf -d build/identify_many_static | grep -q liblogrocket_identify || fail "identify_many_static needs the shared library"
    # No LD_LIBRARY_PATH: CMake gave the build tree's programs the prefix's lib/ as RUNPATH.
    echo "shared:" && ./build/identify_many
    echo "static:" && ./build/identify_many_static
)

step "C: all passed"
