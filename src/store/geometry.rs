//! Geometry as stored: little-endian WKB in EPSG:4326, inside a GeoPackage blob or a PostGIS column.

use geo::Geometry;
use geo_traits::to_geo::ToGeoGeometry;

/// Why a stored geometry could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The blob does not start with the `GP` magic or is shorter than its header says.
    #[error("not a GeoPackage geometry blob")]
    Header,
    /// The WKB is malformed.
    #[error("malformed WKB: {0}")]
    Wkb(String),
}

/// Appends `geometry` to `out` as little-endian WKB.
pub fn write_wkb(out: &mut Vec<u8>, geometry: &Geometry<f64>) {
    let options = wkb::writer::WriteOptions { endianness: wkb::Endianness::LittleEndian };
    wkb::writer::write_geometry(out, geometry, &options).expect("writing WKB to a Vec cannot fail");
}

/// `geometry` as little-endian WKB.
///
/// ```
/// use sasaeai::store::geometry::{read_wkb, to_wkb};
/// let line = geo::Geometry::LineString(geo::wkt! { LINESTRING(139.7 35.6, 139.71 35.61) });
/// assert_eq!(read_wkb(&to_wkb(&line)).unwrap(), line);
/// ```
pub fn to_wkb(geometry: &Geometry<f64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write_wkb(&mut out, geometry);
    out
}

/// Reads WKB (either byte order).
pub fn read_wkb(bytes: &[u8]) -> Result<Geometry<f64>, BlobError> {
    let wkb = wkb::reader::read_wkb(bytes).map_err(|e| BlobError::Wkb(e.to_string()))?;
    wkb.try_to_geometry().ok_or_else(|| BlobError::Wkb("unsupported geometry type".into()))
}
