//! The audit log: append-only (triggers refuse UPDATE and DELETE), one row per read or write of
//! support-map data and per account or permission change. It keeps who, when, which ids and from
//! where — never what a feature said.

use super::{PrivateError, PrivateStore, now_s};
use rusqlite::{Connection, Transaction, params};
use serde::Serialize;

/// What happened, to be appended.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor: String,
    /// A dotted verb: `feature.read`, `feature.delete`, `member.add`, `user.disable` …
    pub action: &'static str,
    pub group_id: Option<i64>,
    pub ids: Vec<i64>,
    /// The client's address, when the request came over the network.
    pub client: Option<String>,
}

impl AuditEntry {
    pub fn new(
        actor: &str,
        action: &'static str,
        group_id: Option<i64>,
        ids: Vec<i64>,
        client: Option<String>,
    ) -> Self {
        AuditEntry { actor: actor.to_owned(), action, group_id, ids, client }
    }

    /// This entry about group `group_id` (if any) and `ids`: the store fills them in once it knows.
    pub(super) fn about(&self, group_id: Option<i64>, ids: Vec<i64>) -> AuditEntry {
        AuditEntry { group_id: group_id.or(self.group_id), ids, ..self.clone() }
    }
}

/// One row of the log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub group_id: Option<i64>,
    pub ids: Vec<i64>,
    pub client: Option<String>,
}

pub(super) fn append(tx: &Transaction<'_>, entry: &AuditEntry) -> Result<(), PrivateError> {
    tx.execute(
        "INSERT INTO audit (at, actor, action, group_id, ids, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            now_s(),
            entry.actor,
            entry.action,
            entry.group_id,
            serde_json::to_string(&entry.ids).expect("ids serialise"),
            entry.client
        ],
    )?;
    Ok(())
}

fn rows(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<AuditRow>, PrivateError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params, |r| {
        let ids: String = r.get(5)?;
        Ok(AuditRow {
            id: r.get(0)?,
            at: super::iso8601(r.get(1)?),
            actor: r.get(2)?,
            action: r.get(3)?,
            group_id: r.get(4)?,
            ids: serde_json::from_str(&ids).unwrap_or_default(),
            client: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const COLUMNS: &str = "SELECT id, at, actor, action, group_id, ids, client FROM audit";

impl PrivateStore {
    /// Appends one entry on its own (for reads, which write nothing else).
    pub fn append_audit(&self, entry: &AuditEntry) -> Result<(), PrivateError> {
        self.write(|tx| append(tx, entry))
    }

    /// The log of one group, oldest first.
    pub fn group_audit(&self, group_id: i64) -> Result<Vec<AuditRow>, PrivateError> {
        self.read(|c| rows(c, &format!("{COLUMNS} WHERE group_id = ?1 ORDER BY id"), [group_id]))
    }

    /// Account and permission changes, and copies of the stores (actions `user.*`, `token.*`,
    /// `session.*`, `login.*`, `stores.*`), oldest first.
    pub fn account_audit(&self) -> Result<Vec<AuditRow>, PrivateError> {
        self.read(|c| {
            rows(
                c,
                &format!(
                    "{COLUMNS} WHERE action GLOB 'user.*' OR action GLOB 'token.*' \
                     OR action GLOB 'session.*' OR action GLOB 'login.*' OR action GLOB 'stores.*' ORDER BY id"
                ),
                [],
            )
        })
    }
}
