//! Municipal open-data files exactly as published (`../shared/data/yamaguchi/`, its README lists the
//! quirk each shows), read by the site importer: each either imports with the counts the README
//! gives, or fails with the message a user needs — as a table, one row per file.

mod common;

use sasaeai::import::geocode::Gazetteer;
use sasaeai::import::{self, ColumnMap, ImportError, SiteOptions, join};
use sasaeai::model::SiteKind;

/// What reading a file must give.
enum Expect {
    /// Imports this many sites.
    Sites(usize),
    /// Fails: this many problems, each saying this.
    Problems(usize, &'static str),
}

struct Case {
    file: &'static str,
    kind: SiteKind,
    columns: &'static [&'static str],
    /// A gazetteer of the town's 町丁 / 大字 points, for rows without coordinates and suspect ones.
    gazetteer: Option<&'static str>,
    quirk: &'static str,
    expect: Expect,
}

const CASES: &[Case] = &[
    Case {
        file: "shunan_352152_hospital.csv",
        kind: SiteKind::Clinic,
        columns: &[],
        gazetteer: None,
        quirk: "2024 layout, UTF-8 BOM, CRLF, 所在地_連結表記, 診療曜日/診療開始時間",
        expect: Expect::Sites(12),
    },
    Case {
        file: "shunan_352152_hospital.xlsx",
        kind: SiteKind::Clinic,
        columns: &[],
        gazetteer: None,
        quirk: "the same list as a workbook, times as time cells",
        expect: Expect::Sites(12),
    },
    Case {
        file: "ube_352021_aed.xlsx",
        kind: SiteKind::Other,
        columns: &[],
        gazetteer: None,
        quirk: "an old .xls named .xlsx; codes as floats; the template sheet after the data",
        expect: Expect::Sites(165),
    },
    Case {
        file: "suooshima_353051_cultural_property.csv",
        kind: SiteKind::Other,
        columns: &[],
        gazetteer: None,
        quirk: "tab-separated though named .csv, cp932, quoted cells holding a tab, 5 of 10 without coordinates",
        expect: Expect::Problems(5, "latitude or longitude is missing"),
    },
    Case {
        file: "yanai_352128_hospital.csv",
        kind: SiteKind::Clinic,
        columns: &[],
        gazetteer: None,
        quirk: "older layout, cp932, no coordinates at all",
        expect: Expect::Problems(35, "latitude or longitude is missing"),
    },
    Case {
        file: "yamaguchi_352039_evacuation_space.csv",
        kind: SiteKind::Other,
        columns: &[],
        gazetteer: None,
        quirk: "2024 + old columns, cp932; one row's longitude is its latitude",
        expect: Expect::Problems(1, "緯度と経度が同じ値 34.017177"),
    },
    Case {
        file: "shunan_352152_public_toilet.csv",
        kind: SiteKind::Other,
        columns: &[],
        gazetteer: None,
        quirk: "UTF-8 BOM, numbers with a trailing space, a duplicate ID",
        expect: Expect::Sites(154),
    },
    Case {
        file: "shunan_safetymap_r5_shuyo_traffic_danger.csv",
        kind: SiteKind::Other,
        columns: &["name=どんな場所ですか？"],
        gazetteer: None,
        quirk: "residents' safety map: 経度 before 緯度, line breaks inside cells, UTF-8 BOM",
        expect: Expect::Sites(34),
    },
    Case {
        file: "shunan_safetymap_r5_toishi_traffic_danger.csv",
        kind: SiteKind::Other,
        columns: &["name=どんな場所ですか？"],
        gazetteer: None,
        quirk: "the same series in cp932",
        expect: Expect::Sites(67),
    },
    Case {
        file: "yanai_352128_hospital.csv",
        kind: SiteKind::Clinic,
        columns: &[],
        gazetteer: Some("yanai_chome_points_geolonia.geojson"),
        quirk: "no coordinates: each placed on the 町丁 / 大字 its 住所 names (中央１－４－１７, 南町７丁目…)",
        expect: Expect::Sites(35),
    },
    Case {
        file: "shunan_352152_public_toilet.csv",
        kind: SiteKind::Other,
        columns: &[],
        gazetteer: Some("shunan_chome_points_geolonia.geojson"),
        quirk: "新南陽駅前公衆トイレ's latitude 34.69989 is inside the prefecture but 70 km from the city",
        expect: Expect::Problems(1, "suspect coordinates"),
    },
];

#[test]
fn every_site_list_imports_as_published_or_says_why_not() {
    let mut report = Vec::new();
    for case in CASES {
        let Some(path) = common::shared_data(&format!("yamaguchi/{}", case.file)) else { return };
        let bytes = std::fs::read(&path).unwrap();
        let gazetteer = case.gazetteer.and_then(gazetteer);
        let options = SiteOptions {
            kind: Some(case.kind),
            columns: ColumnMap::parse(case.columns).unwrap(),
            gazetteer,
            ..Default::default()
        };
        let read = import::sites(&bytes, &options);
        match (&case.expect, read) {
            (Expect::Sites(n), Ok(sites)) => {
                assert_eq!(sites.len(), *n, "{}: {}", case.file, case.quirk);
                assert!(sites.iter().all(|s| !s.name.is_empty()), "{}", case.file);
            }
            (Expect::Problems(n, says), Err(ImportError::Invalid { problems })) => {
                assert_eq!(problems.len(), *n, "{}: {problems:#?}", case.file);
                assert!(problems.iter().all(|p| p.message.contains(says)), "{}: {problems:#?}", case.file);
            }
            (_, other) => panic!("{} ({}): {:?}", case.file, case.quirk, other.map(|s| s.len())),
        }
        report.push(case.file);
    }
    println!("{} published files read as expected", report.len());
}

