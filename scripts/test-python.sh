#!/usr/bin/env bash
# Tests the Python package the way users install it.
#
# 1. scripts/package-python.sh builds the abi3 wheel and the sdist into dist/ (the extension is
#    compiled in release mode into the workspace's target/, so a rerun only recompiles what
#    changed). The wheel tested below is that artefact itself: the extension is not built again
#    for the tests (only step 3, when it runs, compiles it from the sdist).
# 2. The wheel goes into a fresh venv (target/py-wheel-venv, recreated every run) of the oldest
#    CPython the wheel claims (3.9 when one is found, else python3; PY_WHEEL_PYTHON overrides)
#    under a PATH without cargo or rustc, from no index: pip can only unpack it. From a directory
#    outside the source tree, pytest runs bindings/python/tests and examples/python against the
#    installed package (the suite's conftest fails if it was imported from anywhere else). That
#    venv also gets pyspark 4 (and py4j) for the Spark tests (tests/test_spark.py and
#    examples/spark, local mode: they need java, and skip without it): pyspark is published as
#    an sdist only, so a wheel of it is built once into the wheelhouse (a 430 MB download) and
#    installed from there like the rest. They read their rejects back with the `logrocket` CLI,
#    built here (debug, as `cargo test` builds it) and named by LOGROCKET_CLI. The
#    same wheel file then goes into a fresh venv of the default python3, when that is another
#    version, for a few quick tests; and mypy --strict checks the typed files against the
#    installed stubs.
# 3. The sdist is built from source: pip installs it, cargo on PATH, into the tools venv
#    (target/py-venv), in a target dir of its own, and a few tests run against it. That build
#    compiles the core again, so it runs only when what the sdist holds changed (its file list or
#    its manifests) since the last sdist build that passed, and always on a fresh checkout.
#    PY_SDIST_BUILD=always forces it, PY_SDIST_BUILD=never skips it. (package-python.sh checks
#    on every run that the sdist holds every source file.)
#
# Needs only python3 (with venv/pip) and cargo; pytest, mypy and maturin are installed into the
# tools venv on its first run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${PY_VENV:-$root/target/py-venv}"
export PY_VENV="$venv"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
work="$root/target/py-packaged"
log() { printf -- '--- %s\n' "$*"; }
started=$SECONDS

# Tools: pytest, mypy and maturin, in the tools venv.
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
py="$venv/bin/python"
if [[ ! -x "$venv/bin/pytest" || ! -x "$venv/bin/mypy" || ! -x "$venv/bin/maturin" ]]; then
    "$py" -m pip install --quiet --upgrade pip
    "$py" -m pip install --quiet "pytest>=7" "mypy>=1.8" "maturin>=1.9,<2"
fi

# 1. The artefacts.
log "building the wheel and the sdist (scripts/package-python.sh)"
./scripts/package-python.sh
version="$(awk '/^\[/{s=($0=="[workspace.package]")} s && /^version *=/{gsub(/[" ]/,"",$0); sub(/^version=/,"",$0); print; exit}' Cargo.toml)"
wheels=(dist/logrocket_identify-"$version"-cp39-abi3-manylinux_*_x86_64.whl)
wheel="$root/${wheels[0]}"
sdist="$root/dist/logrocket_identify-$version.tar.gz"
[[ "$(basename "$wheel")" == *-cp39-abi3-* ]] || { echo "FAIL: $wheel is not a cp39-abi3 wheel" >&2; exit 1; }

# 2. The wheel, without Rust.
oldest_python() {
    if [[ -n "${PY_WHEEL_PYTHON:-}" ]]; then
        echo "$PY_WHEEL_PYTHON"
        return
    fi
    local candidate
    for candidate in "$(command -v python3.9 || true)" \
        $(command -v pyenv >/dev/null && compgen -G "$(pyenv root)/versions/3.9*/bin/python3.9"); do
        if [[ -n "$candidate" ]] && "$candidate" -c 'import venv' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    command -v python3
}
minor_version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }

# PATH without any directory holding cargo or rustc (~/.cargo/bin, a system Rust).
no_rust_path=""
IFS=: read -ra path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
    if [[ -z "$dir" || "$dir" == "$HOME/.cargo/bin" || -e "$dir/cargo" || -e "$dir/rustc" ]]; then
        continue
    fi
    no_rust_path="${no_rust_path:+$no_rust_path:}$dir"
