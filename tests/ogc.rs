//! OGC API – Features as GDAL's OAPIF driver (what QGIS uses) reads it: the collections listed,
//! every feature read once through the pages, the same features as the API's lists, bbox equal to a
//! brute-force filter, and pages for people.

mod common;

use common::Server;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

/// `path` on the server at `base` (or an absolute link as it is).
fn get(base: &str, path: &str) -> Value {
    let url = if path.starts_with("http") { path.to_owned() } else { format!("{base}{path}") };
    let text = ureq::get(url).call().unwrap().body_mut().read_to_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every feature of a paged list, following its `next` links from `first`.
fn every_page(base: &str, first: &str) -> Vec<Value> {
    let (mut features, mut next) = (Vec::new(), Some(first.to_owned()));
    while let Some(path) = next.take() {
        let page = get(base, &path);
        features.extend(page["features"].as_array().unwrap().iter().cloned());
        let links = page["links"].as_array().unwrap();
        next = links.iter().find(|l| l["rel"] == "next").map(|l| l["href"].as_str().unwrap().to_owned());
    }
    features
}

/// Every feature of an API list, following its `next` links: id → properties.name.
fn all_by_api(base: &str, first: &str) -> BTreeMap<i64, Value> {
    let mut out = BTreeMap::new();
    for f in every_page(base, first) {
        assert!(
            out.insert(f["id"].as_i64().unwrap(), f["properties"]["name"].clone()).is_none(),
            "twice: {f}"
        );
    }
    out
}

/// The `key` figure of each row of an API table, by its area's id.
fn rows_by_area(table: &Value, key: &str) -> BTreeMap<i64, Value> {
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["area_id"].as_i64().unwrap(), r[key].clone()))
        .collect()
}

