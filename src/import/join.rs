//! 町丁別・年齢別人口: population tables keyed by 町丁 name or code, joined to places — the store's 町丁
//! areas (given by the application layer) or a file of 町丁 representative points. Names are compared after normalising the ways
//! the same 町丁 is written (全角/半角 digits, 1丁目 / 一丁目, spaces, ヶ/ケ). Rows that match nothing
//! are listed, never dropped silently. Positions are EPSG:4326.

use super::bands::AgeBands;
use super::records::Record;
use super::{ImportError, PopulationOptions, RecordProblem, fields};
use crate::model::PopulationData;
use geo::Point;
use std::collections::HashMap;

/// A place a row can join to.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinPlace {
    /// What it is called, as shown in reports.
    pub label: String,
    /// Keys it answers to: its name, its code, and `区|name` when its ward is known.
    pub keys: Vec<String>,
    pub location: Point<f64>,
}

impl JoinPlace {
    /// A place called `name` (in `ward`, if given) with an optional code.
    pub fn new(name: &str, ward: Option<&str>, code: Option<&str>, location: Point<f64>) -> Self {
        let mut keys = vec![normalise(name)];
        if let Some(w) = ward {
            keys.push(format!("{}|{}", normalise(w), normalise(name)));
        }
        keys.extend(code.map(normalise));
        JoinPlace { label: ward.map_or(name.to_owned(), |w| format!("{w}{name}")), keys, location }
    }
}

/// Positions in a list of named places by their names as [`normalise`] writes them, each name
/// also known without a leading `大字` or `字` (`大字久賀` answers to 久賀, and 久賀 to 大字久賀).
#[derive(Debug, Default)]
pub struct NameIndex {
    by_name: HashMap<String, Vec<usize>>,
    /// The most characters a name has, so that searches in a text stop there.
    longest: usize,
}

/// A normalised name without its `大字` or `字` prefix.
fn without_oaza(name: &str) -> Option<&str> {
    name.strip_prefix("大字").or_else(|| name.strip_prefix('字')).filter(|n| !n.is_empty())
}

impl NameIndex {
    pub fn new<'n>(names: impl IntoIterator<Item = &'n str>) -> Self {
        let mut index = NameIndex::default();
        for (i, name) in names.into_iter().enumerate() {
            let name = normalise(name);
            let short = without_oaza(&name).map(str::to_owned);
            for key in std::iter::once(name).chain(short) {
                index.longest = index.longest.max(key.chars().count());
                let hits = index.by_name.entry(key).or_default();
                if !hits.contains(&i) {
                    hits.push(i);
                }
            }
        }
        index
    }

    /// The places called `name`, with or without its `大字`.
    pub fn get(&self, name: &str) -> &[usize] {
        let name = normalise(name);
        match self.normalised(&name) {
            [] => without_oaza(&name).map_or(&[], |short| self.normalised(short)),
            hits => hits,
        }
    }

    /// The places whose normalised name is `key`.
    pub fn normalised(&self, key: &str) -> &[usize] {
        self.by_name.get(key).map_or(&[], Vec::as_slice)
    }

    /// The most characters any name has.
    pub fn longest_chars(&self) -> usize {
        self.longest
    }
}

/// Places from a GeoJSON file of points, named by `name_field` (and `ward_field` when given), such
/// as 町丁 representative points.
pub fn point_places(
    bytes: &[u8],
    name_field: &str,
    ward_field: Option<&str>,
) -> Result<Vec<JoinPlace>, ImportError> {
    let mut places = Vec::new();
    let mut problems = Vec::new();
    for (place, props, geometry) in super::line_features(bytes)? {
        let text = |k: &str| props.get(k).and_then(|v| v.as_str()).map(str::trim).filter(|v| !v.is_empty());
        let location = geometry
            .as_ref()
            .ok_or_else(|| "the feature has no geometry".to_owned())
            .and_then(super::geometry::point);
        match (text(name_field), location) {
            (Some(name), Ok(p)) => places.push(JoinPlace::new(name, ward_field.and_then(text), None, p)),
            (None, _) => problems.push(RecordProblem {
                place,
                field: Some(name_field.into()),
                message: "no name".into(),
            }),
            (_, Err(message)) => {
                problems.push(RecordProblem { place, field: Some("geometry".into()), message })
            }
        }
    }
    if problems.is_empty() { Ok(places) } else { Err(ImportError::Invalid { problems }) }
}

