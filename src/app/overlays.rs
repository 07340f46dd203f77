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
pub(super) struct OverlayCache {
    slot: Mutex<Option<(OverlayVersion, Arc<Vec<Overlays>>)>>,
    /// Held by the one caller computing, so that the dozen tiles a map asks for at once after an
    /// edit wait for one computation instead of each doing it. Writers never take it.
    computing: Mutex<()>,
}

impl OverlayCache {
    fn cached(&self, version: OverlayVersion) -> Option<Arc<Vec<Overlays>>> {
        self.slot.lock().as_ref().filter(|(v, _)| *v == version).map(|(_, o)| o.clone())
    }
}

impl App {
    /// Every level's overlays, suppressed. Public: anyone may ask, signed in or not.
    pub fn overlays(&self, _principal: &Principal) -> Result<Arc<Vec<Overlays>>, Error> {
        self.overlays_of(&self.store.read())
    }

    /// The overlays of the public layers in `index` (a snapshot the caller already reads, such as
    /// a tile's), computed once per [`OverlayVersion`]: concurrent callers of a new version wait for
    /// the first one's result. No lock a writer needs is held while computing.
    pub fn overlays_of(&self, index: &Index) -> Result<Arc<Vec<Overlays>>, Error> {
        let cache = &self.overlay_cache;
        let version = self.overlay_version(index);
        if let Some(hit) = cache.cached(version) {
            return Ok(hit);
        }
        let _computing = cache.computing.lock();
        if let Some(hit) = cache.cached(version) {
            return Ok(hit);
        }
        // Read after the version: a change committed meanwhile is at worst computed twice.
        let data = self.support_data(index)?;
        let computed = Arc::new(overlays(index, &self.settings, &data, self.privacy.min_count)?);
        *cache.slot.lock() = Some((version, computed.clone()));
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
