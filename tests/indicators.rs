//! Statistics per area and year on the 地区カルテ: import (wide and long, all or nothing, a year
//! again replaces it), roll-ups to the ward and the city (a rate from its counts, never a mean of
//! rates), who sees which figure, and the page showing the API's numbers.

mod common;

use common::TOKEN;
use sasaeai::http::AppState;
use sasaeai::model::{Area, AreaLevel};
use serde_json::Value;
use std::sync::Arc;

fn town() -> (tempfile::TempDir, AppState) {
    let (dir, store) = common::demo_store();
    (dir, AppState::new(store, Some(TOKEN.into())).unwrap())
}

fn districts(s: &AppState) -> Vec<Arc<Area>> {
    s.app.store.read().areas_in(Some(AreaLevel::District), None)
}

/// A wide table of `columns` for every district, the figures given by `figure(district number, column number)`.
fn wide(s: &AppState, columns: &[&str], figure: impl Fn(usize, usize) -> String) -> String {
    let mut csv = format!("コード,{}\n", columns.join(","));
    for (i, d) in districts(s).iter().enumerate() {
        let cells: Vec<String> = (0..columns.len()).map(|c| figure(i, c)).collect();
        csv.push_str(&format!("{},{}\n", d.code.as_deref().unwrap(), cells.join(",")));
    }
    csv
}

async fn import(s: &AppState, query: &str, csv: String) -> Value {
    let r = common::send(s, "POST", &format!("/api/import/indicators?{query}"), Some(TOKEN), csv).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

async fn karte(s: &AppState, id: i64, token: Option<&str>, query: &str) -> Value {
    let r = common::send(s, "GET", &format!("/api/karte/{}?{query}", id), token, "").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn line<'a>(k: &'a Value, id: &str) -> Option<&'a Value> {
    k["indicators"].as_array().unwrap().iter().find(|l| l["id"] == id)
}

#[tokio::test]
async fn a_wards_rate_is_its_districts_numerators_over_their_denominators_not_their_mean() {
    let (_d, s) = town();
    let figure = |i: usize, c: usize| if c == 0 { 100 + 37 * i } else { 5 + 11 * i * i % 40 }.to_string();
    let reply = import(&s, "year=2024", wide(&s, &["65歳以上人口", "要介護・要支援認定者数"], figure)).await;
    let n = districts(&s).len();
    assert_eq!(reply["imported"], 2 * n);
    assert_eq!(reply["indicators"]["years"], serde_json::json!([2024]));

    let index = s.app.store.read();
    let district = districts(&s)[0].clone();
    let ward = index.ancestors(&district).into_iter().find(|a| a.level == AreaLevel::Ward).unwrap();
    // Independently: the ward's districts by their ancestry, their counts summed.
    let (mut num, mut den, mut rates) = (0.0, 0.0, Vec::new());
    for (i, d) in districts(&s).iter().enumerate() {
        if index.ancestors(d).iter().any(|a| a.id == ward.id) {
            let (p, c): (f64, f64) = (figure(i, 0).parse().unwrap(), figure(i, 1).parse().unwrap());
            num += c;
            den += p;
            rates.push(c / p * 100.0);
        }
    }
    let expected = num / den * 100.0;
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    assert!((expected - mean).abs() > 0.5, "the figures tell a mean from a ratio ({expected} vs {mean})");

    let k = karte(&s, district.id.0, None, "").await;
    assert_eq!(k["indicators_year"], 2024);
    let rate = line(&k, "care_certification_rate").expect("the rate is computed from its counts");
    assert!((rate["ward"].as_f64().unwrap() - expected).abs() < 0.051, "{rate} vs {expected}");
    let own = figure(0, 1).parse::<f64>().unwrap() / figure(0, 0).parse::<f64>().unwrap() * 100.0;
    assert!((rate["value"].as_f64().unwrap() - own).abs() < 0.051);
    let count = line(&k, "care_certified").unwrap();
    assert_eq!(count["ward"].as_f64().unwrap(), num, "a count sums");
    let city_den: f64 = (0..n).map(|i| figure(i, 0).parse::<f64>().unwrap()).sum();
    assert_eq!(line(&k, "population_65").unwrap()["city"].as_f64().unwrap(), city_den);
}

