//! `GET /api/indicators?level=district&year=2024[&format=csv|xlsx]`: every area of a level with its
//! indicators for one year — the 地域ケア会議 table — as JSON, as CSV for Excel (UTF-8 with BOM), or
//! as an Excel workbook (a sheet of figures, numbers as numbers, and a sheet saying what each
//! indicator is). Who sees what: public indicators to everyone, small counts withheld; staff-only
//! indicators and exact figures to staff who may see them for every area of the table.

use super::analysis::csv_field;
use super::auth::Caller;
use super::extract::Query;
use super::{AppError, AppState, parse_param};
use crate::analysis::indicators::Published;
use crate::app::IndicatorTable;
use crate::model::AreaLevel;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// The level of the areas (`district` when not given).
    #[param(value_type = Option<AreaLevel>)]
    level: Option<String>,
    /// The year of the figures (the latest held when not given).
    #[serde(default, deserialize_with = "crate::model::calendar::optional_year")]
    #[param(minimum = 1900, maximum = 2200)]
    year: Option<i32>,
    /// `json` (the default), `csv` (with a BOM, for Excel) or `xlsx`.
    #[param(example = "json")]
    format: Option<String>,
}

/// What the table is written as.
#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Csv,
    Xlsx,
}

impl Format {
    fn parse(text: Option<&str>) -> Result<Format, AppError> {
        match text {
            None | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some("xlsx") => Ok(Format::Xlsx),
            Some(other) => Err(AppError::parameter("format", format!("{other:?} is not json, csv or xlsx"))),
        }
    }
}

