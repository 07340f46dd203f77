//! Shapefiles as GDAL writes them (an independent writer): e-Stat's 小地域 layout in Shift_JIS,
//! with and without a .cpg, in lon/lat and in a 平面直角座標系 zone, zipped or as a .shp with its
//! files beside it.

mod common;

use sasaeai::import::{self, AreaOptions, SiteOptions};
use sasaeai::model::{AreaLevel, SiteKind};
use std::path::Path;

/// Two parts of one 町丁 (same KEY_CODE) and a water-surface unit (HCODE 8154), as e-Stat has them.
const ESTAT_SMALL_AREAS: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"KEY_CODE":"352020010001","HCODE":8101,"S_NAME":"常盤町一丁目","JINKO":1200},"geometry":{"type":"Polygon","coordinates":[[[131.24,33.95],[131.25,33.95],[131.25,33.96],[131.24,33.96],[131.24,33.95]]]}},
{"type":"Feature","properties":{"KEY_CODE":"352020010001","HCODE":8101,"S_NAME":"常盤町一丁目","JINKO":0},"geometry":{"type":"Polygon","coordinates":[[[131.26,33.95],[131.27,33.95],[131.27,33.96],[131.26,33.96],[131.26,33.95]]]}},
{"type":"Feature","properties":{"KEY_CODE":"352020010002","HCODE":8101,"S_NAME":"常盤町二丁目","JINKO":800},"geometry":{"type":"Polygon","coordinates":[[[131.24,33.96],[131.25,33.96],[131.25,33.97],[131.24,33.97],[131.24,33.96]]]}},
{"type":"Feature","properties":{"KEY_CODE":"352020020000","HCODE":8154,"S_NAME":null,"JINKO":0},"geometry":{"type":"Polygon","coordinates":[[[131.24,33.94],[131.25,33.94],[131.25,33.945],[131.24,33.945],[131.24,33.94]]]}}
]}"#;

/// Writes `geojson` as the Shapefile `dir/name.shp` with GDAL, in Shift_JIS, in `epsg`.
fn ogr_shapefile(dir: &Path, name: &str, geojson: &str, epsg: u32) -> std::path::PathBuf {
    let input = dir.join(format!("{name}.geojson"));
    std::fs::write(&input, geojson).unwrap();
    let out = dir.join(format!("{name}.shp"));
    let status = std::process::Command::new("ogr2ogr")
        .args(["-f", "ESRI Shapefile", "-lco", "ENCODING=CP932", "-s_srs", "EPSG:6668", "-t_srs"])
        .arg(format!("EPSG:{epsg}"))
        .arg(&out)
        .arg(&input)
        .status()
        .unwrap();
    assert!(status.success());
    out
}

/// The Shapefile's files, zipped, leaving out the extensions in `without`.
fn zipped(shp: &Path, without: &[&str]) -> Vec<u8> {
    let files: Vec<(String, Vec<u8>)> = ["shp", "shx", "dbf", "prj", "cpg"]
        .iter()
        .filter(|e| !without.contains(e))
        .map(|e| (format!("小地域.{e}"), std::fs::read(shp.with_extension(e)).unwrap()))
        .collect();
    import::shp::bundle(&files)
}

#[test]
fn estat_small_areas_import_as_chome_without_flags_in_every_form() {
    if !common::has_tool("ogr2ogr", "gdal-bin") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lon_lat = ogr_shapefile(dir.path(), "lonlat", ESTAT_SMALL_AREAS, 6668);
    let plane = ogr_shapefile(dir.path(), "plane", ESTAT_SMALL_AREAS, 6671);
    let forms = [
        ("lon/lat with .cpg", zipped(&lon_lat, &[])),
        ("Shift_JIS told by the bytes, no .cpg", zipped(&lon_lat, &["cpg"])),
        ("平面直角座標系 III named by the .prj", zipped(&plane, &[])),
    ];
    for (form, bytes) in forms {
        let areas = import::areas(&bytes, &AreaOptions::default()).unwrap_or_else(|e| panic!("{form}: {e}"));
        let names: Vec<&str> = areas.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["常盤町一丁目", "常盤町二丁目"], "{form}: parts merged, water left out");
        assert!(areas.iter().all(|a| a.level == AreaLevel::Chome), "{form}");
        assert_eq!(areas[0].code.as_deref(), Some("352020010001"), "{form}");
        assert_eq!(areas[0].geometry.0.len(), 2, "{form}: both parts");
        assert_eq!(areas[0].properties["JINKO"], 1200, "{form}");
        let first = areas[0].geometry.0[0].exterior().0[0];
        let corners = [(131.24, 33.95), (131.25, 33.95), (131.25, 33.96), (131.24, 33.96)];
        let near = corners.iter().any(|(x, y)| (first.x - x).abs() < 1e-7 && (first.y - y).abs() < 1e-7);
        assert!(near, "{form}: {first:?} is a corner of the 町丁");
    }
}

#[test]
fn a_shp_on_the_command_line_is_read_with_the_files_beside_it() {
    if !common::has_tool("ogr2ogr", "gdal-bin") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let points = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"名称":"ときわ湖水ホール","種別":"公民館"},"geometry":{"type":"Point","coordinates":[131.2745,33.9512]}},
        {"type":"Feature","properties":{"名称":"常盤地域包括支援センター","種別":"地域包括支援センター"},"geometry":{"type":"Point","coordinates":[131.2601,33.9532]}}]}"#;
    let shp = ogr_shapefile(dir.path(), "sites", points, 6671);
    let store = dir.path().join("ube.gpkg");
    let args: Vec<&std::ffi::OsStr> =
        vec!["import".as_ref(), "sites".as_ref(), shp.as_os_str(), "--store".as_ref(), store.as_os_str()];
    let out = common::cli(&args, "");
    assert!(out.contains("imported 2 sites"), "{out}");
    let index = sasaeai::store::Store::open(&store).unwrap().read();
    let mut kinds: Vec<SiteKind> = index.sites().map(|s| s.data.kind).collect();
    kinds.sort();
    assert_eq!(kinds, [SiteKind::CareCenter, SiteKind::CommunityCenter], "kinds from the 種別 column");
    let hall = index.sites().find(|s| s.data.name == "ときわ湖水ホール").unwrap();
    assert!(
        (hall.data.location.x() - 131.2745).abs() < 1e-7 && (hall.data.location.y() - 33.9512).abs() < 1e-7
    );

    // Without its .dbf it says what is missing; a zip of two Shapefiles asks for one at a time.
    std::fs::remove_file(shp.with_extension("dbf")).unwrap();
    let bare = import::sites(&std::fs::read(&shp).unwrap(), &SiteOptions::default()).unwrap_err().to_string();
    assert!(bare.contains("the .shp part of a Shapefile alone"), "{bare}");
    let two = import::shp::bundle(&[("a.shp".into(), vec![0; 100]), ("b.shp".into(), vec![0; 100])]);
    let err = import::sites(&two, &SiteOptions::default()).unwrap_err().to_string();
    assert!(err.contains("2 Shapefiles"), "{err}");
}
