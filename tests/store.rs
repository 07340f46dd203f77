//! The store: bbox queries against brute force, durability across a SIGKILL, GDAL reading the
//! GeoPackage, and the committed demo data matching its generator.

mod common;

use common::Server;
use geo::Intersects;
use proptest::prelude::*;
use sasaeai::model::{BBox, SiteKind};
use sasaeai::store::Store;
use std::process::Command;

fn bbox_strategy() -> impl Strategy<Value = BBox> {
    (139.35f64..139.9, 35.4f64..35.7, 0.0f64..0.3, 0.0f64..0.2)
        .prop_map(|(x, y, w, h)| BBox::new(x, y, (x + w).min(180.0), (y + h).min(90.0)).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn site_bbox_query_equals_brute_force(bbox in bbox_strategy(), kind in 0usize..13) {
        let (_d, store) = shared_store();
        let kinds: Vec<SiteKind> = SiteKind::ALL.get(kind).copied().into_iter().collect();
        let index = store.read();
        let got: Vec<_> = index.sites_in(&kinds, Some(&bbox)).iter().map(|s| s.id).collect();
        let expected: Vec<_> = index
            .sites()
            .filter(|s| bbox.contains(s.data.location) && (kinds.is_empty() || kinds.contains(&s.data.kind)))
            .map(|s| s.id)
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn area_bbox_query_equals_brute_force(bbox in bbox_strategy()) {
        let (_d, store) = shared_store();
        let index = store.read();
        let got: Vec<_> = index.areas_in(None, Some(&bbox)).iter().map(|a| a.id).collect();
        let rect = bbox.to_rect();
        let expected: Vec<_> = index.areas().filter(|a| a.geometry.intersects(&rect)).map(|a| a.id).collect();
        prop_assert_eq!(got, expected);
    }
}

/// One store for all property cases: 5,000 generated sites plus the Kawasaki wards when present.
fn shared_store() -> &'static (tempfile::TempDir, std::sync::Arc<Store>) {
    static STORE: std::sync::OnceLock<(tempfile::TempDir, std::sync::Arc<Store>)> =
        std::sync::OnceLock::new();
    STORE.get_or_init(|| {
        let (dir, store) = common::temp_store();
        store.insert_sites(sasaeai::demo::scattered_sites(5_000, 0x5EED)).unwrap();
        if let Some(path) = common::shared_data("kawasaki/wards.geojson") {
            let bytes = std::fs::read(path).unwrap();
            let options = sasaeai::import::AreaOptions {
                level: Some(sasaeai::model::AreaLevel::Ward),
                ..Default::default()
            };
            store.import_areas(sasaeai::import::areas(&bytes, &options).unwrap()).unwrap();
        }
        (dir, store)
    })
}

#[test]
fn a_backup_taken_while_the_server_writes_holds_whole_writes_and_serves_again() {
    const WRITES: usize = 1500;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("town.gpkg");
    let server = Server::start(&["--store".as_ref(), path.as_os_str()], &[]);
    let add = ["user".as_ref(), "add".as_ref(), "管理者".as_ref(), "--role".as_ref(), "admin".as_ref()];
    let add: Vec<&std::ffi::OsStr> = add.into_iter().chain(["--store".as_ref(), path.as_os_str()]).collect();
    common::cli(&add, "a-long-enough-password\n");
    let base = server.base.clone();
    let (started, writing) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        let agent = ureq::Agent::new_with_defaults();
        for i in 0..WRITES {
            let body = common::site_json(&format!("カフェ{i}"), "cafe", 139.6 + i as f64 * 1e-5, 35.55);
            let response = agent
                .post(format!("{base}/api/sites"))
                .header("authorization", format!("Bearer {}", common::TOKEN))
                .content_type("application/geo+json")
                .send(body)
                .unwrap();
            assert_eq!(response.status(), 201);
            if i == 20 {
                started.send(()).unwrap();
            }
        }
    });
    writing.recv().unwrap();
    let backups = dir.path().join("backups");
    let args = ["backup".as_ref(), backups.as_os_str(), "--store".as_ref(), path.as_os_str()];
    let out = common::cli(&args, "");
    writer.join().unwrap();
    assert!(out.contains("town.gpkg") && out.contains("town.private.sqlite"), "{out}");

    // The copy: a prefix of the writes, each whole (カフェ0 … カフェk-1, nothing torn).
    let copy = Store::open(backups.join("town.gpkg")).unwrap();
    assert_eq!(copy.integrity_check().unwrap(), ["ok"]);
    let mut names: Vec<usize> =
        copy.read().sites().map(|s| s.data.name.trim_start_matches("カフェ").parse().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, (0..names.len()).collect::<Vec<_>>(), "whole writes, in order");
    println!("backup taken during writes: {} of {WRITES} sites", names.len());
    assert!(names.len() > 20, "the writes acknowledged before the backup are in it");
    let private = sasaeai::private::PrivateStore::open(&backups.join("town.private.sqlite")).unwrap();
    assert!(private.user_by_name("管理者").unwrap().is_some(), "the accounts are in the copy");
    drop(private);
    let original = sasaeai::private::PrivateStore::open(&dir.path().join("town.private.sqlite")).unwrap();
    assert!(
        original.account_audit().unwrap().iter().any(|r| r.action == "stores.backup"),
        "the backup is audited"
    );

    let again = common::cli_status(&args);
    assert!(!again.0 && again.1.contains("never overwrites"), "{}", again.1);
    let copy_server = Server::start(&["--store".as_ref(), backups.join("town.gpkg").as_os_str()], &[]);
    let health = ureq::get(format!("{}/health", copy_server.base))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(health.contains(&format!("\"sites\":{}", names.len())), "{health}");
}

