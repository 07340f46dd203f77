//! `POST /api/import/{layer}`: staff upload a file (GeoJSON, CSV, Excel, PBF) into a layer, all or
//! nothing, or preview it with `dry_run=true` (nothing written), through the same application calls
//! as the CLI.
//!
//! Who may call it: staff not limited to some wards (see `app::permission`).

use super::auth::SignedIn;
use super::extract::{Body, Path, Query};
use super::{AppError, AppState, parse_param};
use crate::app::{ImportJob, ImportLayer, Join};
use crate::import::ColumnMap;
use crate::model::kind_table::KindTable;
use crate::model::{AreaLevel, SiteKind};
use crate::store::Replace;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// For areas: their level.
    #[param(value_type = Option<AreaLevel>)]
    level: Option<String>,
    /// For sites: the kind of every row, when the file has no kind column.
    #[param(value_type = Option<SiteKind>)]
    kind: Option<String>,
    /// For sites: the source key (e.g. the file's name); importing the same source again replaces
    /// its sites row by row and answers what was added, changed, removed and kept.
    origin: Option<String>,
    /// Comma-separated `FIELD=COLUMN` mappings.
    columns: Option<String>,
    /// Where the data comes from (kept with what is imported).
    source: Option<String>,
    /// For population, indicators and participants: the year of the figures.
    #[serde(default, deserialize_with = "crate::model::calendar::optional_year")]
    #[param(minimum = 1900, maximum = 2200)]
    year: Option<i32>,
    /// For population: the date the figures are for (YYYY-MM-DD or 令和N年M月D日), over the file's.
    date: Option<String>,
    /// An attribution line for the imported data.
    attribution: Option<String>,
    /// `chome`: join population rows by 町丁 name or code to the store's 町丁 areas.
    join: Option<String>,
    /// With `join`: import matching rows and list the others instead of failing.
    allow_unmatched: Option<bool>,
    /// For `network`: replace the current network even when the new one is less than half as long.
    replace: Option<bool>,
    /// For sites: a kind table as the command line's `--kind-table` file holds it (a `value,kind`
    /// header, then one `value,kind` line per category), added to the built-in table.
    kind_table: Option<String>,
    /// For a workbook: the sheet to read (default: the first).
    sheet: Option<String>,
    /// What coordinates are in when the file does not say: EPSG:4326 (default) or a JGD2011
    /// 平面直角座標系 zone, EPSG:6669–6687 (a table's X座標 is then the northing, Y座標 the easting).
    crs: Option<String>,
    /// `true`: answer 200 with what the import would do (how the file was read, the column of
    /// each field, good / suspect / geocoded / bad rows, kinds, the first problems); write nothing.
    dry_run: Option<bool>,
    /// Sites and population: import the valid rows and list the others (`rejected`, each with its
    /// place and problems) instead of importing nothing.
    skip_invalid: Option<bool>,
    /// For areas (with `level`): the body is a list of areas and the 町丁 each holds (a school-district
    /// table), each area the union of the store's 町丁 it names.
    from_chome_list: Option<bool>,
}

/// Imports the body into `layer`: 201 with what was written.
#[utoipa::path(post, path = "/api/import/{layer}", tag = "staff",
    params(("layer" = String, Path, description = "`areas`, `sites`, `population`, `network`, `indicators` or `participants`",
        example = "sites"), ImportQuery),
    request_body(content_type = "application/octet-stream", description = "The file as published: \
        GeoJSON, CSV/TSV (UTF-8 or Shift_JIS), Excel, a zipped Shapefile, OSM PBF (network), e-Stat tables"),
    responses(
        (status = 201, description = "What was written", body = Object),
        (status = 200, description = "`dry_run=true`: what the import would do; nothing written", body = Object)))]
pub async fn upload(
    SignedIn(who): SignedIn,
    State(state): State<AppState>,
    Path(layer): Path<String>,
    Query(q): Query<ImportQuery>,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let layer: ImportLayer = layer.parse().map_err(AppError::not_found)?;
    if let Some(line) = q.attribution.as_deref() {
        // A bad query parameter is the request's fault (400), whatever the file holds.
        crate::model::limits::attribution(line).map_err(|e| AppError::parameter("attribution", e))?;
    }
    let columns =
        ColumnMap::parse(q.columns.as_deref().unwrap_or_default().split(',').filter(|s| !s.is_empty()))
            .map_err(|e| AppError::parameter("columns", e))?;
    let kind_table = q
        .kind_table
        .as_deref()
        .map(KindTable::built_in_with)
        .transpose()
        .map_err(|e| AppError::parameter("kind_table", e))?;
    let join = match q.join.as_deref() {
        None => None,
        Some("chome") => Some(Join::Chome),
        Some(other) => return Err(AppError::parameter("join", format!("{other:?}: the only join is chome"))),
    };
    let job = ImportJob {
        level: parse_param("level", q.level.as_deref())?,
        kind: parse_param("kind", q.kind.as_deref())?,
        columns,
        source: q.source,
        year: q.year,
        date: parse_param("date", q.date.as_deref())?,
        join,
        allow_unmatched: q.allow_unmatched.unwrap_or(false),
        replace: if q.replace.unwrap_or(false) { Replace::Always } else { Replace::OnlyIfNotShrinking },
        attribution: q.attribution,
        sheet: q.sheet,
        origin: q.origin.filter(|o| !o.trim().is_empty()),
        skip_invalid: q.skip_invalid.unwrap_or(false),
        from_chome_list: q.from_chome_list.unwrap_or(false),
        crs: parse_param("crs", q.crs.as_deref())?.unwrap_or_default(),
        kind_table,
        ..ImportJob::new(layer, body.to_vec())
    };
    let app = state.app.clone();
    if q.dry_run.unwrap_or(false) {
        let preview = state.heavy.run("the preview", move |_| Ok(app.preview_import(&who, job)?)).await?;
        return Ok((StatusCode::OK, Json(json!({ "dry_run": true, "preview": preview }))));
    }
    let summary = state.heavy.run("the import", move |_| Ok(app.import(&who, job)?)).await?;
    Ok((StatusCode::CREATED, Json(json!(summary))))
}
