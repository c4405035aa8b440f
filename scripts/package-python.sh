#!/usr/bin/env bash
# Builds the Python package's two artefacts into dist/ and prints their sizes:
#
#   dist/logrocket_identify-<version>-cp39-abi3-manylinux_2_34_x86_64.whl
#       the compiled extension for the stable ABI (pyo3's abi3-py39): one wheel for CPython 3.9
#       and every later version on x86_64 Linux with glibc >= 2.34; installs without Rust.
#   dist/logrocket_identify-<version>.tar.gz
#       the sdist: the Python sources, the binding crate and the core crates it depends on, the
#       workspace Cargo.toml and Cargo.lock; `pip install` builds it from source with cargo.
#
# maturin builds the wheel in release mode (the `profile` and `strip` of
# bindings/python/pyproject.toml) into the workspace's target/, so a rerun only recompiles what
# changed, and checks the glibc symbols it uses against the manylinux tag (auditwheel's check).
#
# The tag: this machine's glibc is 2.36, and a library linked against glibc >= 2.34 takes the
# pthread functions at their GLIBC_2.34 versions, so manylinux_2_34 is the lowest tag a plain
# build here can claim. An older tag (manylinux_2_28, manylinux2014) needs an older glibc to
# link against: `maturin build --zig --compatibility manylinux_2_28`, or a build inside the
# quay.io/pypa/manylinux_2_28 image. PY_MANYLINUX overrides the tag.
#
# Needs python3 (with venv/pip) and cargo. Tools (maturin) live in the venv PY_VENV
# (target/py-venv), shared with scripts/test-python.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${PY_VENV:-$root/target/py-venv}"
dist="$root/dist"
manylinux="${PY_MANYLINUX:-manylinux_2_34}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if [[ ! -x "$venv/bin/maturin" ]]; then
    "$venv/bin/python" -m pip install --quiet "maturin>=1.9,<2"
fi
maturin="$venv/bin/maturin"

# The one version of every package: [workspace.package] version in the top-level Cargo.toml.
version="$(awk '/^\[/{s=($0=="[workspace.package]")} s && /^version *=/{gsub(/[" ]/,"",$0); sub(/^version=/,"",$0); print; exit}' Cargo.toml)"
[[ -n "$version" ]] || { echo "package-python: no [workspace.package] version in Cargo.toml" >&2; exit 1; }

mkdir -p "$dist"
# Only this package's artefacts: dist/ also holds the other languages'.
rm -f "$dist"/logrocket_identify-*.whl "$dist"/logrocket_identify-*.tar.gz

"$maturin" sdist --manifest-path bindings/python/Cargo.toml --out "$dist" 2>&1 |
    grep -v -e 'manifest has no documentation' -e '^  |$' -e 'package-metadata for more info' \
        -e '^From `cargo package' || true
"$maturin" build --release --compatibility "$manylinux" --interpreter "$venv/bin/python" \
    --manifest-path bindings/python/Cargo.toml --out "$dist"

wheel="$dist/logrocket_identify-$version-cp39-abi3-${manylinux}_x86_64.whl"
sdist="$dist/logrocket_identify-$version.tar.gz"
for artefact in "$wheel" "$sdist"; do
    if [[ ! -f "$artefact" ]]; then
        echo "package-python: expected $artefact, found:" >&2
        ls -l "$dist" >&2
        exit 1
    fi
done

# The sdist must hold everything a build from source compiles: the manifests, the lock file, the
# Python sources and every Rust source file of the binding and of the crates it depends on.
listing="$(tar tzf "$sdist" | sed "s|^logrocket_identify-$version/||")"
missing=()
for file in pyproject.toml Cargo.toml Cargo.lock PKG-INFO bindings/python/Cargo.toml \
    crates/logrocket-identify/Cargo.toml crates/logrocket-emulator/Cargo.toml \
    python/logrocket_identify/py.typed \
    $(find bindings/python/src crates/logrocket-identify/src crates/logrocket-emulator/src \
        -name '*.rs') \
    $(cd bindings/python && find python -name '*.py' -o -name '*.pyi'); do
    grep -qxF -- "$file" <<<"$listing" || missing+=("$file")
done
if ((${#missing[@]})); then
    echo "package-python: the sdist $sdist lacks: ${missing[*]}" >&2
    exit 1
fi

# Sizes in KiB/MiB, packed and unpacked (as bench/README.md's "Packages" table gives them).
"$venv/bin/python" - "$root" "$wheel" "$sdist" <<'EOF'
import os, sys, tarfile, zipfile
root, wheel, sdist = sys.argv[1:]
def human(n):
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.1f} KiB"
with zipfile.ZipFile(wheel) as z:
    wheel_unpacked = sum(i.file_size for i in z.infolist())
with tarfile.open(sdist) as t:
    sdist_unpacked = sum(m.size for m in t.getmembers() if m.isfile())
print("\nPython artefacts:")
for path, unpacked in ((wheel, wheel_unpacked), (sdist, sdist_unpacked)):
    size = os.path.getsize(path)
    print(f"  {os.path.relpath(path, root)}  {human(size)} ({size} bytes; {human(unpacked)} unpacked)")
EOF
