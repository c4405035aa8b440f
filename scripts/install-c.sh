#!/usr/bin/env bash
# Installs the C library of logrocket-identify from a release build of crates/logrocket-ffi:
#
#   PREFIX/include/logrocket_identify.h
#   PREFIX/lib/liblogrocket_identify_ffi.a
#   PREFIX/lib/liblogrocket_identify_ffi.so.X.Y.Z, with the symlinks .so.SOVERSION (its soname)
#       and .so (for -l at link time)
#   PREFIX/lib/pkgconfig/logrocket-identify.pc           the shared library (--static: the
#                                                        system libraries a static link needs)
#   PREFIX/lib/pkgconfig/logrocket-identify-static.pc    the static library (the Go package's)
#   PREFIX/lib/cmake/logrocket_identify/                 find_package(logrocket_identify)
#
#   scripts/install-c.sh --prefix /usr/local            then, as root if needed: ldconfig
#   scripts/install-c.sh --prefix ~/.local --libdir lib64
#   DESTDIR=/tmp/stage scripts/install-c.sh --prefix /usr   (staged, for a distribution package)
#
# Options:
#   --prefix DIR     where to install (required)
#   --libdir NAME    the library directory under the prefix (default: lib)
#   --relocatable    the .pc files find the prefix from their own place (${pcfiledir}), so the
#                    tree can be moved or unpacked anywhere (scripts/package-c.sh uses it); the
#                    CMake package is always relocatable
#   --no-build       install target/release as it is (default: cargo build --release first)
#   --no-strip       keep the debug information (line tables) in the installed libraries
#
# Versions come from the workspace (Cargo.toml [workspace.package] version) and the soname from
# the built library (crates/logrocket-ffi/build.rs sets it). Linux (ELF) only. Needs cargo
# (unless --no-build), readelf and strip (binutils).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
packaging="$root/crates/logrocket-ffi/packaging"

prefix=""
libdir=lib
relocatable=false
build=true
strip=true
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while (($#)); do
    case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --libdir) libdir="${2:?--libdir needs a name}"; shift 2 ;;
    --libdir=*) libdir="${1#*=}"; shift ;;
    --relocatable) relocatable=true; shift ;;
    --no-build) build=false; shift ;;
    --no-strip) strip=false; shift ;;
    -h | --help) usage 0 ;;
    *) echo "install-c.sh: unknown argument: $1" >&2; usage ;;
    esac
done
[[ -n "$prefix" ]] || usage
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac
prefix="${prefix%/}"
libdir="${libdir%/}"
case "$libdir" in
/* | *..* | "") echo "install-c.sh: --libdir must be a relative path inside the prefix" >&2; exit 2 ;;
esac

# [workspace.package] version in Cargo.toml: what every package of the workspace reports.
version="$(awk '/^\[/ { section = $0 } section == "[workspace.package]" && /^version *=/ {
    gsub(/^version *= *"|".*$/, ""); print; exit }' "$root/Cargo.toml")"
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]; then
    echo "install-c.sh: no [workspace.package] version in $root/Cargo.toml" >&2
    exit 1
fi

if $build; then
    (cd "$root" && cargo build --release -p logrocket-ffi)
fi
release="$CARGO_TARGET_DIR/release"
static_lib="$release/liblogrocket_identify_ffi.a"
shared_lib="$release/liblogrocket_identify_ffi.so"
header="$root/include/logrocket_identify.h"
for file in "$static_lib" "$shared_lib" "$header"; do
    [[ -f "$file" ]] || { echo "install-c.sh: $file is missing (build without --no-build)" >&2; exit 1; }
done

soname="$(readelf -d "$shared_lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
if [[ "$soname" != liblogrocket_identify_ffi.so.* ]]; then
    echo "install-c.sh: $shared_lib has no soname (got '$soname'); crates/logrocket-ffi/build.rs sets it" >&2
    exit 1
fi
abi_version="${soname#liblogrocket_identify_ffi.so.}"
shared_file="liblogrocket_identify_ffi.so.$version"
case "$(readelf -h "$shared_lib" | sed -n 's/^ *Class: *//p')" in
ELF64) sizeof_void_p=8 ;;
ELF32) sizeof_void_p=4 ;;
*) echo "install-c.sh: $shared_lib is not an ELF library" >&2; exit 1 ;;
esac
# What a static link needs besides the archive: `rustc --print native-static-libs` for
# x86_64-unknown-linux-gnu (the C tests and scripts/test-c.sh link with them).
native_static_libs=(gcc_s util rt pthread m dl c)
url="$(awk '/^\[/ { section = $0 } section == "[workspace.package]" && /^repository *=/ {
    gsub(/^repository *= *"|".*$/, ""); print; exit }' "$root/Cargo.toml")"

