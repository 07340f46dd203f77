#!/usr/bin/env bash
# Load test of the tile server with wrk (Debian package wrk): cold tiles (each requested once, on a
# fresh server, with curl; three fresh servers in turn, as one pass varies with the machine's load)
# and warm tiles (the same tiles again, from the cache), over the Kawasaki wards and
# nurseries (z12–z15) and over the demo town (z10–z16). Prints throughput and latency percentiles.
# When nginx is installed (apt-get install nginx-light), the warm run is repeated against nginx
# serving the very same tile bytes as static files, same tiles, same wrk, in the same run.
#   bash scripts/loadtest.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/sasaeai
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Each tile of a list requested once, in turn, on one kept-alive connection (curl); the latency
# percentiles of those first requests. The times are read once curl is done: a reader on a pipe
# wakes for each line and takes a core from the server being measured.
cold() { # list
  sed 's|.*|url = "http://127.0.0.1:18181&"\noutput = /dev/null|' "$1" > "$work/cold.curl"
  curl -s -H 'Accept-Encoding: gzip' -w '%{time_total}\n' -K "$work/cold.curl" > "$work/cold.times"
  python3 -c '
import sys
ms = sorted(float(t) * 1000 for t in open(sys.argv[1]))
at = lambda p: ms[min(len(ms) - 1, int(p / 100 * len(ms)))]
print(f"  {len(ms)} tiles: p50 {at(50):.2f} ms, p90 {at(90):.2f} ms, p99 {at(99):.2f} ms, max {ms[-1]:.2f} ms")' "$work/cold.times"
}

warm() { # list port
  LIST="$1" wrk -t2 -c64 -d"${seconds}s" --latency -s scripts/tile-list.lua "http://127.0.0.1:$2" | grep -E "Requests/sec|50%|90%|99%|requests in|Non-2xx"
}

# The tiles of a list that have content, saved as files under $work/static, and their list.
save_tiles() { # list
  local url code
  : > "$1.content"
  while read -r url; do
    mkdir -p "$work/static$(dirname "$url")"
    code=$(curl -s -H 'Accept-Encoding: gzip' -o "$work/static$url" -w '%{http_code}' "http://127.0.0.1:18181$url")
    if [ "$code" = 200 ]; then echo "$url" >> "$1.content"; else rm -f "$work/static$url"; fi
  done < "$1"
}

# nginx serving $work/static as gzip-encoded vector tiles, two workers, no logging.
nginx_warm() { # list
  command -v nginx >/dev/null || { echo "-- nginx: not installed (apt-get install nginx-light), not compared"; return; }
  cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:18182;
    root $work/static;
    location /tiles/ {
      types { }
      default_type application/vnd.mapbox-vector-tile;
      add_header Content-Encoding gzip;
      add_header Cache-Control no-cache;
    }
  }
}
CONF
  # nginx's workers run as another user: they must be able to read the files.
  chmod 755 "$work"
  nginx -c "$work/nginx.conf" -p "$work"
  curl -sf -o /dev/null "http://127.0.0.1:18182$(head -1 "$1")" || { echo "nginx does not serve the tiles" >&2; exit 1; }
  echo "-- nginx, the same $(wc -l < "$1") tile files (warm, 2 threads, 64 connections, ${seconds}s)"
  warm "$1" 18182
  nginx -c "$work/nginx.conf" -p "$work" -s stop
}

# Starts the server on a store in the background; its pid is in $pid.
start() { # name store-flag store-path
  $bin serve "$2" "$3" --addr 127.0.0.1:18181 > "$work/$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sf http://127.0.0.1:18181/health >/dev/null && break; sleep 0.2; done
}

run() { # name store-flag store-path set bbox...
  local name=$1 flag=$2 store=$3 set=$4; shift 4
  python3 scripts/tile-urls.py "$set" "$@" > "$work/$name.txt"
  echo "== $name: $(wc -l < "$work/$name.txt") distinct tiles, set $set"
  echo "-- cold (each tile rendered on its first request, one after another on one connection; 3 fresh servers)"
  for _ in 1 2 3; do
    start "$name" "$flag" "$store"
    cold "$work/$name.txt"
    kill $pid; wait $pid 2>/dev/null || true
  done
  start "$name" "$flag" "$store"
  echo "-- warm (cached tiles, 2 threads, 64 connections, ${seconds}s)"
  warm "$work/$name.txt" 18181
  save_tiles "$work/$name.txt"
  echo "-- warm, the $(wc -l < "$work/$name.txt.content") tiles with content only"
  warm "$work/$name.txt.content" 18181
  kill $pid; wait $pid 2>/dev/null || true
  nginx_warm "$work/$name.txt.content"
}

# Kawasaki: wards and nurseries from ../shared/data.
$bin import areas --level ward --store "$work/kawasaki.gpkg" ../shared/data/kawasaki/wards.geojson > /dev/null
$bin import sites --kind childcare --store "$work/kawasaki.gpkg" ../shared/data/kawasaki/nurseries.geojson > /dev/null
run kawasaki --store "$work/kawasaki.gpkg" base 139.45 35.47 139.84 35.64 12 15

# The demo town with every layer (its store is built from the demo files on first start).
mkdir -p "$work/demo" && cp geodata/*.geojson "$work/demo/"
run demo --geodata "$work/demo" all 140.02 34.62 140.08 34.652
