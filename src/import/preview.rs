//! What an import would do, without doing it: how the file was read (format, encoding, delimiter,
//! sheet), which column holds each field, how many rows are good, suspect, placed by address or
//! bad, the kinds they get, and the first problems. The same readers as the import run, record by
//! record, so the preview and the import cannot disagree.

use super::records::{self, Record};
use super::table::{self, Content};
use super::{
    AreaOptions, ImportError, PopulationOptions, RecordProblem, SiteOptions, districts, fields, join,
    population_table, text,
};
use crate::model::kind_table::{self, KindTable};
use crate::model::{AreaLevel, SiteKind};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// How many problems a preview lists.
pub const PROBLEMS_SHOWN: usize = 20;

/// What an import of a file would do.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Preview {
    /// `geojson`, `text` (delimited) or `spreadsheet`.
    pub format: &'static str,
    /// For text: `utf8`, `utf8_bom` or `shift_jis`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<text::TextEncoding>,
    /// For text: the delimiter found (`,`, a tab, `;`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// For a workbook: the sheet read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Field → the column or property of the file that holds it.
    pub columns: BTreeMap<&'static str, String>,
    /// Rows or features read.
    pub records: usize,
    /// Rows that would be imported.
    pub good: usize,
    /// Rows refused only because their coordinates look wrong (far from the city, latitude = longitude).
    pub suspect: usize,
    /// Good rows placed on the 町丁 their address names.
    pub geocoded: usize,
    /// Rows with another problem.
    pub bad: usize,
    /// Sites: how many of each kind.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub kinds: BTreeMap<&'static str, usize>,
    /// Sites given no kind by flag: each category their kind column names, the most frequent first
    /// (at most [`CATEGORIES_SHOWN`]), with the kind the table gives it, so that a person can
    /// choose one for those it does not know.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    /// Areas from a list of 町丁: what the list leaves to a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<districts::ListReport>,
    /// The first problems, at most [`PROBLEMS_SHOWN`].
    pub problems: Vec<RecordProblem>,
    /// How many problems there are in all.
    pub problem_count: usize,
}

/// How many distinct categories a preview lists.
pub const CATEGORIES_SHOWN: usize = 100;

/// A value of a site list's kind column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Category {
    pub value: String,
    /// Rows naming it.
    pub rows: usize,
    /// The kind the table gives it; `None` when unknown.
    pub kind: Option<SiteKind>,
}

/// The categories of the rows' kind column, each with its row count and kind.
fn categories(records: &[Record], options: &SiteOptions) -> Vec<Category> {
    if options.kind.is_some() {
        return Vec::new();
    }
    let table = options.kind_table.as_deref().unwrap_or(KindTable::built_in());
    let mut rows: HashMap<&str, usize> = HashMap::new();
    let values: Vec<String> =
        records.iter().filter_map(|r| fields::text_of(r, &options.columns, "kind")).collect();
    for value in &values {
        for part in kind_table::parts(value) {
            *rows.entry(part).or_default() += 1;
        }
    }
    let mut out: Vec<Category> = rows
        .into_iter()
        .map(|(value, rows)| Category { value: value.to_owned(), rows, kind: table.kind_of_part(value) })
        .collect();
    out.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.value.cmp(&b.value)));
    out.truncate(CATEGORIES_SHOWN);
    out
}

/// The fields each layer reads, in the order a preview lists them.
const SITE_FIELDS: &[&str] =
    &["name", "kind", "lat", "lon", "plane_x", "plane_y", "address", "schedule", "operator"];
const POPULATION_FIELDS: &[&str] =
    &["population_name", "code", "ward", "mesh", "lat", "lon", "total", "aged65", "aged75", "year", "date"];
const AREA_FIELDS: &[&str] = &["name", "code", "level", "parent"];

impl Preview {
    /// A preview of how a file was read, before any record is built.
    fn of_source(source: records::Source) -> Preview {
        let format = match source.content {
            Content::GeoJson => "geojson",
            Content::Text(_) => "text",
            Content::Spreadsheet => "spreadsheet",
            Content::Shapefile => "shapefile",
        };
        let delimiter = match source.content {
            Content::Text(d) => Some(char::from(d).to_string()),
            _ => None,
        };
        Preview { format, encoding: source.encoding, delimiter, sheet: source.sheet, ..Preview::default() }
    }

