//! Coordinates files give other than as decimal lon/lat: the JGD2011 平面直角座標系 (zones I–XIX,
//! EPSG:6669–6687, metres), converted to lon/lat by proj4rs, and 度分秒 (`34°03'07.7"N`,
//! `34°　14′06″`, `34度14分6秒`, full-width digits and spaces).
//!
//! Axis names follow Japanese surveying: in 平面直角座標 **X is the northing and Y the easting**
//! (`X座標`, `Y座標` columns). A GeoJSON file's positions stay `[easting, northing]`, the order GIS
//! software writes them in.

use proj4rs::proj::Proj;

/// The origin (latitude, longitude in degrees) of each 平面直角座標系 zone, I to XIX
/// (平成14年国土交通省告示第9号).
const ZONE_ORIGINS: [(f64, f64); 19] = [
    (33.0, 129.5),
    (33.0, 131.0),
    (36.0, 132.0 + 10.0 / 60.0),
    (33.0, 133.5),
    (36.0, 134.0 + 20.0 / 60.0),
    (36.0, 136.0),
    (36.0, 137.0 + 10.0 / 60.0),
    (36.0, 138.5),
    (36.0, 139.0 + 50.0 / 60.0),
    (40.0, 140.0 + 50.0 / 60.0),
    (44.0, 140.25),
    (44.0, 142.25),
    (44.0, 144.25),
    (26.0, 142.0),
    (26.0, 127.5),
    (26.0, 124.0),
    (26.0, 131.0),
    (20.0, 136.0),
    (26.0, 154.0),
];

/// The EPSG code of zone I; zone n is `FIRST_ZONE_EPSG + n - 1`.
const FIRST_ZONE_EPSG: u32 = 6669;

/// The coordinate system of a file's positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Crs {
    /// Longitude and latitude in degrees (EPSG:4326, or JGD2011 EPSG:6668, which is the same to
    /// well within a metre).
    #[default]
    LonLat,
    /// JGD2011 平面直角座標系 zone 1–19, in metres.
    Plane(u8),
}

impl std::str::FromStr for Crs {
    type Err = String;

    /// `EPSG:6671`, `6671`, `urn:ogc:def:crs:EPSG::6671`, an OGC URL ending in `/6671`, `EPSG:4326`,
    /// `EPSG:6668` or `CRS84`.
    fn from_str(s: &str) -> Result<Self, String> {
        let code = s.trim().rsplit([':', '/']).next().unwrap_or_default();
        match code.parse::<u32>() {
            _ if code.eq_ignore_ascii_case("CRS84") => Ok(Crs::LonLat),
            Ok(4326 | 6668) => Ok(Crs::LonLat),
            Ok(n) if (FIRST_ZONE_EPSG..FIRST_ZONE_EPSG + 19).contains(&n) => {
                Ok(Crs::Plane((n - FIRST_ZONE_EPSG + 1) as u8))
            }
            _ => Err(format!(
                "{s:?} is not a coordinate system sasaeai reads: EPSG:4326 or EPSG:6668 (lon/lat), or \
                 EPSG:6669–6687 (JGD2011 平面直角座標系 I–XIX); convert other systems (e.g. the Tokyo datum) first"
            )),
        }
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Crs::LonLat => write!(f, "EPSG:4326"),
            Crs::Plane(zone) => write!(f, "EPSG:{}", FIRST_ZONE_EPSG + u32::from(*zone) - 1),
        }
    }
}

/// Converts 平面直角座標 of one zone to lon/lat.
pub struct PlaneToLonLat {
    plane: Proj,
    lon_lat: Proj,
}

/// The farthest from its origin a point of a zone can be, metres: the zones span about ±130 km
/// east–west and Japan's extent north–south; beyond this the numbers are not plane coordinates.
const MAX_PLANE_OFFSET_M: f64 = 1_000_000.0;

