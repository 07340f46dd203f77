//! A cache of site catchments, bounded in bytes. The key holds the site's position and the network
//! version as well as the question (minutes, profile), so a moved site or a new network never shows
//! a stale catchment: the old entry is simply never asked for again and ages out.

use super::Catchment;
use crate::model::SiteId;
use geo::{CoordsIter, Point};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    site: SiteId,
    /// The site's lon/lat, as bits.
    at: (u64, u64),
    minutes: u64,
    profile: String,
    network_version: u64,
}

/// Weighs a catchment by its coordinates (16 bytes each, doubled for the slack of growing vectors and
/// the rings' own headers) and a fixed overhead.
#[derive(Debug, Clone, Copy)]
struct Bytes;

impl quick_cache::Weighter<Key, Arc<Catchment>> for Bytes {
    fn weight(&self, key: &Key, c: &Arc<Catchment>) -> u64 {
        (c.polygon.coords_count() * 32 + key.profile.len() + 256) as u64
    }
}

/// Catchments already computed, at most a given number of bytes of them.
pub struct CatchmentCache {
    entries: quick_cache::sync::Cache<Key, Arc<Catchment>, Bytes>,
}

impl CatchmentCache {
    /// A cache of at most `max_bytes`.
    pub fn new(max_bytes: u64) -> Self {
        // A 15-minute catchment holds a few thousand coordinates.
        let estimated = (max_bytes / 65_536).clamp(16, 1 << 16) as usize;
        CatchmentCache { entries: quick_cache::sync::Cache::with_weighter(estimated, max_bytes, Bytes) }
    }

    /// The cached catchment of `site` at `location`, or `compute`d and cached.
    pub fn get_or_compute<E>(
        &self,
        site: SiteId,
        location: Point<f64>,
        minutes: f64,
        profile: &str,
        network_version: u64,
        compute: impl FnOnce() -> Result<Catchment, E>,
    ) -> Result<Arc<Catchment>, E> {
        let key = Key {
            site,
            at: (location.x().to_bits(), location.y().to_bits()),
            minutes: minutes.to_bits(),
            profile: profile.to_owned(),
            network_version,
        };
        self.entries.get_or_insert_with(&key, || compute().map(Arc::new))
    }

    /// Number of cached catchments.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.entries.weight()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
