//! Imports of the files ward offices have: area boundaries (GeoJSON, including 国土数値情報 N03),
//! sites (GeoJSON, or CSV in the 自治体標準オープンデータセット layout, UTF-8 or Shift_JIS) and
//! population points. Input and output are EPSG:4326.
//!
//! Parsing is separate from storing: these functions turn bytes into model values and reject the
//! whole file when any record is wrong, naming every bad record; the store then writes all of it in
//! one transaction.

mod bands;
pub mod crs;
pub mod dates;
pub mod districts;
pub mod estat;
mod fields;
pub mod geocode;
mod geometry;
pub mod indicators;
pub mod join;
pub mod mesh;
pub mod participants;
pub mod preview;
mod records;
pub mod shp;
pub mod table;
mod text;

pub use fields::{ColumnMap, ColumnMapError};
pub use geometry::type_name as geometry_type_name;
pub use text::{TextEncoding, decode};

use crate::model::{AreaData, AreaLevel, PopulationData, SiteData, SiteKind};
use records::Record;

/// Where in a file a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// The n-th feature of a GeoJSON file, counting from 1.
    Feature(usize),
    /// A CSV record starting at this line, counting from 1 (the header is line 1).
    Line(u64),
    /// A spreadsheet row, numbered as the spreadsheet shows it.
    Row(u32),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Feature(n) => write!(f, "feature {n}"),
            Place::Line(n) => write!(f, "line {n}"),
            Place::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// One thing wrong with one record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RecordProblem {
    pub place: Place,
    /// The property or column at fault, when there is one.
    pub field: Option<String>,
    pub message: String,
}

/// The words a problem message starts with when the value is readable but probably wrong: a row
/// with only such problems is counted as suspect, not bad.
pub const SUSPECT: &str = "suspect coordinates";

impl RecordProblem {
    pub fn is_suspect(&self) -> bool {
        self.message.starts_with(SUSPECT)
    }
}

impl std::fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} ({field}): {}", self.place, self.message),
            None => write!(f, "{}: {}", self.place, self.message),
        }
    }
}

/// Why a file cannot be imported. Nothing of it is stored.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The bytes are neither UTF-8 nor Shift_JIS.
    #[error("line {line}: the text is neither UTF-8 nor Shift_JIS")]
    Encoding { line: usize },
    /// The file is not well-formed JSON.
    #[error("not valid JSON at line {line}, column {column}: {message}{near}")]
    Json { line: usize, column: usize, message: String, near: String },
    /// Well-formed JSON that is not a GeoJSON Feature or FeatureCollection.
    #[error("not a GeoJSON FeatureCollection or Feature: {0}")]
    NotGeoJson(String),
    /// The CSV itself is malformed (e.g. a row with the wrong number of fields).
    #[error("CSV line {line}: {message}")]
    Csv { line: u64, message: String },
    /// A field every record needs has no column.
    #[error("no column for {field}: looked for {looked_for}; the file has {found}")]
    MissingColumn { field: &'static str, looked_for: String, found: String },
    /// The file holds no records.
    #[error("the file holds no features or rows")]
    Empty,
    /// The file is not a table, a spreadsheet or GeoJSON; says what it appears to be.
    #[error("this file appears to be {0}")]
    NotATable(String),
    /// A workbook that cannot be read, or has no such sheet.
    #[error("spreadsheet: {0}")]
    Spreadsheet(String),
    /// Some records are invalid.
    #[error("{} invalid record(s), nothing imported; first: {}", problems.len(), problems[0])]
    Invalid { problems: Vec<RecordProblem> },
}

/// How area records are read.
#[derive(Debug, Clone, Default)]
pub struct AreaOptions {
    /// The level of every area; when `None`, each record's `level` property.
    pub level: Option<AreaLevel>,
    /// Property names for `name`, `code` and `parent` (parent by name or code).
    pub columns: ColumnMap,
    /// What positions are in when the file does not say (a GeoJSON `crs` member).
    pub crs: crs::Crs,
}

