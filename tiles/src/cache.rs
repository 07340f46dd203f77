//! Encoded tiles kept by (layer set, z, x, y, data version), bounded in bytes. The version is part of
//! the key, so when an edit or import bumps the version of a layer, every tile of a set holding that
//! layer is fetched under a new key and re-rendered: a stale tile is never served. Concurrent
//! requests for one missing tile render it once (the others wait for that render).

use crate::TileId;
use std::sync::Arc;

/// What identifies one rendered tile.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// The canonical name of the layer set (sorted, without duplicates), never raw user input.
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

/// Weighs a cached tile by the bytes it holds, with its key and bookkeeping.
#[derive(Debug, Clone, Copy)]
struct Bytes;

/// Bytes of bookkeeping per entry beside the tile's own bytes.
const ENTRY_OVERHEAD: u64 = 128;

impl quick_cache::Weighter<TileKey, Arc<CachedTile>> for Bytes {
    fn weight(&self, key: &TileKey, tile: &Arc<CachedTile>) -> u64 {
        (key.layers.len() + tile.gzipped.len() + tile.etag.len()) as u64 + ENTRY_OVERHEAD
    }
}

/// A cache of rendered tiles holding at most a given number of bytes; the least useful go first.
pub struct TileCache {
    tiles: quick_cache::sync::Cache<TileKey, Arc<CachedTile>, Bytes>,
}

impl TileCache {
    /// A cache of at most `max_bytes`.
    pub fn new(max_bytes: u64) -> Self {
        // A typical tile is a few kilobytes; the estimate only sizes the table.
        let estimated = (max_bytes / 4096).clamp(16, 1 << 20) as usize;
        TileCache { tiles: quick_cache::sync::Cache::with_weighter(estimated, max_bytes, Bytes) }
    }

    /// The tile for `key`, rendering it with `render` when it is not cached.
    pub fn get_or_render<E>(
        &self,
        key: TileKey,
        render: impl FnOnce() -> Result<CachedTile, E>,
    ) -> Result<Arc<CachedTile>, E> {
        self.tiles.get_or_insert_with(&key, || render().map(Arc::new))
    }

    /// The tile for `key`, if it is cached.
    pub fn get(&self, key: &TileKey) -> Option<Arc<CachedTile>> {
        self.tiles.get(key)
    }

    /// Number of tiles held.
    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.tiles.weight()
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
    fn a_new_version_renders_again() {
        let cache = TileCache::new(1 << 20);
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
        assert_eq!(renders, 2, "the second request for version 1 was a hit");
    }

    #[test]
    fn bytes_stay_within_the_bound_however_many_tiles_come() {
        let max = 256 * 1024;
        let cache = TileCache::new(max);
        for v in 0..2_000u64 {
            let tile = CachedTile { gzipped: vec![0; 4096], raw_len: 4096, etag: v.to_string() };
            cache.get_or_render::<()>(key(v), || Ok(tile)).unwrap();
        }
        assert!(cache.bytes() <= max, "{} bytes held, bound {max}", cache.bytes());
        assert!(cache.len() > 10, "the cache still holds tiles");
    }
}
