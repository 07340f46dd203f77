//! Encoding features into one MVT tile with geozero's writer. Geometry arrives in tile coordinates
//! (see [`crate::shape`]); geozero writes the MoveTo/LineTo/ClosePath commands and zig-zag deltas.

use geo::Geometry;
use geozero::ToMvt;
use geozero::mvt::{Message, TagsBuilder, Tile, TileValue, tile};

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Double(f64),
    Bool(bool),
}

impl From<&Value> for TileValue {
    fn from(v: &Value) -> Self {
        match v {
            Value::Str(s) => TileValue::Str(s.clone()),
            Value::Int(i) => TileValue::Sint(*i),
            Value::Double(d) => TileValue::Double(*d),
            Value::Bool(b) => TileValue::Bool(*b),
        }
    }
}

/// Why a feature could not be encoded.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode a feature of layer {layer}: {reason}")]
pub struct EncodeError {
    pub layer: String,
    pub reason: String,
}

struct LayerBuild {
    name: String,
    features: Vec<tile::Feature>,
    tags: TagsBuilder,
}

/// The layers of one tile, filled feature by feature.
pub struct TileBuilder {
    extent: u32,
    layers: Vec<LayerBuild>,
}

impl TileBuilder {
    pub fn new(extent: u32) -> Self {
        TileBuilder { extent, layers: Vec::new() }
    }

    /// Adds a feature whose geometry is already in tile coordinates.
    pub fn add(
        &mut self,
        layer: &str,
        id: Option<u64>,
        geometry: &Geometry<f64>,
        properties: &[(impl AsRef<str>, Value)],
    ) -> Result<(), EncodeError> {
        let mut feature = geometry
            .to_mvt_unscaled()
            .map_err(|e| EncodeError { layer: layer.to_owned(), reason: e.to_string() })?;
        feature.id = id;
        let index = match self.layers.iter().position(|l| l.name == layer) {
            Some(i) => i,
            None => {
                self.layers.push(LayerBuild {
                    name: layer.to_owned(),
                    features: Vec::new(),
                    tags: TagsBuilder::new(),
                });
                self.layers.len() - 1
            }
        };
        let l = &mut self.layers[index];
        for (key, value) in properties {
            let (k, v) = l.tags.insert_ref(key.as_ref(), value.into());
            feature.tags.extend([k, v]);
        }
        l.features.push(feature);
        Ok(())
    }

    /// The encoded tile (protobuf, not compressed); no bytes when no feature was added (a layer is
    /// written from its first feature). A tile holds nothing but its layers, each a message of its
    /// own, so tiles of one layer each, encoded apart, joined one after another are the tile of all
    /// those layers.
    pub fn encode(self) -> Vec<u8> {
        let layers = self
            .layers
            .into_iter()
            .map(|l| {
                let (keys, values) = l.tags.into_tags();
                tile::Layer {
                    version: 2,
                    name: l.name,
                    features: l.features,
                    keys,
                    values: values.into_iter().map(Into::into).collect(),
                    extent: Some(self.extent),
                }
            })
            .collect();
        Tile { layers }.encode_to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Geometry, Point, line_string};

    #[test]
    fn tiles_of_one_layer_each_joined_are_the_tile_of_all_layers() {
        let point = Geometry::Point(Point::new(10.0, 20.0));
        let line = Geometry::LineString(line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 50.0)]);
        let add = |b: &mut TileBuilder, layer: &str, g: &Geometry<f64>, id: u64| {
            b.add(layer, Some(id), g, &[("name", Value::Str(format!("{layer} {id}"))), ("n", Value::Int(7))])
                .unwrap()
        };
        let mut both = TileBuilder::new(4096);
        add(&mut both, "sites", &point, 1);
        add(&mut both, "sites", &point, 2);
        add(&mut both, "network", &line, 3);
        let (mut sites, mut network) = (TileBuilder::new(4096), TileBuilder::new(4096));
        add(&mut sites, "sites", &point, 1);
        add(&mut sites, "sites", &point, 2);
        add(&mut network, "network", &line, 3);
        assert_eq!([sites.encode(), network.encode()].concat(), both.encode());
    }

    #[test]
    fn a_tile_with_no_feature_is_no_bytes() {
        assert!(TileBuilder::new(4096).encode().is_empty());
    }
}
