//! Moving a store between backends (`sasaeai migrate`): every layer copied in one transaction with
//! its ids (the private store refers to areas and sites by id), then read back from the target and
//! compared with the source, layer by layer, by count and checksum.

use super::backend::{Extent, Layer};
use super::{Index, Store, StoreError};
use crate::model::union_rects;
use geo::BoundingRect;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One layer's count and checksum.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LayerDigest {
    pub layer: &'static str,
    pub count: usize,
    /// SHA-256 over the features in id order: every field, geometry as WKB, properties with sorted keys.
    pub sha256: String,
}

/// What a copy wrote: the target's digests, equal to the source's.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CopyReport {
    pub layers: Vec<LayerDigest>,
}

impl Store {
    /// Copies every layer of this store into `target`, which must be empty, and checks the copy
    /// read back from `target`'s backend equals this store's snapshot.
    pub fn copy_into(&self, target: &Store) -> Result<CopyReport, StoreError> {
        let source = self.read();
        let (areas, sites, population) = target.read().counts();
        if areas + sites + population > 0 || target.read().network().is_some() {
            return Err(StoreError::NotEmpty { store: target.describe() });
        }
        target.write(
            |tx| {
                let areas: Vec<_> = source.areas().cloned().collect();
                tx.copy_areas(&areas)?;
                tx.touch(
                    Layer::Areas,
                    union_rects(areas.iter().filter_map(|a| a.geometry.bounding_rect())),
                    Extent::Replace,
                )?;
                let sites: Vec<_> = source.sites().cloned().collect();
                tx.copy_sites(&sites)?;
                tx.touch(
                    Layer::Sites,
                    union_rects(sites.iter().map(|s| s.data.location.bounding_rect())),
                    Extent::Replace,
                )?;
                let units: Vec<_> = source.population().cloned().collect();
                tx.copy_population(&units)?;
                tx.touch(
                    Layer::Population,
                    union_rects(units.iter().map(|p| p.data.location.bounding_rect())),
                    Extent::Replace,
                )?;
                if let Some(graph) = source.network() {
                    tx.replace_network(graph)?;
                    let rect =
                        union_rects(graph.edges().iter().filter_map(|e| e.data.geometry.bounding_rect()));
                    tx.touch(Layer::Network, rect, Extent::Replace)?;
                }
                super::backend::write_dataset(tx, source.dataset())
            },
            |_, ()| (),
        )?;
        let _writes = target.writer.lock();
        let written = super::load_index(&*target.backend)?;
        let (want, got) = (digests(&source), digests(&written));
        if let Some((w, g)) = want.iter().zip(&got).find(|(w, g)| w != g) {
            return Err(StoreError::CopyDiffers {
                layer: w.layer,
                source_sha256: w.sha256.clone(),
                target_sha256: g.sha256.clone(),
            });
        }
        target.index.store(std::sync::Arc::new(written));
        Ok(CopyReport { layers: got })
    }
}

/// Count and checksum of every layer of `index`.
pub fn digests(index: &Index) -> Vec<LayerDigest> {
    let digest = |layer: &'static str, items: Vec<Vec<u8>>| {
        let mut hash = Sha256::new();
        for item in &items {
            hash.update((item.len() as u64).to_le_bytes());
            hash.update(item);
        }
        LayerDigest { layer, count: items.len(), sha256: format!("{:x}", hash.finalize()) }
    };
    let wkb = |g: geo::Geometry<f64>| super::geometry::to_wkb(&g);
    let areas = index
        .areas()
        .map(|a| {
            let fields =
                (a.id, &a.name, a.level.as_str(), &a.code, a.parent, a.parent_derived, sorted(&a.properties));
            [serde_json::to_vec(&fields).expect("serialises"), wkb(a.geometry.clone().into())].concat()
        })
        .collect();
    let sites = index
        .sites()
        .map(|s| {
            let d = &s.data;
            let audience: Vec<&str> = d.audience.iter().map(|a| a.as_str()).collect();
            let fields = (
                s.id,
                &d.name,
                d.kind.as_str(),
                &d.address,
                &d.schedule,
                audience,
                &d.operator,
                sorted(&d.properties),
            );
            [serde_json::to_vec(&fields).expect("serialises"), wkb(d.location.into())].concat()
        })
        .collect();
    let population = index
        .population()
        .map(|p| {
            let d = &p.data;
            let fields =
                (p.id, &d.name, d.total, d.aged65, d.aged75, &d.source, d.year, sorted(&d.properties));
            [serde_json::to_vec(&fields).expect("serialises"), wkb(d.location.into())].concat()
        })
        .collect();
    let network = index
        .network()
        .map(|g| {
            g.edges()
                .iter()
                .map(|e| {
                    let d = &e.data;
                    let fields = (d.a, d.b, d.steps, &d.highway, d.way_id);
                    [serde_json::to_vec(&fields).expect("serialises"), wkb(d.geometry.clone().into())]
                        .concat()
                })
                .collect()
        })
        .unwrap_or_default();
    let dataset = vec![serde_json::to_vec(index.dataset()).expect("serialises")];
    vec![
        digest("areas", areas),
        digest("sites", sites),
        digest("population", population),
        digest("network", network),
        digest("dataset", dataset),
    ]
}

/// `properties` with keys sorted at every depth (a backend may keep or change their order).
fn sorted(properties: &crate::model::Properties) -> Value {
    fn walk(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), walk(&map[k]))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(walk).collect()),
            other => other.clone(),
        }
    }
    walk(&Value::Object(properties.clone()))
}
