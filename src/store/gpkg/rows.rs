//! Rows of the feature tables to and from model values. Geometry columns hold GeoPackage blobs
//! (EPSG:4326); free properties are JSON text.

use super::layout as gpkg;
use crate::model::{
    Area, AreaId, PopulationData, PopulationId, PopulationUnit, Properties, Site, SiteData, SiteId,
};
use crate::network::EdgeData;
use crate::store::StoreError;
use crate::store::backend::AreaRow;
use geo::{Geometry, MultiPolygon, Point};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::store::columns::{self, bad_row, parse, properties_json};

fn geometry(row: &Row<'_>, table: &'static str, fid: i64) -> Result<Geometry<f64>, StoreError> {
    let blob: Vec<u8> = row.get("geom")?;
    gpkg::decode_geometry(&blob).map_err(|source| StoreError::Geometry { table, fid, source })
}

fn point(row: &Row<'_>, table: &'static str, fid: i64) -> Result<Point<f64>, StoreError> {
    match geometry(row, table, fid)? {
        Geometry::Point(p) => Ok(p),
        other => Err(bad_row(table, fid, format!("expected a Point, found {other:?}"))),
    }
}

fn properties(row: &Row<'_>, table: &'static str, fid: i64) -> Result<Properties, StoreError> {
    columns::properties(&row.get::<_, String>("properties")?, table, fid)
}

fn load<T>(
    conn: &Connection,
    sql: &str,
    mut convert: impl FnMut(&Row<'_>, i64) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let fid: i64 = row.get("fid")?;
        out.push(convert(row, fid)?);
    }
    Ok(out)
}

// ----- areas -----

pub fn load_areas(conn: &Connection) -> Result<Vec<Area>, StoreError> {
    load(conn, "SELECT * FROM areas ORDER BY fid", |row, fid| {
        let geometry = match geometry(row, "areas", fid)? {
            Geometry::MultiPolygon(mp) => mp,
            Geometry::Polygon(p) => MultiPolygon(vec![p]),
            other => return Err(bad_row("areas", fid, format!("expected a MultiPolygon, found {other:?}"))),
        };
        Ok(Area {
            id: AreaId(fid),
            name: row.get("name")?,
            level: parse(&row.get::<_, String>("level")?, "areas", fid)?,
            code: row.get("code")?,
            parent: row.get::<_, Option<i64>>("parent_id")?.map(AreaId),
            parent_derived: row.get("parent_derived")?,
            geometry,
            properties: properties(row, "areas", fid)?,
        })
    })
}

/// Inserts an area without a parent.
pub fn insert_area(conn: &Connection, a: &AreaRow<'_>) -> Result<AreaId, StoreError> {
    conn.prepare_cached(
        "INSERT INTO areas (fid, geom, name, level, code, parent_derived, properties)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        a.id.map(|f| f.0),
        gpkg::encode_geometry(&Geometry::MultiPolygon(a.geometry.clone())),
        a.name,
        a.level.as_str(),
        a.code,
        a.parent_derived,
        properties_json(a.properties),
    ])?;
    Ok(AreaId(conn.last_insert_rowid()))
}

pub fn set_area_parent(
    conn: &Connection,
    id: AreaId,
    parent: Option<AreaId>,
    derived: bool,
) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE areas SET parent_id = ?2, parent_derived = ?3 WHERE fid = ?1")?
        .execute(params![id.0, parent.map(|p| p.0), derived])?;
    Ok(())
}

// ----- sites -----

pub fn load_sites(conn: &Connection) -> Result<Vec<Site>, StoreError> {
    load(conn, "SELECT * FROM sites ORDER BY fid", |row, fid| {
        let audience: String = row.get("audience")?;
        Ok(Site {
            id: SiteId(fid),
            data: SiteData {
                name: row.get("name")?,
                kind: parse(&row.get::<_, String>("kind")?, "sites", fid)?,
                location: point(row, "sites", fid)?,
                address: row.get("address")?,
                schedule: row.get("schedule")?,
                audience: columns::audience(&audience, "sites", fid)?,
                operator: row.get("operator")?,
                properties: properties(row, "sites", fid)?,
            },
        })
    })
}

fn site_params(s: &SiteData) -> [Box<dyn rusqlite::ToSql + '_>; 8] {
    [
        Box::new(gpkg::encode_geometry(&Geometry::Point(s.location))),
        Box::new(&s.name),
        Box::new(s.kind.as_str()),
        Box::new(&s.address),
        Box::new(&s.schedule),
        Box::new(columns::audience_text(&s.audience)),
        Box::new(&s.operator),
        Box::new(properties_json(&s.properties)),
    ]
}