/// How site records are read.
#[derive(Debug, Clone, Default)]
pub struct SiteOptions {
    /// The kind of every site; when `None`, each record's `kind` property or column.
    pub kind: Option<SiteKind>,
    pub columns: ColumnMap,
    /// The sheet of a workbook to read; the first when `None`.
    pub sheet: Option<String>,
    /// What coordinates are in: lon/lat (decimal or 度分秒), or a 平面直角座標系 zone whose X
    /// (northing) and Y (easting) columns are read. A GeoJSON `crs` member says it for its file.
    pub crs: crs::Crs,
    /// The city's places: rows with an address and no coordinates are put on the place it names,
    /// and rows far from every place are refused as suspect.
    pub gazetteer: Option<std::sync::Arc<geocode::Gazetteer>>,
    /// Category names (a `種別` column's values) to kinds, when `kind` is `None`; the built-in
    /// table when `None`.
    pub kind_table: Option<std::sync::Arc<crate::model::kind_table::KindTable>>,
}

/// How population records are read.
#[derive(Debug, Clone, Default)]
pub struct PopulationOptions {
    /// Written into `source` where a record has none.
    pub source: Option<String>,
    /// Written into `year` where a record has none.
    pub year: Option<i32>,
    pub columns: ColumnMap,
    /// The sheet of a workbook to read; the first when `None`.
    pub sheet: Option<String>,
    /// The reference date of every record, whatever the file says (some files carry a stale one).
    /// Otherwise each record's date column (調査年月日), else a date in the sheet's name.
    pub date: Option<dates::Date>,
    /// What coordinates are in, as for sites.
    pub crs: crs::Crs,
}

/// A population table ready to be read: e-Stat's label row used and its secrecy groups
/// apportioned, total rows dropped, age bands found, the date of a sheet's name taken where the
/// rows have none.
struct PopulationTable {
    records: Vec<Record>,
    source: records::Source,
    options: PopulationOptions,
    bands: Option<bands::AgeBands>,
}

fn population_table(bytes: &[u8], options: &PopulationOptions) -> Result<PopulationTable, ImportError> {
    let invalid = |problems| ImportError::Invalid { problems };
    let (mut records, source) = records::read(bytes, options.sheet.as_deref(), options.crs)?;
    let mut options = options.clone();
    if let Some(at) = records.iter().position(|r| fields::is_label_row(r, &options.columns)) {
        estat::map_labelled_columns(&records.remove(at), &mut options.columns);
    }
    estat::apportion_merged(&mut records, &options.columns).map_err(invalid)?;
    let Some(first) = records.first() else { return Err(ImportError::Empty) };
    let name_key = options.columns.key(&first.properties, "population_name").map(str::to_owned);
    let columns = &options.columns;
    let counted: Vec<&str> =
        ["total", "aged65", "aged75"].iter().filter_map(|f| columns.key(&first.properties, f)).collect();
    let bands = if counted.len() == 3 {
        None // the file gives the three counts; its bands, if any, stay as they are
    } else {
        bands::AgeBands::detect(first.properties.keys().filter(|k| !counted.contains(&k.as_str())))?
    };
    bands::drop_total_rows(&mut records, name_key.as_deref()).map_err(invalid)?;
    if options.date.is_none() && !records.iter().any(|r| fields::has_value(r, &options.columns, "date")) {
        options.date = source.sheet.as_deref().and_then(dates::find_date);
    }
    Ok(PopulationTable { records, source, options, bands })
}

fn collect<T>(
    records: Vec<Record>,
    build: impl FnMut(&Record) -> Result<T, Vec<RecordProblem>>,
) -> Result<Vec<T>, ImportError> {
    match collect_lenient(records, build)? {
        (out, rejected) if rejected.is_empty() => Ok(out),
        (_, rejected) => {
            Err(ImportError::Invalid { problems: rejected.into_iter().flat_map(|r| r.problems).collect() })
        }
    }
}

/// A row left out of a lenient import: where it was, why, and its values as the file gave them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rejected {
    pub place: Place,
    pub problems: Vec<RecordProblem>,
    #[serde(skip)]
    pub row: crate::model::Properties,
}

/// The records that build, and the ones that do not.
fn collect_lenient<T>(
    records: Vec<Record>,
    mut build: impl FnMut(&Record) -> Result<T, Vec<RecordProblem>>,
) -> Result<(Vec<T>, Vec<Rejected>), ImportError> {
    if records.is_empty() {
        return Err(ImportError::Empty);
    }
    let mut out = Vec::with_capacity(records.len());
    let mut rejected = Vec::new();
    for record in records {
        match build(&record) {
            Ok(v) => out.push(v),
            Err(problems) => {
                rejected.push(Rejected { place: record.place, problems, row: record.properties })
            }
        }
    }
    Ok((out, rejected))
}

