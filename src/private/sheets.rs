//! The 地域情報シート's own entries, staff-only: notes per field (住民の声, 担当の気づき) and the area's
//! issues (課題), each with a priority and a numeric target per year beside the measured value — the
//! 振り返り the karte guide asks for. This module stores; the application decides who may.

use super::audit::{AuditEntry, append};
use super::sql::{Row, Sql, args};
use super::{PrivateError, PrivateStore, iso8601, now_s};
use serde::{Deserialize, Serialize};

/// The most notes one area's sheet holds.
pub const MAX_NOTES_PER_AREA: i64 = 500;
/// The most issues one area's sheet holds.
pub const MAX_ISSUES_PER_AREA: i64 = 100;

/// Refuses a row beyond `max` of `table` for `area_id`, counted in the writing transaction so
/// that two writers at once cannot both pass.
fn check_room(sql: &mut dyn Sql, table: &str, area_id: i64, max: i64) -> Result<(), PrivateError> {
    let n: i64 = sql.value(
        &format!("SELECT count(*) FROM {table} WHERE tenant = :tenant AND area_id = ?1"),
        args![area_id],
    )?;
    if n >= max {
        return Err(PrivateError::Refused(format!("an area's sheet holds at most {max} of these")));
    }
    Ok(())
}

/// A note as written.
#[derive(Debug, Clone, Deserialize)]
pub struct NoteInput {
    /// The karte field (`people`, `environment`, `childcare`, `elderly`, `health`).
    pub field: String,
    /// `voice` (住民の声) or `observation` (担当の気づき).
    pub kind: String,
    pub text: String,
}

/// A stored note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteRow {
    pub id: i64,
    pub field: String,
    pub kind: String,
    pub text: String,
    pub author: String,
    /// RFC 3339, UTC.
    pub updated: String,
}

/// An issue's target and measured value for one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRow {
    pub year: i32,
    pub target: Option<f64>,
    pub measured: Option<f64>,
}

/// An issue as written.
#[derive(Debug, Clone, Deserialize)]
pub struct IssueInput {
    pub title: String,
    pub field: String,
    /// 1 (highest) to 5.
    pub priority: i64,
    /// The catalogue indicator it is measured by, if any.
    pub indicator: Option<String>,
    #[serde(default)]
    pub targets: Vec<TargetRow>,
}

/// A stored issue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueRow {
    pub id: i64,
    pub title: String,
    pub field: String,
    pub priority: i64,
    pub indicator: Option<String>,
    pub targets: Vec<TargetRow>,
    pub author: String,
    pub updated: String,
}

impl PrivateStore {
    /// Adds a note to `area_id`'s sheet.
    pub fn add_note(
        &self,
        area_id: i64,
        note: &NoteInput,
        author: &str,
        audit: &AuditEntry,
    ) -> Result<i64, PrivateError> {
        self.write(|sql| {
            check_room(sql, "area_notes", area_id, MAX_NOTES_PER_AREA)?;
            let id: i64 = sql.value(
                "INSERT INTO area_notes (tenant, area_id, field, kind, text, author, updated) \
                 VALUES (:tenant, ?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                args![area_id, &note.field, &note.kind, &note.text, author, now_s()],
            )?;
            append(sql, &audit.about(None, vec![area_id, id]))?;
            Ok(id)
        })
    }

    /// Removes note `id` of `area_id`'s sheet.
    pub fn delete_note(&self, area_id: i64, id: i64, audit: &AuditEntry) -> Result<(), PrivateError> {
        self.write(|sql| {
            let n = sql.execute(
                "DELETE FROM area_notes WHERE tenant = :tenant AND id = ?1 AND area_id = ?2",
                args![id, area_id],
            )?;
            if n == 0 {
                return Err(PrivateError::Missing(format!("note {id} of area {area_id}")));
            }
            append(sql, &audit.about(None, vec![area_id, id]))
        })
    }

    /// Stores an issue of `area_id`: a new one when `id` is `None`, else replaces issue `id`.
    pub fn put_issue(
        &self,
        area_id: i64,
        id: Option<i64>,
        issue: &IssueInput,
        author: &str,
        audit: &AuditEntry,
    ) -> Result<i64, PrivateError> {
        self.write(|sql| {
            let id = match id {
                None => {
                    check_room(sql, "area_issues", area_id, MAX_ISSUES_PER_AREA)?;
                    sql.value(
                        "INSERT INTO area_issues (tenant, area_id, title, field, priority, indicator, author, updated) \
                         VALUES (:tenant, ?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                        args![area_id, &issue.title, &issue.field, issue.priority, &issue.indicator, author, now_s()],
                    )?
                }
                Some(id) => {
                    let n = sql.execute(
                        "UPDATE area_issues SET title = ?3, field = ?4, priority = ?5, indicator = ?6, author = ?7, \
                         updated = ?8 WHERE tenant = :tenant AND id = ?1 AND area_id = ?2",
                        args![id, area_id, &issue.title, &issue.field, issue.priority, &issue.indicator, author, now_s()],
                    )?;
                    if n == 0 {
                        return Err(PrivateError::Missing(format!("issue {id} of area {area_id}")));
                    }
                    sql.execute("DELETE FROM issue_targets WHERE tenant = :tenant AND issue_id = ?1", args![id])?;
                    id
                }
            };
            for t in &issue.targets {
                sql.execute(
                    "INSERT INTO issue_targets (tenant, issue_id, year, target, measured) \
                     VALUES (:tenant, ?1, ?2, ?3, ?4)",
                    args![id, t.year, t.target, t.measured],
                )?;
            }
            append(sql, &audit.about(None, vec![area_id, id]))?;
            Ok(id)
        })
    }

