//! Where a store is: a GeoPackage file, or a tenant of a PostgreSQL database — as given on the
//! command line (`--store`, `--tenant`) and in the configuration file.

use std::fmt;
use std::path::PathBuf;

/// A municipality's part of a shared database: its 全国地方公共団体コード (e.g. `141305` for
/// 川崎市中原区) or another short name of letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tenant(String);

impl Tenant {
    /// The most characters a tenant name has.
    pub const MAX_CHARS: usize = 63;

    /// Checks `name`: 1 to 63 ASCII letters, digits, `-` or `_`.
    ///
    /// ```
    /// use sasaeai::store::Tenant;
    /// assert!(Tenant::new("141305").is_ok());
    /// assert!(Tenant::new("ube city").is_err());
    /// ```
    pub fn new(name: &str) -> Result<Self, String> {
        let ok = (1..=Self::MAX_CHARS).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Tenant(name.to_owned()))
        } else {
            Err(format!(
                "tenant {name:?}: use 1 to {} letters, digits, '-' or '_' (e.g. the municipality code 141305)",
                Self::MAX_CHARS
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A GeoPackage file (created when missing).
    GeoPackage(PathBuf),
    /// A tenant of a PostgreSQL database with PostGIS, by connection URL.
    Postgres { url: String, tenant: Tenant },
}

impl Location {
    /// Reads `--store`: a `postgres://` or `postgresql://` URL (which needs `tenant`), or a file path.
    ///
    /// ```
    /// use sasaeai::store::{Location, Tenant};
    /// let pg = Location::parse("postgres://gis@db.example/care", Some("141305")).unwrap();
    /// assert!(matches!(pg, Location::Postgres { .. }));
    /// assert!(Location::parse("postgres://gis@db.example/care", None).is_err());
    /// assert!(matches!(Location::parse("town.gpkg", None).unwrap(), Location::GeoPackage(_)));
    /// ```
    pub fn parse(store: &str, tenant: Option<&str>) -> Result<Self, String> {
        if !Self::is_url(store) {
            return Ok(Location::GeoPackage(PathBuf::from(store)));
        }
        let tenant = tenant.ok_or_else(|| {
            "a PostgreSQL store is shared by towns: say whose part it is with --tenant CODE (or SASAEAI_TENANT)"
                .to_owned()
        })?;
        Ok(Location::Postgres { url: store.to_owned(), tenant: Tenant::new(tenant)? })
    }

    /// Whether `store` names a PostgreSQL database rather than a file.
    pub fn is_url(store: &str) -> bool {
        store.starts_with("postgres://") || store.starts_with("postgresql://")
    }
}

impl fmt::Display for Location {
    /// The location for messages; a URL's password is never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::GeoPackage(path) => write!(f, "{}", path.display()),
            Location::Postgres { url, tenant } => write!(f, "{} (tenant {tenant})", without_password(url)),
        }
    }
}

/// `url` with any password replaced by `***`.
pub(crate) fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_is_never_shown() {
        let loc =
            Location::parse("postgres://gis:s3cret@db:5432/care?sslmode=require", Some("141305")).unwrap();
        let shown = loc.to_string();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert_eq!(shown, "postgres://gis:***@db:5432/care?sslmode=require (tenant 141305)");
    }
}
