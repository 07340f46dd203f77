//! The application layer: every operation the interfaces offer — imports, site edits, accounts,
//! groups and their support maps, overlays — as one call that takes the authenticated
//! [`Principal`]. The CLI, the HTTP handlers and the demo generator all call these, so who may do
//! what is decided once, in [`permission`], and every read or write of private data is audited here.

mod accounts;
mod backup;
mod groups;
mod imports;
mod indicators;
mod overlays;
mod participants;
pub mod permission;
pub mod reimport;
pub mod sheets;
mod sites;

pub use accounts::{AccountSettings, Login, SessionAuth, constant_time_eq, hash_password};
pub use groups::{
    EditionDiff, EditionInfo, EditionMap, GroupArea, GroupView, feature_geojson, feature_input,
    features_geojson,
};
pub use imports::{ImportJob, ImportLayer, ImportSummary, Join};
pub use indicators::{IndicatorImport, IndicatorTable, KarteIndicators};
pub use overlays::OverlayVersion;
pub use participants::ParticipantImport;
pub use permission::Action;

use crate::network::NetworkSettings;
use crate::private::{PrivateError, PrivateStore, Role, UserRow};
use crate::store::{Location, Store, StoreError};
use std::net::IpAddr;
use std::sync::Arc;

/// Who is asking, and from where.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub who: Who,
    /// The client's address, for the audit log and login throttling.
    pub client: Option<IpAddr>,
}

/// The kinds of caller.
#[derive(Debug, Clone, PartialEq)]
pub enum Who {
    /// Nobody signed in: public data only.
    Anonymous,
    /// The person at the server's console (the CLI, the demo generator): imports and account
    /// management, like the owner of the files. Sees no support map either.
    Operator,
    /// A signed-in account (session, personal token, or the configured staff token).
    Account(Account),
}

/// A signed-in account, as permission checks need it.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// Area ids the account is limited to; empty: the whole city.
    pub scope: Vec<i64>,
}

impl From<UserRow> for Account {
    fn from(u: UserRow) -> Self {
        Account { id: u.id, name: u.name, role: u.role, scope: u.scope }
    }
}

impl Principal {
    pub fn anonymous(client: Option<IpAddr>) -> Self {
        Principal { who: Who::Anonymous, client }
    }

    /// The console: the CLI and the demo generator.
    pub fn operator() -> Self {
        Principal { who: Who::Operator, client: None }
    }

    pub fn account(account: Account, client: Option<IpAddr>) -> Self {
        Principal { who: Who::Account(account), client }
    }

    /// The signed-in account, if any.
    pub fn signed_in(&self) -> Option<&Account> {
        match &self.who {
            Who::Account(a) => Some(a),
            _ => None,
        }
    }

    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        match &self.who {
            Who::Anonymous => "anonymous".into(),
            Who::Operator => "operator (console)".into(),
            Who::Account(a) => a.name.clone(),
        }
    }

    fn audit(
        &self,
        action: &'static str,
        group_id: Option<i64>,
        ids: Vec<i64>,
    ) -> crate::private::AuditEntry {
        crate::private::AuditEntry::new(
            &self.actor(),
            action,
            group_id,
            ids,
            self.client.map(|c| c.to_string()),
        )
    }
}

/// Why an operation was not done. The HTTP layer turns each into a problem+json answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nobody is signed in and the operation needs someone.
    #[error("sign in first (a session, or `Authorization: Bearer <token>`)")]
    Unauthenticated,
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Not there — or not the caller's to see, which looks the same.
    #[error("{0}")]
    NotFound(String),
    /// The input cannot be used.
    #[error("{0}")]
    Invalid(String),
    /// The change conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// A sign-in that failed; deliberately says nothing of why.
    #[error("the name or the password is wrong")]
    BadLogin,
    /// Too many failed sign-ins from this account or address.
    #[error("too many failed sign-ins; try again in {retry_after_s} s")]
    Throttled { retry_after_s: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Private(PrivateError),
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    #[error(transparent)]
    Network(#[from] crate::network::NetworkError),
    #[error(transparent)]
    Analysis(#[from] crate::analysis::AnalysisError),
}

impl From<PrivateError> for Error {
    fn from(e: PrivateError) -> Self {
        match e {
            PrivateError::Exists(what) => Error::Conflict(format!("{what} already exists")),
            PrivateError::Missing(what) => Error::NotFound(format!("{what} not found")),
            PrivateError::Refused(why) => Error::Conflict(why),
            other => Error::Private(other),
        }
    }
}

/// How accounts, sessions and the privacy of aggregates are set up.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    pub accounts: AccountSettings,
    pub privacy: Privacy,
    /// The token of the configuration file or `SASAEAI_STAFF_TOKEN`, accepted as a staff account
    /// named `staff-token` (for scripts written before accounts existed).
    pub staff_token: Option<String>,
    /// The indicator catalogue with the ward's own lines; the built-in one when `None`.
    pub catalogue: Option<Arc<crate::model::indicators::Catalogue>>,
}

/// How aggregates of private data are published (`[privacy]` in the configuration file).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Privacy {
    /// Counts from 1 to `min_count - 1` are shown as `<min_count`, never as numbers.
    pub min_count: u64,
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy { min_count: 3 }
    }
}

/// What the application needs from its surroundings.
pub struct App {
    pub store: Arc<Store>,
    pub private: Arc<PrivateStore>,
    pub settings: Arc<NetworkSettings>,
    pub accounts: AccountSettings,
    pub privacy: Privacy,
    throttle: accounts::Throttle,
    overlay_cache: overlays::OverlayCache,
    /// The indicator figures indexed for reading, with the versions they were built from.
    figures_cache: indicators::FiguresCache,
    /// The token of the configuration file or `SASAEAI_STAFF_TOKEN`: a staff account for scripts.
    staff_token: Option<Arc<str>>,
    /// The ward's indicator catalogue, when it has its own lines.
    catalogue: Option<Arc<crate::model::indicators::Catalogue>>,
}

impl App {
    pub fn new(
        store: Arc<Store>,
        private: Arc<PrivateStore>,
        settings: Arc<NetworkSettings>,
        options: AppOptions,
    ) -> Self {
        let AppOptions { accounts, privacy, staff_token, catalogue } = options;
        App {
            store,
            private,
            settings,
            accounts,
            privacy,
            throttle: accounts::Throttle::default(),
            overlay_cache: overlays::OverlayCache::default(),
            figures_cache: Default::default(),
            staff_token: staff_token.filter(|t| !t.is_empty()).map(Arc::from),
            catalogue,
        }
    }

    /// Opens the store at `location` and its private store (see [`open_private`]).
    pub fn open(
        location: &Location,
        private: Option<&std::path::Path>,
        settings: NetworkSettings,
        options: AppOptions,
    ) -> Result<Self, Error> {
        let store = Arc::new(Store::open_at(location)?);
        let private = Arc::new(open_private(location, private)?);
        Ok(App::new(store, private, Arc::new(settings), options))
    }
}

/// The private store of the store at `location`: the file `given` (`--private`); else the file
/// beside its GeoPackage, or the same tenant of the same PostgreSQL database.
pub fn open_private(location: &Location, given: Option<&std::path::Path>) -> Result<PrivateStore, Error> {
    Ok(match given {
        Some(path) => PrivateStore::open(path)?,
        None => PrivateStore::open_at(location)?,
    })
}

/// The current calendar year (UTC): the default edition of a support map.
pub fn this_year() -> i32 {
    crate::model::calendar::this_year()
}
