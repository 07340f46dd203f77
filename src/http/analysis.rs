//! Coverage, gaps, 地区カルテ and site suggestions over HTTP. Defaults answer the care teams' usual
//! question: cafés, 縁側 and 通いの場 within a 15-minute walk at an older person's pace.

use super::auth::Caller;
use super::extract::{Body, Path, Query};
use super::openapi::schema::{CoverageTable, FeatureCollection};
use super::{AppError, AppState, parse_list, parse_param};
use crate::analysis::{self, AnalysisError, AreaRow, Coverage, CoverageKey, PLACES_TO_GO};
use crate::app::Principal;
use crate::export::gpkg::Layer;
use crate::export::{feature_collection, multipolygon_geometry};
use crate::model::{AreaId, AreaLevel, SiteKind};
use crate::network::NetworkSettings;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa::IntoParams;

impl From<AnalysisError> for AppError {
    fn from(e: AnalysisError) -> Self {
        match e {
            AnalysisError::Network(n) => n.into(),
            AnalysisError::NoArea(_) => AppError::not_found(e.to_string()),
            AnalysisError::NoAreas(_) | AnalysisError::TooManyCandidates { .. } => {
                AppError::unprocessable(e.to_string())
            }
            AnalysisError::Expired(_) => AppError::too_long(e.to_string()),
        }
    }
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalysisQuery {
    /// The level of the areas (`district` when not given).
    #[param(value_type = Option<AreaLevel>)]
    level: Option<String>,
    /// The kinds counted as places to go (comma-separated; cafés, 縁側 and 通いの場 when not given).
    #[param(value_type = Option<Vec<SiteKind>>, style = Form, explode = false)]
    kinds: Option<String>,
    /// The same as `kinds` (for `/api/suggest`: exactly one kind).
    #[param(value_type = Option<Vec<SiteKind>>, style = Form, explode = false)]
    kind: Option<String>,
    /// The walk in minutes (15 when not given; at most the server's `max_minutes`, 60 by default).
    #[param(minimum = 1, maximum = 60, example = 15)]
    minutes: Option<f64>,
    /// The walker: `standard`, `elderly` (the default) or `wheelchair`.
    #[param(example = "elderly")]
    profile: Option<String>,
    /// Tables: `json` (the default) or `csv`.
    #[param(example = "json")]
    format: Option<String>,
    /// `/api/suggest`: how many places to suggest (1–20, 3 when not given).
    #[param(minimum = 1, maximum = 20)]
    count: Option<usize>,
    /// `/api/suggest`: the spacing of candidate places in metres (50–5000, 250 when not given).
    #[param(minimum = 50, maximum = 5000)]
    grid_m: Option<f64>,
    /// The year of the figures (the latest held when not given).
    #[serde(default, deserialize_with = "crate::model::calendar::optional_year")]
    #[param(minimum = 1900, maximum = 2200)]
    pub year: Option<i32>,
}

/// The question asked, with the care teams' defaults.
pub struct Question {
    pub key: CoverageKey,
    pub level: AreaLevel,
    pub csv: bool,
}

impl AnalysisQuery {
    fn question(&self, settings: &NetworkSettings) -> Result<Question, AppError> {
        let key = question_key(
            settings,
            self.kinds.as_deref().or(self.kind.as_deref()),
            self.minutes,
            self.profile.as_deref(),
        )?;
        let level: AreaLevel = parse_param("level", self.level.as_deref())?.unwrap_or(AreaLevel::District);
        let csv = match self.format.as_deref() {
            None | Some("json") => false,
            Some("csv") => true,
            Some(other) => {
                return Err(AppError::parameter("format", format!("{other:?} is neither json nor csv")));
            }
        };
        Ok(Question { key: key.in_year(self.year), level, csv })
    }
}

/// The question of `kinds` (comma-separated), `minutes` and `profile`, with the care teams'
/// defaults for what is not given, checked against the walking settings (a known profile, minutes
/// within the limit) before any work starts.
pub fn question_key(
    settings: &NetworkSettings,
    kinds: Option<&str>,
    minutes: Option<f64>,
    profile: Option<&str>,
) -> Result<CoverageKey, AppError> {
    let kinds: Vec<SiteKind> = parse_list("kinds", kinds)?;
    let kinds = if kinds.is_empty() { PLACES_TO_GO.to_vec() } else { kinds };
    let profile = profile.unwrap_or(analysis::DEFAULT_PROFILE);
    settings.profile(profile).map_err(AnalysisError::from)?;
    let minutes =
        settings.check_minutes(minutes.unwrap_or(analysis::DEFAULT_MINUTES)).map_err(AnalysisError::from)?;
    Ok(CoverageKey::new(kinds, minutes, profile))
}

/// The most places one suggestion may name.
pub const MAX_SUGGEST_COUNT: usize = 20;

/// The coverage of a question checked by [`question_key`].
fn coverage(state: &AppState, key: &CoverageKey) -> Result<Arc<Coverage>, AppError> {
    let index = state.app.store.read();
    Ok(state.coverage.get(&index, &state.app.settings, key)?)
}

fn round1(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |v| json!((v * 10.0).round() / 10.0))
}