/// The rejected rows as a CSV beside the input: where each was, why, then its own columns.
pub fn rejected_csv(rejected: &[Rejected]) -> Result<Vec<u8>, ImportError> {
    let mut columns: Vec<&String> = Vec::new();
    for key in rejected.iter().flat_map(|r| r.row.keys()) {
        if !columns.contains(&key) {
            columns.push(key);
        }
    }
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let failed = |e: csv::Error| ImportError::Csv { line: 0, message: e.to_string() };
    let header = ["場所 (place)", "理由 (reason)"].into_iter().chain(columns.iter().map(|c| c.as_str()));
    out.write_record(header).map_err(failed)?;
    for r in rejected {
        let reason: Vec<String> = r
            .problems
            .iter()
            .map(|p| match &p.field {
                Some(f) => format!("{f}: {}", p.message),
                None => p.message.clone(),
            })
            .collect();
        let cell = |c: &String| match r.row.get(c.as_str()) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let values =
            [r.place.to_string(), reason.join("; ")].into_iter().chain(columns.iter().map(|c| cell(c)));
        out.write_record(values).map_err(failed)?;
    }
    out.into_inner().map_err(|e| ImportError::Csv { line: 0, message: e.to_string() })
}

/// Reads areas from GeoJSON. N03 files are understood as they are: `N03_004` (or `N03_005` for a
/// designated city's ward) is the name, `N03_007` the code, and the several features N03 has for one
/// municipality (islands) are merged into one area.
pub fn areas(bytes: &[u8], options: &AreaOptions) -> Result<Vec<AreaData>, ImportError> {
    let records = records::features(bytes, options.crs)?;
    let built = collect(records, |r| fields::area(r, options))?;
    Ok(fields::merge_by_code(built))
}

/// The features of a GeoJSON file as (place, properties, geometry) in lon/lat, for layers read
/// elsewhere (the walking network).
pub fn line_features(
    bytes: &[u8],
) -> Result<Vec<(Place, crate::model::Properties, Option<geojson::GeometryValue>)>, ImportError> {
    let records = records::features(bytes, crs::Crs::LonLat)?;
    if records.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(records.into_iter().map(|r| (r.place, r.properties, r.geometry.flatten())).collect())
}

/// A checked GeoJSON position (finite, in range, not swapped).
pub fn checked_coord(p: &geojson::Position) -> Result<geo::Coord<f64>, String> {
    geometry::coord(p)
}

/// Reads sites from GeoJSON, a delimited text table or a spreadsheet.
pub fn sites(bytes: &[u8], options: &SiteOptions) -> Result<Vec<SiteData>, ImportError> {
    let (records, _) = records::read(bytes, options.sheet.as_deref(), options.crs)?;
    fields::check_site_columns(&records, options)?;
    collect(records, |r| fields::site(r, options))
}

/// Reads the sites that are valid and the rows that are not, with why (for `--skip-invalid`).
pub fn sites_lenient(
    bytes: &[u8],
    options: &SiteOptions,
) -> Result<(Vec<SiteData>, Vec<Rejected>), ImportError> {
    let (records, _) = records::read(bytes, options.sheet.as_deref(), options.crs)?;
    fields::check_site_columns(&records, options)?;
    collect_lenient(records, |r| fields::site(r, options))
}

/// Reads population points from GeoJSON, CSV or a workbook — with coordinates, or with a JIS X 0410
/// mesh code (e-Stat 地域メッシュ統計: the point is the cell's centre; e-Stat's second header row of
/// labels names the columns, secrecy groups are read as [`estat`] says, and other concealed counts
/// `*` are read as 0 and flagged). 65+ and 75+ may come from 5-year age bands.
pub fn population(bytes: &[u8], options: &PopulationOptions) -> Result<Vec<PopulationData>, ImportError> {
    let PopulationTable { records, options, bands, .. } = population_table(bytes, options)?;
    fields::check_point_columns(&records, &options.columns, options.crs)?;
    collect(records, |r| fields::population(r, &options, bands.as_ref()))
}

/// Reads the population points that are valid and the rows that are not, with why.
pub fn population_lenient(
    bytes: &[u8],
    options: &PopulationOptions,
) -> Result<(Vec<PopulationData>, Vec<Rejected>), ImportError> {
    let PopulationTable { records, options, bands, .. } = population_table(bytes, options)?;
    fields::check_point_columns(&records, &options.columns, options.crs)?;
    collect_lenient(records, |r| fields::population(r, &options, bands.as_ref()))
}
