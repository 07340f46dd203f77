//! Bad input is answered with a 4xx application/problem+json naming what was wrong and where, and
//! nothing of it is stored.

mod common;

use common::{Reply, TOKEN, send, site_json};
use sasaeai::http::AppState;

fn state() -> (tempfile::TempDir, AppState) {
    let (dir, store) = common::temp_store();
    (dir, AppState::new(store, Some(TOKEN.into())).unwrap())
}

fn counts(state: &AppState) -> (usize, usize, usize) {
    state.app.store.read().counts()
}

async fn post(state: &AppState, uri: &str, body: impl Into<axum::body::Body>) -> Reply {
    send(state, "POST", uri, Some(TOKEN), body).await
}

const SQUARE_FEATURE: &str = r#"{"type":"Feature","properties":{"name":"A"},"geometry":{"type":"Polygon","coordinates":[[[139.6,35.5],[139.7,35.5],[139.7,35.6],[139.6,35.6],[139.6,35.5]]]}}"#;

#[tokio::test]
async fn malformed_json_names_line_and_column() {
    let (_d, s) = state();
    let r = post(
        &s,
        "/api/sites",
        r#"{"type":"Feature", "geometry": {"type":"Point","coordinates":[139.7,35.6]},,}"#,
    )
    .await;
    let p = r.assert_problem(400, "line 1, column");
    assert!(p["detail"].as_str().unwrap().contains("near"), "{p}");
    assert_eq!(counts(&s), (0, 0, 0));
}

#[tokio::test]
async fn wrong_geometry_type() {
    let (_d, s) = state();
    let body = r#"{"type":"Feature","properties":{"name":"x","kind":"cafe"},"geometry":{"type":"LineString","coordinates":[[139.7,35.6],[139.8,35.6]]}}"#;
    let p = post(&s, "/api/sites", body).await.assert_problem(422, "expected Point, found LineString");
    assert_eq!(p["errors"][0]["place"], "feature 1");
    assert_eq!(p["errors"][0]["field"], "geometry");
    let r = post(&s, "/api/import/areas?level=ward", body).await;
    r.assert_problem(422, "expected Polygon or MultiPolygon, found LineString");
    assert_eq!(counts(&s), (0, 0, 0));
}

#[tokio::test]
async fn nan_and_out_of_range_coordinates() {
    let (_d, s) = state();
    let nan = r#"{"type":"Feature","properties":{"name":"x","kind":"cafe"},"geometry":{"type":"Point","coordinates":[NaN,35.6]}}"#;
    post(&s, "/api/sites", nan).await.assert_problem(400, "JSON has no NaN");
    post(&s, "/api/sites", site_json("x", "cafe", 190.0, 95.0)).await.assert_problem(422, "out of range");
    let csv = "名称,緯度,経度\nカフェ,NaN,139.7\n";
    post(&s, "/api/import/sites?kind=cafe", csv).await.assert_problem(422, "not a finite number");
    assert_eq!(counts(&s), (0, 0, 0));
}

#[tokio::test]
async fn swapped_latitude_and_longitude() {
    let (_d, s) = state();
    post(&s, "/api/sites", site_json("x", "cafe", 35.6, 139.7)).await.assert_problem(422, "swapped");
    let csv = "名称,緯度,経度\nカフェ,139.7,35.6\n";
    let p = post(&s, "/api/import/sites?kind=cafe", csv).await.assert_problem(422, "swapped");
    assert_eq!(p["errors"][0]["place"], "line 2");
    assert_eq!(counts(&s), (0, 0, 0));
}

#[tokio::test]
async fn unclosed_ring() {
    let (_d, s) = state();
    let body = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"name":"ok"},"geometry":{"type":"Polygon","coordinates":[[[139.6,35.5],[139.7,35.5],[139.7,35.6],[139.6,35.5]]]}},
        {"type":"Feature","properties":{"name":"open"},"geometry":{"type":"Polygon","coordinates":[[[139.6,35.5],[139.7,35.5],[139.7,35.6],[139.6,35.6]]]}}]}"#;
    let p = post(&s, "/api/import/areas?level=district", body).await.assert_problem(422, "not closed");
    assert_eq!(p["errors"][0]["place"], "feature 2");
    assert_eq!(counts(&s), (0, 0, 0), "the valid first feature is not stored either");
}

