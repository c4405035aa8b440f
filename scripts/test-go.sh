#!/usr/bin/env bash
# Installs the C library (a release build; scripts/install-c.sh, the build scripts/test-c.sh
# uses too) into target/c-prefix, then, finding it with pkg-config as a user's build would
# (PKG_CONFIG_PATH; the package's `#cgo pkg-config: logrocket-identify-static`): go vet and
# go test -race on bindings/go, examples/go, and a scratch module outside the repository that
# imports the package (a replace directive to this checkout) and builds examples/go's program
# with -race. Needs cargo, go, pkg-config and a C compiler; uses no Go modules beyond the
# standard library.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CGO_ENABLED=1
prefix="$CARGO_TARGET_DIR/c-prefix"

step() { printf '\n==> %s\n' "$*"; }

if ! command -v pkg-config >/dev/null; then
    step "installing pkg-config"
    apt-get update -qq && apt-get install -y -qq pkgconf >/dev/null
fi

step "scripts/install-c.sh --prefix $prefix (cargo build --release -p logrocket-ffi)"
rm -rf "$prefix"
./scripts/install-c.sh --prefix "$prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pkg-config --cflags --libs logrocket-identify-static

cd bindings/go
step "gofmt, go vet"
unformatted="$(gofmt -l .)"
if [[ -n "$unformatted" ]]; then
    echo "gofmt needed: $unformatted" >&2
    exit 1
fi
go vet ./...

step "go test (vectors, 32 goroutines, Close racing calls, Version = lr_version(); -race)"
go test -count=1 -race "$@" ./...

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

step "examples/go"
cd "$root/examples/go"
gofmt -l . | (! grep .)
go vet ./...
# go build, not go run: go run may reuse a cached program linked against an older library.
go build -o "$scratch/example" .
"$scratch/example"

step "a scratch module outside the repository: go build -race, then run"
mkdir -p "$scratch/module"
cp "$root/examples/go/main.go" "$scratch/module/"
cat >"$scratch/module/go.mod" <<EOF
module example.com/scratch

go 1.22

require github.com/logrocket-identify/logrocket-identify/bindings/go v0.0.0

replace github.com/logrocket-identify/logrocket-identify/bindings/go => $root/bindings/go
EOF
(
    cd "$scratch/module"
    # Only pkg-config says where the library is.
    env -u CGO_CFLAGS -u CGO_LDFLAGS go build -race -o scratch .
    if readelf -d scratch | grep -q liblogrocket_identify; then
        echo "FAIL: the Go program needs the shared library; it should link the static one" >&2
        exit 1
    fi
    env -u LOGROCKET_API_KEY ./scratch
)

step "Go: all passed"
