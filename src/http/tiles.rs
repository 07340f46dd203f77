//! `GET /tiles/{set}/{z}/{x}/{y}.mvt` and `GET /tiles/{set}.json` (TileJSON 3.0). Tiles are gzip
//! compressed, carry an ETag (a hash of their bytes), are answered 204 when empty and 304 when the
//! client has them; they are cached by (set, z, x, y, data version), and an edit of a site or of
//! population re-renders only the cached tiles it reaches ([`maptiles::reached_since`]): an edit shows
//! on the next request, and the rest of the map stays cached. The layers that
//! show an analysis (coverage figures on areas, catchments, gaps) follow the question asked in the
//! query — `?kinds=clinic&minutes=30&profile=standard`, the care teams' usual one when not given —
//! and are cached per question too.
//!
//! Who may see: everyone. The `support_*` layers carry only the suppressed aggregates of the support
//! maps (the same figures as `/api/support-overlays`), so one shared cache serves every caller.

use super::extract::{Path, Query};
use super::{AppError, AppState};
use crate::analysis::CoverageKey;
use crate::maptiles::{self, MapAnalysis};
use crate::store::LayerVersions;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::{Compress, Compression, FlushCompress, Status};
use sasaeai_tiles::{CachedTile, TileId, TileKey};
use serde_json::json;
use std::cell::RefCell;
use std::sync::Arc;

/// The analyses the map's tiles show, by question and data version, at most a given number of
/// bytes.
pub struct MapAnalysisCache(
    quick_cache::sync::Cache<(CoverageKey, LayerVersions), Arc<Option<MapAnalysis>>, Weight>,
);

/// Weighs an analysis by what it holds.
#[derive(Clone, Copy)]
pub struct Weight;

impl quick_cache::Weighter<(CoverageKey, LayerVersions), Arc<Option<MapAnalysis>>> for Weight {
    fn weight(&self, _: &(CoverageKey, LayerVersions), m: &Arc<Option<MapAnalysis>>) -> u64 {
        m.as_ref().as_ref().map_or(64, MapAnalysis::weight)
    }
}

impl MapAnalysisCache {
    /// A cache of at most `max_bytes`.
    pub fn new(max_bytes: u64) -> Self {
        MapAnalysisCache(quick_cache::sync::Cache::with_weighter(16, max_bytes, Weight))
    }

    /// The analysis of `question` on `index`, computed once per question and data version in the
    /// heavy queue (the tiles of one view asking together wait for the one computation). Called
    /// on a blocking thread.
    fn get(
        &self,
        state: &AppState,
        index: &crate::store::Index,
        question: &CoverageKey,
    ) -> Result<Arc<Option<MapAnalysis>>, AppError> {
        let key = (question.clone(), index.versions());
        self.0.get_or_insert_with(&key, || {
            state.heavy.run_here("the map's analysis", |deadline| {
                let settings = &state.app.settings;
                Ok(Arc::new(MapAnalysis::compute(index, settings, &state.coverage, question, deadline)?))
            })
        })
    }
}

/// The question asked of a set's analysis layers, with the care teams' defaults: the page's
/// selectors as query parameters.
#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuestionQuery {
    /// The kinds counted as places to go (comma-separated; cafés, 縁側 and 通いの場 when not given).
    #[param(value_type = Option<Vec<crate::model::SiteKind>>, style = Form, explode = false)]
    kinds: Option<String>,
    /// The walk in minutes (15 when not given; at most the server's `max_minutes`, 60 by default).
    #[param(minimum = 1, maximum = 60, example = 15)]
    minutes: Option<f64>,
    /// The walker: `standard`, `elderly` (the default) or `wheelchair`.
    #[param(example = "elderly")]
    profile: Option<String>,
}

impl QuestionQuery {
    /// The question, checked against the walking settings; `None` when `set` shows no analysis
    /// (the parameters are then ignored, and every spelling of them is one tile).
    pub(super) fn of(
        &self,
        state: &AppState,
        set: &maptiles::LayerSet,
    ) -> Result<Option<CoverageKey>, AppError> {
        if !maptiles::needs_analysis(&set.layers) {
            return Ok(None);
        }
        let (kinds, profile) = (self.kinds.as_deref(), self.profile.as_deref());
        Ok(Some(super::analysis::question_key(&state.app.settings, kinds, self.minutes, profile)?))
    }
}

/// The support layers' part of a tile's version: the overlays' version, hashed.
fn support_version(state: &AppState, index: &crate::store::Index) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    state.app.overlay_version(index).hash(&mut h);
    h.finish()
}

