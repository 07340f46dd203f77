//! 地域・年齢別人口 tables: population by area in age bands (`0-4歳の男性`, `65～69歳`, `85歳以上の女性`,
//! also the misspelt `85歳の男性以上`), by sex or not. 65+ and 75+ are the sums of the bands from 65
//! and from 75; a band spanning 65 or 75 (`60-69歳`) makes them unknowable and is said so. A trailing
//! total row (`計`, `合計`, `総数`) is not an area: it is checked against the rows and dropped.

use super::records::Record;
use super::{ImportError, RecordProblem};

/// Which people a column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sex {
    Male,
    Female,
    Both,
}

/// An age band column: its key and ages `lower..=upper` (`upper` `None` for `85歳以上`).
#[derive(Debug, Clone, PartialEq)]
struct Band {
    key: String,
    lower: u32,
    upper: Option<u32>,
    sex: Sex,
}

/// The band columns of a table, those of one sex or of both (never both kinds at once, which would
/// count people twice).
#[derive(Debug, Clone, PartialEq)]
pub struct AgeBands(Vec<Band>);

/// `s` with full-width digits and signs in ASCII.
fn ascii_digits(s: &str) -> String {
    s.chars().map(crate::model::halfwidth).collect()
}

/// The band a column header names, if it names one.
///
/// ```text
/// "0-4歳の男性" → 0..=4 male,  "65～69歳" → 65..=69,  "85歳以上の女性", "85歳の女性以上" → 85.. female
/// ```
fn band(key: &str) -> Option<Band> {
    let text = ascii_digits(key);
    if !text.contains('歳') {
        return None;
    }
    let numbers: Vec<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    let (lower, upper) = match (numbers.as_slice(), text.contains("以上")) {
        ([lower], true) => (*lower, None),
        ([lower, upper], false) if upper >= lower => (*lower, Some(*upper)),
        _ => return None,
    };
    let sex = match (text.contains('男'), text.contains('女')) {
        (true, false) => Sex::Male,
        (false, true) => Sex::Female,
        (false, false) => Sex::Both,
        (true, true) => return None,
    };
    Some(Band { key: key.to_owned(), lower, upper, sex })
}

impl AgeBands {
    /// The bands of a table with these column names; `None` when it has none.
    pub fn detect<'k>(keys: impl IntoIterator<Item = &'k String>) -> Result<Option<AgeBands>, ImportError> {
        let all: Vec<Band> = keys.into_iter().filter_map(|k| band(k)).collect();
        let both: Vec<Band> = all.iter().filter(|b| b.sex == Sex::Both).cloned().collect();
        let bands = if both.is_empty() { all } else { both };
        if bands.is_empty() {
            return Ok(None);
        }
        for age in [65, 75] {
            if let Some(b) = bands.iter().find(|b| b.lower < age && b.upper.is_none_or(|u| u >= age)) {
                return Err(ImportError::MissingColumn {
                    field: if age == 65 { "aged65" } else { "aged75" },
                    looked_for: format!("age bands starting at {age}"),
                    found: format!("{:?}, which spans {age}; map the field with --column", b.key),
                });
            }
        }
        Ok(Some(AgeBands(bands)))
    }

    /// The columns summed for people aged `from` and over.
    pub fn aged(&self, from: u32) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |b| b.lower >= from).map(|b| b.key.as_str())
    }
}

/// Whether a row is a table's total rather than an area.
fn is_total_name(name: &str) -> bool {
    matches!(name.trim(), "計" | "合計" | "総数" | "総計" | "全体")
}

/// Removes total rows (named `計` and the like in `name_key`) and checks each against the sum of
/// the other rows in every numeric column both have.
pub fn drop_total_rows(records: &mut Vec<Record>, name_key: Option<&str>) -> Result<(), Vec<RecordProblem>> {
    let Some(name_key) = name_key else { return Ok(()) };
    let is_total =
        |r: &Record| r.properties.get(name_key).and_then(|v| v.as_str()).is_some_and(is_total_name);
    let (totals, rows): (Vec<Record>, Vec<Record>) = std::mem::take(records).into_iter().partition(is_total);
    *records = rows;
    let mut problems = Vec::new();
    for total in &totals {
        for (key, value) in &total.properties {
            let Some(stated) = count(value) else { continue };
            let sum: Option<u64> = records.iter().map(|r| r.properties.get(key).and_then(count)).sum();
            if let Some(sum) = sum.filter(|s| *s != stated) {
                problems.push(RecordProblem {
                    place: total.place,
                    field: Some(key.clone()),
                    message: format!("the total row says {stated}; the rows above sum to {sum}"),
                });
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

fn count(value: &serde_json::Value) -> Option<u64> {
    ascii_digits(value.as_str()?.trim()).replace(',', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_as_published_name_their_bands() {
        assert_eq!(band("0-4歳の男性").map(|b| (b.lower, b.upper, b.sex)), Some((0, Some(4), Sex::Male)));
        assert_eq!(band("６５～６９歳").map(|b| (b.lower, b.upper, b.sex)), Some((65, Some(69), Sex::Both)));
        assert_eq!(band("85歳の女性以上").map(|b| (b.lower, b.upper, b.sex)), Some((85, None, Sex::Female)));
        assert_eq!(band("総人口"), None);
        assert_eq!(band("男性"), None);
    }

    #[test]
    fn a_band_across_65_is_refused_and_sexless_bands_are_preferred() {
        let keys: Vec<String> = ["60-69歳", "70歳以上"].map(String::from).into();
        assert!(AgeBands::detect(&keys).is_err());
        let keys: Vec<String> =
            ["65-74歳の男性", "65-74歳", "75歳以上", "75歳以上の女性"].map(String::from).into();
        let bands = AgeBands::detect(&keys).unwrap().unwrap();
        assert_eq!(bands.aged(65).collect::<Vec<_>>(), ["65-74歳", "75歳以上"]);
    }
}
