//! 通いの場 participants per site and year: importing the ward's list, each count matched to a
//! site of the store. Importing is for staff who may import; what one venue counts is not shown
//! to anyone — only its sums per area, as the public indicator 通いの場参加者数 (small counts
//! withheld) and the participation rate recomputed from them.

use super::{App, Error, ImportJob, ImportSummary, Principal};
use crate::import::join::NameIndex;
use crate::import::participants::ParticipantRow;
use crate::import::{ImportError, RecordProblem};
use crate::model::indicators::SiteParticipants;
use crate::model::{SiteId, SiteKind};
use crate::store::Index;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// What a participants import wrote, besides how many counts.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantImport {
    /// Counts of the same years that they replaced.
    pub replaced: usize,
    pub sites: usize,
    pub years: Vec<i32>,
}

impl App {
    /// Imports a list of participants per site, once allowed, all or nothing; the years it holds
    /// replace what was stored for them.
    pub(super) fn import_participants(
        &self,
        principal: &Principal,
        job: &ImportJob,
    ) -> Result<ImportSummary, Error> {
        let counts = self.read_participants(job)?;
        let audit = principal.audit("participants.import", None, Vec::new());
        let replaced = self.private.replace_site_participants(&counts, &audit)?;
        let sites: BTreeSet<SiteId> = counts.iter().map(|c| c.site_id).collect();
        let years: BTreeSet<i32> = counts.iter().map(|c| c.year).collect();
        let report = ParticipantImport { replaced, sites: sites.len(), years: years.into_iter().collect() };
        Ok(ImportSummary::new("participants", Vec::new()).with(|s| {
            s.imported = counts.len();
            s.participants = Some(report);
        }))
    }

    /// The counts of a participants list, each matched to its site.
    pub(super) fn read_participants(&self, job: &ImportJob) -> Result<Vec<SiteParticipants>, Error> {
        let rows = crate::import::participants::read(&job.bytes, job.sheet.as_deref(), job.year)?;
        match_sites(&self.store.read(), &rows)
    }
}

/// Each row's site in the store: by id when the list gives one, else by normalised name — the 通いの場
/// among sites of that name when only one of them is. Unknown and ambiguous names, and a count given
/// twice, are all listed; nothing is stored then.
fn match_sites(index: &Index, rows: &[ParticipantRow]) -> Result<Vec<SiteParticipants>, Error> {
    let sites: Vec<_> = index.sites().collect();
    let by_name = NameIndex::new(sites.iter().map(|s| s.data.name.as_str()));
    let mut problems = Vec::new();
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for row in rows {
        let found: Vec<SiteId> = match (row.site_id, &row.site_name) {
            (Some(id), _) => index.site(SiteId(id)).map(|s| s.id).into_iter().collect(),
            (None, Some(name)) => {
                let named: Vec<_> = by_name.get(name).iter().map(|&i| sites[i]).collect();
                let kayoi: Vec<_> = named.iter().filter(|s| s.data.kind == SiteKind::Kayoinoba).collect();
                match kayoi.as_slice() {
                    [one] => vec![one.id],
                    _ => named.iter().map(|s| s.id).collect(),
                }
            }
            (None, None) => Vec::new(),
        };
        let shown = row.site_name.clone().or(row.site_id.map(|i| i.to_string())).unwrap_or_default();
        let problem =
            |message: String| RecordProblem { place: row.place, field: Some("site".into()), message };
        let site_id = match found.as_slice() {
            [one] => *one,
            [] => {
                problems.push(problem(format!("no site {shown:?} in the store")));
                continue;
            }
            many => {
                let kinds: Vec<&str> =
                    many.iter().filter_map(|id| index.site(*id).map(|s| s.data.kind.label_ja())).collect();
                problems.push(problem(format!(
                    "{} sites are named {shown:?} ({}); name them by a site_id column",
                    many.len(),
                    kinds.join(", ")
                )));
                continue;
            }
        };
        if let Some(first) = seen.insert((site_id, row.year), row.place) {
            problems.push(problem(format!("{shown} {} is already given at {first}", row.year)));
            continue;
        }
        out.push(SiteParticipants { site_id, year: row.year, participants: row.participants });
    }
    if problems.is_empty() { Ok(out) } else { Err(ImportError::Invalid { problems }.into()) }
}