/// A row; before a walking network is loaded its coverage figures are `null` and `walking` false.
fn row_json(r: &AreaRow) -> Value {
    let walking = |n: u64| if r.walking { json!(n) } else { Value::Null };
    json!({
        "area_id": r.area_id, "name": r.name, "level": r.level, "code": r.code, "parent_id": r.parent_id,
        "total": r.total, "aged65": r.aged65, "aged75": r.aged75,
        "aged65_rate": round1(r.aged65_rate()), "aged75_rate": round1(r.aged75_rate()),
        "walking": r.walking,
        "covered65": walking(r.covered65), "covered75": walking(r.covered75), "covered65_pct": round1(r.covered65_pct()),
        "uncovered65": walking(r.uncovered65), "sites_inside": r.sites_inside,
        "sites_per_1000_aged65": r.sites_per_1000_aged65().map_or(Value::Null, |v| json!((v * 100.0).round() / 100.0)),
    })
}

fn rows_of(c: &Coverage, level: AreaLevel) -> Result<Vec<AreaRow>, AppError> {
    if level == AreaLevel::City && !c.levels.contains_key(&AreaLevel::City) {
        return Ok(vec![c.city.clone()]);
    }
    c.levels.get(&level).cloned().ok_or_else(|| AnalysisError::NoAreas(level).into())
}

const CSV_HEADER: &str = "地域ID,名称,レベル,コード,総人口,65歳以上,75歳以上,高齢化率(%),75歳以上率(%),徒歩圏内の65歳以上,カバー率(%),徒歩圏外の65歳以上,圏内の施設数,65歳以上千人あたり施設数";

pub(super) fn csv_field(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) if s.contains([',', '"', '\n']) => format!("\"{}\"", s.replace('"', "\"\"")),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn csv_line(r: &AreaRow) -> String {
    let j = row_json(r);
    let level = r.level.map_or("全体", |l| l.label_ja());
    [
        j["area_id"].clone(),
        j["name"].clone(),
        json!(level),
        j["code"].clone(),
        j["total"].clone(),
        j["aged65"].clone(),
        j["aged75"].clone(),
        j["aged65_rate"].clone(),
        j["aged75_rate"].clone(),
        j["covered65"].clone(),
        j["covered65_pct"].clone(),
        j["uncovered65"].clone(),
        j["sites_inside"].clone(),
        j["sites_per_1000_aged65"].clone(),
    ]
    .iter()
    .map(csv_field)
    .collect::<Vec<_>>()
    .join(",")
}

/// A CSV download with a BOM, so that Excel reads the Japanese as UTF-8.
fn csv_response(name: &str, rows: &[AreaRow]) -> Response {
    let mut body = String::from("\u{feff}");
    body.push_str(CSV_HEADER);
    body.push_str("\r\n");
    for r in rows {
        body.push_str(&csv_line(r));
        body.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
        ],
        body,
    )
        .into_response()
}

/// `GET /api/coverage?level=district&kinds=cafe,engawa,kayoinoba&minutes=15&profile=elderly[&format=csv]`.
#[utoipa::path(get, path = "/api/coverage", tag = "analysis", params(AnalysisQuery),
    responses((status = 200, description = "The coverage table (JSON, or CSV with `format=csv`)",
        content((CoverageTable = "application/json"), (String = "text/csv")))))]
pub async fn coverage_table(
    State(state): State<AppState>,
    Query(q): Query<AnalysisQuery>,
) -> Result<Response, AppError> {
    table(state, q, "coverage").await
}