#[tokio::test]
async fn staff_only_figures_and_small_counts_stay_with_staff() {
    let (_d, s) = town();
    let figure = |i: usize, c: usize| match (i, c) {
        (0, 0) => "2".to_owned(), // a public count small enough to point at someone
        (_, 0) => (50 + i).to_string(),
        (_, _) => (i % 3 + 1).to_string(),
    };
    import(&s, "year=2024", wide(&s, &["65歳以上人口", "高齢者虐待事例件数"], figure)).await;
    let id = districts(&s)[0].id.0;

    let public = karte(&s, id, None, "").await;
    assert_eq!(public["staff_view"], false);
    assert!(line(&public, "elder_abuse_cases").is_none(), "a staff-only indicator is not public");
    assert_eq!(line(&public, "population_65").unwrap()["value"], "<3");

    let r = common::send(&s, "GET", &format!("/api/karte/{id}"), Some(TOKEN), "").await;
    let cache = r.headers.get("cache-control").and_then(|v| v.to_str().ok());
    assert_eq!(cache, Some("private, no-store"), "a shared cache must not hand the staff's view to others");
    let staff = karte(&s, id, Some(TOKEN), "").await;
    assert_eq!(staff["staff_view"], true);
    assert_eq!(line(&staff, "elder_abuse_cases").unwrap()["value"], 1);
    assert_eq!(line(&staff, "elder_abuse_cases").unwrap()["visibility"], "staff");
    assert_eq!(line(&staff, "population_65").unwrap()["value"], 2, "staff see the exact count");

    let page = common::send(&s, "GET", &format!("/karte/{id}"), None, "").await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains(r#"data-indicator="population_65""#) && html.contains("&lt;3"), "{html}");
    assert!(!html.contains("elder_abuse_cases") && !html.contains("高齢者虐待"), "the public page hides it");
    let page = common::send(&s, "GET", &format!("/karte/{id}"), Some(TOKEN), "").await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("地域情報シート") && html.contains("高齢者虐待事例件数"));
}

#[tokio::test]
async fn a_year_imported_again_replaces_it_and_years_stay_apart() {
    let (_d, s) = town();
    let n = districts(&s).len();
    import(&s, "year=2023", wide(&s, &["population_65"], |i, _| (100 + i).to_string())).await;
    import(&s, "year=2024", wide(&s, &["population_65"], |i, _| (200 + i).to_string())).await;
    let again = import(&s, "year=2024", wide(&s, &["population_65"], |i, _| (300 + i).to_string())).await;
    assert_eq!(again["indicators"]["replaced"], n, "the year's figures are replaced, not added");
    let id = districts(&s)[1].id.0;
    let k = karte(&s, id, None, "").await;
    let l = line(&k, "population_65").unwrap();
    assert_eq!(l["value"], 301);
    assert_eq!(l["history"], serde_json::json!([[2023, 101], [2024, 301]]));
    let k = karte(&s, id, None, "year=2023").await;
    assert_eq!(line(&k, "population_65").unwrap()["value"], 101, "each year on its own");
    let k = karte(&s, id, None, "year=2019").await;
    assert_eq!((k["indicators_year"].as_i64(), k["indicators"].as_array().unwrap().len()), (Some(2019), 0));
    assert_eq!(k["population_year"], 2026, "the nearest population held, and it says which");
}

#[tokio::test]
async fn a_long_table_with_an_unknown_area_imports_nothing_and_names_the_row() {
    let (_d, s) = town();
    let d = &districts(&s)[0];
    let csv =
        format!("地区名,指標,年度,値\n{},出生数,令和6年度,12\nどこにもない地区,出生数,令和6年度,3\n", d.name);
    let r = common::send(&s, "POST", "/api/import/indicators", Some(TOKEN), csv.clone()).await;
    let p = r.assert_problem(422, "no area");
    assert_eq!(p["errors"][0]["place"], "line 3", "{p}");
    assert!(line(&karte(&s, d.id.0, Some(TOKEN), "year=2024").await, "births").is_none(), "nothing stored");
    let r = common::send(&s, "POST", "/api/import/indicators", None, csv).await;
    assert_eq!(r.status, 401, "importing statistics is for staff");

    let ok = format!("地区名,指標,年度,値\n{},出生数,令和6年度,12\n", d.name);
    import(&s, "", ok).await;
    assert_eq!(line(&karte(&s, d.id.0, None, "").await, "births").unwrap()["year"], 2024);
}

