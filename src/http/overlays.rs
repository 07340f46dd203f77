//! `GET /api/support-overlays?level=…[&format=csv]`: the support maps' aggregates per area.
//!
//! Who may see: everyone. Only suppressed counts leave the private store: 1–2 as `<3`, figures that
//! would give a hidden one away as `x` (see `analysis::suppression`).

use super::extract::Query;
use super::{AppError, AppState, parse_param};
use crate::analysis::overlays::{HEADLINE_METRICS, OverlayRow, Overlays};
use crate::app::Principal;
use crate::model::{AreaId, AreaLevel};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverlayQuery {
    /// The level of the areas (`district` when not given).
    #[param(value_type = Option<AreaLevel>)]
    level: Option<String>,
    /// `json` (the default) or `csv`.
    #[param(example = "json")]
    format: Option<String>,
}

/// One level's overlays as JSON, or CSV with a BOM for Excel.
#[utoipa::path(get, path = "/api/support-overlays", tag = "support maps", params(OverlayQuery),
    responses((status = 200, description = "Each area's support-map aggregates (small counts shown as `<3`)",
        content((Object = "application/json"), (String = "text/csv")))))]
pub async fn overlays(
    State(state): State<AppState>,
    Query(q): Query<OverlayQuery>,
) -> Result<Response, AppError> {
    let level: AreaLevel = parse_param("level", q.level.as_deref())?.unwrap_or(AreaLevel::District);
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(AppError::parameter("format", format!("{other:?}: json or csv"))),
    };
    let app = state.app.clone();
    let all =
        state.heavy.run("the overlays", move |_| Ok(app.overlays(&Principal::anonymous(None))?)).await?;
    let table = all
        .iter()
        .find(|o| o.level == level)
        .ok_or_else(|| AppError::not_found(format!("the store holds no {} areas", level.as_str())))?;
    Ok(if csv { to_csv(table) } else { to_json(table) })
}

/// Each area of `level` as a GeoJSON feature (its polygon) with its support-map aggregates as
/// everyone sees them (small counts `<3`, complementary suppression `x`), with its area id: the
/// OGC collection `support_overlays`. Worked out in the heavy queue.
pub(super) async fn overlay_features(
    state: &AppState,
    level: AreaLevel,
) -> Result<Vec<(i64, Value)>, AppError> {
    state
        .in_heavy_queue("the overlays", move |state, _| {
            let all = state.app.overlays(&Principal::anonymous(None))?;
            let index = state.app.store.read();
            let Some(table) = all.iter().find(|o| o.level == level) else { return Ok(Vec::new()) };
            Ok(table
                .rows
                .iter()
                .filter_map(|r| {
                    let area = index.area(r.area_id)?;
                    let mut properties = row_head(table, r);
                    properties.extend(metric_values(table, r));
                    Some((area.id.0, crate::export::area_figures(area, Value::Object(properties))))
                })
                .collect())
        })
        .await
}

/// A row's area: id, name, parent and level.
fn row_head(t: &Overlays, r: &OverlayRow) -> serde_json::Map<String, Value> {
    crate::props!({ "area_id": r.area_id, "name": r.name, "parent_id": r.parent_id, "level": t.level })
}

/// A row's figures by metric, as everyone sees them.
fn metric_values(t: &Overlays, r: &OverlayRow) -> serde_json::Map<String, Value> {
    t.metrics.iter().cloned().zip(r.values.iter().map(|v| v.json(t.min_count))).collect()
}

fn row_json(t: &Overlays, r: &OverlayRow) -> Value {
    let mut row = row_head(t, r);
    row.insert("values".into(), Value::Object(metric_values(t, r)));
    Value::Object(row)
}

fn note(min_count: u64) -> String {
    format!(
        "1〜{} は <{min_count} と表示し、差し引きで分かってしまう数は x（秘匿）としています",
        min_count - 1
    )
}

fn to_json(t: &Overlays) -> Response {
    let rows: Vec<_> = t.rows.iter().map(|r| row_json(t, r)).collect();
    axum::Json(json!({
        "level": t.level, "min_count": t.min_count, "metrics": t.metrics, "rows": rows, "note": note(t.min_count),
    }))
    .into_response()
}

/// The overlay rows of `ids` (an area, its ward, the city: the karte's comparison), with the
/// headline metrics' labels. Public, like the overlays.
pub fn comparison_json(all: &[Overlays], ids: &[AreaId], min_count: u64) -> Value {
    let rows: Vec<Value> =
        ids.iter().filter_map(|id| all.iter().find_map(|t| Some(row_json(t, t.row(*id)?)))).collect();
    let headline: Vec<Value> =
        HEADLINE_METRICS.iter().map(|(id, label)| json!({ "id": id, "label": label })).collect();
    json!({ "min_count": min_count, "headline": headline, "rows": rows, "note": note(min_count) })
}

fn to_csv(t: &Overlays) -> Response {
    let mut out = String::from("\u{feff}area_id,name,");
    out.push_str(&t.metrics.join(","));
    out.push_str("\r\n");
    for r in &t.rows {
        out.push_str(&format!("{},\"{}\"", r.area_id.0, r.name.replace('"', "\"\"")));
        for v in &r.values {
            out.push(',');
            out.push_str(&v.text(t.min_count));
        }
        out.push_str("\r\n");
    }
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response()
}
