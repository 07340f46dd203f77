//! The shared backend: PostgreSQL with PostGIS, for several sasaeai instances over one database and
//! many municipalities (tenants) in it. Geometry is PostGIS `geometry(…, 4326)` with GiST indexes,
//! so planners can open the tables in QGIS as they are; the schema is versioned in
//! `migrations/` and brought up to date when a store opens.
//!
//! Every query names its tenant, and row-level security enforces the same as a second wall: each
//! connection sets `sasaeai.tenant`, and the policies hide and refuse every other tenant's rows even
//! to the tables' owner. A write raises its layer's version in `layer_versions` and announces it with
//! `NOTIFY sasaeai_changes` (delivered when the transaction commits), which other instances wait for
//! in [`Backend::wait_for_change`].

use super::backend::{AreaRow, Backend, Extent, Layer, SharedVersions, Tx, dataset_from};
use super::columns::{self, bad_row, parse, properties_json};
use super::geometry::{read_wkb, to_wkb};
use super::location::without_password;
use super::{DatasetInfo, StoreError, Tenant};
use crate::model::{
    Area, AreaData, AreaId, PopulationData, PopulationId, PopulationUnit, Site, SiteData, SiteId,
};
use crate::network::{EdgeData, Graph, NetworkParts};
use ::postgres::fallible_iterator::FallibleIterator;
use ::postgres::types::ToSql;
use ::postgres::{Client, Row, Statement};
use geo::{Geometry, MultiPolygon, Point};
use parking_lot::{Mutex, MutexGuard};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

mod tls;

/// The schema's migrations, in order; each runs once, in one transaction.
const MIGRATIONS: [(i32, &str); 2] =
    [(1, include_str!("migrations/0001_layers.sql")), (2, include_str!("migrations/0002_private.sql"))];

/// The channel writes are announced on; the payload is `tenant layer version`.
const CHANNEL: &str = "sasaeai_changes";

/// Network edges written per statement.
const EDGES_PER_BATCH: usize = 5_000;

/// How many times this process has found one of its connections lost. A database that ended one
/// connection (restarted, or an administrator ended the role's sessions) has usually ended them all,
/// so every other session checks its own before its next use instead of each request meeting the
/// next dead one.
static LOSSES_SEEN: AtomicU64 = AtomicU64::new(0);

/// How long a session waits for the database to answer that check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// A tenant of a PostgreSQL database.
pub struct Postgres {
    url: String,
    tenant: Tenant,
    /// The connection writes and loads take turns on.
    client: Mutex<Session>,
    /// A second connection, listening for other instances' writes; opened on first wait.
    listener: Mutex<Option<Client>>,
    /// Whether queries filter by tenant themselves (always, but in the test that checks the
    /// row-level security alone).
    tenant_filter: bool,
}

/// A connection and the statements prepared on it: a statement run once per row (an import's
/// inserts) is parsed once per connection, not once per row. Both PostgreSQL backends (the layers
/// and the private store) keep theirs in one.
pub(crate) struct Session {
    pub(crate) client: Client,
    statements: Statements,
    /// [`LOSSES_SEEN`] when this connection was last known alive.
    alive_at_loss: u64,
}

/// Prepared statements by the text they were written as (before it was made PostgreSQL's).
pub(crate) type Statements = HashMap<String, Statement>;

/// The statement written as `key`, prepared by `prepare` the first time it is asked for.
pub(crate) fn cached<E>(
    statements: &mut Statements,
    key: &str,
    prepare: impl FnOnce() -> Result<Statement, E>,
) -> Result<Statement, E> {
    if let Some(statement) = statements.get(key) {
        return Ok(statement.clone());
    }
    let statement = prepare()?;
    statements.insert(key.to_owned(), statement.clone());
    Ok(statement)
}

impl Session {
    /// A new connection to `tenant` of the database at `url`.
    pub(crate) fn open(url: &str, tenant: &Tenant) -> Result<Self, StoreError> {
        let alive_at_loss = LOSSES_SEEN.load(Ordering::Acquire);
        Ok(Session { client: connect_as(url, tenant)?, statements: HashMap::new(), alive_at_loss })
    }

