#!/usr/bin/env bash
# A static HTTP server for the benchmarks: nginx on 127.0.0.1 at a free port, answering every
# request (any method, any path) at once with 200 and `{"userID":"u","traits":{}}`
# (application/json), keep-alive on, one worker, no access log. It isolates a client's own cost
# from the emulator's.
#
#   bench/static_server.sh        # first stdout line: http://127.0.0.1:PORT; runs until killed
#
# Installs nginx from Debian (apt-get) if /usr/sbin/nginx is missing. nginx runs in the
# foreground (daemon off) with its configuration, pid file and temp paths in a temp dir, removed
# on exit. Stop it by sending TERM (or INT) to this script's PID: nginx is stopped by its own PID.
set -euo pipefail

NGINX=${NGINX:-/usr/sbin/nginx}
if [[ ! -x $NGINX ]]; then
  echo "static_server: installing nginx" >&2
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq nginx >&2
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/static-nginx.XXXXXX")
chmod 755 "$dir" # nginx's worker may run as another user
nginx_pid=

cleanup() {
  trap - EXIT INT TERM
  if [[ -n $nginx_pid ]] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill -TERM "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  else
    echo $((20000 + RANDOM % 30000))
  fi
}

write_config() {
  cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log stderr warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
    server_tokens off;
    default_type application/json;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;

    server {
        listen 127.0.0.1:$1;
        location / {
            return 200 '{"userID":"u","traits":{}}';
        }
    }
}
EOF
}

# Another process may take the port between choosing and binding it: try a few.
for _ in 1 2 3 4 5; do
  port=$(free_port)
  write_config "$port"
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e stderr >&2 &
  nginx_pid=$!
  for _ in $(seq 100); do
    if ! kill -0 "$nginx_pid" 2>/dev/null; then break; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "http://127.0.0.1:$port"
      wait "$nginx_pid" || true
      exit 0
    fi
    sleep 0.05
  done
  kill -TERM "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=
done
echo "static_server: nginx did not start" >&2
exit 1
