//! The private store as a tenant's tables in the shared PostgreSQL database, beside its layers: so
//! every instance of a town shares its accounts, sessions and support maps. The tables (migration
//! `0002_private.sql` of the store's schema) carry the tenant on every row, and row-level security
//! holds each connection to its own tenant even if a statement forgot to say it.
//!
//! Writes of one tenant take turns (a transaction-scoped advisory lock), as they do in a SQLite
//! file, so limits counted inside a write (features per edition, issues per area) hold with several
//! instances too. Other instances' changes to the support maps and figures reach this one's caches
//! through `private_versions`, read at most every [`VERSION_POLL`].

use super::sql::{Row, Sql, Value};
use super::{PrivateBackend, PrivateError, Work};
use crate::store::postgres::{Session, Statements, cached, connection_lost, migrate};
use crate::store::{StoreError, Tenant, without_password};
use ::postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use ::postgres::{IsolationLevel, Statement, Transaction};
use parking_lot::{Mutex, MutexGuard};
use std::collections::HashMap;
use std::error::Error;
use std::path::Path;
use std::time::{Duration, Instant};

/// How stale this instance's view of other instances' private writes may be, at most.
pub const VERSION_POLL: Duration = Duration::from_millis(500);

/// Tables whose `id` is generated: after a copy with ids, their sequences move past them.
const GENERATED_IDS: [&str; 8] =
    ["users", "tokens", "sessions", "groups", "features", "audit", "area_notes", "area_issues"];

/// A tenant's private tables in a PostgreSQL database.
pub struct PgPrivate {
    url: String,
    tenant: Tenant,
    session: Mutex<Session>,
    /// The versions of `private_versions` last read, and when.
    versions: Mutex<Option<(Instant, HashMap<String, u64>)>>,
    /// Whether statements keep their tenant conditions (always, but in the test that checks the
    /// row-level security alone).
    tenant_filter: bool,
}

impl PgPrivate {
    /// Connects as the URL says and brings the schema up to date.
    pub fn connect(url: &str, tenant: Tenant) -> Result<Self, PrivateError> {
        let setup =
            |e: StoreError| PrivateError::Setup { store: without_password(url), reason: e.to_string() };
        let mut session = Session::open(url, &tenant).map_err(setup)?;
        migrate(&mut session.client, url).map_err(setup)?;
        Ok(PgPrivate {
            url: url.to_owned(),
            tenant,
            session: Mutex::new(session),
            versions: Mutex::new(None),
            tenant_filter: true,
        })
    }

    /// The same store with the application's tenant conditions taken out of every statement,
    /// leaving row-level security as the only wall: for the test that proves the wall holds alone.
    pub fn without_tenant_filter(mut self) -> Self {
        self.tenant_filter = false;
        self
    }

    /// The connection, opened again if the last call found it lost.
    fn session(&self) -> Result<MutexGuard<'_, Session>, PrivateError> {
        let mut session = self.session.lock();
        session
            .reopen_if_lost(&self.url, &self.tenant)
            .map_err(|e| PrivateError::Unavailable(e.to_string()))?;
        Ok(session)
    }

    /// Runs `work` in a transaction of `isolation`, with this tenant's writes taking turns when
    /// `exclusive`.
    fn run(
        &self,
        isolation: IsolationLevel,
        exclusive: bool,
        work: &mut Work<'_>,
    ) -> Result<(), PrivateError> {
        off_the_runtime(|| self.run_here(isolation, exclusive, work))
    }

    fn run_here(
        &self,
        isolation: IsolationLevel,
        exclusive: bool,
        work: &mut Work<'_>,
    ) -> Result<(), PrivateError> {
        let mut session = self.session()?;
        let (client, statements) = session.parts();
        let mut tx = client.build_transaction().isolation_level(isolation).start()?;
        if exclusive {
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext('sasaeai private ' || $1::text))",
                &[&self.tenant.as_str()],
            )?;
        }
        work(&mut PgSql {
            tx: &mut tx,
            statements,
            tenant: self.tenant.as_str(),
            filter: self.tenant_filter,
        })?;
        Ok(tx.commit()?)
    }
}

impl PrivateBackend for PgPrivate {
    fn describe(&self) -> String {
        format!("{} (tenant {})", without_password(&self.url), self.tenant)
    }

    fn path(&self) -> Option<&Path> {
        None
    }

    fn write(&self, work: &mut Work<'_>) -> Result<(), PrivateError> {
        self.run(IsolationLevel::ReadCommitted, true, work)
    }

    fn read(&self, work: &mut Work<'_>) -> Result<(), PrivateError> {
        // One snapshot for every statement of the read (a sheet's issues and their targets).
        self.run(IsolationLevel::RepeatableRead, false, work)
    }

    fn purge(&self) -> Result<(), PrivateError> {
        // PostgreSQL cannot overwrite a deleted row at once; VACUUM marks its space for reuse now
        // rather than at the next autovacuum. It cannot run inside a transaction.
        off_the_runtime(|| Ok(self.session()?.client.batch_execute("VACUUM features")?))
    }