    /// Opens the connection again if it is lost (the database restarted, or an administrator ended
    /// it): found by the last call on it, or by a check made because another connection of this
    /// process was found lost since. The call that found the loss failed; the next one goes through.
    pub(crate) fn reopen_if_lost(&mut self, url: &str, tenant: &Tenant) -> Result<(), StoreError> {
        let losses = LOSSES_SEEN.load(Ordering::Acquire);
        let lost = self.client.is_closed()
            || (losses != self.alive_at_loss && self.client.is_valid(CHECK_TIMEOUT).is_err());
        if lost {
            LOSSES_SEEN.fetch_add(1, Ordering::AcqRel);
            tracing::warn!(store = %without_password(url), "connection lost; connecting again");
            *self = Session::open(url, tenant)?;
        } else {
            self.alive_at_loss = losses;
        }
        Ok(())
    }

    /// The connection and its statements, apart, for a transaction that prepares as it goes.
    pub(crate) fn parts(&mut self) -> (&mut Client, &mut Statements) {
        (&mut self.client, &mut self.statements)
    }

    /// `sql` with `{scoped}` filled in by `scoped`, prepared on first use.
    fn prepared(&mut self, sql: &'static str, scoped: &str) -> Result<Statement, StoreError> {
        let client = &mut self.client;
        Ok(cached(&mut self.statements, sql, || client.prepare(&sql.replace("{scoped}", scoped)))?)
    }

    fn query(
        &mut self,
        sql: &'static str,
        scoped: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let statement = self.prepared(sql, scoped)?;
        Ok(self.client.query(&statement, params)?)
    }

    fn query_one(
        &mut self,
        sql: &'static str,
        scoped: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, StoreError> {
        let statement = self.prepared(sql, scoped)?;
        Ok(self.client.query_one(&statement, params)?)
    }

    fn execute(
        &mut self,
        sql: &'static str,
        scoped: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let statement = self.prepared(sql, scoped)?;
        Ok(self.client.execute(&statement, params)?)
    }
}

impl Postgres {
    /// Connects as the URL says, brings the schema up to date and scopes the connection to `tenant`.
    pub fn connect(url: &str, tenant: Tenant) -> Result<Self, StoreError> {
        let mut session = Session::open(url, &tenant)?;
        migrate(&mut session.client, url)?;
        Ok(Postgres {
            url: url.to_owned(),
            tenant,
            client: Mutex::new(session),
            listener: Mutex::new(None),
            tenant_filter: true,
        })
    }

    /// The same store with the application's tenant filter taken out of every query, leaving
    /// row-level security as the only wall: for the test that proves the wall holds alone.
    pub fn without_tenant_filter(mut self) -> Self {
        self.tenant_filter = false;
        self
    }

    /// The condition every query puts on its rows; `$1` is always the tenant.
    fn scoped(&self) -> &'static str {
        if self.tenant_filter { "tenant = $1" } else { "$1::text IS NOT NULL" }
    }

    /// The rows of `sql`, whose one parameter is the tenant.
    fn rows(&self, sql: &'static str) -> Result<Vec<Row>, StoreError> {
        self.session()?.query(sql, self.scoped(), &[&self.tenant.as_str()])
    }

    /// The connection, opened again if the last call found it lost.
    fn session(&self) -> Result<MutexGuard<'_, Session>, StoreError> {
        let mut session = self.client.lock();
        session.reopen_if_lost(&self.url, &self.tenant)?;
        Ok(session)
    }

    fn load<T>(
        &self,
        sql: &'static str,
        mut convert: impl FnMut(&Row, i64) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.rows(sql)?.iter().map(|row| convert(row, row.get("fid"))).collect()
    }

    fn listening(&self) -> Result<MutexGuard<'_, Option<Client>>, StoreError> {
        let mut listener = self.listener.lock();
        if listener.is_none() {
            let mut client = connect_as(&self.url, &self.tenant)?;
            client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
            *listener = Some(client);
        }
        Ok(listener)
    }
}