#[test]
fn sites_written_over_http_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("durable.gpkg");
    let mut server = Server::start(&["--store".as_ref(), path.as_os_str()], &[]);
    let agent = ureq::Agent::new_with_defaults();
    for i in 0..200 {
        let body = common::site_json(&format!("カフェ{i}"), "cafe", 139.6 + i as f64 * 1e-4, 35.55);
        let response = agent
            .post(format!("{}/api/sites", server.base))
            .header("authorization", format!("Bearer {}", common::TOKEN))
            .content_type("application/geo+json")
            .send(body)
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    // SIGKILL right after the last 201: no shutdown, no checkpoint.
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
    let index = store.read();
    assert_eq!(index.sites().count(), 200);
    assert!(index.sites().any(|s| s.data.name == "カフェ199"));
    drop(index);
    drop(store);

    let server = Server::start(&["--store".as_ref(), path.as_os_str()], &[]);
    let text =
        agent.get(format!("{}/health", server.base)).call().unwrap().body_mut().read_to_string().unwrap();
    let health: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(health["sites"], 200, "the restarted server loads all 200");
}

#[test]
fn gdal_lists_every_layer_with_its_feature_count() {
    if !common::has_tool("ogrinfo", "gdal-bin") {
        return;
    }
    let (dir, store) = common::demo_store();
    let (areas, sites, population) = store.read().counts();
    let edges = store.read().network().unwrap().edges().len();
    drop(store); // close, so that GDAL reads a checkpointed file as a user would
    let path = dir.path().join("demo.gpkg");
    let out = Command::new("ogrinfo").args(["-ro", "-so", "-al"]).arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ogrinfo failed: {}", String::from_utf8_lossy(&out.stderr));
    for (layer, count, geometry) in [
        ("areas", areas, "Multi Polygon"),
        ("sites", sites, "Point"),
        ("population", population, "Point"),
        ("network", edges, "Line String"),
    ] {
        let section = text
            .split("Layer name: ")
            .find(|s| s.starts_with(layer))
            .unwrap_or_else(|| panic!("no {layer} in {text}"));
        assert!(section.contains(&format!("Feature Count: {count}")), "{layer}: {section}");
        assert!(section.contains(&format!("Geometry: {geometry}")), "{layer}: {section}");
        assert!(section.contains("EPSG") && section.contains("4326"), "{layer} is in WGS 84: {section}");
    }
    let sql = Command::new("ogrinfo")
        .args([
            "-ro",
            "-q",
            "-sql",
            "SELECT name, ST_AsText(geom) AS wkt FROM sites WHERE name = 'カフェひだまり'",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let sql_text = String::from_utf8_lossy(&sql.stdout);
    assert!(
        sql_text.contains("POINT(140.0") && sql_text.contains("カフェひだまり"),
        "GDAL decodes our geometry blobs: {sql_text}"
    );
}

#[test]
fn committed_demo_data_is_what_the_generator_makes() {
    let town = sasaeai::demo::generate();
    let geodata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    for (name, text) in sasaeai::demo::FILES.iter().zip(town.layers()) {
        let committed = std::fs::read_to_string(geodata.join(name)).unwrap();
        assert!(committed == *text, "geodata/{name} differs from the generator: run `sasaeai demo generate`");
        assert!(committed.contains("\"fictional\":true") && committed.contains("架空"));
    }
}