#[tokio::test]
async fn shift_jis_csv_with_one_broken_row_imports_nothing() {
    let (_d, s) = state();
    let text = "名称,住所,緯度,経度,利用可能曜日\n\
                カフェひだまり,川崎市中原区1-1,35.57,139.66,水\n\
                縁側さくら,川崎市中原区2-2,35.58,139.65,月\n\
                オレンジカフェ,川崎市高津区3-3,不明,139.61,金\n\
                通いの場みどり,川崎市宮前区4-4,35.59,139.58,火\n";
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    let p = post(&s, "/api/import/sites?kind=cafe", sjis.into_owned()).await.assert_problem(422, "line 4");
    assert_eq!(p["errors"].as_array().unwrap().len(), 1);
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("不明"), "{p}");
    assert_eq!(counts(&s), (0, 0, 0));

    let fixed = text.replace("不明", "北緯35度36分");
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&fixed);
    let r = post(&s, "/api/import/sites?kind=cafe", sjis.into_owned()).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let index = s.app.store.read();
    assert_eq!(index.sites().count(), 4);
    assert!(index.sites().any(|x| x.data.name == "縁側さくら" && x.data.schedule.as_deref() == Some("月")));
}

#[tokio::test]
async fn skip_invalid_over_http_imports_the_good_rows_and_counts_the_others() {
    let (_d, s) = state();
    let mut csv = String::from("名称,緯度,経度\nよい,35.57,139.66\n");
    for i in 0..25 {
        csv.push_str(&format!("わるい{i},,139.6\n"));
    }
    let r = post(&s, "/api/import/sites?kind=cafe&skip_invalid=true", csv).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(j["imported"], 1);
    assert_eq!(j["rejected"]["count"], 25, "{j}");
    assert_eq!(j["rejected"]["first"].as_array().unwrap().len(), 20, "the answer stays short");
    assert_eq!(j["rejected"]["first"][0]["place"]["line"], 3);
    assert_eq!(counts(&s), (0, 1, 0));
}

#[tokio::test]
async fn a_kind_table_over_http_maps_a_category_and_a_bad_one_is_named() {
    let (_d, s) = state();
    let csv = "名称,種別,緯度,経度\n長寿の家,長寿の家,35.57,139.66\n";
    let preview = post(&s, "/api/import/sites?dry_run=true", csv).await.json();
    let categories = &preview["preview"]["categories"];
    assert_eq!(categories, &serde_json::json!([{"value": "長寿の家", "rows": 1, "kind": null}]), "{preview}");
    let bad = "/api/import/sites?kind_table=value%2Ckind%0A%E9%95%B7%E5%AF%BF%E3%81%AE%E5%AE%B6%2Csalon";
    let p = post(&s, bad, csv).await.assert_problem(400, "line 2: unknown site kind");
    assert!(p["detail"].as_str().unwrap().contains("kind_table"), "{p}");
    let good = "/api/import/sites?kind_table=value%2Ckind%0A%E9%95%B7%E5%AF%BF%E3%81%AE%E5%AE%B6%2Cikoi";
    assert_eq!(post(&s, good, csv).await.status, 201);
    assert_eq!(s.app.store.read().sites().next().unwrap().data.kind, sasaeai::model::SiteKind::Ikoi);
}

#[tokio::test]
async fn undecodable_bytes_name_their_line() {
    let (_d, s) = state();
    let mut bytes = "名称,緯度,経度\nA,35.5,139.6\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"\x82\x0a");
    post(&s, "/api/import/sites?kind=cafe", bytes).await.assert_problem(400, "line 3");
    assert_eq!(counts(&s), (0, 0, 0));
}

#[tokio::test]
async fn oversized_body() {
    let (_d, s) = state();
    let huge = format!(
        r#"{{"type":"Feature","properties":{{"name":"x","kind":"cafe","note":"{}"}},"geometry":{{"type":"Point","coordinates":[139.7,35.6]}}}}"#,
        "あ".repeat(200_000)
    );
    post(&s, "/api/sites", huge).await.assert_problem(413, "length limit");
    assert_eq!(counts(&s), (0, 0, 0));
}

#[tokio::test]
async fn unknown_kind() {
    let (_d, s) = state();
    post(&s, "/api/sites", site_json("x", "bakery", 139.7, 35.6))
        .await
        .assert_problem(422, "unknown site kind");
    post(&s, "/api/import/sites?kind=bakery", "名称,緯度,経度\nA,35.5,139.6\n")
        .await
        .assert_problem(400, "kind");
    common::get(&s, "/api/sites?kind=bakery").await.assert_problem(400, "kind");
    assert_eq!(counts(&s), (0, 0, 0));
}

#[tokio::test]
async fn writes_without_the_token() {
    let (_d, s) = state();
    let body = site_json("x", "cafe", 139.7, 35.6);
    send(&s, "POST", "/api/sites", None, body.clone()).await.assert_problem(401, "sign in");
    send(&s, "POST", "/api/sites", Some("wrong"), body.clone()).await.assert_problem(401, "wrong");
    send(&s, "POST", "/api/import/areas?level=ward", None, SQUARE_FEATURE)
        .await
        .assert_problem(401, "sign in");
    send(&s, "DELETE", "/api/sites/1", None, "").await.assert_problem(401, "sign in");
    assert_eq!(counts(&s), (0, 0, 0));

    // Without a configured staff token, that token is just a wrong token.
    let no_token = AppState::new(s.app.store.clone(), None).unwrap();
    send(&no_token, "POST", "/api/sites", Some(TOKEN), body).await.assert_problem(401, "wrong");
    assert_eq!(counts(&s), (0, 0, 0));
}

