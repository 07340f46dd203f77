//! The HTTP API end to end, in process: reads, the site lifecycle, imports and exports.

mod common;

use common::{TOKEN, get, send, site_json};
use sasaeai::http::AppState;
use sasaeai::model::AreaLevel;

#[tokio::test]
async fn site_lifecycle_over_http() {
    let (_d, store) = common::temp_store();
    let s = AppState::new(store.clone(), Some(TOKEN.into())).unwrap();
    let created =
        send(&s, "POST", "/api/sites", Some(TOKEN), site_json("カフェひだまり", "cafe", 139.66, 35.57)).await;
    assert_eq!(created.status, 201);
    let feature = created.json();
    let id = feature["id"].as_i64().unwrap();
    assert_eq!(created.headers["location"], format!("/api/sites/{id}"));
    assert_eq!(feature["properties"]["kind_label"], "コミュニティカフェ・認知症カフェ");
    assert_eq!(feature["properties"]["audience"], serde_json::json!(["elderly"]));

    let fetched = get(&s, &format!("/api/sites/{id}")).await.json();
    assert_eq!(fetched, feature);

    let moved = send(
        &s,
        "PUT",
        &format!("/api/sites/{id}"),
        Some(TOKEN),
        site_json("カフェひだまり", "engawa", 139.70, 35.60),
    )
    .await;
    assert_eq!(moved.status, 200);
    assert_eq!(moved.json()["geometry"]["coordinates"], serde_json::json!([139.7, 35.6]));
    let in_old_place = get(&s, "/api/sites?bbox=139.65,35.56,139.67,35.58").await.json();
    assert_eq!(in_old_place["features"].as_array().unwrap().len(), 0, "the index moved the site");
    let in_new_place = get(&s, "/api/sites?bbox=139.69,35.59,139.71,35.61&kind=engawa").await.json();
    assert_eq!(in_new_place["features"][0]["id"], id);

    assert_eq!(send(&s, "DELETE", &format!("/api/sites/{id}"), Some(TOKEN), "").await.status, 204);
    get(&s, &format!("/api/sites/{id}")).await.assert_problem(404, "no site");
    send(&s, "DELETE", &format!("/api/sites/{id}"), Some(TOKEN), "").await.assert_problem(404, "no site");
    send(&s, "PUT", "/api/sites/4242", Some(TOKEN), site_json("x", "cafe", 139.7, 35.6))
        .await
        .assert_problem(404, "no site");
    assert_eq!(store.read().versions().sites, 3, "create, update and delete each bump the version");
}

#[tokio::test]
async fn demo_areas_nest_level_by_level() {
    let (_d, store) = common::demo_store();
    let index = store.read();
    for area in index.areas() {
        let parent = area.parent.map(|p| index.area(p).unwrap().level);
        let expected = match area.level {
            AreaLevel::City => None,
            AreaLevel::Ward => Some(AreaLevel::City),
            AreaLevel::Sphere => Some(AreaLevel::Ward),
            AreaLevel::District => Some(AreaLevel::Sphere),
            AreaLevel::Chome => Some(AreaLevel::District),
        };
        assert_eq!(parent, expected, "{} ({})", area.name, area.level);
    }
    let chome = index.areas().find(|a| a.name == "丘の上一丁目").unwrap();
    assert_eq!(index.area(chome.parent.unwrap()).unwrap().name, "丘の上地区");
}

