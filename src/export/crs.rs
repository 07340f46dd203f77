//! The coordinate systems features may be written in besides GeoJSON's own (OGC API – Features
//! Part 2, CRS by reference).

use serde_json::Value;

/// The coordinate system features are written in, named as OGC API – Features Part 2 names them.
///
/// GeoJSON's own order is longitude, latitude on WGS 84 (CRS84). EPSG:4326 is the same datum with
/// latitude first, and JGD2011 (EPSG:6668, the datum of Japan's maps and plans) agrees with WGS 84
/// to a few centimetres (both are realised on ITRF), well within what the data says of any place:
/// writing in either is putting latitude first, nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputCrs {
    /// WGS 84, longitude then latitude: GeoJSON's and the API's own.
    #[default]
    Crs84,
    /// WGS 84, latitude then longitude.
    Epsg4326,
    /// JGD2011, latitude then longitude.
    Jgd2011,
}

impl OutputCrs {
    /// Every one, in the order clients are offered them.
    pub const ALL: [OutputCrs; 3] = [OutputCrs::Crs84, OutputCrs::Epsg4326, OutputCrs::Jgd2011];

    /// Its URI in the OGC definitions server.
    pub fn uri(self) -> &'static str {
        match self {
            OutputCrs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            OutputCrs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            OutputCrs::Jgd2011 => "http://www.opengis.net/def/crs/EPSG/0/6668",
        }
    }

    /// The one a URI (or its safe CURIE, `[EPSG:6668]`) names.
    pub fn from_uri(uri: &str) -> Option<OutputCrs> {
        let uri = uri.trim();
        let curie = uri.strip_prefix('[').and_then(|u| u.strip_suffix(']'));
        OutputCrs::ALL.into_iter().find(|crs| match curie {
            Some(c) => crs.curie() == c,
            None => crs.uri() == uri,
        })
    }

    fn curie(self) -> &'static str {
        match self {
            OutputCrs::Crs84 => "OGC:CRS84",
            OutputCrs::Epsg4326 => "EPSG:4326",
            OutputCrs::Jgd2011 => "EPSG:6668",
        }
    }

    /// Whether positions are written latitude first.
    pub fn lat_lon(self) -> bool {
        self != OutputCrs::Crs84
    }

    /// `feature` (a GeoJSON Feature written lon/lat) in this system's axis order.
    pub fn orient(self, feature: &mut Value) {
        if !self.lat_lon() {
            return;
        }
        // `get_mut`, not indexing: indexing would turn a null geometry into an object.
        if let Some(coordinates) = feature.get_mut("geometry").and_then(|g| g.get_mut("coordinates")) {
            swap_positions(coordinates);
        }
    }
}

/// Swaps the first two numbers of every position in nested coordinate arrays.
fn swap_positions(coordinates: &mut Value) {
    let Value::Array(items) = coordinates else { return };
    if items.first().is_some_and(Value::is_number) {
        if items.len() >= 2 {
            items.swap(0, 1);
        }
    } else {
        items.iter_mut().for_each(swap_positions);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn latitude_first_systems_swap_every_position_and_nothing_else() {
        let mut f = json!({ "type": "Feature", "properties": { "lon": 131.2 },
            "geometry": { "type": "MultiPolygon", "coordinates": [[[[131.2, 34.0], [131.3, 34.0], [131.3, 34.1], [131.2, 34.0]]]] } });
        OutputCrs::Crs84.orient(&mut f);
        assert_eq!(f["geometry"]["coordinates"][0][0][1], json!([131.3, 34.0]));
        OutputCrs::Jgd2011.orient(&mut f);
        assert_eq!(f["geometry"]["coordinates"][0][0][1], json!([34.0, 131.3]));
        assert_eq!(f["properties"]["lon"], json!(131.2));
        let mut point = json!({ "geometry": { "type": "Point", "coordinates": [131.2, 34.0] } });
        OutputCrs::Epsg4326.orient(&mut point);
        assert_eq!(point["geometry"]["coordinates"], json!([34.0, 131.2]));
        let mut none = json!({ "geometry": null });
        OutputCrs::Epsg4326.orient(&mut none);
        assert_eq!(none["geometry"], Value::Null);
    }

    #[test]
    fn systems_are_known_by_uri_or_safe_curie_only() {
        for crs in OutputCrs::ALL {
            assert_eq!(OutputCrs::from_uri(crs.uri()), Some(crs));
        }
        assert_eq!(OutputCrs::from_uri("[EPSG:6668]"), Some(OutputCrs::Jgd2011));
        assert_eq!(OutputCrs::from_uri("EPSG:6668"), None);
        assert_eq!(OutputCrs::from_uri("http://www.opengis.net/def/crs/EPSG/0/6677"), None);
    }
}
