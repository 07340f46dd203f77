//! The store suite, run against both backends: the GeoPackage file and PostgreSQL/PostGIS (a
//! throwaway cluster of the test's own). Each test writes through the store, then opens the store
//! again from its backend and checks it reads back exactly what the live snapshot holds — every
//! layer's count and checksum.

mod common;

use geo::{MultiPolygon, Point, Rect};
use sasaeai::model::{AreaData, AreaLevel, ParentRef, PopulationData, SiteData, SiteId, SiteKind};
use sasaeai::network::EdgeData;
use sasaeai::store::{Location, Replace, SiteChanges, Store, StoreError, digests};

#[derive(Clone, Copy)]
enum Kind {
    GeoPackage,
    Postgres,
}

/// An empty store of `kind` and what keeps it alive; `None` when PostgreSQL is not installed
/// (outside CI).
struct Fresh {
    _dir: tempfile::TempDir,
    location: Location,
}

impl Fresh {
    fn new(kind: Kind) -> Option<Fresh> {
        let dir = tempfile::tempdir().unwrap();
        let location = match kind {
            Kind::GeoPackage => Location::GeoPackage(dir.path().join("town.gpkg")),
            Kind::Postgres => {
                Location::parse(&common::postgres::cluster()?.database(), Some("141305")).unwrap()
            }
        };
        Some(Fresh { _dir: dir, location })
    }

    fn open(&self) -> Store {
        Store::open_at(&self.location).unwrap()
    }

    /// Opens the store again from its backend: it holds what `live` holds.
    fn assert_reads_back(&self, live: &Store) {
        assert_eq!(digests(&self.open().read()), digests(&live.read()), "{}", self.location);
    }
}

fn site(name: &str, lon: f64, lat: f64) -> SiteData {
    let mut properties = serde_json::Map::new();
    properties.insert("開催".into(), "毎週水曜".into());
    properties.insert("定員".into(), 12.into());
    SiteData {
        name: name.into(),
        kind: SiteKind::Cafe,
        location: Point::new(lon, lat),
        address: Some("ささえ市本町1-2-3".into()),
        schedule: Some("10–12時".into()),
        audience: vec![],
        operator: None,
        properties,
    }
}

fn square(name: &str, level: AreaLevel, parent: ParentRef, min: (f64, f64), size: f64) -> AreaData {
    let rect = Rect::new(min, (min.0 + size, min.1 + size));
    AreaData {
        name: name.into(),
        level,
        code: None,
        parent,
        geometry: MultiPolygon(vec![rect.to_polygon()]),
        properties: Default::default(),
    }
}

fn street(a: u32, b: u32, from: (f64, f64), to: (f64, f64)) -> EdgeData {
    EdgeData {
        a,
        b,
        geometry: vec![from, to].into(),
        steps: false,
        highway: "footway".into(),
        way_id: Some(7),
    }
}

fn sites_are_written_changed_and_deleted(kind: Kind) {
    let Some(fresh) = Fresh::new(kind) else { return };
    let store = fresh.open();
    let ids = store
        .insert_sites([
            site("本町カフェ", 139.70, 35.60),
            site("縁側", 139.71, 35.61),
            site("通いの場", 139.72, 35.62),
        ])
        .unwrap();
    store.update_site(ids[1], site("縁側（移転）", 139.715, 35.615)).unwrap();
    store.delete_site(ids[2]).unwrap();
    assert!(matches!(store.delete_site(ids[2]), Err(StoreError::SiteNotFound(_))));
    assert!(matches!(
        store.update_site(SiteId(9_999), site("x", 0.0, 0.0)),
        Err(StoreError::SiteNotFound(_))
    ));
    assert_eq!(store.read().site(ids[1]).unwrap().data.name, "縁側（移転）");
    fresh.assert_reads_back(&store);
    let more = store.insert_sites([site("公園", 139.73, 35.63)]).unwrap();
    assert!(more[0] > ids[2], "ids are never reused: {more:?} after {ids:?}");
}

