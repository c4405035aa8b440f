#!/usr/bin/env bash
# Builds the Python package from source the way a user installs it (pip + maturin backend),
# then runs its pytest suite, the Python examples and mypy --strict on the typed files.
# Needs only python3 (with venv/pip) and cargo. The extension is built once per run, into the
# workspace's target/ directory, so a rerun only recompiles what changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${PY_VENV:-$root/target/py-venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
py="$venv/bin/python"
# maturin's build hook runs the `maturin` binary from PATH.
export PATH="$venv/bin:$PATH"
"$py" -m pip install --quiet --upgrade pip
"$py" -m pip install --quiet "pytest>=7" "mypy>=1.8" "maturin>=1.9,<2"
# --no-build-isolation reuses the maturin just installed instead of fetching it again per build.
"$py" -m pip install --quiet --no-build-isolation --force-reinstall --no-deps ./bindings/python

"$py" -m pytest -q bindings/python/tests examples/python "$@"
"$py" -m mypy --strict examples/python bindings/python/tests/typed_usage.py
