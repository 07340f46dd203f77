//! Store benchmarks: bbox queries on 10k and 100k sites, importing the Kawasaki wards and
//! nurseries, and loading a 100k-site store at start-up.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sasaeai::import::{self, AreaOptions, SiteOptions};
use sasaeai::model::{AreaLevel, BBox, SiteKind};
use sasaeai::store::Store;
use std::hint::black_box;
use std::path::PathBuf;

fn shared(relative: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(relative);
    assert!(path.exists(), "benchmarks need {}", path.display());
    path
}

fn store_with_sites(dir: &tempfile::TempDir, n: usize) -> Store {
    let store = Store::open(dir.path().join(format!("{n}.gpkg"))).unwrap();
    store.insert_sites(sasaeai::demo::scattered_sites(n, 42)).unwrap();
    store
}

fn bbox_query(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("bbox_query");
    // A neighbourhood (about 1.8 km square) and a ward-sized box (about 9 km square).
    let boxes = [
        ("1.8km", BBox::new(139.60, 35.54, 139.62, 35.556).unwrap()),
        ("9km", BBox::new(139.55, 35.50, 139.65, 35.58).unwrap()),
    ];
    for n in [10_000, 100_000] {
        let store = store_with_sites(&dir, n);
        for (label, bbox) in &boxes {
            group.bench_with_input(BenchmarkId::new(format!("{n}_sites"), label), bbox, |b, bbox| {
                b.iter(|| black_box(store.read().sites_in(&[], Some(bbox)).len()))
            });
        }
        group.bench_function(BenchmarkId::new(format!("{n}_sites"), "9km_cafes"), |b| {
            b.iter(|| black_box(store.read().sites_in(&[SiteKind::Cafe], Some(&boxes[1].1)).len()))
        });
    }
    group.finish();
}

fn kawasaki_import(c: &mut Criterion) {
    let wards = std::fs::read(shared("kawasaki/wards.geojson")).unwrap();
    let nurseries = std::fs::read(shared("kawasaki/nurseries.geojson")).unwrap();
    let mut group = c.benchmark_group("import");
    group.sample_size(20);
    group.bench_function("kawasaki_wards_and_nurseries", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let store = Store::open(dir.path().join("k.gpkg")).unwrap();
                let areas = import::areas(
                    &wards,
                    &AreaOptions { level: Some(AreaLevel::Ward), ..Default::default() },
                )
                .unwrap();
                store.import_areas(areas).unwrap();
                let options = SiteOptions { kind: Some(SiteKind::Childcare), ..Default::default() };
                store.insert_sites(import::sites(&nurseries, &options).unwrap()).unwrap();
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn startup_load(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("100000.gpkg");
    drop(store_with_sites(&dir, 100_000));
    let mut group = c.benchmark_group("startup");
    group.sample_size(10);
    group.bench_function("open_store_100k_sites", |b| {
        b.iter(|| black_box(Store::open(&path).unwrap().read().counts()))
    });
    group.finish();
}

criterion_group!(benches, bbox_query, kawasaki_import, startup_load);
criterion_main!(benches);
