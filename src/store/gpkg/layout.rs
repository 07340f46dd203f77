//! The on-disk layout: an OGC GeoPackage 1.3 (tables `gpkg_spatial_ref_sys`, `gpkg_contents`,
//! `gpkg_geometry_columns`, one feature table per layer) and the GeoPackage binary geometry encoding
//! (a `GP` header with an envelope, followed by little-endian WKB). All geometry is EPSG:4326.

use crate::store::geometry::{BlobError, read_wkb, write_wkb};
use geo::{BoundingRect, Geometry};
use rusqlite::Connection;

/// SRS id of WGS 84 in `gpkg_spatial_ref_sys`.
pub const SRS_WGS84: i32 = 4326;
/// `PRAGMA application_id` of a GeoPackage ("GPKG").
const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.3.0.
const USER_VERSION: i32 = 10300;
/// Version of our own tables; bumped when their columns change.
pub const SCHEMA_VERSION: i64 = 1;

const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

/// The feature tables, with their GeoPackage geometry type and a description for `gpkg_contents`.
pub const LAYERS: [(&str, &str, &str); 4] = [
    ("areas", "MULTIPOLYGON", "Areas: city, wards, daily-life spheres, districts, chome"),
    ("sites", "POINT", "Sites: facilities, cafes, engawa, parks"),
    ("population", "POINT", "Population points with total, aged 65+ and aged 75+"),
    ("network", "LINESTRING", "Walking network: edges between junctions, lengths in metres"),
];

const FEATURE_TABLES: &str = "
CREATE TABLE areas (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    geom MULTIPOLYGON NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('city','ward','sphere','district','chome')),
    code TEXT,
    parent_id INTEGER REFERENCES areas(fid) ON DELETE SET NULL,
    parent_derived BOOLEAN NOT NULL DEFAULT 1,
    properties TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE sites (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    geom POINT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    address TEXT,
    schedule TEXT,
    audience TEXT NOT NULL DEFAULT '',
    operator TEXT,
    properties TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE population (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    geom POINT NOT NULL,
    name TEXT,
    total INTEGER NOT NULL CHECK (total >= 0),
    aged65 INTEGER NOT NULL CHECK (aged65 >= 0 AND aged65 <= total),
    aged75 INTEGER NOT NULL CHECK (aged75 >= 0 AND aged75 <= aged65),
    source TEXT,
    year INTEGER,
    properties TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE network (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    geom LINESTRING NOT NULL,
    source INTEGER NOT NULL CHECK (source >= 0),
    target INTEGER NOT NULL CHECK (target >= 0),
    length_m REAL NOT NULL,
    steps BOOLEAN NOT NULL,
    highway TEXT NOT NULL,
    way_id INTEGER
);
CREATE TABLE sasaeai_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// Creates an empty GeoPackage with our layers in `conn`, in one transaction.
pub fn create_schema(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = create_core(conn)?;
    tx.execute_batch(FEATURE_TABLES)?;
    for (table, geometry_type, description) in LAYERS {
        register_layer(&tx, table, geometry_type, description)?;
    }
    tx.execute("INSERT INTO sasaeai_meta VALUES ('schema_version', ?1)", [SCHEMA_VERSION.to_string()])?;
    tx.commit()
}

/// Marks `conn` as a GeoPackage 1.3 and starts the transaction that creates its own tables (the
/// spatial reference systems, contents and geometry columns), for the caller to add its layers to.
pub fn create_core(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    conn.pragma_update(None, "user_version", USER_VERSION)?;
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE gpkg_spatial_ref_sys (
            srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
            organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (
            table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
            description TEXT DEFAULT '',
            last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
            srs_id INTEGER REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (
            table_name TEXT NOT NULL UNIQUE REFERENCES gpkg_contents(table_name),
            column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
            srs_id INTEGER NOT NULL REFERENCES gpkg_spatial_ref_sys(srs_id),
            z TINYINT NOT NULL, m TINYINT NOT NULL,
            PRIMARY KEY (table_name, column_name));",
    )?;
    tx.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES
            ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
            ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
            ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?1, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        [WGS84_WKT],
    )?;
    Ok(tx)
}

/// Lists the feature table `table` (created by the caller, its geometry in column `geom`, in
/// EPSG:4326) in the GeoPackage's contents.
pub fn register_layer(
    conn: &Connection,
    table: &str,
    geometry_type: &str,
    description: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
         VALUES (?1, 'features', ?1, ?2, ?3)",
        rusqlite::params![table, description, SRS_WGS84],
    )?;
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, ?3, 0, 0)",
        rusqlite::params![table, geometry_type, SRS_WGS84],
    )?;
    Ok(())
}

/// Sets the extent of `table` to exactly `rect` (after a layer is replaced whole).
pub fn set_extent(conn: &Connection, table: &str, rect: Option<geo::Rect<f64>>) -> rusqlite::Result<()> {
    conn.execute("UPDATE gpkg_contents SET min_x = NULL, min_y = NULL, max_x = NULL, max_y = NULL WHERE table_name = ?1", [table])?;
    touch_contents(conn, table, rect)
}

/// Records a change to `table`: its extent grows to cover `rect` and `last_change` is now.
pub fn touch_contents(conn: &Connection, table: &str, rect: Option<geo::Rect<f64>>) -> rusqlite::Result<()> {
    match rect {
        Some(r) => conn.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
                min_x = min(coalesce(min_x, ?2), ?2), min_y = min(coalesce(min_y, ?3), ?3),
                max_x = max(coalesce(max_x, ?4), ?4), max_y = max(coalesce(max_y, ?5), ?5)
             WHERE table_name = ?1",
            rusqlite::params![table, r.min().x, r.min().y, r.max().x, r.max().y],
        )?,
        None => conn.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?1",
            [table],
        )?,
    };
    Ok(())
}

/// Encodes `geometry` as a GeoPackage geometry blob (little-endian, with an XY envelope).
///
/// ```
/// use sasaeai::store::gpkg::{decode_geometry, encode_geometry};
/// let p = geo::Geometry::Point(geo::point!(x: 139.7, y: 35.6));
/// assert_eq!(decode_geometry(&encode_geometry(&p)).unwrap(), p);
/// ```
pub fn encode_geometry(geometry: &Geometry<f64>) -> Vec<u8> {
    let envelope = match geometry {
        Geometry::Point(_) => None,
        other => other.bounding_rect(),
    };
    let mut blob = Vec::with_capacity(64);
    blob.extend_from_slice(b"GP");
    blob.push(0); // version 1.0 of the blob format
    let envelope_code: u8 = if envelope.is_some() { 1 } else { 0 };
    blob.push(envelope_code << 1 | 1); // bit 0: little-endian header
    blob.extend_from_slice(&SRS_WGS84.to_le_bytes());
    if let Some(r) = envelope {
        for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
            blob.extend_from_slice(&v.to_le_bytes());
        }
    }
    write_wkb(&mut blob, geometry);
    blob
}

/// Decodes a GeoPackage geometry blob.
pub fn decode_geometry(blob: &[u8]) -> Result<Geometry<f64>, BlobError> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err(BlobError::Header);
    }
    let envelope_len = match (blob[3] >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => return Err(BlobError::Header),
    };
    read_wkb(blob.get(8 + envelope_len..).ok_or(BlobError::Header)?)
}
