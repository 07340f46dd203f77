//! The 地区カルテ: one area's profile for the residents' workshop — its population and ageing beside
//! its ward and the city, its places by kind with schedules, walking coverage per kind, and where the
//! largest gaps are. Every figure is read from the cached [`Coverage`], never computed a second way.

use super::indicators::HISTORY_YEARS;
use super::{AnalysisError, AreaRow, CoverageCache, CoverageKey, PLACES_TO_GO};
use crate::model::{Area, AreaId, AreaLevel, Site, SiteKind};
use crate::network::NetworkSettings;
use crate::store::Index;
use geo::Contains;
use std::sync::Arc;

/// The kinds whose coverage a karte lists, in order.
pub const KARTE_KINDS: [SiteKind; 9] = [
    SiteKind::CareCenter,
    SiteKind::Cafe,
    SiteKind::Engawa,
    SiteKind::Kayoinoba,
    SiteKind::Ikoi,
    SiteKind::CommunityCenter,
    SiteKind::Park,
    SiteKind::Clinic,
    SiteKind::Pharmacy,
];

/// A karte.
#[derive(Debug, Clone)]
pub struct Karte {
    pub area: Arc<Area>,
    /// Outermost first.
    pub ancestors: Vec<Arc<Area>>,
    pub minutes: f64,
    pub profile: String,
    /// The year asked for (sites open then); this year when `None`.
    pub year: Option<i32>,
    /// The population year counted (`None`: the units carry no year).
    pub population_year: Option<i32>,
    /// The area, then its ward (when it lies below one), then the city, for the places to go.
    pub comparison: Vec<AreaRow>,
    /// Sites inside the area, grouped by kind in display order.
    pub sites: Vec<(SiteKind, Vec<Arc<Site>>)>,
    /// The area's row for each kind alone.
    pub coverage_by_kind: Vec<(SiteKind, AreaRow)>,
    /// The areas one level down with the most uncovered older residents (at most five).
    pub largest_gaps: Vec<AreaRow>,
    /// The area's coverage by the places to go as of each of the last [`HISTORY_YEARS`] years,
    /// oldest first: the 振り返り of what opening and closing places did.
    pub by_year: Vec<YearCoverage>,
    /// Sites inside the area that opened or closed in those years, in date order.
    pub changes: Vec<SiteChange>,
}

/// The area's coverage as of one year.
#[derive(Debug, Clone)]
pub struct YearCoverage {
    pub year: i32,
    /// The population year counted for it.
    pub population_year: Option<i32>,
    pub row: AreaRow,
}

/// A site that opened or closed.
#[derive(Debug, Clone)]
pub struct SiteChange {
    pub site: Arc<Site>,
    pub change: Change,
    /// As the site records it (ISO).
    pub date: String,
}

/// What happened to a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Opened,
    Closed,
}

impl Change {
    pub fn label_ja(self) -> &'static str {
        match self {
            Change::Opened => "開設",
            Change::Closed => "廃止",
        }
    }

    fn property(self) -> &'static str {
        match self {
            Change::Opened => crate::model::OPENED_KEY,
            Change::Closed => crate::model::CLOSED_KEY,
        }
    }
}

/// Builds the karte of `area_id`.
pub fn karte(
    index: &Index,
    settings: &NetworkSettings,
    cache: &CoverageCache,
    area_id: AreaId,
    minutes: f64,
    profile: &str,
    year: Option<i32>,
) -> Result<Karte, AnalysisError> {
    let area = index.area(area_id).cloned().ok_or(AnalysisError::NoArea(area_id))?;
    let ancestors = index.ancestors(&area);
    let combined = cache.get(
        index,
        settings,
        &CoverageKey::new(PLACES_TO_GO.to_vec(), minutes, profile).in_year(year),
    )?;
    let row_of = |id: AreaId| combined.row(id).cloned();
    let mut comparison: Vec<AreaRow> = row_of(area.id).into_iter().collect();
    if let Some(ward) = ancestors.iter().find(|a| a.level == AreaLevel::Ward) {
        comparison.extend(row_of(ward.id));
    }
    if area.level != AreaLevel::City {
        let city = ancestors.iter().find(|a| a.level == AreaLevel::City).and_then(|c| row_of(c.id));
        comparison.push(city.unwrap_or_else(|| combined.city.clone()));
    }

    let as_of = year.unwrap_or_else(crate::model::calendar::this_year);
    let years = as_of - HISTORY_YEARS + 1..=as_of;
    let ever_inside: Vec<&Arc<Site>> =
        index.sites().filter(|s| area.geometry.contains(&s.data.location)).collect();
    let inside: Vec<Arc<Site>> =
        ever_inside.iter().filter(|s| s.data.open_in(as_of)).map(|s| Arc::clone(s)).collect();
    let changes = changes_in(&ever_inside, &years);
    let by_year = years
        .map(|y| {
            let c = cache.get(
                index,
                settings,
                &CoverageKey::new(PLACES_TO_GO.to_vec(), minutes, profile).in_year(Some(y)),
            )?;
            let row = c.row(area.id).cloned().expect("every area has a row");
            Ok(YearCoverage { year: y, population_year: c.year, row })
        })
        .collect::<Result<Vec<_>, AnalysisError>>()?;
    let sites = crate::model::SiteKind::ALL
        .iter()
        .map(|k| (*k, inside.iter().filter(|s| s.data.kind == *k).cloned().collect::<Vec<_>>()))
        .filter(|(_, list)| !list.is_empty())
        .collect();

    let coverage_by_kind = KARTE_KINDS
        .iter()
        .map(|k| {
            let c =
                cache.get(index, settings, &CoverageKey::new(vec![*k], minutes, profile).in_year(year))?;
            Ok((*k, c.row(area.id).cloned().expect("every area has a row")))
        })
        .collect::<Result<Vec<_>, AnalysisError>>()?;

    let mut largest_gaps: Vec<AreaRow> = combined
        .levels
        .iter()
        .filter(|(level, _)| **level > area.level)
        .min_by_key(|(level, _)| **level)
        .map(|(_, rows)| rows.iter().filter(|r| r.parent_id == Some(area.id)).cloned().collect())
        .unwrap_or_default();
    largest_gaps.sort_by(|a, b| b.uncovered65.cmp(&a.uncovered65).then(a.area_id.cmp(&b.area_id)));
    largest_gaps.retain(|r| r.uncovered65 > 0);
    largest_gaps.truncate(5);

    Ok(Karte {
        area,
        ancestors,
        minutes,
        profile: profile.to_owned(),
        year,
        population_year: combined.year,
        comparison,
        sites,
        coverage_by_kind,
        largest_gaps,
        by_year,
        changes,
    })
}

/// The openings and closings among `sites` dated in `years`, in date order.
fn changes_in(sites: &[&Arc<Site>], years: &std::ops::RangeInclusive<i32>) -> Vec<SiteChange> {
    let mut out: Vec<SiteChange> = sites
        .iter()
        .flat_map(|site| {
            [Change::Opened, Change::Closed].into_iter().filter_map(|change| {
                let (date, year) = site.data.date(change.property())?;
                years.contains(&year).then(|| SiteChange {
                    site: Arc::clone(site),
                    change,
                    date: date.to_owned(),
                })
            })
        })
        .collect();
    out.sort_by(|a, b| a.date.cmp(&b.date).then(a.site.id.cmp(&b.site.id)));
    out
}
