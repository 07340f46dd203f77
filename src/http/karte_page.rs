//! `GET /karte/{area_id}`: the 地区カルテ as an A4 page to print, in Japanese. It renders the same JSON
//! as `/api/karte/{area_id}`, so the printed figures are the API's figures.

use super::analysis::{AnalysisQuery, add_indicators, build_karte, karte_json, karte_overlays};
use super::auth::Caller;
use super::extract::{Path, Query};
use super::{AppError, AppState, esc};
use crate::model::{Area, PopulationUnit, Site};
use axum::extract::State;
use axum::response::Html;
use geo::{BoundingRect, Contains, MultiPolygon, Point};
use serde_json::Value;
use std::fmt::Write;
use std::sync::Arc;

/// A percentage with its sign, or a dash when it is not known.
fn percent(v: &Value) -> String {
    if v.is_null() { text(v) } else { format!("{}%", text(v)) }
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) => esc(s),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or_default();
            if n.is_u64() || n.is_i64() || f.fract() == 0.0 {
                group_digits(f as i64)
            } else {
                format!("{f:.1}")
            }
        }
        other => esc(&other.to_string()),
    }
}

/// A year as written: `2024`, never grouped as a quantity would be.
fn year(v: &Value) -> String {
    v.as_i64().map_or_else(|| text(v), |y| y.to_string())
}

