#!/usr/bin/env bash
# Builds and runs every check and test of the project, from the project's own files only.
# README.md names this script as the test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

# The network tests of every language go through a real forward proxy (tests/proxy/).
if ! command -v tinyproxy >/dev/null; then
    step "installing tinyproxy (the forward proxy of the network tests)"
    apt-get update -qq && apt-get install -y -qq tinyproxy >/dev/null
fi

# Every test talks to servers on loopback. A proxy the machine may need for the package
# registries must not carry those requests; tests of the proxy variables set their own.
export NO_PROXY="${NO_PROXY:+$NO_PROXY,}127.0.0.1,localhost,::1"
export no_proxy="$NO_PROXY"

step "conformance vectors are up to date with their generator"
python3 tests/vectors/generate.py --check

step "one version for every package (the workspace's)"
./scripts/check-versions.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (unit, integration, vectors, CLI, examples)"
cargo test --workspace --all-targets --locked

step "cargo test --doc"
cargo test --workspace --doc --locked

step "examples run"
cargo run --quiet --locked -p logrocket-identify --example identify

step "the README's main job (import examples/users.csv into an embedded emulator) leaves the checkout clean"
cargo run --quiet --locked -p logrocket-cli -- import examples/users.csv --emulator --no-progress
# A clean run removes the rejects file it made (rejects files are git-ignored, so look for it).
if [[ -e examples/users.csv.rejects.jsonl || -n "$(git status --porcelain -- examples)" ]]; then
    git status --short -- examples
    echo "FAIL: the main job changed or left files in examples/" >&2
    exit 1
fi

step "Python: abi3 wheel and sdist into dist/, pytest against the installed wheel without Rust, mypy --strict"
./scripts/test-python.sh

step "Node: npm tarballs into dist/, node --test against them installed without Rust, tsc --strict"
./scripts/test-node.sh

step "C: generated header up to date, C tests (also under valgrind), C and C++ examples"
./scripts/test-c.sh

step "Go: go vet, go test -race over the static library"
./scripts/test-go.sh

step "fault matrix, reduced: every bulk and background path through toxiproxy and the emulator's faults, checked user by user (full size: FULL=1 tests/faults/run.sh)"
./tests/faults/run.sh

step "fuzzing: a short run of each cargo-fuzz target (longer: scripts/fuzz.sh, 60 s each)"
FUZZ_SECONDS="${FUZZ_SECONDS:-10}" FUZZ_JOBS=2 ./scripts/fuzz.sh

step "all passed"