/// Inserts a site, as `fid` when given.
pub fn insert_site(conn: &Connection, fid: Option<SiteId>, s: &SiteData) -> Result<SiteId, StoreError> {
    let mut values: Vec<Box<dyn rusqlite::ToSql + '_>> = site_params(s).into_iter().collect();
    values.push(Box::new(fid.map(|f| f.0)));
    conn.prepare_cached(
        "INSERT INTO sites (geom, name, kind, address, schedule, audience, operator, properties, fid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params_from_iter(values))?;
    Ok(SiteId(conn.last_insert_rowid()))
}

/// Returns false when there is no such site.
pub fn update_site(conn: &Connection, id: SiteId, s: &SiteData) -> Result<bool, StoreError> {
    let mut values: Vec<Box<dyn rusqlite::ToSql + '_>> = site_params(s).into_iter().collect();
    values.push(Box::new(id.0));
    let n = conn
        .prepare_cached(
            "UPDATE sites SET geom = ?1, name = ?2, kind = ?3, address = ?4, schedule = ?5, audience = ?6,
             operator = ?7, properties = ?8 WHERE fid = ?9",
        )?
        .execute(rusqlite::params_from_iter(values))?;
    Ok(n == 1)
}

/// Returns false when there is no such site.
pub fn delete_site(conn: &Connection, id: SiteId) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM sites WHERE fid = ?1", [id.0])? == 1)
}

// ----- population -----

pub fn load_population(conn: &Connection) -> Result<Vec<PopulationUnit>, StoreError> {
    load(conn, "SELECT * FROM population ORDER BY fid", |row, fid| {
        Ok(PopulationUnit {
            id: PopulationId(fid),
            data: PopulationData {
                name: row.get("name")?,
                location: point(row, "population", fid)?,
                total: row.get("total")?,
                aged65: row.get("aged65")?,
                aged75: row.get("aged75")?,
                source: row.get("source")?,
                year: row.get("year")?,
                properties: properties(row, "population", fid)?,
            },
        })
    })
}

/// Inserts a population unit, as `fid` when given.
pub fn insert_population(
    conn: &Connection,
    fid: Option<PopulationId>,
    p: &PopulationData,
) -> Result<PopulationId, StoreError> {
    conn.prepare_cached(
        "INSERT INTO population (geom, name, total, aged65, aged75, source, year, properties, fid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        gpkg::encode_geometry(&Geometry::Point(p.location)),
        p.name,
        p.total,
        p.aged65,
        p.aged75,
        p.source,
        p.year,
        properties_json(&p.properties),
        fid.map(|f| f.0),
    ])?;
    Ok(PopulationId(conn.last_insert_rowid()))
}

// ----- metadata -----

pub fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn.query_row("SELECT value FROM sasaeai_meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute("INSERT OR REPLACE INTO sasaeai_meta VALUES (?1, ?2)", [key, value])?;
    Ok(())
}

// ----- network -----

/// The stored network as node positions and edges; node positions are the edges' end points.
pub fn load_network(conn: &Connection) -> Result<Option<crate::network::NetworkParts>, StoreError> {
    let edges = load(conn, "SELECT * FROM network ORDER BY fid", |row, fid| {
        let geometry = match geometry(row, "network", fid)? {
            Geometry::LineString(ls) if ls.0.len() >= 2 => ls,
            other => return Err(bad_row("network", fid, format!("expected a LineString, found {other:?}"))),
        };
        Ok(EdgeData {
            a: row.get("source")?,
            b: row.get("target")?,
            geometry,
            steps: row.get("steps")?,
            highway: row.get("highway")?,
            way_id: row.get("way_id")?,
        })
    })?;
    columns::network_from_edges(edges)
}

pub fn replace_network(conn: &Connection, graph: &crate::network::Graph) -> Result<(), StoreError> {
    conn.execute("DELETE FROM network", [])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO network (geom, source, target, length_m, steps, highway, way_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for e in graph.edges() {
        let d = &e.data;
        insert.execute(params![
            gpkg::encode_geometry(&Geometry::LineString(d.geometry.clone())),
            d.a,
            d.b,
            e.length_m,
            d.steps,
            d.highway,
            d.way_id
        ])?;
    }
    Ok(())
}