/// A connection scoped to `tenant` (the setting the row-level security policies read).
pub(crate) fn connect_as(url: &str, tenant: &Tenant) -> Result<Client, StoreError> {
    let setup = |reason: String| StoreError::Setup { store: without_password(url), reason };
    let (config, tls) = tls::connector(url).map_err(setup)?;
    let mut client = config
        .connect(tls)
        .map_err(|e| setup(tls::explain(format!("cannot connect: {}", full_message(&e)))))?;
    client.execute("SELECT set_config('sasaeai.tenant', $1, false)", &[&tenant.as_str()])?;
    Ok(client)
}

/// `e` with its causes (a TLS failure says why only in its source).
fn full_message(e: &::postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// Whether `e` says the connection is gone (closed, broken, or ended by the server) rather than that
/// a statement failed: the caller may try again once the database is back. A loss is counted, so
/// that the process's other connections check theirs before their next use.
pub fn connection_lost(e: &::postgres::Error) -> bool {
    let code = e.code().map(|c| c.code()).unwrap_or("");
    let io = std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>());
    let lost = e.is_closed() || io || code.starts_with("08") || ["57P01", "57P02", "57P03"].contains(&code);
    if lost {
        LOSSES_SEEN.fetch_add(1, Ordering::AcqRel);
    }
    lost
}