done
# `without_rust VENV COMMAND...` runs COMMAND in VENV with that PATH and no Rust variables.
without_rust() {
    local venv_dir="$1"
    shift
    env -u CARGO -u RUSTC -u CARGO_HOME -u RUSTUP_HOME -u RUSTUP_TOOLCHAIN -u CARGO_TARGET_DIR \
        PATH="$venv_dir/bin:$no_rust_path" VIRTUAL_ENV="$venv_dir" "$@"
}
if without_rust /nonexistent bash -c 'command -v cargo || command -v rustc'; then
    echo "FAIL: cargo or rustc is still on the PATH built without them" >&2
    exit 1
fi

# A working directory with nothing in it: no source tree on sys.path.
scratch="$work/run"
rm -rf "$scratch" && mkdir -p "$scratch"

# `install_wheel PYTHON VENV [EXTRA...]`: a fresh venv of PYTHON with the wheel, pytest and the
# EXTRA requirements (only "pyspark" is known), installed without Rust and from no index (a
# wheelhouse of pip, pytest and the extras for that Python is fetched once), and checks the
# package imports from there.
install_wheel() {
    local python="$1" venv_dir="$2" version wheelhouse pip_wheel location
    shift 2
    local extras=("$@")
    version="$(minor_version "$python")"
    wheelhouse="$work/wheelhouse-$version"
    if ! compgen -G "$wheelhouse/pytest-*.whl" >/dev/null || ! compgen -G "$wheelhouse/pip-*.whl" >/dev/null; then
        rm -rf "$work/wheelhouse-venv"
        "$python" -m venv "$work/wheelhouse-venv"
        "$work/wheelhouse-venv/bin/python" -m pip download --quiet --only-binary :all: \
            --dest "$wheelhouse" pip "pytest>=7"
        rm -rf "$work/wheelhouse-venv"
    fi
    pip_wheel="$(compgen -G "$wheelhouse/pip-*.whl" | sort -V | tail -n 1)"
    if [[ " ${extras[*]} " == *" pyspark "* ]] && { ! compgen -G "$wheelhouse/pyspark-4.*.whl" >/dev/null \
        || ! compgen -G "$wheelhouse/py4j-*.whl" >/dev/null; }; then
        # pyspark has no wheel on the index, only an sdist (pure Python): build its wheel once
        # (pip's build isolation fetches setuptools for that), py4j's comes as it is.
        log "building a pyspark 4 wheel into $wheelhouse (once)"
        rm -rf "$work/wheelhouse-venv"
        "$python" -m venv --without-pip "$work/wheelhouse-venv"
        "$work/wheelhouse-venv/bin/python" "$pip_wheel/pip" wheel --quiet \
            --wheel-dir "$wheelhouse" "pyspark>=4,<5"
        rm -rf "$work/wheelhouse-venv"
    fi

    log "installing $(basename "$wheel") into a fresh Python $version venv, cargo and rustc off PATH"
    rm -rf "$venv_dir"
    "$python" -m venv --without-pip "$venv_dir"
    # pip runs from its wheel (quicker than ensurepip); --no-index and --only-binary: nothing to
    # fetch or build, only wheels to unpack.
    without_rust "$venv_dir" "$venv_dir/bin/python" "$pip_wheel/pip" install --quiet --no-index \
        --only-binary :all: --find-links "$wheelhouse" "$wheel" pytest ${extras[@]+"${extras[@]}"}
    location="$(cd "$scratch" && without_rust "$venv_dir" "$venv_dir/bin/python" -c \
        'import logrocket_identify as lr; print(lr.__file__)')"
    if [[ "$location" != "$venv_dir/"* ]]; then
        echo "FAIL: logrocket_identify imported from $location, not from $venv_dir" >&2
        exit 1
    fi
}
# `run_pytest VENV ARGS...`: pytest of VENV from the scratch directory, without Rust; the suite's
# conftest fails unless the package comes from VENV.
run_pytest() {
    local venv_dir="$1"
    shift
    (cd "$scratch" && without_rust "$venv_dir" LOGROCKET_IDENTIFY_EXPECT_INSTALLED_IN="$venv_dir" \
        "$venv_dir/bin/python" -m pytest -q -p no:cacheprovider \
        -c "$root/bindings/python/pyproject.toml" --rootdir "$root" "$@")
}
quick_tests=("$root/bindings/python/tests/test_version.py" "$root/bindings/python/tests/test_inputs.py")

