//! Column values shared by both backends: enumerations as their names, audiences as a comma list,
//! free properties as JSON text, and the network's nodes recovered from its edges.

use super::StoreError;
use crate::model::{Audience, Properties};
use crate::network::{EdgeData, NetworkParts};

pub fn bad_row(table: &'static str, fid: i64, reason: impl Into<String>) -> StoreError {
    StoreError::BadRow { table, fid, reason: reason.into() }
}

pub fn parse<T: std::str::FromStr<Err = String>>(
    value: &str,
    table: &'static str,
    fid: i64,
) -> Result<T, StoreError> {
    value.parse().map_err(|e: String| bad_row(table, fid, e))
}

pub fn properties_json(p: &Properties) -> String {
    serde_json::Value::Object(p.clone()).to_string()
}

pub fn properties(text: &str, table: &'static str, fid: i64) -> Result<Properties, StoreError> {
    serde_json::from_str(text).map_err(|e| bad_row(table, fid, format!("properties: {e}")))
}

pub fn audience_text(audience: &[Audience]) -> String {
    audience.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(",")
}

pub fn audience(text: &str, table: &'static str, fid: i64) -> Result<Vec<Audience>, StoreError> {
    text.split(',').filter(|a| !a.is_empty()).map(|a| parse(a, table, fid)).collect()
}

/// The network of `edges` (in stored order), its node positions taken from the edges' ends;
/// `None` when there are no edges.
pub fn network_from_edges(edges: Vec<EdgeData>) -> Result<Option<NetworkParts>, StoreError> {
    if edges.is_empty() {
        return Ok(None);
    }
    let mut nodes: Vec<Option<geo::Coord<f64>>> = Vec::new();
    for e in &edges {
        let ends = [(e.a, e.geometry.0[0]), (e.b, e.geometry.0[e.geometry.0.len() - 1])];
        for (n, c) in ends {
            if nodes.len() <= n as usize {
                nodes.resize(n as usize + 1, None);
            }
            nodes[n as usize].get_or_insert(c);
        }
    }
    let nodes = nodes
        .into_iter()
        .enumerate()
        .map(|(i, c)| c.ok_or_else(|| bad_row("network", 0, format!("node {i} is used by no edge"))))
        .collect::<Result<_, _>>()?;
    Ok(Some((nodes, edges)))
}