/// Applies the migrations the database has not seen, under a lock so instances starting together
/// take turns. PostGIS must be there or be creatable by this role.
pub(crate) fn migrate(client: &mut Client, url: &str) -> Result<(), StoreError> {
    let setup = |reason: String| StoreError::Setup { store: without_password(url), reason };
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock(hashtext('sasaeai migrations'))", &[])?;
    if tx.query_opt("SELECT 1 FROM pg_extension WHERE extname = 'postgis'", &[])?.is_none() {
        tx.batch_execute("CREATE EXTENSION postgis").map_err(|e| {
            setup(format!("PostGIS is not installed in this database and this role cannot add it ({e}); as a superuser run CREATE EXTENSION postgis"))
        })?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS sasaeai_migrations (
            version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )?;
    let applied: i32 = tx.query_one("SELECT coalesce(max(version), 0) FROM sasaeai_migrations", &[])?.get(0);
    let known = MIGRATIONS.len() as i32;
    if applied > known {
        return Err(StoreError::NotOurs {
            store: without_password(url),
            reason: format!(
                "schema version {applied} was written by a newer sasaeai (this one knows {known})"
            ),
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        tx.batch_execute(sql).map_err(|e| setup(format!("migration {version}: {e}")))?;
        tx.execute("INSERT INTO sasaeai_migrations (version) VALUES ($1)", &[version])?;
    }
    Ok(tx.commit()?)
}

fn geometry(row: &Row, table: &'static str, fid: i64) -> Result<Geometry<f64>, StoreError> {
    read_wkb(row.get::<_, &[u8]>("wkb")).map_err(|source| StoreError::Geometry { table, fid, source })
}

fn point(row: &Row, table: &'static str, fid: i64) -> Result<Point<f64>, StoreError> {
    match geometry(row, table, fid)? {
        Geometry::Point(p) => Ok(p),
        other => Err(bad_row(table, fid, format!("expected a Point, found {other:?}"))),
    }
}

fn count(value: i64, table: &'static str, fid: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| bad_row(table, fid, format!("count {value} out of range")))
}

impl Backend for Postgres {
    fn describe(&self) -> String {
        format!("{} (tenant {})", without_password(&self.url), self.tenant)
    }

    fn versions(&self) -> Result<Option<SharedVersions>, StoreError> {
        let rows = self.rows("SELECT layer, version FROM layer_versions WHERE {scoped}")?;
        let mut versions = SharedVersions::default();
        for row in rows {
            if let Some(layer) = Layer::parse(row.get(0)) {
                versions.set(layer, row.get::<_, i64>(1) as u64);
            }
        }
        Ok(Some(versions))
    }

    fn load_areas(&self) -> Result<Vec<Area>, StoreError> {
        let sql = "SELECT fid, ST_AsBinary(geom) AS wkb, name, level, code, parent_id, parent_derived,
                          properties::text AS properties
                   FROM areas WHERE {scoped} ORDER BY fid";
        self.load(sql, |row, fid| {
            let geometry = match geometry(row, "areas", fid)? {
                Geometry::MultiPolygon(mp) => mp,
                Geometry::Polygon(p) => MultiPolygon(vec![p]),
                other => {
                    return Err(bad_row("areas", fid, format!("expected a MultiPolygon, found {other:?}")));
                }
            };
            Ok(Area {
                id: AreaId(fid),
                name: row.get("name"),
                level: parse(row.get("level"), "areas", fid)?,
                code: row.get("code"),
                parent: row.get::<_, Option<i64>>("parent_id").map(AreaId),
                parent_derived: row.get("parent_derived"),
                geometry,
                properties: columns::properties(row.get("properties"), "areas", fid)?,
            })
        })
    }

    fn load_sites(&self) -> Result<Vec<Site>, StoreError> {
        let sql = "SELECT fid, ST_AsBinary(geom) AS wkb, name, kind, address, schedule, audience, operator,
                          properties::text AS properties
                   FROM sites WHERE {scoped} ORDER BY fid";
        self.load(sql, |row, fid| {
            Ok(Site {
                id: SiteId(fid),
                data: SiteData {
                    name: row.get("name"),
                    kind: parse(row.get("kind"), "sites", fid)?,
                    location: point(row, "sites", fid)?,
                    address: row.get("address"),
                    schedule: row.get("schedule"),
                    audience: columns::audience(row.get("audience"), "sites", fid)?,
                    operator: row.get("operator"),
                    properties: columns::properties(row.get("properties"), "sites", fid)?,
                },
            })
        })
    }

    fn load_population(&self) -> Result<Vec<PopulationUnit>, StoreError> {
        let sql = "SELECT fid, ST_AsBinary(geom) AS wkb, name, total, aged65, aged75, source, year,
                          properties::text AS properties
                   FROM population WHERE {scoped} ORDER BY fid";
        self.load(sql, |row, fid| {
            Ok(PopulationUnit {
                id: PopulationId(fid),
                data: PopulationData {
                    name: row.get("name"),
                    location: point(row, "population", fid)?,
                    total: count(row.get("total"), "population", fid)?,
                    aged65: count(row.get("aged65"), "population", fid)?,
                    aged75: count(row.get("aged75"), "population", fid)?,
                    source: row.get("source"),
                    year: row.get("year"),
                    properties: columns::properties(row.get("properties"), "population", fid)?,
                },
            })
        })
    }

    fn load_network(&self) -> Result<Option<NetworkParts>, StoreError> {
        let sql = "SELECT fid, ST_AsBinary(geom) AS wkb, source, target, steps, highway, way_id
                   FROM network WHERE {scoped} ORDER BY fid";
        let edges = self.load(sql, |row, fid| {
            let geometry = match geometry(row, "network", fid)? {
                Geometry::LineString(ls) if ls.0.len() >= 2 => ls,
                other => {
                    return Err(bad_row("network", fid, format!("expected a LineString, found {other:?}")));
                }
            };
            let node = |column: &str| {
                u32::try_from(row.get::<_, i64>(column))
                    .map_err(|_| bad_row("network", fid, "node out of range"))
            };
            Ok(EdgeData {
                a: node("source")?,
                b: node("target")?,
                geometry,
                steps: row.get("steps"),
                highway: row.get("highway"),
                way_id: row.get("way_id"),
            })
        })?;
        columns::network_from_edges(edges)
    }

    fn load_dataset(&self) -> Result<DatasetInfo, StoreError> {
        let rows = self.rows("SELECT key, value FROM meta WHERE {scoped}")?;
        let meta: std::collections::HashMap<String, String> =
            rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        dataset_from(|key| Ok(meta.get(key).cloned()))
    }

    fn begin(&self) -> Result<Box<dyn Tx + '_>, StoreError> {
        let mut session = self.session()?;
        session.client.batch_execute("BEGIN")?;
        Ok(Box::new(PgTx { store: self, session, raised: Vec::new(), open: true }))
    }

    fn wait_for_change(&self, timeout: Duration) -> Result<bool, StoreError> {
        let mut listener = self.listening()?;
        let prefix = format!("{} ", self.tenant);
        let outcome = {
            let client = listener.as_mut().expect("listening() connects");
            let mut waiting = client.notifications();
            let mut arrivals = waiting.timeout_iter(timeout);
            loop {
                match arrivals.next() {
                    Ok(Some(n)) if n.payload().starts_with(&prefix) => break Ok(true),
                    Ok(Some(_)) => continue,
                    Ok(None) => break Ok(false),
                    Err(e) => break Err(e),
                }
            }
        };
        outcome.map_err(|e| {
            // A broken listening connection is opened again on the next wait. Being always on the
            // socket, it is often the first to see the database end the connections.
            if connection_lost(&e) {
                tracing::warn!(store = %without_password(&self.url), "listening connection lost; listening again");
            }
            *listener = None;
            e.into()
        })
    }

    fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let mut findings = Vec::new();
        let mut session = self.session()?;
        for table in ["areas", "sites", "population", "network"] {
            let sql =
                format!("SELECT count(*) FROM {table} WHERE {} AND NOT ST_IsValid(geom)", self.scoped());
            let invalid: i64 = session.client.query_one(sql.as_str(), &[&self.tenant.as_str()])?.get(0);
            if invalid > 0 {
                findings.push(format!("{table}: {invalid} invalid geometries"));
            }
        }
        if findings.is_empty() {
            findings.push("ok".to_owned());
        }
        Ok(findings)
    }
}

/// A transaction on the shared connection, held for its whole length.
struct PgTx<'a> {
    store: &'a Postgres,
    session: MutexGuard<'a, Session>,
    /// The layer versions this transaction raised, in order.
    raised: Vec<(Layer, u64)>,
    open: bool,
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // A connection whose rollback failed is broken; the next statement reports it.
            let _ = self.session.client.batch_execute("ROLLBACK");
        }
    }
}