    fn map_columns(&mut self, first: Option<&Record>, columns: &fields::ColumnMap, wanted: &[&'static str]) {
        let Some(first) = first else { return };
        for field in wanted {
            if let Some(key) = columns.key(&first.properties, field) {
                self.columns.insert(field, key.to_owned());
            }
        }
    }

    /// Counts one record's outcome.
    fn record(&mut self, problems: Result<(), Vec<RecordProblem>>) {
        self.records += 1;
        match problems {
            Ok(()) => self.good += 1,
            Err(problems) => {
                if problems.iter().all(RecordProblem::is_suspect) {
                    self.suspect += 1;
                } else {
                    self.bad += 1;
                }
                self.problem_count += problems.len();
                let room = PROBLEMS_SHOWN.saturating_sub(self.problems.len());
                self.problems.extend(problems.into_iter().take(room));
            }
        }
    }
}

/// The preview of a site import.
pub fn sites(bytes: &[u8], options: &SiteOptions) -> Result<Preview, ImportError> {
    let (records, source) = records::read(bytes, options.sheet.as_deref(), options.crs)?;
    let mut preview = Preview::of_source(source);
    preview.map_columns(records.first(), &options.columns, SITE_FIELDS);
    if let Err(missing) = fields::check_site_columns(&records, options) {
        // Said once for the header, before the rows that lack it.
        let header =
            RecordProblem { place: super::Place::Line(1), field: None, message: missing.to_string() };
        preview.problems.push(header);
        preview.problem_count += 1;
    }
    preview.categories = categories(&records, options);
    for record in records {
        let site = fields::site(&record, options);
        if let Ok(site) = &site {
            *preview.kinds.entry(site.kind.as_str()).or_default() += 1;
            preview.geocoded += usize::from(site.properties.contains_key("geocoded"));
        }
        preview.record(site.map(drop));
    }
    Ok(preview)
}

/// The preview of a population import, placed by coordinates or mesh code, or by name when
/// `places` are given.
pub fn population(
    bytes: &[u8],
    options: &PopulationOptions,
    places: Option<&[join::JoinPlace]>,
) -> Result<Preview, ImportError> {
    let table = population_table(bytes, options)?;
    let mut preview = Preview::of_source(table.source.clone());
    preview.map_columns(table.records.first(), &table.options.columns, POPULATION_FIELDS);
    if let Some(bands) = &table.bands {
        for (field, from) in [("total", 0), ("aged65", 65), ("aged75", 75)] {
            let keys: Vec<&str> = bands.aged(from).collect();
            preview
                .columns
                .entry(field)
                .or_insert_with(|| format!("the sum of {} age bands: {}", keys.len(), keys.join(" + ")));
        }
    }
    match places {
        None => {
            for record in table.records {
                preview.record(fields::population(&record, &table.options, table.bands.as_ref()).map(drop));
            }
        }
        Some(places) => {
            let index = join::PlaceIndex::new(places);
            for record in table.records {
                preview.record(index.place(record, &table.options, table.bands.as_ref()).map(drop));
            }
        }
    }
    Ok(preview)
}

/// The preview of areas built from a list of the 町丁 each holds.
pub fn area_list(
    bytes: &[u8],
    level: AreaLevel,
    places: &[districts::ChomePlace],
) -> Result<Preview, ImportError> {
    let list = districts::read_list(bytes, level, places)?;
    let mut preview = Preview::of_source(list.source);
    preview.records = list.rows;
    preview.good = list.areas.len();
    preview.bad = list.problems.len();
    preview.problem_count = list.problems.len();
    preview.problems = list.problems.into_iter().take(PROBLEMS_SHOWN).collect();
    preview.list = Some(list.report);
    Ok(preview)
}

/// The preview of an area import.
pub fn areas(bytes: &[u8], options: &AreaOptions) -> Result<Preview, ImportError> {
    let content = table::content(bytes)?;
    let records = records::features(bytes, options.crs)?;
    let mut preview = Preview::of_source(records::Source { content, encoding: None, sheet: None });
    preview.map_columns(records.first(), &options.columns, AREA_FIELDS);
    for record in records {
        preview.record(fields::area(&record, options).map(drop));
    }
    Ok(preview)
}
