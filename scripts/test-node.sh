#!/usr/bin/env bash
# Builds the Node package from source the way a user installs it (`npm install` in
# bindings/node runs its install script: the napi CLI builds the native module with cargo into
# the workspace's target/ directory), then runs its node:test suite (vectors, event loop,
# CJS/ESM, lifecycle, TypeScript via tsc --strict) and the Node example. Needs only node, npm
# and cargo. The native module is built once per run; a rerun only recompiles what changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

# A lock file is committed, but `npm install` (not `ci`) keeps node_modules between runs.
(cd bindings/node && npm install --no-audit --no-fund)

node --test bindings/node/tests/*.test.js examples/node/*.test.js "$@"
