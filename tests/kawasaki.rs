//! Imports of the real Kawasaki files: the 7 ward polygons (国土数値情報 N03) and 391 nurseries.

mod common;

use common::shared_data;
use geo::{BooleanOps, MultiPolygon};
use sasaeai::import::{self, AreaOptions, SiteOptions};
use sasaeai::model::{AreaLevel, ParentRef, SiteKind};

fn wards() -> Option<Vec<sasaeai::model::AreaData>> {
    let bytes = std::fs::read(shared_data("kawasaki/wards.geojson")?).unwrap();
    Some(import::areas(&bytes, &AreaOptions { level: Some(AreaLevel::Ward), ..Default::default() }).unwrap())
}

/// 川崎市 as one area: the union of its wards.
fn city_from(wards: &[sasaeai::model::AreaData]) -> sasaeai::model::AreaData {
    let union = wards.iter().fold(MultiPolygon::<f64>::new(vec![]), |acc, w| acc.union(&w.geometry));
    sasaeai::model::AreaData {
        name: "川崎市".into(),
        level: AreaLevel::City,
        code: Some("14130".into()),
        parent: ParentRef::Derive,
        geometry: union,
        properties: Default::default(),
    }
}

#[test]
fn wards_import_with_names_and_codes() {
    let Some(wards) = wards() else { return };
    let (_dir, store) = common::temp_store();
    let written = store.import_areas(wards).unwrap();
    assert_eq!(written.ids.len(), 7);
    let index = store.read();
    let mut got: Vec<(String, String)> =
        index.areas().map(|a| (a.code.clone().unwrap(), a.name.clone())).collect();
    got.sort();
    let expected = [
        ("14131", "川崎区"),
        ("14132", "幸区"),
        ("14133", "中原区"),
        ("14134", "高津区"),
        ("14135", "多摩区"),
        ("14136", "宮前区"),
        ("14137", "麻生区"),
    ];
    assert_eq!(got, expected.map(|(c, n)| (c.to_owned(), n.to_owned())));
    let kawasaku = index.areas().find(|a| a.name == "川崎区").unwrap();
    assert_eq!(kawasaku.geometry.0.len(), 8, "川崎区 keeps its 8 parts");
    let tama = index.areas().find(|a| a.name == "多摩区").unwrap();
    assert_eq!(tama.geometry.0[0].interiors().len(), 1, "多摩区 keeps its hole");
    assert_eq!(kawasaku.properties["city"], "川崎市", "free properties kept");
    assert!(index.areas().all(|a| a.parent.is_none()), "no city yet, so no parent");
}

#[test]
fn wards_nest_under_the_city_whichever_is_imported_first() {
    let Some(wards) = wards() else { return };
    let city = city_from(&wards);

    let (_dir, store) = common::temp_store();
    let city_id = store.import_areas([city.clone()]).unwrap().ids[0];
    store.import_areas(wards.clone()).unwrap();
    let index = store.read();
    assert!(index.areas_in(Some(AreaLevel::Ward), None).iter().all(|w| w.parent == Some(city_id)));
    assert_eq!(index.children(city_id).len(), 7);
    drop(index);

    let (_dir2, store2) = common::temp_store();
    store2.import_areas(wards).unwrap();
    let result = store2.import_areas([city]).unwrap();
    assert_eq!(result.reparented, 7, "all wards re-nested under the new city");
    let city_id = result.ids[0];
    assert!(store2.read().areas_in(Some(AreaLevel::Ward), None).iter().all(|w| w.parent == Some(city_id)));
}

#[test]
fn nurseries_import_as_sites() {
    let Some(path) = shared_data("kawasaki/nurseries.geojson") else { return };
    let bytes = std::fs::read(path).unwrap();
    let sites = import::sites(&bytes, &SiteOptions { kind: Some(SiteKind::Childcare), ..Default::default() })
        .unwrap();
    assert_eq!(sites.len(), 391);
    let (_dir, store) = common::temp_store();
    let ids = store.insert_sites(sites).unwrap();
    assert_eq!(ids.len(), 391);
    let index = store.read();
    assert_eq!(index.sites().count(), 391);
    let pairs =
        ["平間保育園", "平間乳児保育園"].map(|n| index.sites().find(|s| s.data.name == n).unwrap().clone());
    assert_eq!(pairs[0].data.location, pairs[1].data.location, "the two nurseries in one building");
    let s = &pairs[0].data;
    assert_eq!(s.kind, SiteKind::Childcare);
    assert!(s.address.as_deref().is_some_and(|a| !a.is_empty()), "address read from the address property");
    assert!(s.properties.contains_key("phone") && s.properties.contains_key("listed_ward"));
}

#[test]
fn nurseries_fall_in_their_listed_ward_as_the_data_readme_says() {
    let (Some(wards), Some(path)) = (wards(), shared_data("kawasaki/nurseries.geojson")) else { return };
    let (_dir, store) = common::temp_store();
    store.import_areas(wards).unwrap();
    let bytes = std::fs::read(path).unwrap();
    store
        .insert_sites(
            import::sites(&bytes, &SiteOptions { kind: Some(SiteKind::Childcare), ..Default::default() })
                .unwrap(),
        )
        .unwrap();
    let index = store.read();
    use geo::Contains;
    let inside_listed = index
        .sites()
        .filter(|s| {
            let listed = s.data.properties["listed_ward"].as_str().unwrap();
            index.areas().any(|w| w.name == listed && w.geometry.contains(&s.data.location))
        })
        .count();
    assert_eq!(inside_listed, 389);
}
