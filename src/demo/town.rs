//! The geometry and contents of ささえ市 (架空). Works in EPSG:4326 degrees; the lattice is
//! 12 × 8 cells of about 460 m × 445 m.

use crate::export::round7;
use crate::import::join::kanji_number;
use serde_json::{Value, json};

const ORIGIN_LON: f64 = 140.02;
const ORIGIN_LAT: f64 = 34.62;
const CELL_LON: f64 = 0.005;
const CELL_LAT: f64 = 0.004;
const COLS: usize = 12;
const ROWS: usize = 8;

/// The demo layers as GeoJSON text, one feature per line.
pub struct Town {
    pub areas: String,
    pub sites: String,
    pub population: String,
    /// Walkable streets, lanes and steps.
    pub network: String,
}

impl Town {
    /// The layers in the order of [`super::FILES`].
    pub fn layers(&self) -> [&String; 4] {
        [&self.areas, &self.sites, &self.population, &self.network]
    }
}

/// SplitMix64 over a key: the same key always gives the same value, in any order of use.
fn hash(key: u64) -> u64 {
    let mut z = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A value in [-1, 1) from a key.
fn unit(key: u64) -> f64 {
    (hash(key) >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// A value in [0, 1) from a seed and two counters.
pub(super) fn unit01(seed: u64, i: u64, axis: u64) -> f64 {
    (unit(key(&[seed, i, axis])) + 1.0) / 2.0
}

fn key(parts: &[u64]) -> u64 {
    parts.iter().fold(0xC0FFEE, |acc, p| hash(acc ^ p.wrapping_mul(0x100_0000_01B3)))
}

/// Lattice vertex (i, j), jittered by up to a fifth of a cell.
fn vertex(i: usize, j: usize) -> (f64, f64) {
    let (i, j) = (i as u64, j as u64);
    let dx = if i == 0 || i == COLS as u64 { 0.0 } else { 0.2 * unit(key(&[1, i, j])) };
    let dy = if j == 0 || j == ROWS as u64 { 0.0 } else { 0.2 * unit(key(&[2, i, j])) };
    (ORIGIN_LON + (i as f64 + dx) * CELL_LON, ORIGIN_LAT + (j as f64 + dy) * CELL_LAT)
}

/// The two inner points of the unit edge from lattice `a` to lattice `b` (in that direction),
/// bent sideways by up to 8 % of a cell; the same edge walked backwards gives them reversed.
fn edge_points(a: (usize, usize), b: (usize, usize)) -> Vec<(f64, f64)> {
    let (lo, hi, forward) = if a <= b { (a, b, true) } else { (b, a, false) };
    let (p, q) = (vertex(lo.0, lo.1), vertex(hi.0, hi.1));
    let horizontal = lo.1 == hi.1;
    let outer = (horizontal && (lo.1 == 0 || lo.1 == ROWS)) || (!horizontal && (lo.0 == 0 || lo.0 == COLS));
    let mut pts: Vec<(f64, f64)> = [1.0 / 3.0, 2.0 / 3.0]
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let bend = if outer {
                0.0
            } else {
                0.08 * unit(key(&[3, lo.0 as u64, lo.1 as u64, hi.0 as u64, hi.1 as u64, k as u64]))
            };
            let (x, y) = (p.0 + (q.0 - p.0) * t, p.1 + (q.1 - p.1) * t);
            if horizontal { (x, y + bend * CELL_LAT) } else { (x + bend * CELL_LON, y) }
        })
        .collect();
    if !forward {
        pts.reverse();
    }
    pts
}

/// The counter-clockwise ring around cells `i0..i1` × `j0..j1`.
fn block_ring(i0: usize, j0: usize, i1: usize, j1: usize) -> Vec<[f64; 2]> {
    let mut corners = Vec::new();
    corners.extend((i0..i1).map(|i| (i, j0)));
    corners.extend((j0..j1).map(|j| (i1, j)));
    corners.extend((i0 + 1..=i1).rev().map(|i| (i, j1)));
    corners.extend((j0 + 1..=j1).rev().map(|j| (i0, j)));
    let mut ring = Vec::new();
    for (n, &a) in corners.iter().enumerate() {
        let b = corners[(n + 1) % corners.len()];
        ring.push(vertex(a.0, a.1));
        ring.extend(edge_points(a, b));
    }
    ring.push(ring[0]);
    ring.into_iter().map(|(x, y)| [round7(x), round7(y)]).collect()
}

struct District {
    name: &'static str,
    /// Share of residents aged 65+ and 75+.
    aged65: f64,
    aged75: f64,
    /// Residents per chome, before variation.
    people: f64,
    character: &'static str,
}

/// Districts in lattice order: 4 columns of 3 cells × 2 rows of 4 cells.
const DISTRICTS: [District; 8] = [
    District {
        name: "港", aged65: 0.24, aged75: 0.12, people: 1600.0, character: "漁港と古い商店街"
    },
    District {
        name: "川辺", aged65: 0.27, aged75: 0.14, people: 1400.0, character: "川沿いの住宅地"
    },
    District {
        name: "駅前",
        aged65: 0.14,
        aged75: 0.06,
        people: 3200.0,
        character: "駅前のタワーマンション街",
    },
    District {
        name: "若葉", aged65: 0.18, aged75: 0.08, people: 2400.0, character: "新しい戸建て住宅地"
    },
    District {
        name: "桜台", aged65: 0.36, aged75: 0.20, people: 1200.0, character: "昭和の分譲住宅地"
    },
    District {
        name: "丘の上", aged65: 0.46, aged75: 0.27, people: 1000.0, character: "坂の多い丘陵の団地"
    },
    District {
        name: "緑町", aged65: 0.30, aged75: 0.16, people: 1500.0, character: "農地の残る郊外"
    },
    District {
        name: "日向",
        aged65: 0.22,
        aged75: 0.10,
        people: 2000.0,
        character: "市営住宅と学校のある地区",
    },
];

fn district_cells(d: usize) -> (usize, usize, usize, usize) {
    let (col, row) = (d % 4, d / 4);
    (col * 3, row * 4, col * 3 + 3, row * 4 + 4)
}

fn polygon(ring: Vec<[f64; 2]>) -> Value {
    json!({ "type": "MultiPolygon", "coordinates": [[ring]] })
}

fn feature(geometry: Value, properties: Value) -> Value {
    json!({ "type": "Feature", "geometry": geometry, "properties": properties })
}

fn collection(name: &str, features: &[Value]) -> String {
    let mut out = format!(
        "{{\"type\":\"FeatureCollection\",\"name\":{},\"title\":\"ささえ市（架空）\",\"fictional\":true,\
         \"note\":\"架空のデータです。実在の場所・施設・人口ではありません。 Fictional data generated by sasaeai; not a real place.\",\
         \"features\":[\n",
        Value::from(name)
    );
    let lines: Vec<String> = features.iter().map(Value::to_string).collect();
    out.push_str(&lines.join(",\n"));
    out.push_str("\n]}\n");
    out
}

fn areas() -> Vec<Value> {
    let mut features = vec![feature(
        polygon(block_ring(0, 0, COLS, ROWS)),
        json!({ "name": "ささえ市（架空）", "level": "city", "code": "99999", "fictional": true }),
    )];
    for (w, (name, i0, i1)) in [("西区", 0, 6), ("東区", 6, 12)].into_iter().enumerate() {
        features.push(feature(
            polygon(block_ring(i0, 0, i1, ROWS)),
            json!({ "name": name, "level": "ward", "code": format!("9999{}", w + 1), "fictional": true }),
        ));
    }
    let spheres = [("西南圏域", 0, 0), ("西北圏域", 0, 4), ("東南圏域", 6, 0), ("東北圏域", 6, 4)];
    for (s, (name, i0, j0)) in spheres.into_iter().enumerate() {
        features.push(feature(
            polygon(block_ring(i0, j0, i0 + 6, j0 + 4)),
            json!({ "name": name, "level": "sphere", "code": format!("S{}", s + 1), "fictional": true }),
        ));
    }
    for (d, district) in DISTRICTS.iter().enumerate() {
        let (i0, j0, i1, j1) = district_cells(d);
        features.push(feature(
            polygon(block_ring(i0, j0, i1, j1)),
            json!({ "name": format!("{}地区", district.name), "level": "district", "code": format!("D{}", d + 1),
                    "character": district.character, "fictional": true }),
        ));
    }
    for (d, district) in DISTRICTS.iter().enumerate() {
        for (n, (i, j)) in chome_cells(d).enumerate() {
            features.push(feature(
                polygon(block_ring(i, j, i + 1, j + 1)),
                json!({ "name": format!("{}{}丁目", district.name, kanji_number(n as u32 + 1)), "level": "chome",
                        "code": format!("D{}-{:02}", d + 1, n + 1), "fictional": true }),
            ));
        }
    }
    features
}

fn chome_cells(d: usize) -> impl Iterator<Item = (usize, usize)> {
    let (i0, j0, i1, j1) = district_cells(d);
    (j0..j1).flat_map(move |j| (i0..i1).map(move |i| (i, j)))
}

/// A point inside cell (i, j) at fractions (fx, fy) of its lattice box.
fn cell_point(i: usize, j: usize, fx: f64, fy: f64) -> [f64; 2] {
    let (a, b) = (vertex(i, j), vertex(i + 1, j + 1));
    [round7(a.0 + (b.0 - a.0) * fx), round7(a.1 + (b.1 - a.1) * fy)]
}

fn population() -> Vec<Value> {
    let mut features = Vec::new();
    for (d, district) in DISTRICTS.iter().enumerate() {
        for (n, (i, j)) in chome_cells(d).enumerate() {
            for (q, (fx, fy)) in [(0.3, 0.3), (0.7, 0.3), (0.3, 0.7), (0.7, 0.7)].into_iter().enumerate() {
                let k = key(&[4, i as u64, j as u64, q as u64]);
                let total = (district.people / 4.0 * (1.0 + 0.35 * unit(k))).round() as u32;
                let aged65 = (total as f64 * (district.aged65 + 0.04 * unit(k + 1))).round() as u32;
                let aged75 =
                    (total as f64 * (district.aged75 + 0.02 * unit(k + 2))).round().min(aged65 as f64) as u32;
                features.push(feature(
                    json!({ "type": "Point", "coordinates": cell_point(i, j, fx, fy) }),
                    json!({ "name": format!("{}{}丁目-{}", district.name, kanji_number(n as u32 + 1), q + 1), "total": total,
                            "aged65": aged65, "aged75": aged75, "source": "架空データ", "year": 2026, "fictional": true }),
                ));
            }
        }
    }
    features
}

/// Sites: (kind, names, schedule patterns, audience, districts they are placed in).
struct SiteGroup {
    kind: &'static str,
    names: &'static [&'static str],
    schedules: &'static [&'static str],
    audience: &'static [&'static str],
    operator: &'static str,
    /// District indexes to place them in, in turn; the hill (5) is left out for cafés and 縁側.
    districts: &'static [usize],
}

