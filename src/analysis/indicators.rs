//! Indicator figures of an area beside its ward and the city, for one year and the years before.
//!
//! An area's figure is its own when the ward imported one; otherwise it is rolled up from the areas
//! directly inside it: a count is their sum (known only when every one of them has a figure), a
//! rate is recomputed from its numerator and denominator rolled up the same way — never the mean of
//! their rates. Public viewers get counts published as [`suppress`] decides for the whole table (a
//! count below the small-cell threshold is `<3`, and as few others as needed are `x` so that no
//! hidden count can be worked out from an area's parts), and a rate only when both its counts are
//! shown.

use super::suppression::{Relation, Shown, suppress};
use crate::model::indicators::{
    Catalogue, Indicator, IndicatorFigure, IndicatorValue, PARTICIPANTS, POPULATION, SiteParticipants,
    Visibility,
};
use crate::model::{AreaId, AreaLevel};
use crate::store::Index;
use serde::Serialize;
use std::collections::HashMap;

/// How many years a line's history shows, the year asked for included.
pub const HISTORY_YEARS: i32 = 5;

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Viewer {
    /// The public 地区カルテ: public indicators, small counts withheld.
    Public { min_count: u64 },
    /// The 地域情報シート: every indicator, exact.
    Staff,
}

/// A figure as shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Published {
    Value(f64),
    /// A count from 1 to `min - 1`.
    Small(u64),
    /// Withheld: at the source, or so that another withheld figure cannot be worked out.
    Hidden,
}

impl Serialize for Published {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Published::Value(v) if v.fract() == 0.0 && v.abs() < 1e15 => s.serialize_i64(v as i64),
            Published::Value(v) => s.serialize_f64((v * 10.0).round() / 10.0),
            Published::Small(min) => s.serialize_str(&format!("<{min}")),
            Published::Hidden => s.serialize_str("x"),
        }
    }
}

/// One indicator of an area for a year, beside its ward and the city.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorLine {
    pub id: String,
    pub name: String,
    pub field: &'static str,
    pub field_ja: &'static str,
    pub unit: String,
    pub visibility: &'static str,
    pub year: i32,
    pub value: Option<Published>,
    pub ward: Option<Published>,
    pub city: Option<Published>,
    /// The area's figure in each of the last [`HISTORY_YEARS`] years that has one, oldest first.
    pub history: Vec<(i32, Published)>,
}

/// The figures of every area for one indicator and year: own or rolled up, `None` when unknown.
struct YearTable {
    /// Per area id; the whole city under `None`.
    figures: HashMap<Option<AreaId>, Option<f64>>,
}

/// The stored figures indexed once by indicator and year, with the areas as a tree: what every
/// karte, table and issue reads, so no figure is searched for among all of them.
pub struct Figures {
    tree: Tree,
    own: OwnFigures,
    latest_year: Option<i32>,
}

/// Figures per (indicator, year), by area.
type OwnFigures = HashMap<(String, i32), HashMap<AreaId, IndicatorFigure>>;

impl Figures {
    /// Indexes the imported `values`, and what the store's own data give for every (indicator,
    /// year) the ward imported nothing for: population counts from the population units of each
    /// year, and [`PARTICIPANTS`] as the sum of `participants` over each area's sites — so that a
    /// participation rate needs no second table of the same people.
    pub fn new(index: &Index, values: &[IndicatorValue], participants: &[SiteParticipants]) -> Figures {
        let mut own: OwnFigures = HashMap::new();
        for v in values {
            own.entry((v.indicator.clone(), v.year)).or_default().insert(v.area_id, v.figure);
        }
        // The ward's statistics set the karte's year; before it imports any, its population does.
        let latest_imported = values.iter().map(|v| v.year).max();
        for (key, figures) in derived(index, participants) {
            own.entry(key).or_insert(figures);
        }
        let latest_year = latest_imported.or_else(|| own.keys().map(|(_, year)| *year).max());
        Figures { tree: Tree::new(index), own, latest_year }
    }

    /// The figures stored for `indicator` in `year`, by area.
    fn own(&self, indicator: &str, year: i32) -> Option<&HashMap<AreaId, IndicatorFigure>> {
        self.own.get(&(indicator.to_owned(), year))
    }

    /// The figure of one indicator of `area` in `year`, as `viewer` may see it.
    pub fn figure(
        &self,
        indicator: &Indicator,
        area: AreaId,
        year: i32,
        viewer: Viewer,
    ) -> Option<Published> {
        published(self, indicator, year, viewer).get(&Some(area)).copied().flatten()
    }
}

