//! Dates from day counts, for the few places that turn a number into a calendar date: the private
//! store's clock (Unix seconds) and spreadsheet date cells (Excel serial days).

/// The current calendar year (UTC).
pub fn this_year() -> i32 {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
        .div_euclid(86_400);
    civil_from_days(days).0
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
///
/// ```
/// use sasaeai::model::calendar::civil_from_days;
/// assert_eq!(civil_from_days(0), (1970, 1, 1));
/// assert_eq!(civil_from_days(19_538), (2023, 6, 30));
/// ```
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

/// The years figures, maps and sites' dates may be for: a year outside is a mistake (a typo, or a
/// Japanese era's year given as the calendar year), refused before any work counts back from it.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// Reads an optional year within [`YEARS`]: for `#[serde(default, deserialize_with = …)]` on the
/// year of a query or a body.
pub fn optional_year<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    let year: Option<i32> = serde::Deserialize::deserialize(d)?;
    match year {
        Some(y) if !YEARS.contains(&y) => {
            Err(serde::de::Error::custom(format!("year {y} is not within {}–{}", YEARS.start(), YEARS.end())))
        }
        _ => Ok(year),
    }
}
