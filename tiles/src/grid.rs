//! Web Mercator tile math: which tile, its bounds in lon/lat (EPSG:4326) and Web Mercator metres
//! (EPSG:3857), and the transform from lon/lat into tile coordinates (0‥extent, y pointing down).

use geo::{Coord, Rect};

/// Half the Web Mercator world width, in metres.
const HALF_WORLD_M: f64 = 20_037_508.342_789_244;
/// The highest zoom served.
pub const MAX_ZOOM: u8 = 22;
/// Latitude limit of Web Mercator.
const MAX_LAT: f64 = 85.051_128_779_806_59;

/// A tile address in the XYZ scheme (y = 0 at the north).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// A tile address that does not exist.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TileError {
    /// Zoom above [`MAX_ZOOM`].
    #[error("zoom {0} is above the highest zoom {MAX_ZOOM}")]
    Zoom(u32),
    /// x or y outside 0‥2^z.
    #[error("tile {x}/{y} does not exist at zoom {z} (x and y must be below {limit})")]
    OutOfRange { z: u8, x: u32, y: u32, limit: u32 },
}

impl TileId {
    /// Checks that the tile exists.
    ///
    /// ```
    /// use sasaeai_tiles::TileId;
    /// assert!(TileId::new(14, 14552, 6451).is_ok());
    /// assert!(TileId::new(2, 4, 0).is_err());
    /// ```
    pub fn new(z: u32, x: u32, y: u32) -> Result<Self, TileError> {
        if z > MAX_ZOOM as u32 {
            return Err(TileError::Zoom(z));
        }
        let z = z as u8;
        let limit = 1u32 << z;
        if x >= limit || y >= limit {
            return Err(TileError::OutOfRange { z, x, y, limit });
        }
        Ok(TileId { z, x, y })
    }

    /// The tile holding a lon/lat position at zoom `z`.
    pub fn containing(lon: f64, lat: f64, z: u8) -> Self {
        let n = (1u64 << z) as f64;
        let m = to_mercator(Coord { x: lon, y: lat });
        let fx = (m.x + HALF_WORLD_M) / (2.0 * HALF_WORLD_M) * n;
        let fy = (HALF_WORLD_M - m.y) / (2.0 * HALF_WORLD_M) * n;
        let clamp = |v: f64| (v.floor().max(0.0) as u32).min((1u32 << z) - 1);
        TileId { z, x: clamp(fx), y: clamp(fy) }
    }

    /// Bounds in Web Mercator metres (EPSG:3857).
    pub fn bounds_mercator(&self) -> Rect<f64> {
        let size = 2.0 * HALF_WORLD_M / (1u64 << self.z) as f64;
        let min_x = -HALF_WORLD_M + self.x as f64 * size;
        let max_y = HALF_WORLD_M - self.y as f64 * size;
        Rect::new(Coord { x: min_x, y: max_y - size }, Coord { x: min_x + size, y: max_y })
    }

    /// Bounds in lon/lat (EPSG:4326).
    pub fn bounds_lonlat(&self) -> Rect<f64> {
        let b = self.bounds_mercator();
        Rect::new(from_mercator(b.min()), from_mercator(b.max()))
    }

    /// Bounds in lon/lat grown by `buffer` tile units on every side.
    pub fn buffered_bounds_lonlat(&self, buffer: u32, extent: u32) -> Rect<f64> {
        let b = self.bounds_mercator();
        let pad = b.width() * buffer as f64 / extent as f64;
        let grown = Rect::new(
            Coord { x: b.min().x - pad, y: b.min().y - pad },
            Coord { x: b.max().x + pad, y: b.max().y + pad },
        );
        Rect::new(from_mercator(grown.min()), from_mercator(grown.max()))
    }
}

impl std::fmt::Display for TileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// Lon/lat (EPSG:4326) to Web Mercator metres (EPSG:3857).
pub fn to_mercator(c: Coord<f64>) -> Coord<f64> {
    let lat = c.y.clamp(-MAX_LAT, MAX_LAT).to_radians();
    Coord {
        x: c.x.to_radians() * 6_378_137.0,
        y: (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln() * 6_378_137.0,
    }
}

/// Web Mercator metres (EPSG:3857) to lon/lat (EPSG:4326).
pub fn from_mercator(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: (c.x / 6_378_137.0).to_degrees(),
        y: (2.0 * (c.y / 6_378_137.0).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
    }
}

/// Maps lon/lat (EPSG:4326) into one tile's coordinates: 0‥extent, x east, y down.
#[derive(Debug, Clone, Copy)]
pub struct TileTransform {
    origin: Coord<f64>,
    scale: f64,
    pub extent: u32,
}

impl TileTransform {
    pub fn new(tile: TileId, extent: u32) -> Self {
        let b = tile.bounds_mercator();
        TileTransform {
            origin: Coord { x: b.min().x, y: b.max().y },
            scale: extent as f64 / b.width(),
            extent,
        }
    }

    /// A lon/lat position in tile coordinates (not rounded).
    pub fn apply(&self, c: Coord<f64>) -> Coord<f64> {
        self.apply_mercator(to_mercator(c))
    }

    /// Tile coordinates back to lon/lat.
    pub fn invert(&self, c: Coord<f64>) -> Coord<f64> {
        from_mercator(self.invert_mercator(c))
    }

    /// A position in Web Mercator metres in tile coordinates (not rounded): a scale and a shift.
    pub fn apply_mercator(&self, m: Coord<f64>) -> Coord<f64> {
        Coord { x: (m.x - self.origin.x) * self.scale, y: (self.origin.y - m.y) * self.scale }
    }

    /// Tile coordinates back to Web Mercator metres.
    pub fn invert_mercator(&self, c: Coord<f64>) -> Coord<f64> {
        Coord { x: c.x / self.scale + self.origin.x, y: self.origin.y - c.y / self.scale }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn kawasaki_city_hall_tile() {
        // 川崎市役所 (139.7029, 35.5308): x = (lon + 180) / 360 · 2^14 = 14550.03;
        // y = (1 − ln(tan(π/4 + φ/2)) / π) / 2 · 2^14 = 6460.08.
        let t = TileId::containing(139.7029, 35.5308, 14);
        assert_eq!((t.x, t.y), (14550, 6460));
        let b = t.bounds_lonlat();
        assert!(b.min().x <= 139.7029 && 139.7029 < b.max().x && b.min().y <= 35.5308 && 35.5308 < b.max().y);
    }

    #[test]
    fn transform_puts_corners_at_0_and_extent() {
        let t = TileId::new(12, 3637, 1612).unwrap();
        let tr = TileTransform::new(t, 4096);
        let b = t.bounds_lonlat();
        let nw = tr.apply(Coord { x: b.min().x, y: b.max().y });
        let se = tr.apply(Coord { x: b.max().x, y: b.min().y });
        assert_abs_diff_eq!(nw.x, 0.0, epsilon = 1e-6);
        assert_abs_diff_eq!(nw.y, 0.0, epsilon = 1e-6);
        assert_abs_diff_eq!(se.x, 4096.0, epsilon = 1e-6);
        assert_abs_diff_eq!(se.y, 4096.0, epsilon = 1e-6);
        let back = tr.invert(Coord { x: 2048.0, y: 2048.0 });
        assert_abs_diff_eq!(tr.apply(back).x, 2048.0, epsilon = 1e-6);
    }
}