impl<'a> PgTx<'a> {
    fn tenant(&self) -> &'a str {
        self.store.tenant.as_str()
    }

    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        self.session.execute(sql, self.store.scoped(), params)
    }

    fn query_one(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Row, StoreError> {
        self.session.query_one(sql, self.store.scoped(), params)
    }

    fn insert_area_row(&mut self, a: &AreaRow<'_>) -> Result<AreaId, StoreError> {
        let wkb = to_wkb(&Geometry::MultiPolygon(a.geometry.clone()));
        let tenant = self.tenant();
        let row = self.query_one(
            "INSERT INTO areas (tenant, fid, geom, name, level, code, parent_derived, properties)
             VALUES ($1, coalesce($2, nextval(pg_get_serial_sequence('areas', 'fid'))), ST_GeomFromWKB($3, 4326),
                     $4, $5, $6, $7, $8::text::json)
             RETURNING fid",
            &[
                &tenant,
                &a.id.map(|id| id.0),
                &wkb,
                &a.name,
                &a.level.as_str(),
                &a.code,
                &a.parent_derived,
                &properties_json(a.properties),
            ],
        )?;
        Ok(AreaId(row.get(0)))
    }

    fn write_site(&mut self, fid: Option<SiteId>, s: &SiteData) -> Result<SiteId, StoreError> {
        let wkb = to_wkb(&Geometry::Point(s.location));
        let tenant = self.tenant();
        let row = self.query_one(
            "INSERT INTO sites (tenant, fid, geom, name, kind, address, schedule, audience, operator, properties)
             VALUES ($1, coalesce($2, nextval(pg_get_serial_sequence('sites', 'fid'))), ST_GeomFromWKB($3, 4326),
                     $4, $5, $6, $7, $8, $9, $10::text::json)
             RETURNING fid",
            &[
                &tenant,
                &fid.map(|id| id.0),
                &wkb,
                &s.name,
                &s.kind.as_str(),
                &s.address,
                &s.schedule,
                &columns::audience_text(&s.audience),
                &s.operator,
                &properties_json(&s.properties),
            ],
        )?;
        Ok(SiteId(row.get(0)))
    }

    fn write_population(
        &mut self,
        fid: Option<PopulationId>,
        p: &PopulationData,
    ) -> Result<PopulationId, StoreError> {
        let wkb = to_wkb(&Geometry::Point(p.location));
        let tenant = self.tenant();
        let row = self.query_one(
            "INSERT INTO population (tenant, fid, geom, name, total, aged65, aged75, source, year, properties)
             VALUES ($1, coalesce($2, nextval(pg_get_serial_sequence('population', 'fid'))),
                     ST_GeomFromWKB($3, 4326), $4, $5, $6, $7, $8, $9, $10::text::json)
             RETURNING fid",
            &[
                &tenant,
                &fid.map(|id| id.0),
                &wkb,
                &p.name,
                &i64::from(p.total),
                &i64::from(p.aged65),
                &i64::from(p.aged75),
                &p.source,
                &p.year,
                &properties_json(&p.properties),
            ],
        )?;
        Ok(PopulationId(row.get(0)))
    }

    /// After rows were copied with their ids, the table's id sequence moves past them.
    fn skip_ids(&mut self, table: &str) -> Result<(), StoreError> {
        self.session.client.batch_execute(&format!(
            "SELECT setval(s, greatest((SELECT coalesce(max(fid), 0) FROM {table}), coalesce(pg_sequence_last_value(s), 0), 1))
             FROM (SELECT pg_get_serial_sequence('{table}', 'fid')::regclass AS s) q"
        ))?;
        Ok(())
    }
}

