//! Overlays of the support maps for everyone: the only way anything drawn by a group leaves it.

use super::{App, Error, Principal, groups::group_point};
use crate::analysis::overlays::{Overlays, PersonMark, SupportData, overlays};
use crate::model::support::FeatureType;
use crate::store::{Index, LayerVersions};
use parking_lot::Mutex;
use std::collections::HashSet;
use std::sync::Arc;

/// What a set of overlays was computed from: the public layers, the support maps, and the year
/// (which decides whether a group's edition counts as this year's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OverlayVersion {
    pub layers: LayerVersions,
    pub maps: u64,
    pub year: i32,
}

/// The overlays last computed. One slot: every caller asks the same question.
#[derive(Default)]
pub(super) struct OverlayCache(Mutex<Option<(OverlayVersion, Arc<Vec<Overlays>>)>>);

impl App {
    /// Every level's overlays, suppressed. Public: anyone may ask, signed in or not.
    pub fn overlays(&self, _principal: &Principal) -> Result<Arc<Vec<Overlays>>, Error> {
        self.overlays_of(&self.store.read())
    }

    /// The overlays of the public layers in `index` (a snapshot the caller already reads, such as
    /// a tile's), computed once per [`OverlayVersion`]. The lock is held only to look and to store.
    pub fn overlays_of(&self, index: &Index) -> Result<Arc<Vec<Overlays>>, Error> {
        let version = self.overlay_version(index);
        if let Some((v, cached)) = self.overlay_cache.0.lock().as_ref()
            && *v == version
        {
            return Ok(cached.clone());
        }
        // Read after the version: a change committed meanwhile is at worst computed twice.
        let data = self.support_data(index)?;
        let computed = Arc::new(overlays(index, &self.settings, &data, self.privacy.min_count)?);
        *self.overlay_cache.0.lock() = Some((version, computed.clone()));
        Ok(computed)
    }

    /// The version of the overlays `index` would give now.
    pub fn overlay_version(&self, index: &Index) -> OverlayVersion {
        OverlayVersion {
            layers: index.versions(),
            maps: self.private.maps_version(),
            year: super::this_year(),
        }
    }

    /// What the overlays count: people, troubles and groups of every group's current edition,
    /// stripped of labels and notes.
    pub fn support_data(&self, index: &Index) -> Result<SupportData, Error> {
        let year = super::this_year();
        let mut data = SupportData::default();
        for (group, features) in self.private.current_features()? {
            if let Some(at) = group_point(index, &group) {
                data.groups.push((at, group.edition == year));
            }
            let linked: HashSet<i64> =
                features.iter().filter_map(|f| f.ends).flat_map(|(a, b)| [a, b]).collect();
            for f in features {
                let Some((lon, lat)) = f.lon_lat else { continue };
                let at = geo::point!(x: lon, y: lat);
                match f.ftype {
                    FeatureType::Person => {
                        data.persons.push(PersonMark { at, tags: f.tags, linked: linked.contains(&f.key) })
                    }
                    FeatureType::Note => data.troubles.extend(f.tags.into_iter().map(|c| (at, c))),
                    _ => {}
                }
            }
        }
        Ok(data)
    }
}
