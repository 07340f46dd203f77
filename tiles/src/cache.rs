//! Encoded tiles kept by (layer set, z, x, y, version), bounded in bytes. The key's version changes
//! with every edit that may reach any tile of the set (the server decides which), so such an edit
//! is fetched under a new key and re-rendered. Edits told apart by place are not in the key: each
//! tile records the versions of those layers it was rendered from (its stamp), and when they have
//! moved on the server says whether an edit since reaches the tile — if none does, the tile stays
//! and takes the new stamp; otherwise it is rendered again. A stale tile is never served.
//! Concurrent requests for one missing tile render it once (the others wait for that render).

use crate::TileId;
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What identifies one rendered tile.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// The canonical name of the layer set (sorted, without duplicates), never raw user input.
    pub layers: String,
    pub tile: TileId,
    /// A number that changes whenever data the set draws changes in a way not told apart by place.
    pub version: u64,
}

/// The versions of the layers whose edits are told apart by place, as of a render.
pub type Stamp = [u64; 2];

/// Whether a tile rendered at `stamp` is at least as new as `now` in every layer.
fn covers(stamp: Stamp, now: Stamp) -> bool {
    stamp.iter().zip(now).all(|(s, n)| *s >= n)
}

/// A rendered tile: gzip-compressed MVT bytes (empty for a tile with no features), its ETag and the
/// stamp it was rendered at.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedTile {
    pub gzipped: Bytes,
    pub raw_len: usize,
    /// The ETag header's value, shared by every answer that carries it.
    pub etag: Bytes,
    pub stamp: Stamp,
}

/// Weighs a cached tile by the bytes it holds, with its key and bookkeeping.
#[derive(Debug, Clone, Copy)]
struct Weight;

/// Bytes of bookkeeping per entry beside the tile's own bytes.
const ENTRY_OVERHEAD: u64 = 128;

impl quick_cache::Weighter<TileKey, Arc<CachedTile>> for Weight {
    fn weight(&self, key: &TileKey, tile: &Arc<CachedTile>) -> u64 {
        (key.layers.len() + tile.gzipped.len() + tile.etag.len()) as u64 + ENTRY_OVERHEAD
    }
}

/// A cache of rendered tiles holding at most a given number of bytes; the least useful go first.
pub struct TileCache {
    tiles: quick_cache::sync::Cache<TileKey, Arc<CachedTile>, Weight>,
    /// Tiles rendered since the start: what an edit cost, and how often the cache missed.
    renders: AtomicU64,
}

impl TileCache {
    /// A cache of at most `max_bytes`.
    pub fn new(max_bytes: u64) -> Self {
        // A typical tile is a few kilobytes; the estimate only sizes the table.
        let estimated = (max_bytes / 4096).clamp(16, 1 << 20) as usize;
        let tiles = quick_cache::sync::Cache::with_weighter(estimated, max_bytes, Weight);
        TileCache { tiles, renders: AtomicU64::new(0) }
    }

    /// The tile for `key` as of `now`: the cached one when it is that new, or when `unchanged` says
    /// no edit between its stamp and `now` reaches it (it then takes `now` as its stamp); otherwise
    /// rendered with `render`, which stamps it.
    pub fn get_or_render<E>(
        &self,
        key: TileKey,
        now: Stamp,
        unchanged: impl FnOnce(Stamp) -> bool,
        render: impl FnOnce() -> Result<CachedTile, E>,
    ) -> Result<Arc<CachedTile>, E> {
        if let Some(cached) = self.tiles.get(&key) {
            if covers(cached.stamp, now) {
                return Ok(cached);
            }
            if unchanged(cached.stamp) {
                let kept = Arc::new(CachedTile { stamp: now, ..CachedTile::clone(&cached) });
                self.tiles.insert(key, kept.clone());
                return Ok(kept);
            }
            self.tiles.remove(&key);
        }
        let mut render = Some(move || {
            self.renders.fetch_add(1, Ordering::Relaxed);
            render()
        });
        let tile =
            self.tiles.get_or_insert_with(&key, || render.take().expect("called once")().map(Arc::new))?;
        match render {
            // Another request put in a render older than `now` meanwhile: ours replaces it.
            Some(render) if !covers(tile.stamp, now) => {
                let fresh = Arc::new(render()?);
                self.tiles.insert(key, fresh.clone());
                Ok(fresh)
            }
            _ => Ok(tile),
        }
    }

    /// The tile for `key`, if it is cached and at least as new as `now`.
    pub fn get(&self, key: &TileKey, now: Stamp) -> Option<Arc<CachedTile>> {
        self.tiles.get(key).filter(|t| covers(t.stamp, now))
    }

    /// Tiles rendered since the cache was made.
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
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

    fn tile(etag: &str, stamp: Stamp) -> CachedTile {
        CachedTile {
            gzipped: Bytes::from_static(&[1]),
            raw_len: 1,
            etag: Bytes::copy_from_slice(etag.as_bytes()),
            stamp,
        }
    }

    #[test]
    fn a_new_version_renders_again() {
        let cache = TileCache::new(1 << 20);
        let mut renders = 0;
        let mut render = |v: u64| {
            cache
                .get_or_render::<()>(
                    key(v),
                    [0, 0],
                    |_| panic!("same stamp"),
                    || {
                        renders += 1;
                        Ok(tile(&v.to_string(), [0, 0]))
                    },
                )
                .unwrap()
        };
        assert_eq!(render(1).etag, "1");
        assert_eq!(render(1).etag, "1");
        assert_eq!(render(2).etag, "2");
        assert_eq!(renders, 2, "the second request for version 1 was a hit");
    }

    #[test]
    fn an_edit_elsewhere_keeps_the_tile_and_an_edit_here_renders_it() {
        let cache = TileCache::new(1 << 20);
        let first = cache.get_or_render::<()>(key(1), [3, 0], |_| unreachable!(), || Ok(tile("a", [3, 0])));
        assert_eq!(first.unwrap().stamp, [3, 0]);
        let kept = cache.get_or_render::<()>(key(1), [4, 0], |since| since == [3, 0], || panic!("kept"));
        assert_eq!(kept.unwrap().etag, "a");
        assert!(cache.get(&key(1), [4, 0]).is_some(), "restamped: the next request is a plain hit");
        let fresh = cache.get_or_render::<()>(key(1), [5, 1], |_| false, || Ok(tile("b", [5, 1])));
        assert_eq!(fresh.unwrap().etag, "b");
        assert!(cache.get(&key(1), [6, 1]).is_none(), "older than asked");
    }

    #[test]
    fn bytes_stay_within_the_bound_however_many_tiles_come() {
        let max = 256 * 1024;
        let cache = TileCache::new(max);
        for v in 0..2_000u64 {
            let tile = CachedTile {
                gzipped: vec![0; 4096].into(),
                raw_len: 4096,
                etag: v.to_string().into(),
                stamp: [0, 0],
            };
            cache.get_or_render::<()>(key(v), [0, 0], |_| true, || Ok(tile)).unwrap();
        }
        assert!(cache.bytes() <= max, "{} bytes held, bound {max}", cache.bytes());
        assert!(cache.len() > 10, "the cache still holds tiles");
    }
}
