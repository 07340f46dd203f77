#!/usr/bin/env bash
# /api/reach against pgRouting, side by side in one run: the same Heidelberg streets, the same 20
# points around the old town, 15 minutes at 80 m/min (the standard profile).
# - sasaeai: GET /api/reach over HTTP (snap, search, walk-shed polygon and the sites reached), one
#   request at a time (wrk, 1 connection), from a PostgreSQL store holding the streets;
# - pgRouting: pgr_drivingDistance over the edges within a box around the point (the usual
#   pre-filter), then the same plus a concave hull of the nodes reached, in the same database, one
#   query at a time (pgbench, 1 client).
# Needs wrk, PostgreSQL with PostGIS and pgRouting:
#   apt-get install wrk postgresql postgresql-postgis postgresql-15-pgrouting
#   bash scripts/reach-vs-pgrouting.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "PostgreSQL is missing: apt-get install postgresql postgresql-postgis" >&2; exit 1; }
ls /usr/share/postgresql/*/extension/pgrouting.control >/dev/null 2>&1 \
  || { echo "pgRouting is missing: apt-get install postgresql-15-pgrouting" >&2; exit 1; }
cargo build --release --quiet
bin=$PWD/target/release/sasaeai
work=$(mktemp -d)
chmod 755 "$work"
# PostgreSQL refuses to run as root: as root, the cluster is the postgres user's.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_pg "$pgbin/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
  -o "-p 18190 -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
admin=postgres://postgres@127.0.0.1:18190/bench
sql() { psql -q -X -v ON_ERROR_STOP=1 "$admin" "$@"; }
psql -q -X "postgres://postgres@127.0.0.1:18190/postgres" -c "CREATE ROLE sasaeai LOGIN" -c "CREATE DATABASE bench OWNER sasaeai"
sql -c "CREATE EXTENSION postgis" -c "CREATE EXTENSION pgrouting"
store=postgres://sasaeai@127.0.0.1:18190/bench
$bin import network --store "$store" --tenant bench ../shared/data/osm/heidelberg.osm.pbf

# The same 20 points for both, spread with a fixed seed over the old town and its neighbours.
python3 - > "$work/points.csv" <<'PY'
import random
r = random.Random(20)
for k in range(1, 21):
    print(f"{k},{r.uniform(8.675, 8.715):.6f},{r.uniform(49.400, 49.418):.6f}")
PY

echo "== sasaeai: GET /api/reach, standard profile, 15 minutes (1 connection, ${seconds}s)"
$bin serve --store "$store" --tenant bench --addr 127.0.0.1:18191 > "$work/serve.log" 2>&1 &
for _ in $(seq 100); do curl -sf http://127.0.0.1:18191/health >/dev/null && break; sleep 0.2; done
while IFS=, read -r _ lon lat; do
  echo "/api/reach?lon=$lon&lat=$lat&minutes=15&profile=standard"
done < "$work/points.csv" > "$work/reach.txt"
while read -r u; do
  curl -sf -o /dev/null "http://127.0.0.1:18191$u" || { echo "sasaeai does not answer $u" >&2; exit 1; }
done < "$work/reach.txt"
LIST="$work/reach.txt" wrk -t1 -c1 -d"${seconds}s" --latency -s scripts/tile-list.lua http://127.0.0.1:18191 \
  | grep -E "Latency  |50%|99%|Requests/sec|Non-2xx"

sql <<SQL
CREATE TABLE points (k int PRIMARY KEY, geom geometry(Point, 4326));
CREATE TABLE vertices AS
  SELECT DISTINCT ON (id) id, geom FROM (
    SELECT source AS id, ST_StartPoint(geom) AS geom FROM network
    UNION ALL SELECT target, ST_EndPoint(geom) FROM network) ends
  ORDER BY id;
CREATE INDEX ON vertices (id);
ANALYZE network;
ANALYZE vertices;
SQL
while IFS=, read -r k lon lat; do echo "INSERT INTO points VALUES ($k, ST_SetSRID(ST_MakePoint($lon, $lat), 4326));"; done \
  < "$work/points.csv" | sql
# The search: the nearest street's node, then every node within 15 minutes over the edges in a box
# of ±0.02° (about 1.5 km east–west, 2.2 km north–south: a 1.2 km walk fits).
cat > "$work/search.sql" <<'SQL'
\set k random(1, 20)
SELECT count(*) FROM points p, LATERAL pgr_drivingDistance(
  format('SELECT fid AS id, source, target, length_m / 80.0 AS cost, length_m / 80.0 AS reverse_cost
          FROM network WHERE geom && %L::geometry', ST_Expand(p.geom, 0.02)),
  (SELECT source FROM network ORDER BY geom <-> p.geom LIMIT 1), 15.0, directed => false) d
WHERE p.k = :k;
SQL
cat > "$work/hull.sql" <<'SQL'
\set k random(1, 20)
SELECT ST_Area(ST_ConcaveHull(ST_Collect(v.geom), 0.3)::geography) FROM points p, LATERAL pgr_drivingDistance(
  format('SELECT fid AS id, source, target, length_m / 80.0 AS cost, length_m / 80.0 AS reverse_cost
          FROM network WHERE geom && %L::geometry', ST_Expand(p.geom, 0.02)),
  (SELECT source FROM network ORDER BY geom <-> p.geom LIMIT 1), 15.0, directed => false) d
  JOIN vertices v ON v.id = d.node
WHERE p.k = :k;
SQL
for q in search hull; do
  echo "== pgRouting: $q (1 client, ${seconds}s)"
  "$pgbin/pgbench" -n -c 1 -T "$seconds" -f "$work/$q.sql" "$admin" 2>&1 | grep -E "latency average|tps|failed"
done
