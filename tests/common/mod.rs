//! Helpers shared by the integration tests: the real data beside the repository, external tools,
//! in-process requests and a spawned server.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sasaeai::http::{AppState, app};
use sasaeai::store::Store;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

pub mod postgres;

/// A file of `../shared/data/`. Missing data fails the test under CI and skips it elsewhere.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var_os("CI").is_none(), "shared data {relative} is missing at {}", path.display());
    eprintln!("SKIPPED: shared data {relative} is not beside the repository");
    None
}

/// Whether an external program is on PATH. Missing fails the test under CI and skips it elsewhere.
pub fn has_tool(program: &str, debian_package: &str) -> bool {
    has_program(program, &format!("Debian's {debian_package}"))
}

/// [`has_tool`] for a program installed otherwise, `from` saying how (e.g. "schemathesis from PyPI").
pub fn has_program(program: &str, from: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "{program} is missing; install {from}");
        eprintln!("SKIPPED: {program} is not installed ({from})");
    }
    found
}

pub const TOKEN: &str = "test-staff-token";

/// A fresh empty store in a temporary directory, kept alive with it.
pub fn temp_store() -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("test.gpkg")).unwrap();
    (dir, Arc::new(store))
}

/// The demo store file, built from freshly generated demo files (the same bytes as geodata/, which a
/// test checks) in a temporary directory: the directory and the file.
pub fn demo_store_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    sasaeai::demo::write_files(dir.path()).unwrap();
    let path = sasaeai::demo::ensure_store(dir.path()).unwrap();
    (dir, path)
}

/// The demo store (see [`demo_store_file`]), open.
pub fn demo_store() -> (tempfile::TempDir, Arc<Store>) {
    let (dir, path) = demo_store_file();
    (dir, Arc::new(Store::open(path).unwrap()))
}

/// A running `sasaeai serve` on a free port, killed when dropped.
pub struct Server {
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
}

impl Server {
    /// Starts the binary with `args` after `serve --addr 127.0.0.1:0` and the staff token set.
    pub fn start(args: &[&std::ffi::OsStr], envs: &[(&str, &std::ffi::OsStr)]) -> Server {
        Server::start_logging(args, envs, std::process::Stdio::inherit())
    }

    /// [`Server::start`] with the server's log (standard error) sent to `log`.
    pub fn start_logging(
        args: &[&std::ffi::OsStr],
        envs: &[(&str, &std::ffi::OsStr)],
        log: impl Into<std::process::Stdio>,
    ) -> Server {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sasaeai"));
        command.args(["serve", "--addr", "127.0.0.1:0"]).args(args).envs(envs.iter().copied()).stderr(log);
        Server::spawn(command)
    }

    /// Starts `command` (a `sasaeai serve --addr 127.0.0.1:0` with its arguments, folder and
    /// environment) with the staff token set, and waits until it listens.
    pub fn spawn(mut command: std::process::Command) -> Server {
        use std::io::BufRead;
        let args: Vec<std::ffi::OsString> = command.get_args().map(|a| a.to_owned()).collect();
        if !command.get_envs().any(|(k, _)| k == "RUST_LOG") {
            command.env("RUST_LOG", "warn");
        }
        let mut child =
            command.env("SASAEAI_STAFF_TOKEN", TOKEN).stdout(std::process::Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("sasaeai listening on ")
            .unwrap_or_else(|| panic!("sasaeai {args:?} did not say where it listens: {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        Server { child, base }
    }
}

/// Runs the CLI with `args` and `stdin`; its standard output, or a panic with its error.
pub fn cli(args: &[&std::ffi::OsStr], stdin: &str) -> String {
    let out = run_cli(args, stdin);
    assert!(out.status.success(), "sasaeai {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs the CLI with `args`: whether it succeeded, and its standard error.
pub fn cli_status(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = run_cli(args, "");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn run_cli(args: &[&std::ffi::OsStr], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sasaeai"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// `sasaeai user add NAME --role ROLE` on the demo store built in `geodata`.
pub fn add_user(geodata: &std::path::Path, name: &str, role: &str, password: &str) {
    let args = ["user", "add", name, "--role", role, "--geodata"];
    let mut args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    args.push(geodata.as_os_str());
    cli(&args, &format!("{password}\n"));
}

impl Server {
    /// Starts the binary on a fresh copy of the demo store (see [`demo_store_file`]), kept in the
    /// directory returned with it.
    pub fn on_demo() -> (tempfile::TempDir, Server) {
        let (dir, store) = demo_store_file();
        (dir, Server::start(&["--store".as_ref(), store.as_os_str()], &[]))
    }

    /// Starts the binary on the store file `store` with `config` as its TOML file, written beside it.
    pub fn on_store(store: &std::path::Path, config: &str) -> Server {
        let config_path = store.with_extension("toml");
        std::fs::write(&config_path, config).unwrap();
        Server::start(
            &["--store".as_ref(), store.as_os_str(), "--config".as_ref(), config_path.as_os_str()],
            &[],
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts a problem+json answer with `status` whose text mentions `needle`.
    pub fn assert_problem(&self, status: u16, needle: &str) -> serde_json::Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.content_type, "application/problem+json");
        let problem = self.json();
        let text = problem.to_string();
        assert!(text.contains(needle), "problem does not mention {needle:?}: {text}");
        assert_eq!(problem["status"], status);
        problem
    }
}

/// Sends one request to the app, in process.
pub async fn send(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: impl Into<Body>,
) -> Reply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer.iter().map(|b| ("authorization", b.as_str())).collect();
    request(state, method, uri, &headers, body).await
}

/// Sends one request with these headers to the app, in process, with the `Host` every HTTP/1.1
/// client sends unless the test gives its own.
pub async fn request(
    state: &AppState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
        request = request.header("host", "127.0.0.1:8080");
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app(state.clone()).oneshot(request.body(body.into()).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let content_type =
        headers.get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply { status, content_type, headers, body }
}

pub async fn get(state: &AppState, uri: &str) -> Reply {
    send(state, "GET", uri, None, Body::empty()).await
}

/// A GeoJSON Feature for a site.
pub fn site_json(name: &str, kind: &str, lon: f64, lat: f64) -> String {
    serde_json::json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [lon, lat] },
        "properties": { "name": name, "kind": kind, "schedule": "毎週水曜 10–12時", "audience": ["高齢者"] }
    })
    .to_string()
}
