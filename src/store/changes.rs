//! Where a point layer (sites, population) changed, write by write, so that something cached from an
//! earlier version — a map tile — can ask whether any change since then reaches it, and stay cached
//! when none does. Boxes are lon/lat (EPSG:4326).

use geo::{Point, Rect};
use std::collections::VecDeque;

/// Boxes kept, across writes; older writes are forgotten, and whatever was cached before them is
/// then taken as touched.
const KEPT: usize = 1024;

/// Points one write may list separately; a larger write is recorded as the one box around them.
const POINTS_PER_WRITE: usize = 64;

/// The places a point layer changed, by the layer version each write made.
#[derive(Clone, Debug, Default)]
pub struct ChangeLog {
    /// (version the write made, a box around points it added, moved or removed), oldest first.
    boxes: VecDeque<(u64, Rect<f64>)>,
    /// Writes up to this version are no longer told apart.
    forgotten_up_to: u64,
}

impl ChangeLog {
    /// Records that the write making `version` changed the layer at `points` (old and new places).
    pub(super) fn record(&mut self, version: u64, points: &[Point<f64>]) {
        if points.len() <= POINTS_PER_WRITE {
            self.boxes.extend(points.iter().map(|p| (version, Rect::new(p.0, p.0))));
        } else if let Some(all) = crate::model::union_rects(points.iter().map(|p| Rect::new(p.0, p.0))) {
            self.boxes.push_back((version, all));
        }
        while self.boxes.len() > KEPT {
            if let Some((forgotten, _)) = self.boxes.pop_front() {
                self.forgotten_up_to = forgotten;
            }
        }
    }

    /// Whether a write after version `since` changed a place `matters` says reaches what is asked
    /// about; `true` when the log no longer goes back to `since`.
    ///
    /// ```
    /// use sasaeai::store::Store;
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = Store::open(dir.path().join("t.gpkg")).unwrap();
    /// let before = store.read().versions().sites;
    /// let site = sasaeai::model::SiteData {
    ///     name: "カフェ（架空）".into(),
    ///     kind: sasaeai::model::SiteKind::Cafe,
    ///     location: geo::point!(x: 140.0, y: 34.6),
    ///     address: None,
    ///     schedule: None,
    ///     audience: vec![],
    ///     operator: None,
    ///     properties: Default::default(),
    /// };
    /// store.insert_sites([site]).unwrap();
    /// let changes = store.read().site_changes().clone();
    /// assert!(changes.any_since(before, |r| r.min().x == 140.0));
    /// assert!(!changes.any_since(before, |r| r.min().x > 141.0), "nothing changed there");
    /// assert!(!changes.any_since(before + 1, |_| true), "nothing changed since");
    /// ```
    pub fn any_since(&self, since: u64, mut matters: impl FnMut(&Rect<f64>) -> bool) -> bool {
        since < self.forgotten_up_to
            || self.boxes.iter().rev().take_while(|(v, _)| *v > since).any(|(_, r)| matters(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_that_forgot_the_version_asked_says_touched() {
        let mut log = ChangeLog::default();
        for v in 1..=(KEPT as u64 + 10) {
            log.record(v, &[geo::point!(x: 0.0, y: 0.0)]);
        }
        assert!(log.any_since(5, |_| false), "writes after 5 are partly forgotten");
        assert!(!log.any_since(KEPT as u64, |_| false), "every write after it is still known");
    }

    #[test]
    fn a_large_write_is_one_box_around_its_points() {
        let mut log = ChangeLog::default();
        let points: Vec<_> = (0..200).map(|i| geo::point!(x: i as f64, y: 1.0)).collect();
        log.record(1, &points);
        assert_eq!(log.boxes.len(), 1);
        assert!(log.any_since(0, |r| r.min().x == 0.0 && r.max().x == 199.0));
    }
}
