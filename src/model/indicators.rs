//! The indicator catalogue: the statistics a 地区カルテ and a 地域情報シート hold per area and per year
//! (総人口, 高齢化率, 要介護認定者数, 通いの場参加率, 特定健診受診率 …), each with its Japanese name, field,
//! unit, whether it is a count or a rate of two counts, who may see it and where it comes from. The
//! built-in catalogue is `indicators.csv` beside this module, seeded with the list of the 地区カルテ
//! guide; a ward adds or overrides lines with a file of the same columns.
//!
//! A count rolls up by summing; a rate is never averaged: it is recomputed from its numerator and
//! denominator counts, so a ward's rate is Σ numerators ÷ Σ denominators of its districts.

use std::collections::HashMap;

/// The built-in catalogue.
const BUILT_IN: &str = include_str!("indicators.csv");

/// The columns of a catalogue file, in order.
const HEADER: &str = "id,name,field,unit,numerator,denominator,scale,visibility,source";

super::site::labelled_enum!(
    /// The field of the karte an indicator belongs to.
    IndicatorField ("indicator field") {
        /// 人々
        People = "people" / "人々",
        /// 生活環境
        Environment = "environment" / "生活環境",
        /// 子育て
        Childcare = "childcare" / "子育て",
        /// 高齢者
        Elderly = "elderly" / "高齢者",
        /// 健康
        Health = "health" / "健康",
    }
);

super::site::labelled_enum!(
    /// Who may see an indicator's figures.
    Visibility ("visibility") {
        /// Everyone: the 地区カルテ shared with residents (small counts shown as `<3`).
        Public = "public" / "公開",
        /// Staff only: the 地域情報シート.
        Staff = "staff" / "職員のみ",
    }
);

/// One figure as a table gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IndicatorFigure {
    Value(f64),
    /// Published withheld at the source (`<3`, `x`, `*`).
    Suppressed,
}

/// One stored figure: an indicator of an area for a year.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorValue {
    pub area_id: super::AreaId,
    /// The catalogue id.
    pub indicator: String,
    pub year: i32,
    pub figure: IndicatorFigure,
}

/// How many took part in a site's activities in a year (通いの場の参加者数): an area's
/// [`PARTICIPANTS`] figure is their sum over the sites inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteParticipants {
    pub site_id: super::SiteId,
    pub year: i32,
    pub participants: u64,
}

/// The indicator that sums the participants of an area's sites, when no figure was imported for it.
pub const PARTICIPANTS: &str = "kayoinoba_participants";

/// The indicators an area's population units give, when no figure was imported for them: total,
/// 65+ and 75+ residents.
pub const POPULATION: [&str; 3] = ["population", "population_65", "population_75"];

/// A rate: `numerator ÷ denominator × scale` (100 for a percentage, 100,000 for 人口10万対).
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub numerator: String,
    pub denominator: String,
    pub scale: f64,
}

/// One indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Identifier in the API and in import files (`ageing_rate`).
    pub id: String,
    /// Japanese name (`高齢化率`), also accepted as a column name when importing.
    pub name: String,
    pub field: IndicatorField,
    pub unit: String,
    /// `None` for a count.
    pub rate: Option<Rate>,
    pub visibility: Visibility,
    pub source: String,
}

/// Every indicator, in display order (the catalogue's line order, additions last).
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    indicators: Vec<Indicator>,
    by_key: HashMap<String, usize>,
}

/// A name as the catalogue compares it: without spaces, with half-width digits and letters.
fn key(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).map(super::halfwidth).collect::<String>().to_lowercase()
}