/// What a join left over.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct JoinReport {
    /// Rows that matched no place (when they were allowed).
    pub unmatched_rows: Vec<RecordProblem>,
    /// Places no row matched.
    pub places_without_rows: Vec<String>,
}

const KANJI: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// A number written in kanji as in 町丁 names: 1 → 一, 12 → 十二, 30 → 三十.
pub fn kanji_number(n: u32) -> String {
    match n {
        0..=9 => KANJI[n as usize].to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", KANJI[(n - 10) as usize]),
        _ if n.is_multiple_of(10) && n < 100 => format!("{}十", KANJI[(n / 10) as usize]),
        20..=99 => format!("{}十{}", KANJI[(n / 10) as usize], KANJI[(n % 10) as usize]),
        _ => n.to_string(),
    }
}

/// The form names are compared in.
///
/// ```
/// use sasaeai::import::join::normalise;
/// assert_eq!(normalise("井田１丁目"), normalise("井田一丁目"));
/// assert_eq!(normalise(" 百合ヶ丘 12丁目"), normalise("百合ケ丘十二丁目"));
/// ```
pub fn normalise(name: &str) -> String {
    let ascii: String = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'ヶ' | 'ｹ' | 'ヵ' => 'ケ',
            c => crate::model::halfwidth(c),
        })
        .collect();
    // Digits before 丁目 become kanji numerals, as in the official 町丁 names.
    let mut out = String::new();
    let mut digits = String::new();
    let chars: Vec<char> = ascii.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            digits.push(*c);
            continue;
        }
        if !digits.is_empty() {
            let before_chome = *c == '丁' && chars.get(i + 1) == Some(&'目');
            out.push_str(&if before_chome {
                kanji_number(digits.parse().unwrap_or(0))
            } else {
                digits.clone()
            });
            digits.clear();
        }
        out.push(*c);
    }
    out.push_str(&digits);
    out
}

/// Places by each key they answer to.
pub(super) struct PlaceIndex<'p> {
    places: &'p [JoinPlace],
    by_key: HashMap<&'p str, Vec<usize>>,
}

/// Why a row found no single place.
enum Miss {
    /// It names nothing known (a listed mismatch).
    Unmatched(RecordProblem),
    /// It names no place, several, or its figures are wrong.
    Invalid(Vec<RecordProblem>),
}

impl<'p> PlaceIndex<'p> {
    pub(super) fn new(places: &'p [JoinPlace]) -> Self {
        let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in places.iter().enumerate() {
            for k in &p.keys {
                let hits = by_key.entry(k.as_str()).or_default();
                if !hits.contains(&i) {
                    hits.push(i);
                }
            }
        }
        PlaceIndex { places, by_key }
    }

    /// The place `row` names — or the places, for a combined name (`A・B`, reported together).
    /// A 支所 prefix (`本庁_中央`, `北部支所＿A`) is tried without it when the whole name matches nothing.
    fn find(&self, row: &Record, options: &PopulationOptions) -> Result<Vec<usize>, Miss> {
        let miss = |message: String| RecordProblem { place: row.place, field: Some("name".into()), message };
        let (key, shown) = fields::join_key(row, &options.columns);
        let Some(key) = key else { return Err(Miss::Invalid(vec![miss("no 町丁 name or code".into())])) };
        let hits = |key: &str| self.by_key.get(key).map(Vec::as_slice).unwrap_or_default();
        let unprefixed =
            shown.split_once(['_', '＿']).map(|(_, rest)| fields::name_key(row, &options.columns, rest));
        let found = match (hits(&key), unprefixed.as_deref().map(hits)) {
            ([], Some(other)) if !other.is_empty() => other,
            (found, _) => found,
        };
        match found {
            [one] => Ok(vec![*one]),
            [] => self
                .combined(row, options, &shown)
                .ok_or_else(|| Miss::Unmatched(miss(format!("{shown:?} matches no 町丁")))),
            hits => {
                let names: Vec<&str> = hits.iter().map(|&i| self.places[i].label.as_str()).collect();
                Err(Miss::Invalid(vec![miss(format!(
                    "{shown:?} matches {} 町丁 ({}); add a ward (区) column or use codes",
                    hits.len(),
                    names.join(", ")
                ))]))
            }
        }
    }