fn group_digits(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `GET /karte/{area_id}?minutes=15&profile=elderly&kinds=…&year=…`. Signed in as staff of the
/// area, the page is the 地域情報シート (staff-only indicators included).
pub async fn page(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
    Query(q): Query<AnalysisQuery>,
) -> Result<Html<String>, AppError> {
    state
        .in_heavy_queue("the karte page", move |state, _| {
            let k = build_karte(state, id, &q)?;
            let mut j = karte_json(&k);
            j["support_overlays"] = karte_overlays(state, &k)?;
            add_indicators(&mut j, state, &who, id, q.year)?;
            let index = state.app.store.read();
            let dataset = index.dataset();
            let key = crate::analysis::CoverageKey::new(
                crate::analysis::PLACES_TO_GO.to_vec(),
                k.minutes,
                &k.profile,
            )
            .in_year(k.year);
            let units: Vec<Arc<PopulationUnit>> = index
                .population_of(k.population_year)
                .1
                .into_iter()
                .filter(|u| k.area.geometry.contains(&u.data.location))
                .collect();
            let coverage = state.coverage.get(&index, &state.app.settings, &key)?;
            let covered: std::collections::HashMap<_, _> =
                coverage.minutes.iter().map(|(id, m)| (*id, m.is_some())).collect();
            let children = index.children(k.area.id);
            let sites: Vec<Arc<Site>> = k.sites.iter().flat_map(|(_, list)| list.iter().cloned()).collect();
            let map = svg_map(&k.area, &children, &sites, &units, &covered);
            let walker = state.app.settings.label(j["profile"].as_str().unwrap_or_default());
            Ok(Html(render(&j, dataset, &map, walker)))
        })
        .await
}

/// The karte page of `j`, for walkers called `walker` (高齢者).
fn render(j: &Value, dataset: &crate::store::DatasetInfo, map: &str, walker: &str) -> String {
    let area = &j["area"];
    let mut h = String::new();
    let crumbs: Vec<String> =
        j["ancestors"].as_array().into_iter().flatten().map(|a| text(&a["name"])).collect();
    let _ = write!(
        h,
        r#"<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>{name} 地区カルテ</title><style>
@page {{ size: A4; margin: 12mm; }}
body {{ font-family: "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", sans-serif; font-size: 10.5pt; color: #222; max-width: 186mm; margin: 0 auto; }}
h1 {{ font-size: 17pt; margin: 0 0 2mm; }} h2 {{ font-size: 12pt; border-left: 4px solid #2a7; padding-left: 2mm; margin: 5mm 0 2mm; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border: 1px solid #bbb; padding: 1mm 2mm; }} td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
th {{ background: #eef6f0; font-weight: 600; }} .staff {{ font-size: 8pt; background: #fde2e2; padding: 0 1mm; }} .banner {{ background: #fff3cd; border: 1px solid #e0b400; padding: 2mm; font-weight: 700; }}
.meta {{ color: #555; font-size: 9pt; }} .cols {{ display: flex; gap: 5mm; }} .cols > div {{ flex: 1; }} footer {{ margin-top: 6mm; font-size: 8pt; color: #555; }}
.legend span {{ display: inline-block; margin-right: 4mm; }} @media print {{ .noprint {{ display: none; }} }}
</style></head><body>"#,
        name = text(&area["name"])
    );
    if dataset.fictional {
        h.push_str(r#"<p class="banner" id="fictional">架空データ：このカルテは sasaeai が生成した架空の町のものです。実在の場所・施設・人口ではありません。</p>"#);
    }
    let _ = write!(
        h,
        r#"<p class="meta">{crumbs}</p><h1 id="title">{name}（{level}）地区カルテ</h1><p class="meta">行き場所（コミュニティカフェ・認知症カフェ、地域の縁側、通いの場）まで徒歩{minutes}分・{profile}の歩行速度で集計</p>"#,
        crumbs = crumbs.join(" › "),
        name = text(&area["name"]),
        level = text(&area["level_label"]),
        minutes = text(&j["minutes"]),
        profile = esc(walker),
    );
    if j["comparison"][0]["walking"] == false {
        h.push_str(r#"<p class="banner" id="no-network">歩行ネットワークが未登録のため、徒歩圏のカバー率はまだ計算できません（人口と施設数は集計済み）。</p>"#);
    }
    h.push_str(r#"<h2>人口と高齢化（市・区との比較）</h2><table id="comparison"><tr><th></th><th>総人口</th><th>65歳以上</th><th>高齢化率</th><th>75歳以上</th><th>75歳以上率</th><th>行き場所の徒歩圏</th><th>徒歩圏外の65歳以上</th></tr>"#);
    for r in j["comparison"].as_array().into_iter().flatten() {
        let _ = write!(
            h,
            r#"<tr><th>{}</th><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            text(&r["name"]),
            text(&r["total"]),
            text(&r["aged65"]),
            percent(&r["aged65_rate"]),
            text(&r["aged75"]),
            percent(&r["aged75_rate"]),
            percent(&r["covered65_pct"]),
            text(&r["uncovered65"])
        );
    }
    h.push_str("</table>");
    h.push_str(r#"<div class="cols"><div><h2>種別ごとの徒歩圏カバー率（65歳以上）</h2><table id="coverage"><tr><th>種別</th><th>地区内</th><th>カバー率</th><th>圏外</th></tr>"#);
    for r in j["coverage_by_kind"].as_array().into_iter().flatten() {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            text(&r["kind_label"]),
            text(&r["sites_inside"]),
            percent(&r["covered65_pct"]),
            text(&r["uncovered65"])
        );
    }
    h.push_str("</table>");
    h.push_str(r#"<h2>行き場所が遠い地域（65歳以上の多い順）</h2><table id="gaps"><tr><th>地域</th><th>徒歩圏外の65歳以上</th><th>カバー率</th></tr>"#);
    let gaps = j["largest_gaps"].as_array().cloned().unwrap_or_default();
    if gaps.is_empty() {
        h.push_str(r#"<tr><td colspan="3">下位の地域はありません</td></tr>"#);
    }
    for r in &gaps {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            text(&r["name"]),
            text(&r["uncovered65"]),
            percent(&r["covered65_pct"])
        );
    }
    h.push_str("</table></div><div><h2>地図</h2>");
    h.push_str(map);
    h.push_str(r#"<p class="legend"><span>● 施設</span><span style="color:#2a7">■ 徒歩圏内の人口</span><span style="color:#d33">■ 徒歩圏外の人口</span></p></div></div>"#);
    years_section(&mut h, j);
    indicator_table(&mut h, j);
    sheet_section(&mut h, &j["sheet"]);
    support_table(&mut h, &j["support_overlays"]);
    h.push_str(r#"<h2>地区内の施設と活動</h2><table id="sites"><tr><th>種別</th><th>名称</th><th>開催・開所</th><th>住所</th></tr>"#);
    for group in j["sites"].as_array().into_iter().flatten() {
        for s in group["sites"].as_array().into_iter().flatten() {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(&group["kind_label"]),
                text(&s["name"]),
                text(&s["schedule"]),
                text(&s["address"])
            );
        }
    }
    h.push_str("</table>");
    let attribution: Vec<String> = dataset.attribution.iter().map(|a| esc(a)).collect();
    let _ = write!(
        h,
        r#"<footer>出典: {}<br>sasaeai 地区カルテ</footer></body></html>"#,
        attribution.join(" | ")
    );
    h
}

/// Coverage by the places to go as of each of the last years, and the sites that opened or closed
/// in them: what changed, and what it did for the walking distance.
fn years_section(h: &mut String, j: &Value) {
    h.push_str(r#"<div class="cols"><div><h2>年ごとの行き場所の徒歩圏</h2><table id="coverage-by-year"><tr><th>年</th><th>65歳以上</th><th>地区内の行き場所</th><th>カバー率</th><th>圏外</th></tr>"#);
    for r in j["coverage_by_year"].as_array().into_iter().flatten() {
        let population = match (r["year"].as_i64(), r["population_year"].as_i64()) {
            (Some(y), Some(p)) if y != p => format!(r#"<br><span class="meta">（人口は{p}年）</span>"#),
            _ => String::new(),
        };
        let _ = write!(
            h,
            r#"<tr><td>{}{population}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            year(&r["year"]),
            text(&r["aged65"]),
            text(&r["sites_inside"]),
            percent(&r["covered65_pct"]),
            text(&r["uncovered65"])
        );
    }
    h.push_str(r#"</table></div><div><h2>施設の開設・廃止</h2><table id="site-changes"><tr><th>日付</th><th></th><th>種別</th><th>名称</th></tr>"#);
    let changes = j["site_changes"].as_array().cloned().unwrap_or_default();
    if changes.is_empty() {
        h.push_str(r#"<tr><td colspan="4">この期間の開設・廃止はありません</td></tr>"#);
    }
    for c in &changes {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(&c["date"]),
            text(&c["change_label"]),
            text(&c["kind_label"]),
            text(&c["name"])
        );
    }
    h.push_str("</table></div></div>");
}

/// The area's statistics by field beside its ward and the city, each with its last years as a
/// small chart. Staff signed in see the 地域情報シート: the staff-only indicators too, marked.
fn indicator_table(h: &mut String, j: &Value) {
    let lines = j["indicators"].as_array().cloned().unwrap_or_default();
    if lines.is_empty() {
        return;
    }
    let title = if j["staff_view"] == true {
        "地域情報シート（職員用・非公開の指標を含む）"
    } else {
        "統計指標"
    };
    let _ = write!(
        h,
        r#"<h2>{title}（{}年）</h2><table id="indicators"><tr><th>分野</th><th>指標</th><th>この地域</th><th>区</th><th>市</th><th>単位</th><th>推移</th></tr>"#,
        year(&j["indicators_year"])
    );
    for l in &lines {
        let staff_only =
            if l["visibility"] == "staff" { r#" <span class="staff">職員のみ</span>"# } else { "" };
        let _ = write!(
            h,
            r#"<tr data-indicator="{id}"><td>{field}</td><td>{name}{staff_only}</td><td class="n">{value}</td><td class="n">{ward}</td><td class="n">{city}</td><td>{unit}</td><td>{chart}</td></tr>"#,
            id = text(&l["id"]),
            field = text(&l["field_ja"]),
            name = text(&l["name"]),
            value = text(&l["value"]),
            ward = text(&l["ward"]),
            city = text(&l["city"]),
            unit = text(&l["unit"]),
            chart = sparkline(&l["history"]),
        );
    }
    h.push_str(r#"</table><p class="meta">1〜2 は &lt;3、差し引きで分かってしまう数は x（秘匿）。率は市・区でも内訳の数から計算しています（地区の率の平均ではありません）。</p>"#);
}

/// Staff only: the notes per field and the issues with their targets and measured values (振り返り).
fn sheet_section(h: &mut String, sheet: &Value) {
    if sheet.is_null() {
        return;
    }
    let field_ja = |f: &Value| {
        f.as_str()
            .and_then(|f| f.parse::<crate::model::indicators::IndicatorField>().ok())
            .map_or("—", |f| f.label_ja())
    };
    h.push_str(r#"<h2>課題と振り返り（職員のみ）</h2><table id="issues"><tr><th>優先</th><th>分野</th><th>課題</th><th>目標と実績</th></tr>"#);
    let issues = sheet["issues"].as_array().cloned().unwrap_or_default();
    if issues.is_empty() {
        h.push_str(r#"<tr><td colspan="4">まだ登録されていません</td></tr>"#);
    }
    for i in &issues {
        let targets: Vec<String> = i["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                format!("{}年 目標 {} / 実績 {}", year(&t["year"]), text(&t["target"]), text(&t["measured"]))
            })
            .collect();
        let _ = write!(
            h,
            r#"<tr><td class="n">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            text(&i["priority"]),
            field_ja(&i["field"]),
            text(&i["title"]),
            targets.join("<br>")
        );
    }
    h.push_str(r#"</table><h2>住民の声・担当の気づき（職員のみ）</h2><table id="notes"><tr><th>分野</th><th>種類</th><th>内容</th><th>記入</th></tr>"#);
    for n in sheet["notes"].as_array().into_iter().flatten() {
        let kind =
            crate::app::sheets::NOTE_KINDS.iter().find(|(k, _)| n["kind"] == *k).map_or("—", |(_, ja)| ja);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{kind}</td><td>{}</td><td>{} {}</td></tr>",
            field_ja(&n["field"]),
            text(&n["text"]),
            text(&n["author"]),
            text(&n["updated"]).get(..10).unwrap_or_default()
        );
    }
    h.push_str("</table>");
}

/// The last years of a figure as a small line chart (withheld years left as gaps).
fn sparkline(history: &Value) -> String {
    let points: Vec<(i64, f64)> = history
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p[0].as_i64()?, p[1].as_f64()?)))
        .collect();
    if points.len() < 2 {
        return String::new();
    }
    let (first, last) = (points[0].0, points[points.len() - 1].0);
    let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let x = |year: i64| 2.0 + (year - first) as f64 / (last - first).max(1) as f64 * 56.0;
    let y = |v: f64| if hi > lo { 16.0 - (v - lo) / (hi - lo) * 14.0 } else { 9.0 };
    let path: Vec<String> = points.iter().map(|&(yr, v)| format!("{:.1},{:.1}", x(yr), y(v))).collect();
    let label: Vec<String> = points.iter().map(|(yr, v)| format!("{yr}: {v}")).collect();
    format!(
        r##"<svg width="60" height="18" viewBox="0 0 60 18" role="img" aria-label="{}"><polyline points="{}" fill="none" stroke="#2a7" stroke-width="1.5"/></svg>"##,
        esc(&label.join(", ")),
        path.join(" ")
    )
}

/// The support maps' aggregates beside the ward's and the city's: counts only, suppressed.
fn support_table(h: &mut String, o: &Value) {
    let headline = o["headline"].as_array().cloned().unwrap_or_default();
    h.push_str(r#"<h2>支え合いマップから（住民グループの地図の集計）</h2><table id="support"><tr><th></th>"#);
    for m in &headline {
        let _ = write!(h, "<th>{}</th>", text(&m["label"]));
    }
    h.push_str("</tr>");
    for r in o["rows"].as_array().into_iter().flatten() {
        let _ = write!(h, "<tr><th>{}</th>", text(&r["name"]));
        for m in &headline {
            let id = m["id"].as_str().unwrap_or_default();
            let _ = write!(h, r#"<td class="n">{}</td>"#, text(&r["values"][id]));
        }
        h.push_str("</tr>");
    }
    let _ = write!(h, r#"</table><p class="meta">{}。個人が分かる情報は含みません。</p>"#, text(&o["note"]));
}

/// A small SVG map: the area, its sub-areas, population points coloured by coverage, and sites.
fn svg_map(
    area: &Area,
    children: &[Arc<Area>],
    sites: &[Arc<Site>],
    units: &[Arc<PopulationUnit>],
    covered: &std::collections::HashMap<crate::model::PopulationId, bool>,
) -> String {
    let Some(r) = area.geometry.bounding_rect() else { return String::new() };
    let k = r.center().y.to_radians().cos();
    let (w, h) = ((r.width() * k).max(1e-9), r.height().max(1e-9));
    let scale = 300.0 / w.max(h);
    let xy = |p: Point<f64>| ((p.x() - r.min().x) * k * scale + 5.0, (r.max().y - p.y()) * scale + 5.0);
    let path = |mp: &MultiPolygon<f64>| -> String {
        let mut d = String::new();
        for poly in mp {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for (i, c) in ring.coords().enumerate() {
                    let (x, y) = xy(Point(*c));
                    let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
                }
                d.push('Z');
            }
        }
        d
    };
    let mut svg = format!(
        r#"<svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {:.0} {:.0}" width="100%">"#,
        w * scale + 10.0,
        h * scale + 10.0
    );
    let _ = write!(
        svg,
        r##"<path d="{}" fill="#f4f8f5" stroke="#333" stroke-width="1.5"/>"##,
        path(&area.geometry)
    );
    for c in children {
        let _ = write!(
            svg,
            r##"<path d="{}" fill="none" stroke="#999" stroke-width="0.6"/>"##,
            path(&c.geometry)
        );
    }
    for u in units {
        let (x, y) = xy(u.data.location);
        let colour = if covered.get(&u.id).copied().unwrap_or(false) { "#2a7" } else { "#d33" };
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="5" height="5" fill="{colour}" opacity="0.8"/>"#,
            x - 2.5,
            y - 2.5
        );
    }
    for s in sites {
        let (x, y) = xy(s.data.location);
        let _ = write!(
            svg,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="#1565c0" stroke="#fff"><title>{}</title></circle>"##,
            esc(&s.data.name)
        );
    }
    svg.push_str("</svg>");
    svg
}