impl Catalogue {
    /// The built-in catalogue.
    pub fn built_in() -> &'static Catalogue {
        static CATALOGUE: std::sync::LazyLock<Catalogue> = std::sync::LazyLock::new(|| {
            Catalogue::empty().with_csv(BUILT_IN).expect("the built-in indicator catalogue is valid")
        });
        &CATALOGUE
    }

    /// The built-in catalogue with the lines of the catalogue file at `path` (UTF-8, the columns of
    /// `indicators.csv`) added; the error names the file and the line.
    pub fn built_in_with_file(path: &std::path::Path) -> Result<Catalogue, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Catalogue::built_in().with_csv(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn empty() -> Catalogue {
        Catalogue { indicators: Vec::new(), by_key: HashMap::new() }
    }

    /// This catalogue with the lines of a catalogue CSV added, a line overriding the indicator of
    /// the same id. Names each bad line; a rate must name two counts of the catalogue, and may be
    /// public only when both are (a public rate of a staff-only count would give the count away).
    pub fn with_csv(&self, text: &str) -> Result<Catalogue, String> {
        let mut reader =
            csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let header: Vec<String> =
            reader.headers().map_err(|e| e.to_string())?.iter().map(|h| h.trim().to_owned()).collect();
        if header.join(",") != HEADER {
            return Err(format!("an indicator catalogue starts with the header line {HEADER}"));
        }
        let mut out = self.clone();
        for (n, row) in reader.records().enumerate() {
            let line = n + 2;
            let row = row.map_err(|e| format!("line {line}: {e}"))?;
            let indicator = indicator(&row).map_err(|e| format!("line {line}: {e}"))?;
            out.insert(indicator);
        }
        out.check()?;
        Ok(out)
    }

    fn insert(&mut self, indicator: Indicator) {
        match self.indicators.iter().position(|i| i.id == indicator.id) {
            Some(at) => self.indicators[at] = indicator,
            None => self.indicators.push(indicator),
        }
        self.by_key = self
            .indicators
            .iter()
            .enumerate()
            .flat_map(|(i, ind)| [(key(&ind.id), i), (key(&ind.name), i)])
            .collect();
    }

    fn check(&self) -> Result<(), String> {
        for rate_indicator in &self.indicators {
            let Some(rate) = &rate_indicator.rate else { continue };
            for part in [&rate.numerator, &rate.denominator] {
                let found = self.get(part).ok_or_else(|| {
                    format!("{}: its part {part:?} is not in the catalogue", rate_indicator.id)
                })?;
                if found.rate.is_some() {
                    return Err(format!("{}: its part {part:?} is a rate, not a count", rate_indicator.id));
                }
                if rate_indicator.visibility == Visibility::Public && found.visibility == Visibility::Staff {
                    return Err(format!(
                        "{}: a public rate of the staff-only count {part:?} would give it away",
                        rate_indicator.id
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every indicator, in display order.
    pub fn iter(&self) -> impl Iterator<Item = &Indicator> {
        self.indicators.iter()
    }

    /// The indicator with this id or Japanese name (spaces and full-width forms ignored).
    ///
    /// ```
    /// use sasaeai::model::indicators::Catalogue;
    /// let catalogue = Catalogue::built_in();
    /// assert_eq!(catalogue.get("高齢化率").map(|i| i.id.as_str()), Some("ageing_rate"));
    /// assert_eq!(catalogue.get("ageing_rate").and_then(|i| i.rate.as_ref()).map(|r| r.scale), Some(100.0));
    /// ```
    pub fn get(&self, id_or_name: &str) -> Option<&Indicator> {
        self.by_key.get(&key(id_or_name)).map(|&i| &self.indicators[i])
    }
}

fn indicator(row: &csv::StringRecord) -> Result<Indicator, String> {
    let cell = |i: usize| row.get(i).map(str::trim).unwrap_or_default();
    let required = |i: usize, what: &str| match cell(i) {
        "" => Err(format!("no {what}")),
        v => Ok(v.to_owned()),
    };
    let id = required(0, "id")?;
    if !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(format!("id {id:?}: use lower-case letters, digits and _"));
    }
    let rate = match (cell(4), cell(5)) {
        ("", "") => None,
        ("", _) | (_, "") => return Err(format!("{id}: a rate names both its numerator and denominator")),
        (numerator, denominator) => {
            let scale: f64 = match cell(6) {
                "" => 100.0,
                s => s.parse().map_err(|_| format!("{id}: scale {s:?} is not a number"))?,
            };
            Some(Rate { numerator: numerator.to_owned(), denominator: denominator.to_owned(), scale })
        }
    };
    Ok(Indicator {
        name: required(1, "name")?,
        field: cell(2).parse()?,
        unit: cell(3).to_owned(),
        rate,
        visibility: cell(7).parse()?,
        source: cell(8).to_owned(),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalogue_holds_the_guides_list() {
        let c = Catalogue::built_in();
        for name in
            ["総人口", "世帯数", "要介護・要支援認定者数", "通いの場参加率", "特定健診受診率", "出生数"]
        {
            assert!(c.get(name).is_some(), "{name}");
        }
        assert_eq!(c.get("高齢者虐待事例件数").unwrap().visibility, Visibility::Staff);
    }

    #[test]
    fn a_ward_line_overrides_and_adds() {
        let extra = format!(
            "{HEADER}\nsalon_groups,サロン数,elderly,団体,,,,public,市社協\nbirths,出生数,childcare,人,,,,staff,\n"
        );
        let c = Catalogue::built_in().with_csv(&extra).unwrap();
        assert_eq!(c.get("サロン数").unwrap().id, "salon_groups");
        assert_eq!(c.get("births").unwrap().visibility, Visibility::Staff);
        assert_eq!(c.iter().count(), Catalogue::built_in().iter().count() + 1);
    }

    #[test]
    fn a_public_rate_of_a_staff_count_is_refused() {
        let extra =
            format!("{HEADER}\nabuse_rate,虐待率,elderly,%,elder_abuse_cases,population_65,100,public,\n");
        let err = Catalogue::built_in().with_csv(&extra).unwrap_err();
        assert!(err.contains("would give it away"), "{err}");
    }
}
