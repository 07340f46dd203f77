//! Imports into the public store, one way for every interface: read the file into the model (all or
//! nothing), write it in one transaction, and record its attribution — the line given, or the one
//! the source's licence asks for when the file shows where it is from (国土数値情報, OpenStreetMap).

use super::{App, Error, Principal, permission::Action};
use crate::import::preview::Preview;
use crate::import::{self, AreaOptions, ColumnMap, PopulationOptions, SiteOptions};
use crate::model::{AreaLevel, SiteKind};
use crate::store::{AreaImport, Replace, Store};
use serde::Serialize;

/// The attribution 国土数値情報 files ask for.
const N03_ATTRIBUTION: &str = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成";
/// The attribution OpenStreetMap asks for.
const OSM_ATTRIBUTION: &str = "© OpenStreetMap contributors (ODbL)";

/// Which layer a file goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportLayer {
    Areas,
    Sites,
    Population,
    Network,
    /// Statistics per area and year (see [`crate::model::indicators`]).
    Indicators,
    /// Participants per site and year (通いの場の参加者数).
    Participants,
}

impl std::str::FromStr for ImportLayer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "areas" => Ok(ImportLayer::Areas),
            "sites" => Ok(ImportLayer::Sites),
            "population" => Ok(ImportLayer::Population),
            "network" => Ok(ImportLayer::Network),
            "indicators" => Ok(ImportLayer::Indicators),
            "participants" => Ok(ImportLayer::Participants),
            other => Err(format!(
                "no layer {other:?} to import into; layers: areas, sites, population, network, indicators, participants"
            )),
        }
    }
}

/// How population rows find their place when they have no coordinates.
#[derive(Debug, Clone)]
pub enum Join {
    /// By 町丁 name or code, to the store's 町丁 areas.
    Chome,
    /// By name (and ward), to the points of a GeoJSON file.
    Points { bytes: Vec<u8>, name_field: String, ward_field: Option<String> },
}

/// One import: the file and how to read it.
#[derive(Debug, Clone)]
pub struct ImportJob {
    pub layer: ImportLayer,
    pub bytes: Vec<u8>,
    pub level: Option<AreaLevel>,
    pub kind: Option<SiteKind>,
    pub columns: ColumnMap,
    pub source: Option<String>,
    pub year: Option<i32>,
    /// For population: the date the figures are for, over any the file gives.
    pub date: Option<import::dates::Date>,
    pub join: Option<Join>,
    /// With `join`: import the rows that match and report the others.
    pub allow_unmatched: bool,
    /// For networks: whether a much shorter network may replace the current one.
    pub replace: Replace,
    /// An attribution line for the data.
    pub attribution: Option<String>,
    /// The sheet of a workbook to read; the first when `None`.
    pub sheet: Option<String>,
    /// What the file's coordinates are in when it does not say.
    pub crs: import::crs::Crs,
    /// For sites: a GeoJSON file of 町丁 / 大字 representative points (property `name`), with the
    /// store's 町丁, to place rows that give an address but no coordinates.
    pub gazetteer: Option<Vec<u8>>,
    /// Areas: `bytes` is a list of areas and the 町丁 each holds (a school-district table), built
    /// from the store's 町丁, or from `gazetteer` points as approximate cells.
    pub from_chome_list: bool,
    /// Sites and population: import the valid rows and report the others (in `rejected`) instead
    /// of importing nothing.
    pub skip_invalid: bool,
    /// For sites: the source (a file name or a key) the rows come from. Importing a source again
    /// replaces its sites row by row (see [`super::reimport`]); `None` only adds.
    pub origin: Option<String>,
    /// For sites without `kind`: category names to kinds (the built-in table when `None`).
    pub kind_table: Option<crate::model::kind_table::KindTable>,
}

impl ImportJob {
    /// A job with default reading options.
    pub fn new(layer: ImportLayer, bytes: Vec<u8>) -> Self {
        ImportJob {
            layer,
            bytes,
            level: None,
            kind: None,
            columns: ColumnMap::default(),
            source: None,
            year: None,
            date: None,
            join: None,
            allow_unmatched: false,
            replace: Replace::OnlyIfNotShrinking,
            sheet: None,
            crs: Default::default(),
            gazetteer: None,
            from_chome_list: false,
            skip_invalid: false,
            origin: None,
            kind_table: None,
            attribution: None,
        }
    }
}

