//! Lists of participants per site and year (通いの場の参加者数), as wards keep them: **long** (a
//! column of participants, with a 年度 column or the year given) or **wide** (one column per year,
//! headed `2023年度`, `令和5年度` …), CSV or Excel. Sites are named by name, or by their sasaeai id in
//! a `site_id` column; matching them to the store's sites is the application's job.

use super::indicators::{YEAR, cell, column, figure, missing, problem};
use super::records;
use super::{ImportError, Place};
use crate::model::indicators::IndicatorFigure;

/// Column names of the site's name, its sasaeai id and a long list's participants.
const SITE_NAME: &[&str] =
    &["名称", "通いの場名", "通いの場の名称", "団体名", "グループ名", "施設名", "name"];
const SITE_ID: &[&str] = &["site_id", "sasaeai_id"];
const PARTICIPANTS: &[&str] = &["参加者数", "参加人数", "実参加者数", "参加実人数", "participants"];

/// The participants of one site in one year, as the list names the site.
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantRow {
    pub place: Place,
    pub site_name: Option<String>,
    pub site_id: Option<i64>,
    pub year: i32,
    pub participants: u64,
}

/// Reads a list of participants. `year` is the year of every count of a long list without a year
/// column. All or nothing: every problem is named.
pub fn read(
    bytes: &[u8],
    sheet: Option<&str>,
    year: Option<i32>,
) -> Result<Vec<ParticipantRow>, ImportError> {
    let (records, _) = records::read(bytes, sheet, super::crs::Crs::LonLat)?;
    let Some(first) = records.first() else { return Err(ImportError::Empty) };
    let column = |names: &[&str]| column(first, names);
    let (name, id) = (column(SITE_NAME), column(SITE_ID));
    if name.is_none() && id.is_none() {
        return Err(missing("site", "the site", SITE_NAME.iter().chain(SITE_ID), first));
    }
    let columns: Vec<(String, Option<i32>)> = match column(PARTICIPANTS) {
        Some(participants) => {
            if year.is_none() && column(YEAR).is_none() {
                return Err(missing("year", "the year (or give it with --year / year=)", YEAR.iter(), first));
            }
            vec![(participants, year)]
        }
        None => year_columns(first),
    };
    if columns.is_empty() {
        let looked_for = PARTICIPANTS.iter().chain(["2023年度 …"].iter());
        return Err(missing("participants", "participants, or one column per year", looked_for, first));
    }
    let year_column = column(YEAR);
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in &records {
        let text = |c: &Option<String>| c.as_ref().and_then(|c| cell(record, c));
        let site_name = text(&name);
        let site_id = match text(&id).map(|t| t.parse::<i64>()) {
            Some(Ok(i)) => Some(i),
            Some(Err(_)) => {
                problems.push(problem(record, id.as_ref(), "a site_id is a whole number"));
                continue;
            }
            None => None,
        };
        if site_name.is_none() && site_id.is_none() {
            problems.push(problem(record, None, "no site name or id"));
            continue;
        }
        for (column, column_year) in &columns {
            let Some(value) = cell(record, column) else { continue };
            let row_year =
                match column_year.or_else(|| text(&year_column).and_then(|t| super::dates::find_year(&t))) {
                    Some(y) => y,
                    None => {
                        problems.push(problem(record, year_column.as_ref(), "no year (2023, 令和5年度)"));
                        continue;
                    }
                };
            match count(&value) {
                Ok(participants) => out.push(ParticipantRow {
                    place: record.place,
                    site_name: site_name.clone(),
                    site_id,
                    year: row_year,
                    participants,
                }),
                Err(message) => problems.push(problem(record, Some(column), &message)),
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

/// The columns of a wide list headed by a year, with that year.
fn year_columns(first: &records::Record) -> Vec<(String, Option<i32>)> {
    first
        .properties
        .keys()
        .filter(|k| k.contains('年'))
        .filter_map(|k| Some((k.clone(), Some(super::dates::find_year(k)?))))
        .collect()
}

/// A cell as a number of people: a whole number, `-` for none. A list of venues counts exactly;
/// a withheld count is not a count.
fn count(text: &str) -> Result<u64, String> {
    match figure(text) {
        Ok(IndicatorFigure::Value(v)) if v.fract() == 0.0 => Ok(v as u64),
        _ => Err(format!("{text:?} is not a number of participants")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_with_the_year_given_and_a_wide_one_by_year_give_the_same_counts() {
        let long =
            read("名称,参加者数\r\nいきいき体操の会,12\r\nお茶の間サロン,-\r\n".as_bytes(), None, Some(2024))
                .unwrap();
        assert_eq!(
            long.iter()
                .map(|r| (r.site_name.as_deref().unwrap(), r.year, r.participants))
                .collect::<Vec<_>>(),
            [("いきいき体操の会", 2024, 12), ("お茶の間サロン", 2024, 0)]
        );
        let wide = read("名称,令和5年度,2024年度\nいきいき体操の会,10,12\n".as_bytes(), None, None).unwrap();
        assert_eq!(
            wide.iter().map(|r| (r.year, r.participants)).collect::<Vec<_>>(),
            [(2023, 10), (2024, 12)]
        );
    }

    #[test]
    fn a_count_that_is_not_one_is_named_with_its_place() {
        let Err(ImportError::Invalid { problems }) =
            read("名称,年度,参加者数\nA,2024,多数\nB,2024,<3\n".as_bytes(), None, None)
        else {
            panic!("refused")
        };
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].field.as_deref(), Some("参加者数"));
        assert!(problems[0].message.contains("多数"));
        assert!(matches!(
            read("名称,参加者数\nA,1\n".as_bytes(), None, None),
            Err(ImportError::MissingColumn { field: "year", .. })
        ));
    }
}
