//! Coordinates as files give them besides decimal lon/lat: JGD2011 平面直角座標 (a table's X座標 /
//! Y座標, or a GeoJSON `crs` member) and 度分秒 — each checked against points whose lon/lat is known:
//! the zones' origins, points converted by GDAL (PROJ, an independent implementation), and the
//! published 日本経緯度原点.

mod common;

use geo::{Distance, Haversine, Point};
use sasaeai::import::crs::{Crs, PlaneToLonLat};
use sasaeai::import::{self, SiteOptions};
use sasaeai::model::SiteKind;

/// Metres between two lon/lat points.
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    Haversine.distance(Point::from(a), Point::from(b))
}

#[test]
fn every_zone_origin_is_its_published_lon_lat() {
    // 平成14年国土交通省告示第9号: (zone, latitude, longitude) of each origin, in degrees and minutes.
    let origins = [
        (1, 33, 0, 129, 30),
        (2, 33, 0, 131, 0),
        (3, 36, 0, 132, 10),
        (4, 33, 0, 133, 30),
        (5, 36, 0, 134, 20),
        (6, 36, 0, 136, 0),
        (7, 36, 0, 137, 10),
        (8, 36, 0, 138, 30),
        (9, 36, 0, 139, 50),
        (10, 40, 0, 140, 50),
        (11, 44, 0, 140, 15),
        (12, 44, 0, 142, 15),
        (13, 44, 0, 144, 15),
        (14, 26, 0, 142, 0),
        (15, 26, 0, 127, 30),
        (16, 26, 0, 124, 0),
        (17, 26, 0, 131, 0),
        (18, 20, 0, 136, 0),
        (19, 26, 0, 154, 0),
    ];
    for (zone, lat_d, lat_m, lon_d, lon_m) in origins {
        let published = (lon_d as f64 + lon_m as f64 / 60.0, lat_d as f64 + lat_m as f64 / 60.0);
        let found = PlaneToLonLat::zone(zone).unwrap().lon_lat(0.0, 0.0).unwrap();
        assert!(metres(found, published) < 0.001, "zone {zone}: {found:?}");
        assert_eq!(format!("EPSG:{}", 6668 + u32::from(zone)).parse::<Crs>(), Ok(Crs::Plane(zone)));
    }
}