/// `GET /api/karte?level=district[&format=csv]`: every area's karte figures in one table — the
/// coverage table itself, so the two can never disagree.
#[utoipa::path(get, path = "/api/karte", tag = "analysis", params(AnalysisQuery),
    responses((status = 200, description = "Every area's karte figures (JSON, or CSV with `format=csv`)",
        content((CoverageTable = "application/json"), (String = "text/csv")))))]
pub async fn karte_table(
    State(state): State<AppState>,
    Query(q): Query<AnalysisQuery>,
) -> Result<Response, AppError> {
    table(state, q, "karte").await
}

/// The rows of one level and the whole city, as JSON or as a CSV download.
async fn table(state: AppState, q: AnalysisQuery, name: &'static str) -> Result<Response, AppError> {
    let question = q.question(&state.app.settings)?;
    state.in_heavy_queue(name, move |state, _| {
        let c = coverage(state, &question.key)?;
        let rows = rows_of(&c, question.level)?;
        if question.csv {
            let mut all = rows;
            if question.level != AreaLevel::City {
                all.push(c.city.clone());
            }
            return Ok(csv_response(&format!("sasaeai-{name}-{}", question.level), &all));
        }
        Ok(Json(json!({
            "kinds": question.key.kinds, "minutes": question.key.minutes(), "profile": question.key.profile,
            "level": question.level, "rows": rows.iter().map(row_json).collect::<Vec<_>>(), "city": row_json(&c.city),
            "skipped_sites": c.skipped_sites, "unsnapped_points": c.unsnapped_points,
            "population_year": c.year,
        }))
        .into_response())
    })
    .await
}

/// `GET /api/gaps?kinds=…&minutes=…&profile=…&level=…`: each area's uncovered part, ranked.
#[utoipa::path(get, path = "/api/gaps", tag = "analysis", params(AnalysisQuery),
    responses((status = 200, description = "Each area's part beyond the walk, most older residents left out first",
        body = FeatureCollection)))]
pub async fn gaps(
    State(state): State<AppState>,
    Query(q): Query<AnalysisQuery>,
) -> Result<Json<Value>, AppError> {
    let question = q.question(&state.app.settings)?;
    state
        .in_heavy_queue("gaps", move |state, deadline| {
            let features = gap_features(state, &question.key, question.level, deadline)?;
            Ok(Json(feature_collection(features.into_iter().map(|(_, f)| f).collect())))
        })
        .await
}

/// `GET /api/export/analysis.gpkg?kinds=…&minutes=…&profile=…&level=…`: the analysis of one
/// question as a GeoPackage to take offline — each area's coverage figures, each area's part beyond
/// the walk (gaps) and every catchment of the kinds asked, and a table `about` naming the question,
/// the population year and the data's attribution. Who may see it: everyone (public figures only).
#[utoipa::path(get, path = "/api/export/analysis.gpkg", tag = "analysis", params(AnalysisQuery),
    responses((status = 200, description = "A GeoPackage with the layers coverage, gaps and catchments",
        content_type = "application/geopackage+sqlite3", body = Vec<u8>)))]
