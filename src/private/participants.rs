//! Participants of each site per year (通いの場参加者数), as the ward counts them. Kept beside the
//! indicator figures they add up to: an area's participation is their sum over its sites, and what
//! one small venue counts is shown to staff only.

use super::audit::{self, AuditEntry};
use super::{PrivateError, PrivateStore};
use crate::model::SiteId;
use crate::model::indicators::SiteParticipants;
use rusqlite::params;
use std::collections::BTreeSet;

impl PrivateStore {
    /// Stores `counts` in one transaction: every count of a year they hold is replaced, so importing
    /// a year's list again replaces that year. Returns how many counts those years held before.
    pub fn replace_site_participants(
        &self,
        counts: &[SiteParticipants],
        audit_entry: &AuditEntry,
    ) -> Result<usize, PrivateError> {
        let years: BTreeSet<i32> = counts.iter().map(|c| c.year).collect();
        let removed = self.write(|tx| {
            let mut removed = 0;
            for year in &years {
                removed += tx.execute("DELETE FROM site_participants WHERE year = ?1", params![year])?;
            }
            let mut insert = tx
                .prepare("INSERT INTO site_participants (site_id, year, participants) VALUES (?1, ?2, ?3)")?;
            for c in counts {
                insert.execute(params![c.site_id.0, c.year, c.participants as i64])?;
            }
            audit::append(tx, &audit_entry.about(None, Vec::new()))?;
            Ok(removed)
        })?;
        self.indicators_version.fetch_add(1, std::sync::atomic::Ordering::Release);
        Ok(removed)
    }

    /// Every stored count.
    pub fn site_participants(&self) -> Result<Vec<SiteParticipants>, PrivateError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT site_id, year, participants FROM site_participants ORDER BY site_id, year",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(SiteParticipants {
                    site_id: SiteId(r.get(0)?),
                    year: r.get(1)?,
                    participants: r.get::<_, i64>(2)? as u64,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}
