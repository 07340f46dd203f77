//! Records into model values: which property or column holds which field (by name, by the aliases
//! municipal files use, or as mapped by the user), and how each value is read.

use super::bands::AgeBands;
use super::crs::{self, Crs};
use super::dates::Date;
use super::geocode::{FAR_FROM_CITY_M, Geocoded};
use super::geometry;
use super::records::Record;
use super::{AreaOptions, ImportError, PopulationOptions, RecordProblem, SUSPECT, SiteOptions};
use crate::model::kind_table::{self, KindTable};
use crate::model::{
    AreaData, AreaLevel, Audience, ParentRef, PopulationData, Properties, SiteData, check_lon_lat,
};
use geo::Point;
use serde_json::Value;
use std::collections::HashMap;

/// The fields a column can be mapped to, with the names files commonly use for them.
const FIELDS: &[(&str, &[&str])] = &[
    (
        "name",
        &[
            "name",
            "名称",
            "S_NAME",
            "介護サービス事業所名称",
            "施設名",
            "施設名称",
            "事業所名",
            "事業所名称",
            "名前",
        ],
    ),
    ("code", &["code", "コード", "地域コード", "KEY_CODE"]),
    ("parent", &[]),
    ("level", &["level"]),
    (
        "kind",
        &[
            "kind",
            "実施サービス",
            "サービス種別",
            "サービスの種類",
            "施設種別",
            "施設の種類",
            "事業所種別",
            "医療機関の種類",
            "種別",
        ],
    ),
    ("lat", &["lat", "latitude", "緯度", "y"]),
    ("lon", &["lon", "lng", "long", "longitude", "経度", "x"]),
    ("plane_x", &["plane_x", "X座標", "X"]),
    ("plane_y", &["plane_y", "Y座標", "Y"]),
    ("address", &["address", "所在地_連結表記", "住所", "所在地"]),
    ("schedule", &["schedule", "開催日時", "スケジュール", "開所日時"]),
    ("audience", &["audience", "対象", "対象者"]),
    ("opened", &["opened", "開設日", "開設年月日", "開所日", "開設年月", "開始日"]),
    ("closed", &["closed", "廃止日", "廃止年月日", "閉所日", "廃止年月", "終了日"]),
    ("operator", &["operator", "運営者", "運営主体", "法人の名称", "設置者"]),
    ("total", &["total", "総数", "人口総数", "総人口", "人口"]),
    ("aged65", &["aged65", "65歳以上", "65歳以上人口", "老年人口"]),
    ("aged75", &["aged75", "75歳以上", "75歳以上人口"]),
    ("year", &["year", "年", "年次", "調査年"]),
    ("date", &["date", "調査年月日", "基準日", "時点"]),
    ("source", &["source", "出典"]),
    ("population_name", &["name", "町丁名", "町丁", "町丁字名", "地域名", "名称", "town"]),
    ("mesh", &["mesh", "mesh_code", "KEY_CODE", "メッシュコード", "メッシュ"]),
    ("ward", &["ward", "区", "区名"]),
];

/// Keys sasaeai's own exports add that are derived from other fields and not re-imported.
const DERIVED_KEYS: &[&str] = &[
    "id",
    "kind_label",
    "level_label",
    "parent_id",
    "parent_name",
    "parent_derived",
    "aged65_rate",
    "aged75_rate",
    "import_source",
    "import_row",
    "import_fingerprint",
];

/// User-given names of the columns (CSV) or properties (GeoJSON) holding each field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnMap(HashMap<&'static str, String>);

/// A `FIELD=COLUMN` mapping that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ColumnMapError {
    /// Not of the form `FIELD=COLUMN`.
    #[error("column mapping {0:?} is not FIELD=COLUMN")]
    Syntax(String),
    /// The field is not one sasaeai reads.
    #[error("unknown field {field:?} in column mapping; fields: {known}")]
    UnknownField { field: String, known: String },
}

