//! GeoJSON features written as a GeoPackage file, for a planner to take an analysis offline into
//! QGIS: one feature table per layer, a column per property (integers, reals, booleans and text as
//! themselves; lists and objects as JSON text), the feature's id as `fid`, and a table of what the
//! file answers (the question, the data set and its attribution). Built in memory and returned as
//! the file's bytes.

use crate::store::gpkg::{create_core, encode_geometry, register_layer, set_extent};
use geo::BoundingRect;
use rusqlite::Connection;
use serde_json::Value;

/// One layer: its table name, its GeoPackage geometry type (`MULTIPOLYGON`, `POINT`, …), a
/// description, and its features (GeoJSON Features in longitude/latitude).
pub struct Layer<'a> {
    pub table: &'a str,
    pub geometry_type: &'a str,
    pub description: &'a str,
    pub features: &'a [Value],
}

/// What can go wrong writing the file: a feature that is not one.
#[derive(Debug, thiserror::Error)]
pub enum GpkgError {
    #[error("{table}: feature {index}: {problem}")]
    Feature { table: String, index: usize, problem: String },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The GeoPackage of `layers`, with `about` (name, value pairs) as its table `about`.
pub fn geopackage(layers: &[Layer<'_>], about: &[(&str, String)]) -> Result<Vec<u8>, GpkgError> {
    let mut conn = Connection::open_in_memory()?;
    let tx = create_core(&mut conn)?;
    for layer in layers {
        write_layer(&tx, layer)?;
    }
    tx.execute_batch(
        "CREATE TABLE about (name TEXT PRIMARY KEY, value TEXT NOT NULL);
         INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
         VALUES ('about', 'attributes', 'about', 'What this file answers: the question, the data and its attribution');",
    )?;
    for (name, value) in about {
        tx.execute("INSERT INTO about VALUES (?1, ?2)", (name, value))?;
    }
    tx.commit()?;
    Ok(conn.serialize("main")?.to_vec())
}

/// A property's column: its name as written and its SQLite type.
struct Column {
    key: String,
    name: String,
    sql_type: &'static str,
}

fn write_layer(conn: &Connection, layer: &Layer<'_>) -> Result<(), GpkgError> {
    let columns = columns_of(layer.features);
    let definitions: String =
        columns.iter().map(|c| format!(", {} {}", quoted(&c.name), c.sql_type)).collect();
    let table = quoted(layer.table);
    conn.execute_batch(&format!(
        "CREATE TABLE {table} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {}{definitions})",
        layer.geometry_type
    ))?;
    register_layer(conn, layer.table, layer.geometry_type, layer.description)?;
    let placeholders: String = (0..columns.len()).map(|i| format!(", ?{}", i + 3)).collect();
    let names: String = columns.iter().map(|c| format!(", {}", quoted(&c.name))).collect();
    let mut insert =
        conn.prepare(&format!("INSERT INTO {table} (fid, geom{names}) VALUES (?1, ?2{placeholders})"))?;
    let mut rects = Vec::with_capacity(layer.features.len());
    for (index, feature) in layer.features.iter().enumerate() {
        let problem = |problem: String| GpkgError::Feature { table: layer.table.into(), index, problem };
        let geometry = geometry_of(feature).map_err(problem)?;
        rects.extend(geometry.bounding_rect());
        let mut values: Vec<rusqlite::types::Value> =
            vec![feature["id"].as_i64().into(), encode_geometry(&geometry).into()];
        values.extend(columns.iter().map(|c| sql_value(&feature["properties"][c.key.as_str()])));
        insert.execute(rusqlite::params_from_iter(values))?;
    }
    set_extent(conn, layer.table, crate::model::union_rects(rects))?;
    Ok(())
}

/// The columns of the features' properties, in the order first met. A name that differs only in
/// case from one before it, or is `fid` or `geom`, gets a `_` (SQLite's names ignore case).
fn columns_of(features: &[Value]) -> Vec<Column> {
    let mut columns: Vec<Column> = Vec::new();
    for (key, value) in features.iter().filter_map(|f| f["properties"].as_object()).flatten() {
        match columns.iter_mut().find(|c| &c.key == key) {
            Some(column) => column.sql_type = widest(column.sql_type, sql_type(value)),
            None => {
                let mut name = key.clone();
                let taken = |n: &str, cs: &[Column]| {
                    ["fid", "geom"].iter().any(|r| r.eq_ignore_ascii_case(n))
                        || cs.iter().any(|c| c.name.eq_ignore_ascii_case(n))
                };
                while taken(&name, &columns) {
                    name.push('_');
                }
                columns.push(Column { key: key.clone(), name, sql_type: sql_type(value) });
            }
        }
    }
    columns
}

/// The SQLite type a property's value is stored as; `NULL` says nothing yet.
fn sql_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NULL",
        Value::Bool(_) => "BOOLEAN",
        Value::Number(n) if n.is_i64() || n.is_u64() => "INTEGER",
        Value::Number(_) => "REAL",
        _ => "TEXT",
    }
}

