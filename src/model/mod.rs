//! The domain model: the areas care teams work "by", the places that matter to older residents, and
//! where people live. Everything here is in WGS84 longitude/latitude (EPSG:4326).

mod area;
pub mod calendar;
mod coord;
mod ids;
pub mod indicators;
pub mod kind_table;
pub mod limits;
mod population;
mod site;
pub mod support;

pub use area::{Area, AreaData, AreaLevel, ParentRef};
pub use coord::{CoordError, check_lon_lat};
pub use ids::{AreaId, PopulationId, SiteId};
pub use population::{PopulationCountError, PopulationData, PopulationUnit};
pub use site::{Audience, CLOSED_KEY, OPENED_KEY, Site, SiteData, SiteKind};

/// Free-form feature properties, kept in the order they were given.
pub type Properties = serde_json::Map<String, serde_json::Value>;

/// A lon/lat bounding box (EPSG:4326), as used by `bbox=` query parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

/// Why a `bbox` could not be accepted.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BBoxError {
    /// It is not four comma-separated numbers.
    #[error("bbox must be four comma-separated numbers minLon,minLat,maxLon,maxLat; got {0:?}")]
    Syntax(String),
    /// A corner is not a valid lon/lat coordinate.
    #[error("bbox corner: {0}")]
    Corner(#[from] CoordError),
    /// Minimum exceeds maximum on one axis.
    #[error("bbox minimum exceeds maximum ({axis}: {min} > {max})")]
    Inverted { axis: &'static str, min: f64, max: f64 },
}

impl BBox {
    /// Parses `minLon,minLat,maxLon,maxLat`.
    ///
    /// ```
    /// use sasaeai::model::BBox;
    /// let b: BBox = "139.6,35.5,139.7,35.6".parse().unwrap();
    /// assert_eq!(b.max_lat, 35.6);
    /// assert!("139.7,35.5,139.6,35.6".parse::<BBox>().is_err());
    /// ```
    pub fn new(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Result<Self, BBoxError> {
        check_lon_lat(min_lon, min_lat)?;
        check_lon_lat(max_lon, max_lat)?;
        if min_lon > max_lon {
            return Err(BBoxError::Inverted { axis: "longitude", min: min_lon, max: max_lon });
        }
        if min_lat > max_lat {
            return Err(BBoxError::Inverted { axis: "latitude", min: min_lat, max: max_lat });
        }
        Ok(Self { min_lon, min_lat, max_lon, max_lat })
    }

    /// The box reaching `metres` from `p` in every direction (an equirectangular approximation,
    /// close enough for the few kilometres of a walk).
    ///
    /// ```
    /// use sasaeai::model::BBox;
    /// let b = BBox::around(geo::point!(x: 139.7, y: 35.6), 1000.0);
    /// assert!((b.max_lat - 35.6 - 1000.0 / 111_320.0).abs() < 1e-9);
    /// assert!(b.max_lon - 139.7 > b.max_lat - 35.6, "a degree of longitude is shorter");
    /// ```
    pub fn around(p: geo::Point<f64>, metres: f64) -> BBox {
        let dlat = metres / 111_320.0;
        let dlon = metres / (111_320.0 * p.y().to_radians().cos());
        BBox { min_lon: p.x() - dlon, min_lat: p.y() - dlat, max_lon: p.x() + dlon, max_lat: p.y() + dlat }
    }

    /// `self` grown by `metres` on every side (equirectangular, as [`BBox::around`]).
    pub fn grown(&self, metres: f64) -> BBox {
        let low = BBox::around(geo::point!(x: self.min_lon, y: self.min_lat), metres);
        let high = BBox::around(geo::point!(x: self.max_lon, y: self.max_lat), metres);
        BBox { min_lon: low.min_lon, min_lat: low.min_lat, max_lon: high.max_lon, max_lat: high.max_lat }
    }

    /// The box of a lon/lat rectangle.
    pub fn of_rect(r: &geo::Rect<f64>) -> BBox {
        BBox { min_lon: r.min().x, min_lat: r.min().y, max_lon: r.max().x, max_lat: r.max().y }
    }

    /// The box as an R-tree envelope.
    pub fn envelope(&self) -> rstar::AABB<geo::Point<f64>> {
        rstar::AABB::from_corners(
            geo::Point::new(self.min_lon, self.min_lat),
            geo::Point::new(self.max_lon, self.max_lat),
        )
    }

    /// The box as a polygon, for exact intersection tests.
    pub fn to_rect(&self) -> geo::Rect<f64> {
        geo::Rect::new(
            geo::coord! { x: self.min_lon, y: self.min_lat },
            geo::coord! { x: self.max_lon, y: self.max_lat },
        )
    }

    /// Whether the point lies inside or on the edge of the box.
    pub fn contains(&self, p: geo::Point<f64>) -> bool {
        (self.min_lon..=self.max_lon).contains(&p.x()) && (self.min_lat..=self.max_lat).contains(&p.y())
    }
}

/// A full-width ASCII character (`！` … `～`, as typed in Japanese spreadsheets: `１２`, `（`, `－`,
/// `Ｒ`) as its half-width form; any other character unchanged.
///
/// ```
/// use sasaeai::model::halfwidth;
/// assert_eq!("３４．５（Ｒ５）".chars().map(halfwidth).collect::<String>(), "34.5(R5)");
/// ```
pub fn halfwidth(c: char) -> char {
    match c {
        '！'..='～' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        c => c,
    }
}

/// The smallest rectangle holding all of `rects`, or `None` when there are none.
///
/// ```
/// use sasaeai::model::union_rects;
/// let r = union_rects([geo::Rect::new((0., 0.), (1., 1.)), geo::Rect::new((2., -1.), (3., 0.))]).unwrap();
/// assert_eq!((r.min().x, r.min().y, r.max().x, r.max().y), (0., -1., 3., 1.));
/// ```
pub fn union_rects(rects: impl IntoIterator<Item = geo::Rect<f64>>) -> Option<geo::Rect<f64>> {
    rects.into_iter().reduce(|a, b| {
        geo::Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    })
}

impl std::str::FromStr for BBox {
    type Err = BBoxError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| BBoxError::Syntax(s.to_owned()))?;
        match parts[..] {
            [a, b, c, d] => BBox::new(a, b, c, d),
            _ => Err(BBoxError::Syntax(s.to_owned())),
        }
    }
}
