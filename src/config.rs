//! Server configuration: a TOML file, overridden by environment variables, overridden by flags.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Where the server listens when neither `--addr` nor `addr` says.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Settings read from `--config FILE`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The store to serve: a GeoPackage file, or a PostgreSQL URL (`postgres://user@host/db`) with
    /// `tenant`.
    pub store: Option<String>,
    /// The municipality whose part of a shared PostgreSQL store this is (e.g. its code `141305`).
    pub tenant: Option<String>,
    /// The private store (accounts, support maps, staff sheets) as a SQLite file of its own. Default:
    /// beside the GeoPackage; with a PostgreSQL store, the same database and tenant.
    pub private: Option<PathBuf>,
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub addr: Option<String>,
    /// A token accepted as a staff account named `staff-token` (for scripts); `SASAEAI_STAFF_TOKEN`
    /// overrides it. People sign in with accounts instead (`sasaeai user add`).
    pub staff_token: Option<String>,
    /// The address people reach the server at, e.g. `https://gis.example.lg.jp/sasaeai`, for the
    /// URLs in TileJSON. Without it those URLs are relative (`/tiles/…`).
    pub public_url: Option<String>,
    /// Walking profiles and catchment settings (`[network]`, `[network.profiles.NAME]`).
    #[serde(default)]
    pub network: crate::network::NetworkSettings,
    /// What the server allows one request and all of them together (`[limits]`).
    #[serde(default)]
    pub limits: Limits,
    /// Session expiry and sign-in throttling (`[accounts]`).
    #[serde(default)]
    pub accounts: crate::app::AccountSettings,
    /// How aggregates of support maps are published (`[privacy]`).
    #[serde(default)]
    pub privacy: crate::app::Privacy,
    /// A CSV of the ward's own indicators, with the columns of the built-in catalogue
    /// (`id,name,field,unit,numerator,denominator,scale,visibility,source`): its lines are added to
    /// the catalogue, a line overriding the indicator of the same id. Read when the server starts.
    pub indicator_catalogue: Option<PathBuf>,
    /// A background map under the map's own layers, where the office allows the server's users to
    /// reach a tile server (`[background]`); without it the map draws the streets of the walking
    /// network and the area outlines only, and asks nothing of any other server.
    pub background: Option<Background>,
    /// The catalogue `indicator_catalogue` names, read once by [`Config::load`].
    #[serde(skip)]
    pub catalogue: Option<std::sync::Arc<crate::model::indicators::Catalogue>>,
}

/// A raster background map: 地理院タイル, or the ward's own tile server.
///
/// ```toml
/// [background]
/// tiles = "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png"
/// attribution = "地理院タイル（淡色地図）"
/// maxzoom = 18
/// ```
#[derive(Debug, Clone, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Background {
    /// The tile URL template, with `{z}`, `{x}` and `{y}`.
    pub tiles: String,
    /// Who the map is from, shown on the map whenever it is drawn (required).
    pub attribution: String,
    /// The tiles' size in pixels: 256 (the default) or 512.
    #[serde(default = "Background::default_tile_size")]
    pub tile_size: u16,
    /// The deepest zoom the server has tiles for (18 by default); the map enlarges them beyond it.
    #[serde(default = "Background::default_maxzoom")]
    pub maxzoom: u8,
}

impl Background {
    fn default_tile_size() -> u16 {
        256
    }

    fn default_maxzoom() -> u8 {
        18
    }
}

