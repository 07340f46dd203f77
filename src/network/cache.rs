//! A cache of site catchments keyed by (site, minutes, profile). An entry is only used while the site
//! is where it was and the network is the one it was computed on, so a moved site or a new network
//! never shows a stale catchment.

use super::Catchment;
use crate::model::SiteId;
use geo::Point;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// Entries kept at most; the cache is emptied when full (catchments are cheap to recompute).
const CAPACITY: usize = 8192;

type Key = (SiteId, u64, String);

struct Entry {
    location: Point<f64>,
    network_version: u64,
    catchment: Arc<Catchment>,
}

/// Catchments already computed.
#[derive(Default)]
pub struct CatchmentCache {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl CatchmentCache {
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
        let key = (site, minutes.to_bits(), profile.to_owned());
        if let Some(e) = self.entries.lock().get(&key)
            && e.location == location
            && e.network_version == network_version
        {
            return Ok(e.catchment.clone());
        }
        let catchment = Arc::new(compute()?);
        let mut entries = self.entries.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, Entry { location, network_version, catchment: catchment.clone() });
        Ok(catchment)
    }

    /// Number of cached catchments.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
