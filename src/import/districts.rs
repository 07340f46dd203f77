//! Areas from lists: school-district tables (`*_school_district.csv`: which 町丁 or 自治会 belong to
//! which 小学校区 / 中学校区) become areas by dissolving the 町丁 they list — the store's 町丁
//! polygons, or, where there are only representative points (a gazetteer), approximate 町丁 cells
//! built from those points (Voronoi, in local metres, clipped to the city). A 中学校 row that lists
//! 小学校区 (`島田小学校通学区域`) is the union of those. Items naming lot ranges or exceptions
//! (`大字島田1601番地以上`, `大字室積村(鮎帰及び新宮を除く。)`) are reported for a person to settle,
//! never guessed; names that match nothing are listed. Positions are EPSG:4326.

use super::join::{NameIndex, normalise};
use super::records::{Record, Source};
use super::{ImportError, RecordProblem};
use crate::model::{AreaData, AreaLevel, ParentRef, Properties};
use geo::{
    BooleanOps, BoundingRect, Distance, Euclidean, InteriorPoint, MapCoords, MultiPolygon, Point, Polygon,
    Voronoi, VoronoiClip,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// The columns of the school-district layout (自治体標準オープンデータセット 小中学校通学区域).
const NAME_COLUMNS: &[&str] = &["学校名称", "名称", "区域名", "name"];
const LIST_COLUMNS: &[&str] = &["通学区域の住所", "町丁", "区域", "list"];
const KIND_COLUMN: &str = "行政サービス拠点種別";
/// 行政サービス拠点種別 codes: 小学校, 中学校.
const ELEMENTARY: &str = "1503";
const JUNIOR_HIGH: &str = "1504";

/// A 町丁 the list's names are matched against, with its polygon.
#[derive(Debug, Clone)]
pub struct ChomePlace {
    pub name: String,
    pub geometry: MultiPolygon<f64>,
    /// Built from a representative point, not a surveyed boundary.
    pub approximate: bool,
}

/// What building areas from a list left for a person.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ListReport {
    /// Items naming part of a place (lot ranges, exceptions): `area: item`.
    pub to_settle: Vec<String>,
    /// Names matching no 町丁: `area: name`.
    pub unmatched: Vec<String>,
}

/// One row of the list: an area and the items it lists.
struct ListRow {
    record_place: super::Place,
    name: String,
    kind: Option<String>,
    items: Vec<String>,
    note: Option<String>,
}

fn text<'r>(record: &'r Record, columns: &[&str]) -> Option<&'r str> {
    columns.iter().find_map(|c| record.properties.get(*c)?.as_str()).map(str::trim).filter(|s| !s.is_empty())
}

