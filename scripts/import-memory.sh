#!/usr/bin/env bash
# Time and peak memory (max RSS) of importing a 100,000-row site CSV and a 50 MB site GeoJSON with the
# release binary into a fresh store. Usage: scripts/import-memory.sh  (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import sys, json
work = sys.argv[1]
with open(f"{work}/sites.csv", "w", encoding="utf-8") as f:
    f.write("名称,種別,住所,緯度,経度,利用可能曜日,開始時間,終了時間,電話番号\n")
    for i in range(100_000):
        lat, lon = 34.0 + (i % 1000) * 1e-4, 131.8 + (i // 1000) * 1e-4
        f.write(f"施設{i},通所介護,山口県周南市大字徳山{i},{lat:.6f},{lon:.6f},月火水木金,9:00,17:00,0834-00-{i % 10000:04d}\n")
with open(f"{work}/sites.geojson", "w", encoding="utf-8") as f:
    f.write('{"type":"FeatureCollection","features":[')
    size, i = 0, 0
    while size < 50 << 20:
        lat, lon = 34.0 + (i % 1000) * 1e-4, 131.8 + (i // 1000) * 1e-4
        feature = json.dumps({"type": "Feature", "properties": {"name": f"施設{i}", "kind": "cafe",
            "address": f"山口県周南市大字徳山{i}", "schedule": "毎週水曜 10–12時", "note": "ふれあいサロン"},
            "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}}, ensure_ascii=False)
        f.write(("," if i else "") + feature)
        size += len(feature.encode()) + 1
        i += 1
    f.write("]}")
PY

for file in sites.csv sites.geojson; do
  bytes=$(stat -c %s "$work/$file")
  /usr/bin/time -f "%e %M" -o "$work/time" \
    target/release/sasaeai import sites "$work/$file" --store "$work/$file.gpkg" >/dev/null 2>&1
  read -r seconds peak_kb < "$work/time"
  echo "$file ($((bytes / 1048576)) MB): ${seconds} s, peak ${peak_kb} KB ($((peak_kb / 1024)) MB) RSS"
done