const SITES: &[SiteGroup] = &[
    SiteGroup {
        kind: "care_center",
        names: &[
            "西南地域包括支援センター",
            "西北地域包括支援センター",
            "東南地域包括支援センター",
            "東北地域包括支援センター",
        ],
        schedules: &["平日 8:30–17:15"],
        audience: &["高齢者"],
        operator: "社会福祉法人ささえ会（架空）",
        districts: &[1, 4, 2, 7],
    },
    SiteGroup {
        kind: "care_service",
        names: &[
            "デイサービスひまわり",
            "訪問介護あおぞら",
            "小規模多機能ホームこもれび",
            "特別養護老人ホームやすらぎ苑",
            "デイサービスさくら",
            "グループホームみどり",
        ],
        schedules: &["月–土 9:00–17:00", "24時間"],
        audience: &["高齢者", "認知症"],
        operator: "株式会社ささえケア（架空）",
        districts: &[0, 4, 5, 6, 2, 7],
    },
    SiteGroup {
        kind: "clinic",
        names: &[
            "港内科クリニック",
            "駅前ファミリークリニック",
            "丘の上診療所",
            "桜台整形外科",
            "若葉こどもクリニック",
            "ささえ市民病院",
        ],
        schedules: &["月–金 9:00–12:00, 15:00–18:00", "月–土 9:00–12:30"],
        audience: &[],
        operator: "医療法人（架空）",
        districts: &[0, 2, 5, 4, 3, 6],
    },
    SiteGroup {
        kind: "pharmacy",
        names: &["みなと薬局", "駅前薬局", "さくら薬局", "ひなた薬局"],
        schedules: &["月–土 9:00–19:00"],
        audience: &[],
        operator: "（架空）",
        districts: &[0, 2, 4, 7],
    },
    SiteGroup {
        kind: "cafe",
        names: &[
            "カフェひだまり",
            "オレンジカフェみなと",
            "認知症カフェえがお",
            "コミュニティカフェわかば",
            "まちかどカフェ",
            "カフェこもれび",
        ],
        schedules: &["毎週水曜 10–12時", "月1回 第2土曜 13–15時", "毎月第1・第3金曜 14–16時"],
        audience: &["高齢者", "認知症", "多世代"],
        operator: "ささえ合いの会（架空）",
        districts: &[0, 2, 3, 1, 2, 7],
    },
    SiteGroup {
        kind: "engawa",
        names: &["えんがわ港", "川辺のえんがわ", "わかば縁側", "ひなたぼっこの縁側", "えきまえ縁側"],
        schedules: &["毎週月・木 10–15時", "毎日 10–16時"],
        audience: &["多世代"],
        operator: "地域の縁側ボランティア（架空）",
        districts: &[0, 1, 3, 7, 2],
    },
    SiteGroup {
        kind: "kayoinoba",
        names: &[
            "いきいき体操 桜台",
            "百歳体操 緑町",
            "ふれあいサロン港",
            "いきいき体操 日向",
            "通いの場 川辺",
            "お茶のみサロン若葉",
        ],
        schedules: &["毎週火曜 10–11時", "毎週金曜 13:30–15時", "月2回 第1・第3月曜 10–12時"],
        audience: &["高齢者"],
        operator: "町内会（架空）",
        districts: &[4, 6, 0, 7, 1, 3],
    },
    SiteGroup {
        kind: "ikoi",
        names: &["港いこいの家", "桜台いこいの家", "緑町いこいの家"],
        schedules: &["火–日 9:00–16:30"],
        audience: &["高齢者"],
        operator: "ささえ市（架空）",
        districts: &[0, 4, 6],
    },
    SiteGroup {
        kind: "childcare",
        names: &["駅前保育園", "わかば保育園", "ひなた子育て支援センター", "みなと保育園"],
        schedules: &["月–土 7:00–19:00"],
        audience: &["子育て"],
        operator: "（架空）",
        districts: &[2, 3, 7, 0],
    },
    SiteGroup {
        kind: "park",
        names: &["中央公園", "丘の上公園", "川辺緑地", "桜台ふれあい公園", "港の見える公園"],
        schedules: &["終日"],
        audience: &["多世代"],
        operator: "ささえ市（架空）",
        districts: &[2, 5, 1, 4, 0],
    },
    SiteGroup {
        kind: "community_center",
        names: &["ささえ市民館", "丘の上こども文化センター", "東市民館"],
        schedules: &["9:00–21:30（第3月曜休館）"],
        audience: &["多世代"],
        operator: "ささえ市（架空）",
        districts: &[1, 5, 7],
    },
    SiteGroup {
        kind: "other",
        names: &["ささえ市社会福祉協議会", "シルバー人材センター"],
        schedules: &["平日 8:30–17:15"],
        audience: &[],
        operator: "（架空）",
        districts: &[2, 6],
    },
];

