//! Indicators per area and year: importing a ward's statistics table, and the figures a karte
//! shows — public ones to everyone (small counts withheld), staff-only ones on the 地域情報シート to
//! staff whose areas include the area.

use super::{App, Error, ImportJob, ImportSummary, Principal, permission::Action};
use crate::analysis::indicators::{Figures, IndicatorLine, Viewer, lines};
use crate::import::indicators::IndicatorRow;
use crate::import::join::NameIndex;
use crate::import::{ImportError, RecordProblem};
use crate::model::indicators::{Catalogue, IndicatorValue};
use crate::model::{AreaId, AreaLevel};
use crate::store::Index;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// What an indicators import wrote, besides how many figures.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorImport {
    /// Figures of the same indicators and years that they replaced.
    pub replaced: usize,
    pub areas: usize,
    pub indicators: Vec<String>,
    pub years: Vec<i32>,
}

/// The figures index with the versions it was built from: the indicator figures and participants,
/// and the areas, sites and population layers.
pub(super) type FiguresCache = parking_lot::Mutex<Option<((u64, u64, u64, u64), Arc<Figures>)>>;

/// The indicators of a karte.
#[derive(Debug, Clone, Serialize)]
pub struct KarteIndicators {
    /// The year shown (the latest with figures unless asked).
    pub year: Option<i32>,
    /// Whether staff-only indicators are included (the 地域情報シート).
    pub staff_view: bool,
    pub indicators: Vec<IndicatorLine>,
}

impl App {
    /// The indicator catalogue in use: the built-in one with the ward's lines, if any.
    pub fn catalogue(&self) -> &Catalogue {
        self.catalogue.as_deref().unwrap_or(Catalogue::built_in())
    }

    /// Imports a table of indicators, once allowed, all or nothing; the (indicator, year) pairs
    /// it holds replace what was stored for them.
    pub(super) fn import_indicators(
        &self,
        principal: &Principal,
        job: &ImportJob,
    ) -> Result<ImportSummary, Error> {
        let values = self.read_indicators(job)?;
        let replaced = self
            .private
            .replace_indicator_values(&values, &principal.audit("indicators.import", None, Vec::new()))?;
        let mut indicators: Vec<String> = values.iter().map(|v| v.indicator.clone()).collect();
        indicators.sort();
        indicators.dedup();
        let mut years: Vec<i32> = values.iter().map(|v| v.year).collect();
        years.sort_unstable();
        years.dedup();
        let mut areas: Vec<AreaId> = values.iter().map(|v| v.area_id).collect();
        areas.sort_unstable();
        areas.dedup();
        let report = IndicatorImport { replaced, areas: areas.len(), indicators, years };
        Ok(ImportSummary::new("indicators", Vec::new()).with(|s| {
            s.imported = values.len();
            s.indicators = Some(report);
        }))
    }

    /// The figures of an indicators table, each matched to its area.
    pub(super) fn read_indicators(&self, job: &ImportJob) -> Result<Vec<IndicatorValue>, Error> {
        let rows =
            crate::import::indicators::read(&job.bytes, job.sheet.as_deref(), self.catalogue(), job.year)?;
        match_areas(&self.store.read(), &rows, job.level)
    }

    /// The stored figures indexed for reading, with what the population and the participants
    /// give; built once per version of what they are made of and shared by every reader until one
    /// changes.
    pub(super) fn figures(&self, index: &Index) -> Result<Arc<Figures>, Error> {
        let layers = index.versions();
        let version = (self.private.indicators_version(), layers.areas, layers.sites, layers.population);
        if let Some((v, figures)) = &*self.figures_cache.lock()
            && *v == version
        {
            return Ok(figures.clone());
        }
        let (values, participants) = (self.private.indicator_values()?, self.private.site_participants()?);
        let figures = Arc::new(Figures::new(index, &values, &participants));
        *self.figures_cache.lock() = Some((version, figures.clone()));
        Ok(figures)
    }

    /// The indicators of `area` for `year` (the latest with figures when `None`; none when that year
    /// has no figures), as `principal` may see them.
    pub fn karte_indicators(
        &self,
        principal: &Principal,
        area: AreaId,
        year: Option<i32>,
    ) -> Result<KarteIndicators, Error> {
        let staff_view = self.authorize(principal, Action::ReadStaffFigures(area)).is_ok();
        let viewer =
            if staff_view { Viewer::Staff } else { Viewer::Public { min_count: self.privacy.min_count } };
        self.known_area(area)?;
        let index = self.store.read();
        let figures = self.figures(&index)?;
        let (year, indicators) = lines(&index, &figures, self.catalogue(), area, year, viewer);
        Ok(KarteIndicators { year, staff_view, indicators })
    }
}

