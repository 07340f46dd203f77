//! Shapefiles as offices and e-Stat hand them out: a .zip holding one `.shp` with its `.dbf`
//! (attributes, Shift_JIS or UTF-8 — told by the `.cpg`, else by the bytes), `.shx` and `.prj`
//! (coordinate system: lon/lat, or a JGD2011 / JGD2000 平面直角座標系 zone). Features become the
//! same records GeoJSON gives, so areas, sites and networks read them alike; e-Stat's 小地域
//! (町丁・字等) boundaries need no flags (`S_NAME`, `KEY_CODE`; water-surface survey units, `HCODE`
//! 8154, hold no 町丁 and are left out).

use super::crs::{self, Crs};
use super::records::Record;
use super::{ImportError, Place, RecordProblem};
use crate::model::Properties;
use serde_json::Value;
use std::io::{Cursor, Read};

/// The most a Shapefile may unpack to, bytes: a zip's size does not bound its contents.
pub const MAX_UNPACKED_BYTES: u64 = 256 << 20;

/// e-Stat's code of a water-surface survey unit, which is no 町丁.
const ESTAT_WATER: &str = "8154";

/// The files of one Shapefile.
#[derive(Debug, Default)]
pub struct Parts {
    shp: Vec<u8>,
    shx: Option<Vec<u8>>,
    dbf: Vec<u8>,
    prj: Option<String>,
    cpg: Option<String>,
}

fn not_a_shapefile(message: impl Into<String>) -> ImportError {
    ImportError::NotATable(message.into())
}

/// The one Shapefile a zip archive holds.
pub fn unzip(bytes: &[u8]) -> Result<Parts, ImportError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| not_a_shapefile(format!("a damaged zip archive of a Shapefile ({e})")))?;
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    let shps: Vec<&String> = names.iter().filter(|n| n.to_ascii_lowercase().ends_with(".shp")).collect();
    let stem = match shps.as_slice() {
        [one] => one[..one.len() - 4].to_owned(),
        [] => return Err(not_a_shapefile("a zip archive without a .shp file")),
        many => {
            let list: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
            return Err(not_a_shapefile(format!(
                "a zip archive holding {} Shapefiles ({}); zip one at a time",
                many.len(),
                list.join(", ")
            )));
        }
    };
    let mut unpacked = 0u64;
    let mut take = |ext: &str| -> Result<Option<Vec<u8>>, ImportError> {
        let Some(name) =
            names.iter().find(|n| n.len() == stem.len() + 4 && n.to_ascii_lowercase().ends_with(ext))
        else {
            return Ok(None);
        };
        let entry = archive.by_name(name).map_err(|e| not_a_shapefile(format!("{name}: {e}")))?;
        let mut data = Vec::new();
        entry
            .take(MAX_UNPACKED_BYTES - unpacked + 1)
            .read_to_end(&mut data)
            .map_err(|e| not_a_shapefile(format!("{name}: {e}")))?;
        unpacked += data.len() as u64;
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(not_a_shapefile(format!(
                "a Shapefile unpacking to more than {} MiB",
                MAX_UNPACKED_BYTES >> 20
            )));
        }
        Ok(Some(data))
    };
    let text = |b: Option<Vec<u8>>| b.map(|b| String::from_utf8_lossy(&b).trim().to_owned());
    let shp = take(".shp")?.unwrap_or_default();
    let dbf = take(".dbf")?
        .ok_or_else(|| not_a_shapefile(format!("a Shapefile {stem}.shp without its .dbf (attributes)")))?;
    Ok(Parts { shp, shx: take(".shx")?, dbf, prj: text(take(".prj")?), cpg: text(take(".cpg")?) })
}

/// A zip holding the named files (`name.shp`, `name.dbf`, …), for a Shapefile given as files on disk.
pub fn bundle(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in files {
        // Writing into memory cannot fail for want of space; a failure here is a bug.
        zip.start_file(name.as_str(), stored).and_then(|()| Ok(zip.write_all(data)?)).expect("zip in memory");
    }
    zip.finish().expect("zip in memory").into_inner()
}

/// The coordinate system a `.prj` names: geographic lon/lat (JGD2011, JGD2000, WGS 84), or a
/// 平面直角座標系 zone on JGD2011 or JGD2000 (the same to within centimetres outside the areas the
/// 2011 earthquake moved). The Tokyo datum and other projections are refused.
pub fn crs_of_prj(prj: &str) -> Result<Crs, String> {
    let upper = prj.to_ascii_uppercase();
    if upper.contains("TOKYO") {
        return Err("the .prj names the old Tokyo datum; convert it to JGD2011 first".into());
    }
    if upper.starts_with("GEOGCS") {
        return Ok(Crs::LonLat);
    }
    let zone = ZONE_NAMES.iter().enumerate().position(|(i, roman)| {
        let names = [
            format!("JAPAN_ZONE_{}\"", i + 1),
            format!("JAPAN_ZONE_{roman}\""),
            format!("PLANE RECTANGULAR CS {roman}\""),
        ];
        names.iter().any(|n| upper.contains(n.as_str()))
    });
    match zone {
        Some(i) if upper.contains("JGD") => Ok(Crs::Plane(i as u8 + 1)),
        _ => Err(format!(
            "the .prj names a coordinate system sasaeai does not read: {}",
            prj.chars().take(120).collect::<String>()
        )),
    }
}

