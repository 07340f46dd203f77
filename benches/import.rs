//! Import benchmarks: reading a 100,000-row site CSV and a 50 MB site GeoJSON into the model (the
//! part of an import before the store writes). Peak memory of the same imports is measured by
//! `scripts/import-memory.sh`, which runs the release binary on files of these sizes.

use criterion::{Criterion, criterion_group, criterion_main};
use sasaeai::import::{self, SiteOptions};
use sasaeai::model::SiteKind;
use std::hint::black_box;

/// A site list as offices publish it, `rows` rows, in the 自治体標準オープンデータセット columns.
fn csv(rows: usize) -> Vec<u8> {
    let mut out = String::from("名称,種別,住所,緯度,経度,利用可能曜日,開始時間,終了時間,電話番号\n");
    for i in 0..rows {
        let (lat, lon) = (34.0 + (i % 1000) as f64 * 1e-4, 131.8 + (i / 1000) as f64 * 1e-4);
        out.push_str(&format!(
            "施設{i},通所介護,山口県周南市大字徳山{i},{lat:.6},{lon:.6},月火水木金,9:00,17:00,0834-00-{:04}\n",
            i % 10_000
        ));
    }
    out.into_bytes()
}

/// A site FeatureCollection of about `megabytes` MB.
fn geojson(megabytes: usize) -> Vec<u8> {
    let mut out = String::from(r#"{"type":"FeatureCollection","features":["#);
    let mut i = 0;
    while out.len() < megabytes << 20 {
        if i > 0 {
            out.push(',');
        }
        let (lat, lon) = (34.0 + (i % 1000) as f64 * 1e-4, 131.8 + (i / 1000) as f64 * 1e-4);
        out.push_str(&format!(
            r#"{{"type":"Feature","properties":{{"name":"施設{i}","kind":"cafe","address":"山口県周南市大字徳山{i}","schedule":"毎週水曜 10–12時","note":"ふれあいサロン"}},"geometry":{{"type":"Point","coordinates":[{lon:.7},{lat:.7}]}}}}"#
        ));
        i += 1;
    }
    out.push_str("]}");
    out.into_bytes()
}

fn read_sites(c: &mut Criterion) {
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    let table = csv(100_000);
    let options = SiteOptions { kind: Some(SiteKind::CareService), ..Default::default() };
    group.bench_function("csv_100k_rows", |b| {
        b.iter(|| black_box(import::sites(&table, &options).unwrap().len()))
    });
    let features = geojson(50);
    group.bench_function("geojson_50MB", |b| {
        b.iter(|| black_box(import::sites(&features, &SiteOptions::default()).unwrap().len()))
    });
    group.finish();
}

criterion_group!(benches, read_sites);
criterion_main!(benches);
