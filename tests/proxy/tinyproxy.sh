#!/usr/bin/env bash
# A real forward proxy for the network tests of every language: tinyproxy (from Debian) on a
# free port of 127.0.0.1, logging each request line (so a test can see its CONNECT), optionally
# asking for Basic credentials.
#
#   tests/proxy/tinyproxy.sh start DIR [USER:PASSWORD]   prints the port once it accepts
#   tests/proxy/tinyproxy.sh stop DIR
#
# DIR receives tinyproxy.conf, tinyproxy.log and tinyproxy.pid. The language test suites call
# this rather than each writing the configuration again.
set -euo pipefail

command=${1:?usage: tinyproxy.sh start|stop DIR [USER:PASSWORD]}
dir=${2:?usage: tinyproxy.sh start|stop DIR [USER:PASSWORD]}

case "$command" in
start)
    if ! command -v tinyproxy >/dev/null; then
        echo "tinyproxy is not installed (apt-get install tinyproxy)" >&2
        exit 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    {
        echo "Listen 127.0.0.1"
        echo "Port $port"
        echo "Timeout 30"
        echo "MaxClients 200"
        echo "Allow 127.0.0.1"
        echo "LogFile \"$dir/tinyproxy.log\""
        # Connect level logs every request line: "Request (file descriptor 5): CONNECT host:port".
        echo "LogLevel Connect"
        if [[ -n "${3:-}" ]]; then
            echo "BasicAuth ${3%%:*} ${3#*:}"
        fi
    } >"$dir/tinyproxy.conf"
    : >"$dir/tinyproxy.log"
    # -d: stay in the foreground, so the pid is tinyproxy's own and stop can kill it.
    tinyproxy -d -c "$dir/tinyproxy.conf" >"$dir/tinyproxy.out" 2>&1 &
    echo $! >"$dir/tinyproxy.pid"
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            exit 0
        fi
        sleep 0.05
    done
    echo "tinyproxy did not start; its output:" >&2
    cat "$dir/tinyproxy.out" >&2
    exit 1
    ;;
stop)
    if [[ -f "$dir/tinyproxy.pid" ]]; then
        kill "$(cat "$dir/tinyproxy.pid")" 2>/dev/null || true
        rm -f "$dir/tinyproxy.pid"
    fi
    ;;
*)
    echo "usage: tinyproxy.sh start|stop DIR [USER:PASSWORD]" >&2
    exit 2
    ;;
esac
