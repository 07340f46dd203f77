//! Statistics tables as wards keep them, per area and per year, read into indicator figures:
//! **wide** (one row per area, one column per indicator, named by the catalogue's id or Japanese
//! name) or **long** (columns for the area, the indicator, the year and the value), as CSV or Excel.
//! Areas are named by code or by name; matching them to the store's areas is the application's
//! job. A cell published as suppressed (`<3`, `3未満`, `x`, `*`, `秘匿`) is kept as suppressed, never
//! as a number; an empty cell is no figure; `-` is zero, as statistical tables write it.

use super::records::{self, Record};
use super::{ImportError, Place, RecordProblem};
use crate::model::halfwidth;
use crate::model::indicators::{Catalogue, IndicatorFigure};

/// Column names of the area's name, code, the year, and a long table's indicator and value.
const AREA_NAME: &[&str] =
    &["地区名", "地域名", "区域名", "圏域名", "町丁名", "地区", "地域", "area", "name"];
const AREA_CODE: &[&str] = &["地区コード", "地域コード", "区域コード", "コード", "code"];
pub(super) const YEAR: &[&str] = &["年度", "年", "調査年", "year"];
const INDICATOR: &[&str] = &["指標", "指標名", "項目", "indicator"];
const VALUE: &[&str] = &["値", "数値", "value"];

/// One figure of one area for one year.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRow {
    pub place: Place,
    /// The area as the file names it, and its code when the file gives one.
    pub area_name: Option<String>,
    pub area_code: Option<String>,
    /// The catalogue id.
    pub indicator: String,
    pub year: i32,
    pub figure: IndicatorFigure,
}

/// Reads a table of indicators. `year` is the year of every figure when the table has no year
/// column (a wide table usually has none), and overrides none that it has. All or nothing: every
/// problem is named.
pub fn read(
    bytes: &[u8],
    sheet: Option<&str>,
    catalogue: &Catalogue,
    year: Option<i32>,
) -> Result<Vec<IndicatorRow>, ImportError> {
    let (records, _) = records::read(bytes, sheet, super::crs::Crs::LonLat)?;
    let Some(first) = records.first() else { return Err(ImportError::Empty) };
    let column = |names: &[&str]| column(first, names);
    let (name, code) = (column(AREA_NAME), column(AREA_CODE));
    if name.is_none() && code.is_none() {
        return Err(missing("area", "the area", AREA_NAME.iter().chain(AREA_CODE), first));
    }
    let year_column = column(YEAR);
    if year.is_none() && year_column.is_none() {
        return Err(missing("year", "the year (or give it with --year / year=)", YEAR.iter(), first));
    }
    let layout = match (column(INDICATOR), column(VALUE)) {
        (Some(indicator), Some(value)) => Layout::Long { indicator, value },
        _ => Layout::Wide(wide_columns(first, catalogue, [&name, &code, &year_column])?),
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in &records {
        let text = |c: &Option<String>| c.as_ref().and_then(|c| cell(record, c));
        let row_year = match (year, text(&year_column)) {
            (Some(y), _) => Ok(y),
            (None, Some(t)) => {
                super::dates::find_year(&t).ok_or(format!("{t:?} is not a year (2023, 令和5年, 2023年度)"))
            }
            (None, None) => Err("no year".to_owned()),
        };
        let row_year = match row_year {
            Ok(y) => y,
            Err(message) => {
                problems.push(RecordProblem { place: record.place, field: year_column.clone(), message });
                continue;
            }
        };
        let (area_name, area_code) = (text(&name), text(&code));
        if area_name.is_none() && area_code.is_none() {
            problems.push(problem(record, None, "no area name or code"));
            continue;
        }
        let figures = match &layout {
            Layout::Wide(columns) => columns.iter().map(|(c, id)| (c.clone(), id.clone())).collect(),
            Layout::Long { indicator, value } => match text(&Some(indicator.clone())) {
                Some(named) => match catalogue.get(&named) {
                    Some(ind) => vec![(value.clone(), ind.id.clone())],
                    None => {
                        problems.push(problem(record, Some(indicator), &unknown(&named)));
                        continue;
                    }
                },
                None => {
                    problems.push(problem(record, Some(indicator), "no indicator"));
                    continue;
                }
            },
        };
        for (column, indicator) in figures {
            match cell(record, &column).map(|v| figure(&v)) {
                None => {}
                Some(Ok(figure)) => out.push(IndicatorRow {
                    place: record.place,
                    area_name: area_name.clone(),
                    area_code: area_code.clone(),
                    indicator,
                    year: row_year,
                    figure,
                }),
                Some(Err(message)) => problems.push(problem(record, Some(&column), &message)),
            }
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid { problems });
    }
    if out.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(out)
}

enum Layout {
    /// Column → indicator id.
    Wide(Vec<(String, String)>),
    Long {
        indicator: String,
        value: String,
    },
}

/// The indicator of every column of a wide table but the area's and the year's. A column the
/// catalogue does not know is refused (listed), unless it holds no figure at all (a 備考 column).
fn wide_columns(
    first: &Record,
    catalogue: &Catalogue,
    taken: [&Option<String>; 3],
) -> Result<Vec<(String, String)>, ImportError> {
    let mut columns = Vec::new();
    let mut unknown_columns = Vec::new();
    for key in first.properties.keys().filter(|k| !taken.iter().any(|t| t.as_deref() == Some(k.as_str()))) {
        match catalogue.get(key) {
            Some(ind) => columns.push((key.clone(), ind.id.clone())),
            None if cell(first, key).is_some_and(|v| figure(&v).is_ok()) => unknown_columns.push(key.clone()),
            None => {}
        }
    }
    if !unknown_columns.is_empty() {
        let problems = unknown_columns
            .iter()
            .map(|c| RecordProblem { place: Place::Line(1), field: Some(c.clone()), message: unknown(c) })
            .collect();
        return Err(ImportError::Invalid { problems });
    }
    if columns.is_empty() {
        return Err(ImportError::Invalid {
            problems: vec![RecordProblem {
                place: Place::Line(1),
                field: None,
                message: "no column names an indicator of the catalogue, and there is no 指標/値 pair".into(),
            }],
        });
    }
    Ok(columns)
}

fn unknown(name: &str) -> String {
    format!(
        "{name:?} is not in the indicator catalogue; use its id or Japanese name, or add it to the catalogue"
    )
}

pub(super) fn missing<'a>(
    field: &'static str,
    what: &str,
    looked_for: impl Iterator<Item = &'a &'a str>,
    first: &Record,
) -> ImportError {
    ImportError::MissingColumn {
        field,
        looked_for: format!("{what}: {}", looked_for.copied().collect::<Vec<_>>().join(", ")),
        found: first.properties.keys().cloned().collect::<Vec<_>>().join(", "),
    }
}