fn sites() -> Vec<Value> {
    let mut features = Vec::new();
    for (g, group) in SITES.iter().enumerate() {
        for (n, name) in group.names.iter().enumerate() {
            let d = group.districts[n % group.districts.len()];
            let cells: Vec<(usize, usize)> = chome_cells(d).collect();
            let k = key(&[5, g as u64, n as u64]);
            let (i, j) = cells[(hash(k) % cells.len() as u64) as usize];
            let (fx, fy) = (0.5 + 0.3 * unit(k + 1), 0.5 + 0.3 * unit(k + 2));
            let chome = (cells.iter().position(|c| *c == (i, j)).unwrap_or(0)) + 1;
            features.push(feature(
                json!({ "type": "Point", "coordinates": cell_point(i, j, fx, fy) }),
                json!({
                    "name": name,
                    "kind": group.kind,
                    "address": format!("ささえ市{}{}丁目{}-{}（架空）", DISTRICTS[d].name, kanji_number(chome as u32), 1 + hash(k + 3) % 20, 1 + hash(k + 4) % 30),
                    "schedule": group.schedules[n % group.schedules.len()],
                    "audience": group.audience,
                    "operator": group.operator,
                    "fictional": true,
                }),
            ));
        }
    }
    features
}

/// The river runs along lattice column 6 (the border of the two wards); it has bridges on rows 2 and 6.
const RIVER_COL: usize = 6;
const BRIDGE_ROWS: [usize; 2] = [2, 6];
/// The hillside district, whose north–south lanes are flights of steps.
const HILL_DISTRICT: usize = 5;