#[test]
fn the_command_line_imports_a_table_and_says_what_it_replaced() {
    let (dir, store) = common::demo_store_file();
    let index = sasaeai::store::Store::open(&store).unwrap().read().areas_in(Some(AreaLevel::District), None);
    let mut csv = String::from("地区名,総人口,世帯数\n");
    for d in &index {
        csv.push_str(&format!("{},1000,450\n", d.name));
    }
    let file = dir.path().join("統計.csv");
    std::fs::write(&file, csv).unwrap();
    let args =
        ["import".as_ref(), "indicators".as_ref(), file.as_os_str(), "--year".as_ref(), "2024".as_ref()];
    let args: Vec<&std::ffi::OsStr> =
        args.into_iter().chain(["--store".as_ref(), store.as_os_str()]).collect();
    let out = common::cli(&args, "");
    assert!(
        out.contains(&format!(
            "imported {} figures of 2 indicators for {} areas, years 2024",
            2 * index.len(),
            index.len()
        )),
        "{out}"
    );
    let out = common::cli(&args, "");
    assert!(out.contains(&format!("({} figures of those years replaced)", 2 * index.len())), "{out}");

    // The ward's own indicator, named in a catalogue file of its own: refused without it.
    let own = dir.path().join("サロン数.csv");
    std::fs::write(&own, format!("地区名,サロン数\n{},4\n", index[0].name)).unwrap();
    let catalogue = dir.path().join("指標.csv");
    std::fs::write(
        &catalogue,
        "id,name,field,unit,numerator,denominator,scale,visibility,source\nsalons,サロン数,elderly,か所,,,,public,市の独自調査\n",
    )
    .unwrap();
    let base: Vec<&std::ffi::OsStr> =
        ["import".as_ref(), "indicators".as_ref(), own.as_os_str(), "--year".as_ref(), "2024".as_ref()]
            .into_iter()
            .chain(["--store".as_ref(), store.as_os_str()])
            .collect();
    let refused = common::cli_status(&base);
    assert!(!refused.0 && refused.1.contains("サロン数"), "{}", refused.1);
    let with: Vec<&std::ffi::OsStr> =
        base.iter().copied().chain(["--catalogue".as_ref(), catalogue.as_os_str()]).collect();
    assert!(common::cli(&with, "").contains("imported 1 figures of 1 indicators"));
}

