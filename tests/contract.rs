//! The API's contract, `/api/openapi.json`, checked against a live server on the demo town by
//! schemathesis (a property-based tester, from PyPI): for every operation it sends generated
//! requests — valid and invalid parameters, bodies and ids, and sequences that follow the links
//! between operations — and fails on any server error (5xx), any status or media type the document
//! does not list, and any JSON answer outside its schema. It runs as each kind of caller, so the
//! guarded operations are exercised past their sign-in check: anyone, staff (the configured
//! token), a resident (support maps) and an admin.

mod common;

use std::ffi::OsStr;
use std::process::Command;

/// The checks that make the contract: no 5xx, and nothing answered outside the document.
const CHECKS: &str =
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

/// A personal API token for a new account `name` with `role`, made by the command line.
fn token_for(geodata: &std::path::Path, name: &str, role: &str) -> String {
    common::add_user(geodata, name, role, "contract-password-1234");
    let args = ["token", "create", name, "--label", "contract", "--geodata"];
    let mut args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    args.push(geodata.as_os_str());
    common::cli(&args, "").trim().to_owned()
}

/// schemathesis against `server` as the caller `token` names (none: anyone).
fn schemathesis(server: &common::Server, who: &str, token: Option<&str>) {
    // Run in a folder of its own: schemathesis keeps a cache of what it found where it runs.
    let cache = tempfile::tempdir().unwrap();
    let mut st = Command::new("schemathesis");
    st.current_dir(cache.path())
        .args(["run", &format!("{}/api/openapi.json", server.base), "--checks", CHECKS])
        // One worker: hypothesis's cache of its own source, which describes failures, is not safe
        // for two threads at once (it fails the run with "AST constructor recursion depth mismatch").
        .args(["--max-examples", "20", "--workers", "1", "--seed", "20261122", "--no-color"]);
    if let Some(token) = token {
        st.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let out = st.output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schemathesis as {who} found answers outside the contract:\n{report}");
    assert!(report.contains("passed"), "schemathesis as {who} tested nothing:\n{report}");
}

/// The document at `url` as the OpenAPI validator (from PyPI) judges it.
fn valid_openapi(url: &str) {
    let text = ureq::get(url).call().unwrap().body_mut().read_to_string().unwrap();
    let file = tempfile::NamedTempFile::with_suffix(".json").unwrap();
    std::fs::write(file.path(), text).unwrap();
    let out = Command::new("openapi-spec-validator").arg(file.path()).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{url} is not a valid OpenAPI document:\n{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn both_documents_are_valid_openapi_and_the_ogc_api_answers_within_its_3_0_definition() {
    if !common::has_program("openapi-spec-validator", "openapi-spec-validator from PyPI")
        || !common::has_program("schemathesis", "schemathesis from PyPI")
    {
        return;
    }
    let (_dir, server) = common::Server::on_demo();
    valid_openapi(&format!("{}/api/openapi.json", server.base));
    valid_openapi(&format!("{}/ogc/api", server.base));
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new("schemathesis")
        .current_dir(cache.path())
        .args([
            "run",
            &format!("{}/ogc/api", server.base),
            "--checks",
            CHECKS,
            "--include-path-regex",
            "^/ogc",
        ])
        .args(["--max-examples", "20", "--workers", "1", "--seed", "20261122", "--no-color"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the OGC API answered outside its 3.0 definition:\n{report}");
    assert!(report.contains("passed"), "schemathesis tested no OGC operation:\n{report}");
}

#[test]
fn every_answer_to_generated_requests_is_within_the_contract_and_none_is_a_server_error() {
    if !common::has_program("schemathesis", "schemathesis from PyPI") {
        return;
    }
    let (dir, store) = common::demo_store_file();
    let resident = token_for(dir.path(), "contract-resident", "resident");
    let admin = token_for(dir.path(), "contract-admin", "admin");
    let server = common::Server::start(&["--store".as_ref(), store.as_os_str()], &[]);
    schemathesis(&server, "anyone", None);
    schemathesis(&server, "staff", Some(common::TOKEN));
    schemathesis(&server, "a resident", Some(&resident));
    schemathesis(&server, "an admin", Some(&admin));
}
