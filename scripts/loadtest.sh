#!/usr/bin/env bash
# Load test of the tile server with wrk (Debian package wrk): cold tiles (each requested once, on a
# fresh server) and warm tiles (the same tiles again, from the cache), z10–z16, over the Kawasaki
# wards and nurseries and over the demo town. Prints throughput and latency percentiles.
#   bash scripts/loadtest.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/sasaeai
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

run() { # name store-flag store-path set bbox...
  local name=$1 flag=$2 store=$3 set=$4; shift 4
  python3 scripts/tile-urls.py "$set" "$@" > "$work/$name.txt"
  $bin serve "$flag" "$store" --addr 127.0.0.1:18181 > "$work/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do curl -sf http://127.0.0.1:18181/health >/dev/null && break; sleep 0.2; done
  echo "== $name: $(wc -l < "$work/$name.txt") distinct tiles, set $set"
  echo "-- cold (each tile rendered on first request, 1 connection; latency only: wrk counts its whole -d)"
  LIST="$work/$name.txt" ONCE=1 wrk -t1 -c1 -d120s --latency -s scripts/tile-list.lua http://127.0.0.1:18181 | grep -E "50%|90%|99%|requests in"
  echo "-- warm (cached tiles, 2 threads, 64 connections, ${seconds}s)"
  LIST="$work/$name.txt" wrk -t2 -c64 -d"${seconds}s" --latency -s scripts/tile-list.lua http://127.0.0.1:18181 | grep -E "Requests/sec|50%|90%|99%|requests in"
  kill $pid; wait $pid 2>/dev/null || true
}

# Kawasaki: wards and nurseries from ../shared/data.
$bin import areas --level ward --store "$work/kawasaki.gpkg" ../shared/data/kawasaki/wards.geojson > /dev/null
$bin import sites --kind childcare --store "$work/kawasaki.gpkg" ../shared/data/kawasaki/nurseries.geojson > /dev/null
run kawasaki --store "$work/kawasaki.gpkg" base 139.45 35.47 139.84 35.64

# The demo town with every layer (its store is built from the demo files on first start).
mkdir -p "$work/demo" && cp geodata/*.geojson "$work/demo/"
run demo --geodata "$work/demo" all 140.02 34.62 140.08 34.652