pub async fn geopackage(
    State(state): State<AppState>,
    Query(q): Query<AnalysisQuery>,
) -> Result<Response, AppError> {
    let question = q.question(&state.app.settings)?;
    state
        .in_heavy_queue("the analysis file", move |state, deadline| {
            let (key, level) = (&question.key, question.level);
            let areas: Vec<Value> =
                coverage_features(state, key, level)?.into_iter().map(|(_, f)| f).collect();
            let gaps: Vec<Value> =
                gap_features(state, key, level, deadline)?.into_iter().map(|(_, f)| f).collect();
            let catchments: Vec<Value> =
                catchment_features(state, key, (None, None), deadline)?.into_iter().map(|(_, f)| f).collect();
            let layers = [
                Layer {
                    table: "coverage",
                    geometry_type: "MULTIPOLYGON",
                    description: "Each area's older residents within the walk",
                    features: &areas,
                },
                Layer {
                    table: "gaps",
                    geometry_type: "MULTIPOLYGON",
                    description: "Each area's part beyond the walk, most older residents left out first",
                    features: &gaps,
                },
                Layer {
                    table: "catchments",
                    geometry_type: "MULTIPOLYGON",
                    description: "Where a walk from each place reaches",
                    features: &catchments,
                },
            ];
            let figures = coverage(state, key)?;
            let about = about(state, &question, &figures);
            let bytes =
                crate::export::gpkg::geopackage(&layers, &about).map_err(|e| AppError::Internal(e.into()))?;
            let name = format!("sasaeai-analysis-{level}-{}min.gpkg", key.minutes());
            let disposition = format!("attachment; filename=\"{name}\"");
            let headers = [
                (header::CONTENT_TYPE, "application/geopackage+sqlite3".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ];
            Ok((headers, bytes).into_response())
        })
        .await
}

/// The catchments of the open sites of the question's kinds — only `site`'s when given, only those
/// reaching into `bbox` when given — each with the walk it is for and its site's id (as the
/// feature's id too), in the sites' order: what the analysis file's `catchments` holds and the OGC
/// collection `catchments` lists.
pub(super) fn catchment_features(
    state: &AppState,
    key: &CoverageKey,
    (site, bbox): (Option<i64>, Option<&crate::model::BBox>),
    deadline: &crate::deadline::Deadline,
) -> Result<Vec<(i64, Value)>, AppError> {
    // Only sites whose walk can reach into the box are searched from, not the city's.
    let near = bbox.map(|b| b.grown(key.walking_reach_m(&state.app.settings)));
    let mut sites = state.app.store.read().sites_open_in(&key.kinds, near.as_ref(), None);
    sites.retain(|s| site.is_none_or(|id| s.id.0 == id));
    let (graph, version) = super::network::network(state)?;
    let walk = (key.minutes(), key.profile.as_str());
    let (catchments, _) = super::network::each_catchment(state, (&graph, version), &sites, walk, deadline)?;
    let reaches = |c: &crate::network::Catchment| {
        use geo::{BoundingRect, Intersects};
        bbox.is_none_or(|b| c.polygon.bounding_rect().is_some_and(|r| r.intersects(&b.to_rect())))
    };
    Ok(catchments
        .into_iter()
        .filter(|(c, _)| reaches(c))
        .map(|(c, site)| {
            let mut properties = super::network::site_props(&site);
            properties.insert("minutes".into(), json!(key.minutes()));
            properties.insert("profile".into(), json!(key.profile));
            let mut feature = crate::export::catchment_feature(&c, properties);
            feature["id"] = json!(site.id);
            (site.id.0, feature)
        })
        .collect())
}

/// What an analysis file answers: the question, the population year, the sites left out, and the
/// data set with its attribution.
fn about(state: &AppState, question: &Question, c: &Coverage) -> Vec<(&'static str, String)> {
    let dataset = state.app.store.dataset();
    let skipped =
        c.skipped_sites.iter().map(|s| format!("{} {}: {}", s.site_id, s.name, s.reason)).collect::<Vec<_>>();
    vec![
        ("kinds", question.key.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",")),
        ("minutes", question.key.minutes().to_string()),
        ("profile", question.key.profile.clone()),
        ("level", question.level.to_string()),
        ("population_year", c.year.map(|y| y.to_string()).unwrap_or_default()),
        ("sites_left_out", skipped.join("\n")),
        ("title", dataset.title.clone().unwrap_or_default()),
        ("fictional", dataset.fictional.to_string()),
        ("attribution", dataset.attribution.join("\n")),
    ]
}

/// Each area's uncovered part as a GeoJSON feature with its area id, ranked by older residents
/// left out: what `/api/gaps` lists and the OGC collection `gaps` holds.
pub(super) fn gap_features(
    state: &AppState,
    key: &CoverageKey,
    level: AreaLevel,
    deadline: &crate::deadline::Deadline,
) -> Result<Vec<(i64, Value)>, AppError> {
    let c = coverage(state, key)?;
    let index = state.app.store.read();
    let gaps = analysis::gaps(&index, &state.app.settings, &c, level, deadline)?;
    Ok(gaps
        .iter()
        .enumerate()
        .map(|(rank, g)| {
            let feature = json!({ "type": "Feature", "id": g.area_id, "geometry": multipolygon_geometry(&g.geometry), "properties": {
                "rank": rank + 1, "area_id": g.area_id, "name": g.name, "level": g.level,
                "uncovered65": g.uncovered65, "uncovered75": g.uncovered75, "uncovered_area_m2": g.area_m2.round(),
                "kinds": key.kinds, "minutes": key.minutes(), "profile": key.profile,
            }});
            (g.area_id.0, feature)
        })
        .collect())
}