fn line_feature(coords: &[(f64, f64)], highway: &str) -> Value {
    let coords: Vec<[f64; 2]> = coords.iter().map(|(x, y)| [round7(*x), round7(*y)]).collect();
    feature(
        json!({ "type": "LineString", "coordinates": coords }),
        json!({ "highway": highway, "fictional": true }),
    )
}

fn midpoint(p: (f64, f64), q: (f64, f64)) -> (f64, f64) {
    ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0)
}

/// The street along the unit lattice edge from `a` to `b`, split at its middle so that lanes can join.
fn lattice_street(a: (usize, usize), b: (usize, usize), highway: &str) -> [Value; 2] {
    let pts = edge_points(a, b);
    let m = midpoint(pts[0], pts[1]);
    [
        line_feature(&[vertex(a.0, a.1), pts[0], m], highway),
        line_feature(&[m, pts[1], vertex(b.0, b.1)], highway),
    ]
}

fn edge_middle(a: (usize, usize), b: (usize, usize)) -> (f64, f64) {
    let pts = edge_points(a, b);
    midpoint(pts[0], pts[1])
}

fn district_of(i: usize, j: usize) -> usize {
    (j / 4) * 4 + i / 3
}

/// Streets on every lattice edge (main roads on district borders), lanes through the middle of
/// every cell, a river without crossings but two bridges, and steps on the hill.
fn network() -> Vec<Value> {
    let mut features = Vec::new();
    for j in 0..=ROWS {
        for i in 0..COLS {
            let across_river = i == RIVER_COL && !BRIDGE_ROWS.contains(&j);
            if !across_river {
                let highway = if j % 4 == 0 { "tertiary" } else { "residential" };
                features.extend(lattice_street((i, j), (i + 1, j), highway));
            }
        }
    }
    for i in 0..=COLS {
        for j in 0..ROWS {
            if i != RIVER_COL {
                let highway = if i % 3 == 0 { "tertiary" } else { "residential" };
                features.extend(lattice_street((i, j), (i, j + 1), highway));
            }
        }
    }
    for j in 0..ROWS {
        for i in 0..COLS {
            let corners = [vertex(i, j), vertex(i + 1, j), vertex(i + 1, j + 1), vertex(i, j + 1)];
            let centre = (
                corners.iter().map(|c| c.0).sum::<f64>() / 4.0,
                corners.iter().map(|c| c.1).sum::<f64>() / 4.0,
            );
            let lane = if district_of(i, j) == HILL_DISTRICT { "steps" } else { "footway" };
            features.push(line_feature(&[edge_middle((i, j), (i + 1, j)), centre], lane));
            features.push(line_feature(&[centre, edge_middle((i, j + 1), (i + 1, j + 1))], lane));
            if i != RIVER_COL {
                features.push(line_feature(&[edge_middle((i, j), (i, j + 1)), centre], "residential"));
            }
            features.push(line_feature(&[centre, edge_middle((i + 1, j), (i + 1, j + 1))], "residential"));
        }
    }
    features
}

/// Generates the town. The same build always gives the same bytes.
pub fn generate() -> Town {
    Town {
        areas: collection("areas", &areas()),
        sites: collection("sites", &sites()),
        population: collection("population", &population()),
        network: collection("network", &network()),
    }
}