fn layers(set: &str) -> Result<maptiles::LayerSet, AppError> {
    maptiles::resolve(set).map_err(|e| match e {
        maptiles::LayerSetError::Unknown(_) => AppError::not_found(e.to_string()),
        maptiles::LayerSetError::Repeated(_) => AppError::bad_request(e.to_string()),
    })
}

/// A tile's ETag: its set, place and a hash of its bytes, so a tile rendered again with the same
/// content keeps its ETag and clients keep their copy.
fn etag(set: &str, id: TileId, raw: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    raw.hash(&mut h);
    format!("\"{set}-{}-{}-{}-{:016x}\"", id.z, id.x, id.y, h.finish())
}

thread_local! {
    /// Each rendering thread's gzip compressor, reset for each tile: a new one allocates (and the
    /// system's allocator maps afresh) a third of a megabyte of tables, which cost more than
    /// compressing a town-wide tile.
    static GZIP: RefCell<Compress> = RefCell::new(Compress::new_gzip(Compression::fast(), 15));
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    GZIP.with_borrow_mut(|gz| {
        gz.reset();
        let mut out = Vec::with_capacity(bytes.len() / 2 + 64);
        loop {
            let read = gz.total_in() as usize;
            let status = gz.compress_vec(&bytes[read..], &mut out, FlushCompress::Finish);
            match status.expect("compressing into memory cannot fail") {
                Status::StreamEnd => return out,
                // Out of room: grow and go on.
                Status::Ok | Status::BufError => out.reserve(out.capacity().max(64)),
            }
        }
    })
}

/// The two request headers a tile's answer depends on, read without copying the others.
pub struct TileRequestHeaders {
    if_none_match: Option<HeaderValue>,
    accepts_gzip: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for TileRequestHeaders {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let accepts_gzip = parts
            .headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("gzip"));
        Ok(TileRequestHeaders {
            if_none_match: parts.headers.get(header::IF_NONE_MATCH).cloned(),
            accepts_gzip,
        })
    }
}

/// `GET /tiles/{set}/{z}/{x}/{y}.mvt`.
#[utoipa::path(get, path = "/tiles/{set}/{z}/{x}/{file}", tag = "maps",
    params(("set" = String, Path, description = "The layer set: `base`, `analysis`, `network`, `population`, `support` or `all`", example = "base"),
        ("z" = u32, Path, description = "Zoom", maximum = 22), ("x" = u32, Path, description = "Column"),
        ("file" = String, Path, description = "The row and `.mvt`", example = "0.mvt"), QuestionQuery),
    responses(
        (status = 200, description = "A Mapbox Vector Tile (gzip when accepted)", content_type = "application/vnd.mapbox-vector-tile", body = Vec<u8>),
        (status = 204, description = "Nothing in this tile"),
        (status = 304, description = "Not modified since the ETag given")))]
pub async fn tile(
    State(state): State<AppState>,
    Path((set, z, x, file)): Path<(String, u32, u32, String)>,
    Query(asked): Query<QuestionQuery>,
    headers: TileRequestHeaders,
) -> Result<Response, AppError> {
    let y: u32 = file
        .strip_suffix(".mvt")
        .or_else(|| file.strip_suffix(".pbf"))
        .and_then(|y| y.parse().ok())
        .ok_or_else(|| AppError::bad_request(format!("tile {file:?} should be Y.mvt")))?;
    let id = TileId::new(z, x, y).map_err(|e| AppError::bad_request(e.to_string()))?;
    let set = layers(&set)?;
    let question = asked.of(&state, &set)?;
    let index = state.app.store.read();
    let support = maptiles::needs_support(&set.layers).then(|| support_version(&state, &index));
    // The question is part of the version, so one set's tiles of two questions are two entries.
    let version =
        maptiles::version(&set.layers, index.versions(), support.unwrap_or_default(), question.as_ref());
    let key = TileKey { layers: set.name.clone(), tile: id, version };
    let now = maptiles::stamp(index.versions());
    let cached = match state.tiles.get(&key, now) {
        Some(hit) => hit,
        None => {
            tokio::task::spawn_blocking(move || {
                let settings = &state.app.settings;
                let unchanged = |since| {
                    !maptiles::reached_since(&index, settings, &set.layers, question.as_ref(), id, since)
                };
                state.tiles.get_or_render::<AppError>(key, now, unchanged, || {
                    let map = question.as_ref().map(|q| state.map.get(&state, &index, q)).transpose()?;
                    let overlays = support.map(|_| state.app.overlays_of(&index)).transpose()?;
                    let derived = maptiles::Derived {
                        map: map.as_ref().and_then(|m| m.as_ref().as_ref()),
                        support: overlays.as_ref().map(|o| o.as_slice()),
                    };
                    let raw = maptiles::render(&index, derived, &set.layers, id);
                    Ok(CachedTile {
                        gzipped: if raw.is_empty() { Bytes::new() } else { gzip(&raw).into() },
                        raw_len: raw.len(),
                        etag: etag(&set.name, id, &raw).into(),
                        stamp: now,
                    })
                })
            })
            .await??
        }
    };
    let etag = HeaderValue::from_maybe_shared(cached.etag.clone()).expect("ETag is ASCII");
    if headers.if_none_match.as_ref() == Some(&etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    if cached.raw_len == 0 {
        return Ok((StatusCode::NO_CONTENT, [(header::ETAG, etag)]).into_response());
    }
    let accepts_gzip = headers.accepts_gzip;
    let body = if accepts_gzip {
        cached.gzipped.clone()
    } else {
        let mut raw = Vec::with_capacity(cached.raw_len);
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&cached.gzipped[..]), &mut raw)
            .map_err(|e| AppError::Internal(e.into()))?;
        Bytes::from(raw)
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.mapbox-vector-tile")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response();
    if accepts_gzip {
        response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(response)
}

/// `GET /tiles/{set}.json`: TileJSON 3.0 with the set's vector layers, bounds and attribution.
#[utoipa::path(get, path = "/tiles/{file}", tag = "maps",
    params(("file" = String, Path, description = "The layer set and `.json`", example = "base.json"), QuestionQuery),
    responses((status = 200, description = "TileJSON 3.0.0", body = super::openapi::schema::TileJson)))]
