#!/usr/bin/env bash
# Builds the C library once (cargo build -p logrocket-ffi, shared with scripts/test-c.sh), then
# runs go vet and go test on bindings/go, which links target/debug/liblogrocket_identify_ffi.a.
# Needs cargo, go and a C compiler; uses no Go modules beyond the standard library.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CGO_ENABLED=1
# The package's #cgo directive looks in target/debug under the workspace; point it at another
# target directory when CARGO_TARGET_DIR moves it.
export CGO_LDFLAGS="-L$CARGO_TARGET_DIR/debug ${CGO_LDFLAGS:-}"

printf '\n==> cargo build -p logrocket-ffi\n'
cargo build -p logrocket-ffi

cd bindings/go
printf '\n==> gofmt, go vet\n'
unformatted="$(gofmt -l .)"
if [[ -n "$unformatted" ]]; then
    echo "gofmt needed: $unformatted" >&2
    exit 1
fi
go vet ./...

printf '\n==> go test (vectors, 32 goroutines, Close racing calls; -race)\n'
go test -count=1 -race "$@" ./...

printf '\n==> examples/go\n'
cd "$root/examples/go"
gofmt -l . | (! grep .)
go vet ./...
go run .
