//! Vector tiles for sasaeai, with no web framework in sight.
//!
//! A layer's features go into a tile in these steps, each in its own module:
//! 1. [`grid`]: the tile's bounds; lon/lat (EPSG:4326) is projected to Web Mercator (EPSG:3857) and
//!    then to tile coordinates (0‥`extent`, y down) — the [`grid::TileTransform`]; a polygon drawn in
//!    many tiles can be projected once ([`shape::MercatorPolygon`]);
//! 2. [`shape`]: geometry in tile coordinates is simplified for the zoom, clipped to the tile plus a
//!    buffer (polygons by a boolean intersection, which also leaves them valid), snapped to the integer
//!    grid, cleaned of repeated points and zero-area rings, and oriented as MVT 2.1 wants (exterior
//!    rings clockwise on screen, holes the other way);
//! 3. [`thin`]: points are thinned at low zooms to one per screen cell;
//! 4. [`encode`]: features and their attributes are encoded with geozero's MVT writer into layers of
//!    one tile;
//! 5. [`cache`]: encoded tiles are kept by (layer set, z, x, y, data version), so an edit that bumps a
//!    layer's version can never serve a stale tile;
//! 6. [`check`]: an independent reader of the encoded bytes that checks them against the MVT 2.1
//!    specification, for tests and diagnostics.

pub mod cache;
pub mod check;
pub mod encode;
pub mod grid;
pub mod shape;
pub mod thin;

pub use cache::{CachedTile, Stamp, TileCache, TileKey};
pub use encode::{TileBuilder, Value};
pub use grid::{TileError, TileId, TileTransform};

/// Tile coordinates span 0‥`EXTENT` on each axis.
pub const EXTENT: u32 = 4096;
/// Geometry is kept this far (tile units) beyond each edge, so strokes and labels join across tiles.
pub const BUFFER: u32 = 64;