/// What an import wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    pub layer: &'static str,
    pub imported: usize,
    pub ids: Vec<i64>,
    /// Areas: existing areas whose derived parent changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reparented: Option<usize>,
    /// Networks: nodes, edges, length, components.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<crate::network::NetworkSummary>,
    /// Joined population: rows not matched, places without rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join: Option<import::join::JoinReport>,
    /// Sites imported from a named source: what was added, changed, removed or kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<super::reimport::SourceSync>,
    /// Indicators: which indicators and years, how many areas, how many figures replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicators: Option<super::IndicatorImport>,
    /// Participants: how many sites and which years, how many counts replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participants: Option<super::ParticipantImport>,
    /// Areas from a list: items for a person to settle and names matching no 町丁.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<import::districts::ListReport>,
    /// With `skip_invalid`: the rows left out, each with why (all of them here; an answer shows
    /// their count and the first 20).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "rejected_shown")]
    pub rejected: Vec<import::Rejected>,
    /// Attribution lines recorded.
    pub attribution: Vec<String>,
}

/// The rows left out as an answer shows them: how many, and the first
/// [`PROBLEMS_SHOWN`](import::preview::PROBLEMS_SHOWN) — a file of 100,000 bad rows must not make an
/// answer of 100,000 problems.
fn rejected_shown<S: serde::Serializer>(rejected: &[import::Rejected], out: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let shown = &rejected[..rejected.len().min(import::preview::PROBLEMS_SHOWN)];
    let mut s = out.serialize_struct("Rejected", 2)?;
    s.serialize_field("count", &rejected.len())?;
    s.serialize_field("first", shown)?;
    s.end()
}

impl App {
    /// Imports `job` (staff not limited to some wards, and the console), all or nothing.
    pub fn import(&self, principal: &Principal, job: ImportJob) -> Result<ImportSummary, Error> {
        self.authorize(principal, Action::Import)?;
        self.import_into(principal, job)
    }

    /// What importing `job` would do, writing nothing; allowed to whoever may import.
    pub fn preview_import(&self, principal: &Principal, job: ImportJob) -> Result<Preview, Error> {
        self.authorize(principal, Action::Import)?;
        let store = &self.store;
        Ok(match job.layer {
            ImportLayer::Areas if job.from_chome_list => {
                let (level, places) = area_list_inputs(store, &job)?;
                import::preview::area_list(&job.bytes, level, &places)?
            }
            ImportLayer::Areas => import::preview::areas(&job.bytes, &area_options(&job))?,
            ImportLayer::Sites => import::preview::sites(&job.bytes, &site_options(store, &job)?)?,
            ImportLayer::Population => {
                let places = join_places(store, &job)?;
                import::preview::population(&job.bytes, &population_options(&job), places.as_deref())?
            }
            ImportLayer::Network => {
                let (_, edges) = crate::network::read_file(&job.bytes)?;
                Preview { format: "network", records: edges.len(), good: edges.len(), ..Preview::default() }
            }
            ImportLayer::Indicators => {
                let figures = self.read_indicators(&job)?.len();
                Preview { format: "indicators", records: figures, good: figures, ..Preview::default() }
            }
            ImportLayer::Participants => {
                let counts = self.read_participants(&job)?.len();
                Preview { format: "participants", records: counts, good: counts, ..Preview::default() }
            }
        })
    }
}

fn area_options(job: &ImportJob) -> AreaOptions {
    AreaOptions { level: job.level, columns: job.columns.clone(), crs: job.crs }
}

fn site_options(store: &Store, job: &ImportJob) -> Result<SiteOptions, Error> {
    Ok(SiteOptions {
        kind: job.kind,
        columns: job.columns.clone(),
        sheet: job.sheet.clone(),
        crs: job.crs,
        gazetteer: city_gazetteer(&store.read(), job.gazetteer.as_deref())?,
        kind_table: job.kind_table.clone().map(std::sync::Arc::new),
    })
}

fn population_options(job: &ImportJob) -> PopulationOptions {
    PopulationOptions {
        source: job.source.clone(),
        year: job.year,
        columns: job.columns.clone(),
        sheet: job.sheet.clone(),
        date: job.date,
        crs: job.crs,
    }
}