/// Zone numbers as .prj files write them in roman numerals, I to XIX (ESRI's names use 1 to 19).
const ZONE_NAMES: [&str; 19] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI",
    "XVII", "XVIII", "XIX",
];

/// Whether the `.dbf`'s text is UTF-8: its `.cpg` says so, or its records are valid UTF-8.
fn dbf_is_utf8(parts: &Parts) -> bool {
    if let Some(cpg) = &parts.cpg {
        let cpg = cpg.to_ascii_uppercase();
        return cpg.contains("UTF") || cpg == "65001";
    }
    let header_len = parts.dbf.get(8..10).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
    std::str::from_utf8(parts.dbf.get(header_len..).unwrap_or_default()).is_ok()
}

/// The features of a Shapefile as records with lon/lat geometry, properties in the `.dbf`'s
/// column order. `crs` is what the positions are in when there is no `.prj`.
pub fn records(parts: Parts, crs: Crs) -> Result<Vec<Record>, ImportError> {
    let crs = match &parts.prj {
        Some(prj) => crs_of_prj(prj).map_err(not_a_shapefile)?,
        None => crs,
    };
    let encoding = if dbf_is_utf8(&parts) { encoding_rs::UTF_8 } else { encoding_rs::SHIFT_JIS };
    let damaged = |e: &dyn std::fmt::Display| not_a_shapefile(format!("a damaged Shapefile ({e})"));
    let dbf = shapefile::dbase::Reader::new_with_encoding(
        Cursor::new(parts.dbf),
        shapefile::dbase::encoding::EncodingRs::from(encoding),
    )
    .map_err(|e| damaged(&e))?;
    let columns: Vec<String> = dbf.fields().iter().map(|f| f.name().to_owned()).collect();
    let shapes = match parts.shx {
        Some(shx) => shapefile::ShapeReader::with_shx(Cursor::new(parts.shp), Cursor::new(shx)),
        None => shapefile::ShapeReader::new(Cursor::new(parts.shp)),
    }
    .map_err(|e| damaged(&e))?;
    let mut reader = shapefile::Reader::new(shapes, dbf);
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in reader.iter_shapes_and_records().enumerate() {
        let place = Place::Feature(i + 1);
        let (shape, mut row) = item.map_err(|e| damaged(&e))?;
        let properties: Properties =
            columns.iter().filter_map(|c| Some((c.clone(), value(row.remove(c)?)))).collect();
        if properties.get("HCODE").is_some_and(|h| h.to_string().trim_matches('"') == ESTAT_WATER) {
            continue;
        }
        match geometry(shape, crs) {
            Ok(geometry) => out.push(Record { place, properties, geometry: Some(geometry) }),
            Err(message) => problems.push(RecordProblem { place, field: Some("geometry".into()), message }),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(ImportError::Invalid { problems }) }
}

/// A feature's geometry in lon/lat; `None` for a null shape.
fn geometry(shape: shapefile::Shape, crs: Crs) -> Result<Option<geojson::GeometryValue>, String> {
    if matches!(shape, shapefile::Shape::NullShape) {
        return Ok(None);
    }
    let geometry = geo_types::Geometry::<f64>::try_from(shape).map_err(|e| e.to_string())?;
    let mut value = geojson::GeometryValue::from(&geometry);
    if let Crs::Plane(zone) = crs {
        crs::geometry_to_lon_lat(&mut value, zone)?;
    }
    Ok(Some(value))
}

/// A `.dbf` value as JSON: text trimmed, numbers as numbers (whole ones without a fraction), codes
/// kept as text.
fn value(field: shapefile::dbase::FieldValue) -> Value {
    use shapefile::dbase::FieldValue as F;
    let number = |n: f64| {
        if n.fract() == 0.0 && n.abs() < 9e15 { Value::from(n as i64) } else { Value::from(n) }
    };
    match field {
        F::Character(Some(s)) | F::Memo(s) => Value::String(s.trim().to_owned()),
        F::Numeric(Some(n)) | F::Double(n) | F::Currency(n) => number(n),
        F::Float(Some(f)) => number(f64::from(f)),
        F::Integer(i) => Value::from(i),
        F::Logical(Some(b)) => Value::Bool(b),
        F::Date(Some(d)) => Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prj_in_japanese_is_refused_without_cutting_a_character_in_half() {
        let prj = format!("PROJCS[\"{}\"]", "平面直角座標系".repeat(20));
        let message = crs_of_prj(&prj).unwrap_err();
        let quoted = message.split_once(": ").unwrap().1;
        assert_eq!(quoted.chars().count(), 120, "{message}");
    }

    #[test]
    fn the_zone_is_read_from_esri_and_ogc_names() {
        assert_eq!(crs_of_prj("PROJCS[\"JGD_2011_Japan_Zone_3\"]"), Ok(Crs::Plane(3)));
        assert_eq!(crs_of_prj("PROJCS[\"JGD2011 / Japan Plane Rectangular CS IX\"]"), Ok(Crs::Plane(9)));
    }
}
