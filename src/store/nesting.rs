//! Which area lies in which: parents given by name or code, or derived from geometry as the area of
//! the nearest outer level that overlaps the child most. Works in EPSG:4326; overlap areas are
//! compared in square degrees, which ranks candidates correctly at any one latitude.

use crate::model::{Area, AreaId, AreaLevel};
use geo::{Area as _, BooleanOps, BoundingRect, Intersects, Rect};

/// Why a parent given by name or code cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ParentError {
    /// No area of an outer level has that name or code.
    #[error("area {child:?}: no {level_hint} area is named or coded {wanted:?}")]
    NotFound { child: String, wanted: String, level_hint: String },
    /// Several areas of the nearest matching level have that name or code.
    #[error("area {child:?}: {count} {level} areas are named or coded {wanted:?}; use the code")]
    Ambiguous { child: String, wanted: String, level: AreaLevel, count: usize },
}

/// Finds the area named or coded `wanted` among the levels outside `child`'s, nearest level first.
pub fn resolve_named_parent(child: &Area, wanted: &str, all: &[&Area]) -> Result<AreaId, ParentError> {
    for level in child.level.outer_levels() {
        let matches: Vec<&&Area> = all
            .iter()
            .filter(|a| a.level == level && (a.name == wanted || a.code.as_deref() == Some(wanted)))
            .collect();
        match matches.len() {
            0 => continue,
            1 => return Ok(matches[0].id),
            count => {
                return Err(ParentError::Ambiguous {
                    child: child.name.clone(),
                    wanted: wanted.to_owned(),
                    level,
                    count,
                });
            }
        }
    }
    let level_hint = child.level.outer_levels().map(|l| l.as_str()).collect::<Vec<_>>().join("/");
    Err(ParentError::NotFound { child: child.name.clone(), wanted: wanted.to_owned(), level_hint })
}

/// The area among `all` that should be `child`'s parent by geometry: of the nearest outer level that
/// overlaps `child` at all, the one with the largest overlap.
pub fn derive_parent(child: &Area, all: &[&Area]) -> Option<AreaId> {
    let child_rect = child.geometry.bounding_rect()?;
    child.level.outer_levels().find_map(|level| {
        let candidates: Vec<&Area> = all
            .iter()
            .copied()
            .filter(|a| a.level == level && rects_overlap(child_rect, a.geometry.bounding_rect()))
            .collect();
        largest_overlap(child, &candidates)
    })
}

fn rects_overlap(a: Rect<f64>, b: Option<Rect<f64>>) -> bool {
    b.is_some_and(|b| a.intersects(&b))
}

fn largest_overlap(child: &Area, candidates: &[&Area]) -> Option<AreaId> {
    if let [only] = candidates {
        return only.geometry.intersects(&child.geometry).then_some(only.id);
    }
    candidates
        .iter()
        .map(|c| (c.id, child.geometry.intersection(&c.geometry).unsigned_area()))
        .filter(|(_, overlap)| *overlap > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Properties;
    use geo::{MultiPolygon, wkt};

    fn area(id: i64, level: AreaLevel, geometry: MultiPolygon<f64>) -> Area {
        Area {
            id: AreaId(id),
            name: format!("a{id}"),
            level,
            code: Some(format!("c{id}")),
            parent: None,
            parent_derived: true,
            geometry,
            properties: Properties::new(),
        }
    }

    #[test]
    fn district_goes_to_the_ward_it_overlaps_most() {
        let west = area(1, AreaLevel::Ward, wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.)))));
        let east = area(2, AreaLevel::Ward, wkt!(MULTIPOLYGON(((10. 0.,20. 0.,20. 10.,10. 10.,10. 0.)))));
        // 7 units wide in the west ward, 3 in the east.
        let d = area(3, AreaLevel::District, wkt!(MULTIPOLYGON(((3. 2.,13. 2.,13. 4.,3. 4.,3. 2.)))));
        assert_eq!(derive_parent(&d, &[&west, &east, &d]), Some(AreaId(1)));
    }

    #[test]
    fn nearest_outer_level_wins_and_missing_levels_are_skipped() {
        let city = area(1, AreaLevel::City, wkt!(MULTIPOLYGON(((0. 0.,20. 0.,20. 10.,0. 10.,0. 0.)))));
        let ward = area(2, AreaLevel::Ward, wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.)))));
        let chome = area(3, AreaLevel::Chome, wkt!(MULTIPOLYGON(((1. 1.,2. 1.,2. 2.,1. 2.,1. 1.)))));
        let outside = area(4, AreaLevel::Chome, wkt!(MULTIPOLYGON(((15. 1.,16. 1.,16. 2.,15. 2.,15. 1.)))));
        let all = [&city, &ward, &chome, &outside];
        assert_eq!(derive_parent(&chome, &all), Some(AreaId(2)));
        assert_eq!(derive_parent(&outside, &all), Some(AreaId(1)), "no ward overlaps, so the city");
        assert_eq!(derive_parent(&city, &all), None);
    }

    #[test]
    fn named_parent_by_name_or_code() {
        let ward = area(2, AreaLevel::Ward, wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.)))));
        let d = area(3, AreaLevel::District, wkt!(MULTIPOLYGON(((1. 1.,2. 1.,2. 2.,1. 2.,1. 1.)))));
        assert_eq!(resolve_named_parent(&d, "a2", &[&ward]), Ok(AreaId(2)));
        assert_eq!(resolve_named_parent(&d, "c2", &[&ward]), Ok(AreaId(2)));
        assert!(matches!(resolve_named_parent(&d, "x", &[&ward]), Err(ParentError::NotFound { .. })));
    }
}