/// Each area of `level` as a GeoJSON feature with its coverage figures for `key` (the coverage
/// table's row and the question), with its area id: the OGC collection `coverage`.
pub(super) fn coverage_features(
    state: &AppState,
    key: &CoverageKey,
    level: AreaLevel,
) -> Result<Vec<(i64, Value)>, AppError> {
    let c = coverage(state, key)?;
    let index = state.app.store.read();
    let features = rows_of(&c, level)?
        .iter()
        .filter_map(|r| {
            let area = index.area(r.area_id?)?;
            let mut properties = row_json(r);
            properties["kinds"] = json!(key.kinds);
            properties["minutes"] = json!(key.minutes());
            properties["profile"] = json!(key.profile);
            Some((area.id.0, crate::export::area_figures(area, properties)))
        })
        .collect();
    Ok(features)
}

fn area_json(a: &crate::model::Area) -> Value {
    json!({ "id": a.id, "name": a.name, "level": a.level, "level_label": a.level.label_ja(), "code": a.code })
}

/// The karte as JSON (shared by the page, which renders this same value).
pub fn karte_json(k: &analysis::Karte) -> Value {
    json!({
        "area": area_json(&k.area),
        "ancestors": k.ancestors.iter().map(|a| area_json(a)).collect::<Vec<_>>(),
        "minutes": k.minutes,
        "profile": k.profile,
        "population_year": k.population_year,
        "places_to_go": PLACES_TO_GO,
        "comparison": k.comparison.iter().map(row_json).collect::<Vec<_>>(),
        "sites": k.sites.iter().map(|(kind, list)| json!({
            "kind": kind, "kind_label": kind.label_ja(),
            "sites": list.iter().map(|s| json!({ "id": s.id, "name": s.data.name, "schedule": s.data.schedule, "address": s.data.address })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "coverage_by_kind": k.coverage_by_kind.iter().map(|(kind, r)| {
            let mut j = row_json(r);
            j["kind"] = json!(kind);
            j["kind_label"] = json!(kind.label_ja());
            j
        }).collect::<Vec<_>>(),
        "largest_gaps": k.largest_gaps.iter().map(row_json).collect::<Vec<_>>(),
        "coverage_by_year": k.by_year.iter().map(|y| {
            let mut j = row_json(&y.row);
            j["year"] = json!(y.year);
            j["population_year"] = json!(y.population_year);
            j
        }).collect::<Vec<_>>(),
        "site_changes": k.changes.iter().map(|c| json!({
            "change": c.change, "change_label": c.change.label_ja(), "date": c.date,
            "site_id": c.site.id, "name": c.site.data.name, "kind": c.site.data.kind, "kind_label": c.site.data.kind.label_ja(),
        })).collect::<Vec<_>>(),
    })
}

pub fn build_karte(state: &AppState, id: i64, q: &AnalysisQuery) -> Result<analysis::Karte, AppError> {
    let settings = &state.app.settings;
    let question = q.question(settings)?;
    let index = state.app.store.read();
    Ok(analysis::karte(
        &index,
        settings,
        &state.coverage,
        AreaId(id),
        question.key.minutes(),
        &question.key.profile,
        question.key.year,
    )?)
}

/// The support maps' aggregates for the karte's comparison (area, ward, city).
pub fn karte_overlays(state: &AppState, k: &analysis::Karte) -> Result<Value, AppError> {
    let all = state.app.overlays(&crate::app::Principal::anonymous(None))?;
    let ids: Vec<AreaId> = k.comparison.iter().filter_map(|r| r.area_id).collect();
    Ok(super::overlays::comparison_json(&all, &ids, state.app.privacy.min_count))
}

/// Adds the karte's indicators as `who` may see them — public ones to everyone (small counts
/// withheld), staff-only ones and exact figures to staff whose areas include the area — with the
/// year they are for and whether this is the staff's view (the 地域情報シート, which also carries the
/// area's notes and issues as `sheet`).
pub fn add_indicators(
    j: &mut Value,
    state: &AppState,
    who: &Principal,
    id: i64,
    year: Option<i32>,
) -> Result<(), AppError> {
    let shown = state.app.karte_indicators(who, AreaId(id), year)?;
    j["indicators"] = serde_json::to_value(&shown.indicators).expect("serialisable");
    j["indicators_year"] = json!(shown.year);
    j["staff_view"] = json!(shown.staff_view);
    if shown.staff_view {
        j["sheet"] = serde_json::to_value(state.app.sheet(who, AreaId(id))?).expect("serialisable");
    }
    Ok(())
}

/// `GET /api/karte/{area_id}`: an area's 地区カルテ beside its ward and the city; for staff of the
/// area also its 地域情報シート.
#[utoipa::path(get, path = "/api/karte/{id}", tag = "analysis",
    params(("id" = i64, Path, description = "The area's id"), AnalysisQuery),
    responses((status = 200, description = "The karte", body = Object)))]
pub async fn karte(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
    Query(q): Query<AnalysisQuery>,
) -> Result<Json<Value>, AppError> {
    state
        .in_heavy_queue("the karte", move |state, _| {
            let k = build_karte(state, id, &q)?;
            let mut j = karte_json(&k);
            j["support_overlays"] = karte_overlays(state, &k)?;
            add_indicators(&mut j, state, &who, id, q.year)?;
            j["dataset"] = serde_json::to_value(state.app.store.dataset()).expect("serialisable");
            Ok(Json(j))
        })
        .await
}

/// `GET /api/suggest?kind=cafe&count=3&minutes=15&profile=elderly`, or `POST` with candidate places
/// as a GeoJSON FeatureCollection of Points (a `name` property each).
#[utoipa::path(method(get, post), path = "/api/suggest", tag = "analysis", params(AnalysisQuery),
    request_body(content = Option<FeatureCollection>, content_type = "application/geo+json",
        description = "POST: candidate places (Points with a `name`); GET: places on a grid"),
    responses((status = 200, description = "The places that would bring the most older residents within the walk",
        body = Object)))]