pub async fn tilejson(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(asked): Query<QuestionQuery>,
) -> Result<Response, AppError> {
    let set = file
        .strip_suffix(".json")
        .ok_or_else(|| AppError::not_found(format!("no {file}; ask for SET.json")))?;
    let set = layers(set)?;
    let question = asked.of(&state, &set)?;
    let defs = &set.layers;
    // Never from the Host header, which any client may set: the configured address, or a path.
    let base = state.public_url.as_deref().unwrap_or("");
    let index = state.app.store.read();
    let dataset = index.dataset();
    let bounds = data_bounds(&index).unwrap_or([-180.0, -85.0, 180.0, 85.0]);
    let center = [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0, 13.0];
    let attribution = attribution(&index);
    let mut body = json!({
        "tilejson": "3.0.0",
        "name": format!("sasaeai {}", set.name),
        "description": dataset.title,
        "scheme": "xyz",
        "tiles": [tile_url(base, &set, question.as_ref())],
        "minzoom": set.minzoom(),
        "maxzoom": set.maxzoom(),
        "bounds": bounds,
        "center": center,
        "attribution": attribution,
        "vector_layers": defs.iter().map(|l| json!({
            "id": l.id, "description": l.description, "minzoom": l.minzoom, "maxzoom": l.maxzoom,
            "fields": l.fields.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
    });
    if let Some(q) = &question {
        body["question"] = json!({ "kinds": q.kinds, "minutes": q.minutes(), "profile": q.profile });
    }
    Ok(([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response())
}

/// The URL template of a set's tiles under `base`, asking `question` when the set shows one.
pub(super) fn tile_url(base: &str, set: &maptiles::LayerSet, question: Option<&CoverageKey>) -> String {
    let query = question.map(|q| format!("?{}", maptiles::question_query(q))).unwrap_or_default();
    format!("{base}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt{query}", set.name)
}

/// The data's attribution, as the map shows it: the fictional demo says so first.
pub(super) fn attribution(index: &crate::store::Index) -> String {
    let dataset = index.dataset();
    let mut attribution = dataset.attribution.clone();
    if dataset.fictional {
        attribution.insert(0, "架空データ（実在しません）".into());
    }
    attribution.join(" | ")
}

fn data_bounds(index: &crate::store::Index) -> Option<[f64; 4]> {
    let r = crate::model::union_rects(index.areas_extent().into_iter().chain(index.sites_extent()))?;
    Some([r.min().x, r.min().y, r.max().x, r.max().y])
}

#[cfg(test)]
mod tests {
    /// One thread's compressor, reset between tiles, gives each tile its own complete gzip stream,
    /// also when the output outgrows the room first given (bytes that do not compress).
    #[test]
    fn tiles_gzipped_one_after_another_on_one_thread_each_decompress_to_themselves() {
        let mut state = 1u64;
        let noise = (0..100_000)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                (state >> 56) as u8
            })
            .collect();
        let tiles: [Vec<u8>; 4] =
            [noise, (0..50_000u32).flat_map(|k| (k % 251).to_le_bytes()).collect(), vec![7; 10], Vec::new()];
        for tile in tiles.iter().chain(tiles.iter()) {
            let mut back = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&super::gzip(tile)[..]), &mut back)
                .unwrap();
            assert_eq!(&back, tile);
        }
    }
}
