//! The audit log: append-only (triggers refuse UPDATE and DELETE), one row per read or write of
//! support-map data and per account or permission change. It keeps who, when, which ids and from
//! where — never what a feature said.

use super::sql::{Row, Sql, args};
use super::{PrivateError, PrivateStore, now_s};
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

pub(super) fn append(sql: &mut dyn Sql, entry: &AuditEntry) -> Result<(), PrivateError> {
    sql.execute(
        "INSERT INTO audit (tenant, at, actor, action, group_id, ids, client) \
         VALUES (:tenant, ?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            now_s(),
            &entry.actor,
            entry.action,
            entry.group_id,
            serde_json::to_string(&entry.ids).expect("ids serialise"),
            &entry.client
        ],
    )?;
    Ok(())
}

fn audit_row(r: &Row) -> Result<AuditRow, PrivateError> {
    Ok(AuditRow {
        id: r.get(0)?,
        at: super::iso8601(r.get(1)?),
        actor: r.get(2)?,
        action: r.get(3)?,
        group_id: r.get(4)?,
        ids: serde_json::from_str(&r.get::<String>(5)?).unwrap_or_default(),
        client: r.get(6)?,
    })
}

const COLUMNS: &str = "SELECT id, at, actor, action, group_id, ids, client FROM audit WHERE tenant = :tenant";

impl PrivateStore {
    /// Appends one entry on its own (for reads, which write nothing else).
    pub fn append_audit(&self, entry: &AuditEntry) -> Result<(), PrivateError> {
        self.write(|sql| append(sql, entry))
    }

    /// The log of one group, oldest first.
    pub fn group_audit(&self, group_id: i64) -> Result<Vec<AuditRow>, PrivateError> {
        self.read(|sql| {
            sql.rows(&format!("{COLUMNS} AND group_id = ?1 ORDER BY id"), args![group_id], audit_row)
        })
    }

    /// Account and permission changes, and copies of the stores (actions `user.*`, `token.*`,
    /// `session.*`, `login.*`, `stores.*`), oldest first.
    pub fn account_audit(&self) -> Result<Vec<AuditRow>, PrivateError> {
        self.read(|sql| {
            sql.rows(
                &format!(
                    "{COLUMNS} AND (action LIKE 'user.%' OR action LIKE 'token.%' OR action LIKE 'session.%' \
                     OR action LIKE 'login.%' OR action LIKE 'stores.%') ORDER BY id"
                ),
                &[],
                audit_row,
            )
        })
    }
}