    /// The places of a combined name, when every part names exactly one.
    fn combined(&self, row: &Record, options: &PopulationOptions, shown: &str) -> Option<Vec<usize>> {
        let parts: Vec<&str> = shown.split(['・', '･']).map(str::trim).filter(|p| !p.is_empty()).collect();
        if parts.len() < 2 {
            return None;
        }
        parts
            .iter()
            .map(|part| {
                match self
                    .by_key
                    .get(fields::name_key(row, &options.columns, part).as_str())
                    .map(Vec::as_slice)
                {
                    Some([one]) => Some(*one),
                    _ => None,
                }
            })
            .collect()
    }

    /// One row placed at the place it names, for previews: a mismatch is one of its problems.
    pub(super) fn place(
        &self,
        row: Record,
        options: &PopulationOptions,
        bands: Option<&AgeBands>,
    ) -> Result<PopulationData, Vec<RecordProblem>> {
        match self.find(&row, options) {
            Ok(at) => self.read_at(row, &at, options, bands),
            Err(Miss::Unmatched(p)) => Err(vec![p]),
            Err(Miss::Invalid(p)) => Err(p),
        }
    }

    /// `row` read as a population unit at the places `at`: one place's point, or the middle of a
    /// combined name's places (their names kept in `joined_places`).
    fn read_at(
        &self,
        mut row: Record,
        at: &[usize],
        options: &PopulationOptions,
        bands: Option<&AgeBands>,
    ) -> Result<PopulationData, Vec<RecordProblem>> {
        let n = at.len() as f64;
        let (x, y) = at
            .iter()
            .map(|&i| self.places[i].location)
            .fold((0.0, 0.0), |(x, y), p| (x + p.x() / n, y + p.y() / n));
        row.properties.insert("lat".into(), serde_json::json!(y));
        row.properties.insert("lon".into(), serde_json::json!(x));
        let label = at.iter().map(|&i| self.places[i].label.as_str()).collect::<Vec<_>>().join("・");
        if at.len() > 1 {
            row.properties.insert("joined_places".into(), serde_json::json!(label));
        }
        let mut columns = options.columns.clone();
        columns.force_coordinates();
        let opts = PopulationOptions { columns, crs: Default::default(), ..options.clone() };
        let mut data = fields::population(&row, &opts, bands)?;
        data.name.get_or_insert(label);
        Ok(data)
    }
}

/// Reads a population table and places each row at the place it names. Unless `allow_unmatched`,
/// a row that matches no place (or more than one) fails the whole import.
pub fn population(
    bytes: &[u8],
    options: &PopulationOptions,
    places: &[JoinPlace],
    allow_unmatched: bool,
) -> Result<(Vec<PopulationData>, JoinReport), ImportError> {
    let index = PlaceIndex::new(places);
    let super::PopulationTable { records: rows, options, bands, .. } =
        super::population_table(bytes, options)?;
    let mut used = vec![false; places.len()];
    let mut out = Vec::new();
    let mut unmatched = Vec::new();
    let mut problems = Vec::new();
    for row in rows {
        match index.find(&row, &options) {
            Ok(at) => {
                for &i in &at {
                    used[i] = true;
                }
                match index.read_at(row, &at, &options, bands.as_ref()) {
                    Ok(data) => out.push(data),
                    Err(p) => problems.extend(p),
                }
            }
            Err(Miss::Unmatched(p)) => unmatched.push(p),
            Err(Miss::Invalid(p)) => problems.extend(p),
        }
    }
    if !allow_unmatched {
        problems.extend(unmatched.iter().cloned());
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid { problems });
    }
    let places_without_rows =
        places.iter().zip(&used).filter(|(_, u)| !**u).map(|(p, _)| p.label.clone()).collect();
    Ok((out, JoinReport { unmatched_rows: unmatched, places_without_rows }))
}