impl ColumnMap {
    /// Maps `field` to `column`.
    pub fn set(&mut self, field: &str, column: impl Into<String>) -> Result<(), ColumnMapError> {
        let (key, _) =
            FIELDS.iter().find(|(f, _)| *f == field).ok_or_else(|| ColumnMapError::UnknownField {
                field: field.to_owned(),
                known: FIELDS.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", "),
            })?;
        self.0.insert(key, column.into());
        Ok(())
    }

    /// Parses mappings written `FIELD=COLUMN`, e.g. `lat=Y座標`.
    ///
    /// ```
    /// let map = sasaeai::import::ColumnMap::parse(["lat=Y座標", "name=施設名称"]).unwrap();
    /// assert!(sasaeai::import::ColumnMap::parse(["colour=色"]).is_err());
    /// ```
    pub fn parse<S: AsRef<str>>(specs: impl IntoIterator<Item = S>) -> Result<Self, ColumnMapError> {
        let mut map = ColumnMap::default();
        for spec in specs {
            let spec = spec.as_ref();
            let (field, column) =
                spec.split_once('=').ok_or_else(|| ColumnMapError::Syntax(spec.to_owned()))?;
            map.set(field.trim(), column.trim())?;
        }
        Ok(map)
    }

    /// Makes `lat` and `lon` the columns read, whatever the file had (for joined rows, whose
    /// position comes from the place they join).
    pub(super) fn force_coordinates(&mut self) {
        self.0.insert("lat", "lat".into());
        self.0.insert("lon", "lon".into());
    }

    /// Whether the user mapped `field` to a column.
    pub(super) fn is_mapped(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// The key holding `field` in `props`: the mapped one, or else the first alias present.
    pub(super) fn key<'p>(&self, props: &'p Properties, field: &str) -> Option<&'p str> {
        if let Some(column) = self.0.get(field) {
            return props.get_key_value(column.as_str()).map(|(k, _)| k.as_str());
        }
        let aliases = FIELDS.iter().find(|(f, _)| *f == field).map_or(&[][..], |(_, a)| a);
        aliases
            .iter()
            .find_map(|alias| props.keys().find(|k| k.eq_ignore_ascii_case(alias)))
            .map(String::as_str)
    }

    fn describe(&self, field: &str) -> String {
        match self.0.get(field) {
            Some(column) => format!("{column:?} (mapped)"),
            None => {
                let aliases = FIELDS.iter().find(|(f, _)| *f == field).map_or(&[][..], |(_, a)| a);
                aliases.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
            }
        }
    }
}

/// Reads one record's fields, remembering which keys were used and which problems were found.
struct Reader<'a> {
    record: &'a Record,
    columns: &'a ColumnMap,
    /// What a table's coordinate columns are in.
    crs: Crs,
    used: Vec<String>,
    problems: Vec<RecordProblem>,
    /// A count was concealed (e-Stat `*`).
    concealed: bool,
}

impl<'a> Reader<'a> {
    fn new(record: &'a Record, columns: &'a ColumnMap, crs: Crs) -> Self {
        Reader { record, columns, crs, used: Vec::new(), problems: Vec::new(), concealed: false }
    }

    fn problem(&mut self, field: Option<&str>, message: impl Into<String>) {
        self.problems.push(RecordProblem {
            place: self.record.place,
            field: field.map(str::to_owned),
            message: message.into(),
        });
    }

    /// The raw value of `field`, if the record has it and it is not null or blank.
    fn value(&mut self, field: &str) -> Option<(String, &'a Value)> {
        let key = self.columns.key(&self.record.properties, field)?;
        self.used.push(key.to_owned());
        let value = &self.record.properties[key];
        match value {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            v => Some((key.to_owned(), v)),
        }
    }

    fn text(&mut self, field: &str) -> Option<String> {
        let (key, value) = self.value(field)?;
        let text = match value {
            Value::String(s) => s.trim().to_owned(),
            other => other.to_string(),
        };
        match crate::model::limits::check_text(&text, crate::model::limits::TEXT_CHARS) {
            Ok(()) => Some(text),
            Err(e) => {
                self.problem(Some(&key), format!("{key} {e}"));
                None
            }
        }
    }

    fn required_text(&mut self, field: &str) -> Option<String> {
        let known_problems = self.problems.len();
        let text = self.text(field);
        if text.is_none() && self.problems.len() == known_problems {
            self.problem(Some(field), format!("{field} is missing or empty"));
        }
        text
    }

