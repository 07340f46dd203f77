//! Places for rows that name where they are but give no coordinates, and a check on rows whose
//! coordinates are far from every place of the city.
//!
//! A [`Gazetteer`] holds 町丁 / 大字 representative points (the store's 町丁, or a file such as
//! Geolonia's). An address is matched by the longest place name it contains after its prefecture
//! and municipality (`柳井市中央１丁目８番８号` → 中央一丁目; `柳井市南町６－１０－８` → 南町六丁目;
//! `周防大島町大字久賀1102-1` → 大字久賀), names compared as [`super::join::normalise`] writes them,
//! with or without `大字`. The row is placed on that point and marked approximate. Positions are
//! EPSG:4326.

use super::join::{JoinPlace, NameIndex, kanji_number, normalise};
use geo::{BoundingRect, Closest, ClosestPoint, Contains, Distance, Haversine, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// A row farther than this from every known place of the city is suspect (a typo in a
/// coordinate, such as a latitude 0.6° off).
pub const FAR_FROM_CITY_M: f64 = 10_000.0;

/// The last characters of prefecture, county and municipality names.
const MUNICIPAL_SUFFIXES: &str = "都道府県郡市区町村";

/// Named places to put address-only rows on, and the extent of the city they cover.
#[derive(Debug, Default)]
pub struct Gazetteer {
    places: Vec<JoinPlace>,
    names: NameIndex,
    /// The city's areas, by their bounding boxes: a point inside one is in the city.
    areas: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    area_shapes: Vec<MultiPolygon<f64>>,
    /// The places' points.
    points: RTree<GeomWithData<[f64; 2], ()>>,
}

/// Where an address was placed.
#[derive(Debug, Clone, PartialEq)]
pub struct Geocoded {
    /// The place's name as the gazetteer writes it.
    pub place: String,
    pub location: Point<f64>,
}

impl Gazetteer {
    /// A gazetteer of `places` in a city made of `areas` (the store's areas; none when it has none).
    pub fn new(places: Vec<JoinPlace>, areas: Vec<MultiPolygon<f64>>) -> Self {
        let names = NameIndex::new(places.iter().map(|p| p.label.as_str()));
        let points: Vec<_> =
            places.iter().map(|p| GeomWithData::new([p.location.x(), p.location.y()], ())).collect();
        let boxes = areas.iter().enumerate().filter_map(|(i, a)| {
            let r = a.bounding_rect()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                i,
            ))
        });
        Gazetteer {
            places,
            names,
            areas: RTree::bulk_load(boxes.collect()),
            area_shapes: areas,
            points: RTree::bulk_load(points),
        }
    }

    /// Whether it knows any place.
    pub fn is_empty(&self) -> bool {
        self.points.size() == 0 && self.area_shapes.is_empty()
    }

    /// Metres from `p` to the city: 0 inside one of its areas, else to the nearest of its places
    /// and area outlines; `None` when nothing is known.
    pub fn distance_to_city_m(&self, p: Point<f64>) -> Option<f64> {
        let at = AABB::from_point([p.x(), p.y()]);
        if self.areas.locate_in_envelope_intersecting(&at).any(|a| self.area_shapes[a.data].contains(&p)) {
            return Some(0.0);
        }
        let to = |q: Point<f64>| Haversine.distance(p, q);
        let to_place = self.points.nearest_neighbor(&[p.x(), p.y()]).map(|n| to(Point::from(*n.geom())));
        let to_area = self.area_shapes.iter().filter_map(|a| match a.closest_point(&p) {
            Closest::Intersection(q) | Closest::SinglePoint(q) => Some(to(q)),
            Closest::Indeterminate => None,
        });
        to_place.into_iter().chain(to_area).min_by(f64::total_cmp)
    }

    /// The place `address` names: the longest name found after any prefecture or municipality
    /// part, the later one on a tie.
    ///
    /// ```
    /// use sasaeai::import::{geocode::Gazetteer, join::JoinPlace};
    /// let at = |name: &str, x: f64| JoinPlace::new(name, None, None, geo::Point::new(x, 34.0));
    /// let g = Gazetteer::new(vec![at("柳井", 1.0), at("中央一丁目", 2.0), at("南町六丁目", 3.0)], Vec::new());
    /// assert_eq!(g.locate("柳井市中央１丁目８番８号").unwrap().place, "中央一丁目");
    /// assert_eq!(g.locate("柳井市南町６－１０－８").unwrap().place, "南町六丁目");
    /// assert_eq!(g.locate("柳井市柳井１５４７－１").unwrap().place, "柳井");
    /// assert!(g.locate("光市浅江1丁目").is_err());
    /// assert!(g.locate("柳井市どこか町1-2").is_err(), "the city's name is no place");
    /// ```
    pub fn locate(&self, address: &str) -> Result<Geocoded, String> {
        let text: Vec<char> = normalise(address).chars().collect();
        let starts = std::iter::once(0).chain(
            text.iter().enumerate().filter(|(_, c)| MUNICIPAL_SUFFIXES.contains(**c)).map(|(i, _)| i + 1),
        );
        let mut best: Option<(usize, &[usize])> = None;
        for start in starts {
            if let Some((len, hits)) = self.longest_at(&text[start..])
                && best.is_none_or(|(l, _)| len >= l)
            {
                best = Some((len, hits));
            }
        }
        match best.map(|(_, hits)| hits) {
            Some([one]) => {
                let p = &self.places[*one];
                Ok(Geocoded { place: p.label.clone(), location: p.location })
            }
            Some(many) => Err(format!(
                "住所 {address:?} names {} places of the gazetteer ({}); give coordinates",
                many.len(),
                many.iter().map(|&i| self.places[i].label.as_str()).collect::<Vec<_>>().join(", ")
            )),
            None => Err(format!("住所 {address:?} matches no 町丁 or 大字 of the gazetteer")),
        }
    }

    /// The longest name `text` starts with (a name followed by `N-` or `N番` is tried as `N丁目`
    /// first), as its length and its places. No name is longer than the gazetteer's longest, so
    /// the work per address is bounded by that, not by the address.
    fn longest_at(&self, text: &[char]) -> Option<(usize, &[usize])> {
        let found = |key: &str| Some(self.names.normalised(key)).filter(|hits| !hits.is_empty());
        (1..=text.len().min(self.names.longest_chars())).rev().find_map(|end| {
            if text.get(end).is_some_and(|c| MUNICIPAL_SUFFIXES.contains(*c)) {
                return None; // `柳井` of `柳井市` is the municipality, not the 大字 柳井
            }
            let name: String = text[..end].iter().collect();
            let digits: String = text[end..].iter().take(4).take_while(|c| c.is_ascii_digit()).collect();
            let after = text.get(end + digits.len()).copied();
            let chome = (!digits.is_empty() && after.is_none_or(|c| "-－−ｰー‐番".contains(c)))
                .then(|| format!("{name}{}丁目", kanji_number(digits.parse().unwrap_or(0))))
                .and_then(|n| found(&n));
            chome.or_else(|| found(&name)).map(|hits| (end, hits))
        })
    }
}