#[test]
fn the_workbook_and_the_csv_of_one_list_give_the_same_sites() {
    let read = |file: &str| {
        let path = common::shared_data(&format!("yamaguchi/{file}"))?;
        let options = SiteOptions { kind: Some(SiteKind::Clinic), ..Default::default() };
        Some(import::sites(&std::fs::read(path).unwrap(), &options).unwrap())
    };
    let (Some(csv), Some(xlsx)) = (read("shunan_352152_hospital.csv"), read("shunan_352152_hospital.xlsx"))
    else {
        return;
    };
    for (c, x) in csv.iter().zip(&xlsx) {
        assert_eq!(c.name, x.name);
        assert_eq!(c.location, x.location, "{}", c.name);
        assert_eq!(c.address, x.address, "{}: 所在地_連結表記 is the address", c.name);
    }
    let first = &xlsx[0];
    let schedule = first.schedule.as_deref().unwrap_or_default();
    assert!(schedule.contains(':'), "the workbook's time cells read as times: {schedule:?}");
    let days: Vec<_> = csv.iter().filter_map(|s| s.schedule.as_deref()).collect();
    assert!(days.iter().any(|s| s.contains("月火水木金")), "診療曜日 is part of the schedule: {days:?}");
}

#[test]
fn the_aed_workbook_reads_its_first_sheet_not_the_template_example() {
    let Some(path) = common::shared_data("yamaguchi/ube_352021_aed.xlsx") else { return };
    let bytes = std::fs::read(path).unwrap();
    let options = SiteOptions { kind: Some(SiteKind::Other), ..Default::default() };
    let sites = import::sites(&bytes, &options).unwrap();
    assert!(sites.iter().all(|s| !s.name.contains("○○会館")), "the template's dummy row");
    assert!(sites.iter().all(|s| (131.19..131.35).contains(&s.location.x())), "all in 宇部市");
    let code = sites[0].properties.get("市区町村コード").and_then(|v| v.as_str());
    assert_eq!(code, Some("352021"), "a code typed as a number reads without .0");
    let template =
        SiteOptions { sheet: Some("01.AED設置箇所一覧_作成例".into()), ..options.clone() };
    assert_eq!(import::sites(&bytes, &template).unwrap().len(), 1, "--sheet picks the template sheet");
    let missing = SiteOptions { sheet: Some("無い".into()), ..options };
    let err = import::sites(&bytes, &missing).unwrap_err().to_string();
    assert!(err.contains("no sheet \"無い\"") && err.contains("01.AED設置箇所一覧_フォーマット"), "{err}");
}

/// Regression: a web page or an archive saved in place of the data used to be read as a
/// one-column CSV and fail on its first row.
#[test]
fn a_file_that_is_no_table_says_what_it_appears_to_be() {
    let says = |bytes: &[u8]| import::sites(bytes, &SiteOptions::default()).unwrap_err().to_string();
    assert!(says(b"<!DOCTYPE html><html><body>dataset</body></html>").contains("HTML web page"));
    assert!(says(b"%PDF-1.7 ...").contains("PDF document"));
    assert!(says(b"PK\x03\x04\x14\x00\x00\x00data.csv").contains("zip archive; unpack it"));
    assert!(says(b"PK\x03\x04\x14\x00\x00\x00town.shp").contains("Shapefile"));
}

