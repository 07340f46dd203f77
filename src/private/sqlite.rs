//! The private store as a SQLite file beside the GeoPackage (`NAME.private.sqlite` beside
//! `NAME.gpkg`): never part of the file planners copy into QGIS. WAL, `synchronous=FULL`, one
//! transaction per edit, and `secure_delete` so that a deleted person is overwritten on disk; after
//! such a delete the write-ahead log is folded back and truncated too.

use super::sql::{Row, Sql, Value, with_tenant};
use super::{PrivateBackend, PrivateError, Work};
use parking_lot::Mutex;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `PRAGMA application_id` of a private store ("SSAE").
const APPLICATION_ID: i32 = 0x5353_4145;

/// The tenant a file holds: a file is one town's, so its rows carry the empty name.
const FILE_TENANT: &str = "";

/// A private store in a SQLite file (or in memory).
pub struct SqlitePrivate {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl SqlitePrivate {
    /// Opens (creating when missing) the private store at `path`.
    pub fn open(path: &Path) -> Result<Self, PrivateError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        Self::prepare(conn, Some(path))
    }

    /// A private store that lives only in memory (the demo generator's scratch, tests).
    pub fn in_memory() -> Result<Self, PrivateError> {
        Self::prepare(Connection::open_in_memory()?, None)
    }

    fn prepare(mut conn: Connection, path: Option<&Path>) -> Result<Self, PrivateError> {
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.busy_timeout(Duration::from_secs(2))?;
        migrate(&mut conn, path)?;
        Ok(SqlitePrivate { conn: Mutex::new(conn), path: path.map(Path::to_path_buf) })
    }
}

/// Applies each entry of [`MIGRATIONS`] once, in order; `user_version` counts those applied (a store
/// from before the count has the first one).
fn migrate(conn: &mut Connection, path: Option<&Path>) -> Result<(), PrivateError> {
    let id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    let applied: usize = match (id, tables) {
        (APPLICATION_ID, _) => {
            conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?.max(1) as usize
        }
        (0, 0) => 0,
        _ => return Err(PrivateError::NotOurs(path.map(Path::to_path_buf).unwrap_or_default())),
    };
    if applied > MIGRATIONS.len() {
        return Err(PrivateError::Refused(format!(
            "the private store was written by a newer sasaeai (schema {applied}, this one knows {})",
            MIGRATIONS.len()
        )));
    }
    if applied < MIGRATIONS.len() {
        let tx = conn.transaction()?;
        for migration in &MIGRATIONS[applied..] {
            tx.execute_batch(migration)?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
        tx.commit()?;
    }
    Ok(())
}

impl PrivateBackend for SqlitePrivate {
    fn describe(&self) -> String {
        self.path.as_ref().map_or_else(|| "(in memory)".to_owned(), |p| p.display().to_string())
    }

    fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn write(&self, work: &mut Work<'_>) -> Result<(), PrivateError> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        work(&mut Sqlite(&tx))?;
        Ok(tx.commit()?)
    }

    fn read(&self, work: &mut Work<'_>) -> Result<(), PrivateError> {
        work(&mut Sqlite(&self.conn.lock()))
    }

    fn purge(&self) -> Result<(), PrivateError> {
        let conn = self.conn.lock();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).optional()?;
        Ok(())
    }

    fn shared_version(&self, _what: &str) -> Result<u64, PrivateError> {
        // One process writes a file; its own counters say everything.
        Ok(0)
    }

    fn after_copy(&self) -> Result<(), PrivateError> {
        Ok(())
    }
}

/// One connection (or transaction) speaking [`Sql`].
struct Sqlite<'c>(&'c Connection);