/// The type that holds values of both `a` and `b`.
fn widest(a: &'static str, b: &'static str) -> &'static str {
    match (a, b) {
        (x, y) if x == y => x,
        ("NULL", other) | (other, "NULL") => other,
        ("INTEGER", "REAL") | ("REAL", "INTEGER") => "REAL",
        _ => "TEXT",
    }
}

fn sql_value(value: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match value {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => {
            n.as_i64().map_or_else(|| Sql::Real(n.as_f64().unwrap_or(f64::NAN)), Sql::Integer)
        }
        Value::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    }
}

fn geometry_of(feature: &Value) -> Result<geo::Geometry<f64>, String> {
    let geometry: geojson::Geometry =
        serde_json::from_value(feature["geometry"].clone()).map_err(|e| format!("geometry: {e}"))?;
    geometry.try_into().map_err(|e| format!("geometry: {e}"))
}

/// `name` as an SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_take_every_property_and_the_widest_type_and_the_file_reads_back() {
        let features = vec![
            json!({ "type": "Feature", "id": 7, "geometry": { "type": "Point", "coordinates": [131.2, 34.0] },
                    "properties": { "name": "港", "n": 1, "share": null, "fid": "x", "Name": "dup" } }),
            json!({ "type": "Feature", "id": 9, "geometry": { "type": "Point", "coordinates": [131.3, 34.1] },
                    "properties": { "name": "川辺", "n": 2.5, "share": 0.4, "kinds": ["cafe", "engawa"] } }),
        ];
        let layer =
            Layer { table: "places", geometry_type: "POINT", description: "test", features: &features };
        let bytes = geopackage(&[layer], &[("minutes", "15".into())]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.gpkg");
        std::fs::write(&path, bytes).unwrap();
        let conn = Connection::open(&path).unwrap();
        type Row = (i64, String, f64, Option<f64>, String, String, Option<String>);
        let rows: Vec<Row> = conn
            .prepare(r#"SELECT fid, name, n, share, fid_, Name_, kinds FROM places ORDER BY fid"#)
            .unwrap()
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    r.get(6)?,
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows[0], (7, "港".into(), 1.0, None, "x".into(), "dup".into(), None));
        assert_eq!(
            rows[1],
            (
                9,
                "川辺".into(),
                2.5,
                Some(0.4),
                String::new(),
                String::new(),
                Some(r#"["cafe","engawa"]"#.into())
            )
        );
        let extent: (f64, f64) = conn
            .query_row("SELECT min_x, max_y FROM gpkg_contents WHERE table_name = 'places'", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(extent, (131.2, 34.1));
        let minutes: String =
            conn.query_row("SELECT value FROM about WHERE name = 'minutes'", [], |r| r.get(0)).unwrap();
        assert_eq!(minutes, "15");
    }
}
