//! Which site kind a file's own category names: `通所介護` and `訪問看護` are 介護サービス事業所,
//! `無床診療所` a 医療機関, `認知症カフェ` a café. The built-in table is `kind_table.csv` beside this
//! module (one `value,kind` line per category, kinds as [`SiteKind`] ids); a ward adds or overrides
//! lines with a file of its own. A value the table does not hold is never guessed.

use super::SiteKind;
use std::collections::HashMap;

/// The built-in table.
const BUILT_IN: &str = include_str!("kind_table.csv");

/// Category names to site kinds.
#[derive(Debug, Clone, PartialEq)]
pub struct KindTable(HashMap<String, SiteKind>);

/// A category name as the table compares it: without spaces, with half-width digits and letters.
fn key(value: &str) -> String {
    value.chars().filter(|c| !c.is_whitespace()).map(super::halfwidth).collect()
}

impl Default for KindTable {
    fn default() -> Self {
        KindTable::built_in().clone()
    }
}

impl KindTable {
    /// The built-in table.
    pub fn built_in() -> &'static KindTable {
        static TABLE: std::sync::LazyLock<KindTable> = std::sync::LazyLock::new(|| {
            let mut table = KindTable(HashMap::new());
            table.extend_from_csv(BUILT_IN).expect("the built-in kind table is valid");
            table
        });
        &TABLE
    }

    /// The built-in table with a ward's `value,kind` CSV added, its lines overriding.
    pub fn built_in_with(csv: &str) -> Result<KindTable, String> {
        let mut table = KindTable::built_in().clone();
        table.extend_from_csv(csv)?;
        Ok(table)
    }

    /// Adds the lines of a `value,kind` CSV (header first), overriding values already held.
    /// Names each bad line.
    pub fn extend_from_csv(&mut self, text: &str) -> Result<(), String> {
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, header)) if key(header.trim_start_matches('\u{feff}')) == "value,kind" => {}
            _ => return Err("a kind table starts with the header line value,kind".into()),
        }
        for (n, line) in lines.filter(|(_, l)| !l.trim().is_empty()) {
            // Split at the last comma: a kind id never holds one, a category name may.
            let (value, kind) =
                line.rsplit_once(',').ok_or_else(|| format!("line {}: {line:?} is not value,kind", n + 1))?;
            let kind: SiteKind = kind.parse().map_err(|e| format!("line {}: {e}", n + 1))?;
            self.0.insert(key(value), kind);
        }
        Ok(())
    }

    /// The kind of a category value: the table's, else a kind's own id or Japanese label. A value
    /// listing several categories (`通所介護;訪問介護`, or `、` or `/` between) takes the first kind in
    /// [`SiteKind::ALL`] order that any names (a 地域包括支援センター with a 居宅介護支援 is a
    /// 地域包括支援センター); `None` when one of them is unknown.
    ///
    /// ```
    /// use sasaeai::model::{SiteKind, kind_table::KindTable};
    /// let table = KindTable::built_in();
    /// assert_eq!(table.kind_of("通所介護"), Some(SiteKind::CareService));
    /// assert_eq!(table.kind_of("居宅介護支援;地域包括支援センター"), Some(SiteKind::CareCenter));
    /// assert_eq!(table.kind_of("clinic"), Some(SiteKind::Clinic));
    /// assert_eq!(table.kind_of("通所介護;謎の施設"), None);
    /// ```
    pub fn kind_of(&self, value: &str) -> Option<SiteKind> {
        let kinds: Option<Vec<SiteKind>> = parts(value).map(|v| self.kind_of_part(v)).collect();
        kinds?.into_iter().min_by_key(|k| SiteKind::ALL.iter().position(|a| a == k))
    }

    /// The kind of one category (no separators): the table's, else a kind's own id or label.
    pub fn kind_of_part(&self, part: &str) -> Option<SiteKind> {
        self.0.get(&key(part)).copied().or_else(|| part.parse().ok())
    }
}

/// The categories a value lists (`通所介護;訪問介護`, or `、` or `/` between), trimmed.
///
/// ```
/// use sasaeai::model::kind_table::parts;
/// assert_eq!(parts("通所介護；訪問介護 / 居宅介護支援").collect::<Vec<_>>(), ["通所介護", "訪問介護", "居宅介護支援"]);
/// ```
pub fn parts(value: &str) -> impl Iterator<Item = &str> {
    value.split([';', '；', '、', '，', '/', '／']).map(str::trim).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ward_line_overrides_the_built_in_one_and_may_hold_a_comma() {
        let table = KindTable::built_in_with("value,kind\n通所介護,other\nサロン,いこい,ikoi\n").unwrap();
        assert_eq!(table.kind_of("通所介護"), Some(SiteKind::Other));
        assert_eq!(table.kind_of("サロン,いこい"), Some(SiteKind::Ikoi));
        assert_eq!(
            table.kind_of("訪問介護"),
            Some(SiteKind::CareService),
            "the rest of the built-in table stays"
        );
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = KindTable::built_in_with("value,kind\nサロン,salon\n").unwrap_err();
        assert!(err.starts_with("line 2: unknown site kind \"salon\""), "{err}");
    }
}
