//! Validation of single lon/lat coordinates (EPSG:4326), shared by every import path and the API.

/// What is wrong with a coordinate.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum CoordError {
    /// NaN or infinite.
    #[error("coordinate is not a finite number (lon {lon}, lat {lat})")]
    NonFinite { lon: f64, lat: f64 },
    /// Latitude outside ±90° while longitude would be a valid latitude: the pair was written lat, lon.
    #[error(
        "latitude and longitude look swapped: got lon {lon}, lat {lat}; GeoJSON and this API take [longitude, latitude]"
    )]
    Swapped { lon: f64, lat: f64 },
    /// Outside ±180° longitude or ±90° latitude.
    #[error("coordinate out of range (lon {lon} must be within ±180, lat {lat} within ±90)")]
    OutOfRange { lon: f64, lat: f64 },
}

/// Checks that `(lon, lat)` is a usable WGS84 position.
///
/// ```
/// use sasaeai::model::{check_lon_lat, CoordError};
/// assert!(check_lon_lat(139.7, 35.6).is_ok());
/// assert!(matches!(check_lon_lat(35.6, 139.7), Err(CoordError::Swapped { .. })));
/// assert!(matches!(check_lon_lat(f64::NAN, 35.0), Err(CoordError::NonFinite { .. })));
/// ```
pub fn check_lon_lat(lon: f64, lat: f64) -> Result<(), CoordError> {
    if !lon.is_finite() || !lat.is_finite() {
        return Err(CoordError::NonFinite { lon, lat });
    }
    if lat.abs() > 90.0 && lon.abs() <= 90.0 && lat.abs() <= 180.0 {
        return Err(CoordError::Swapped { lon, lat });
    }
    if lon.abs() > 180.0 || lat.abs() > 90.0 {
        return Err(CoordError::OutOfRange { lon, lat });
    }
    Ok(())
}
