// The files the pages load, by their path in `web/`: one list for the build, which embeds them in
// the binary, and for the server, which serves them. (Plain comments: the build script includes
// this file, where an inner doc comment cannot stand.)

/// The pages, served at `/`, `/support` and `/api/docs` (the API's document for people).
pub const PAGES: [(&str, &str); 3] =
    [("/", "index.html"), ("/support", "support.html"), ("/api/docs", "api-docs.html")];

/// Our own files the pages load, under `/web/`.
pub const PAGE_FILES: [&str; 6] =
    ["app.js", "util.js", "style.css", "support.js", "support.css", "api-docs.js"];

/// The pinned packages' files the pages load, under `/vendor/{package}/`: (package, its folder in
/// `web/`, files). MapLibre's module loads its worker and shared chunk by name; terra-draw's
/// MapLibre adapter imports `terra-draw`, which the support page's import map points here.
pub const VENDOR_FILES: [(&str, &str, &[&str]); 4] = [
    (
        "maplibre-gl",
        "node_modules/maplibre-gl/dist",
        &["maplibre-gl.mjs", "maplibre-gl-shared.mjs", "maplibre-gl-worker.mjs", "maplibre-gl.css"],
    ),
    ("terra-draw", "node_modules/terra-draw/dist", &["terra-draw.modern.js"]),
    (
        "terra-draw-maplibre-gl-adapter",
        "node_modules/terra-draw-maplibre-gl-adapter/dist",
        &["terra-draw-maplibre-gl-adapter.modern.js"],
    ),
    ("swagger-ui-dist", "node_modules/swagger-ui-dist", &["swagger-ui-bundle.js", "swagger-ui.css"]),
];

/// Every file of the lists above: (URL path, path in `web/`).
pub fn web_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> =
        PAGES.iter().map(|(url, file)| (url.to_string(), file.to_string())).collect();
    files.extend(PAGE_FILES.iter().map(|f| (format!("/web/{f}"), f.to_string())));
    for (package, folder, names) in VENDOR_FILES {
        files.extend(names.iter().map(|f| (format!("/vendor/{package}/{f}"), format!("{folder}/{f}"))));
    }
    files
}