/// A minimal .xlsx whose first sheet holds `cells` (A1-style reference, text), built by hand so
/// that a test can make workbooks no office would publish.
fn xlsx(cells: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let row_of = |r: &str| r.trim_start_matches(|c: char| c.is_ascii_alphabetic()).to_owned();
    let sheet_data: String = cells
        .iter()
        .map(|(r, v)| {
            format!(r#"<row r="{}"><c r="{r}" t="inlineStr"><is><t>{v}</t></is></c></row>"#, row_of(r))
        })
        .collect();
    let files = [
        ("[Content_Types].xml", r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned()),
        ("_rels/.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
        ("xl/workbook.xml", r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="一覧" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned()),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#)),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in files {
        zip.start_file(name, stored).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Regression: a sheet was unpacked into a grid spanning its outermost cells, so two cells a
/// million rows apart (a few hundred bytes of file) asked for a grid of a million rows; and a
/// header as wide as a sheet can be asked for billions of cells.
#[test]
fn far_apart_cells_are_not_unpacked_into_a_grid() {
    let options = SiteOptions { kind: Some(SiteKind::Other), ..Default::default() };
    let far = xlsx(&[("A1", "名称"), ("B1", "緯度"), ("C1", "経度"), ("A1048576", "x")]);
    let err = import::sites(&far, &options).unwrap_err();
    assert!(err.to_string().contains("row 1048576"), "{err}");
    let mut wide: Vec<(String, String)> = vec![("A1".into(), "名称".into()), ("XFD1".into(), "端".into())];
    wide.extend((2..=200).map(|r| (format!("A{r}"), format!("施設{r}"))));
    let wide: Vec<(&str, &str)> = wide.iter().map(|(r, v)| (r.as_str(), v.as_str())).collect();
    let err = import::sites(&xlsx(&wide), &options).unwrap_err().to_string();
    assert!(err.contains("more than 3000000 cells"), "{err}");
}

/// The sums of e-Stat's population, 65+ and 75+ cells a file shows (`*` is concealed and not
/// counted), computed from the text without the importer.
fn estat_own_sums(bytes: &[u8]) -> (u64, u64, u64) {
    let (text, _, _) = encoding_rs::SHIFT_JIS.decode(bytes);
    let header = text.lines().next().unwrap().split(',');
    let col = |code: &str| header.clone().position(|h| h == code).unwrap();
    let (total, aged65, aged75) = (col("T001101001"), col("T001101019"), col("T001101022"));
    let mut sums = (0, 0, 0);
    for line in text.lines().skip(2) {
        let cells: Vec<&str> = line.split(',').collect();
        let n = |i: usize| cells[i].parse::<u64>().unwrap_or(0);
        sums = (sums.0 + n(total), sums.1 + n(aged65), sums.2 + n(aged75));
    }
    sums
}

#[test]
fn estat_mesh_tables_import_with_the_totals_they_publish() {
    use sasaeai::import::PopulationOptions;
    // Meshes, then population, 65+ and 75+ as the yamaguchi README gives them.
    let published = [
        ("tblT001101H4930.txt", 11_945, (2_644_586, 784_382, 403_246)),
        ("tblT001101H5031.txt", 4_707, (532_512, 182_521, 96_823)),
    ];
    for (file, meshes, sums) in published {
        let Some(path) = common::shared_data(&format!("yamaguchi/{file}")) else { return };
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(estat_own_sums(&bytes), sums, "{file}: the README's figures are the file's");
        let units = import::population(&bytes, &PopulationOptions::default()).unwrap();
        assert_eq!(units.len(), meshes, "{file}: one point per mesh, the label row skipped");
        let imported = units.iter().fold((0, 0, 0), |s, u| {
            (s.0 + u64::from(u.total), s.1 + u64::from(u.aged65), s.2 + u64::from(u.aged75))
        });
        assert_eq!(imported, sums, "{file}: secrecy groups apportioned, nothing counted twice");
        let secret = units.iter().filter(|u| u.properties["HTKSYORI"] == "2").count();
        let apportioned = units.iter().filter(|u| u.properties.get("ages_apportioned").is_some()).count();
        assert!(apportioned > secret && secret > 1000, "{file}: {secret} secret, {apportioned} apportioned");
        assert!(units.iter().all(|u| u.properties.get("concealed").is_none()), "{file}: no age left unknown");
    }
}

/// Points for 上関町's eight 地区 (no gazetteer covers them): each near its village, to place rows.
fn kaminoseki_districts() -> Vec<sasaeai::import::join::JoinPlace> {
    let villages = [
        ("上関", 132.114, 33.827),
        ("蒲井", 132.053, 33.797),
        ("四代", 132.084, 33.804),
        ("白井田", 132.104, 33.787),
        ("戸津", 132.106, 33.815),
        ("室津", 132.112, 33.838),
        ("祝島", 131.975, 33.780),
        ("八島", 132.194, 33.749),
    ];
    let point = |lon, lat| geo::Point::new(lon, lat);
    villages
        .map(|(name, lon, lat)| sasaeai::import::join::JoinPlace::new(name, None, None, point(lon, lat)))
        .into()
}

#[test]
fn age_band_tables_give_65_and_75_and_the_date_they_are_for() {
    use sasaeai::import::{PopulationOptions, join};
    // File, the date to give (for the file whose 調査年月日 is stale), then what the README and the
    // file's own band columns give: rows, people, 65+, 75+, the date.
    let cases = [
        ("20200531", None, (8, 2627, 1489, 937), "2020-05-31"),
        ("20211031", None, (8, 2519, 1436, 876), "2021-10-31"),
        ("20240331", None, (8, 2238, 1314, 845), "2024-01-31"),
        ("20240331", Some("2024-03-31"), (8, 2238, 1314, 845), "2024-03-31"),
        ("20250331", None, (8, 2150, 1273, 855), "2025-03-31"),
    ];
    for (day, given, (rows, total, aged65, aged75), date) in cases {
        let file = format!("yamaguchi/kaminoseki_353418_population_{day}.csv");
        let Some(path) = common::shared_data(&file) else { return };
        let bytes = std::fs::read(&path).unwrap();
        let options = PopulationOptions { date: given.map(|d| d.parse().unwrap()), ..Default::default() };
        let (units, report) = join::population(&bytes, &options, &kaminoseki_districts(), false).unwrap();
        assert_eq!(units.len(), rows, "{file}: the padding rows are not areas");
        assert!(report.places_without_rows.is_empty());
        let sum = |f: fn(&sasaeai::model::PopulationData) -> u32| units.iter().map(f).sum::<u32>();
        assert_eq!(
            (sum(|u| u.total), sum(|u| u.aged65), sum(|u| u.aged75)),
            (total, aged65, aged75),
            "{file}"
        );
        assert!(
            units.iter().all(|u| u.properties["date"] == date && u.year == Some(date[..4].parse().unwrap()))
        );
    }
}

#[test]
fn a_workbook_with_a_total_row_and_its_date_in_the_sheet_name() {
    use sasaeai::import::{PopulationOptions, join};
    let Some(path) = common::shared_data("yamaguchi/yanai_352128_population_20230630.xlsx") else { return };
    let Some(gazetteer) = common::shared_data("yamaguchi/yanai_chome_points_geolonia.geojson") else {
        return;
    };
    let places = join::point_places(&std::fs::read(gazetteer).unwrap(), "name", None).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let (units, _) = join::population(&bytes, &PopulationOptions::default(), &places, false).unwrap();
    let names: Vec<_> = units.iter().map(|u| u.name.clone().unwrap()).collect();
    assert_eq!(
        names,
        ["柳井", "日積", "伊陸", "新庄", "余田", "伊保庄", "阿月", "平郡", "大畠"],
        "計 is no 地区"
    );
    assert_eq!(units.iter().map(|u| u.total).sum::<u32>(), 29_840, "the 計 row's figure");
    assert!(units.iter().all(|u| u.properties["date"] == "2023-06-30" && u.year == Some(2023)));
    assert!(units.iter().all(|u| u.aged75 < u.aged65 && u.aged65 < u.total), "from 85歳の男性以上 too");

    // A total row that disagrees with the rows is named, not dropped silently.
    let csv = "地域名,総人口,65-74歳,75歳以上\n柳井,100,20,10\n日積,50,10,5\n計,160,30,15\n";
    let Err(ImportError::Invalid { problems }) =
        join::population(csv.as_bytes(), &PopulationOptions::default(), &places, false)
    else {
        panic!("a wrong total row was accepted")
    };
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].message.contains("the total row says 160; the rows above sum to 150"));
}

/// A town's gazetteer of 町丁 / 大字 points.
fn gazetteer(file: &str) -> Option<std::sync::Arc<Gazetteer>> {
    let path = common::shared_data(&format!("yamaguchi/{file}"))?;
    let places = join::point_places(&std::fs::read(path).unwrap(), "name", None).unwrap();
    Some(std::sync::Arc::new(Gazetteer::new(places, Vec::new())))
}

/// Sites read with a town's gazetteer.
fn with_gazetteer(file: &str, points: &str) -> Option<Result<Vec<sasaeai::model::SiteData>, ImportError>> {
    let path = common::shared_data(&format!("yamaguchi/{file}"))?;
    let options = SiteOptions {
        kind: Some(SiteKind::Other),
        gazetteer: Some(gazetteer(points)?),
        ..Default::default()
    };
    Some(import::sites(&std::fs::read(path).unwrap(), &options))
}

#[test]
fn rows_without_coordinates_go_to_the_chome_their_address_names_marked_approximate() {
    let Some(read) = with_gazetteer("yanai_352128_hospital.csv", "yanai_chome_points_geolonia.geojson")
    else {
        return;
    };
    let sites = read.unwrap();
    let place = |name: &str| {
        let s = sites.iter().find(|s| s.name == name).unwrap();
        assert_eq!(s.properties["geocoded"], "chome", "{name}");
        s.properties["geocoded_place"].as_str().unwrap().to_owned()
    };
    assert_eq!(place("優クリニック"), "中央一丁目", "柳井市中央１丁目８番８号");
    assert_eq!(place("おりたクリニック"), "中央一丁目", "柳井市中央１－４－１７");
    assert_eq!(place("ウエルネスクリニック"), "柳井", "柳井市柳井１５４７－１, not the city's name");
    assert_eq!(place("平郡診療所"), "平郡");

    let Some(read) =
        with_gazetteer("suooshima_353051_cultural_property.csv", "suooshima_chome_points_geolonia.geojson")
    else {
        return;
    };
    let sites = read.unwrap();
    let geocoded: Vec<&str> =
        sites.iter().filter(|s| s.properties.contains_key("geocoded")).map(|s| s.name.as_str()).collect();
    assert_eq!(geocoded.len(), 5, "the 5 of 10 without coordinates: {geocoded:?}");
    let dance = sites.iter().find(|s| s.name == "久賀のなむでん踊り").unwrap();
    assert_eq!(dance.properties["geocoded_place"], "大字久賀", "山口県周防大島町大字久賀");

    let csv = "名称,住所,緯度,経度\n遠い所,柳井市どこか町1-2,,\n";
    let yanai = gazetteer("yanai_chome_points_geolonia.geojson");
    let options = SiteOptions { kind: Some(SiteKind::Other), gazetteer: yanai, ..Default::default() };
    let Err(ImportError::Invalid { problems }) = import::sites(csv.as_bytes(), &options) else {
        panic!("an address matching nothing was placed")
    };
    assert!(
        problems[0].message.contains("matches no 町丁 or 大字"),
        "unmatched rows are listed: {problems:?}"
    );
}

#[test]
fn a_kind_per_row_comes_from_the_kind_table_and_unknown_values_are_listed() {
    use sasaeai::model::kind_table::KindTable;
    // 医療機関の種類 holds 病院, 有床診療所 and 無床診療所: all 医療機関 by the built-in table.
    let Some(path) = common::shared_data("yamaguchi/yanai_352128_hospital.csv") else { return };
    let options =
        SiteOptions { gazetteer: gazetteer("yanai_chome_points_geolonia.geojson"), ..Default::default() };
    let sites = import::sites(&std::fs::read(&path).unwrap(), &options).unwrap();
    assert!(sites.len() == 35 && sites.iter().all(|s| s.kind == SiteKind::Clinic));

    let mixed = "名称,実施サービス,緯度,経度\n\
                 中央包括,地域包括支援センター;居宅介護支援,34.0,131.8\n\
                 デイ北,通所介護,34.0,131.8\n\
                 ヘルパー南,訪問介護,34.0,131.8\n\
                 まちの茶の間,まちの茶の間,34.0,131.8\n\
                 謎の施設,なんでも相談所,34.0,131.8\n";
    let Err(ImportError::Invalid { problems }) = import::sites(mixed.as_bytes(), &SiteOptions::default())
    else {
        panic!("unknown categories were guessed")
    };
    let unknown: Vec<&str> = problems.iter().map(|p| p.message.split('"').nth(1).unwrap()).collect();
    assert_eq!(unknown, ["まちの茶の間", "なんでも相談所"], "each unknown value named: {problems:#?}");
    assert!(problems[0].message.contains("--kind-table"));

    let mut table = KindTable::default();
    table
        .extend_from_csv("value,kind\nまちの茶の間,engawa\nなんでも相談所,care_center\n通所介護,other\n")
        .unwrap();
    let options = SiteOptions { kind_table: Some(std::sync::Arc::new(table)), ..Default::default() };
    let kinds: Vec<SiteKind> =
        import::sites(mixed.as_bytes(), &options).unwrap().iter().map(|s| s.kind).collect();
    use SiteKind::*;
    assert_eq!(kinds, [CareCenter, Other, CareService, Engawa, CareCenter], "the ward's lines override");
    let bad = KindTable::default().extend_from_csv("value,kind\n喫茶,coffee\n").unwrap_err();
    assert!(bad.contains("line 2") && bad.contains("coffee"), "{bad}");
}

/// `sasaeai import sites FILE --store STORE` with `extra` flags; its standard output.
fn import_sites(file: &std::path::Path, store: &std::path::Path, extra: &[&std::ffi::OsStr]) -> String {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["import".as_ref(), "sites".as_ref(), file.as_os_str(), "--store".as_ref(), store.as_os_str()];
    args.extend(extra);
    common::cli(&args, "")
}

#[test]
fn the_command_line_reads_a_kind_table_and_a_gazetteer() {
    let Some(file) = common::shared_data("yamaguchi/yanai_352128_hospital.csv") else { return };
    let Some(points) = common::shared_data("yamaguchi/yanai_chome_points_geolonia.geojson") else { return };
    let dir = tempfile::tempdir().unwrap();
    let kinds = dir.path().join("kinds.csv");
    std::fs::write(&kinds, "value,kind\n病院,care_service\n").unwrap();
    let store = dir.path().join("yanai.gpkg");
    let out = import_sites(
        &file,
        &store,
        &["--gazetteer".as_ref(), points.as_os_str(), "--kind-table".as_ref(), kinds.as_os_str()],
    );
    assert!(out.contains("imported 35 sites"), "{out}");
    let store = sasaeai::store::Store::open(&store).unwrap();
    let index = store.read();
    let hospitals = index.sites().filter(|s| s.data.kind == SiteKind::CareService).count();
    assert_eq!(hospitals, 4, "the 4 病院 by the given line, the rest 医療機関");
    assert!(index.sites().all(|s| s.data.properties["geocoded"] == "chome"));
}

#[tokio::test]
async fn a_dry_run_over_http_shows_how_the_file_is_read_and_writes_nothing() {
    use sasaeai::http::AppState;
    let (_d, store) = common::demo_store();
    let s = AppState::new(store.clone(), Some(common::TOKEN.into())).unwrap();
    let before = store.read().counts();
    // Shift_JIS, one row with latitude copied into longitude, one 75 km away, one unknown kind.
    let text = "名称,種別,緯度,経度\n\
                ひだまり,通所介護,34.6232,140.0439\n\
                みどり,地域包括支援センター,34.6413,140.0328\n\
                うみ,通いの場,34.6300,34.6300\n\
                とおく,通いの場,35.3000,140.0400\n\
                なぞ,なんでも相談所,34.6350,140.0400\n";
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    let r =
        common::send(&s, "POST", "/api/import/sites?dry_run=true", Some(common::TOKEN), sjis.into_owned())
            .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let p = &r.json()["preview"];
    assert_eq!(
        (p["format"].as_str(), p["encoding"].as_str(), p["delimiter"].as_str()),
        (Some("text"), Some("shift_jis"), Some(","))
    );
    assert_eq!(p["columns"]["kind"], "種別");
    assert_eq!(p["columns"]["lat"], "緯度");
    let counts = |k: &str| p[k].as_u64().unwrap();
    assert_eq!((counts("records"), counts("good"), counts("suspect"), counts("bad")), (5, 2, 2, 1), "{p:#}");
    assert_eq!((p["kinds"]["care_service"].as_u64(), p["kinds"]["care_center"].as_u64()), (Some(1), Some(1)));
    assert!(
        p["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["message"].as_str().unwrap().contains("なんでも相談所"))
    );
    assert_eq!(store.read().counts(), before, "a dry run writes nothing");

    let anonymous =
        common::send(&s, "POST", "/api/import/sites?dry_run=true", None, "名称,緯度,経度\n").await;
    assert_eq!(anonymous.status, 401, "only whoever may import may preview");
}

#[test]
fn a_dry_run_on_the_command_line_writes_nothing() {
    let Some(file) = common::shared_data("yamaguchi/yanai_352128_population_20230630.xlsx") else { return };
    let Some(points) = common::shared_data("yamaguchi/yanai_chome_points_geolonia.geojson") else { return };
    let (_dir, store) = common::demo_store_file();
    let args: Vec<&std::ffi::OsStr> = vec![
        "import".as_ref(),
        "population".as_ref(),
        file.as_os_str(),
        "--store".as_ref(),
        store.as_os_str(),
        "--join-points".as_ref(),
        points.as_os_str(),
        "--dry-run".as_ref(),
    ];
    let before = sasaeai::store::Store::open(&store).unwrap().read().counts();
    let out = common::cli(&args, "");
    assert!(out.contains("9 records: 9 good"), "{out}");
    assert!(out.contains("sheet \"【柳井市】11.地域・年齢別人口（令和5年6月30日時点）\""), "{out}");
    assert!(out.contains("aged65") && out.contains("65-69歳の男性 + 65-69歳の女性"), "{out}");
    assert_eq!(sasaeai::store::Store::open(&store).unwrap().read().counts(), before);
}

#[tokio::test]
async fn importing_a_source_again_changes_exactly_the_changed_rows_and_keeps_hand_edits() {
    use sasaeai::http::AppState;
    let Some(path) = common::shared_data("yamaguchi/shunan_352152_hospital.csv") else { return };
    let original = String::from_utf8(std::fs::read(path).unwrap()).unwrap();
    let (_d, store) = common::temp_store();
    let s = AppState::new(store.clone(), Some(common::TOKEN.into())).unwrap();
    let import = |body: String| {
        let s = s.clone();
        async move {
            let uri = "/api/import/sites?kind=clinic&origin=shunan_hospital";
            let r = common::send(&s, "POST", uri, Some(common::TOKEN), body).await;
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
            r.json()["sync"].clone()
        }
    };
    let sync = import(original.clone()).await;
    assert_eq!((sync["added"].as_u64(), sync["unchanged"].as_u64()), (Some(12), Some(0)));
    let ids = |store: &sasaeai::store::Store| {
        let mut v: Vec<i64> = store.read().sites().map(|s| s.id.0).collect();
        v.sort();
        v
    };
    let first_ids = ids(&store);

    let sync = import(original.clone()).await;
    assert_eq!((sync["added"].as_u64(), sync["unchanged"].as_u64()), (Some(0), Some(12)), "{sync}");
    assert_eq!(ids(&store), first_ids, "the same file twice leaves the same sites");

    // One phone number changed, one row gone, one row new.
    let lines: Vec<&str> = original.split_inclusive("\r\n").collect();
    let changed = lines[2].replacen("(0834)", "(0834)9", 1);
    assert_ne!(changed, lines[2]);
    let added = lines[4].replace("HOCHIIKI", "NEW").replacen(",", ",新", 4);
    let edited: String = [lines[0], lines[1], &changed]
        .into_iter()
        .chain(lines[4..].iter().copied())
        .chain([added.as_str()])
        .collect();
    let sync = import(edited.clone()).await;
    let counts = ["added", "changed", "unchanged", "removed"].map(|k| sync[k].as_u64().unwrap());
    assert_eq!(counts, [1, 1, 10, 1], "{sync}");
    assert_eq!(store.read().sites().count(), 12);

    // A site edited by hand is kept as edited by the next import of its source, and said so.
    let site = store
        .read()
        .sites()
        .find(|x| x.data.properties["ID"] == lines[1].split(',').nth(1).unwrap())
        .unwrap()
        .clone();
    let feature = serde_json::json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [site.data.location.x(), site.data.location.y()] },
        "properties": { "name": "手で直した名前", "kind": "clinic" }
    });
    let r = common::send(
        &s,
        "PUT",
        &format!("/api/sites/{}", site.id.0),
        Some(common::TOKEN),
        feature.to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sync = import(original).await;
    assert_eq!(sync["kept_edits"], serde_json::json!(["手で直した名前"]), "{sync}");
    assert_eq!(store.read().site(site.id).unwrap().data.name, "手で直した名前");
    assert_eq!(store.read().sites().count(), 12, "the new row removed, the removed one back");
}

#[test]
fn skip_invalid_imports_the_good_rows_and_writes_the_others_with_their_reason() {
    let Some(original) = common::shared_data("yamaguchi/suooshima_353051_cultural_property.csv") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cultural.csv");
    std::fs::copy(&original, &file).unwrap();
    let store = dir.path().join("town.gpkg");
    let out = import_sites(&file, &store, &["--kind".as_ref(), "other".as_ref(), "--skip-invalid".as_ref()]);
    assert!(out.contains("imported 5 sites"), "{out}");
    let rejected = std::fs::read_to_string(dir.path().join("cultural.rejected.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(rejected.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!((&headers[0], &headers[1]), ("場所 (place)", "理由 (reason)"));
    assert!(headers.iter().any(|h| h == "名称"), "the row's own columns follow: {headers:?}");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5, "the 5 rows without coordinates");
    assert!(rows.iter().all(|r| r[1].contains("latitude or longitude is missing")), "{rows:?}");
    assert!(rows.iter().any(|r| r.iter().any(|c| c == "久賀のなむでん踊り")));
    assert_eq!(sasaeai::store::Store::open(&store).unwrap().read().sites().count(), 5);
}

/// A gazetteer file's points with their names.
fn named_points(path: &std::path::Path) -> Vec<(String, geo::Point<f64>)> {
    let places = join::point_places(&std::fs::read(path).unwrap(), "name", None).unwrap();
    places.into_iter().map(|p| (p.label, p.location)).collect()
}

#[test]
fn school_districts_become_spheres_from_chome_cells_and_partial_items_are_left_to_a_person() {
    use sasaeai::import::districts;
    use sasaeai::model::AreaLevel;
    let Some(list) = common::shared_data("yamaguchi/hikari_352101_school_district.csv") else { return };
    let Some(points) = common::shared_data("yamaguchi/hikari_chome_points_geolonia.geojson") else { return };
    let gazetteer = named_points(&points);
    let cells = districts::cells_from_points(&gazetteer, None);
    assert_eq!(cells.len(), 108, "one cell per 町丁 point");
    use geo::Contains;
    for ((name, p), cell) in gazetteer.iter().zip(&cells) {
        assert!(cell.geometry.contains(p), "{name}'s cell holds its point");
    }

    let bytes = std::fs::read(&list).unwrap();
    let (spheres, report) = districts::areas(&bytes, AreaLevel::Sphere, &cells).unwrap();
    let names: Vec<&str> = spheres.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["室積中学校", "光井中学校", "島田中学校", "浅江中学校", "大和中学校"],
        "one per 中学校"
    );
    assert!(spheres.iter().all(|a| a.properties["approximate"] == true));
    let settle = report.to_settle.join("\n");
    for partial in [
        "大字島田1601番地以上",
        "大字室積村(鮎帰及び新宮を除く。)",
        "大字立野の一部(山田・高野)",
        "大字光井・大字室積村のうち鮎帰・新宮",
    ] {
        assert!(settle.contains(partial), "{partial} is left to a person: {settle}");
    }
    // 島田中学校 is the union of four 小学校区: it holds their 町丁 points.
    let shimada = &spheres[2];
    let point = |n: &str| gazetteer.iter().find(|(name, _)| name == n).unwrap().1;
    for chome in ["島田一丁目", "上島田九丁目", "三井八丁目", "大字小周防"] {
        assert!(shimada.geometry.contains(&point(chome)), "{chome} in 島田中学校区");
    }
    assert!(!shimada.geometry.contains(&point("室積一丁目")));
    let (schools, _) = districts::areas(&bytes, AreaLevel::District, &cells).unwrap();
    assert_eq!(schools.len(), 11, "小学校区 for the district level");
    assert!(report.unmatched.is_empty(), "{:?}", report.unmatched);

    // 柳井市 lists 自治会, not 町丁: a 中学校区 none of whose names is a 町丁 says so, naming them.
    let Some(yanai) = common::shared_data("yamaguchi/yanai_352128_school_district.csv") else { return };
    let Some(points) = common::shared_data("yamaguchi/yanai_chome_points_geolonia.geojson") else { return };
    let yanai_points = named_points(&points);
    let cells = districts::cells_from_points(&yanai_points, None);
    let Err(ImportError::Invalid { problems }) =
        districts::areas(&std::fs::read(yanai).unwrap(), AreaLevel::Sphere, &cells)
    else {
        panic!("自治会 names were taken for 町丁")
    };
    assert!(
        problems.iter().any(|p| p.message.contains("柳井西中学校: none of its 町丁 is known")
            && p.message.contains("宮の下東")),
        "{problems:#?}"
    );
}

#[tokio::test]
async fn a_school_district_list_over_http_dissolves_the_stores_chome() {
    use sasaeai::http::AppState;
    let (_d, store) = common::demo_store();
    let s = AppState::new(store.clone(), Some(common::TOKEN.into())).unwrap();
    let list = "学校名称,通学区域の住所,特記事項\n港中学校,港一丁目;港２丁目;港三丁目の一部;みなと新町,\n";
    let uri = "/api/import/areas?level=sphere&from_chome_list=true";
    let areas_before = store.read().areas().count();
    let preview = common::send(&s, "POST", &format!("{uri}&dry_run=true"), Some(common::TOKEN), list).await;
    assert_eq!(preview.status, 200, "{}", String::from_utf8_lossy(&preview.body));
    let p = preview.json()["preview"].clone();
    assert_eq!(
        (p["format"].as_str(), p["records"].as_u64(), p["good"].as_u64()),
        (Some("text"), Some(1), Some(1))
    );
    assert_eq!(p["list"]["unmatched"], serde_json::json!(["港中学校: みなと新町"]), "the list's own report");
    assert_eq!(store.read().areas().count(), areas_before, "a preview writes nothing");
    let r = common::send(&s, "POST", uri, Some(common::TOKEN), list).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(j["list"]["to_settle"], serde_json::json!(["港中学校: 港三丁目の一部"]));
    assert_eq!(j["list"]["unmatched"], serde_json::json!(["港中学校: みなと新町"]));
    let id = sasaeai::model::AreaId(j["ids"][0].as_i64().unwrap());
    let index = store.read();
    let sphere = index.area(id).unwrap();
    use geo::{Area, Contains, InteriorPoint};
    let chome = |n: &str| index.areas().find(|a| a.name == n).unwrap().clone();
    let (one, two) = (chome("港一丁目"), chome("港二丁目"));
    assert!(sphere.geometry.contains(&one.geometry.interior_point().unwrap()));
    assert!(sphere.geometry.contains(&two.geometry.interior_point().unwrap()));
    let expected = one.geometry.unsigned_area() + two.geometry.unsigned_area();
    assert!((sphere.geometry.unsigned_area() - expected).abs() < expected * 1e-6, "the union of the two");
    assert_eq!(sphere.properties.get("approximate"), None, "surveyed 町丁, not cells");
}

#[test]
fn population_rows_named_with_a_branch_prefix_or_two_places_together_find_their_places() {
    use sasaeai::import::PopulationOptions;
    let Some(points) = common::shared_data("yamaguchi/yanai_chome_points_geolonia.geojson") else { return };
    let places = join::point_places(&std::fs::read(points).unwrap(), "name", None).unwrap();
    let at = |name: &str| places.iter().find(|p| p.label == name).unwrap().location;
    let csv = "地域名,総数,65歳以上,75歳以上\n本庁_柳井,1000,400,200\n日積・伊陸,800,420,230\n";
    let (units, _) = join::population(csv.as_bytes(), &PopulationOptions::default(), &places, false).unwrap();
    assert_eq!(units[0].location, at("柳井"), "本庁_ is a 支所 prefix");
    let (a, b) = (at("日積"), at("伊陸"));
    let middle = geo::Point::new((a.x() + b.x()) / 2.0, (a.y() + b.y()) / 2.0);
    assert!(
        (units[1].location.x() - middle.x()).abs() < 1e-12
            && (units[1].location.y() - middle.y()).abs() < 1e-12
    );
    assert_eq!(units[1].properties["joined_places"], "日積・伊陸");
}

/// Regression: the city's extent was its places and its areas' outline vertices only, so a site in
/// the middle of a large city with no 町丁 loaded (more than 10 km from any vertex) was refused as
/// suspect.
#[test]
fn a_site_deep_inside_a_large_city_is_not_suspect() {
    use geo::wkt;
    // A city about 40 km across, known only by its boundary.
    let city =
        geo::MultiPolygon(vec![wkt!(POLYGON((131.6 33.9,132.0 33.9,132.0 34.3,131.6 34.3,131.6 33.9)))]);
    let gazetteer = Some(std::sync::Arc::new(Gazetteer::new(Vec::new(), vec![city])));
    let options = SiteOptions { kind: Some(SiteKind::Other), gazetteer, ..Default::default() };
    let csv = "名称,緯度,経度\n真ん中,34.10,131.80\n";
    assert_eq!(import::sites(csv.as_bytes(), &options).unwrap().len(), 1);
    let far = "名称,緯度,経度\n遠く,34.70,131.80\n";
    let err = import::sites(far.as_bytes(), &options).unwrap_err().to_string();
    assert!(err.contains("suspect coordinates: 44.5 km"), "{err}");

    // An address of a thousand 町 costs no more than a short one: names are at most so long.
    let places = vec![join::JoinPlace::new("中央一丁目", None, None, geo::Point::new(131.8, 34.1))];
    let gazetteer = Gazetteer::new(places, Vec::new());
    assert!(gazetteer.locate(&"町".repeat(1000)).is_err());
    assert_eq!(gazetteer.locate("周南市中央1-2").unwrap().place, "中央一丁目");
}
