//! The 地区カルテ: one area's profile for the residents' workshop — its population and ageing beside
//! its ward and the city, its places by kind with schedules, walking coverage per kind, and where the
//! largest gaps are. Every figure is read from the cached [`Coverage`], never computed a second way.

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
    let inside: Vec<Arc<Site>> = index
        .sites()
        .filter(|s| s.data.open_in(as_of) && area.geometry.contains(&s.data.location))
        .cloned()
        .collect();
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
    })
}