pub async fn suggest(
    State(state): State<AppState>,
    Query(q): Query<AnalysisQuery>,
    Body(body): Body,
) -> Result<Json<Value>, AppError> {
    let question = q.question(&state.app.settings)?;
    let [kind] = question.key.kinds[..] else {
        return Err(AppError::parameter("kind", "give exactly one site kind, e.g. kind=cafe"));
    };
    let count = q.count.unwrap_or(3);
    if !(1..=MAX_SUGGEST_COUNT).contains(&count) {
        return Err(AppError::parameter("count", format!("must be 1 to {MAX_SUGGEST_COUNT}")));
    }
    let grid_m = q.grid_m.unwrap_or(250.0);
    if !(50.0..=5000.0).contains(&grid_m) {
        return Err(AppError::parameter("grid_m", "must be 50 to 5000 metres"));
    }
    let posted = if body.is_empty() { None } else { Some(posted_candidates(&body)?) };
    state.in_heavy_queue("the suggestion", move |state, deadline| {
        let index = state.app.store.read();
        let asked = analysis::SuggestQuestion {
            kind, count, minutes: question.key.minutes(), profile: question.key.profile.clone(), posted, grid_m, level: question.level,
        };
        let s = analysis::suggest(&index, &state.app.settings, asked, deadline)?;
        Ok(Json(json!({
            "kind": kind, "minutes": question.key.minutes(), "profile": question.key.profile, "level": question.level,
            "picks": s.picks.iter().enumerate().map(|(i, p)| json!({
                "rank": i + 1, "name": p.candidate.name, "source": p.candidate.source, "site_id": p.candidate.site_id,
                "lon": p.candidate.location.x(), "lat": p.candidate.location.y(),
                "newly_covered65": p.newly_covered65, "newly_covered75": p.newly_covered75,
            })).collect::<Vec<_>>(),
            "aged65": s.aged65, "covered65_before": s.covered65_before, "covered65_after": s.covered65_after,
            "areas": s.areas.iter().map(|(id, name, before, after)| json!({ "area_id": id, "name": name, "covered65_before": before, "covered65_after": after })).collect::<Vec<_>>(),
            "candidates_considered": s.candidates_considered,
        })))
    })
    .await
}

fn posted_candidates(bytes: &[u8]) -> Result<Vec<analysis::suggest_candidate::Candidate>, AppError> {
    let options = crate::import::SiteOptions { kind: Some(SiteKind::Other), ..Default::default() };
    let places = crate::import::sites(bytes, &options)?;
    if places.is_empty() {
        return Err(AppError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid input",
            "no candidate places",
        ));
    }
    Ok(places
        .into_iter()
        .map(|p| analysis::suggest_candidate::Candidate {
            name: p.name,
            location: p.location,
            source: "posted",
            site_id: None,
        })
        .collect())
}