/// The items of a list cell: `;`-separated; half-width `･` joins two names into two items.
fn items(cell: &str) -> Vec<String> {
    cell.split([';', '；'])
        .flat_map(|item| item.split('･'))
        .map(|item| item.trim_matches(|c: char| c.is_whitespace()).to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

/// The 小学校 an item refers to (`島田小学校通学区域`, `柳井小学校`), if it refers to one.
fn school_reference(item: &str) -> Option<String> {
    let bare = item.trim_end_matches("各校通学区域").trim_end_matches("通学区域").trim();
    bare.ends_with("小学校").then(|| normalise(bare))
}

/// Whether an item names only part of a place, which a person must settle.
fn is_partial(item: &str) -> bool {
    ["番地", "(", "（", "のうち", "の一部", "除く"].iter().any(|m| item.contains(m))
}

fn rows(records: Vec<Record>) -> Result<Vec<ListRow>, ImportError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in records {
        match (text(&record, NAME_COLUMNS), text(&record, LIST_COLUMNS)) {
            (Some(name), Some(list)) => out.push(ListRow {
                record_place: record.place,
                name: name.to_owned(),
                kind: text(&record, &[KIND_COLUMN]).map(str::to_owned),
                items: items(list),
                note: text(&record, &["特記事項"]).map(str::to_owned),
            }),
            (name, _) => problems.push(RecordProblem {
                place: record.place,
                field: Some(if name.is_none() { NAME_COLUMNS[0] } else { LIST_COLUMNS[0] }.into()),
                message: format!(
                    "a list row needs an area name ({}) and its 町丁 ({})",
                    NAME_COLUMNS.join("/"),
                    LIST_COLUMNS.join("/")
                ),
            }),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(ImportError::Invalid { problems }) }
}

/// The areas of `level` a list describes: with a 行政サービス拠点種別 column, 中学校区 for a sphere
/// (日常生活圏域) and 小学校区 otherwise; every row when the list has no such column.
/// An area with no known 町丁 fails the whole list.
pub fn areas(
    bytes: &[u8],
    level: AreaLevel,
    places: &[ChomePlace],
) -> Result<(Vec<AreaData>, ListReport), ImportError> {
    let list = read_list(bytes, level, places)?;
    if !list.problems.is_empty() {
        return Err(ImportError::Invalid { problems: list.problems });
    }
    Ok((list.areas, list.report))
}

/// A list read into areas, with what could not be built (for a preview, or to refuse the list).
pub struct ListAreas {
    pub source: Source,
    /// The list's rows describing areas of the level asked for.
    pub rows: usize,
    pub areas: Vec<AreaData>,
    pub report: ListReport,
    /// Rows whose area has no known 町丁.
    pub problems: Vec<RecordProblem>,
}

/// Reads the areas of `level` a list describes, keeping going past areas that cannot be built.
pub fn read_list(bytes: &[u8], level: AreaLevel, places: &[ChomePlace]) -> Result<ListAreas, ImportError> {
    let (records, source) = super::records::read(bytes, None, super::crs::Crs::LonLat)?;
    let rows = rows(records)?;
    if rows.is_empty() {
        return Err(ImportError::Empty);
    }
    let wanted = if level == AreaLevel::Sphere { JUNIOR_HIGH } else { ELEMENTARY };
    let by_school: HashMap<String, &ListRow> = rows.iter().map(|r| (normalise(&r.name), r)).collect();
    let by_name = NameIndex::new(places.iter().map(|p| p.name.as_str()));
    let mut report = ListReport::default();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let wanted_rows: Vec<&ListRow> =
        rows.iter().filter(|r| r.kind.as_deref().is_none_or(|k| k == wanted)).collect();
    for &row in &wanted_rows {
        let mut members: Vec<usize> = Vec::new();
        let mut approximate = false;
        let unmatched_before = report.unmatched.len();
        for (item, from) in expand(row, &by_school) {
            if is_partial(&item) {
                report.to_settle.push(format!("{}: {item}", row.name));
                continue;
            }
            let names: Vec<&str> = if item.contains("・") && !item.contains("のうち") {
                item.split('・').collect()
            } else {
                vec![&item]
            };
            for name in names {
                // Also as written without a trailing 地区 (`神代地区` → 神代).
                let bare = name.strip_suffix("地区").filter(|b| !b.is_empty()).unwrap_or(name);
                let found = match by_name.get(name) {
                    [] => by_name.get(bare),
                    found => found,
                };
                match found {
                    [] => report.unmatched.push(format!(
                        "{}{}: {name}",
                        row.name,
                        from.as_ref().map_or(String::new(), |s| format!(" ({s})"))
                    )),
                    found => {
                        members.extend(found);
                        approximate |= found.iter().any(|&i| places[i].approximate);
                    }
                }
            }
        }
        members.sort_unstable();
        members.dedup();
        let geometry = geo::unary_union(members.iter().flat_map(|&i| &places[i].geometry.0));
        if geometry.0.is_empty() {
            problems.push(RecordProblem {
                place: row.record_place,
                field: None,
                message: format!(
                    "{}: none of its 町丁 is known, so it has no boundary (no such 町丁: {})",
                    row.name,
                    report.unmatched[unmatched_before..].join(", ")
                ),
            });
            continue;
        }
        let mut properties = Properties::new();
        properties.insert("chome_count".into(), Value::from(members.len()));
        if approximate {
            properties.insert("approximate".into(), Value::Bool(true));
        }
        if let Some(note) = &row.note {
            properties.insert("note".into(), Value::String(note.clone()));
        }
        out.push(AreaData {
            name: row.name.clone(),
            level,
            code: None,
            parent: ParentRef::Derive,
            geometry,
            properties,
        });
    }
    Ok(ListAreas { source, rows: wanted_rows.len(), areas: out, report, problems })
}

/// A row's items, a 小学校区 reference replaced by that school's items (with the school's name).
fn expand(row: &ListRow, by_school: &HashMap<String, &ListRow>) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for item in &row.items {
        match school_reference(item).and_then(|s| by_school.get(&s)) {
            Some(school) if !std::ptr::eq(*school, row) => {
                out.extend(school.items.iter().map(|i| (i.clone(), Some(school.name.clone()))))
            }
            _ => out.push((item.clone(), None)),
        }
    }
    out
}

/// Approximate 町丁 cells from representative points: the Voronoi cell of each point, computed in
/// local metres (longitude scaled by the cosine of the latitude), clipped to `boundary` (the
/// city), or to the points' extent grown by a tenth when there is none.
pub fn cells_from_points(
    points: &[(String, Point<f64>)],
    boundary: Option<&MultiPolygon<f64>>,
) -> Vec<ChomePlace> {
    let Some(rect) = geo::MultiPoint(points.iter().map(|(_, p)| *p).collect()).bounding_rect() else {
        return Vec::new();
    };
    let lat0 = rect.center().y.to_radians().cos();
    let to_local = |p: Point<f64>| Point::new(p.x() * lat0, p.y());
    let to_lon_lat = |c: geo::Coord<f64>| geo::Coord { x: c.x / lat0, y: c.y };
    let sites = geo::MultiPoint(points.iter().map(|(_, p)| to_local(*p)).collect());
    let clip: Polygon<f64> = match boundary.and_then(|b| b.bounding_rect()) {
        Some(r) => geo::Rect::new(to_local(r.min().into()).0, to_local(r.max().into()).0).to_polygon(),
        None => {
            let (w, h) = (rect.width() * lat0 * 0.1 + 1e-3, rect.height() * 0.1 + 1e-3);
            let (min, max) = (to_local(rect.min().into()).0, to_local(rect.max().into()).0);
            geo::Rect::new(
                geo::Coord { x: min.x - w, y: min.y - h },
                geo::Coord { x: max.x + w, y: max.y + h },
            )
            .to_polygon()
        }
    };
    let Ok(cells) =
        sites.voronoi_cells_with_params(geo::VoronoiParams::new().clip(VoronoiClip::Polygon(&clip)))
    else {
        return Vec::new();
    };
    let mut pieces: Vec<Vec<Polygon<f64>>> = vec![Vec::new(); points.len()];
    for cell in cells {
        // Every point of a Voronoi cell is nearest to the cell's own site.
        let Some(inside) = cell.interior_point() else { continue };
        let nearest = sites.0.iter().enumerate().min_by(|(_, a), (_, b)| {
            Euclidean.distance(**a, inside).total_cmp(&Euclidean.distance(**b, inside))
        });
        if let Some((i, _)) = nearest {
            pieces[i].push(cell.map_coords(to_lon_lat));
        }
    }
    points
        .iter()
        .zip(pieces)
        .map(|((name, _), parts)| {
            let mut geometry = MultiPolygon(parts);
            if let Some(b) = boundary {
                geometry = geometry.intersection(b);
            }
            ChomePlace { name: name.clone(), geometry, approximate: true }
        })
        .filter(|p| !p.geometry.0.is_empty())
        .collect()
}