# The whole suite on the oldest CPython the wheel claims, the Spark tests included.
oldest="$(oldest_python)"
fresh="$root/target/py-wheel-venv"
install_wheel "$oldest" "$fresh" pyspark
# The Spark tests feed their rejects back to `logrocket import`: the CLI, as `cargo test` builds
# it (nothing to do after it), built before Rust leaves the PATH.
log "the logrocket CLI for the Spark tests (cargo build -p logrocket-cli)"
cargo build --quiet --locked -p logrocket-cli
export LOGROCKET_CLI="$CARGO_TARGET_DIR/debug/logrocket"
log "pytest against the installed wheel"
run_pytest "$fresh" "$root/bindings/python/tests" "$root/examples/python" "$root/examples/spark" "$@"

# The same file on the default python3 too, when it is another version: quick tests only.
if [[ "$(minor_version python3)" != "$(minor_version "$oldest")" ]]; then
    install_wheel "$(command -v python3)" "$work/wheel-venv-python3"
    run_pytest "$work/wheel-venv-python3" "${quick_tests[@]}"
fi

log "mypy --strict against the installed wheel's stubs"
(cd "$scratch" && "$py" -m mypy --strict --python-executable "$fresh/bin/python" \
    --cache-dir "$work/mypy-cache" \
    "$root/examples/python" "$root/examples/spark" "$root/bindings/python/tests/typed_usage.py")

# 3. The sdist, from source.
stamp_dir="$work/sdist-ok"
key="$("$py" - "$sdist" <<'EOF'
import hashlib, sys, tarfile
digest = hashlib.sha256()
with tarfile.open(sys.argv[1]) as tar:
    for member in sorted(tar.getmembers(), key=lambda m: m.name):
        digest.update(member.name.encode() + b"\0")
        name = member.name.rsplit("/", 1)[-1]
        if member.isfile() and name in ("Cargo.toml", "Cargo.lock", "pyproject.toml", "PKG-INFO"):
            digest.update(tar.extractfile(member).read())
print(digest.hexdigest()[:16])
EOF
)"
case "${PY_SDIST_BUILD:-auto}" in
    always) build_sdist=1 ;;
    never) build_sdist=0 ;;
    *) if [[ -e "$stamp_dir/$key" ]]; then build_sdist=0; else build_sdist=1; fi ;;
esac
if ((build_sdist)); then
    log "pip install $(basename "$sdist") (a build from source, cargo on PATH) into $venv"
    sdist_target="$work/sdist-target"
    # Its own target dir keeps the crates.io dependencies compiled from one run to the next, but
    # the crates the sdist carries must be compiled from its files: forget them first (cargo
    # would otherwise take files of the same relative paths, unpacked with old mtimes, as
    # unchanged).
    rm -rf "$sdist_target"/release/.fingerprint/logrocket-*
    # maturin's build hook runs the `maturin` binary from PATH.
    # --no-cache-dir: pip would otherwise keep the wheel it built, keyed by the sdist's path
    # alone, and install that one next time.
    PATH="$venv/bin:$PATH" CARGO_TARGET_DIR="$sdist_target" "$py" -m pip install --quiet \
        --no-cache-dir --no-build-isolation --no-deps --force-reinstall "$sdist"
    (cd "$scratch" && LOGROCKET_IDENTIFY_EXPECT_INSTALLED_IN="$venv" "$py" -m pytest -q \
        -p no:cacheprovider -c "$root/bindings/python/pyproject.toml" --rootdir "$root" \
        "${quick_tests[@]}")
    rm -rf "$stamp_dir" && mkdir -p "$stamp_dir" && touch "$stamp_dir/$key"
else
    log "sdist: same files and manifests as the last sdist that built from source (PY_SDIST_BUILD=always rebuilds it)"
    # The tools venv gets the package of this run all the same (bench/python_bench.py uses it).
    "$py" -m pip install --quiet --no-index --no-deps --force-reinstall "$wheel"
fi

log "Python: passed in $((SECONDS - started)) s"