/// The places a population table's rows are joined to, when they are.
fn join_places(store: &Store, job: &ImportJob) -> Result<Option<Vec<import::join::JoinPlace>>, Error> {
    Ok(match &job.join {
        None => None,
        Some(Join::Chome) => Some(chome_places(&store.read())),
        Some(Join::Points { bytes, name_field, ward_field }) => {
            Some(import::join::point_places(bytes, name_field, ward_field.as_deref())?)
        }
    })
}

/// The level of the areas a list of 町丁 describes, and the 町丁 it may name.
fn area_list_inputs(
    store: &Store,
    job: &ImportJob,
) -> Result<(AreaLevel, Vec<import::districts::ChomePlace>), Error> {
    let level = job
        .level
        .ok_or_else(|| Error::Invalid("an area list needs the level of its areas (--level sphere)".into()))?;
    Ok((level, chome_polygons(&store.read(), job.gazetteer.as_deref())?))
}

/// The import itself, once allowed.
impl App {
    fn import_into(&self, principal: &Principal, job: ImportJob) -> Result<ImportSummary, Error> {
        let store = &self.store;
        if let Some(line) = job.attribution.as_deref() {
            // Checked first, so a bad line cannot leave the data imported and the answer an error.
            crate::model::limits::attribution(line)
                .map_err(|e| Error::Invalid(format!("attribution {e}")))?;
        }
        let mut attribution: Vec<String> =
            job.attribution.iter().filter(|l| !l.trim().is_empty()).cloned().collect();
        let mut summary = match job.layer {
            ImportLayer::Areas if job.from_chome_list => {
                let (level, places) = area_list_inputs(store, &job)?;
                let (areas, report) = import::districts::areas(&job.bytes, level, &places)?;
                let AreaImport { ids, reparented } = store.import_areas(areas)?;
                let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
                ImportSummary::new("areas", ids).with(|s| {
                    s.reparented = Some(reparented);
                    s.list = Some(report);
                })
            }
            ImportLayer::Areas => {
                let areas = import::areas(&job.bytes, &area_options(&job))?;
                let AreaImport { ids, reparented } = store.import_areas(areas)?;
                if job.bytes.windows(7).any(|w| w == b"N03_007") {
                    attribution.push(N03_ATTRIBUTION.into());
                }
                let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
                ImportSummary::new("areas", ids).with(|s| s.reparented = Some(reparented))
            }
            ImportLayer::Sites => {
                let options = site_options(store, &job)?;
                let (sites, rejected) = if job.skip_invalid {
                    import::sites_lenient(&job.bytes, &options)?
                } else {
                    (import::sites(&job.bytes, &options)?, Vec::new())
                };
                let summary = match &job.origin {
                    None => ImportSummary::new(
                        "sites",
                        store.insert_sites(sites)?.iter().map(|id| id.0).collect(),
                    ),
                    Some(source) => {
                        let rows = super::reimport::stamp(source, sites);
                        let (ids, sync) =
                            store.change_sites(|index| super::reimport::plan(index, source, rows))?;
                        let ids = ids.iter().map(|id| id.0).collect();
                        ImportSummary::new("sites", ids).with(|s| s.sync = Some(sync))
                    }
                };
                summary.with(|s| s.rejected = rejected)
            }
            ImportLayer::Population => {
                let options = population_options(&job);
                let mut rejected = Vec::new();
                let (units, report) = match join_places(store, &job)? {
                    None if job.skip_invalid => {
                        let (units, left_out) = import::population_lenient(&job.bytes, &options)?;
                        rejected = left_out;
                        (units, None)
                    }
                    None => (import::population(&job.bytes, &options)?, None),
                    Some(_) if job.skip_invalid => {
                        return Err(Error::Invalid(
                        "skip_invalid does not apply to a table joined by name; allow_unmatched imports the rows that match".into(),
                    ));
                    }
                    Some(places) => {
                        let (units, report) =
                            import::join::population(&job.bytes, &options, &places, job.allow_unmatched)?;
                        (units, Some(report))
                    }
                };
                let ids = store.insert_population(units)?.iter().map(|id| id.0).collect();
                ImportSummary::new("population", ids).with(|s| {
                    s.join = report;
                    s.rejected = rejected;
                })
            }
            ImportLayer::Indicators => self.import_indicators(principal, &job)?,
            ImportLayer::Participants => self.import_participants(principal, &job)?,
            ImportLayer::Network => {
                let (nodes, edges) = crate::network::read_file(&job.bytes)?;
                let network = store.replace_network(nodes, edges, job.replace)?;
                if job.bytes.starts_with(&[0, 0]) && attribution.is_empty() {
                    attribution.push(OSM_ATTRIBUTION.into());
                }
                ImportSummary::new("network", Vec::new()).with(|s| s.summary = Some(network))
            }
        };
        for line in &attribution {
            store.add_attribution(line)?;
        }
        summary.attribution = attribution;
        Ok(summary)
    }
}

