//! Reference dates as files write them: `2025-03-31`, `2021/10/31`, `2023年6月30日`, and in the
//! Japanese eras (`令和5年6月30日`, `R5.6.30`, `平成31年3月31日`, `令和元年`), found anywhere in a text
//! such as a sheet name (`…人口（令和5年6月30日時点）`).

/// Eras and the Gregorian year before their first year.
const ERAS: &[(&str, i32)] =
    &[("令和", 2018), ("平成", 1988), ("昭和", 1925), ("R", 2018), ("H", 1988), ("S", 1925)];

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl std::str::FromStr for Date {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        find_date(s)
            .ok_or_else(|| format!("{s:?} is not a date (e.g. 2025-03-31, 2021/10/31, 令和5年6月30日)"))
    }
}

/// The first date written in `text`.
///
/// ```
/// use sasaeai::import::dates::find_date;
/// assert_eq!(find_date("2021/10/31").unwrap().to_string(), "2021-10-31");
/// assert_eq!(find_date("【柳井市】人口（令和5年6月30日時点）").unwrap().to_string(), "2023-06-30");
/// assert_eq!(find_date("Ｒ５．６．３０").unwrap().to_string(), "2023-06-30");
/// assert_eq!(find_date("令和元年5月1日").unwrap().to_string(), "2019-05-01");
/// assert_eq!(find_date("2024-13-01"), None);
/// ```
pub fn find_date(text: &str) -> Option<Date> {
    let text = text.chars().map(crate::model::halfwidth).collect::<String>().replace("元年", "1年");
    for (era, before) in ERAS {
        for (at, _) in text.match_indices(era) {
            if let Some(date) = ymd(&text[at + era.len()..], *before) {
                return Some(date);
            }
        }
    }
    let starts = text
        .char_indices()
        .filter(|(i, c)| c.is_ascii_digit() && !text[..*i].ends_with(|p: char| p.is_ascii_digit()));
    starts.filter_map(|(i, _)| ymd(&text[i..], 0)).find(|d| d.year >= 1900)
}

/// A year as tables write it: `2023`, `2023年度`, `令和5年`, `R5`, `令和元年度`.
///
/// ```
/// use sasaeai::import::dates::find_year;
/// assert_eq!(find_year("2023年度"), Some(2023));
/// assert_eq!(find_year("令和5年"), Some(2023));
/// assert_eq!(find_year("令和元年度"), Some(2019));
/// assert_eq!(find_year("R6"), Some(2024));
/// assert_eq!(find_year("5"), None);
/// ```
pub fn find_year(text: &str) -> Option<i32> {
    let t = text.trim().chars().map(crate::model::halfwidth).collect::<String>().replace("元年", "1年");
    let digits = |s: &str| -> Option<i32> {
        let d: String = s.chars().take_while(char::is_ascii_digit).collect();
        d.parse().ok()
    };
    for (era, before) in ERAS {
        if let Some(rest) = t.strip_prefix(era) {
            return digits(rest).filter(|n| (1..=99).contains(n)).map(|n| before + n);
        }
    }
    digits(&t).filter(|y| (1900..=2100).contains(y))
}

/// `year sep month sep day` at the start of `text`, the year counted from `before`.
fn ymd(text: &str, before: i32) -> Option<Date> {
    let mut rest = text;
    let mut parts = [0u32; 3];
    for (n, part) in parts.iter_mut().enumerate() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        *part = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        if n < 2 {
            let sep = rest.chars().next().filter(|c| matches!(c, '-' | '/' | '.' | '年' | '月'))?;
            rest = &rest[sep.len_utf8()..];
        }
    }
    let [year, month, day] = parts;
    let valid = (1..=12).contains(&month) && (1..=31).contains(&day) && (before == 0 || year <= 99);
    valid.then(|| Date { year: before + year as i32, month, day })
}