impl Sql for Sqlite<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, PrivateError> {
        let mut statement = self.0.prepare_cached(&with_tenant(sql, FILE_TENANT))?;
        Ok(statement.execute(rusqlite::params_from_iter(params))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, PrivateError> {
        let mut statement = self.0.prepare_cached(&with_tenant(sql, FILE_TENANT))?;
        let columns = statement.column_count();
        let rows = statement.query_map(rusqlite::params_from_iter(params), |r| {
            (0..columns).map(|i| r.get_ref(i).map(value)).collect::<Result<Vec<_>, _>>().map(Row)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(x) => Value::Real(x),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(x) => ValueRef::Real(*x),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// The schema, as the changes that built it; a store is brought up to date when opened.
const MIGRATIONS: [&str; 5] = [SCHEMA, INDICATORS, SHEETS, PARTICIPANTS, TENANTS];

/// Every row names its tenant, as in a shared database, so both backends run the same statements;
/// and a counter per kind of private data, raised by every write, tells caches what changed.
const TENANTS: &str = r#"
ALTER TABLE users ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE editions ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE features ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE indicator_values ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE site_participants ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE area_notes ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE area_issues ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE issue_targets ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
CREATE TABLE private_versions (
  tenant TEXT NOT NULL,
  what TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (tenant, what)
);
"#;

/// Participants of a site (通いの場) per year, as the ward counts them.
const PARTICIPANTS: &str = r#"
CREATE TABLE site_participants (
  site_id INTEGER NOT NULL,
  year INTEGER NOT NULL,
  participants INTEGER NOT NULL CHECK (participants >= 0),
  PRIMARY KEY (site_id, year)
);
"#;

/// Indicator figures per area and year (`value` NULL: withheld at the source).
const INDICATORS: &str = r#"
CREATE TABLE indicator_values (
  area_id INTEGER NOT NULL,
  indicator TEXT NOT NULL,
  year INTEGER NOT NULL,
  value REAL,
  PRIMARY KEY (area_id, indicator, year)
);
CREATE INDEX indicator_values_by_year ON indicator_values(indicator, year);
"#;

/// The 地域情報シート's notes and issues (課題) with their targets per year.
const SHEETS: &str = r#"
CREATE TABLE area_notes (
  id INTEGER PRIMARY KEY,
  area_id INTEGER NOT NULL,
  field TEXT NOT NULL,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  author TEXT NOT NULL,
  updated INTEGER NOT NULL
);
CREATE INDEX area_notes_by_area ON area_notes(area_id);
CREATE TABLE area_issues (
  id INTEGER PRIMARY KEY,
  area_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  field TEXT NOT NULL,
  priority INTEGER NOT NULL,
  indicator TEXT,
  author TEXT NOT NULL,
  updated INTEGER NOT NULL
);
CREATE INDEX area_issues_by_area ON area_issues(area_id);
CREATE TABLE issue_targets (
  issue_id INTEGER NOT NULL REFERENCES area_issues(id),
  year INTEGER NOT NULL,
  target REAL,
  measured REAL,
  PRIMARY KEY (issue_id, year)
);
"#;

const SCHEMA: &str = r#"
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '[]',
  password_hash TEXT,
  disabled INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL
);
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  hash BLOB NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  hash BLOB NOT NULL UNIQUE,
  csrf TEXT NOT NULL,
  created INTEGER NOT NULL,
  seen INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE groups (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  area_id INTEGER,
  polygon TEXT,
  edition INTEGER NOT NULL,
  created INTEGER NOT NULL
);
CREATE TABLE editions (
  group_id INTEGER NOT NULL REFERENCES groups(id),
  edition INTEGER NOT NULL,
  created INTEGER NOT NULL,
  PRIMARY KEY (group_id, edition)
);
CREATE TABLE members (
  group_id INTEGER NOT NULL REFERENCES groups(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  PRIMARY KEY (group_id, user_id)
);
CREATE TABLE features (
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL REFERENCES groups(id),
  edition INTEGER NOT NULL,
  key INTEGER NOT NULL,
  type TEXT NOT NULL,
  lon REAL,
  lat REAL,
  label TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]',
  note TEXT NOT NULL DEFAULT '',
  from_key INTEGER,
  to_key INTEGER,
  site_id INTEGER,
  updated INTEGER NOT NULL
);
CREATE INDEX features_by_edition ON features(group_id, edition);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  group_id INTEGER,
  ids TEXT NOT NULL DEFAULT '[]',
  client TEXT
);
CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::PrivateStore;

    #[test]
    fn a_store_from_before_the_indicators_gains_their_table_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.private.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
        }
        let store = PrivateStore::open(&path).unwrap();
        assert_eq!(store.indicator_values().unwrap(), Vec::new());
        drop(store);
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        drop(conn);
        PrivateStore::open(&path).expect("opened again without migrating twice");
    }

    #[test]
    fn the_audit_log_refuses_updates_and_deletes() {
        let backend = SqlitePrivate::in_memory().unwrap();
        let conn = backend.conn.lock();
        conn.execute("INSERT INTO audit (at, actor, action) VALUES (0, 'someone', 'group.create')", [])
            .unwrap();
        assert!(conn.execute("UPDATE audit SET actor = 'x'", []).is_err());
        assert!(conn.execute("DELETE FROM audit", []).is_err());
        assert_eq!(conn.query_row("SELECT count(*) FROM audit", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
    }
}