    fn number(&mut self, field: &str) -> Option<f64> {
        let (key, value) = self.value(field)?;
        let parsed = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => normalise_number(s).parse::<f64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.problem(Some(&key), format!("{value} is not a number"));
        }
        parsed
    }

    fn count(&mut self, field: &str) -> Option<u32> {
        if let Some(key) = self.columns.key(&self.record.properties, field)
            && matches!(
                self.record.properties[key].as_str().map(str::trim),
                Some("*" | "X" | "x" | "-" | "秘匿")
            )
        {
            // e-Stat conceals small counts; they are read as 0 and the record is flagged.
            self.used.push(key.to_owned());
            self.concealed = true;
            return Some(0);
        }
        let n = self.number(field);
        match n {
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 => Some(n as u32),
            Some(n) => {
                self.problem(Some(field), format!("{n} is not a whole number of people"));
                None
            }
            None => {
                self.problem(Some(field), format!("{field} is missing or not a number"));
                None
            }
        }
    }

    /// The sum of the counts in `keys` (age bands; a blank band counts 0). The columns stay as
    /// free properties.
    fn band_sum<'k>(&mut self, keys: impl Iterator<Item = &'k str>) -> Option<u32> {
        let mut sum = 0u32;
        for key in keys {
            let text = self.record.properties.get(key).and_then(Value::as_str).map(normalise_number);
            match text.as_deref().map(|t| if t.is_empty() { Ok(0) } else { t.parse::<u32>() }) {
                Some(Ok(n)) => sum = sum.saturating_add(n),
                _ => {
                    self.problem(
                        Some(key),
                        format!("{:?} is not a count of people", text.unwrap_or_default()),
                    );
                    return None;
                }
            }
        }
        Some(sum)
    }

    /// An angle in degrees, written as a decimal or in 度分秒.
    fn angle(&mut self, field: &str) -> Option<f64> {
        let dms = self.value(field).and_then(|(_, v)| v.as_str().and_then(crs::dms_degrees));
        dms.or_else(|| self.number(field))
    }

    /// The lon/lat of a row's 平面直角座標 (X northing, Y easting) in `zone`.
    fn plane_point(&mut self, zone: u8) -> Result<Point<f64>, String> {
        let before = self.problems.len();
        let (x, y) = (self.number("plane_x"), self.number("plane_y"));
        if self.problems.len() > before {
            return Err("平面直角座標 must be numbers (metres)".into());
        }
        let (Some(northing), Some(easting)) = (x, y) else {
            return Err("X座標 (northing) or Y座標 (easting) is missing".into());
        };
        let (lon, lat) = crs::PlaneToLonLat::zone(zone)?.lon_lat(northing, easting)?;
        check_lon_lat(lon, lat).map(|_| Point::new(lon, lat)).map_err(|e| e.to_string())
    }

    fn point(&mut self) -> Option<Point<f64>> {
        let location = match &self.record.geometry {
            Some(Some(g)) => geometry::point(g),
            Some(None) => Err("the feature has no geometry".to_owned()),
            None if let Crs::Plane(zone) = self.crs => self.plane_point(zone),
            None if self.columns.key(&self.record.properties, "lat").is_none() => match self.text("mesh") {
                Some(code) => super::mesh::cell(&code).map(|c| c.centre()),
                None => Err("no coordinates and no mesh code".to_owned()),
            },
            None => {
                let before = self.problems.len();
                let (lat, lon) = (self.angle("lat"), self.angle("lon"));
                if self.problems.len() > before {
                    return None; // already said which value is not a number
                }
                match (lat, lon) {
                    (Some(lat), Some(lon)) if lat == lon => Err(format!(
                        "{SUSPECT}: 緯度と経度が同じ値 {lat} です（経度の列に緯度が写されているようです）: latitude and longitude are equal"
                    )),
                    (Some(lat), Some(lon)) => {
                        check_lon_lat(lon, lat).map(|_| Point::new(lon, lat)).map_err(|e| {
                            // The CSV names the columns, so say which way round they were read.
                            format!("{e} (read latitude from the 緯度/lat column, longitude from 経度/lon)")
                        })
                    }
                    _ => Err("latitude or longitude is missing".to_owned()),
                }
            }
        };
        location.map_err(|e| self.problem(Some("geometry"), e)).ok()
    }

    /// The properties no field consumed, kept as free properties within
    /// [`crate::model::limits::PROPERTIES_BYTES`].
    fn rest(&mut self) -> Properties {
        let rest: Properties = self
            .record
            .properties
            .iter()
            .filter(|(k, _)| !self.used.contains(k) && !DERIVED_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let bytes = serde_json::to_vec(&rest).map_or(0, |s| s.len());
        let max = crate::model::limits::PROPERTIES_BYTES;
        if bytes > max {
            self.problem(None, format!("the other properties take {bytes} bytes; at most {max} are kept"));
        }
        rest
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, Vec<RecordProblem>> {
        match value {
            Some(v) if self.problems.is_empty() => Ok(v),
            _ => Err(self.problems),
        }
    }
}

/// Full-width digits and separators, as typed in Japanese spreadsheets, to ASCII; the minus sign
/// U+2212 as `-`; thousands commas dropped.
fn normalise_number(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| if c == '−' { '-' } else { crate::model::halfwidth(c) })
        .filter(|c| *c != ',')
        .collect()
}

