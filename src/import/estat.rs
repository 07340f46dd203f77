//! e-Stat 地域メッシュ統計 tables as published: the second header row of Japanese labels names the
//! columns (so `人口（総数）`, `６５歳以上人口　総数` and `７５歳以上人口　総数` are found whatever the
//! table's codes), and statistical secrecy (`HTKSYORI`) is read as e-Stat defines it.
//!
//! A secret mesh (`HTKSYORI` = 2) shows its own population total but its age breakdown is `*` and
//! counted in the mesh named by `HTKSAKI`; that receiving mesh (`HTKSYORI` = 1) shows breakdowns
//! covering itself and every mesh merged into it. So the 65+ and 75+ of such a group are known only
//! for the group: they are apportioned to its meshes in proportion to their totals (largest
//! remainder, so the group's sums stay exactly the published ones) and the meshes are marked
//! `ages_apportioned`.

use super::fields::ColumnMap;
use super::records::Record;
use super::{Place, RecordProblem};
use serde_json::Value;
use std::collections::HashMap;

/// The labels e-Stat gives the columns sasaeai reads, in the form [`label_form`] makes.
const LABELS: &[(&str, &[&str])] = &[
    ("total", &["人口(総数)", "人口総数"]),
    ("aged65", &["65歳以上人口総数", "65歳以上人口(総数)"]),
    ("aged75", &["75歳以上人口総数", "75歳以上人口(総数)"]),
];

/// A label without spaces (e-Stat starts each with U+3000), with ASCII digits and parentheses.
fn label_form(label: &str) -> String {
    label.chars().filter(|c| !c.is_whitespace()).map(crate::model::halfwidth).collect()
}

/// Maps `total`, `aged65` and `aged75` to the columns the label row names, unless the user mapped
/// them.
pub fn map_labelled_columns(labels: &Record, columns: &mut ColumnMap) {
    for (field, wanted) in LABELS {
        if columns.is_mapped(field) {
            continue;
        }
        let found = labels
            .properties
            .iter()
            .find(|(_, label)| label.as_str().is_some_and(|l| wanted.contains(&label_form(l).as_str())));
        if let Some((column, _)) = found {
            // The field names come from `LABELS`, which are all known fields.
            let _ = columns.set(field, column.clone());
        }
    }
}

/// A mesh's secrecy treatment and the figures the apportioning needs.
struct Mesh {
    index: usize,
    treatment: u8,
    receiver: Option<String>,
    total: u64,
}

/// Rewrites the 65+ and 75+ of every secrecy group (a receiving mesh and the secret meshes merged
/// into it) as the group's figures apportioned to its meshes. A table without `HTKSYORI` is left as
/// it is. A secret mesh whose receiving mesh is not in the file keeps its concealed ages (`*`, read
/// as 0 and flagged).
pub fn apportion_merged(records: &mut [Record], columns: &ColumnMap) -> Result<(), Vec<RecordProblem>> {
    let Some(first) = records.first() else { return Ok(()) };
    if !first.properties.contains_key("HTKSYORI") {
        return Ok(());
    }
    let mut problems = Vec::new();
    let mut meshes = Vec::new();
    for (index, record) in records.iter().enumerate() {
        match mesh_of(index, record, columns) {
            Ok(mesh) => meshes.push(mesh),
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let by_code: HashMap<String, usize> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((text(r, columns.key(&r.properties, "mesh")?)?, i)))
        .collect();
    let mut groups: HashMap<usize, Vec<&Mesh>> = HashMap::new();
    for mesh in meshes.iter().filter(|m| m.treatment == 2) {
        if let Some(&receiver) = mesh.receiver.as_ref().and_then(|code| by_code.get(code)) {
            groups.entry(receiver).or_default().push(mesh);
        }
    }
    for (receiver, secret) in groups {
        // `meshes` holds one entry per record, in order, once no record had a problem.
        let head = &meshes[receiver];
        let members: Vec<&Mesh> = std::iter::once(head).chain(secret).collect();
        if let Err(p) = apportion_group(records, columns, &members) {
            problems.push(p);
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

fn text(record: &Record, key: &str) -> Option<String> {
    record.properties.get(key)?.as_str().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn problem(place: Place, field: &str, message: String) -> RecordProblem {
    RecordProblem { place, field: Some(field.to_owned()), message }
}

fn mesh_of(index: usize, record: &Record, columns: &ColumnMap) -> Result<Mesh, RecordProblem> {
    let treatment = match text(record, "HTKSYORI").as_deref() {
        None | Some("0") => 0,
        Some("1") => 1,
        Some("2") => 2,
        Some(other) => {
            return Err(problem(
                record.place,
                "HTKSYORI",
                format!("{other:?} is not an e-Stat secrecy treatment (0, 1 or 2)"),
            ));
        }
    };
    let total = columns
        .key(&record.properties, "total")
        .and_then(|k| text(record, k))
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(0);
    Ok(Mesh { index, treatment, receiver: text(record, "HTKSAKI"), total })
}

/// The receiving mesh's 65+ and 75+ shared among `members` (the receiver first) by population.
fn apportion_group(
    records: &mut [Record],
    columns: &ColumnMap,
    members: &[&Mesh],
) -> Result<(), RecordProblem> {
    let head = &records[members[0].index];
    let figure = |field: &str| -> Result<(String, u64), RecordProblem> {
        let key = columns
            .key(&head.properties, field)
            .map(str::to_owned)
            .ok_or_else(|| problem(head.place, field, format!("no column for {field} to apportion")))?;
        let value = text(head, &key).and_then(|v| v.parse::<u64>().ok()).ok_or_else(|| {
            problem(head.place, &key, "a receiving mesh (HTKSYORI 1) must show this figure".into())
        })?;
        Ok((key, value))
    };
    let (key65, group65) = figure("aged65")?;
    let (key75, group75) = figure("aged75")?;
    let totals: Vec<u64> = members.iter().map(|m| m.total).collect();
    let aged65 = apportion(group65, &totals, &totals);
    let aged75 = apportion(group75, &totals, &aged65);
    for ((mesh, a65), a75) in members.iter().zip(aged65).zip(aged75) {
        let props = &mut records[mesh.index].properties;
        props.insert(key65.clone(), Value::String(a65.to_string()));
        props.insert(key75.clone(), Value::String(a75.to_string()));
        props.insert("ages_apportioned".into(), Value::Bool(true));
    }
    Ok(())
}

/// `amount` shared in proportion to `weights`, no share above its `cap`, the shares summing to
/// `amount` (largest remainder). When the caps cannot hold it all, every share is at its cap.
///
/// ```
/// # use sasaeai::import::estat::apportion;
/// assert_eq!(apportion(29, &[53, 5], &[53, 5]), vec![27, 2]);
/// assert_eq!(apportion(10, &[1, 1, 1], &[1, 9, 9]), vec![1, 5, 4]);
/// ```
pub fn apportion(amount: u64, weights: &[u64], caps: &[u64]) -> Vec<u64> {
    let weight: u64 = weights.iter().sum();
    if weight == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|&w| amount as f64 * w as f64 / weight as f64).collect();
    let mut shares: Vec<u64> = exact.iter().zip(caps).map(|(e, &cap)| (e.floor() as u64).min(cap)).collect();
    let mut left = amount.saturating_sub(shares.iter().sum());
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    while left > 0 {
        let before = left;
        for &i in &order {
            if left > 0 && shares[i] < caps[i] {
                shares[i] += 1;
                left -= 1;
            }
        }
        if left == before {
            break;
        }
    }
    shares
}
