#!/usr/bin/env bash
# Builds the prebuilt C package: a release build of crates/logrocket-ffi installed by
# scripts/install-c.sh --relocatable into a staging directory, packed as
#
#   dist/logrocket-identify-c-VERSION-TARGET.tar.gz     (e.g. ...-0.1.0-x86_64-unknown-linux-gnu)
#
# with include/ and lib/ (libraries, pkg-config files, CMake package) under one top directory.
# Installing it needs no Rust toolchain: unpack it into any prefix, the .pc files and the CMake
# package find their prefix from where they are:
#
#   tar -xzf logrocket-identify-c-0.1.0-x86_64-unknown-linux-gnu.tar.gz -C /usr/local --strip-components=1
#
#   scripts/package-c.sh [--out DIR] [--no-build]     (default: dist/; --no-build as install-c.sh)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
out="$root/dist"
install_args=()
while (($#)); do
    case "$1" in
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    --out=*) out="${1#*=}"; shift ;;
    --no-build) install_args+=(--no-build); shift ;;
    *) echo "package-c.sh: unknown argument: $1 (--out DIR, --no-build)" >&2; exit 2 ;;
    esac
done
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

version="$(awk '/^\[/ { section = $0 } section == "[workspace.package]" && /^version *=/ {
    gsub(/^version *= *"|".*$/, ""); print; exit }' "$root/Cargo.toml")"
target="$(rustc -vV | sed -n 's/^host: //p')"
name="logrocket-identify-c-$version-$target"
stage="$CARGO_TARGET_DIR/c-package"
rm -rf "$stage"
mkdir -p "$stage" "$out"

"$root/scripts/install-c.sh" --prefix "$stage/$name" --relocatable "${install_args[@]}"

tarball="$out/$name.tar.gz"
# Sorted, owned by root: the same build gives the same listing.
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner -czf "$tarball" "$name"

size() { numfmt --to=iec-i --suffix=B --format='%.1f' "$(stat -c %s "$1")"; }
printf '\npackaged %s (%s)\n' "$tarball" "$(size "$tarball")"