/// What the server allows one request and all requests together, so that no request, however large
/// or hostile, can freeze it, exhaust its memory or its connections. Every figure is also in
/// `/api/meta` so the page can tell people before they ask too much.
#[derive(Debug, Clone, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Heavy analyses (coverage, gaps, suggestions, catchments of a kind, imports) running at once;
    /// 0 means one per core.
    pub heavy_at_once: usize,
    /// Seconds a heavy analysis waits for a place before the answer is 503 with `Retry-After`.
    pub queue_wait_s: f64,
    /// Seconds a heavy analysis may run before it stops and the answer is 504.
    pub analysis_deadline_s: f64,
    /// Open connections at most; further clients wait in the listen queue.
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers, and that an idle keep-alive connection is
    /// kept open.
    pub header_timeout_s: f64,
    /// Seconds a client has to send a request body (an import file).
    pub body_timeout_s: f64,
    /// Megabytes of rendered tiles kept in memory.
    pub tile_cache_mb: u64,
    /// Megabytes of catchment polygons kept in memory.
    pub catchment_cache_mb: u64,
    /// Megabytes of coverage results kept in memory.
    pub coverage_cache_mb: u64,
    /// Megabytes of the analyses the map's tiles show (catchments, gaps and coverage of each
    /// question asked) kept in memory.
    pub map_cache_mb: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            heavy_at_once: 0,
            queue_wait_s: 2.0,
            analysis_deadline_s: 30.0,
            max_connections: 16_384,
            header_timeout_s: 10.0,
            body_timeout_s: 120.0,
            tile_cache_mb: 256,
            catchment_cache_mb: 256,
            coverage_cache_mb: 64,
            map_cache_mb: 64,
        }
    }
}

impl Limits {
    /// Heavy analyses at once, with 0 read as one per core.
    pub fn heavy_at_once(&self) -> usize {
        match self.heavy_at_once {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}

/// Why the configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// It could not be read.
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// It is not valid TOML or has unknown keys.
    #[error("{path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    /// Settings that cannot work, each with its line.
    #[error("{}", .problems.iter().map(|p| format!("{}:{p}", .path.display())).collect::<Vec<_>>().join("\n"))]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

/// One setting that cannot work: where it is and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// 1-based, when the setting is written in the file (a default is not).
    pub line: Option<usize>,
    /// The setting, e.g. `limits.max_connections`.
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{line}: {}: {}", self.key, self.message),
            None => write!(f, " {}: {}", self.key, self.message),
        }
    }
}

/// The line of `key` in `text`: under its `[table]` header (the part before the last dot), or at
/// the top when it has none.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let (table, name) = key.rsplit_once('.').unwrap_or(("", key));
    let mut current = String::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = header.trim().to_owned();
        } else if current == table
            && line.split_once('=').is_some_and(|(k, _)| k.trim().trim_matches('"') == name)
        {
            return Some(n + 1);
        }
    }
    None
}

