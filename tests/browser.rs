//! The pages in a real browser: Debian's Chromium, driven by playwright-core, opens them as served
//! by the real server on the demo data (see `web/tests/*.test.mjs` for what each checks).

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The web folder, when Chromium, node and the npm packages are there (in CI they must be).
fn web_ready() -> Option<PathBuf> {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    if !common::has_tool("chromium", "chromium") || !common::has_tool("node", "nodejs") {
        return None;
    }
    let packages =
        ["playwright-core", "maplibre-gl", "terra-draw", "terra-draw-maplibre-gl-adapter", "swagger-ui-dist"];
    if !packages.iter().all(|p| web.join("node_modules").join(p).exists()) {
        assert!(std::env::var_os("CI").is_none(), "web/node_modules is missing: run npm ci --prefix web");
        eprintln!("SKIPPED: web/node_modules is missing (npm ci --prefix web)");
        return None;
    }
    Some(web)
}

/// Runs `web/tests/{script}` with `args`; fails with its output when it fails.
fn run_check(web: &Path, script: &str, args: &[&OsStr]) {
    let out = Command::new("node")
        .arg(web.join("tests").join(script))
        .args(args)
        .current_dir(web)
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{stdout}{stderr}");
    assert!(out.status.success(), "the browser check {script} failed:\n{stdout}\n{stderr}");
}

#[test]
fn map_page_renders_sites_and_areas_and_shows_a_catchment_on_click() {
    let Some(web) = web_ready() else { return };
    let dir = tempfile::tempdir().unwrap();
    sasaeai::demo::write_files(dir.path()).unwrap();
    let server = common::Server::start(&["--geodata".as_ref(), dir.path().as_os_str()], &[]);
    let url = format!("{}/", server.base);
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("map.png");
    run_check(&web, "map.test.mjs", &[url.as_ref(), shot.as_os_str()]);
    assert!(shot.exists(), "a screenshot was saved");
}

const PASSWORD: &str = "browser test password";

#[test]
fn residents_draw_link_and_print_their_map_others_see_nothing_and_staff_see_the_choropleth() {
    let Some(web) = web_ready() else { return };
    let dir = tempfile::tempdir().unwrap();
    sasaeai::demo::write_files(dir.path()).unwrap();
    for (name, role) in [("alice", "resident"), ("bob", "resident"), ("sam", "staff")] {
        common::add_user(dir.path(), name, role, PASSWORD);
    }
    let server = common::Server::start(&["--geodata".as_ref(), dir.path().as_os_str()], &[]);
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("support-page");
    std::fs::create_dir_all(&out).unwrap();
    run_check(&web, "support.test.mjs", &[server.base.as_ref(), PASSWORD.as_ref(), out.as_os_str()]);
    assert!(out.join("support-a3.pdf").exists(), "the A3 PDF was made");
}

#[test]
fn staff_preview_map_a_column_and_import_a_file_from_the_map_page() {
    let Some(web) = web_ready() else { return };
    let dir = tempfile::tempdir().unwrap();
    sasaeai::demo::write_files(dir.path()).unwrap();
    common::add_user(dir.path(), "sam", "staff", PASSWORD);
    let server = common::Server::start(&["--geodata".as_ref(), dir.path().as_os_str()], &[]);
    run_check(&web, "import.test.mjs", &[server.base.as_ref(), PASSWORD.as_ref()]);
}

#[test]
fn the_api_page_shows_every_operation_of_the_document_from_this_server_alone() {
    let Some(web) = web_ready() else { return };
    let (_dir, server) = common::Server::on_demo();
    run_check(&web, "docs.test.mjs", &[server.base.as_ref()]);
}