    /// Removes issue `id` of `area_id` with its targets.
    pub fn delete_issue(&self, area_id: i64, id: i64, audit: &AuditEntry) -> Result<(), PrivateError> {
        self.write(|sql| {
            sql.execute(
                "DELETE FROM issue_targets WHERE tenant = :tenant AND issue_id IN \
                 (SELECT id FROM area_issues WHERE tenant = :tenant AND id = ?1 AND area_id = ?2)",
                args![id, area_id],
            )?;
            let n = sql.execute(
                "DELETE FROM area_issues WHERE tenant = :tenant AND id = ?1 AND area_id = ?2",
                args![id, area_id],
            )?;
            if n == 0 {
                return Err(PrivateError::Missing(format!("issue {id} of area {area_id}")));
            }
            append(sql, &audit.about(None, vec![area_id, id]))
        })
    }

    /// The notes and issues of `area_id`'s sheet: notes newest first, issues by priority.
    pub fn sheet(&self, area_id: i64) -> Result<(Vec<NoteRow>, Vec<IssueRow>), PrivateError> {
        self.read(|sql| Ok((notes(sql, area_id)?, issues(sql, area_id)?)))
    }

    /// Issue `id` of `area_id`, if it is one.
    pub fn issue(&self, area_id: i64, id: i64) -> Result<Option<IssueRow>, PrivateError> {
        self.read(|sql| Ok(issues(sql, area_id)?.into_iter().find(|i| i.id == id)))
    }

    /// Note `id` of `area_id`, if it is one.
    pub fn note(&self, area_id: i64, id: i64) -> Result<Option<NoteRow>, PrivateError> {
        self.read(|sql| Ok(notes(sql, area_id)?.into_iter().find(|n| n.id == id)))
    }
}

fn note_row(r: &Row) -> Result<NoteRow, PrivateError> {
    Ok(NoteRow {
        id: r.get(0)?,
        field: r.get(1)?,
        kind: r.get(2)?,
        text: r.get(3)?,
        author: r.get(4)?,
        updated: iso8601(r.get(5)?),
    })
}

fn notes(sql: &mut dyn Sql, area_id: i64) -> Result<Vec<NoteRow>, PrivateError> {
    sql.rows(
        "SELECT id, field, kind, text, author, updated FROM area_notes WHERE tenant = :tenant AND area_id = ?1 \
         ORDER BY updated DESC, id DESC",
        args![area_id],
        note_row,
    )
}

fn issues(sql: &mut dyn Sql, area_id: i64) -> Result<Vec<IssueRow>, PrivateError> {
    let mut out = sql.rows(
        "SELECT id, title, field, priority, indicator, author, updated FROM area_issues \
         WHERE tenant = :tenant AND area_id = ?1 ORDER BY priority, id",
        args![area_id],
        |r| {
            Ok(IssueRow {
                id: r.get(0)?,
                title: r.get(1)?,
                field: r.get(2)?,
                priority: r.get(3)?,
                indicator: r.get(4)?,
                targets: Vec::new(),
                author: r.get(5)?,
                updated: iso8601(r.get(6)?),
            })
        },
    )?;
    for issue in &mut out {
        issue.targets = sql.rows(
            "SELECT year, target, measured FROM issue_targets WHERE tenant = :tenant AND issue_id = ?1 ORDER BY year",
            args![issue.id],
            |r| Ok(TargetRow { year: r.get(0)?, target: r.get(1)?, measured: r.get(2)? }),
        )?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_areas_sheet_takes_at_most_its_issues_and_other_areas_are_not_counted() {
        let store = PrivateStore::in_memory().unwrap();
        let audit = AuditEntry::new("staff", "sheet.issue.add", None, Vec::new(), None);
        let issue = IssueInput {
            title: "通いの場を増やす".into(),
            field: "elderly".into(),
            priority: 1,
            indicator: None,
            targets: Vec::new(),
        };
        for _ in 0..MAX_ISSUES_PER_AREA {
            store.put_issue(7, None, &issue, "staff", &audit).unwrap();
        }
        assert!(matches!(store.put_issue(7, None, &issue, "staff", &audit), Err(PrivateError::Refused(_))));
        store.put_issue(8, None, &issue, "staff", &audit).expect("another area has room");
        assert_eq!(store.sheet(7).unwrap().1.len() as i64, MAX_ISSUES_PER_AREA);
    }
}
