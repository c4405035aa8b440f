#!/usr/bin/env bash
# Builds the Node packages the way napi-rs projects publish them, into dist/:
#   dist/logrocket-identify-<version>.tgz             the main package: JS, types and napi's
#       loader (native.js), no native code; its optionalDependencies name one package a platform
#   dist/logrocket-identify-<platform>-<version>.tgz  this host's platform package
#       (bindings/node/npm/<platform>/: os, cpu and libc set, the .node file alone)
# Steps, all with the pinned napi CLI (`npm run napi` in bindings/node):
#   1. `napi build --platform --release` (`npm run build`): bindings/node/logrocket-identify.
#      <platform>.node, native.js and native.d.ts; the module is then stripped of its symbols
#      and line tables (a copy: cargo's own artefact keeps them).
#   2. `napi create-npm-dirs`: npm/<platform>/ for every target in package.json's napi.targets.
#   3. `napi artifacts`: the host's .node into its npm/<platform>/ folder.
#   4. `npm pack` of the main package and of the host's platform package; prints their sizes.
# The other platforms' modules are built on those platforms (or cross-compiled) and collected by
# the same `napi artifacts`; `napi pre-publish` then publishes every platform package.
# The .node file left next to index.js is what a development install (`npm install
# ./bindings/node`) finds, so it builds nothing more. Needs node, npm, cargo (and strip).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
node_dir="$root/bindings/node"
dist="$root/dist"
cd "$node_dir"

# One version everywhere: the workspace's, in package.json, its optionalDependencies and every
# npm/<platform>/package.json (scripts/check-versions.sh checks every language's).
workspace_version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")"
node - "$workspace_version" <<'EOF'
const fs = require('node:fs')
const want = process.argv[2]
const pkg = require('./package.json')
const wrong = []
if (pkg.version !== want) wrong.push(`package.json version ${pkg.version}`)
for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
  if (version !== want) wrong.push(`optionalDependencies ${name} ${version}`)
}
for (const dir of fs.existsSync('npm') ? fs.readdirSync('npm') : []) {
  const sub = JSON.parse(fs.readFileSync(`npm/${dir}/package.json`, 'utf8'))
  if (sub.version !== want) wrong.push(`npm/${dir}/package.json version ${sub.version}`)
  if (pkg.optionalDependencies?.[sub.name] === undefined) wrong.push(`npm/${dir} (${sub.name}) missing from optionalDependencies`)
}
if (wrong.length > 0) {
  console.error(`package-node: not the workspace version ${want}:\n  ${wrong.join('\n  ')}`)
  process.exit(1)
}
EOF

# Runs a command, showing its output only when it fails (napi's INFO lines are noise here).
quiet() {
    local out
    if ! out="$("$@" 2>&1)"; then
        printf '%s\n' "$out" >&2
        return 1
    fi
}

platform="$(node -p "require('./prebuilt.js').PLATFORM")"
binary="logrocket-identify.$platform.node"

npm run --silent build
if command -v strip >/dev/null; then
    strip --strip-all "$binary"
else
    echo "package-node: no strip on PATH; $binary keeps its symbols and line tables" >&2
fi

quiet npm run --silent napi -- create-npm-dirs
# `napi artifacts` wants a module for every configured target: give it a config naming only
# the host's (the target napi build just built for).
host_triple="$(rustc -vV | sed -n 's/^host: //p')"
host_config="$(mktemp "${TMPDIR:-/tmp}/napi-host.XXXXXX.json")"
trap 'rm -f "$host_config"' EXIT
node -e '
  const { napi } = require("./package.json")
  if (!napi.targets.includes(process.argv[1])) throw new Error(`${process.argv[1]} is not in napi.targets`)
  require("node:fs").writeFileSync(process.argv[2], JSON.stringify({ ...napi, targets: [process.argv[1]] }))
' "$host_triple" "$host_config"
quiet npm run --silent napi -- artifacts --config-path "$host_config" --output-dir . --npm-dir npm

mkdir -p "$dist"
pack() {
    # npm pack --json: [{ filename, size (the .tgz), unpackedSize, ... }]
    npm pack --json --pack-destination "$dist" "$1" | node -e '
      const [entry] = JSON.parse(require("node:fs").readFileSync(0, "utf8"))
      const mib = (n) => n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`
      console.log(`dist/${entry.filename}\t${mib(entry.size)} (${entry.size} bytes; ${mib(entry.unpackedSize)} unpacked)`)'
}
pack .
pack "./npm/$platform"
