//! Analysis benchmarks on a Kawasaki-sized input laid over the Heidelberg street network: 7 wards,
//! 44 districts, 2,000 population points and 500 sites (cafés, 縁側, 通いの場).

use criterion::{Criterion, criterion_group, criterion_main};
use geo::{Coord, Rect};
use sasaeai::analysis::SuggestQuestion;
use sasaeai::analysis::{self, CoverageCache, CoverageKey, PLACES_TO_GO};
use sasaeai::deadline::Deadline;
use sasaeai::model::{AreaData, AreaLevel, ParentRef, PopulationData, SiteData, SiteKind};
use sasaeai::network::{NetworkSettings, read_file};
use sasaeai::store::Store;
use std::hint::black_box;
use std::path::PathBuf;

const WEST: f64 = 8.62;
const SOUTH: f64 = 49.37;
const COL: f64 = 0.012; // 11 columns ≈ 9.6 km
const ROW: f64 = 0.016; // 4 rows ≈ 7.1 km

fn rect_area(name: String, level: AreaLevel, c0: usize, c1: usize, r0: usize, r1: usize) -> AreaData {
    let rect = Rect::new(
        Coord { x: WEST + c0 as f64 * COL, y: SOUTH + r0 as f64 * ROW },
        Coord { x: WEST + c1 as f64 * COL, y: SOUTH + r1 as f64 * ROW },
    );
    AreaData {
        name,
        level,
        code: None,
        parent: ParentRef::Derive,
        geometry: geo::MultiPolygon(vec![rect.to_polygon()]),
        properties: Default::default(),
    }
}

fn kawasaki_sized() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("bench.gpkg")).unwrap();
    let pbf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/osm/heidelberg.osm.pbf");
    let (nodes, edges) = read_file(&std::fs::read(&pbf).expect("benchmarks need ../shared/data")).unwrap();
    store.replace_network(nodes, edges, sasaeai::store::Replace::Always).unwrap();
    let ward_of = |c: usize| c * 7 / 11;
    let mut areas: Vec<AreaData> = (0..7)
        .map(|w| {
            let cols: Vec<usize> = (0..11).filter(|c| ward_of(*c) == w).collect();
            rect_area(format!("区{w}"), AreaLevel::Ward, cols[0], cols[cols.len() - 1] + 1, 0, 4)
        })
        .collect();
    areas.extend(
        (0..44).map(|d| {
            rect_area(format!("地区{d}"), AreaLevel::District, d % 11, d % 11 + 1, d / 11, d / 11 + 1)
        }),
    );
    store.import_areas(areas).unwrap();
    let index = store.read();
    let graph = index.network().unwrap().clone();
    drop(index);
    let inside: Vec<Coord<f64>> = graph
        .nodes()
        .iter()
        .filter(|c| (WEST..WEST + 11.0 * COL).contains(&c.x) && (SOUTH..SOUTH + 4.0 * ROW).contains(&c.y))
        .copied()
        .collect();
    let at = |i: usize, salt: usize| {
        let c = inside[(i * 7919 + salt * 104_729) % inside.len()];
        geo::Point::new(c.x + 0.0003, c.y + 0.0002)
    };
    store
        .insert_sites((0..500).map(|i| SiteData {
            name: format!("site {i}"),
            kind: PLACES_TO_GO[i % 3],
            location: at(i, 1),
            address: None,
            schedule: None,
            audience: vec![],
            operator: None,
            properties: Default::default(),
        }))
        .unwrap();
    store
        .insert_population((0..2000).map(|i| PopulationData {
            name: None,
            location: at(i, 2),
            total: 700 + (i % 300) as u32,
            aged65: 150 + (i % 120) as u32,
            aged75: 70 + (i % 60) as u32,
            source: None,
            year: None,
            properties: Default::default(),
        }))
        .unwrap();
    (dir, store)
}

fn benches(c: &mut Criterion) {
    let (_dir, store) = kawasaki_sized();
    let settings = NetworkSettings::default();
    let key = CoverageKey::new(PLACES_TO_GO.to_vec(), 15.0, "elderly");
    let index = store.read();
    let mut group = c.benchmark_group("analysis_kawasaki_sized");
    group.sample_size(20);
    group.bench_function("coverage_all_levels_computed", |b| {
        b.iter(|| black_box(analysis::compute(&index, &settings, &key).unwrap().city.covered65))
    });
    let cache = CoverageCache::default();
    cache.get(&index, &settings, &key).unwrap();
    group.bench_function("coverage_all_levels_cached", |b| {
        b.iter(|| black_box(cache.get(&index, &settings, &key).unwrap().city.covered65))
    });
    let coverage = cache.get(&index, &settings, &key).unwrap();
    group.sample_size(10);
    group.bench_function("gaps_all_44_districts", |b| {
        b.iter(|| {
            black_box(
                analysis::gaps(&index, &settings, &coverage, AreaLevel::District, &Deadline::NONE)
                    .unwrap()
                    .len(),
            )
        })
    });
    group.bench_function("suggest_cafe_count_5", |b| {
        b.iter(|| {
            black_box(
                analysis::suggest(
                    &index,
                    &settings,
                    SuggestQuestion {
                        kind: SiteKind::Cafe,
                        count: 5,
                        minutes: 15.0,
                        profile: "elderly".into(),
                        posted: None,
                        grid_m: 250.0,
                        level: AreaLevel::District,
                    },
                    &Deadline::NONE,
                )
                .unwrap()
                .covered65_after,
            )
        })
    });
    group.finish();
}

criterion_group!(analysis_benches, benches);
criterion_main!(analysis_benches);