#[tokio::test]
async fn the_sheet_keeps_staff_notes_and_issues_measured_by_their_indicator() {
    let (_d, s) = town();
    let id = districts(&s)[0].id.0;
    import(&s, "year=2024", wide(&s, &["population_65"], |i, _| (400 + i).to_string())).await;
    let post = |path: &str, body: Value| {
        let (s, path) = (s.clone(), path.to_owned());
        async move {
            let headers =
                [("authorization", format!("Bearer {TOKEN}")), ("content-type", "application/json".into())];
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            common::request(&s, "POST", &path, &headers, body.to_string()).await
        }
    };
    let note =
        serde_json::json!({ "field": "elderly", "kind": "voice", "text": "坂が多くて集会所に行きにくい" });
    let r = post(&format!("/api/karte/{id}/notes"), note).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let note_id = r.json()["id"].as_i64().unwrap();
    let issue = serde_json::json!({ "title": "通いの場を増やす", "field": "elderly", "priority": 1,
        "indicator": "population_65", "targets": [{ "year": 2024, "target": 450 }, { "year": 2025, "target": 460, "measured": 455 }] });
    let r = post(&format!("/api/karte/{id}/issues"), issue).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let targets = r.json()["targets"].clone();
    assert_eq!(targets[0]["measured"], 400.0, "measured from the indicator: {targets}");
    assert_eq!(targets[1]["measured"], 455.0, "as entered");

    let bad = serde_json::json!({ "field": "weather", "kind": "voice", "text": "x" });
    post(&format!("/api/karte/{id}/notes"), bad).await.assert_problem(422, "indicator field");
    let bad = serde_json::json!({ "title": "x", "field": "health", "priority": 9 });
    post(&format!("/api/karte/{id}/issues"), bad).await.assert_problem(422, "priority");

    let r = common::send(&s, "GET", &format!("/api/karte/{id}/sheet"), None, "").await;
    assert_eq!(r.status, 401, "the sheet is for staff");
    assert!(karte(&s, id, None, "").await.get("sheet").is_none());
    let public = common::send(&s, "GET", &format!("/karte/{id}"), None, "").await;
    assert!(!String::from_utf8_lossy(&public.body).contains("坂が多くて"));
    let staff = karte(&s, id, Some(TOKEN), "").await;
    assert_eq!(staff["sheet"]["notes"][0]["text"], "坂が多くて集会所に行きにくい");
    let page = common::send(&s, "GET", &format!("/karte/{id}"), Some(TOKEN), "").await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("坂が多くて集会所に行きにくい") && html.contains("通いの場を増やす"), "{html}");
    assert!(html.contains("2024年 目標 450 / 実績 400"), "the page's 振り返り equals the API's");
    assert!(html.contains("（2024年）"), "a year is not written as a quantity (2,024)");

    let r = common::send(&s, "DELETE", &format!("/api/karte/{id}/notes/{note_id}"), Some(TOKEN), "").await;
    assert_eq!(r.status, 204);
    assert!(karte(&s, id, Some(TOKEN), "").await["sheet"]["notes"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn one_table_of_every_areas_indicators_equals_their_kartes() {
    let (_d, s) = town();
    let figure =
        |i: usize, c: usize| if (i, c) == (0, 0) { "1".to_owned() } else { (10 + i + c).to_string() };
    import(&s, "year=2024", wide(&s, &["65歳以上人口", "高齢者虐待事例件数"], figure)).await;
    let public = common::send(&s, "GET", "/api/indicators?level=district", None, "").await;
    assert_eq!(public.headers["cache-control"], "private, no-store");
    let table = public.json();
    assert_eq!((table["year"].as_i64(), table["staff_view"].as_bool()), (Some(2024), Some(false)));
    let ids: Vec<&str> =
        table["indicators"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["population_65"], "the staff-only indicator is not in the public table");
    for row in table["rows"].as_array().unwrap().iter().take(4) {
        let k = karte(&s, row["area_id"].as_i64().unwrap(), None, "").await;
        assert_eq!(row["values"]["population_65"], line(&k, "population_65").unwrap()["value"], "{row}");
    }
    let csv = common::send(&s, "GET", "/api/indicators?level=district&format=csv", None, "").await;
    let text = String::from_utf8(csv.body).unwrap();
    assert!(text.starts_with("\u{feff}地域ID,名称,コード,65歳以上人口（人）\r\n"), "{text}");
    assert!(text.contains(",<3\r\n"), "a count of 1 is withheld: {text}");
    let staff = common::send(&s, "GET", "/api/indicators?level=district&format=csv", Some(TOKEN), "").await;
    let text = String::from_utf8(staff.body).unwrap();
    assert!(text.contains("高齢者虐待事例件数（件）") && text.contains(",1,11\r\n"), "{text}");
    common::send(&s, "GET", "/api/indicators?format=xml", None, "").await.assert_problem(400, "format");

    // The workbook, read back by an independent reader: the JSON's figures, numbers as numbers.
    let xlsx = common::send(&s, "GET", "/api/indicators?level=district&format=xlsx", None, "").await;
    assert_eq!(xlsx.status, 200);
    assert!(
        xlsx.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("sasaeai-indicators-district-2024.xlsx")
    );
    use calamine::{Data, Reader};
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.body)).unwrap();
    let sheet = book.worksheet_range("指標").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows[1][3], Data::String("65歳以上人口（人）".into()));
    assert_eq!(rows.len() - 2, table["rows"].as_array().unwrap().len(), "one row per area");
    for (row, json) in rows[2..].iter().zip(table["rows"].as_array().unwrap()) {
        assert_eq!(row[1], Data::String(json["name"].as_str().unwrap().into()));
        let value = &json["values"]["population_65"];
        match &row[3] {
            Data::Float(v) => assert_eq!(Some(*v), value.as_f64(), "{json}"),
            Data::String(t) => assert_eq!(Some(t.as_str()), value.as_str(), "{json}"),
            other => panic!("{other:?} for {json}"),
        }
    }
    let about = book.worksheet_range("指標の説明").unwrap();
    assert!(
        about.rows().all(|r| r.iter().all(|c| *c != Data::String("高齢者虐待事例件数".into()))),
        "public workbook"
    );
}

