//! Participants of each site per year (通いの場参加者数), as the ward counts them. Kept beside the
//! indicator figures they add up to: an area's participation is their sum over its sites, and what
//! one small venue counts is shown to staff only.

use super::audit::{self, AuditEntry};
use super::sql::args;
use super::{PrivateError, PrivateStore};
use crate::model::SiteId;
use crate::model::indicators::SiteParticipants;
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
        self.write_counted(super::INDICATORS, |sql| {
            let mut removed = 0;
            for year in &years {
                removed += sql.execute(
                    "DELETE FROM site_participants WHERE tenant = :tenant AND year = ?1",
                    args![*year],
                )?;
            }
            for c in counts {
                sql.execute(
                    "INSERT INTO site_participants (tenant, site_id, year, participants) VALUES (:tenant, ?1, ?2, ?3)",
                    args![c.site_id.0, c.year, c.participants as i64],
                )?;
            }
            audit::append(sql, &audit_entry.about(None, Vec::new()))?;
            Ok(removed as usize)
        })
    }

    /// Every stored count.
    pub fn site_participants(&self) -> Result<Vec<SiteParticipants>, PrivateError> {
        self.read(|sql| {
            sql.rows(
                "SELECT site_id, year, participants FROM site_participants WHERE tenant = :tenant \
                 ORDER BY site_id, year",
                &[],
                |r| {
                    Ok(SiteParticipants {
                        site_id: SiteId(r.get(0)?),
                        year: r.get(1)?,
                        participants: r.get::<i64>(2)? as u64,
                    })
                },
            )
        })
    }
}
