//! Files into uniform records: a GeoJSON feature, a row of a delimited text table or of a
//! spreadsheet, each with its place in the file, its properties and, for GeoJSON, its geometry
//! (EPSG:4326). Rows with no value at all (padding at the end of many published tables) are
//! dropped.

use super::crs::{self, Crs};
use super::table::{self, Content};
use super::{ImportError, Place, RecordProblem, text};
use crate::model::Properties;
use geojson::{Feature, GeoJson, GeometryValue};

/// One feature or row.
pub struct Record {
    pub place: Place,
    pub properties: Properties,
    /// `Some` for GeoJSON features (`Some(None)` for a feature with a null geometry); `None` for CSV.
    pub geometry: Option<Option<GeometryValue>>,
}

/// The features of a GeoJSON FeatureCollection or single Feature, in lon/lat: positions in a
/// 平面直角座標系, named by the file's `crs` member (GeoJSON 2008, as GDAL and QGIS write it) or
/// by `crs`, are converted.
pub fn geojson(bytes: &[u8], crs: Crs) -> Result<Vec<Record>, ImportError> {
    let (text, _) = text::decode(bytes)?;
    let (mut records, named) = match serde_json::from_str::<streamed::Collection>(&text) {
        Ok(collection) if collection.is_feature_collection => (collection.features, collection.crs),
        // A single Feature, or a file that is not a FeatureCollection: read whole, for its message.
        _ => whole(&text)?,
    };
    let crs = match named {
        None => crs,
        Some(name) => match name.parse::<Crs>() {
            Ok(named) if crs == Crs::LonLat || named == crs => named,
            Ok(named) => {
                return Err(ImportError::NotGeoJson(format!(
                    "the file's crs member says {named}, but {crs} was given"
                )));
            }
            Err(e) => return Err(ImportError::NotGeoJson(format!("crs member: {e}"))),
        },
    };
    if let Crs::Plane(zone) = crs {
        to_lon_lat(&mut records, zone)?;
    }
    Ok(records)
}

/// A GeoJSON document read whole: its features and the name of its `crs` member.
fn whole(text: &str) -> Result<(Vec<Record>, Option<String>), ImportError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
    let named = value.pointer("/crs/properties/name").and_then(|n| n.as_str()).map(str::to_owned);
    let features =
        match serde_json::from_value::<GeoJson>(value).map_err(|e| ImportError::NotGeoJson(e.to_string()))? {
            GeoJson::FeatureCollection(fc) => fc.features,
            GeoJson::Feature(f) => vec![f],
            GeoJson::Geometry(_) => {
                return Err(ImportError::NotGeoJson(
                    "a bare geometry has no properties; wrap it in a Feature".into(),
                ));
            }
        };
    Ok((features.into_iter().enumerate().map(|(i, f)| feature_record(i + 1, f)).collect(), named))
}

/// A FeatureCollection read feature by feature, each turned into a record as it is read, so that a
/// large file is never held as a JSON tree as well as its records.
mod streamed {
    use super::{Record, feature_record};
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    /// The parts of a FeatureCollection the importer reads.
    #[derive(Default)]
    pub struct Collection {
        pub is_feature_collection: bool,
        pub features: Vec<Record>,
        /// The name in its GeoJSON 2008 `crs` member.
        pub crs: Option<String>,
    }

    impl<'de> de::Deserialize<'de> for Collection {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_map(CollectionVisitor)
        }
    }

    struct CollectionVisitor;

    impl<'de> Visitor<'de> for CollectionVisitor {
        type Value = Collection;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a GeoJSON FeatureCollection")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Collection, A::Error> {
            let mut out = Collection::default();
            while let Some(key) = map.next_key::<String>()? {
                match key.as_str() {
                    "type" => out.is_feature_collection = map.next_value::<String>()? == "FeatureCollection",
                    "features" => out.features = map.next_value::<Features>()?.0,
                    "crs" => {
                        let crs: serde_json::Value = map.next_value()?;
                        out.crs = crs.pointer("/properties/name").and_then(|n| n.as_str()).map(str::to_owned);
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(out)
        }
    }

    struct Features(Vec<Record>);

    impl<'de> de::Deserialize<'de> for Features {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_seq(FeaturesVisitor)
        }
    }

    struct FeaturesVisitor;

    impl<'de> Visitor<'de> for FeaturesVisitor {
        type Value = Features;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of GeoJSON Features")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Features, A::Error> {
            let mut records = Vec::new();
            while let Some(feature) = seq.next_element::<geojson::Feature>()? {
                records.push(feature_record(records.len() + 1, feature));
            }
            Ok(Features(records))
        }
    }
}

