#!/usr/bin/env bash
# Two sasaeai instances over one PostgreSQL database against one: warm tile throughput (the demo
# town's `all` set, z13–16, every tile requested once before measuring) with wrk on the same
# machine — so the figure to read is the ratio, not the absolute. Starts a throwaway PostgreSQL
# cluster (Debian's postgresql and postgresql-postgis) in a temporary folder.
#   bash scripts/instances.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
cargo build --release --quiet
bin=$PWD/target/release/sasaeai
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; sleep 0.5; rm -rf "$work"' EXIT
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres "$work"; as_pg=(setpriv --reuid postgres --regid postgres --init-groups); fi
"${as_pg[@]}" "$pgbin/initdb" -D "$work/data" -U admin --auth=trust -E UTF8 --no-locale --no-sync >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$pgbin/postgres" -D "$work/data" -p "$port" -k "$work" -c listen_addresses=127.0.0.1 >"$work/pg.log" 2>&1 &
for _ in $(seq 100); do psql -qAt -h 127.0.0.1 -p "$port" -U admin -d postgres -c 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
psql -q -h 127.0.0.1 -p "$port" -U admin -d postgres -c 'CREATE ROLE sasaeai LOGIN' -c 'CREATE DATABASE care OWNER sasaeai'
psql -q -h 127.0.0.1 -p "$port" -U admin -d care -c 'CREATE EXTENSION postgis'
url="postgres://sasaeai@127.0.0.1:$port/care"

mkdir -p "$work/demo" && cp geodata/*.geojson "$work/demo/"
"$bin" user list --geodata "$work/demo" >/dev/null  # builds demo.gpkg from the demo files
"$bin" migrate --from "$work/demo/demo.gpkg" --to "$url" --tenant demo | tail -1

python3 scripts/tile-urls.py all 140.02 34.62 140.08 34.652 13 16 > "$work/tiles.txt"

start() { # port
  RUST_LOG=warn "$bin" serve --store "$url" --tenant demo --private "$work/demo.private.sqlite" --addr "127.0.0.1:$1" >"$work/$1.log" 2>&1 &
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/health" >/dev/null && break; sleep 0.1; done
  while read -r t; do curl -s -o /dev/null "http://127.0.0.1:$1$t"; done < "$work/tiles.txt"
}
rate() { awk '/Requests\/sec/ {print $2}'; }

echo "== $(wc -l < "$work/tiles.txt") tiles, ${seconds}s each run"
start 18301
one=$(LIST="$work/tiles.txt" wrk -t2 -c64 -d"${seconds}s" -s scripts/tile-list.lua http://127.0.0.1:18301 | rate)
echo "one instance:  $one req/s (wrk -t2 -c64)"
start 18302
(LIST="$work/tiles.txt" wrk -t1 -c32 -d"${seconds}s" -s scripts/tile-list.lua http://127.0.0.1:18301 | rate > "$work/a.txt") &
other=$!
LIST="$work/tiles.txt" wrk -t1 -c32 -d"${seconds}s" -s scripts/tile-list.lua http://127.0.0.1:18302 | rate > "$work/b.txt"
wait $other
two=$(python3 -c "print(round($(cat "$work/a.txt") + $(cat "$work/b.txt")))")
echo "two instances: $two req/s (wrk -t1 -c32 on each)"
python3 -c "print(f'ratio two/one: {$two / $one:.2f}')"
