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

# Tile URLs of a bbox at zooms 10–16, shuffled with a fixed seed.
tiles() { # set minlon minlat maxlon maxlat
  python3 - "$@" <<'PY'
import math, random, sys
s, w, so, e, n = sys.argv[1], *map(float, sys.argv[2:])
def tile(lon, lat, z):
    k = 2 ** z
    return int((lon + 180) / 360 * k), int((1 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2 * k)
urls = []
for z in range(10, 17):
    (x0, y0), (x1, y1) = tile(w, n, z), tile(e, so, z)
    urls += [f"/tiles/{s}/{z}/{x}/{y}.mvt" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
random.Random(7).shuffle(urls)
print("\n".join(urls))
PY
}

cat > "$work/list.lua" <<'LUA'
-- Requests the URLs of LIST in turn; with ONCE set, each only once and then stops.
local urls, i, once = {}, 0, os.getenv("ONCE")
for line in io.lines(os.getenv("LIST")) do urls[#urls + 1] = line end
request = function()
  i = i + 1
  if i > #urls then
    if once then wrk.thread:stop() end
    i = 1
  end
  return wrk.format("GET", urls[i], { ["Accept-Encoding"] = "gzip" })
end
LUA

run() { # name store-flag store-path set bbox...
  local name=$1 flag=$2 store=$3 set=$4; shift 4
  tiles "$set" "$@" > "$work/$name.txt"
  $bin serve "$flag" "$store" --addr 127.0.0.1:18181 > "$work/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do curl -sf http://127.0.0.1:18181/health >/dev/null && break; sleep 0.2; done
  echo "== $name: $(wc -l < "$work/$name.txt") distinct tiles, set $set"
  echo "-- cold (each tile rendered on first request, 1 connection; latency only: wrk counts its whole -d)"
  LIST="$work/$name.txt" ONCE=1 wrk -t1 -c1 -d120s --latency -s "$work/list.lua" http://127.0.0.1:18181 | grep -E "50%|90%|99%|requests in"
  echo "-- warm (cached tiles, 2 threads, 64 connections, ${seconds}s)"
  LIST="$work/$name.txt" wrk -t2 -c64 -d"${seconds}s" --latency -s "$work/list.lua" http://127.0.0.1:18181 | grep -E "Requests/sec|50%|90%|99%|requests in"
  kill $pid; wait $pid 2>/dev/null || true
}

# Kawasaki: wards and nurseries from ../shared/data.
$bin import areas --level ward --store "$work/kawasaki.gpkg" ../shared/data/kawasaki/wards.geojson > /dev/null
$bin import sites --kind childcare --store "$work/kawasaki.gpkg" ../shared/data/kawasaki/nurseries.geojson > /dev/null
run kawasaki --store "$work/kawasaki.gpkg" base 139.45 35.47 139.84 35.64

# The demo town with every layer (its store is built from the demo files on first start).
mkdir -p "$work/demo" && cp geodata/*.geojson "$work/demo/"
run demo --geodata "$work/demo" all 140.02 34.62 140.08 34.652
