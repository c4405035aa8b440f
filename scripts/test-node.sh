#!/usr/bin/env bash
# Tests the Node package as users install it: scripts/package-node.sh builds the native module
# once (napi build --platform --release) and packs the main package and this platform's package
# into dist/; both tarballs are installed into a scratch project outside the repository with
# cargo off PATH, and the node:test suite (bindings/node/tests: vectors, event loop, CJS/ESM,
# version, install messages, lifecycle, TypeScript via tsc --strict) runs against that installed
# package. The development install (`npm install` in bindings/node: TypeScript for the type
# check, the package the Node example links to) finds the module package-node.sh left next to
# index.js and builds nothing. Needs node, npm and cargo; a rerun only recompiles what changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

./scripts/package-node.sh

# A lock file is committed, but `npm install` (not `ci`) keeps node_modules between runs.
dev_log="$(cd bindings/node && npm install --no-audit --no-fund --foreground-scripts 2>&1)" || {
    printf '%s\n' "$dev_log" >&2
    exit 1
}
if ! grep -q 'nothing to build' <<<"$dev_log"; then
    printf '%s\n' "$dev_log" >&2
    echo "FAIL: the development install did not use the module package-node.sh built" >&2
    exit 1
fi

version="$(node -p "require('./bindings/node/package.json').version")"
platform="$(node -p "require('./bindings/node/prebuilt.js').PLATFORM")"
main_tgz="$root/dist/logrocket-identify-$version.tgz"
platform_tgz="$root/dist/logrocket-identify-$platform-$version.tgz"

# PATH without any directory holding cargo (~/.cargo/bin): nothing below may build.
no_cargo_path=""
IFS=: read -ra path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
    if [[ -n "$dir" && ! -x "$dir/cargo" ]]; then
        no_cargo_path="${no_cargo_path:+$no_cargo_path:}$dir"
    fi
done
if PATH="$no_cargo_path" command -v cargo >/dev/null; then
    echo "FAIL: cargo is still on PATH ($(PATH="$no_cargo_path" command -v cargo))" >&2
    exit 1
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/logrocket-node-scratch.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
echo '{ "name": "scratch", "private": true }' >"$scratch/package.json"
# --offline: the two tarballs are all it needs; the other platforms' optional packages are
# skipped (npm would skip them anyway, their os or cpu differ).
(cd "$scratch" && PATH="$no_cargo_path" npm install --offline --no-audit --no-fund --foreground-scripts "$main_tgz" "$platform_tgz")

# The installed main package holds no native code; the module comes from the platform package.
installed="$scratch/node_modules/logrocket-identify"
if compgen -G "$installed/*.node" >/dev/null; then
    echo "FAIL: the main package carries a native module: $(ls "$installed"/*.node)" >&2
    exit 1
fi
loaded="$(cd "$scratch" && PATH="$no_cargo_path" node -e "
  require('logrocket-identify')
  console.log(Object.keys(require.cache).filter((file) => file.endsWith('.node')).join(' '))")"
if [[ "$loaded" != "$scratch/node_modules/logrocket-identify-$platform/logrocket-identify.$platform.node" ]]; then
    echo "FAIL: loaded '$loaded', not the module of logrocket-identify-$platform" >&2
    exit 1
fi
echo "test-node: the scratch project loads $loaded"

PATH="$no_cargo_path" LOGROCKET_IDENTIFY_NODE_PROJECT="$scratch" \
    node --test bindings/node/tests/*.test.js examples/node/*.test.js "$@"
