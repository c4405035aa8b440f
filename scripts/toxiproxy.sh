#!/usr/bin/env bash
# Prints the path of a toxiproxy server, installing it when there is none: `toxiproxy-server` on
# PATH, else `server` in Go's bin directory, else `go install
# github.com/Shopify/toxiproxy/v2/cmd/server@latest` there (into the module cache Go uses for
# everything else). With --version, prints its version instead (the module version from the
# binary's build info: `go install` leaves `-version` saying "git").
#
# Used by tests/faults/run.sh, tests/faults/repro/ and bench/wan_bench.sh.
set -euo pipefail
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

toxi=$(command -v toxiproxy-server || true)
if [[ -z "$toxi" ]]; then
    command -v go >/dev/null || die "toxiproxy is missing and there is no go to install it"
    gobin=$(go env GOBIN 2>/dev/null || true)
    [[ -n "$gobin" ]] || gobin="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
    toxi="$gobin/server"
    if [[ ! -x "$toxi" ]]; then
        printf '==> installing toxiproxy (go install github.com/Shopify/toxiproxy/v2/cmd/server@latest)\n' >&2
        timeout 900 go install github.com/Shopify/toxiproxy/v2/cmd/server@latest >&2
        [[ -x "$toxi" ]] || die "no toxiproxy server at $toxi after go install"
    fi
fi
if [[ "${1:-}" == --version ]]; then
    version=$(go version -m "$toxi" 2>/dev/null | awk '$1 == "mod" {print $3; exit}' || true)
    [[ -n "$version" ]] || version=$("$toxi" -version 2>/dev/null | awk '{print $NF; exit}' || true)
    echo "${version:-unknown}"
else
    echo "$toxi"
fi
