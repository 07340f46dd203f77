//! Server configuration: a TOML file, overridden by environment variables, overridden by flags.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Settings read from `--config FILE`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The GeoPackage to serve.
    pub store: Option<PathBuf>,
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub addr: Option<String>,
    /// The staff token; `SASAEAI_STAFF_TOKEN` overrides it.
    pub staff_token: Option<String>,
    /// Walking profiles and catchment settings (`[network]`, `[network.profiles.NAME]`).
    #[serde(default)]
    pub network: crate::network::NetworkSettings,
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
    /// ```
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.to_owned(), source })
    }
}