pub(super) fn problem(record: &Record, field: Option<&String>, message: &str) -> RecordProblem {
    RecordProblem { place: record.place, field: field.cloned(), message: message.to_owned() }
}

/// The first column of `first` named one of `names` (spaces around a name ignored).
pub(super) fn column(first: &Record, names: &[&str]) -> Option<String> {
    first.properties.keys().find(|k| names.contains(&k.trim())).cloned()
}

pub(super) fn cell(record: &Record, column: &str) -> Option<String> {
    let value = record.properties.get(column)?;
    let text = match value {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A cell as a figure: a number (full-width digits and thousands separators allowed), `-` as zero,
/// or a mark of suppression at the source.
///
/// ```
/// use sasaeai::import::indicators::figure;
/// use sasaeai::model::indicators::IndicatorFigure;
/// assert_eq!(figure("１，２３４"), Ok(IndicatorFigure::Value(1234.0)));
/// assert_eq!(figure("28.5%"), Ok(IndicatorFigure::Value(28.5)));
/// assert_eq!(figure("<3"), Ok(IndicatorFigure::Suppressed));
/// assert_eq!(figure("-"), Ok(IndicatorFigure::Value(0.0)));
/// assert!(figure("多い").is_err());
/// ```
pub fn figure(text: &str) -> Result<IndicatorFigure, String> {
    let t: String = text.trim().chars().map(halfwidth).filter(|c| *c != ',').collect();
    let t = t.trim_end_matches('%').trim();
    match t {
        "-" | "—" | "－" => Ok(IndicatorFigure::Value(0.0)),
        "x" | "X" | "×" | "*" | "秘匿" | "…" => Ok(IndicatorFigure::Suppressed),
        _ if t.starts_with('<') || t.ends_with("未満") => Ok(IndicatorFigure::Suppressed),
        _ => match t.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(IndicatorFigure::Value(v)),
            _ => Err(format!(
                "{text:?} is not a figure (a number, - for none, or <3 / x where it is withheld)"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, year: Option<i32>) -> Result<Vec<IndicatorRow>, ImportError> {
        read(text.as_bytes(), None, Catalogue::built_in(), year)
    }

    #[test]
    fn a_wide_table_gives_one_figure_per_cell() {
        let got = rows("地区名,総人口,65歳以上人口,備考\n港,1200,400,新しい団地\n山手,800,<3,\n", Some(2023))
            .unwrap();
        let seen: Vec<(&str, &str, IndicatorFigure)> =
            got.iter().map(|r| (r.area_name.as_deref().unwrap(), r.indicator.as_str(), r.figure)).collect();
        assert_eq!(
            seen,
            [
                ("港", "population", IndicatorFigure::Value(1200.0)),
                ("港", "population_65", IndicatorFigure::Value(400.0)),
                ("山手", "population", IndicatorFigure::Value(800.0)),
                ("山手", "population_65", IndicatorFigure::Suppressed),
            ]
        );
        assert!(got.iter().all(|r| r.year == 2023));
    }

    #[test]
    fn a_long_table_names_indicator_and_year_per_row() {
        let got =
            rows("コード,指標,年度,値\n101,高齢化率,令和5年度,31.2\n101,births,2022,12\n", None).unwrap();
        assert_eq!((got[0].indicator.as_str(), got[0].year), ("ageing_rate", 2023));
        assert_eq!(
            (got[1].indicator.as_str(), got[1].year, got[1].area_code.as_deref()),
            ("births", 2022, Some("101"))
        );
    }

    #[test]
    fn unknown_columns_and_bad_cells_are_named_and_nothing_is_read() {
        let Err(ImportError::Invalid { problems }) = rows("地区名,総人口,謎の数\n港,1200,5\n", Some(2023))
        else {
            panic!("an unknown indicator column is refused")
        };
        assert_eq!(problems[0].field.as_deref(), Some("謎の数"));
        let Err(ImportError::Invalid { problems }) = rows("地区名,総人口\n港,たくさん\n", Some(2023))
        else {
            panic!("a bad cell is refused")
        };
        assert_eq!(problems[0].place, Place::Line(2));
        assert!(matches!(rows("地区名,総人口\n港,1\n", None), Err(ImportError::MissingColumn { .. })));
    }
}