impl PlaneToLonLat {
    /// The converter of `zone` (1–19), built once per process.
    pub fn zone(zone: u8) -> Result<&'static PlaneToLonLat, String> {
        static ZONES: std::sync::OnceLock<Vec<Result<PlaneToLonLat, String>>> = std::sync::OnceLock::new();
        let zones = ZONES.get_or_init(|| (1..=19).map(PlaneToLonLat::new).collect());
        match zones.get(usize::from(zone).wrapping_sub(1)) {
            Some(converter) => converter.as_ref().map_err(Clone::clone),
            None => Err(format!("there is no 平面直角座標系 zone {zone}; zones are 1–19")),
        }
    }

    /// The converter of `zone` (1–19).
    pub fn new(zone: u8) -> Result<Self, String> {
        let (lat_0, lon_0) = *ZONE_ORIGINS
            .get(usize::from(zone).wrapping_sub(1))
            .ok_or_else(|| format!("there is no 平面直角座標系 zone {zone}; zones are 1–19"))?;
        let plane = format!(
            "+proj=tmerc +lat_0={lat_0} +lon_0={lon_0} +k=0.9999 +x_0=0 +y_0=0 +ellps=GRS80 +towgs84=0,0,0 +units=m +no_defs"
        );
        let parse = |s: &str| Proj::from_proj_string(s).map_err(|e| format!("projection {s}: {e}"));
        Ok(PlaneToLonLat {
            plane: parse(&plane)?,
            lon_lat: parse("+proj=longlat +ellps=GRS80 +towgs84=0,0,0")?,
        })
    }

    /// Longitude and latitude in degrees of the point `northing_m` north and `easting_m` east of
    /// the zone's origin.
    ///
    /// ```
    /// # use sasaeai::import::crs::PlaneToLonLat;
    /// let zone_iii = PlaneToLonLat::new(3).unwrap();
    /// let (lon, lat) = zone_iii.lon_lat(0.0, 0.0).unwrap();
    /// assert!((lon - (132.0 + 10.0 / 60.0)).abs() < 1e-9 && (lat - 36.0).abs() < 1e-9);
    /// assert!(zone_iii.lon_lat(34.05, 131.8).is_err(), "degrees are not metres");
    /// ```
    pub fn lon_lat(&self, northing_m: f64, easting_m: f64) -> Result<(f64, f64), String> {
        if !(northing_m.is_finite() && easting_m.is_finite()) {
            return Err("平面直角座標 must be finite numbers".into());
        }
        if northing_m.abs().max(easting_m.abs()) > MAX_PLANE_OFFSET_M {
            return Err(format!(
                "X {northing_m} / Y {easting_m} m is more than {} km from the zone's origin",
                MAX_PLANE_OFFSET_M / 1000.0
            ));
        }
        if northing_m.abs() < 1000.0 && easting_m.abs() < 1000.0 && (northing_m, easting_m) != (0.0, 0.0) {
            return Err(format!(
                "X {northing_m} / Y {easting_m} look like degrees, not 平面直角座標 metres; \
                 read them as lon/lat (no --crs), or check the columns"
            ));
        }
        let mut point = (easting_m, northing_m, 0.0);
        proj4rs::transform::transform(&self.plane, &self.lon_lat, &mut point).map_err(|e| e.to_string())?;
        Ok((point.0.to_degrees(), point.1.to_degrees()))
    }
}

/// Rewrites every position of `geometry` from `[easting, northing]` in `zone` to `[lon, lat]`.
pub fn geometry_to_lon_lat(geometry: &mut geojson::GeometryValue, zone: u8) -> Result<(), String> {
    use geojson::GeometryValue as G;
    let converter = PlaneToLonLat::zone(zone)?;
    let mut convert = |p: &mut geojson::Position| -> Result<(), String> {
        if p.len() < 2 {
            return Err(format!("a position needs easting and northing, got {} number(s)", p.len()));
        }
        (p[0], p[1]) = converter.lon_lat(p[1], p[0])?;
        Ok(())
    };
    let positions: Vec<&mut geojson::Position> = match geometry {
        G::Point { coordinates } => vec![coordinates],
        G::MultiPoint { coordinates } | G::LineString { coordinates } => coordinates.iter_mut().collect(),
        G::MultiLineString { coordinates } | G::Polygon { coordinates } => {
            coordinates.iter_mut().flatten().collect()
        }
        G::MultiPolygon { coordinates } => coordinates.iter_mut().flatten().flatten().collect(),
        G::GeometryCollection { geometries } => {
            return geometries.iter_mut().try_for_each(|g| geometry_to_lon_lat(&mut g.value, zone));
        }
    };
    positions.into_iter().try_for_each(&mut convert)
}

/// An angle written in 度分秒, in degrees; `None` when `text` is not so written. A trailing or
/// leading `S`/`W` (南緯, 西経) makes it negative.
///
/// ```
/// # use sasaeai::import::crs::dms_degrees;
/// let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
/// assert!(close(dms_degrees("34°03'07.7\"N").unwrap(), 34.0 + 3.0 / 60.0 + 7.7 / 3600.0));
/// assert!(close(dms_degrees("３４°　１４′０６″").unwrap(), 34.0 + 14.0 / 60.0 + 6.0 / 3600.0));
/// assert!(close(dms_degrees("東経131度30分").unwrap(), 131.5));
/// assert_eq!(dms_degrees("34.05"), None);
/// assert_eq!(dms_degrees("34°75'"), None);
/// ```
pub fn dms_degrees(text: &str) -> Option<f64> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).map(crate::model::halfwidth).collect();
    if !text.contains(['°', '度', '′', '\'', '分']) {
        return None;
    }
    let negative = text.contains(['S', 'W']) || text.contains("南緯") || text.contains("西経");
    let numbers: Vec<f64> = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let (degrees, minutes, seconds) = match numbers.as_slice() {
        [d] => (*d, 0.0, 0.0),
        [d, m] => (*d, *m, 0.0),
        [d, m, s] => (*d, *m, *s),
        _ => return None,
    };
    if minutes >= 60.0 || seconds >= 60.0 {
        return None;
    }
    let value = degrees + minutes / 60.0 + seconds / 3600.0;
    Some(if negative { -value } else { value })
}
