//! Encoded tiles kept by (layer set, z, x, y, data version). The version is part of the key, so
//! when an edit or import bumps the version of a layer, every tile of a set holding that layer is
//! fetched under a new key and re-rendered: a stale tile is never served.

use crate::TileId;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// What identifies one rendered tile.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    pub layers: String,
    pub tile: TileId,
    /// A number that changes whenever the data of any layer in the set changes.
    pub version: u64,
}

/// A rendered tile: gzip-compressed MVT bytes (empty for a tile with no features) and its ETag.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedTile {
    pub gzipped: Vec<u8>,
    pub raw_len: usize,
    pub etag: String,
}

/// The cached tiles and their keys in the order they came in.
#[derive(Default)]
struct Entries {
    tiles: HashMap<TileKey, Arc<CachedTile>>,
    order: VecDeque<TileKey>,
}

/// A bounded cache; the oldest entries go first.
pub struct TileCache {
    capacity: usize,
    inner: Mutex<Entries>,
}

impl TileCache {
    pub fn new(capacity: usize) -> Self {
        TileCache { capacity, inner: Mutex::new(Entries::default()) }
    }

    /// The tile for `key`, rendering it with `render` when it is not cached.
    pub fn get_or_render<E>(
        &self,
        key: TileKey,
        render: impl FnOnce() -> Result<CachedTile, E>,
    ) -> Result<Arc<CachedTile>, E> {
        if let Some(hit) = self.inner.lock().tiles.get(&key) {
            return Ok(hit.clone());
        }
        let tile = Arc::new(render()?);
        let mut inner = self.inner.lock();
        if inner.tiles.insert(key.clone(), tile.clone()).is_none() {
            inner.order.push_back(key);
        }
        while inner.tiles.len() > self.capacity {
            let Some(old) = inner.order.pop_front() else { break };
            inner.tiles.remove(&old);
        }
        Ok(tile)
    }

    /// Number of tiles held.
    pub fn len(&self) -> usize {
        self.inner.lock().tiles.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(version: u64) -> TileKey {
        TileKey { layers: "base".into(), tile: TileId::new(1, 0, 0).unwrap(), version }
    }

    #[test]
    fn a_new_version_renders_again_and_capacity_holds() {
        let cache = TileCache::new(2);
        let mut renders = 0;
        let mut render = |v: u64| {
            cache
                .get_or_render::<()>(key(v), || {
                    renders += 1;
                    Ok(CachedTile { gzipped: vec![v as u8], raw_len: 1, etag: format!("{v}") })
                })
                .unwrap()
        };
        assert_eq!(render(1).etag, "1");
        assert_eq!(render(1).etag, "1");
        assert_eq!(render(2).etag, "2");
        assert_eq!(render(3).etag, "3");
        assert_eq!(renders, 3, "the second request for version 1 was a hit");
        assert_eq!(cache.len(), 2);
    }
}
