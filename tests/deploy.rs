//! One file to deploy: the binary alone, copied into an empty folder, serves the demo, the map
//! page, MapLibre and terra-draw — the same bytes as `web/` — with nothing beside it.

mod common;

use std::path::Path;

/// The files the page loads, and where they are in `web/`.
const SERVED: [(&str, &str); 5] = [
    ("/web/app.js", "app.js"),
    ("/web/style.css", "style.css"),
    ("/vendor/maplibre-gl/maplibre-gl.mjs", "node_modules/maplibre-gl/dist/maplibre-gl.mjs"),
    ("/vendor/maplibre-gl/maplibre-gl-worker.mjs", "node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs"),
    ("/vendor/terra-draw/terra-draw.modern.js", "node_modules/terra-draw/dist/terra-draw.modern.js"),
];

#[test]
fn the_binary_alone_serves_the_demo_and_its_pages_from_an_empty_folder() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    if !web.join("node_modules/maplibre-gl").exists() {
        assert!(std::env::var_os("CI").is_none(), "npm ci --prefix web must run before the tests");
        eprintln!("SKIPPED: the npm packages are not installed");
        return;
    }
    let folder = tempfile::tempdir().unwrap();
    let binary = folder.path().join("sasaeai");
    std::fs::copy(env!("CARGO_BIN_EXE_sasaeai"), &binary).unwrap();
    let mut command = std::process::Command::new(&binary);
    command
        .args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(folder.path())
        .env_remove("SASAEAI_WEB")
        .env_remove("SASAEAI_GEODATA");
    let server = common::Server::spawn(command);

    let page = ureq::get(format!("{}/", server.base)).call().unwrap().body_mut().read_to_string().unwrap();
    assert!(page.contains("/web/app.js"), "the map page: {page}");
    for (url, file) in SERVED {
        let mut answer = ureq::get(format!("{}{url}", server.base)).call().unwrap();
        let etag = answer.headers().get("etag").expect("built-in files carry an ETag").clone();
        let bytes = answer.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap();
        assert!(bytes == std::fs::read(web.join(file)).unwrap(), "{url} is {file}");
        let again = ureq::get(format!("{}{url}", server.base)).header("if-none-match", etag).call().unwrap();
        assert_eq!(again.status(), 304, "{url} revalidates");
    }
    let meta =
        ureq::get(format!("{}/api/meta", server.base)).call().unwrap().body_mut().read_to_string().unwrap();
    let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
    assert_eq!(meta["dataset"]["fictional"], true, "the demo, made where it runs");
    assert!(folder.path().join("geodata/demo.gpkg").exists());
    let hidden = ureq::get(format!("{}/web/package.json", server.base)).call().unwrap_err();
    assert!(matches!(hidden, ureq::Error::StatusCode(404)), "{hidden}");
}