impl Config {
    /// Reads `path`.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("sasaeai.toml");
    /// std::fs::write(&path, r#"
    /// addr = "0.0.0.0:8080"
    /// staff_token = "s3cret"
    /// [network]
    /// walk_shed_m = 40
    /// [network.profiles.elderly]
    /// speed_m_per_min = 55
    /// steps_factor = 2.5
    /// "#).unwrap();
    /// let config = sasaeai::config::Config::load(&path).unwrap();
    /// assert_eq!(config.staff_token.as_deref(), Some("s3cret"));
    /// assert_eq!(config.network.walk_shed_m, 40.0);
    /// assert_eq!(config.network.profile("elderly").unwrap().speed_m_per_min, 55.0);
    /// assert_eq!(config.network.profile("wheelchair").unwrap().speed_m_per_min, 50.0, "defaults stay");
    ///
    /// // A setting that cannot work is named with its line.
    /// std::fs::write(&path, "addr = \"127.0.0.1:8080\"\n[limits]\nmax_connections = 0\n").unwrap();
    /// let err = sasaeai::config::Config::load(&path).unwrap_err().to_string();
    /// assert!(err.ends_with("sasaeai.toml:3: limits.max_connections: 0 must be more than 0"), "{err}");
    /// ```
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let mut config: Config =
            toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.to_owned(), source })?;
        let mut problems = config.problems(&text);
        if let Some(file) = &config.indicator_catalogue {
            match crate::model::indicators::Catalogue::built_in_with_file(file) {
                Ok(catalogue) => config.catalogue = Some(std::sync::Arc::new(catalogue)),
                Err(message) => problems.push(Problem {
                    line: line_of(&text, "indicator_catalogue"),
                    key: "indicator_catalogue".into(),
                    message,
                }),
            }
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid { path: path.to_owned(), problems })
        }
    }

    /// The settings that cannot work, each with its line in `text` (the file it was read from): a
    /// listen address that is not one, a URL without its scheme, a speed, limit or timeout of zero,
    /// a small-count threshold that withholds nothing. (An indicator catalogue that does not read is
    /// named by [`Config::load`], which reads it.)
    pub fn problems(&self, text: &str) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut check = |ok: bool, key: &str, message: String| {
            if !ok {
                out.push(Problem { line: line_of(text, key), key: key.to_owned(), message });
            }
        };
        if let Some(addr) = &self.addr {
            let ok = addr.parse::<std::net::SocketAddr>().is_ok();
            check(ok, "addr", format!("{addr:?} is not an address and port, e.g. 127.0.0.1:8080"));
        }
        if let Some(url) = &self.public_url {
            let ok = url.starts_with("http://") || url.starts_with("https://");
            check(ok, "public_url", format!("{url:?} does not start with http:// or https://"));
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        for (name, p) in &self.network.profiles {
            let key = format!("network.profiles.{name}.speed_m_per_min");
            check(positive(p.speed_m_per_min), &key, "a walking speed is more than 0 m/min".into());
            let key = format!("network.profiles.{name}.steps_factor");
            check(
                p.steps_factor.is_finite() && p.steps_factor >= 1.0,
                &key,
                "steps take at least as long as a street (≥ 1)".into(),
            );
        }
        let n = &self.network;
        for (key, v) in
            [("walk_shed_m", n.walk_shed_m), ("max_snap_m", n.max_snap_m), ("max_minutes", n.max_minutes)]
        {
            check(positive(v), &format!("network.{key}"), format!("{v} must be more than 0"));
        }
        let l = &self.limits;
        for (key, v) in [
            ("analysis_deadline_s", l.analysis_deadline_s),
            ("header_timeout_s", l.header_timeout_s),
            ("body_timeout_s", l.body_timeout_s),
            ("max_connections", l.max_connections as f64),
            ("tile_cache_mb", l.tile_cache_mb as f64),
            ("catchment_cache_mb", l.catchment_cache_mb as f64),
            ("coverage_cache_mb", l.coverage_cache_mb as f64),
            ("map_cache_mb", l.map_cache_mb as f64),
        ] {
            check(positive(v), &format!("limits.{key}"), format!("{v} must be more than 0"));
        }
        check(
            l.queue_wait_s.is_finite() && l.queue_wait_s >= 0.0,
            "limits.queue_wait_s",
            "a wait is 0 s or more".into(),
        );
        if let Some(b) = &self.background {
            let web = b.tiles.starts_with("http://") || b.tiles.starts_with("https://");
            let places = ["{z}", "{x}", "{y}"].iter().all(|p| b.tiles.contains(p));
            check(
                web && places,
                "background.tiles",
                format!("{:?} is not an http(s) URL with {{z}}, {{x}} and {{y}}", b.tiles),
            );
            check(
                !b.attribution.trim().is_empty(),
                "background.attribution",
                "say who the map is from; it is shown on the map".into(),
            );
            check(
                [256, 512].contains(&b.tile_size),
                "background.tile_size",
                format!("{} is neither 256 nor 512", b.tile_size),
            );
            check(b.maxzoom <= 22, "background.maxzoom", format!("{} is deeper than 22", b.maxzoom));
        }
        check(
            self.privacy.min_count >= 2,
            "privacy.min_count",
            format!("{} would publish counts of one person; the least is 2", self.privacy.min_count),
        );
        out
    }
}