pub fn area(record: &Record, options: &AreaOptions) -> Result<AreaData, Vec<RecordProblem>> {
    let mut r = Reader::new(record, &options.columns, options.crs);
    let geometry = match &record.geometry {
        Some(Some(g)) => geometry::polygonal(g).map_err(|e| r.problem(Some("geometry"), e)).ok(),
        _ => {
            r.problem(Some("geometry"), "an area needs a Polygon or MultiPolygon geometry");
            None
        }
    };
    let name = n03_name(&mut r).or_else(|| r.required_text("name"));
    let code =
        if options.columns.0.contains_key("code") { r.text("code") } else { n03_text(&mut r, "N03_007") }
            .or_else(|| r.text("code"));
    let level = match options.level {
        Some(level) => {
            r.value("level"); // the flag wins over a level property, which is not kept as a free one
            Some(level)
        }
        None => match r.text("level").map(|l| l.parse()) {
            Some(Ok(level)) => Some(level),
            Some(Err(e)) => {
                r.problem(Some("level"), e);
                None
            }
            // e-Stat's 小地域 boundaries are 町丁・字等.
            None if is_estat_small_area(record) => Some(AreaLevel::Chome),
            None => {
                r.problem(
                    Some("level"),
                    "no level given: pass --level or give each feature a level property",
                );
                None
            }
        },
    };
    let parent = r.text("parent").map_or(ParentRef::Derive, ParentRef::Named);
    let properties = r.rest();
    let data = match (name, level, geometry) {
        (Some(name), Some(level), Some(geometry)) => {
            Some(AreaData { name, level, code, parent, geometry, properties })
        }
        _ => None,
    };
    r.finish(data)
}

/// Whether a feature is from e-Stat's 小地域 (町丁・字等) boundaries.
fn is_estat_small_area(record: &Record) -> bool {
    ["S_NAME", "KEY_CODE", "HCODE"].iter().all(|k| record.properties.contains_key(*k))
}

fn n03_text(r: &mut Reader<'_>, key: &str) -> Option<String> {
    let value = r.record.properties.get(key)?.as_str()?.trim();
    r.used.push(key.to_owned());
    (!value.is_empty()).then(|| value.to_owned())
}

/// The N03 name: the ward (N03_005 in newer editions) or else the municipality (N03_004).
fn n03_name(r: &mut Reader<'_>) -> Option<String> {
    if r.columns.0.contains_key("name") {
        return None;
    }
    let ward = n03_text(r, "N03_005");
    let municipality = n03_text(r, "N03_004");
    ward.or(municipality)
}

/// N03 has one feature per polygon part; parts sharing a level and code become one area.
pub fn merge_by_code(areas: Vec<AreaData>) -> Vec<AreaData> {
    let mut merged: Vec<AreaData> = Vec::with_capacity(areas.len());
    let mut by_code: HashMap<(crate::model::AreaLevel, String), usize> = HashMap::new();
    for area in areas {
        let key = area.code.clone().map(|c| (area.level, c));
        match key.as_ref().and_then(|k| by_code.get(k)) {
            Some(&i) => merged[i].geometry.0.extend(area.geometry.0),
            None => {
                if let Some(k) = key {
                    by_code.insert(k, merged.len());
                }
                merged.push(area);
            }
        }
    }
    merged
}