/// What the karte of `area` shows of the indicators, for `year` (the latest year with figures when
/// `None`). Lines with no figure for the area, its ward or the city that year are left out.
pub fn lines(
    index: &Index,
    figures: &Figures,
    catalogue: &Catalogue,
    area: AreaId,
    year: Option<i32>,
    viewer: Viewer,
) -> (Option<i32>, Vec<IndicatorLine>) {
    let Some(year) = year.or(figures.latest_year) else { return (None, Vec::new()) };
    let ward = index
        .area(area)
        .and_then(|a| index.ancestors(a).iter().find(|x| x.level == AreaLevel::Ward).map(|w| w.id));
    let mut out = Vec::new();
    for indicator in catalogue.iter() {
        if viewer != Viewer::Staff && indicator.visibility == Visibility::Staff {
            continue;
        }
        let at = |y: i32| published(figures, indicator, y, viewer);
        let now = at(year);
        let pick = |id: Option<AreaId>| now.get(&id).copied().flatten();
        let (value, ward_value, city) = (pick(Some(area)), ward.and_then(|w| pick(Some(w))), pick(None));
        if value.is_none() && ward_value.is_none() && city.is_none() {
            continue;
        }
        let history = (year - HISTORY_YEARS + 1..=year)
            .filter_map(|y| {
                if y == year { value } else { at(y).get(&Some(area)).copied().flatten() }.map(|p| (y, p))
            })
            .collect();
        out.push(IndicatorLine {
            id: indicator.id.clone(),
            name: indicator.name.clone(),
            field: indicator.field.as_str(),
            field_ja: indicator.field.label_ja(),
            unit: indicator.unit.clone(),
            visibility: indicator.visibility.as_str(),
            year,
            value,
            ward: ward_value,
            city,
            history,
        });
    }
    (Some(year), out)
}

/// One figure (or none) per indicator, for each area of a table.
pub type TableRows = Vec<Vec<Option<Published>>>;

/// Every indicator `viewer` may see, for `areas` in one `year` (the latest with figures when `None`):
/// one row per area, one figure (or none) per indicator, in catalogue order. Indicators with no
/// figure for any of the areas are left out.
pub fn table<'c>(
    figures: &Figures,
    catalogue: &'c Catalogue,
    areas: &[AreaId],
    year: Option<i32>,
    viewer: Viewer,
) -> (Option<i32>, Vec<&'c Indicator>, TableRows) {
    let Some(year) = year.or(figures.latest_year) else {
        return (None, Vec::new(), vec![Vec::new(); areas.len()]);
    };
    let mut columns = Vec::new();
    let mut rows = vec![Vec::new(); areas.len()];
    for indicator in catalogue.iter() {
        if viewer != Viewer::Staff && indicator.visibility == Visibility::Staff {
            continue;
        }
        let shown = published(figures, indicator, year, viewer);
        let column: Vec<Option<Published>> =
            areas.iter().map(|a| shown.get(&Some(*a)).copied().flatten()).collect();
        if column.iter().all(Option::is_none) {
            continue;
        }
        columns.push(indicator);
        for (row, figure) in rows.iter_mut().zip(column) {
            row.push(figure);
        }
    }
    (Some(year), columns, rows)
}

/// Every area's population counts per population year and participants per year: each area counts
/// the units and sites inside it (zero when none), at every level.
fn derived(index: &Index, participants: &[SiteParticipants]) -> OwnFigures {
    let zeros = || -> HashMap<AreaId, IndicatorFigure> {
        index.areas().map(|a| (a.id, IndicatorFigure::Value(0.0))).collect()
    };
    let mut out: OwnFigures = HashMap::new();
    let add = |out: &mut OwnFigures, indicator: &str, year: i32, at: geo::Point<f64>, n: f64| {
        for area in index.areas_at(None, at) {
            let figures = out.entry((indicator.to_owned(), year)).or_insert_with(zeros);
            if let Some(IndicatorFigure::Value(sum)) = figures.get_mut(&area.id) {
                *sum += n;
            }
        }
    };
    for unit in index.population() {
        let Some(year) = unit.data.year else { continue };
        let d = &unit.data;
        for (indicator, n) in POPULATION.iter().zip([d.total, d.aged65, d.aged75]) {
            add(&mut out, indicator, year, d.location, f64::from(n));
        }
    }
    for p in participants {
        if let Some(site) = index.site(p.site_id) {
            add(&mut out, PARTICIPANTS, p.year, site.data.location, p.participants as f64);
        }
    }
    out
}

/// The areas as a tree: each area's children, and the top areas (no parent) under the city.
struct Tree {
    children: HashMap<Option<AreaId>, Vec<AreaId>>,
    /// Parents before children.
    order: Vec<Option<AreaId>>,
}

impl Tree {
    fn new(index: &Index) -> Tree {
        let mut children: HashMap<Option<AreaId>, Vec<AreaId>> = HashMap::new();
        for a in index.areas() {
            children.entry(a.parent).or_default().push(a.id);
        }
        let mut order = vec![None];
        let mut at = 0;
        while at < order.len() {
            order.extend(children.get(&order[at]).into_iter().flatten().map(|&c| Some(c)));
            at += 1;
        }
        Tree { children, order }
    }

    fn children(&self, id: Option<AreaId>) -> &[AreaId] {
        self.children.get(&id).map_or(&[], Vec::as_slice)
    }
}