/// `(easting, northing)` of lon/lat points in `epsg`, by GDAL.
fn gdal_plane(epsg: u32, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    use std::io::Write;
    let mut child = std::process::Command::new("gdaltransform")
        .args(["-s_srs", "EPSG:6668", "-t_srs", &format!("EPSG:{epsg}"), "-output_xy"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input: String = points.iter().map(|(lon, lat)| format!("{lon} {lat}\n")).collect();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .map(|l| {
            let v: Vec<f64> = l.split_whitespace().map(|n| n.parse().unwrap()).collect();
            (v[0], v[1])
        })
        .collect()
}

#[test]
fn plane_coordinates_from_gdal_come_back_to_their_lon_lat() {
    if !common::has_tool("gdaltransform", "gdal-bin") {
        return;
    }
    // Places in four zones: 周南市 and 宇部市 (III), 川崎市 (IX), 札幌市 (XII), 那覇市 (XV).
    let zones = [
        (6671, vec![(131.8065, 34.0551), (131.2468, 33.9518), (132.0121, 34.2750)]),
        (6677, vec![(139.7030, 35.5308), (139.5520, 35.6200)]),
        (6680, vec![(141.3545, 43.0621)]),
        (6683, vec![(127.6792, 26.2124)]),
    ];
    for (epsg, points) in zones {
        let plane = gdal_plane(epsg, &points);
        let mut csv = String::from("名称,X座標,Y座標\n");
        for (i, (easting, northing)) in plane.iter().enumerate() {
            csv.push_str(&format!("地点{i},{northing},{easting}\n"));
        }
        let options = SiteOptions {
            kind: Some(SiteKind::Other),
            crs: epsg.to_string().parse().unwrap(),
            ..Default::default()
        };
        let sites = import::sites(csv.as_bytes(), &options).unwrap();
        for (site, expected) in sites.iter().zip(&points) {
            let error = metres(site.location.x_y(), *expected);
            assert!(error < 0.001, "EPSG:{epsg} {expected:?}: {error} m off");
        }

        // The same points as GeoJSON naming its crs, positions [easting, northing] as GDAL writes.
        let features: Vec<String> = plane
            .iter()
            .enumerate()
            .map(|(i, (e, n))| {
                format!(r#"{{"type":"Feature","properties":{{"name":"地点{i}"}},"geometry":{{"type":"Point","coordinates":[{e},{n}]}}}}"#)
            })
            .collect();
        let geojson = format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::{epsg}"}}}},"features":[{}]}}"#,
            features.join(",")
        );
        let options = SiteOptions { kind: Some(SiteKind::Other), ..Default::default() };
        let sites = import::sites(geojson.as_bytes(), &options).unwrap();
        for (site, expected) in sites.iter().zip(&points) {
            assert!(metres(site.location.x_y(), *expected) < 0.01, "GeoJSON EPSG:{epsg} {expected:?}");
        }
    }
}

#[test]
fn dms_in_the_ways_files_write_it_lands_on_the_japan_geodetic_origin() {
    // 日本経緯度原点 (JGD2011): 東経139°44′28.8869″, 北緯35°39′29.1572″.
    let published = (139.0 + 44.0 / 60.0 + 28.8869 / 3600.0, 35.0 + 39.0 / 60.0 + 29.1572 / 3600.0);
    let csv = "名称,緯度,経度\n\
               原点,35°39'29.1572\"N,139°44'28.8869\"E\n\
               全角,３５°　３９′２９．１５７２″,１３９°　４４′２８．８８６９″\n\
               漢字,北緯35度39分29.1572秒,東経139度44分28.8869秒\n";
    let options = SiteOptions { kind: Some(SiteKind::Other), ..Default::default() };
    let sites = import::sites(csv.as_bytes(), &options).unwrap();
    assert_eq!(sites.len(), 3);
    for site in &sites {
        assert!(metres(site.location.x_y(), published) < 0.01, "{}: {:?}", site.name, site.location);
    }
}

#[test]
fn degrees_given_as_plane_coordinates_and_unknown_systems_are_refused_with_the_reason() {
    let csv = "名称,X座標,Y座標\n駅,34.05,131.80\n";
    let options = SiteOptions { kind: Some(SiteKind::Other), crs: Crs::Plane(3), ..Default::default() };
    let Err(import::ImportError::Invalid { problems }) = import::sites(csv.as_bytes(), &options) else {
        panic!("degrees read as metres")
    };
    assert!(problems[0].message.contains("look like degrees"), "{problems:?}");
    let err = "EPSG:30169".parse::<Crs>().unwrap_err();
    assert!(err.contains("Tokyo datum"), "{err}");
    let tokyo = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:30169"}},"features":[]}"#;
    let err = import::sites(tokyo.as_bytes(), &SiteOptions::default()).unwrap_err().to_string();
    assert!(err.contains("crs member") && err.contains("EPSG:30169"), "{err}");
}

/// Regression: a FeatureCollection is read feature by feature; members before and after its
/// features (a `bbox` array first, the `crs` last) are still honoured.
#[test]
fn a_crs_member_after_the_features_still_converts_them() {
    let geojson = r#"{"bbox":[-61585,-221659,-61584,-221658],"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"name":"origin III"},"geometry":{"type":"Point","coordinates":[0,0]}}],
        "crs":{"type":"name","properties":{"name":"EPSG:6671"}}}"#;
    let options = SiteOptions { kind: Some(SiteKind::Other), ..Default::default() };
    let sites = import::sites(geojson.as_bytes(), &options).unwrap();
    assert!(metres(sites[0].location.x_y(), (132.0 + 10.0 / 60.0, 36.0)) < 0.001, "{:?}", sites[0].location);
}