#[tokio::test]
async fn bad_ids_bboxes_and_routes() {
    let (_d, s) = state();
    common::get(&s, "/api/sites/abc").await.assert_problem(400, "path");
    common::get(&s, "/api/sites/999").await.assert_problem(404, "no site with id 999");
    common::get(&s, "/api/areas/999").await.assert_problem(404, "no area with id 999");
    common::get(&s, "/api/areas?bbox=139.8,35.5,139.6,35.6")
        .await
        .assert_problem(400, "minimum exceeds maximum");
    common::get(&s, "/api/population?bbox=35.5,139.6,35.6,139.7").await.assert_problem(400, "swapped");
    common::get(&s, "/api/areas?level=prefecture").await.assert_problem(400, "unknown area level");
    common::get(&s, "/api/export/roads.geojson").await.assert_problem(404, "no layer");
    common::get(&s, "/nowhere").await.assert_problem(404, "no route");
    send(&s, "PATCH", "/api/sites/1", Some(TOKEN), "").await.assert_problem(405, "PATCH");
}

#[tokio::test]
async fn inconsistent_population_counts() {
    let (_d, s) = state();
    let csv = "町丁名,緯度,経度,総数,65歳以上,75歳以上\n井田一丁目,35.56,139.64,1000,300,200\n井田二丁目,35.57,139.64,1000,300,400\n";
    let p = post(&s, "/api/import/population", csv).await.assert_problem(422, "aged75 (400) ≤ aged65 (300)");
    assert_eq!(p["errors"][0]["place"], "line 3");
    assert_eq!(counts(&s), (0, 0, 0));
}

#[tokio::test]
async fn missing_csv_column_is_said_once() {
    let (_d, s) = state();
    let p = post(&s, "/api/import/sites?kind=cafe", "名称,住所\nA,川崎市\n")
        .await
        .assert_problem(422, "no column for lat");
    assert!(p["detail"].as_str().unwrap().contains("名称, 住所"), "lists the columns found: {p}");
}

#[test]
fn a_configuration_that_cannot_work_is_named_line_by_line_and_refused_before_serving() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sasaeai.toml");
    std::fs::write(
        &file,
        "addr = \"localhost\"\npublic_url = \"gis.example.lg.jp\"\nindicator_catalogue = \"no-such-catalogue.csv\"\n[network.profiles.elderly]\nspeed_m_per_min = 0\n\n[privacy]\nmin_count = 1\n[background]\ntiles = \"https://tiles.example/{z}/{x}.png\"\nattribution = \" \"\n",
    )
    .unwrap();
    let check = ["check-config".as_ref(), file.as_os_str()];
    let (ok, err) = common::cli_status(&check);
    assert!(!ok);
    for (line, key) in [
        (1, "addr"),
        (2, "public_url"),
        (3, "indicator_catalogue"),
        (5, "network.profiles.elderly.speed_m_per_min"),
        (8, "privacy.min_count"),
        (10, "background.tiles"),
        (11, "background.attribution"),
    ] {
        assert!(err.contains(&format!("sasaeai.toml:{line}: {key}: ")), "{key} at line {line}: {err}");
    }
    let (ok, err) = common::cli_status(&["serve".as_ref(), "--config".as_ref(), file.as_os_str()]);
    assert!(!ok && err.contains("sasaeai.toml:8: privacy.min_count"), "serve refuses it too: {err}");

    std::fs::write(&file, "addr = \"127.0.0.1:0\"\n[limits]\nheavy_at_once = 2\nmax_conections = 10\n")
        .unwrap();
    let (ok, err) = common::cli_status(&check);
    assert!(!ok && err.contains("line 4") && err.contains("max_conections"), "a misspelt key: {err}");
    std::fs::write(&file, "addr = \"127.0.0.1:0\"\n").unwrap();
    assert!(common::cli(&check, "").contains("sasaeai.toml: ok"));
}

/// Found by the contract test: `/api/karte/1?year=-2147483648` panicked counting five years back.
#[tokio::test]
async fn a_year_outside_the_calendar_is_refused_not_counted_back_from() {
    let (_d, store) = common::demo_store();
    let s = AppState::new(store, Some(TOKEN.into())).unwrap();
    for uri in [
        "/api/karte/1?year=-2147483648",
        "/api/coverage?year=2147483647",
        "/api/indicators?year=1899",
        "/api/karte/1?year=2201",
    ] {
        let r = common::get(&s, uri).await;
        r.assert_problem(400, "year");
    }
    assert_eq!(common::get(&s, "/api/karte/1?year=2200").await.status, 200);
}