    fn shared_version(&self, what: &str) -> Result<u64, PrivateError> {
        let mut versions = self.versions.lock();
        let stale = versions.as_ref().is_none_or(|(at, _)| at.elapsed() >= VERSION_POLL);
        if stale {
            let mut read = HashMap::new();
            self.read(&mut |sql| {
                for row in
                    sql.query("SELECT what, version FROM private_versions WHERE tenant = :tenant", &[])?
                {
                    read.insert(row.get::<String>(0)?, row.get::<i64>(1)? as u64);
                }
                Ok(())
            })?;
            *versions = Some((Instant::now(), read));
        }
        Ok(versions.as_ref().and_then(|(_, v)| v.get(what).copied()).unwrap_or(0))
    }

    fn after_copy(&self) -> Result<(), PrivateError> {
        let mut session = self.session()?;
        for table in GENERATED_IDS {
            // Past the largest id of any tenant (rows of others are hidden, so the sequence's own
            // last value counts too): ids stay unique across the database.
            session.client.batch_execute(&format!(
                "SELECT setval(s, greatest((SELECT coalesce(max(id), 0) FROM {table}), \
                 coalesce(pg_sequence_last_value(s), 0), 1)) \
                 FROM (SELECT pg_get_serial_sequence('{table}', 'id')::regclass AS s) q"
            ))?;
        }
        Ok(())
    }
}

/// Runs `f`, which blocks on the database, where blocking is allowed. The synchronous client drives
/// its connection on a runtime of its own, which cannot start on a thread of the server's runtime
/// (a session is looked up before any handler moves to a blocking thread): on a worker of a
/// multi-threaded runtime the worker hands its tasks over for the while; on a single-threaded one,
/// `f` runs on a thread of its own.
fn off_the_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Err(_) => f(),
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        Ok(_) => std::thread::scope(|scope| scope.spawn(f).join().expect("a database call panicked")),
    }
}

/// One transaction speaking [`Sql`] in PostgreSQL's dialect.
struct PgSql<'a, 't> {
    tx: &'a mut Transaction<'t>,
    statements: &'a mut Statements,
    tenant: &'a str,
    filter: bool,
}

impl PgSql<'_, '_> {
    /// `sql` in PostgreSQL's dialect, converted and prepared the first time it is run.
    fn prepared(&mut self, sql: &str) -> Result<Statement, PrivateError> {
        let (tx, tenant, filter) = (&mut *self.tx, self.tenant, self.filter);
        Ok(cached(self.statements, sql, || tx.prepare(&dialect(sql, tenant, filter)))?)
    }
}

impl Sql for PgSql<'_, '_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, PrivateError> {
        let statement = self.prepared(sql)?;
        Ok(self.tx.execute(&statement, &refs(params))?)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, PrivateError> {
        let statement = self.prepared(sql)?;
        let rows = self.tx.query(&statement, &refs(params))?;
        rows.iter()
            .map(|r| (0..r.len()).map(|i| r.try_get::<_, Value>(i)).collect::<Result<_, _>>().map(Row))
            .collect::<Result<_, _>>()
            .map_err(PrivateError::from)
    }
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// `sql` as PostgreSQL takes it: `$1` for `?1`, the tenant as a literal — or, without the
/// application's filter, its conditions made true and its values left to the connection's setting.
fn dialect(sql: &str, tenant: &str, filter: bool) -> String {
    let sql = if filter {
        super::sql::with_tenant(sql, tenant)
    } else {
        without_tenant_conditions(sql).replace(":tenant", "current_setting('sasaeai.tenant')")
    };
    sql.replace('?', "$")
}

/// `sql` with each `tenant = :tenant` (with or without a table alias) replaced by `TRUE`.
fn without_tenant_conditions(sql: &str) -> String {
    const CONDITION: &str = "tenant = :tenant";
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find(CONDITION) {
        let before = &rest[..at];
        // An alias is `x.` right before the column.
        let alias = before.strip_suffix('.').map_or(0, |b| {
            1 + b.len() - b.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_').len()
        });
        out.push_str(&before[..before.len() - alias]);
        out.push_str("TRUE");
        rest = &rest[at + CONDITION.len()..];
    }
    out.push_str(rest);
    out
}

impl From<::postgres::Error> for PrivateError {
    fn from(e: ::postgres::Error) -> Self {
        let message = match e.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => e.to_string(),
        };
        match connection_lost(&e) {
            true => PrivateError::Unavailable(message),
            false => PrivateError::Postgres(message),
        }
    }
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql_checked(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql_checked(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql_checked(ty, out),
                Type::BOOL => (*i != 0).to_sql_checked(ty, out),
                _ => i.to_sql_checked(ty, out),
            },
            Value::Real(x) => x.to_sql_checked(ty, out),
            Value::Text(t) => t.as_str().to_sql_checked(ty, out),
            Value::Blob(b) => b.as_slice().to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::BYTEA => Value::Blob(<Vec<u8>>::from_sql(ty, raw)?),
            _ => Value::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_numbered_and_scoped_for_postgresql() {
        let sql = "SELECT u.id FROM users u WHERE u.tenant = :tenant AND u.name = ?1";
        assert_eq!(
            dialect(sql, "141305", true),
            "SELECT u.id FROM users u WHERE u.tenant = '141305' AND u.name = $1"
        );
        assert_eq!(dialect(sql, "141305", false), "SELECT u.id FROM users u WHERE TRUE AND u.name = $1");
        assert_eq!(
            dialect("INSERT INTO audit (tenant, at) VALUES (:tenant, ?1)", "x", false),
            "INSERT INTO audit (tenant, at) VALUES (current_setting('sasaeai.tenant'), $1)"
        );
    }
}