# The prefix as the .pc files give it, and the way from the CMake package's directory to it.
up() { local n; n="$(awk -F/ '{ print NF }' <<<"$libdir")"; printf '../%.0s' $(seq 1 $((n + $1))); }
if $relocatable; then
    pc_prefix="\${pcfiledir}/$(up 1)"
    pc_prefix="${pc_prefix%/}"
else
    pc_prefix="$prefix"
fi
cmake_to_prefix="$(up 2)"
cmake_to_prefix="${cmake_to_prefix%/}"

dest="${DESTDIR:-}$prefix"
lib_dest="$dest/$libdir"
mkdir -p "$dest/include" "$lib_dest/pkgconfig" "$lib_dest/cmake/logrocket_identify"

install -m 644 "$header" "$dest/include/logrocket_identify.h"
install -m 644 "$static_lib" "$lib_dest/liblogrocket_identify_ffi.a"
install -m 755 "$shared_lib" "$lib_dest/$shared_file"
if $strip; then
    # Keeps the symbols (backtraces still name functions); drops the line tables.
    strip --strip-debug "$lib_dest/liblogrocket_identify_ffi.a" "$lib_dest/$shared_file"
fi
if [[ "$soname" != "$shared_file" ]]; then
    ln -sfn "$shared_file" "$lib_dest/$soname"
fi
ln -sfn "$soname" "$lib_dest/liblogrocket_identify_ffi.so"

# Fills a template's @NAME@ placeholders (bash substitution: values may hold any character).
generate() {
    local template="$1" out="$2" text
    text="$(<"$template")"
    text="${text//@VERSION@/$version}"
    text="${text//@ABI_VERSION@/$abi_version}"
    text="${text//@SONAME@/$soname}"
    text="${text//@SHARED_FILE@/$shared_file}"
    text="${text//@PREFIX@/$pc_prefix}"
    text="${text//@LIBDIR@/$libdir}"
    text="${text//@CMAKE_TO_PREFIX@/$cmake_to_prefix}"
    text="${text//@SIZEOF_VOID_P@/$sizeof_void_p}"
    text="${text//@URL@/$url}"
    text="${text//@PRIVATE_LIBS@/$(printf -- '-l%s ' "${native_static_libs[@]}" | sed 's/ $//')}"
    text="${text//@CMAKE_PRIVATE_LIBS@/$(IFS=';'; echo "${native_static_libs[*]}")}"
    if [[ "$text" =~ @[A-Z_]+@ ]]; then
        echo "install-c.sh: $template: ${BASH_REMATCH[0]} has no value" >&2
        exit 1
    fi
    printf '%s\n' "$text" >"$out"
    chmod 644 "$out"
}
generate "$packaging/logrocket-identify.pc.in" "$lib_dest/pkgconfig/logrocket-identify.pc"
generate "$packaging/logrocket-identify-static.pc.in" "$lib_dest/pkgconfig/logrocket-identify-static.pc"
generate "$packaging/logrocket_identifyConfig.cmake.in" \
    "$lib_dest/cmake/logrocket_identify/logrocket_identifyConfig.cmake"
generate "$packaging/logrocket_identifyConfigVersion.cmake.in" \
    "$lib_dest/cmake/logrocket_identify/logrocket_identifyConfigVersion.cmake"

size() { numfmt --to=iec-i --suffix=B --format='%.1f' "$(stat -c %s "$1")"; }
printf 'installed logrocket-identify %s (soname %s) into %s:\n' "$version" "$soname" "$dest"
printf '  %-58s %s\n' "include/logrocket_identify.h" "$(size "$dest/include/logrocket_identify.h")" \
    "$libdir/liblogrocket_identify_ffi.a" "$(size "$lib_dest/liblogrocket_identify_ffi.a")" \
    "$libdir/$shared_file" "$(size "$lib_dest/$shared_file")"
printf '  %s\n' "$libdir/$soname -> $shared_file" "$libdir/liblogrocket_identify_ffi.so -> $soname" \
    "$libdir/pkgconfig/logrocket-identify.pc, logrocket-identify-static.pc" \
    "$libdir/cmake/logrocket_identify/logrocket_identifyConfig.cmake, logrocket_identifyConfigVersion.cmake"
