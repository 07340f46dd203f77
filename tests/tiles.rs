//! Vector tiles: checked against the MVT 2.1 rules over many tiles, decoded independently by GDAL,
//! snapshotted as text, and never stale after an edit.

mod common;

use common::{TOKEN, get, send};
use geo::{Area, BooleanOps, MapCoords};
use sasaeai::http::AppState;
use sasaeai::maptiles;
use sasaeai_tiles::{BUFFER, EXTENT, TileId, TileTransform, check};

/// Every tile of `set` from zoom 10 to 16 over the demo town.
fn demo_tiles() -> Vec<TileId> {
    let mut tiles = Vec::new();
    for z in 10..=16u8 {
        let (a, b) = (TileId::containing(140.02, 34.652, z), TileId::containing(140.08, 34.62, z));
        for x in a.x..=b.x {
            for y in a.y..=b.y {
                tiles.push(TileId { z, x, y });
            }
        }
    }
    tiles
}

async fn tile_bytes(s: &AppState, set: &str, t: TileId) -> Option<Vec<u8>> {
    let r = get(s, &format!("/tiles/{set}/{}/{}/{}.mvt", t.z, t.x, t.y)).await;
    match r.status.as_u16() {
        200 => Some(r.body),
        204 => None,
        other => panic!("tile {t}: status {other}"),
    }
}

#[tokio::test]
async fn every_demo_tile_follows_the_mvt_spec() {
    let (_d, store) = common::demo_store();
    let s = AppState::new(store, None).unwrap();
    let (mut checked, mut features) = (0, 0);
    for t in demo_tiles() {
        if let Some(bytes) = tile_bytes(&s, "all", t).await {
            let (layers, problems) = check::decode_and_check(&bytes, BUFFER);
            assert!(problems.is_empty(), "tile {t}: {problems:?}");
            checked += 1;
            features += layers.iter().map(|l| l.features.len()).sum::<usize>();
        }
    }
    assert!(checked >= 100 && features > 5_000, "{checked} tiles, {features} features");
}

fn kawasaki_state() -> Option<(tempfile::TempDir, AppState)> {
    let wards = common::shared_data("kawasaki/wards.geojson")?;
    let nurseries = common::shared_data("kawasaki/nurseries.geojson")?;
    let (dir, store) = common::temp_store();
    let options =
        sasaeai::import::AreaOptions { level: Some(sasaeai::model::AreaLevel::Ward), ..Default::default() };
    store.import_areas(sasaeai::import::areas(&std::fs::read(wards).unwrap(), &options).unwrap()).unwrap();
    let options = sasaeai::import::SiteOptions {
        kind: Some(sasaeai::model::SiteKind::Childcare),
        ..Default::default()
    };
    store
        .insert_sites(sasaeai::import::sites(&std::fs::read(nurseries).unwrap(), &options).unwrap())
        .unwrap();
    Some((dir, AppState::new(store, None).unwrap()))
}