/// `GET /api/indicators`: every area's indicators of a year, staff-only ones for staff of every area
/// in the table.
#[utoipa::path(get, path = "/api/indicators", tag = "analysis", params(IndicatorQuery),
    responses((status = 200, description = "The indicator table", content(
        (Object = "application/json"), (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
pub async fn table(
    State(state): State<AppState>,
    Caller(who): Caller,
    Query(q): Query<IndicatorQuery>,
) -> Result<Response, AppError> {
    let level: AreaLevel = parse_param("level", q.level.as_deref())?.unwrap_or(AreaLevel::District);
    let format = Format::parse(q.format.as_deref())?;
    let year = q.year;
    // Figures rebuilt after a write, and a workbook for a city's areas, are real work: the heavy
    // queue bounds how many run at once.
    state
        .in_heavy_queue("the indicator table", move |state, _| {
            render(&state.app.indicator_table(&who, level, year)?, level, format)
        })
        .await
}

/// Each area of `level` as a GeoJSON feature (its polygon) with the public indicators of `year`
/// (the latest held when not given) as everyone sees them (small counts `<3`, withheld `x`), and
/// the year they are for, with its area id: the OGC collection `indicators`. Worked out in the heavy
/// queue.
pub(super) async fn indicator_features(
    state: &AppState,
    level: AreaLevel,
    year: Option<i32>,
) -> Result<Vec<(i64, Value)>, AppError> {
    state
        .in_heavy_queue("the indicators", move |state, _| {
            let t = state.app.indicator_table(&crate::app::Principal::anonymous(None), level, year)?;
            Ok(t.rows
                .iter()
                .map(|(area, figures)| {
                    let mut properties = crate::props!({
                        "area_id": area.id, "name": area.name, "code": area.code, "level": level, "year": t.year,
                    });
                    for (i, figure) in t.indicators.iter().zip(figures) {
                        properties.insert(i.id.clone(), serde_json::to_value(figure).expect("serialisable"));
                    }
                    (area.id.0, crate::export::area_figures(area, Value::Object(properties)))
                })
                .collect())
        })
        .await
}

/// The table written as asked.
fn render(t: &IndicatorTable, level: AreaLevel, format: Format) -> Result<Response, AppError> {
    let file_name = |ext: &str| {
        let year = t.year.map_or("none".to_owned(), |y| y.to_string());
        format!("attachment; filename=\"sasaeai-indicators-{level}-{year}.{ext}\"")
    };
    Ok(match format {
        Format::Json => Json(as_json(t, level)).into_response(),
        Format::Csv => {
            let headers = [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, file_name("csv")),
            ];
            (headers, as_csv(t)).into_response()
        }
        Format::Xlsx => {
            let bytes = as_xlsx(t, level).map_err(|e| AppError::Internal(e.into()))?;
            let headers = [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (header::CONTENT_DISPOSITION, file_name("xlsx")),
            ];
            (headers, bytes).into_response()
        }
    })
}

fn as_json(t: &IndicatorTable, level: AreaLevel) -> Value {
    let rows: Vec<Value> = t
        .rows
        .iter()
        .map(|(area, figures)| {
            let values: serde_json::Map<String, Value> = t
                .indicators
                .iter()
                .zip(figures)
                .map(|(i, f)| (i.id.clone(), serde_json::to_value(f).expect("serialisable")))
                .collect();
            json!({ "area_id": area.id, "name": area.name, "code": area.code, "values": values })
        })
        .collect();
    let indicators: Vec<Value> = t
        .indicators
        .iter()
        .map(|i| json!({ "id": i.id, "name": i.name, "unit": i.unit, "field": i.field, "visibility": i.visibility }))
        .collect();
    json!({ "level": level, "year": t.year, "staff_view": t.staff_view, "indicators": indicators, "rows": rows })
}

/// A published figure as a table cell: `1234`, `31.2`, `<3` or `x`.
fn cell(figure: &Option<Published>) -> String {
    match serde_json::to_value(figure).expect("serialisable") {
        Value::Null => String::new(),
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A column's heading: the indicator's name and unit.
fn heading(i: &crate::model::indicators::Indicator) -> String {
    format!("{}（{}）", i.name, i.unit)
}

fn as_csv(t: &IndicatorTable) -> String {
    let mut body = String::from("\u{feff}地域ID,名称,コード");
    for i in &t.indicators {
        body.push(',');
        body.push_str(&csv_field(&json!(heading(i))));
    }
    body.push_str("\r\n");
    for (area, figures) in &t.rows {
        let code = area.code.clone().unwrap_or_default();
        let (name, code) = (csv_field(&json!(area.name)), csv_field(&json!(code)));
        body.push_str(&format!("{},{name},{code}", area.id.0));
        for f in figures {
            body.push(',');
            body.push_str(&cell(f));
        }
        body.push_str("\r\n");
    }
    body
}

/// The workbook: 「指標」 with one row per area (figures as numbers, `<3` and `x` as text, so sums
/// in Excel never count a withheld figure as zero without saying so), and 「指標の説明」.
fn as_xlsx(t: &IndicatorTable, level: AreaLevel) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let mut book = Workbook::new();
    let bold = CellFormat::new().set_bold().set_text_wrap();
    let year = t.year.map_or("—".to_owned(), |y| format!("{y}年"));
    let sheet = book.add_worksheet().set_name("指標")?;
    sheet.write_string_with_format(0, 0, format!("{}ごとの指標（{year}）", level.label_ja()), &bold)?;
    for (col, title) in ["地域ID", "名称", "コード"].into_iter().enumerate() {
        sheet.write_string_with_format(1, col as u16, title, &bold)?;
    }
    for (col, i) in t.indicators.iter().enumerate() {
        sheet.write_string_with_format(1, col as u16 + 3, heading(i), &bold)?;
    }
    for (row, (area, figures)) in t.rows.iter().enumerate() {
        let row = row as u32 + 2;
        sheet.write_number(row, 0, area.id.0 as f64)?;
        sheet.write_string(row, 1, &area.name)?;
        sheet.write_string(row, 2, area.code.as_deref().unwrap_or_default())?;
        for (col, figure) in figures.iter().enumerate() {
            let col = col as u16 + 3;
            match figure {
                None => {}
                Some(Published::Value(v)) => {
                    sheet.write_number(row, col, *v)?;
                }
                Some(other) => {
                    sheet.write_string(row, col, cell(&Some(*other)))?;
                }
            }
        }
    }
    sheet.set_freeze_panes(2, 2)?;
    sheet.set_column_width(1, 16)?;
    let about = book.add_worksheet().set_name("指標の説明")?;
    for (col, title) in ["id", "指標", "分野", "単位", "公開", "出典", "計算"].into_iter().enumerate()
    {
        about.write_string_with_format(0, col as u16, title, &bold)?;
    }
    for (row, i) in t.indicators.iter().enumerate() {
        let row = row as u32 + 1;
        let cells = [&i.id, &i.name, i.field.label_ja(), &i.unit, i.visibility.label_ja(), &i.source];
        for (col, text) in cells.into_iter().enumerate() {
            about.write_string(row, col as u16, text)?;
        }
        if let Some(rate) = &i.rate {
            let of =
                |id: &str| t.indicators.iter().find(|x| x.id == id).map_or(id.to_owned(), |x| x.name.clone());
            let formula = format!("{} ÷ {} × {}", of(&rate.numerator), of(&rate.denominator), rate.scale);
            about.write_string(row, 6, formula)?;
        }
    }
    about.write_string(
        t.indicators.len() as u32 + 2,
        0,
        "<3 は 1〜2、x は差し引きで分かってしまうため秘匿。率は内訳の数から計算（地区の率の平均ではありません）。",
    )?;
    book.save_to_buffer()
}