/// The collection `layer` of the OGC API at `url` as GDAL reads it, `page_size` features a request.
fn gdal_read(url: &str, layer: &str, page_size: usize, dir: &std::path::Path) -> Value {
    let out = dir.join(format!("{layer}.geojson"));
    let status = Command::new("ogr2ogr")
        .args(["-f", "GeoJSON", "-oo", &format!("PAGE_SIZE={page_size}")])
        .arg(&out)
        .args([url, layer])
        .status()
        .unwrap();
    assert!(status.success(), "ogr2ogr {layer}");
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

#[test]
fn gdal_reads_every_collection_page_by_page_as_the_api_lists_it() {
    if !common::has_tool("ogr2ogr", "gdal-bin") {
        return;
    }
    let (dir, server) = Server::on_demo();
    let base = &server.base;
    let url = format!("OAPIF:{base}/ogc");
    let info = Command::new("ogrinfo").args(["-ro", "-q", &url]).output().unwrap();
    let listed = String::from_utf8_lossy(&info.stdout);
    assert!(info.status.success(), "{}", String::from_utf8_lossy(&info.stderr));
    for layer in ["areas", "sites", "population", "coverage", "gaps", "catchments"] {
        assert!(listed.contains(layer), "{layer} listed: {listed}");
    }
    // The analyses, read by GDAL page by page, are the API's tables: each district's coverage and
    // each gap, figure for figure.
    let table = get(base, "/api/coverage?level=district");
    let gaps = get(base, "/api/gaps?level=district");
    for (layer, expected) in [
        ("coverage", rows_by_area(&table, "covered65_pct")),
        (
            "gaps",
            gaps["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["id"].as_i64().unwrap(), f["properties"]["uncovered65"].clone()))
                .collect(),
        ),
    ] {
        let read = gdal_read(&url, layer, 3, dir.path());
        let figure = if layer == "coverage" { "covered65_pct" } else { "uncovered65" };
        let by_gdal: BTreeMap<i64, Value> = read["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["properties"]["area_id"].as_i64().unwrap(), f["properties"][figure].clone()))
            .collect();
        assert!(expected.len() >= 8, "{layer}: {expected:?}");
        assert_eq!(by_gdal, expected, "{layer} read by GDAL");
    }
    // Another question, asked in the query, is the coverage table's for it.
    let asked = get(base, "/ogc/collections/coverage/items?kinds=clinic&minutes=30&level=sphere");
    let table = get(base, "/api/coverage?kinds=clinic&minutes=30&level=sphere");
    let ours: Vec<&Value> =
        asked["features"].as_array().unwrap().iter().map(|f| &f["properties"]["covered65"]).collect();
    let theirs: Vec<&Value> = table["rows"].as_array().unwrap().iter().map(|r| &r["covered65"]).collect();
    assert_eq!(ours, theirs);
    let one = get(base, &format!("/ogc/collections/gaps/items/{}", gaps["features"][0]["id"]));
    assert_eq!(one["properties"], gaps["features"][0]["properties"]);
    // Catchments of a question, read by GDAL page by page: the API's, site by site.
    let api = get(base, "/api/catchments?kind=cafe,engawa,kayoinoba");
    let read = gdal_read(&url, "catchments", 4, dir.path());
    let areas = |c: &Value| -> BTreeMap<i64, Value> {
        let features = c["features"].as_array().unwrap().iter();
        features
            .map(|f| (f["properties"]["site_id"].as_i64().unwrap(), f["properties"]["area_m2"].clone()))
            .collect()
    };
    assert!(areas(&api).len() >= 5);
    assert_eq!(areas(&read), areas(&api));
    let some_site = api["features"][0]["properties"]["site_id"].as_i64().unwrap();
    let one = get(base, &format!("/ogc/collections/catchments/items/{some_site}?minutes=15"));
    assert_eq!(one["properties"]["area_m2"], api["features"][0]["properties"]["area_m2"]);
    let far = get(base, "/ogc/collections/catchments/items?bbox=0,0,1,1");
    assert_eq!(far["numberReturned"], 0, "no catchment reaches a box far away");
    let site = &get(base, &format!("/api/sites/{some_site}"))["geometry"]["coordinates"];
    let (lon, lat) = (site[0].as_f64().unwrap(), site[1].as_f64().unwrap());
    let near = get(
        base,
        &format!(
            "/ogc/collections/catchments/items?bbox={},{},{},{}",
            lon - 1e-4,
            lat - 1e-4,
            lon + 1e-4,
            lat + 1e-4
        ),
    );
    let ids: Vec<i64> =
        near["features"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&some_site) && ids.len() < areas(&api).len(), "{ids:?}");
    for (layer, api) in [
        ("sites", "/api/sites?limit=13"),
        ("areas", "/api/areas?limit=5"),
        ("population", "/api/population?limit=200"),
    ] {
        let read = gdal_read(&url, layer, 7, dir.path());
        let features = read["features"].as_array().unwrap();
        let by_gdal: BTreeMap<i64, Value> = features
            .iter()
            .map(|f| {
                (
                    f["properties"]["id"].as_i64().or(f["id"].as_i64()).unwrap(),
                    f["properties"]["name"].clone(),
                )
            })
            .collect();
        assert_eq!(by_gdal.len(), features.len(), "{layer}: every feature once through the pages");
        assert_eq!(by_gdal, all_by_api(base, api), "{layer}: the API's features");
        println!("{layer}: {} features read by GDAL in pages of 7", features.len());
    }

    // bbox = a brute-force filter of every site.
    let all = get(base, "/api/sites");
    let (w, s, e, n) = (140.03, 34.62, 140.05, 34.64);
    let expected: Vec<i64> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let c = &f["geometry"]["coordinates"];
            let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            (w..=e).contains(&x) && (s..=n).contains(&y)
        })
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert!(!expected.is_empty());
    let inside = all_by_api(base, &format!("/ogc/collections/sites/items?bbox={w},{s},{e},{n}&limit=3"));
    assert_eq!(inside.keys().copied().collect::<Vec<_>>(), expected);

    // The extent is the box around every site.
    let coords: Vec<(f64, f64)> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["geometry"]["coordinates"][0].as_f64().unwrap(),
                f["geometry"]["coordinates"][1].as_f64().unwrap(),
            )
        })
        .collect();
    let fold = |pick: fn(&(f64, f64)) -> f64, min: bool| {
        coords
            .iter()
            .map(pick)
            .fold(if min { f64::MAX } else { f64::MIN }, if min { f64::min } else { f64::max })
    };
    let brute = [fold(|c| c.0, true), fold(|c| c.1, true), fold(|c| c.0, false), fold(|c| c.1, false)];
    let extent = get(base, "/ogc/collections/sites")["extent"]["spatial"]["bbox"][0].clone();
    for (got, want) in extent.as_array().unwrap().iter().zip(brute) {
        assert!((got.as_f64().unwrap() - want).abs() < 1e-6, "{extent} vs {brute:?}");
    }

    let one = get(base, &format!("/ogc/collections/sites/items/{}", expected[0]));
    assert_eq!(one["id"], expected[0]);
    let landing = get(base, "/ogc/conformance");
    assert!(landing["conformsTo"].to_string().contains("conf/geojson"));
    let problem = ureq::get(format!("{base}/ogc/collections/sites/items?level=ward")).call().unwrap_err();
    assert!(problem.to_string().contains("400"), "{problem}");

    // People get pages: by f=html, or as a browser asks.
    let page = |url: String, accept: &str| {
        let mut r = ureq::get(url).header("accept", accept).call().unwrap();
        (
            r.headers().get("content-type").unwrap().to_str().unwrap().to_owned(),
            r.body_mut().read_to_string().unwrap(),
        )
    };
    let (kind, html) = page(format!("{base}/ogc/collections?f=html"), "*/*");
    assert!(kind.starts_with("text/html") && html.contains("施設・活動の場"), "{html}");
    assert!(html.contains(&format!(r#"href="{base}/ogc/collections/sites?f=html""#)), "{html}");
    let (kind, _) = page(format!("{base}/ogc"), "text/html,application/xhtml+xml");
    assert!(kind.starts_with("text/html"));
    let (kind, _) = page(format!("{base}/ogc"), "application/json");
    assert!(kind.starts_with("application/json"));
    let problem = ureq::get(format!("{base}/ogc?f=xml")).call().unwrap_err();
    assert!(problem.to_string().contains("400"), "{problem}");

    // Items as pages too: a table of one page of features, each linking to its own page, and the next.
    let (kind, html) = page(format!("{base}/ogc/collections/sites/items?limit=5&f=html"), "*/*");
    assert!(kind.starts_with("text/html"), "{kind}");
    assert_eq!(html.matches("<tr>").count(), 6, "a header and five sites: {html}");
    let first = &get(base, "/ogc/collections/sites/items?limit=5")["features"][0];
    assert!(html.contains(&format!(r#"href="items/{}?f=html""#, first["id"])), "{html}");
    assert!(html.contains(first["properties"]["name"].as_str().unwrap()), "{html}");
    let next =
        html.split(r#"rel="next" href=""#).nth(1).and_then(|t| t.split('"').next()).expect("a next link");
    let next = next.replace("&amp;", "&");
    assert_eq!(next.matches("f=html").count(), 1, "{next}");
    let (_, second) = page(next, "*/*");
    assert_eq!(second.matches("<tr>").count(), 6, "{second}");
    let (kind, one) = page(format!("{base}/ogc/collections/sites/items/{}", first["id"]), "text/html");
    assert!(
        kind.starts_with("text/html") && one.contains(first["properties"]["name"].as_str().unwrap()),
        "{one}"
    );
    let (kind, _) = page(format!("{base}/ogc/collections/sites/items?limit=5"), "application/geo+json");
    assert!(kind.starts_with("application/geo+json"), "{kind}");
}

/// `url`'s answer: status, `Content-Crs`, and the body as JSON.
fn get_crs(url: &str) -> (u16, Option<String>, Value) {
    let mut reply = ureq::get(url).config().http_status_as_error(false).build().call().unwrap();
    let content_crs = reply.headers().get("content-crs").map(|v| v.to_str().unwrap().to_owned());
    let body = serde_json::from_str(&reply.body_mut().read_to_string().unwrap()).unwrap();
    (reply.status().as_u16(), content_crs, body)
}

/// Every position of `geometry` with its first two numbers swapped.
fn swapped(coordinates: &Value) -> Value {
    match coordinates.as_array() {
        Some(items) if items.first().is_some_and(Value::is_number) => {
            Value::Array([&items[1], &items[0]].into_iter().chain(&items[2..]).cloned().collect())
        }
        Some(items) => Value::Array(items.iter().map(swapped).collect()),
        None => coordinates.clone(),
    }
}

#[test]
fn items_in_epsg_4326_or_jgd2011_are_latitude_first_and_bbox_crs_is_read_in_its_own_order() {
    let (_dir, server) = Server::on_demo();
    let base = &server.base;
    let collections = get(base, "/ogc/collections");
    let offered = collections["crs"].as_array().unwrap();
    assert_eq!(offered.len(), 3, "{offered:?}");
    for c in collections["collections"].as_array().unwrap() {
        assert_eq!(&c["crs"], &collections["crs"]);
        assert_eq!(c["storageCrs"], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
    }
    let conformance = get(base, "/ogc/conformance");
    assert!(
        conformance["conformsTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("features-2"))
    );

    let crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
    for (collection, uri) in [
        ("sites", "http://www.opengis.net/def/crs/EPSG/0/6668"),
        ("areas", "http://www.opengis.net/def/crs/EPSG/0/4326"),
        ("population", "http://www.opengis.net/def/crs/EPSG/0/6668"),
    ] {
        let items = format!("{base}/ogc/collections/{collection}/items?limit=40");
        let (status, said, lon_lat) = get_crs(&items);
        assert_eq!((status, said.as_deref()), (200, Some(format!("<{crs84}>").as_str())));
        let (status, said, lat_lon) = get_crs(&format!("{items}&crs={uri}"));
        assert_eq!((status, said), (200, Some(format!("<{uri}>"))));
        let (a, b) = (lon_lat["features"].as_array().unwrap(), lat_lon["features"].as_array().unwrap());
        assert_eq!(a.len(), b.len());
        for (a, b) in a.iter().zip(b) {
            assert_eq!(a["properties"], b["properties"]);
            assert_eq!(swapped(&a["geometry"]["coordinates"]), b["geometry"]["coordinates"], "{collection}");
        }
        // One feature by id, in the same system.
        let id = &a[0]["id"];
        let (_, said, one) = get_crs(&format!("{base}/ogc/collections/{collection}/items/{id}?crs={uri}"));
        assert_eq!(said, Some(format!("<{uri}>")));
        assert_eq!(one["geometry"], b[0]["geometry"]);
    }

    // The same box, in CRS84 and latitude first: the same sites.
    let ids = |body: &Value| -> Vec<i64> {
        body["features"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect()
    };
    let sites = format!("{base}/ogc/collections/sites/items");
    let (_, _, in_lon_lat) = get_crs(&format!("{sites}?bbox=139.99,34.60,140.06,34.65"));
    let jgd = "http://www.opengis.net/def/crs/EPSG/0/6668";
    let (_, _, in_lat_lon) = get_crs(&format!("{sites}?bbox=34.60,139.99,34.65,140.06&bbox-crs={jgd}"));
    assert!(!ids(&in_lon_lat).is_empty());
    assert_eq!(ids(&in_lon_lat), ids(&in_lat_lon));

    // A system not offered is a 400 naming the parameter and what is offered.
    for asked in ["crs=http://www.opengis.net/def/crs/EPSG/0/6677", "bbox-crs=EPSG:6668&bbox=1,2,3,4"] {
        let (status, _, problem) = get_crs(&format!("{sites}?{asked}"));
        assert_eq!(status, 400, "{asked}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("crs") && detail.contains("EPSG/0/6668"), "{detail}");
    }
}

/// Layer `layer` of the file `path` as GDAL reads it, as GeoJSON.
fn gdal_layer(path: &std::path::Path, layer: &str) -> Value {
    let out =
        Command::new("ogr2ogr").args(["-f", "GeoJSON", "/vsistdout/"]).arg(path).arg(layer).output().unwrap();
    assert!(out.status.success(), "{layer}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_analysis_geopackage_holds_what_the_api_answers_for_its_question() {
    if !common::has_tool("ogr2ogr", "gdal-bin") {
        return;
    }
    let (dir, server) = Server::on_demo();
    let base = &server.base;
    let question = "kinds=clinic,cafe&minutes=20&profile=standard&level=district";
    let mut reply = ureq::get(format!("{base}/api/export/analysis.gpkg?{question}")).call().unwrap();
    assert_eq!(reply.headers()["content-type"], "application/geopackage+sqlite3");
    let file = dir.path().join("analysis.gpkg");
    std::fs::write(&file, reply.body_mut().read_to_vec().unwrap()).unwrap();

    let table = get(base, &format!("/api/coverage?{question}"));
    let coverage = gdal_layer(&file, "coverage");
    let by_area = |features: &Value, key: &str| -> BTreeMap<i64, Value> {
        features["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["properties"]["area_id"].as_i64().unwrap(), f["properties"][key].clone()))
            .collect()
    };
    let expected = rows_by_area(&table, "covered65_pct");
    assert_eq!(by_area(&coverage, "covered65_pct"), expected);

    let gaps = get(base, &format!("/api/gaps?{question}"));
    assert_eq!(by_area(&gdal_layer(&file, "gaps"), "uncovered65"), by_area(&gaps, "uncovered65"));

    let catchments = get(base, "/api/catchments?kind=clinic,cafe&minutes=20&profile=standard");
    let site_ids = |features: &Value| -> Vec<i64> {
        features["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["site_id"].as_i64().unwrap())
            .collect()
    };
    let in_file = gdal_layer(&file, "catchments");
    assert!(!site_ids(&catchments).is_empty());
    assert_eq!(site_ids(&in_file), site_ids(&catchments));
    for (a, b) in
        in_file["features"].as_array().unwrap().iter().zip(catchments["features"].as_array().unwrap())
    {
        assert_eq!(a["properties"]["area_m2"], b["properties"]["area_m2"]);
        assert_eq!(a["properties"]["minutes"], 20.0);
    }

    let about = Command::new("ogrinfo").args(["-ro", "-q"]).arg(&file).arg("about").output().unwrap();
    let about = String::from_utf8_lossy(&about.stdout);
    for said in ["clinic,cafe", "standard", "district", "架空"] {
        assert!(about.contains(said), "{said} in {about}");
    }
}

/// The support maps' aggregates as an OGC collection are exactly what `/api/support-overlays` shows
/// everyone, area by area (the leak matrix asks every collection as every caller too).
#[test]
fn support_overlays_as_a_collection_are_the_public_aggregates_area_by_area() {
    let (_dir, server) = Server::on_demo();
    let base = &server.base;
    for level in ["district", "sphere"] {
        let table = get(base, &format!("/api/support-overlays?level={level}"));
        let expected = rows_by_area(&table, "values");
        let mut read = BTreeMap::new();
        for f in every_page(base, &format!("/ogc/collections/support_overlays/items?level={level}&limit=3")) {
            assert!(f["geometry"]["type"] == "MultiPolygon");
            let mut values = f["properties"].as_object().unwrap().clone();
            for key in ["area_id", "name", "parent_id", "level"] {
                values.remove(key);
            }
            assert!(read.insert(f["id"].as_i64().unwrap(), Value::Object(values)).is_none(), "once");
        }
        assert!(!expected.is_empty());
        assert_eq!(read, expected, "{level}");
    }
}

/// The karte's indicators as an OGC collection: each area's public figures of a year, equal to
/// `/api/indicators` for everyone; the year by `year=` or `datetime=` (the leak matrix checks that
/// no staff-only figure comes out of any collection).
#[test]
fn indicators_as_a_collection_are_the_public_table_of_the_year_asked() {
    let (_dir, server) = Server::on_demo();
    let base = &server.base;
    let table = get(base, "/api/indicators?level=district");
    let year = table["year"].as_i64().expect("the demo has a population year");
    let expected = rows_by_area(&table, "values");
    for asked in ["", "&year=YEAR", "&datetime=YEAR", "&datetime=YEAR-04-01T00:00:00Z"] {
        let asked = asked.replace("YEAR", &year.to_string());
        let page = get(base, &format!("/ogc/collections/indicators/items?level=district{asked}"));
        let read: BTreeMap<i64, Value> = page["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                assert_eq!(f["properties"]["year"], year);
                let mut values = f["properties"].as_object().unwrap().clone();
                for key in ["area_id", "name", "code", "level", "year"] {
                    values.remove(key);
                }
                (f["id"].as_i64().unwrap(), Value::Object(values))
            })
            .collect();
        assert!(!read.is_empty());
        assert_eq!(read, expected, "{asked}");
    }
    let (status, _, problem) =
        get_crs(&format!("{base}/ogc/collections/indicators/items?datetime=2020/2024"));
    assert_eq!(status, 400);
    assert!(problem["detail"].as_str().unwrap().contains("datetime"), "{problem}");
    let (status, _, problem) = get_crs(&format!("{base}/ogc/collections/sites/items?year={year}"));
    assert_eq!(status, 400, "a year means nothing to sites");
    assert!(problem["detail"].as_str().unwrap().contains("indicators"), "{problem}");
}

/// QGIS's own provider (Debian's qgis and python3-qgis, headless) reads every collection through
/// its pages: the same features, each once, as the API lists.
#[test]
fn qgis_reads_every_collection_as_the_api_lists_it() {
    let has_pyqgis =
        Command::new("/usr/bin/python3").args(["-c", "import qgis.core"]).status().is_ok_and(|s| s.success());
    if !has_pyqgis {
        assert!(
            std::env::var_os("CI").is_none(),
            "PyQGIS is missing; install Debian's qgis and python3-qgis"
        );
        eprintln!("SKIPPED: PyQGIS is not installed (Debian's qgis and python3-qgis)");
        return;
    }
    let (_dir, server) = Server::on_demo();
    let base = &server.base;
    let collections =
        ["areas", "sites", "population", "coverage", "gaps", "support_overlays", "indicators", "catchments"];
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/qgis_read.py");
    let out = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(format!("{base}/ogc"))
        .args(collections)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    for c in collections {
        let layer = &read[c];
        assert_eq!(layer["valid"], true, "{c}");
        assert_eq!(layer["crs"], "EPSG:4326", "{c}");
        let features = every_page(base, &format!("/ogc/collections/{c}/items?limit=50"));
        let mut ids: Vec<i64> = features.iter().map(|f| f["id"].as_i64().unwrap()).collect();
        ids.sort();
        assert!(!ids.is_empty(), "{c}");
        assert_eq!(layer["ids"], serde_json::json!(ids), "{c}: the features QGIS read");
    }
}
