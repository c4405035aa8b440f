#!/usr/bin/env bash
# One version for every package: the workspace's ([workspace.package] version in the top-level
# Cargo.toml). Fails, naming each file and what it says, when a package states another:
#   - every crate of the workspace (cargo metadata; they take version.workspace = true), and so
#     the Python package (its version is the binding crate's, and __version__ is compiled from
#     it: bindings/python/tests/test_version.py checks the built package) and lr_version();
#   - bindings/node/package.json's "version", its optionalDependencies on its own platform
#     packages, and bindings/node/package-lock.json's root package;
#   - bindings/node/npm/*/package.json (the prebuilt platform packages);
#   - Go's `const Version` in bindings/go/*.go, when there is one.
# Needs python3 and cargo.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

metadata="$(cargo metadata --no-deps --format-version 1 --offline)"

python3 - "$metadata" <<'EOF'
import glob
import json
import os
import re
import sys

def workspace_version():
    text = open("Cargo.toml", encoding="utf-8").read()
    section = re.search(r"^\[workspace\.package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    version = section and re.search(r'^version\s*=\s*"([^"]+)"', section.group(1), re.M)
    if not version:
        sys.exit("check-versions: no version in [workspace.package] of Cargo.toml")
    return version.group(1)

expected = workspace_version()
found = []  # (where, version)

for package in json.loads(sys.argv[1])["packages"]:
    manifest = os.path.relpath(package["manifest_path"])
    found.append((f"crate {package['name']} ({manifest})", package["version"]))

pyproject = open("bindings/python/pyproject.toml", encoding="utf-8").read()
if re.search(r'^version\s*=', pyproject, re.M):
    found.append(("bindings/python/pyproject.toml (a literal version: use dynamic = [\"version\"])",
                  re.search(r'^version\s*=\s*"([^"]*)"', pyproject, re.M).group(1)))

def package_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)

node = package_json("bindings/node/package.json")
found.append(("bindings/node/package.json \"version\"", node.get("version")))
for name, version in sorted(node.get("optionalDependencies", {}).items()):
    if name.startswith(node["name"] + "-"):
        found.append((f"bindings/node/package.json optionalDependencies[{name}]", version))
try:
    lock = package_json("bindings/node/package-lock.json")
    found.append(("bindings/node/package-lock.json \"version\"", lock.get("version")))
    root_package = lock.get("packages", {}).get("")
    if root_package is not None:
        found.append(("bindings/node/package-lock.json packages[\"\"].version", root_package.get("version")))
except FileNotFoundError:
    pass
for path in sorted(glob.glob("bindings/node/npm/*/package.json")):
    found.append((f"{path} \"version\"", package_json(path).get("version")))

for path in sorted(glob.glob("bindings/go/*.go")):
    for match in re.finditer(r'^\s*(?:const\s+)?Version\s*=\s*"([^"]*)"', open(path, encoding="utf-8").read(), re.M):
        found.append((f"{path} const Version", match.group(1)))

wrong = [(where, version) for where, version in found if version != expected]
if wrong:
    print(f"check-versions: the workspace version is {expected} (Cargo.toml [workspace.package]), but:", file=sys.stderr)
    for where, version in wrong:
        print(f"  {where} says {version!r}", file=sys.stderr)
    print("Set every one to the workspace version.", file=sys.stderr)
    sys.exit(1)
print(f"check-versions: {len(found)} version fields, all {expected}")
EOF
