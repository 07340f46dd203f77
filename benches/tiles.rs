//! Tile benchmarks: rendering and encoding vector tiles of the demo town (every layer) and of the
//! Kawasaki wards and nurseries (the `base` set).

use criterion::{Criterion, criterion_group, criterion_main};
use sasaeai::analysis::{CoverageCache, CoverageKey};
use sasaeai::deadline::Deadline;
use sasaeai::maptiles::{Derived, MapAnalysis, render, resolve};
use sasaeai::network::NetworkSettings;
use sasaeai::store::Store;
use sasaeai_tiles::TileId;
use std::hint::black_box;
use std::path::Path;

fn demo() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    for name in sasaeai::demo::FILES {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata").join(name),
            dir.path().join(name),
        )
        .unwrap();
    }
    let store = Store::open(sasaeai::demo::ensure_store(dir.path()).unwrap()).unwrap();
    (dir, store)
}

fn kawasaki() -> (tempfile::TempDir, Store) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/kawasaki");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("k.gpkg")).unwrap();
    let level =
        sasaeai::import::AreaOptions { level: Some(sasaeai::model::AreaLevel::Ward), ..Default::default() };
    let wards = std::fs::read(data.join("wards.geojson")).expect("benchmarks need ../shared/data");
    store.import_areas(sasaeai::import::areas(&wards, &level).unwrap()).unwrap();
    let kind = sasaeai::import::SiteOptions {
        kind: Some(sasaeai::model::SiteKind::Childcare),
        ..Default::default()
    };
    store
        .insert_sites(
            sasaeai::import::sites(&std::fs::read(data.join("nurseries.geojson")).unwrap(), &kind).unwrap(),
        )
        .unwrap();
    (dir, store)
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("tiles");
    let (_d, store) = demo();
    let index = store.read();
    let map = MapAnalysis::compute(
        &index,
        &NetworkSettings::default(),
        &CoverageCache::default(),
        &CoverageKey::usual(),
        &Deadline::NONE,
    )
    .unwrap();
    let all = resolve("all").unwrap().layers;
    for z in [12u8, 14, 16] {
        let t = TileId::containing(140.045, 34.637, z);
        group.bench_function(format!("demo_all_layers_z{z}"), |b| {
            b.iter(|| black_box(render(&index, Derived { map: map.as_ref(), support: None }, &all, t).len()))
        });
    }
    let (_k, kstore) = kawasaki();
    let kindex = kstore.read();
    let base = resolve("base").unwrap().layers;
    for z in [10u8, 12, 14] {
        let t = TileId::containing(139.65, 35.57, z);
        group.bench_function(format!("kawasaki_base_z{z}"), |b| {
            b.iter(|| black_box(render(&kindex, Derived::default(), &base, t).len()))
        });
    }
    group.finish();
}

criterion_group!(tile_benches, benches);
criterion_main!(tile_benches);