#[tokio::test]
async fn area_detail_lists_parent_and_children() {
    let (_d, store) = common::demo_store();
    let s = AppState::new(store.clone(), None).unwrap();
    let id = store.read().areas().find(|a| a.name == "西北圏域").unwrap().id;
    let area = get(&s, &format!("/api/areas/{id}")).await.json();
    let props = &area["properties"];
    assert_eq!(props["level"], "sphere");
    assert_eq!(props["level_label"], "日常生活圏域");
    assert_eq!(props["parent"]["name"], "西区");
    let children: Vec<&str> =
        props["children"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(children, ["桜台地区", "丘の上地区"]);
    let ancestors: Vec<&str> =
        props["ancestors"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(ancestors, ["ささえ市（架空）", "西区"]);
}

#[tokio::test]
async fn meta_and_health_report_the_fictional_demo() {
    let (_d, store) = common::demo_store();
    let s = AppState::new(store, None).unwrap();
    let meta = get(&s, "/api/meta").await.json();
    assert_eq!(meta["dataset"]["fictional"], true);
    assert!(meta["dataset"]["title"].as_str().unwrap().contains("架空"));
    let health = get(&s, "/health").await.json();
    assert_eq!(health["status"], "ok");
    assert!(health["sites"].as_u64().unwrap() >= 50);
}

#[tokio::test]
async fn every_site_kind_is_in_the_demo_with_a_schedule() {
    let (_d, store) = common::demo_store();
    let index = store.read();
    for kind in sasaeai::model::SiteKind::ALL {
        let sites = index.sites_in(&[*kind], None);
        assert!(!sites.is_empty(), "no {kind} in the demo");
        assert!(sites.iter().all(|s| s.data.schedule.is_some()));
    }
    let rates: Vec<f64> = index.population().map(|p| p.data.aged65 as f64 / p.data.total as f64).collect();
    let (lo, hi) = rates.iter().fold((1.0f64, 0.0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    assert!(lo < 0.16 && hi > 0.42, "ageing rates vary from young to old areas: {lo:.2}..{hi:.2}");
}

#[tokio::test]
async fn export_is_rfc7946_and_reimports_to_the_same_features() {
    let (_d, demo) = common::demo_store();
    let s = AppState::new(demo.clone(), None).unwrap();
    let (_d2, fresh) = common::temp_store();
    let t = AppState::new(fresh.clone(), Some(TOKEN.into())).unwrap();
    for layer in ["areas", "sites", "population"] {
        let export = get(&s, &format!("/api/export/{layer}.geojson")).await;
        assert_eq!(export.status, 200);
        assert_eq!(export.content_type, "application/geo+json");
        assert!(
            export.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("sasaeai-{layer}.geojson"))
        );
        let json = export.json();
        assert_eq!(json["fictional"], true, "the export says it is fictional");
        let imported =
            send(&t, "POST", &format!("/api/import/{layer}"), Some(TOKEN), export.body.clone()).await;
        assert_eq!(imported.status, 201, "{}", String::from_utf8_lossy(&imported.body));
    }
    let (a, b) = (demo.read(), fresh.read());
    assert_eq!(a.counts(), b.counts());
    for (x, y) in a.areas().zip(b.areas()) {
        assert_eq!(
            (&x.name, x.level, &x.code, &x.geometry, &x.properties),
            (&y.name, y.level, &y.code, &y.geometry, &y.properties)
        );
        let parent_name =
            |i: &sasaeai::store::Index, area: &sasaeai::model::Area| i.parent_name(area).map(str::to_owned);
        assert_eq!(parent_name(&a, x), parent_name(&b, y));
    }
    for (x, y) in a.sites().zip(b.sites()) {
        assert_eq!(x.data, y.data);
    }
    for (x, y) in a.population().zip(b.population()) {
        assert_eq!(x.data, y.data);
    }
}

#[tokio::test]
async fn kawasaki_export_round_trips_through_a_fresh_store() {
    let (Some(wards), Some(nurseries)) =
        (common::shared_data("kawasaki/wards.geojson"), common::shared_data("kawasaki/nurseries.geojson"))
    else {
        return;
    };
    let (_d, store) = common::temp_store();
    let s = AppState::new(store.clone(), Some(TOKEN.into())).unwrap();
    let r =
        send(&s, "POST", "/api/import/areas?level=ward", Some(TOKEN), std::fs::read(wards).unwrap()).await;
    assert_eq!(r.status, 201);
    let r =
        send(&s, "POST", "/api/import/sites?kind=childcare", Some(TOKEN), std::fs::read(nurseries).unwrap())
            .await;
    assert_eq!(r.json()["imported"], 391);

    let (_d2, fresh) = common::temp_store();
    let t = AppState::new(fresh.clone(), Some(TOKEN.into())).unwrap();
    for layer in ["areas", "sites"] {
        let export = get(&s, &format!("/api/export/{layer}.geojson")).await;
        let r = send(&t, "POST", &format!("/api/import/{layer}"), Some(TOKEN), export.body).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }
    let (a, b) = (store.read(), fresh.read());
    assert_eq!(a.counts(), b.counts());
    for (x, y) in a.areas().zip(b.areas()) {
        assert_eq!((&x.name, &x.code, &x.properties), (&y.name, &y.code, &y.properties));
        // RFC 7946 re-orients rings; the same rings, counter-clockwise.
        use geo::Area;
        approx::assert_relative_eq!(
            x.geometry.unsigned_area(),
            y.geometry.unsigned_area(),
            max_relative = 1e-12
        );
    }
    for (x, y) in a.sites().zip(b.sites()) {
        assert_eq!(x.data, y.data);
    }
}

#[tokio::test]
async fn population_import_with_japanese_columns() {
    let (_d, store) = common::temp_store();
    let s = AppState::new(store.clone(), Some(TOKEN.into())).unwrap();
    let csv = "町丁名,緯度,経度,総数,65歳以上,75歳以上\n井田一丁目,35.56,139.64,\"1,204\",３１２,150\n";
    let r = send(&s, "POST", "/api/import/population?source=住民基本台帳&year=2025", Some(TOKEN), csv).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let fc = get(&s, "/api/population?bbox=139.6,35.5,139.7,35.6").await.json();
    let p = &fc["features"][0]["properties"];
    assert_eq!(
        (p["name"].as_str(), p["total"].as_u64(), p["aged65"].as_u64()),
        (Some("井田一丁目"), Some(1204), Some(312))
    );
    assert_eq!(p["source"], "住民基本台帳");
    assert_eq!(p["year"], 2025);
    assert_eq!(p["aged65_rate"], 0.2591);
}
