//! Overlays of the support maps for everyone: the only way anything drawn by a group leaves it.

use super::{App, Error, Principal, groups::group_point};
use crate::analysis::overlays::{Overlays, PersonMark, SupportData, overlays};
use crate::model::support::FeatureType;
use std::collections::HashSet;

impl App {
    /// Every level's overlays, suppressed. Public: anyone may ask, signed in or not.
    pub fn overlays(&self, _principal: &Principal) -> Result<Vec<Overlays>, Error> {
        let index = self.store.read();
        let data = self.support_data(&index)?;
        Ok(overlays(&index, &self.settings, &data, self.privacy.min_count)?)
    }

    /// What the overlays count: people, troubles and groups of every group's current edition,
    /// stripped of labels and notes.
    pub fn support_data(&self, index: &crate::store::Index) -> Result<SupportData, Error> {
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
