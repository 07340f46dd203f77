//! Copying a private store into another backend with every id kept (the public layers refer to
//! none of them, but sessions, memberships, links and the audit log refer to each other), then
//! reading the target back and comparing each table by count and SHA-256.

use super::sql::{Row, Sql, Value};
use super::{PrivateError, PrivateStore};
use sha2::{Digest, Sha256};

/// The private tables with their columns (the tenant aside), parents before children, and the
/// columns that order their rows.
const TABLES: [(&str, &str, &str); 14] = [
    ("users", "id, name, role, scope, password_hash, disabled, created", "id"),
    ("tokens", "id, user_id, name, hash, created, revoked", "id"),
    ("sessions", "id, user_id, hash, csrf, created, seen, revoked", "id"),
    ("groups", "id, name, area_id, polygon, edition, created", "id"),
    ("editions", "group_id, edition, created", "group_id, edition"),
    ("members", "group_id, user_id, role", "group_id, user_id"),
    (
        "features",
        "id, group_id, edition, key, type, lon, lat, label, tags, note, from_key, to_key, site_id, updated",
        "id",
    ),
    ("audit", "id, at, actor, action, group_id, ids, client", "id"),
    ("indicator_values", "area_id, indicator, year, value", "indicator, year, area_id"),
    ("site_participants", "site_id, year, participants", "site_id, year"),
    ("area_notes", "id, area_id, field, kind, text, author, updated", "id"),
    ("area_issues", "id, area_id, title, field, priority, indicator, author, updated", "id"),
    ("issue_targets", "issue_id, year, target, measured", "issue_id, year"),
    ("private_versions", "what, version", "what"),
];

/// What one table holds: its rows counted and hashed in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    pub table: &'static str,
    pub count: usize,
    pub sha256: String,
}

impl PrivateStore {
    /// Copies every row into `target`, which must hold none, in one transaction; then compares
    /// both per table. Returns the digests.
    pub fn copy_into(&self, target: &PrivateStore) -> Result<Vec<TableDigest>, PrivateError> {
        let tables =
            self.read(|sql| TABLES.iter().map(|t| rows_of(sql, t)).collect::<Result<Vec<_>, _>>())?;
        if !target.is_empty()? {
            return Err(PrivateError::Refused(format!(
                "{} already holds private data; copy into an empty store",
                target.describe()
            )));
        }
        target.write(|sql| {
            for ((table, columns, _), rows) in TABLES.iter().zip(&tables) {
                let values: Vec<String> =
                    (1..=rows.first().map_or(0, |r| r.0.len())).map(|i| format!("?{i}")).collect();
                let insert = format!(
                    "INSERT INTO {table} (tenant, {columns}) VALUES (:tenant, {})",
                    values.join(", ")
                );
                for row in rows {
                    sql.execute(&insert, &row.0)?;
                }
            }
            Ok(())
        })?;
        target.backend.after_copy()?;
        let (copied, read_back) = (digest_all(&tables), target.digests()?);
        match copied.iter().zip(&read_back).find(|(a, b)| a != b) {
            None => Ok(read_back),
            Some((a, b)) => Err(PrivateError::Corrupt(format!(
                "{} differs after the copy: {} rows (sha256 {}) written, {} rows (sha256 {}) read back",
                a.table, a.count, a.sha256, b.count, b.sha256
            ))),
        }
    }

    /// Whether no table holds a row of this tenant.
    pub fn is_empty(&self) -> Result<bool, PrivateError> {
        Ok(self.digests()?.iter().all(|d| d.count == 0))
    }

    /// Each table's count and SHA-256 over its rows in order.
    pub fn digests(&self) -> Result<Vec<TableDigest>, PrivateError> {
        self.read(|sql| {
            Ok(digest_all(&TABLES.iter().map(|t| rows_of(sql, t)).collect::<Result<Vec<_>, _>>()?))
        })
    }
}

fn rows_of(
    sql: &mut dyn Sql,
    (table, columns, order): &(&str, &str, &str),
) -> Result<Vec<Row>, PrivateError> {
    sql.query(&format!("SELECT {columns} FROM {table} WHERE tenant = :tenant ORDER BY {order}"), &[])
}

fn digest_all(tables: &[Vec<Row>]) -> Vec<TableDigest> {
    TABLES.iter().zip(tables).map(|((table, _, _), rows)| digest(table, rows)).collect()
}

fn digest(table: &'static str, rows: &[Row]) -> TableDigest {
    let mut hash = Sha256::new();
    for row in rows {
        for value in &row.0 {
            match value {
                Value::Null => hash.update(b"n"),
                Value::Int(i) => {
                    hash.update(b"i");
                    hash.update(i.to_le_bytes());
                }
                Value::Real(x) => {
                    hash.update(b"r");
                    hash.update(x.to_bits().to_le_bytes());
                }
                Value::Text(t) => {
                    hash.update(b"t");
                    hash.update((t.len() as u64).to_le_bytes());
                    hash.update(t.as_bytes());
                }
                Value::Blob(b) => {
                    hash.update(b"b");
                    hash.update((b.len() as u64).to_le_bytes());
                    hash.update(b);
                }
            }
        }
    }
    TableDigest { table, count: rows.len(), sha256: format!("{:x}", hash.finalize()) }
}