/// Converts the records' geometries from `zone`'s plane coordinates, naming each that cannot be.
fn to_lon_lat(records: &mut [Record], zone: u8) -> Result<(), ImportError> {
    let mut problems = Vec::new();
    for record in records {
        if let Some(Some(geometry)) = &mut record.geometry
            && let Err(message) = crs::geometry_to_lon_lat(geometry, zone)
        {
            problems.push(RecordProblem { place: record.place, field: Some("geometry".into()), message });
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(ImportError::Invalid { problems }) }
}

fn feature_record(n: usize, f: Feature) -> Record {
    Record {
        place: Place::Feature(n),
        properties: f.properties.unwrap_or_default(),
        geometry: Some(f.geometry.map(|g| g.value)),
    }
}

/// A JSON syntax error with the text around it, so that `[NaN, 35.6]` or a stray comma is visible.
pub fn json_error(text: &str, e: &serde_json::Error) -> ImportError {
    let line_text = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
    let col = e.column().saturating_sub(1);
    let start = line_text.char_indices().map(|(i, _)| i).find(|i| *i + 30 >= col).unwrap_or(0);
    let snippet: String = line_text[start..].chars().take(60).collect();
    let mut message = e.to_string();
    if let Some(cut) = message.find(" at line ") {
        message.truncate(cut);
    }
    if snippet.contains("NaN") || snippet.contains("Infinity") {
        message.push_str(" (JSON has no NaN or Infinity: every coordinate must be a finite number)");
    }
    let near = if snippet.trim().is_empty() { String::new() } else { format!(", near `{}`", snippet.trim()) };
    ImportError::Json { line: e.line(), column: e.column(), message, near }
}

/// A column name as the importer matches it: trimmed, without the `必須` (required) mark that
/// template headers carry (`名称　必須`, `緯度（必須）`).
///
/// ```text
/// "名称　必須" → "名称",  "緯度（必須）" → "緯度",  " 住所 " → "住所"
/// ```
fn header(name: &str) -> String {
    let name = name.trim();
    let bare = name
        .strip_suffix("（必須）")
        .or_else(|| name.strip_suffix("(必須)"))
        .or_else(|| name.strip_suffix("必須").filter(|rest| rest.ends_with(|c: char| c.is_whitespace())));
    bare.unwrap_or(name).trim().to_owned()
}

/// How a file was read: what it is and, for text, its encoding; for a workbook, the sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub content: Content,
    pub encoding: Option<text::TextEncoding>,
    pub sheet: Option<String>,
}

impl Source {
    fn of(content: Content) -> Source {
        Source { content, encoding: None, sheet: None }
    }
}

/// The records of any file the imports read: GeoJSON, a delimited text table, or `sheet` (else the
/// first sheet) of a workbook, with how the file was read. `crs` is what GeoJSON positions are in
/// when the file does not say; a table's coordinate columns are read by the fields.
pub fn read(bytes: &[u8], sheet: Option<&str>, crs: Crs) -> Result<(Vec<Record>, Source), ImportError> {
    let content = table::content(bytes)?;
    match content {
        Content::GeoJson => Ok((geojson(bytes, crs)?, Source::of(content))),
        Content::Text(delimiter) => {
            let (records, encoding) = csv(bytes, delimiter)?;
            Ok((records, Source { encoding: Some(encoding), ..Source::of(content) }))
        }
        Content::Spreadsheet => {
            let (records, name) = spreadsheet(bytes, sheet)?;
            Ok((records, Source { sheet: Some(name), ..Source::of(content) }))
        }
        Content::Shapefile => Ok((super::shp::records(super::shp::unzip(bytes)?, crs)?, Source::of(content))),
    }
}

/// The features of a file with geometry: GeoJSON, or a zipped Shapefile.
pub fn features(bytes: &[u8], crs: Crs) -> Result<Vec<Record>, ImportError> {
    match table::content(bytes)? {
        Content::Shapefile => super::shp::records(super::shp::unzip(bytes)?, crs),
        _ => geojson(bytes, crs),
    }
}

/// The rows of a sheet, keyed by its header row; each placed by its row number in the sheet. With
/// the sheet's name.
fn spreadsheet(bytes: &[u8], sheet: Option<&str>) -> Result<(Vec<Record>, String), ImportError> {
    let table::Sheet { name, rows } = table::read_sheet(bytes, sheet)?;
    let mut rows = rows.into_iter();
    let Some(table::SheetRow { cells: headers, .. }) = rows.next() else { return Ok((Vec::new(), name)) };
    let records = rows
        .map(|table::SheetRow { number: row, cells }| {
            let properties =
                headers.iter().zip(cells).map(|(h, v)| (header(h), serde_json::Value::String(v))).collect();
            Record { place: Place::Row(row), properties, geometry: None }
        })
        .collect();
    Ok((records, name))
}

/// The rows of a delimited text file with a header row, as string properties keyed by header.
/// Cells beyond the header's are accepted only when empty (many files end each line with a run of
/// empty fields). With the encoding the text was in.
fn csv(bytes: &[u8], delimiter: u8) -> Result<(Vec<Record>, text::TextEncoding), ImportError> {
    let (text, encoding) = text::decode(bytes)?;
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let csv_error = |e: csv::Error| ImportError::Csv {
        line: e.position().map_or(1, |p| p.line()),
        message: match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                format!("{len} fields where the header has {expected_len}")
            }
            _ => e.to_string(),
        },
    };
    let headers: Vec<String> = reader.headers().map_err(csv_error)?.iter().map(header).collect();
    let mut records = Vec::new();
    for row in reader.records() {
        let row = row.map_err(csv_error)?;
        let line = row.position().map_or(0, |p| p.line());
        if row.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let extra = row.iter().skip(headers.len()).any(|v| !v.trim().is_empty());
        if row.len() < headers.len() || extra {
            let message = format!("{} fields where the header has {}", row.len(), headers.len());
            return Err(ImportError::Csv { line, message });
        }
        let properties = headers
            .iter()
            .zip(row.iter())
            .map(|(h, v)| (h.clone(), serde_json::Value::String(v.trim().to_owned())))
            .collect();
        records.push(Record { place: Place::Line(line), properties, geometry: None });
    }
    Ok((records, encoding))
}
