//! The PostgreSQL backend at city scale: opening a Kawasaki-sized store (7 wards, 44 districts,
//! 1,000 sites, 10,000 population points, the generated 250,000-edge city's network) from
//! PostgreSQL and from a GeoPackage, and the time from a write on one instance until another
//! instance's snapshot holds it; and what a signed-in request costs in the private store (its session looked up and
//! touched) in a SQLite file and in PostgreSQL. PostgreSQL is a throwaway cluster of the
//! benchmark's own, as in the tests.

#[path = "../tests/common/postgres.rs"]
#[allow(dead_code)]
mod pg;

use criterion::{Criterion, criterion_group, criterion_main};
use geo::{MultiPolygon, Point, Rect};
use sasaeai::import::{self, AreaOptions};
use sasaeai::model::{AreaData, AreaLevel, ParentRef, PopulationData};
use sasaeai::private::postgres::PgPrivate;
use sasaeai::private::{AuditEntry, PrivateStore, Role};
use sasaeai::store::{Location, Replace, Store, Tenant};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Kawasaki's extent (lon/lat).
const WEST: f64 = 139.47;
const SOUTH: f64 = 35.47;
const EAST: f64 = 139.80;
const NORTH: f64 = 35.64;

fn shared(relative: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(relative);
    assert!(path.exists(), "benchmarks need {}", path.display());
    path
}

/// A fixed pseudo-random sequence in [0, 1).
fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 44 districts: an 11 × 4 grid over the city, parents derived from the wards.
fn districts() -> Vec<AreaData> {
    let (dx, dy) = ((EAST - WEST) / 11.0, (NORTH - SOUTH) / 4.0);
    (0..44)
        .map(|i| {
            let (x, y) = (WEST + (i % 11) as f64 * dx, SOUTH + (i / 11) as f64 * dy);
            AreaData {
                name: format!("地区{i}"),
                level: AreaLevel::District,
                code: None,
                parent: ParentRef::Derive,
                geometry: MultiPolygon(vec![Rect::new((x, y), (x + dx, y + dy)).to_polygon()]),
                properties: Default::default(),
            }
        })
        .collect()
}

fn population(n: usize) -> Vec<PopulationData> {
    let mut next = uniform(11);
    (0..n)
        .map(|i| {
            let total = 100 + (next() * 500.0) as u32;
            PopulationData {
                name: Some(format!("点{i}")),
                location: Point::new(WEST + next() * (EAST - WEST), SOUTH + next() * (NORTH - SOUTH)),
                total,
                aged65: total / 4,
                aged75: total / 8,
                source: Some("bench".into()),
                year: Some(2020),
                properties: Default::default(),
            }
        })
        .collect()
}

/// The Kawasaki-sized GeoPackage, written once.
fn kawasaki_sized(path: &Path) {
    let store = Store::open(path).unwrap();
    let wards = std::fs::read(shared("kawasaki/wards.geojson")).unwrap();
    let options = AreaOptions { level: Some(AreaLevel::Ward), ..Default::default() };
    store.import_areas(import::areas(&wards, &options).unwrap()).unwrap();
    store.import_areas(districts()).unwrap();
    store.insert_sites(sasaeai::demo::scattered_sites(1_000, 42)).unwrap();
    store.insert_population(population(10_000)).unwrap();
    let city = sasaeai::demo::city(250_000, 1);
    store.replace_network(city.nodes, city.edges, Replace::Always).unwrap();
}

fn shared_store(c: &mut Criterion) {
    let cluster = pg::cluster().expect("benchmarks need PostgreSQL with PostGIS");
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("kawasaki-sized.gpkg");
    kawasaki_sized(&gpkg);
    let file = Store::open(&gpkg).unwrap();
    let edges = file.read().network().unwrap().edges().len();
    eprintln!("Kawasaki-sized store: {:?} areas/sites/population, {edges} edges", file.read().counts());
    let postgres = Location::parse(&cluster.database(), Some("141305")).unwrap();
    let started = Instant::now();
    file.copy_into(&Store::open_at(&postgres).unwrap()).unwrap();
    eprintln!("copied into PostgreSQL in {:.2} s", started.elapsed().as_secs_f64());

    let mut group = c.benchmark_group("startup_kawasaki_sized");
    group.sample_size(10);
    group.bench_function("geopackage", |b| b.iter(|| black_box(Store::open(&gpkg).unwrap().read().counts())));
    group.bench_function("postgres", |b| {
        b.iter(|| black_box(Store::open_at(&postgres).unwrap().read().counts()))
    });
    group.finish();

    // Two instances of one town: a site written through A, until B's snapshot holds it.
    let a = Store::open_at(&postgres).unwrap();
    let b = Arc::new(Store::open_at(&postgres).unwrap());
    b.follow().unwrap();
    let mut group = c.benchmark_group("two_instances");
    group.sample_size(50);
    group.bench_function("write_on_a_until_b_has_it", |bench| {
        bench.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for i in 0..iterations {
                let site = sasaeai::demo::scattered_sites(1, i).remove(0);
                let started = Instant::now();
                let id = a.insert_sites([site]).unwrap()[0];
                while b.read().site(id).is_none() {
                    std::hint::spin_loop();
                }
                total += started.elapsed();
            }
            total
        })
    });
    group.finish();
}

/// What each signed-in request asks of the private store: its session (with the account) looked up
/// by the cookie's hash. (Marking it as seen, a write, happens at most once a minute per session.)
fn signed_in_request(c: &mut Criterion) {
    let cluster = pg::cluster().expect("benchmarks need PostgreSQL with PostGIS");
    let dir = tempfile::tempdir().unwrap();
    let url = cluster.database();
    let stores = [
        ("sqlite", PrivateStore::open(&dir.path().join("town.private.sqlite")).unwrap()),
        (
            "postgres",
            PrivateStore::over(Box::new(PgPrivate::connect(&url, Tenant::new("141305").unwrap()).unwrap())),
        ),
    ];
    let mut group = c.benchmark_group("signed_in_request");
    for (name, store) in &stores {
        let audit = AuditEntry::new("bench", "session.start", None, Vec::new(), None);
        let user = store.add_user("sato", Role::Resident, &[], "h", &audit).unwrap();
        store.add_session(user.id, &[5; 32], "csrf", 0, &audit).unwrap();
        group.bench_function(*name, |b| {
            b.iter(|| black_box(store.session(black_box(&[5; 32])).unwrap().unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, shared_store, signed_in_request);
criterion_main!(benches);