/// Every area's figure for a count: its own, else the sum of its children's when all of them have
/// one (a withheld figure makes every sum above it unknown).
fn counts(figures: &Figures, indicator: &str, year: i32) -> YearTable {
    let own = figures.own(indicator, year);
    let tree = &figures.tree;
    let mut rolled: HashMap<Option<AreaId>, Option<f64>> = HashMap::new();
    for &id in tree.order.iter().rev() {
        let figure = match id.and_then(|a| own?.get(&a)) {
            Some(IndicatorFigure::Value(x)) => Some(*x),
            Some(IndicatorFigure::Suppressed) => None,
            None => {
                let kids = tree.children(id);
                let sum: Option<f64> = kids.iter().map(|k| rolled.get(&Some(*k)).copied().flatten()).sum();
                sum.filter(|_| !kids.is_empty())
            }
        };
        rolled.insert(id, figure);
    }
    YearTable { figures: rolled }
}

/// Every area's figure for one indicator and year, as `viewer` may see it.
fn published(
    figures: &Figures,
    indicator: &Indicator,
    year: i32,
    viewer: Viewer,
) -> HashMap<Option<AreaId>, Option<Published>> {
    let tree = &figures.tree;
    let shown_counts = |id: &str| {
        let table = counts(figures, id, year);
        let shown = match viewer {
            Viewer::Staff => None,
            Viewer::Public { min_count } => Some(withhold(tree, &table, min_count)),
        };
        (table, shown)
    };
    let own = figures.own(&indicator.id, year);
    let own_figure = |id: &Option<AreaId>| id.and_then(|a| own?.get(&a));
    match &indicator.rate {
        None => {
            let (table, shown) = shown_counts(&indicator.id);
            table
                .figures
                .iter()
                .map(|(id, f)| {
                    let p = match (f, own_figure(id)) {
                        (_, Some(IndicatorFigure::Suppressed)) => Some(Published::Hidden), // withheld at the source
                        (None, _) => None,
                        (Some(x), _) => Some(
                            shown.as_ref().and_then(|s| s.get(id).copied()).unwrap_or(Published::Value(*x)),
                        ),
                    };
                    (*id, p)
                })
                .collect()
        }
        Some(rate) => {
            let (num, num_shown) = shown_counts(&rate.numerator);
            let (den, den_shown) = shown_counts(&rate.denominator);
            let is_shown = |s: &Option<HashMap<Option<AreaId>, Published>>, id| {
                s.as_ref().is_none_or(|s| matches!(s.get(id), None | Some(Published::Value(_))))
            };
            tree.order
                .iter()
                .map(|id| {
                    let figure = match own_figure(id) {
                        // A rate the ward imported as it is, without its parts.
                        Some(IndicatorFigure::Value(x)) => Some(Published::Value(*x)),
                        Some(IndicatorFigure::Suppressed) => Some(Published::Hidden),
                        None => match (num.figures[id], den.figures[id]) {
                            (Some(n), Some(d)) if d > 0.0 => {
                                Some(if is_shown(&num_shown, id) && is_shown(&den_shown, id) {
                                    Published::Value(n / d * rate.scale)
                                } else {
                                    Published::Hidden
                                })
                            }
                            _ => None,
                        },
                    };
                    (*id, figure)
                })
                .collect()
        }
    }
}

/// The public form of a count table: small counts `<min`, and complementary suppression through
/// every parent = Σ children sum.
fn withhold(tree: &Tree, table: &YearTable, min: u64) -> HashMap<Option<AreaId>, Published> {
    let ids: Vec<Option<AreaId>> =
        tree.order.iter().filter(|id| table.figures.get(id).copied().flatten().is_some()).copied().collect();
    let whole = |x: f64| (x.fract() == 0.0).then_some(x as u64);
    let figures: Vec<f64> = ids.iter().map(|id| table.figures[id].unwrap_or_default()).collect();
    let Some(values) = figures.iter().map(|&x| whole(x)).collect::<Option<Vec<u64>>>() else {
        return HashMap::new(); // not counts of people: nothing to withhold
    };
    if !values.iter().any(|&v| v > 0 && v < min) {
        return HashMap::new();
    }
    let position: HashMap<Option<AreaId>, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let relations: Vec<Relation> = ids
        .iter()
        .filter_map(|id| {
            let parts: Option<Vec<usize>> =
                tree.children(*id).iter().map(|c| position.get(&Some(*c)).copied()).collect();
            parts.filter(|p| !p.is_empty()).map(|parts| Relation { total: position[id], parts })
        })
        .collect();
    suppress(&values, &relations, min)
        .into_iter()
        .zip(&ids)
        .map(|(s, id)| {
            let p = match s {
                Shown::Count(n) => Published::Value(n as f64),
                Shown::Small => Published::Small(min),
                Shown::Hidden => Published::Hidden,
            };
            (*id, p)
        })
        .collect()
}