/// The columns a site list needs: coordinates, unless a gazetteer is given and the rows have no
/// coordinate column at all (each is then placed by its address). Import and preview both ask here.
pub fn check_site_columns(records: &[Record], options: &SiteOptions) -> Result<(), ImportError> {
    let without_coordinates = |r: &Record| {
        ["lat", "lon", "plane_x", "plane_y"].iter().all(|f| options.columns.key(&r.properties, f).is_none())
    };
    let placed_by_address = options.gazetteer.is_some()
        && records.iter().find(|r| r.geometry.is_none()).is_some_and(without_coordinates);
    if placed_by_address { Ok(()) } else { check_point_columns(records, &options.columns, options.crs) }
}

/// Checks that CSV records have the columns every record needs, so that a missing column is said
/// once, not once per row.
pub fn check_point_columns(records: &[Record], columns: &ColumnMap, crs: Crs) -> Result<(), ImportError> {
    let Some(first) = records.iter().find(|r| r.geometry.is_none()) else { return Ok(()) };
    let fields = match crs {
        Crs::Plane(_) => ["plane_x", "plane_y"],
        Crs::LonLat
            if columns.key(&first.properties, "lat").is_none()
                && columns.key(&first.properties, "mesh").is_some() =>
        {
            return Ok(());
        }
        Crs::LonLat => ["lat", "lon"],
    };
    for field in fields {
        if columns.key(&first.properties, field).is_none() {
            return Err(ImportError::MissingColumn {
                field,
                looked_for: columns.describe(field),
                found: first.properties.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        }
    }
    Ok(())
}

/// The normalised join key of a row (`区|name` when it names a ward, else its code or name) and
/// the name as written.
pub fn join_key(record: &Record, columns: &ColumnMap) -> (Option<String>, String) {
    let name = text_of(record, columns, "population_name");
    let shown = name.clone().or_else(|| text_of(record, columns, "code")).unwrap_or_default();
    let key = match (name, text_of(record, columns, "code")) {
        (Some(n), _) if text_of(record, columns, "ward").is_some() => Some(name_key(record, columns, &n)),
        (_, Some(c)) => Some(super::join::normalise(&c)),
        (Some(n), None) => Some(name_key(record, columns, &n)),
        _ => None,
    };
    (key, shown)
}

/// The join key of `name` in `record`'s ward, when it gives one (`区|name`).
pub fn name_key(record: &Record, columns: &ColumnMap, name: &str) -> String {
    match text_of(record, columns, "ward") {
        Some(w) => format!("{}|{}", super::join::normalise(&w), super::join::normalise(name)),
        None => super::join::normalise(name),
    }
}

pub(super) fn text_of(record: &Record, columns: &ColumnMap, field: &str) -> Option<String> {
    columns
        .key(&record.properties, field)
        .and_then(|k| record.properties[k].as_str())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Whether `record` has a non-blank value for `field`.
pub fn has_value(record: &Record, columns: &ColumnMap, field: &str) -> bool {
    text_of(record, columns, field).is_some()
}

/// e-Stat's CSVs have a second header row of Japanese labels: line 2 whose mesh code is not a number.
pub fn is_label_row(record: &Record, columns: &ColumnMap) -> bool {
    record.place == super::Place::Line(2)
        && columns
            .key(&record.properties, "mesh")
            .and_then(|k| record.properties[k].as_str())
            .is_some_and(|v| v.trim().is_empty() || !v.trim().chars().all(|c| c.is_ascii_digit()))
}

/// The columns of the 自治体標準オープンデータセット (2019 and 2024 layouts) that together say when a
/// place is open: days, opening time, closing time, notes — first the general ones, then those of
/// the 医療機関 and other datasets.
const SCHEDULE_COLUMNS: [&[&str]; 4] = [
    &["利用可能曜日", "診療曜日", "開館曜日", "開設曜日"],
    &["開始時間", "利用開始時間", "診療開始時間", "開館時間"],
    &["終了時間", "利用終了時間", "診療終了時間", "閉館時間"],
    &["利用可能日時特記事項", "診療日時特記事項", "開館日時特記事項"],
];

/// The schedule as written, or composed from the standard layouts' day, time and note columns.
fn schedule(r: &mut Reader<'_>) -> Option<String> {
    if let Some(s) = r.text("schedule") {
        return Some(s);
    }
    let mut take = |keys: &[&str]| keys.iter().find_map(|key| n03_text(r, key));
    let [days, start, end, note] = SCHEDULE_COLUMNS;
    let days = take(days);
    let hours = match (take(start), take(end)) {
        (Some(a), Some(b)) => Some(format!("{a}–{b}")),
        (a, b) => a.or(b),
    };
    let note = take(note);
    let parts: Vec<String> = [days, hours, note].into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn address(r: &mut Reader<'_>) -> Option<String> {
    let main = r.text("address");
    let suffix = n03_text(r, "方書");
    match (main, suffix) {
        (Some(a), Some(s)) => Some(format!("{a} {s}")),
        (a, s) => a.or(s),
    }
}

fn audience(r: &mut Reader<'_>) -> Vec<Audience> {
    let Some((key, value)) = r.value("audience") else { return Vec::new() };
    let tags: Vec<String> = match value {
        Value::Array(items) => items.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect(),
        Value::String(s) => s.split([',', '、', '・', '/', ' ', '　']).map(str::to_owned).collect(),
        other => vec![other.to_string()],
    };
    let mut out = Vec::new();
    for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        match tag.parse::<Audience>() {
            Ok(a) if !out.contains(&a) => out.push(a),
            Ok(_) => {}
            Err(e) => r.problem(Some(&key), e),
        }
    }
    out
}

/// Whether a table row leaves both coordinates blank.
fn lacks_coordinates(record: &Record, options: &SiteOptions) -> bool {
    let blank = |field| !has_value(record, &options.columns, field);
    record.geometry.is_none() && options.crs == Crs::LonLat && blank("lat") && blank("lon")
}

/// A row's place from its address (`geocoded`), or from its coordinates when they are near the
/// city.
fn site_location(r: &mut Reader<'_>, options: &SiteOptions) -> (Option<Point<f64>>, Option<Geocoded>) {
    let Some(gazetteer) = options.gazetteer.as_deref() else { return (r.point(), None) };
    if lacks_coordinates(r.record, options) {
        let Some(address) = r.text("address") else {
            r.problem(Some("address"), "no coordinates and no address (住所) to place the row by");
            return (None, None);
        };
        return match gazetteer.locate(&address) {
            Ok(found) => (Some(found.location), Some(found)),
            Err(e) => {
                r.problem(Some("address"), e);
                (None, None)
            }
        };
    }
    let point = r.point();
    if let Some(far) = point.and_then(|p| gazetteer.distance_to_city_m(p)).filter(|d| *d > FAR_FROM_CITY_M) {
        r.problem(
            Some("geometry"),
            format!(
                "{SUSPECT}: {:.1} km from every known place of the city (町丁 and areas); check 緯度/経度",
                far / 1000.0
            ),
        );
    }
    (point, None)
}

pub fn site(record: &Record, options: &SiteOptions) -> Result<SiteData, Vec<RecordProblem>> {
    let mut r = Reader::new(record, &options.columns, options.crs);
    let (location, geocoded) = site_location(&mut r, options);
    let name = r.required_text("name");
    let kind = match options.kind {
        Some(kind) => {
            r.value("kind"); // the flag wins over a kind property, which is not kept as a free one
            Some(kind)
        }
        None => match r.value("kind").map(|(key, _)| key).zip(r.text("kind")) {
            Some((key, value)) => {
                let table = options.kind_table.as_deref().unwrap_or(KindTable::built_in());
                let kind = table.kind_of(&value);
                if kind.is_none() {
                    let unknown = kind_table::parts(&value).find(|p| table.kind_of_part(p).is_none());
                    let unknown = unknown.unwrap_or(&value);
                    r.problem(
                        Some(&key),
                        format!(
                            "unknown site kind {unknown:?} in {key}: not in the kind table; add a line \"{unknown},KIND\" with --kind-table (or choose its kind on the import page), or pass --kind"
                        ),
                    );
                }
                kind
            }
            None => {
                r.problem(Some("kind"), "no kind given: pass --kind or give each record a kind");
                None
            }
        },
    };
    let address = address(&mut r);
    let schedule = schedule(&mut r);
    let audience = audience(&mut r);
    let operator = r.text("operator");
    let dates = site_dates(&mut r);
    let mut properties = r.rest();
    for (key, date) in dates {
        properties.insert(key.into(), Value::String(date.to_string()));
    }
    if let Some(found) = geocoded {
        // Placed on a 町丁's representative point: the map and exports say it is approximate.
        properties.insert("geocoded".into(), Value::String("chome".into()));
        properties.insert("geocoded_place".into(), Value::String(found.place));
    }
    let data = match (name, kind, location) {
        (Some(name), Some(kind), Some(location)) => {
            Some(SiteData { name, kind, location, address, schedule, audience, operator, properties })
        }
        _ => None,
    };
    r.finish(data)
}

/// A site's opening and closing dates (開設日, 廃止日) as files write them — ISO, `2021/10/31`,
/// 令和, or a year alone (read as 1 January) — checked to be in order.
fn site_dates(r: &mut Reader) -> Vec<(&'static str, Date)> {
    let mut out = Vec::new();
    for field in ["opened", "closed"] {
        let Some(text) = r.text(field) else { continue };
        let date = super::dates::find_date(&text)
            .or_else(|| super::dates::find_year(&text).map(|year| Date { year, month: 1, day: 1 }));
        match date {
            Some(d) => out.push((field, d)),
            None => {
                r.problem(Some(field), format!("{text:?} is not a date (2020-04-01, 令和2年4月1日, 2020)"))
            }
        }
    }
    if let [(_, opened), (_, closed)] = out[..]
        && (closed.year, closed.month, closed.day) < (opened.year, opened.month, opened.day)
    {
        r.problem(Some("closed"), format!("closed on {closed}, before it opened on {opened}"));
    }
    out
}

pub fn population(
    record: &Record,
    options: &PopulationOptions,
    bands: Option<&AgeBands>,
) -> Result<PopulationData, Vec<RecordProblem>> {
    let mut r = Reader::new(record, &options.columns, options.crs);
    let location = r.point();
    let mesh = r.text("mesh");
    let name = r.text("population_name").or_else(|| mesh.clone());
    let mut count = |field: &str, from_age: u32| match bands {
        Some(b) if options.columns.key(&record.properties, field).is_none() => r.band_sum(b.aged(from_age)),
        _ => r.count(field),
    };
    let (total, aged65, aged75) = (count("total", 0), count("aged65", 65), count("aged75", 75));
    let date = reference_date(&mut r, options);
    let year = match r.number("year") {
        Some(y) if y.fract() == 0.0 && (1900.0..=2200.0).contains(&y) => Some(y as i32),
        Some(y) => {
            r.problem(Some("year"), format!("{y} is not a year"));
            None
        }
        None => date.map(|d| d.year).or(options.year),
    };
    let source = r.text("source").or_else(|| options.source.clone());
    let mut properties = r.rest();
    if let Some(code) = mesh {
        properties.insert("mesh_code".into(), Value::String(code));
    }
    if let Some(date) = date {
        properties.insert("date".into(), Value::String(date.to_string()));
    }
    if r.concealed {
        properties.insert("concealed".into(), Value::Bool(true));
    }
    let data = match (location, total, aged65, aged75) {
        (Some(location), Some(total), Some(aged65), Some(aged75)) => {
            let data = PopulationData { name, location, total, aged65, aged75, source, year, properties };
            match data.check_counts() {
                Ok(()) => Some(data),
                Err(e) => {
                    r.problem(None, e.to_string());
                    None
                }
            }
        }
        _ => None,
    };
    r.finish(data)
}

/// The date the figures are for: the one given for the whole file, else the record's own.
fn reference_date(r: &mut Reader<'_>, options: &PopulationOptions) -> Option<Date> {
    let written = r.text("date");
    if options.date.is_some() {
        return options.date;
    }
    let text = written?;
    text.parse::<Date>().map_err(|e| r.problem(Some("date"), e)).ok()
}
