//! Support-map benchmarks on the demo town: the overlays of 200 residents' groups of about 50
//! households each (20 people of concern, 8 helpers, 16 links, 3 places and 3 troubles per group:
//! 10,000 features), one group's private map as its member reads it (with the audit row it writes),
//! and what a sign-in costs (Argon2id with the crate's default parameters).

use criterion::{Criterion, criterion_group, criterion_main};
use geo::InteriorPoint;
use sasaeai::analysis::overlays::overlays;
use sasaeai::app::{Account, App, AppOptions, GroupArea, Principal, features_geojson, hash_password};
use sasaeai::model::AreaLevel;
use sasaeai::model::support::{
    FeatureType, HELPER_TAGS, LINK_KINDS, NOTE_CATEGORIES, PERSON_TAGS, PLACE_TAGS,
};
use sasaeai::network::NetworkSettings;
use sasaeai::private::{FeatureInput, PrivateStore, Role};
use sasaeai::store::Store;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const GROUPS: usize = 200;
const PASSWORD: &str = "a benchmark password";

/// The demo store in a temporary folder.
fn demo_store() -> (tempfile::TempDir, Arc<Store>, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    sasaeai::demo::write_files(dir.path()).unwrap();
    let path = sasaeai::demo::ensure_store(dir.path()).unwrap();
    let store = Arc::new(Store::open(&path).unwrap());
    (dir, store, path)
}

fn resident(app: &App, name: &str) -> Principal {
    let user = app.add_user(&Principal::operator(), name, Role::Resident, &[], PASSWORD).unwrap();
    Principal::account(Account::from(user), None)
}

/// A deterministic sequence for placing and tagging features.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.next() as usize % list.len()]
    }
}

fn point(ftype: FeatureType, at: (f64, f64), tags: Vec<&str>) -> FeatureInput {
    FeatureInput {
        ftype,
        lon_lat: Some(at),
        label: "A".into(),
        tags: tags.into_iter().map(String::from).collect(),
        note: "メモ".into(),
        ends: None,
    }
}

/// Draws one group's map of about 50 households around `centre` (lon/lat).
fn draw_group(app: &App, who: &Principal, group: i64, centre: (f64, f64), rng: &mut Lcg) {
    let near = |rng: &mut Lcg| {
        let jitter = |r: u64| (r % 300) as f64 * 1e-5 - 1.5e-3;
        (centre.0 + jitter(rng.next()), centre.1 + jitter(rng.next()))
    };
    let add = |input: FeatureInput| app.add_feature(who, group, input).unwrap().id;
    let persons: Vec<i64> = (0..20)
        .map(|_| {
            add(point(FeatureType::Person, near(rng), vec![rng.pick(PERSON_TAGS), rng.pick(PERSON_TAGS)]))
        })
        .collect();
    let helpers: Vec<i64> =
        (0..8).map(|_| add(point(FeatureType::Helper, near(rng), vec![rng.pick(HELPER_TAGS)]))).collect();
    for i in 0..16 {
        let ends = Some((helpers[i % helpers.len()], persons[rng.next() as usize % persons.len()]));
        let kind = rng.pick(LINK_KINDS);
        add(FeatureInput {
            ftype: FeatureType::Link,
            lon_lat: None,
            tags: vec![kind.into()],
            ends,
            ..point(FeatureType::Link, (0.0, 0.0), vec![])
        });
    }
    for _ in 0..3 {
        add(point(FeatureType::Place, near(rng), vec![rng.pick(PLACE_TAGS)]));
        add(point(FeatureType::Note, near(rng), vec![rng.pick(NOTE_CATEGORIES)]));
    }
}

fn bench_overlays(c: &mut Criterion) {
    let (_dir, store, _) = demo_store();
    let private = Arc::new(PrivateStore::in_memory().unwrap());
    let app = App::new(store, private, Arc::new(NetworkSettings::default()), AppOptions::default());
    let owners = [resident(&app, "owner-a"), resident(&app, "owner-b")];
    let chome = app.store.read().areas_in(Some(AreaLevel::Chome), None);
    let mut rng = Lcg(7);
    for g in 0..GROUPS {
        let area = &chome[g % chome.len()];
        let who = &owners[g % 2];
        let group = app.create_group(who, &format!("町会{g}"), GroupArea::Area(area.id)).unwrap();
        let centre = area.geometry.interior_point().unwrap();
        draw_group(&app, who, group.id, (centre.x(), centre.y()), &mut rng);
    }
    let index = app.store.read();
    let data = app.support_data(&index).unwrap();
    println!(
        "overlays input: {GROUPS} groups, {} persons, {} troubles",
        data.persons.len(),
        data.troubles.len()
    );
    let mut g = c.benchmark_group("support_overlays");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function("200 groups: read the maps and count, afresh", |b| {
        b.iter(|| {
            let data = app.support_data(&index).unwrap();
            black_box(overlays(&index, &app.settings, &data, 3).unwrap())
        })
    });
    g.bench_function("200 groups: count only (maps already read)", |b| {
        b.iter(|| black_box(overlays(&index, &app.settings, &data, 3).unwrap()))
    });
    g.bench_function("200 groups: cached (what a second request costs)", |b| {
        b.iter(|| black_box(app.overlays(&Principal::anonymous(None)).unwrap()))
    });
    g.finish();
}

fn bench_group_map(c: &mut Criterion) {
    let (_dir, _store, path) = demo_store();
    let location = sasaeai::store::Location::GeoPackage(path.clone());
    let app = App::open(&location, None, NetworkSettings::default(), AppOptions::default()).unwrap();
    let who = resident(&app, "alice");
    let area = app.store.read().areas_in(Some(AreaLevel::Chome), None)[0].clone();
    let group = app.create_group(&who, "ひまわり町会", GroupArea::Area(area.id)).unwrap();
    let centre = area.geometry.interior_point().unwrap();
    draw_group(&app, &who, group.id, (centre.x(), centre.y()), &mut Lcg(11));
    let mut g = c.benchmark_group("support_map");
    g.bench_function("one group's map as GeoJSON (50 features, audited, on disk)", |b| {
        b.iter(|| {
            let map = app.features(&who, group.id, None).unwrap();
            black_box(features_geojson(&map).to_string())
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sign_in");
    g.sample_size(20);
    g.bench_function("argon2id hash (crate defaults: 19 MiB, 2 passes)", |b| {
        b.iter(|| black_box(hash_password(PASSWORD).unwrap()))
    });
    g.bench_function("login: verify + session written", |b| {
        b.iter(|| black_box(app.login("alice", PASSWORD, None).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench_overlays, bench_group_map);
criterion_main!(benches);