fn a_change_that_fails_writes_nothing(kind: Kind) {
    let Some(fresh) = Fresh::new(kind) else { return };
    let store = fresh.open();
    let failed = store.change_sites(|_| {
        let changes = SiteChanges {
            insert: vec![site("新しいカフェ", 139.70, 35.60)],
            update: vec![(SiteId(424_242), site("ない", 139.70, 35.60))],
            delete: vec![],
        };
        (changes, ())
    });
    assert!(matches!(failed, Err(StoreError::SiteNotFound(_))), "{failed:?}");
    assert_eq!(store.read().counts(), (0, 0, 0));
    assert_eq!(fresh.open().read().counts(), (0, 0, 0));
}

fn areas_keep_named_and_derived_parents(kind: Kind) {
    let Some(fresh) = Fresh::new(kind) else { return };
    let store = fresh.open();
    let ward = store
        .import_areas([square("本町区", AreaLevel::Ward, ParentRef::Derive, (139.7, 35.6), 0.1)])
        .unwrap();
    let districts = store
        .import_areas([
            square("西地区", AreaLevel::District, ParentRef::Named("本町区".into()), (139.7, 35.6), 0.05),
            square("東地区", AreaLevel::District, ParentRef::Derive, (139.75, 35.6), 0.05),
        ])
        .unwrap();
    for id in &districts.ids {
        assert_eq!(store.read().area(*id).unwrap().parent, Some(ward.ids[0]));
    }
    // A city imported later becomes the ward's derived parent.
    let city = store
        .import_areas([square("ささえ市", AreaLevel::City, ParentRef::Derive, (139.6, 35.5), 0.3)])
        .unwrap();
    assert_eq!(city.reparented, 1);
    assert_eq!(store.read().area(ward.ids[0]).unwrap().parent, Some(city.ids[0]));
    fresh.assert_reads_back(&store);
}

fn population_network_and_dataset_read_back(kind: Kind) {
    let Some(fresh) = Fresh::new(kind) else { return };
    let store = fresh.open();
    store
        .insert_population([PopulationData {
            name: Some("本町1丁目".into()),
            location: Point::new(139.70, 35.60),
            total: 420,
            aged65: 150,
            aged75: 80,
            source: Some("国勢調査".into()),
            year: Some(2020),
            properties: Default::default(),
        }])
        .unwrap();
    let nodes = vec![(139.70, 35.60).into(), (139.701, 35.60).into(), (139.701, 35.601).into()];
    let edges = vec![
        street(0, 1, (139.70, 35.60), (139.701, 35.60)),
        street(1, 2, (139.701, 35.60), (139.701, 35.601)),
    ];
    store.replace_network(nodes, edges, Replace::OnlyIfNotShrinking).unwrap();
    let short = vec![street(0, 1, (139.70, 35.60), (139.7001, 35.60))];
    let refused = store.replace_network(
        vec![(139.70, 35.60).into(), (139.7001, 35.60).into()],
        short,
        Replace::OnlyIfNotShrinking,
    );
    assert!(matches!(refused, Err(StoreError::NetworkShrinks { .. })), "{refused:?}");
    store.set_dataset("ささえ市（架空）", true).unwrap();
    store.add_attribution("© OpenStreetMap contributors").unwrap();
    assert_eq!(store.read().network().unwrap().edges().len(), 2);
    fresh.assert_reads_back(&store);
}

fn the_demo_town_is_copied_whole_with_its_ids(kind: Kind) {
    let Some(fresh) = Fresh::new(kind) else { return };
    let (_demo_dir, demo) = common::demo_store();
    let target = fresh.open();
    let report = demo.copy_into(&target).unwrap();
    assert_eq!(report.layers, digests(&demo.read()));
    fresh.assert_reads_back(&demo);
    // New features after a copy get ids past the copied ones.
    let max = demo.read().sites().map(|s| s.id).max().unwrap();
    assert!(target.insert_sites([site("新カフェ", 139.70, 35.60)]).unwrap()[0] > max);
    let again = demo.copy_into(&target);
    assert!(matches!(again, Err(StoreError::NotEmpty { .. })), "{again:?}");
}

macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod geopackage {
            $(#[test] fn $test() { super::$test(super::Kind::GeoPackage) })*
        }
        mod postgres {
            $(#[test] fn $test() { super::$test(super::Kind::Postgres) })*
        }
    };
}

on_both_backends!(
    sites_are_written_changed_and_deleted,
    a_change_that_fails_writes_nothing,
    areas_keep_named_and_derived_parents,
    population_network_and_dataset_read_back,
    the_demo_town_is_copied_whole_with_its_ids,
);