/// The 町丁 areas of a store as join places, each at an interior point and known by its name, its
/// code and its ward.
fn chome_places(index: &crate::store::Index) -> Vec<import::join::JoinPlace> {
    use geo::InteriorPoint;
    index
        .areas_in(Some(crate::model::AreaLevel::Chome), None)
        .iter()
        .filter_map(|a| {
            let ward = index.ancestors(a).into_iter().find(|p| p.level == crate::model::AreaLevel::Ward);
            Some(import::join::JoinPlace::new(
                &a.name,
                ward.as_ref().map(|w| w.name.as_str()),
                a.code.as_deref(),
                a.geometry.interior_point()?,
            ))
        })
        .collect()
}

/// The 町丁 an area list is matched against: the store's 町丁 polygons, or else cells around the
/// points of `gazetteer` (approximate), clipped to the city as far as the store knows it.
fn chome_polygons(
    index: &crate::store::Index,
    gazetteer: Option<&[u8]>,
) -> Result<Vec<import::districts::ChomePlace>, Error> {
    let stored = index.areas_in(Some(AreaLevel::Chome), None);
    if !stored.is_empty() || gazetteer.is_none() {
        let place = |a: &std::sync::Arc<crate::model::Area>| import::districts::ChomePlace {
            name: a.name.clone(),
            geometry: a.geometry.clone(),
            approximate: a.properties.get("approximate") == Some(&serde_json::Value::Bool(true)),
        };
        return Ok(stored.iter().map(place).collect());
    }
    let points: Vec<(String, geo::Point<f64>)> =
        import::join::point_places(gazetteer.unwrap_or_default(), "name", None)?
            .into_iter()
            .map(|p| (p.label, p.location))
            .collect();
    let city = outermost_areas(index);
    let boundary =
        (!city.is_empty()).then(|| geo::MultiPolygon(city.into_iter().flat_map(|a| a.0).collect()));
    Ok(import::districts::cells_from_points(&points, boundary.as_ref()))
}

/// The outlines of the store's outermost areas — the city, else its wards, and so on down: the
/// city as far as the store knows it.
fn outermost_areas(index: &crate::store::Index) -> Vec<geo::MultiPolygon<f64>> {
    let outermost = AreaLevel::ALL.iter().map(|l| index.areas_in(Some(*l), None)).find(|a| !a.is_empty());
    outermost.unwrap_or_default().iter().map(|a| a.geometry.clone()).collect()
}

/// The places of the city the store and `file` know: the store's 町丁 and the file's points to
/// place address-only rows on, and the store's outermost areas (the city, else its wards, …) as the
/// city's extent. `None` when neither knows any place (then rows need coordinates and nothing is
/// checked against the city).
fn city_gazetteer(
    index: &crate::store::Index,
    file: Option<&[u8]>,
) -> Result<Option<std::sync::Arc<import::geocode::Gazetteer>>, Error> {
    let mut places = chome_places(index);
    if let Some(bytes) = file {
        places.extend(import::join::point_places(bytes, "name", None)?);
    }
    let gazetteer = import::geocode::Gazetteer::new(places, outermost_areas(index));
    Ok((!gazetteer.is_empty()).then(|| std::sync::Arc::new(gazetteer)))
}

impl ImportSummary {
    pub(super) fn new(layer: &'static str, ids: Vec<i64>) -> Self {
        ImportSummary {
            layer,
            imported: ids.len(),
            ids,
            reparented: None,
            summary: None,
            join: None,
            sync: None,
            list: None,
            indicators: None,
            participants: None,
            rejected: Vec::new(),
            attribution: Vec::new(),
        }
    }

    pub(super) fn with(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}
