//! Embeds the files the map pages load — ours from `web/`, MapLibre's and terra-draw's from the
//! pinned npm packages in `web/node_modules` — so the binary serves them from any folder, with
//! nothing beside it. A package not installed at build time is left out (with a warning), and the
//! pages then say to run `npm ci --prefix web` and build again.

use std::fmt::Write;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

include!("src/http/web_files.rs");

fn main() {
    let web = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("web");
    println!("cargo:rerun-if-changed=src/http/web_files.rs");
    let mut out = String::from("&[\n");
    let mut missing = Vec::new();
    for (_, file) in web_files() {
        let path = web.join(&file);
        println!("cargo:rerun-if-changed={}", path.display());
        match std::fs::read(&path) {
            Ok(bytes) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                bytes.hash(&mut h);
                let etag = format!("\"{:016x}\"", h.finish());
                writeln!(
                    out,
                    "    ({file:?}, Some((include_bytes!({:?}), {etag:?}))),",
                    path.display().to_string()
                )
                .expect("writing to a String cannot fail");
            }
            Err(_) => {
                missing.push(file.clone());
                writeln!(out, "    ({file:?}, None),").expect("writing to a String cannot fail");
            }
        }
    }
    out.push_str("]\n");
    if !missing.is_empty() {
        println!(
            "cargo:warning=not in web/: {} — run `npm ci --prefix web` before building, or the map pages cannot load",
            missing.join(", ")
        );
    }
    let target = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("web_files.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