/// Sums of `figure` over `units` of `year` inside `area`, counted here without the index.
fn recount(
    s: &AppState,
    area: &Area,
    year: i32,
    figure: impl Fn(&sasaeai::model::PopulationData) -> u32,
) -> f64 {
    use geo::Contains;
    let index = s.app.store.read();
    index
        .population()
        .filter(|u| u.data.year == Some(year) && area.geometry.contains(&u.data.location))
        .map(|u| f64::from(figure(&u.data)))
        .sum()
}

#[tokio::test]
async fn participants_per_site_give_each_areas_participation_rate_over_its_65_plus() {
    use geo::Contains;
    let (_d, s) = town();
    let year = s.app.store.read().latest_population_year().unwrap();
    let kayoi: Vec<_> = {
        let index = s.app.store.read();
        let all: Vec<_> =
            index.sites().filter(|x| x.data.kind == sasaeai::model::SiteKind::Kayoinoba).cloned().collect();
        let unique = |name: &str| index.sites().filter(|x| x.data.name == name).count() == 1;
        all.into_iter().filter(|x| unique(&x.data.name)).take(3).collect()
    };
    assert_eq!(kayoi.len(), 3, "the demo town has 通いの場 to count");
    let counts = [12_u64, 30, 7];
    // One by its id, two by name (the last count in 全角, as typed in Excel), in a wide list by year.
    let csv = format!(
        "site_id,名称,{year}年度\n{},,{}\n,{},{}\n,{},７\n",
        kayoi[0].id.0, counts[0], kayoi[1].data.name, counts[1], kayoi[2].data.name
    );
    let r = common::send(&s, "POST", "/api/import/participants", Some(TOKEN), csv).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["participants"]["sites"], 3);

    for district in districts(&s) {
        let participants: u64 = kayoi
            .iter()
            .zip(counts)
            .filter(|(site, _)| district.geometry.contains(&site.data.location))
            .map(|(_, n)| n)
            .sum();
        let aged65 = recount(&s, &district, year, |d| d.aged65);
        let k = karte(&s, district.id.0, Some(TOKEN), "").await;
        assert_eq!(k["indicators_year"], year, "before any statistics are imported, the population's year");
        assert_eq!(line(&k, "population_65").unwrap()["value"].as_f64(), Some(aged65), "{}", district.name);
        assert_eq!(
            k["comparison"][0]["aged65"].as_f64(),
            Some(aged65),
            "the indicator is the karte's own count"
        );
        assert_eq!(line(&k, "kayoinoba_participants").unwrap()["value"].as_u64(), Some(participants));
        if aged65 > 0.0 {
            let rate = line(&k, "kayoinoba_rate").unwrap()["value"].as_f64().unwrap();
            assert!((rate - participants as f64 / aged65 * 100.0).abs() < 0.051, "{} {rate}", district.name);
        }
    }

    // Again for the year, one venue fewer: the year is replaced, not added to.
    let again = format!("名称,年度,参加者数\n{},令和{}年度,5\n", kayoi[1].data.name, year - 2018);
    let r = common::send(&s, "POST", "/api/import/participants", Some(TOKEN), again).await;
    assert_eq!(r.json()["participants"]["replaced"], 3);
    let city_total = |k: &Value| line(k, "kayoinoba_participants").unwrap()["city"].as_u64();
    assert_eq!(city_total(&karte(&s, districts(&s)[0].id.0, None, "").await), Some(5));

    let wrong = "名称,参加者数\nどこにもない会,3\n";
    let r =
        common::send(&s, "POST", &format!("/api/import/participants?year={year}"), Some(TOKEN), wrong).await;
    r.assert_problem(422, "どこにもない会");
    let r =
        common::send(&s, "POST", "/api/import/participants?year=2024", None, "名称,参加者数\nA,1\n").await;
    assert_eq!(r.status, 401, "importing is for staff");
}
