//! Places for rows that name where they are but give no coordinates, and a check on rows whose
//! coordinates are far from every place of the city.
//!
//! A [`Gazetteer`] holds 町丁 / 大字 representative points (the store's 町丁, or a file such as
//! Geolonia's). An address is matched by the longest place name it contains after its prefecture
//! and municipality (`柳井市中央１丁目８番８号` → 中央一丁目; `柳井市南町６－１０－８` → 南町六丁目;
//! `周防大島町大字久賀1102-1` → 大字久賀), names compared as [`super::join::normalise`] writes them,
//! with or without `大字`. The row is placed on that point and marked approximate. Positions are
//! EPSG:4326.

use super::join::{JoinPlace, kanji_number, normalise};
use geo::{Distance, Haversine, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::collections::HashMap;

/// A row farther than this from every known place of the city is suspect (a typo in a
/// coordinate, such as a latitude 0.6° off).
pub const FAR_FROM_CITY_M: f64 = 10_000.0;

/// The last characters of prefecture, county and municipality names.
const MUNICIPAL_SUFFIXES: &str = "都道府県郡市区町村";

/// Named places to put address-only rows on, and the extent of the city they cover.
#[derive(Debug, Default)]
pub struct Gazetteer {
    places: Vec<JoinPlace>,
    by_name: HashMap<String, Vec<usize>>,
    extent: RTree<GeomWithData<[f64; 2], ()>>,
}

/// Where an address was placed.
#[derive(Debug, Clone, PartialEq)]
pub struct Geocoded {
    /// The place's name as the gazetteer writes it.
    pub place: String,
    pub location: Point<f64>,
}

/// The name a place is also known by without its `大字` (or `字`) prefix.
fn without_oaza(name: &str) -> Option<&str> {
    name.strip_prefix("大字").or_else(|| name.strip_prefix('字')).filter(|n| !n.is_empty())
}

impl Gazetteer {
    /// A gazetteer of `places`, whose points (and `extra` points, such as the vertices of the
    /// store's areas) also make the city's extent.
    pub fn new(places: Vec<JoinPlace>, extra: impl IntoIterator<Item = Point<f64>>) -> Self {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in places.iter().enumerate() {
            let name = normalise(&p.label);
            let short = without_oaza(&name).map(str::to_owned);
            for key in std::iter::once(name).chain(short) {
                let hits = by_name.entry(key).or_default();
                if !hits.contains(&i) {
                    hits.push(i);
                }
            }
        }
        let points = places.iter().map(|p| p.location).chain(extra);
        let extent = RTree::bulk_load(points.map(|p| GeomWithData::new([p.x(), p.y()], ())).collect());
        Gazetteer { places, by_name, extent }
    }

    /// Whether it knows any place.
    pub fn is_empty(&self) -> bool {
        self.extent.size() == 0
    }

    /// Metres from `p` to the nearest known point of the city, when any is known.
    pub fn distance_to_city_m(&self, p: Point<f64>) -> Option<f64> {
        let nearest = self.extent.nearest_neighbor(&[p.x(), p.y()])?;
        let [x, y] = *nearest.geom();
        Some(Haversine.distance(p, Point::new(x, y)))
    }

    /// The place `address` names: the longest name found after any prefecture or municipality
    /// part, the later one on a tie.
    ///
    /// ```
    /// use sasaeai::import::{geocode::Gazetteer, join::JoinPlace};
    /// let at = |name: &str, x: f64| JoinPlace::new(name, None, None, geo::Point::new(x, 34.0));
    /// let g = Gazetteer::new(vec![at("柳井", 1.0), at("中央一丁目", 2.0), at("南町六丁目", 3.0)], []);
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
        let mut best: Option<(usize, &Vec<usize>)> = None;
        for start in starts {
            if let Some((len, hits)) = self.longest_at(&text[start..])
                && best.is_none_or(|(l, _)| len >= l)
            {
                best = Some((len, hits));
            }
        }
        match best.map(|(_, hits)| hits.as_slice()) {
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
    /// first), as its length and its places.
    fn longest_at(&self, text: &[char]) -> Option<(usize, &Vec<usize>)> {
        (1..=text.len()).rev().find_map(|end| {
            if text.get(end).is_some_and(|c| MUNICIPAL_SUFFIXES.contains(*c)) {
                return None; // `柳井` of `柳井市` is the municipality, not the 大字 柳井
            }
            let name: String = text[..end].iter().collect();
            let digits: String = text[end..].iter().take_while(|c| c.is_ascii_digit()).collect();
            let after = text.get(end + digits.len()).copied();
            let chome = (!digits.is_empty() && after.is_none_or(|c| "-－−ｰー‐番".contains(c)))
                .then(|| format!("{name}{}丁目", kanji_number(digits.parse().unwrap_or(0))))
                .and_then(|n| self.by_name.get(&n));
            chome.or_else(|| self.by_name.get(&name)).map(|hits| (end, hits))
        })
    }
}
