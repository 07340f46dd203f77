//! The 地域情報シート's notes and issues: read and written only by staff and admins whose areas
//! include the area (and the console); every write is audited. An issue measured by an indicator
//! shows that indicator's figure for each target year where no measured value was entered.

use super::{App, Error, Principal, permission::Action};
use crate::analysis::indicators::{Published, Viewer};
use crate::model::AreaId;
use crate::model::indicators::IndicatorField;
use crate::private::{IssueInput, IssueRow, NoteInput, NoteRow};
use serde::Serialize;
use std::collections::HashMap;

/// The longest note or issue title, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// The most target years one issue holds.
pub const MAX_TARGET_YEARS: usize = 20;

/// Note kinds: 住民の声 and 担当の気づき.
pub const NOTE_KINDS: [(&str, &str); 2] = [("voice", "住民の声"), ("observation", "担当の気づき")];

/// An area's notes and issues.
#[derive(Debug, Clone, Serialize)]
pub struct Sheet {
    pub notes: Vec<NoteRow>,
    pub issues: Vec<IssueRow>,
}

impl App {
    /// The sheet of `area`.
    pub fn sheet(&self, principal: &Principal, area: AreaId) -> Result<Sheet, Error> {
        self.authorize(principal, Action::ReadStaffFigures(area))?;
        self.known_area(area)?;
        let (notes, mut issues) = self.private.sheet(area.0)?;
        self.fill_measured(area, &mut issues)?;
        Ok(Sheet { notes, issues })
    }

    /// Adds a note; answers it.
    pub fn add_note(&self, principal: &Principal, area: AreaId, note: NoteInput) -> Result<NoteRow, Error> {
        self.authorize(principal, Action::EditSheet(area))?;
        self.known_area(area)?;
        check_field(&note.field)?;
        if !NOTE_KINDS.iter().any(|(k, _)| *k == note.kind) {
            return Err(Error::Invalid(format!(
                "kind {:?}: a note is voice (住民の声) or observation (担当の気づき)",
                note.kind
            )));
        }
        check_text("text", &note.text)?;
        let id = self.private.add_note(
            area.0,
            &note,
            &principal.actor(),
            &principal.audit("sheet.note.add", None, Vec::new()),
        )?;
        self.private.note(area.0, id)?.ok_or_else(|| Error::NotFound(format!("note {id}")))
    }

    /// Removes a note.
    pub fn delete_note(&self, principal: &Principal, area: AreaId, id: i64) -> Result<(), Error> {
        self.authorize(principal, Action::EditSheet(area))?;
        Ok(self.private.delete_note(area.0, id, &principal.audit("sheet.note.delete", None, Vec::new()))?)
    }

    /// Adds an issue (`id` `None`) or replaces one; answers it.
    pub fn put_issue(
        &self,
        principal: &Principal,
        area: AreaId,
        id: Option<i64>,
        issue: IssueInput,
    ) -> Result<IssueRow, Error> {
        self.authorize(principal, Action::EditSheet(area))?;
        self.known_area(area)?;
        check_field(&issue.field)?;
        check_text("title", &issue.title)?;
        if !(1..=5).contains(&issue.priority) {
            return Err(Error::Invalid(format!("priority {}: 1 (highest) to 5", issue.priority)));
        }
        if let Some(indicator) = &issue.indicator
            && self.catalogue().get(indicator).is_none()
        {
            return Err(Error::Invalid(format!("indicator {indicator:?} is not in the catalogue")));
        }
        if issue.targets.len() > MAX_TARGET_YEARS {
            return Err(Error::Invalid(format!("at most {MAX_TARGET_YEARS} target years")));
        }
        let mut years: Vec<i32> = issue.targets.iter().map(|t| t.year).collect();
        years.sort_unstable();
        if years.windows(2).any(|w| w[0] == w[1]) || years.iter().any(|y| !(1900..=2200).contains(y)) {
            return Err(Error::Invalid("targets: one per year, years 1900–2200".into()));
        }
        if issue.targets.iter().flat_map(|t| [t.target, t.measured]).flatten().any(|v| !v.is_finite()) {
            return Err(Error::Invalid("targets: finite numbers only".into()));
        }
        let action = if id.is_some() { "sheet.issue.replace" } else { "sheet.issue.add" };
        let id = self.private.put_issue(
            area.0,
            id,
            &issue,
            &principal.actor(),
            &principal.audit(action, None, Vec::new()),
        )?;
        let mut stored: Vec<IssueRow> = self.private.issue(area.0, id)?.into_iter().collect();
        self.fill_measured(area, &mut stored)?;
        stored.pop().ok_or_else(|| Error::NotFound(format!("issue {id}")))
    }

    /// Removes an issue.
    pub fn delete_issue(&self, principal: &Principal, area: AreaId, id: i64) -> Result<(), Error> {
        self.authorize(principal, Action::EditSheet(area))?;
        Ok(self.private.delete_issue(area.0, id, &principal.audit("sheet.issue.delete", None, Vec::new()))?)
    }

    pub(super) fn known_area(&self, area: AreaId) -> Result<(), Error> {
        match self.store.read().area(area) {
            Some(_) => Ok(()),
            None => Err(Error::NotFound(format!("no area with id {}", area.0))),
        }
    }

    /// Each target year without a measured value takes the issue's indicator figure of that year.
    fn fill_measured(&self, area: AreaId, issues: &mut [IssueRow]) -> Result<(), Error> {
        if !issues.iter().any(|i| i.indicator.is_some()) {
            return Ok(());
        }
        let figures = self.figures(&self.store.read())?;
        // Issues often share an indicator and years: each figure is worked out once.
        let mut measured: HashMap<(String, i32), Option<f64>> = HashMap::new();
        for issue in issues.iter_mut() {
            let Some(indicator) = issue.indicator.as_deref().and_then(|i| self.catalogue().get(i)) else {
                continue;
            };
            for target in issue.targets.iter_mut().filter(|t| t.measured.is_none()) {
                target.measured = *measured.entry((indicator.id.clone(), target.year)).or_insert_with(|| {
                    match figures.figure(indicator, area, target.year, Viewer::Staff) {
                        Some(Published::Value(v)) => Some(v),
                        _ => None,
                    }
                });
            }
        }
        Ok(())
    }
}

fn check_field(field: &str) -> Result<(), Error> {
    field.parse::<IndicatorField>().map(drop).map_err(Error::Invalid)
}

fn check_text(what: &str, text: &str) -> Result<(), Error> {
    match text.trim().chars().count() {
        0 => Err(Error::Invalid(format!("{what} is empty"))),
        n if n > MAX_NOTE_CHARS => {
            Err(Error::Invalid(format!("{what} has {n} characters; at most {MAX_NOTE_CHARS}")))
        }
        _ => Ok(()),
    }
}
