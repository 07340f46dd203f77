//! The web map in a real browser: Debian's Chromium, driven by playwright-core, opens the page
//! served by the real server on the demo data (see `web/tests/map.test.mjs` for what it checks).

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn map_page_renders_sites_and_areas_and_shows_a_catchment_on_click() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    if !common::has_tool("chromium", "chromium") || !common::has_tool("node", "nodejs") {
        return;
    }
    let installed =
        web.join("node_modules/playwright-core").exists() && web.join("node_modules/maplibre-gl").exists();
    if !installed {
        assert!(std::env::var_os("CI").is_none(), "web/node_modules is missing: run npm ci --prefix web");
        eprintln!("SKIPPED: web/node_modules is missing (npm ci --prefix web)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    sasaeai::demo::write_files(dir.path()).unwrap();
    let server = common::Server::start(
        &["--geodata".as_ref(), dir.path().as_os_str()],
        &[("SASAEAI_WEB", web.as_os_str())],
    );
    let url = format!("{}/", server.base);
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("map.png");
    let out = Command::new("node")
        .arg(web.join("tests/map.test.mjs"))
        .arg(&url)
        .arg(&shot)
        .current_dir(&web)
        .output()
        .unwrap();
    drop(server);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{stdout}{stderr}");
    assert!(out.status.success(), "the browser check failed:\n{stdout}\n{stderr}");
    assert!(shot.exists(), "a screenshot was saved");
}