/// Every area's indicators of one level for one year.
#[derive(Debug, Clone)]
pub struct IndicatorTable {
    pub year: Option<i32>,
    /// Whether staff-only indicators and exact figures are included.
    pub staff_view: bool,
    pub indicators: Vec<crate::model::indicators::Indicator>,
    pub rows: Vec<(std::sync::Arc<crate::model::Area>, Vec<Option<crate::analysis::indicators::Published>>)>,
}

impl App {
    /// Every area of `level` with its indicators for `year`. The staff's view (staff-only
    /// indicators, exact figures) only for a caller who may see it for every one of the areas.
    pub fn indicator_table(
        &self,
        principal: &Principal,
        level: AreaLevel,
        year: Option<i32>,
    ) -> Result<IndicatorTable, Error> {
        let index = self.store.read();
        let areas = index.areas_in(Some(level), None);
        let staff_view =
            areas.iter().all(|a| self.authorize(principal, Action::ReadStaffFigures(a.id)).is_ok())
                && !areas.is_empty();
        let viewer =
            if staff_view { Viewer::Staff } else { Viewer::Public { min_count: self.privacy.min_count } };
        let ids: Vec<AreaId> = areas.iter().map(|a| a.id).collect();
        let figures = self.figures(&index)?;
        let (year, indicators, figures) =
            crate::analysis::indicators::table(&figures, self.catalogue(), &ids, year, viewer);
        Ok(IndicatorTable {
            year,
            staff_view,
            indicators: indicators.into_iter().cloned().collect(),
            rows: areas.into_iter().zip(figures).collect(),
        })
    }
}

/// Each row's area in the store: by code when the table gives one, else by normalised name
/// (among areas of `level` when given). Unmatched and ambiguous names, and a figure given twice,
/// are all listed; nothing is stored then.
fn match_areas(
    index: &Index,
    rows: &[IndicatorRow],
    level: Option<AreaLevel>,
) -> Result<Vec<IndicatorValue>, Error> {
    let areas: Vec<_> = index.areas().filter(|a| level.is_none_or(|l| a.level == l)).cloned().collect();
    let by_code: HashMap<&str, Vec<AreaId>> = areas
        .iter()
        .filter_map(|a| Some((a.code.as_deref()?, a.id)))
        .fold(HashMap::new(), |mut m, (code, id)| {
            m.entry(code).or_default().push(id);
            m
        });
    let by_name = NameIndex::new(areas.iter().map(|a| a.name.as_str()));
    let mut problems = Vec::new();
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for row in rows {
        let found: Vec<AreaId> = match (&row.area_code, &row.area_name) {
            (Some(code), _) if by_code.contains_key(code.as_str()) => by_code[code.as_str()].clone(),
            (_, Some(name)) => by_name.get(name).iter().map(|&i| areas[i].id).collect(),
            _ => Vec::new(),
        };
        let shown = row.area_name.as_deref().or(row.area_code.as_deref()).unwrap_or_default();
        let problem =
            |message: String| RecordProblem { place: row.place, field: Some("area".into()), message };
        let area_id = match found.as_slice() {
            [one] => *one,
            [] => {
                problems.push(problem(format!("no area {shown:?} in the store")));
                continue;
            }
            many => {
                let levels: Vec<String> =
                    many.iter().filter_map(|id| index.area(*id).map(|a| a.level.to_string())).collect();
                problems.push(problem(format!(
                    "{} areas are named {shown:?} ({}); give the level of the table's areas",
                    many.len(),
                    levels.join(", ")
                )));
                continue;
            }
        };
        if let Some(first) = seen.insert((area_id, row.indicator.clone(), row.year), row.place) {
            problems
                .push(problem(format!("{shown} {} {} is already given at {first}", row.indicator, row.year)));
            continue;
        }
        out.push(IndicatorValue {
            area_id,
            indicator: row.indicator.clone(),
            year: row.year,
            figure: row.figure,
        });
    }
    if problems.is_empty() { Ok(out) } else { Err(ImportError::Invalid { problems }.into()) }
}