#[tokio::test]
async fn kawasaki_tiles_follow_the_spec_at_every_zoom() {
    let Some((_d, s)) = kawasaki_state() else { return };
    let mut checked = 0;
    for z in [8u8, 10, 12, 14] {
        let (a, b) = (TileId::containing(139.45, 35.65, z), TileId::containing(139.84, 35.46, z));
        for x in a.x..=b.x {
            for y in a.y..=b.y {
                if let Some(bytes) = tile_bytes(&s, "base", TileId { z, x, y }).await {
                    let (_, problems) = check::decode_and_check(&bytes, BUFFER);
                    assert!(problems.is_empty(), "{z}/{x}/{y}: {problems:?}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 50, "{checked} tiles checked");
}

/// GDAL's MVT driver decodes our tile; its features and polygon areas equal ours clipped to the
/// tile.
#[tokio::test]
async fn gdal_decodes_our_tiles_with_the_same_features_and_areas() {
    if !common::has_tool("ogr2ogr", "gdal-bin") {
        return;
    }
    let Some((dir, s)) = kawasaki_state() else { return };
    // A z13 tile (full detail: no points thinned) across the border of 中原区 and 高津区.
    let t = TileId::containing(139.63, 35.58, 13);
    let bytes = tile_bytes(&s, "base", t).await.expect("the tile has features");
    let path = dir.path().join(format!("{}-{}-{}.pbf", t.z, t.x, t.y));
    std::fs::write(&path, &bytes).unwrap();
    // One GeoJSON file per layer: GDAL's GeoJSON writer holds a single layer.
    let decode = |layer: &str| -> Vec<serde_json::Value> {
        let out = dir.path().join(format!("{layer}.geojson"));
        let status = std::process::Command::new("ogr2ogr")
            .args(["-f", "GeoJSON", "-t_srs", "EPSG:4326"])
            .arg(&out)
            .arg(&path)
            .arg(layer)
            .status()
            .unwrap();
        assert!(status.success(), "ogr2ogr failed on layer {layer}");
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        json["features"].as_array().unwrap().clone()
    };
    let (gdal_ward_features, gdal_site_features) = (decode("areas_ward"), decode("sites"));
    let index = s.app.store.read();
    let bounds = t.bounds_lonlat();
    let window = t.buffered_bounds_lonlat(BUFFER, EXTENT);
    let bbox = sasaeai::model::BBox {
        min_lon: window.min().x,
        min_lat: window.min().y,
        max_lon: window.max().x,
        max_lat: window.max().y,
    };
    // Areas compared in tile units, inside the tile proper (GDAL crops to the tile by default).
    let tr = TileTransform::new(t, EXTENT);
    let tile_rect =
        geo::Rect::new(geo::coord! { x: 0., y: 0. }, geo::coord! { x: EXTENT as f64, y: EXTENT as f64 })
            .to_polygon();
    let wards: Vec<_> = index
        .areas_in(Some(sasaeai::model::AreaLevel::Ward), Some(&bbox))
        .into_iter()
        .filter(|w| w.geometry.map_coords(|c| tr.apply(c)).intersection(&tile_rect).unsigned_area() > 0.0)
        .collect();
    let gdal_wards: Vec<&serde_json::Value> = gdal_ward_features.iter().collect();
    assert!(wards.len() >= 2, "the tile holds a ward border");
    assert_eq!(gdal_wards.len(), wards.len(), "one ward feature per ward in the tile");
    for ward in wards {
        let ours = ward.geometry.map_coords(|c| tr.apply(c)).intersection(&tile_rect).unsigned_area();
        let theirs_f = gdal_wards
            .iter()
            .find(|f| f["properties"]["name"] == ward.name.as_str())
            .unwrap_or_else(|| panic!("{} missing", ward.name));
        let theirs: geo::Geometry<f64> =
            serde_json::from_value::<geojson::Geometry>(theirs_f["geometry"].clone())
                .unwrap()
                .try_into()
                .unwrap();
        let theirs = theirs.map_coords(|c| tr.apply(c));
        let theirs = match theirs {
            geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
            geo::Geometry::MultiPolygon(m) => m,
            other => panic!("GDAL gave {other:?}"),
        }
        .intersection(&tile_rect)
        .unsigned_area();
        // Within the grid: a unit of the 4096 grid along the boundary, and the 4-unit simplification.
        let tolerance = 0.01 * ours.max(1.0);
        assert!(
            (ours - theirs).abs() <= tolerance,
            "{}: ours {ours:.0} vs GDAL {theirs:.0} tile units²",
            ward.name
        );
    }
    let sites = index.sites_in(
        &[],
        Some(&sasaeai::model::BBox {
            min_lon: bounds.min().x,
            min_lat: bounds.min().y,
            max_lon: bounds.max().x,
            max_lat: bounds.max().y,
        }),
    );
    let gdal_sites = gdal_site_features.len();
    assert_eq!(gdal_sites, sites.len(), "every nursery in the tile");
}

#[tokio::test]
async fn decoded_demo_tiles_snapshot() {
    let (_d, store) = common::demo_store();
    let s = AppState::new(store, None).unwrap();
    for (set, t) in [
        ("base", TileId::containing(140.05, 34.636, 12)),
        ("base", TileId::containing(140.045, 34.64, 15)),
        ("network", TileId::containing(140.06, 34.63, 14)),
    ] {
        let bytes = tile_bytes(&s, set, t).await.unwrap();
        let (layers, problems) = check::decode_and_check(&bytes, BUFFER);
        assert!(problems.is_empty());
        insta::assert_snapshot!(format!("{set}_{}_{}_{}", t.z, t.x, t.y), check::to_text(&layers));
    }
}

#[tokio::test]
async fn an_edited_site_shows_in_its_tile_on_the_next_request() {
    let (_d, store) = common::demo_store();
    let s = AppState::new(store.clone(), Some(TOKEN.into())).unwrap();
    let site = store.read().sites_in(&[sasaeai::model::SiteKind::Cafe], None)[0].clone();
    let t = TileId::containing(site.data.location.x(), site.data.location.y(), 15);
    let path = format!("/tiles/base/{}/{}/{}.mvt", t.z, t.x, t.y);
    let before = get(&s, &path).await;
    let etag = before.headers["etag"].clone();
    let names = |body: &[u8]| -> Vec<String> {
        let (layers, _) = check::decode_and_check(body, BUFFER);
        layers
            .iter()
            .filter(|l| l.name == "sites")
            .flat_map(|l| l.features.iter())
            .flat_map(|f| f.properties.iter().filter(|(k, _)| k == "name").map(|(_, v)| v.clone()))
            .collect()
    };
    assert!(names(&before.body).contains(&format!("{:?}", site.data.name)));
    // A revalidation with the same ETag is a 304 while nothing changed.
    let mut req = axum::http::Request::get(&path)
        .header("if-none-match", etag.clone())
        .body(axum::body::Body::empty())
        .unwrap();
    req.headers_mut().insert("accept-encoding", "identity".parse().unwrap());
    use tower::ServiceExt;
    let r = sasaeai::http::app(s.clone()).oneshot(req).await.unwrap();
    assert_eq!(r.status(), 304);

    let renamed = serde_json::json!({"type":"Feature","geometry":{"type":"Point","coordinates":[site.data.location.x(), site.data.location.y()]},
        "properties":{"name":"カフェ・あたらしい名前","kind":"cafe"}});
    assert_eq!(
        send(&s, "PUT", &format!("/api/sites/{}", site.id), Some(TOKEN), renamed.to_string()).await.status,
        200
    );
    let after = get(&s, &path).await;
    assert_ne!(after.headers["etag"], etag, "a new version, a new ETag");
    let after_names = names(&after.body);
    assert!(after_names.contains(&"\"カフェ・あたらしい名前\"".to_owned()), "{after_names:?}");
    assert!(!after_names.contains(&format!("{:?}", site.data.name)));
}

/// ETags of every demo tile of `set` from zoom 13 to 16, in order.
async fn etags(s: &AppState, set: &str) -> Vec<(TileId, String)> {
    let mut out = Vec::new();
    for t in demo_tiles().into_iter().filter(|t| t.z >= 13) {
        let r = get(s, &format!("/tiles/{set}/{}/{}/{}.mvt", t.z, t.x, t.y)).await;
        out.push((t, r.headers["etag"].to_str().unwrap().to_owned()));
    }
    out
}

#[tokio::test]
async fn an_edit_renders_again_only_the_tiles_it_reaches_and_they_equal_a_fresh_render() {
    let (_d, store) = common::demo_store();
    let s = AppState::new(store.clone(), Some(TOKEN.into())).unwrap();
    let sets = ["base", "analysis", "population", "sites,catchments"];
    let mut before = Vec::new();
    for set in sets {
        before.push(etags(&s, set).await);
    }
    let tiles_asked: usize = before.iter().map(Vec::len).sum();
    let renders = s.tiles.renders();
    // A café at the town's western edge: inside the usual question's places to go.
    let (lon, lat) = (140.024, 34.64);
    let cafe = common::site_json("西のはずれのカフェ（架空）", "cafe", lon, lat);
    assert_eq!(send(&s, "POST", "/api/sites", Some(TOKEN), cafe).await.status, 201);
    let far = TileId::containing(140.078, 34.622, 16); // 5 km east
    for set in sets {
        let r = get(&s, &format!("/tiles/{set}/{}/{}/{}.mvt", far.z, far.x, far.y)).await;
        assert!(r.status.is_success(), "{set}: {}", r.status);
    }
    assert_eq!(s.tiles.renders(), renders, "tiles 5 km away stay cached");

    let fresh = AppState::new(store, None).unwrap(); // nothing cached: every tile rendered from the edit
    for (set, before) in sets.iter().zip(&before) {
        let (after, rendered) = (etags(&s, set).await, etags(&fresh, set).await);
        assert_eq!(after, rendered, "{set}: a kept tile differs from one rendered after the edit");
        let here = TileId::containing(lon, lat, 16);
        let changed = |t: TileId| before.iter().zip(&after).any(|((b, e0), (_, e1))| *b == t && e0 != e1);
        if *set != "population" {
            assert!(changed(here), "{set}: the tile with the new café");
        }
        assert!(!changed(far), "{set}: a tile 5 km away");
    }
    let rerendered = s.tiles.renders() - renders;
    println!("{rerendered} of {tiles_asked} tiles rendered again after the edit");
    assert!(rerendered > 0 && rerendered < tiles_asked as u64 / 2, "{rerendered} of {tiles_asked}");
    // Nothing changed since: every tile is a plain hit.
    let renders = s.tiles.renders();
    for set in sets {
        etags(&s, set).await;
    }
    assert_eq!(s.tiles.renders(), renders);
}

#[tokio::test]
async fn tile_requests_and_tilejson() {
    let (_d, store) = common::demo_store();
    let s = AppState::new(store, None).unwrap();
    let tj = get(&s, "/tiles/base.json").await.json();
    assert_eq!(tj["tilejson"], "3.0.0");
    let usual = "/tiles/base/{z}/{x}/{y}.mvt?kinds=cafe,engawa,kayoinoba&minutes=15&profile=elderly";
    assert!(tj["tiles"][0].as_str().unwrap().ends_with(usual), "the usual question, said: {}", tj["tiles"]);
    let ids: Vec<&str> =
        tj["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["areas_city", "areas_ward", "areas_sphere", "areas_district", "areas_chome", "area_labels", "sites"]
    );
    assert!(tj["attribution"].as_str().unwrap().contains("架空"));
    assert_eq!(tj["bounds"].as_array().unwrap().len(), 4);

    let t = TileId::containing(140.05, 34.636, 14);
    let mut req = axum::http::Request::get(format!("/tiles/base/{}/{}/{}.mvt", t.z, t.x, t.y))
        .body(axum::body::Body::empty())
        .unwrap();
    req.headers_mut().insert("accept-encoding", "gzip, br".parse().unwrap());
    use tower::ServiceExt;
    let r = sasaeai::http::app(s.clone()).oneshot(req).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(r.headers()["content-type"], "application/vnd.mapbox-vector-tile");
    assert_eq!(get(&s, "/tiles/base/14/0/0.mvt").await.status, 204, "an empty tile");
    get(&s, "/tiles/base/3/9/0.mvt").await.assert_problem(400, "does not exist at zoom 3");
    get(&s, "/tiles/base/30/0/0.mvt").await.assert_problem(400, "zoom 30");
    get(&s, "/tiles/roads/1/0/0.mvt").await.assert_problem(404, "unknown layer set");
    get(&s, "/tiles/base/1/0/0.png").await.assert_problem(400, "Y.mvt");
    assert_eq!(maptiles::resolve("sites,network").unwrap().layers.len(), 2);
}

/// The properties named `key` of the features of `layer` in a tile, as the checker prints them.
fn values_of(body: &[u8], layer: &str, key: &str) -> Vec<String> {
    let (layers, problems) = check::decode_and_check(body, BUFFER);
    assert!(problems.is_empty(), "{problems:?}");
    layers
        .iter()
        .filter(|l| l.name == layer)
        .flat_map(|l| l.features.iter())
        .flat_map(|f| f.properties.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()))
        .collect()
}

#[tokio::test]
async fn analysis_tiles_follow_the_question_asked() {
    let (_d, store) = common::demo_store();
    let s = AppState::new(store, None).unwrap();
    let t = TileId::containing(140.05, 34.636, 12);
    let tile = |set: &str, query: &str| format!("/tiles/{set}/{}/{}/{}.mvt{query}", t.z, t.x, t.y);
    let question = "?kinds=clinic&minutes=30&profile=standard";

    let asked = get(&s, &tile("analysis", question)).await;
    assert_eq!(asked.status, 200);
    assert_eq!(values_of(&asked.body, "catchments", "kind"), ["\"clinic\""]);
    assert_eq!(values_of(&asked.body, "catchments", "minutes"), ["30"]);
    assert_eq!(values_of(&asked.body, "catchments", "profile"), ["\"standard\""]);
    let usual = get(&s, &tile("analysis", "")).await;
    let mut kinds = values_of(&usual.body, "catchments", "kind");
    kinds.sort();
    assert_eq!(kinds, ["\"cafe\"", "\"engawa\"", "\"kayoinoba\""], "the places to go when nothing is asked");
    assert_eq!(values_of(&usual.body, "catchments", "minutes")[0], "15");

    // The areas' coverage figures are the coverage table's for the same question.
    let base = get(&s, &tile("base", question)).await;
    let (layers, _) = check::decode_and_check(&base.body, BUFFER);
    let table = get(&s, &format!("/api/coverage?level=district&{}", &question[1..])).await.json();
    let districts = layers.iter().find(|l| l.name == "areas_district").unwrap();
    assert!(!districts.features.is_empty());
    for f in &districts.features {
        let prop = |k: &str| f.properties.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let id: i64 = prop("id").unwrap().parse().unwrap();
        let row = table["rows"].as_array().unwrap().iter().find(|r| r["area_id"] == id).unwrap();
        let shown: Option<f64> = prop("covered65_pct").map(|v| v.parse().unwrap());
        assert_eq!(shown, row["covered65_pct"].as_f64(), "district {id}");
    }
    let usual_base = get(&s, &tile("base", "")).await;
    assert_ne!(usual_base.headers["etag"], base.headers["etag"], "another question, another tile");

    // One question has one tile, however it is spelt; sets without an analysis ignore it.
    let spelt = get(&s, &tile("analysis", "?minutes=30&kinds=clinic,clinic&profile=standard")).await;
    assert_eq!(spelt.headers["etag"], asked.headers["etag"]);
    let explicit =
        get(&s, &tile("analysis", "?kinds=kayoinoba,cafe,engawa&minutes=15&profile=elderly")).await;
    assert_eq!(explicit.headers["etag"], usual.headers["etag"]);
    let n = TileId::containing(140.05, 34.636, 14);
    let network = |q: &str| format!("/tiles/network/{}/{}/{}.mvt{q}", n.z, n.x, n.y);
    assert_eq!(
        get(&s, &network(question)).await.headers["etag"],
        get(&s, &network("")).await.headers["etag"]
    );

    get(&s, &tile("analysis", "?minutes=0")).await.assert_problem(400, "minutes");
    get(&s, &tile("analysis", "?minutes=61")).await.assert_problem(400, "minutes");
    get(&s, &tile("analysis", "?profile=runner")).await.assert_problem(400, "runner");
    get(&s, &tile("analysis", "?kinds=spaceship")).await.assert_problem(400, "kinds");

    // TileJSON hands the question on in its tile URLs, and says which question it is.
    let tj = get(&s, "/tiles/analysis.json?minutes=30&kinds=clinic").await.json();
    assert!(
        tj["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("/tiles/analysis/{z}/{x}/{y}.mvt?kinds=clinic&minutes=30&profile=elderly"),
        "{}",
        tj["tiles"]
    );
    assert_eq!(tj["question"]["minutes"], 30.0);
    let plain = get(&s, "/tiles/network.json?minutes=30").await.json();
    assert!(plain["tiles"][0].as_str().unwrap().ends_with(".mvt"));
    assert!(plain.get("question").is_none());
}

/// The style document: MapLibre's own validator (`gl-style-validate` from the style-spec package
/// the page's MapLibre pins) accepts it; each layer draws a layer its set's TileJSON lists; tile URLs
/// are absolute and ask the question; the kinds' colours are those `/api/meta` gives the page.
#[tokio::test]
async fn the_style_document_validates_and_draws_what_the_tiles_hold() {
    let (_d, store) = common::demo_store();
    let s = AppState::new(store, None).unwrap();
    let request = axum::http::Request::get("/styles/sasaeai.json?minutes=30&kinds=clinic")
        .header("host", "gis.example:8080")
        .body(axum::body::Body::empty())
        .unwrap();
    use tower::ServiceExt;
    let response = sasaeai::http::app(s.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["vary"], "host");
    let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let style: serde_json::Value = serde_json::from_slice(&body).unwrap();

    let sources = style["sources"].as_object().unwrap();
    for (set, source) in sources {
        let url = source["tiles"][0].as_str().unwrap();
        assert!(
            url.starts_with(&format!("http://gis.example:8080/tiles/{set}/{{z}}/{{x}}/{{y}}.mvt")),
            "{url}"
        );
        let asks = ["base", "analysis"].contains(&set.as_str());
        assert_eq!(url.ends_with("?kinds=clinic&minutes=30&profile=elderly"), asks, "{url}");
        let tilejson = get(&s, &format!("/tiles/{set}.json")).await.json();
        let held: Vec<&str> =
            tilejson["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
        for layer in style["layers"].as_array().unwrap().iter().filter(|l| l["source"] == set.as_str()) {
            let source_layer = layer["source-layer"].as_str().unwrap();
            assert!(held.contains(&source_layer), "{} draws {source_layer}, not in {set}", layer["id"]);
        }
    }
    let meta = get(&s, "/api/meta").await.json();
    for kind in meta["kinds"].as_array().unwrap() {
        assert_eq!(style["metadata"]["sasaeai:kind_colours"][kind["id"].as_str().unwrap()], kind["colour"]);
    }
    get(&s, "/styles/other.json").await.assert_problem(404, "sasaeai.json");
    get(&s, "/styles/sasaeai.json?minutes=90").await.assert_problem(400, "minutes");

    assert_valid_style(&body);
}

/// `style` as MapLibre's own validator judges it (skipped without node and the npm packages,
/// except in CI).
fn assert_valid_style(style: &[u8]) {
    let validator =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/node_modules/.bin/gl-style-validate");
    if !validator.exists() || !common::has_tool("node", "nodejs") {
        assert!(std::env::var_os("CI").is_none(), "gl-style-validate needs npm ci --prefix web and node");
        eprintln!("SKIPPED: gl-style-validate is not installed");
        return;
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), style).unwrap();
    let out = std::process::Command::new("node").arg(&validator).arg(file.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Without a background map the style asks nothing of any server but this one; with one (地理院タイル
/// here) it is drawn first under every layer of ours, with its attribution, the city's fill letting it
/// show through — and MapLibre's validator accepts that style too.
#[tokio::test]
async fn a_configured_background_map_is_drawn_under_everything_with_its_attribution() {
    let (_d, store) = common::demo_store();
    let plain = AppState::new(store.clone(), None).unwrap();
    let style = get(&plain, "/styles/sasaeai.json").await.json();
    assert!(style["sources"].as_object().unwrap().values().all(|s| s["type"] == "vector"));

    let background = sasaeai::config::Background {
        tiles: "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png".into(),
        attribution: "地理院タイル（淡色地図）".into(),
        tile_size: 256,
        maxzoom: 18,
    };
    let options = sasaeai::http::ServerOptions { background: Some(background), ..Default::default() };
    let s = AppState::with_options(store, options).unwrap();
    let reply = get(&s, "/styles/sasaeai.json").await;
    let style = reply.json();
    let source = &style["sources"]["background-map"];
    assert_eq!(source["type"], "raster");
    assert_eq!(source["tiles"][0], "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png");
    assert_eq!(source["attribution"], "地理院タイル（淡色地図）");
    let layers = style["layers"].as_array().unwrap();
    assert_eq!(layers[0]["type"], "background");
    assert_eq!(layers[1]["source"], "background-map", "drawn before every layer of ours");
    let city = layers.iter().find(|l| l["id"] == "areas-city-fill").unwrap();
    assert!(city["paint"]["fill-opacity"].as_f64().unwrap() < 0.5);
    assert_valid_style(style.to_string().as_bytes());
}

/// The polygons of `layer` in a decoded tile, in tile units: each exterior ring (clockwise on
/// screen) with the holes that follow it.
fn tile_polygons(layers: &[check::Layer], layer: &str) -> geo::MultiPolygon<f64> {
    let mut polygons: Vec<geo::Polygon<f64>> = Vec::new();
    for f in layers.iter().filter(|l| l.name == layer).flat_map(|l| &l.features) {
        for ring in &f.parts {
            let line: geo::LineString<f64> = ring.iter().map(|&(x, y)| (x as f64, y as f64)).collect();
            // Clockwise on screen (y down) is counter-clockwise in these numbers' own plane.
            let exterior = geo::Polygon::new(line.clone(), vec![]).signed_area() < 0.0;
            match polygons.last_mut() {
                Some(p) if !exterior => p.interiors_push(line),
                _ => polygons.push(geo::Polygon::new(line, vec![])),
            }
        }
    }
    geo::MultiPolygon(polygons)
}

/// A tile asking another question draws other catchments, and they are the `/api/catchments`
/// answer for that question (dissolved), cut to the tile: areas equal within the grid and the
/// simplification.
#[tokio::test]
async fn a_tile_for_another_question_draws_the_catchments_the_api_gives_for_it() {
    let (_d, store) = common::demo_store();
    let s = AppState::new(store, None).unwrap();
    let t = TileId::containing(140.05, 34.636, 13);
    let tile = |query: &str| format!("/tiles/analysis/{}/{}/{}.mvt{query}", t.z, t.x, t.y);
    let tr = TileTransform::new(t, EXTENT);
    let tile_rect =
        geo::Rect::new(geo::coord! { x: 0., y: 0. }, geo::coord! { x: EXTENT as f64, y: EXTENT as f64 })
            .to_polygon();
    let drawn = |bytes: &[u8]| {
        let (layers, problems) = check::decode_and_check(bytes, BUFFER);
        assert!(problems.is_empty(), "{problems:?}");
        tile_polygons(&layers, "catchments").intersection(&tile_rect).unsigned_area()
    };
    let asked = get(&s, &tile("?kinds=clinic&minutes=30&profile=standard")).await;
    let usual = get(&s, &tile("")).await;
    let (asked_area, usual_area) = (drawn(&asked.body), drawn(&usual.body));

    let api = get(&s, "/api/catchments?kind=clinic&minutes=30&profile=standard&dissolve=true").await.json();
    let geometry: geo::Geometry<f64> =
        serde_json::from_value::<geojson::Geometry>(api["features"][0]["geometry"].clone())
            .unwrap()
            .try_into()
            .unwrap();
    let expected = geometry.map_coords(|c| tr.apply(c));
    let expected = match expected {
        geo::Geometry::MultiPolygon(m) => m,
        geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
        other => panic!("{other:?}"),
    }
    .intersection(&tile_rect)
    .unsigned_area();
    assert!(expected > 0.05 * (EXTENT as f64).powi(2), "the catchments cover some of the tile: {expected}");
    assert!(
        (asked_area - expected).abs() <= 0.01 * expected,
        "tile {asked_area:.0} vs API {expected:.0} units²"
    );
    assert!((asked_area - usual_area).abs() > 0.01 * expected, "another question, other catchments");
}
