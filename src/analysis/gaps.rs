//! Gaps: the part of each area outside every catchment of the chosen kinds, with the older residents
//! who live there, ranked by how many they are.

use super::{AnalysisError, Coverage};
use crate::deadline::Deadline;
use crate::model::{AreaId, AreaLevel};
use crate::network::NetworkSettings;
use crate::network::catchment::ShedPieces;
use crate::store::Index;
use geo::{BooleanOps, BoundingRect, GeodesicArea, MultiPolygon};

/// One area's uncovered part.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub area_id: AreaId,
    pub name: String,
    pub level: AreaLevel,
    /// Residents aged 65+ and 75+ living outside every catchment.
    pub uncovered65: u64,
    pub uncovered75: u64,
    /// The area minus the union of the catchments (EPSG:4326).
    pub geometry: MultiPolygon<f64>,
    /// Its geodesic area in square metres.
    pub area_m2: f64,
}

/// The gaps of every area of `level` for the question `coverage` answered, most uncovered first;
/// stops with [`AnalysisError::Expired`] once `deadline` has passed.
pub fn gaps(
    index: &Index,
    settings: &NetworkSettings,
    coverage: &Coverage,
    level: AreaLevel,
    deadline: &Deadline,
) -> Result<Vec<Gap>, AnalysisError> {
    let rows = coverage.levels.get(&level).ok_or(AnalysisError::NoAreas(level))?;
    let graph = index.network().ok_or(crate::network::NetworkError::NoNetwork)?;
    let key = &coverage.key;
    let sites: Vec<_> =
        index.sites_open_in(&key.kinds, None, key.year).iter().map(|s| s.data.location.0).collect();
    let sheds = ShedPieces::new(graph, settings, &key.profile, &sites, key.minutes())?;
    let mut gaps = Vec::with_capacity(rows.len());
    for row in rows {
        deadline.check()?;
        let Some(area) = row.area_id.and_then(|id| index.area(id)) else { continue };
        let Some(rect) = area.geometry.bounding_rect() else { continue };
        let covered = sheds.shed_near(rect);
        let geometry = area.geometry.difference(&covered);
        gaps.push(Gap {
            area_id: area.id,
            name: area.name.clone(),
            level,
            uncovered65: row.uncovered65,
            uncovered75: row.aged75 - row.covered75,
            area_m2: geometry.geodesic_area_unsigned(),
            geometry,
        });
    }
    gaps.sort_by(|a, b| b.uncovered65.cmp(&a.uncovered65).then(a.area_id.cmp(&b.area_id)));
    Ok(gaps)
}