impl Tx for PgTx<'_> {
    fn insert_area(&mut self, area: &AreaData) -> Result<AreaId, StoreError> {
        self.insert_area_row(&AreaRow::new(area))
    }

    fn set_area_parent(
        &mut self,
        id: AreaId,
        parent: Option<AreaId>,
        derived: bool,
    ) -> Result<(), StoreError> {
        let tenant = self.tenant();
        self.execute(
            "UPDATE areas SET parent_id = $3, parent_derived = $4 WHERE {scoped} AND fid = $2",
            &[&tenant, &id.0, &parent.map(|p| p.0), &derived],
        )?;
        Ok(())
    }

    fn insert_site(&mut self, site: &SiteData) -> Result<SiteId, StoreError> {
        self.write_site(None, site)
    }

    fn update_site(&mut self, id: SiteId, s: &SiteData) -> Result<bool, StoreError> {
        let tenant = self.tenant();
        let wkb = to_wkb(&Geometry::Point(s.location));
        let n = self.execute(
            "UPDATE sites SET geom = ST_GeomFromWKB($3, 4326), name = $4, kind = $5, address = $6, schedule = $7,
                    audience = $8, operator = $9, properties = $10::text::json
             WHERE {scoped} AND fid = $2",
            &[
                &tenant,
                &id.0,
                &wkb,
                &s.name,
                &s.kind.as_str(),
                &s.address,
                &s.schedule,
                &columns::audience_text(&s.audience),
                &s.operator,
                &properties_json(&s.properties),
            ],
        )?;
        Ok(n == 1)
    }

    fn delete_site(&mut self, id: SiteId) -> Result<bool, StoreError> {
        let tenant = self.tenant();
        Ok(self.execute("DELETE FROM sites WHERE {scoped} AND fid = $2", &[&tenant, &id.0])? == 1)
    }

    fn insert_population(&mut self, unit: &PopulationData) -> Result<PopulationId, StoreError> {
        self.write_population(None, unit)
    }

    fn replace_network(&mut self, graph: &Graph) -> Result<(), StoreError> {
        let tenant = self.tenant();
        self.execute("DELETE FROM network WHERE {scoped}", &[&tenant])?;
        let edges = graph.edges();
        for (start, batch) in (0..).step_by(EDGES_PER_BATCH).zip(edges.chunks(EDGES_PER_BATCH)) {
            let fid: Vec<i64> = (start..start + batch.len() as i64).map(|i| i + 1).collect();
            let wkb: Vec<Vec<u8>> =
                batch.iter().map(|e| to_wkb(&Geometry::LineString(e.data.geometry.clone()))).collect();
            let source: Vec<i64> = batch.iter().map(|e| i64::from(e.data.a)).collect();
            let target: Vec<i64> = batch.iter().map(|e| i64::from(e.data.b)).collect();
            let length: Vec<f64> = batch.iter().map(|e| e.length_m).collect();
            let steps: Vec<bool> = batch.iter().map(|e| e.data.steps).collect();
            let highway: Vec<&str> = batch.iter().map(|e| e.data.highway.as_str()).collect();
            let way: Vec<Option<i64>> = batch.iter().map(|e| e.data.way_id).collect();
            self.execute(
                "INSERT INTO network (tenant, fid, geom, source, target, length_m, steps, highway, way_id)
                 SELECT $1, f, ST_GeomFromWKB(g, 4326), s, t, l, st, h, w
                 FROM unnest($2::bigint[], $3::bytea[], $4::bigint[], $5::bigint[], $6::float8[], $7::bool[],
                             $8::text[], $9::bigint[]) AS u(f, g, s, t, l, st, h, w)",
                &[&tenant, &fid, &wkb, &source, &target, &length, &steps, &highway, &way],
            )?;
        }
        Ok(())
    }

    fn get_meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let tenant = self.tenant();
        let rows = self.session.query(
            "SELECT value FROM meta WHERE {scoped} AND key = $2",
            self.store.scoped(),
            &[&tenant, &key],
        )?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        let tenant = self.tenant();
        self.execute(
            "INSERT INTO meta (tenant, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, key) DO UPDATE SET value = excluded.value",
            &[&tenant, &key, &value],
        )?;
        Ok(())
    }

    fn copy_areas(&mut self, areas: &[Arc<Area>]) -> Result<(), StoreError> {
        for a in areas {
            self.insert_area_row(&AreaRow::copy(a))?;
        }
        for a in areas.iter().filter(|a| a.parent.is_some()) {
            self.set_area_parent(a.id, a.parent, a.parent_derived)?;
        }
        self.skip_ids("areas")
    }

    fn copy_sites(&mut self, sites: &[Arc<Site>]) -> Result<(), StoreError> {
        for s in sites {
            self.write_site(Some(s.id), &s.data)?;
        }
        self.skip_ids("sites")
    }

    fn copy_population(&mut self, units: &[Arc<PopulationUnit>]) -> Result<(), StoreError> {
        for u in units {
            self.write_population(Some(u.id), &u.data)?;
        }
        self.skip_ids("population")
    }

    fn touch(
        &mut self,
        layer: Layer,
        _rect: Option<geo::Rect<f64>>,
        _extent: Extent,
    ) -> Result<(), StoreError> {
        let tenant = self.tenant();
        let version: i64 = self
            .query_one(
                "INSERT INTO layer_versions (tenant, layer, version) VALUES ($1, $2, 1)
                 ON CONFLICT (tenant, layer) DO UPDATE SET version = layer_versions.version + 1
                 RETURNING version",
                &[&tenant, &layer.as_str()],
            )?
            .get(0);
        let payload = format!("{tenant} {} {version}", layer.as_str());
        self.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])?;
        self.raised.push((layer, version as u64));
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<Vec<(Layer, u64)>, StoreError> {
        self.session.client.batch_execute("COMMIT")?;
        self.open = false;
        Ok(std::mem::take(&mut self.raised))
    }
}
