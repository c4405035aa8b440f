#!/usr/bin/env bash
# Builds and runs every check and test of the project, from the project's own files only.
# README.md names this script as the test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "conformance vectors are up to date with their generator"
python3 tests/vectors/generate.py --check

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
