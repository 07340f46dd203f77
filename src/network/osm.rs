//! Reading the walkable ways of an OpenStreetMap PBF extract (osmpbf) into graph nodes and edges.
//! Ways are split at every node shared with another walkable way and at their ends; a way whose node
//! is missing from the extract is split there too. Output is EPSG:4326.

use super::NetworkError;
use super::graph::EdgeData;
use geo::{Coord, LineString};
use osmpbf::{Element, ElementReader};
use std::collections::HashMap;

/// Whether a way with these tags may be walked, and if so whether it is steps. Follows the usual
/// routing defaults: `foot=no` and private access exclude a way, motorways and trunk roads need an
/// explicit `foot=yes`, and cycleways and bridleways need one too.
pub fn walkable<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Option<bool> {
    let (mut highway, mut foot, mut access) = (None, None, None);
    for (k, v) in tags {
        match k {
            "highway" => highway = Some(v),
            "foot" => foot = Some(v),
            "access" => access = Some(v),
            _ => {}
        }
    }
    let highway = highway?;
    if closed_to_walkers(foot, access) {
        return None;
    }
    let foot_allowed = foot_allowed(foot);
    let ok = match highway {
        "footway" | "path" | "pedestrian" | "steps" | "living_street" | "residential" | "service"
        | "unclassified" | "tertiary" | "tertiary_link" | "secondary" | "secondary_link" | "primary"
        | "primary_link" | "track" | "road" | "corridor" | "platform" => true,
        "motorway" | "motorway_link" | "trunk" | "trunk_link" | "cycleway" | "bridleway" => foot_allowed,
        _ => false,
    };
    ok.then_some(highway == "steps")
}

fn foot_allowed(foot: Option<&str>) -> bool {
    matches!(foot, Some("yes" | "designated" | "permissive" | "official" | "destination"))
}

/// Whether `foot` and `access` tags shut a way to people on foot.
pub fn closed_to_walkers(foot: Option<&str>, access: Option<&str>) -> bool {
    matches!(foot, Some("no" | "private" | "use_sidepath"))
        || (matches!(access, Some("no" | "private")) && !foot_allowed(foot))
}

struct Way {
    id: i64,
    refs: Vec<i64>,
    steps: bool,
    highway: String,
}

/// Reads `bytes` of a PBF file.
pub fn read(bytes: &[u8]) -> Result<super::NetworkParts, NetworkError> {
    let mut coords: HashMap<i64, Coord<f64>> = HashMap::new();
    let mut ways = Vec::new();
    ElementReader::new(std::io::Cursor::new(bytes))
        .for_each(|element| match element {
            Element::DenseNode(n) => {
                coords.insert(n.id(), Coord { x: n.lon(), y: n.lat() });
            }
            Element::Node(n) => {
                coords.insert(n.id(), Coord { x: n.lon(), y: n.lat() });
            }
            Element::Way(w) => {
                if let Some(steps) = walkable(w.tags()) {
                    let highway = w.tags().find(|(k, _)| *k == "highway").map_or("", |(_, v)| v).to_owned();
                    ways.push(Way { id: w.id(), refs: w.refs().collect(), steps, highway });
                }
            }
            Element::Relation(_) => {}
        })
        .map_err(|e| NetworkError::Pbf(e.to_string()))?;
    if ways.is_empty() {
        return Err(NetworkError::NoWalkableWays);
    }
    Ok(split_ways(&ways, &coords))
}

/// Turns ways into edges between junctions.
fn split_ways(ways: &[Way], coords: &HashMap<i64, Coord<f64>>) -> (Vec<Coord<f64>>, Vec<EdgeData>) {
    let mut uses: HashMap<i64, u32> = HashMap::new();
    for w in ways {
        for r in &w.refs {
            *uses.entry(*r).or_default() += 1;
        }
        for end in [w.refs.first(), w.refs.last()].into_iter().flatten() {
            *uses.entry(*end).or_default() += 1;
        }
    }
    let mut node_index: HashMap<i64, u32> = HashMap::new();
    let mut nodes = Vec::new();
    let mut index_of = |id: i64, c: Coord<f64>| {
        *node_index.entry(id).or_insert_with(|| {
            nodes.push(c);
            (nodes.len() - 1) as u32
        })
    };
    let mut edges = Vec::new();
    for w in ways {
        // Runs of consecutive nodes present in the extract.
        for run in w.refs.split(|r| !coords.contains_key(r)) {
            let mut start = 0;
            for i in 1..run.len() {
                let is_junction = uses.get(&run[i]).copied().unwrap_or(0) > 1;
                if is_junction || i == run.len() - 1 {
                    let geometry: Vec<Coord<f64>> = run[start..=i].iter().map(|r| coords[r]).collect();
                    let a = index_of(run[start], geometry[0]);
                    let b = index_of(run[i], geometry[geometry.len() - 1]);
                    edges.push(EdgeData {
                        a,
                        b,
                        geometry: LineString(geometry),
                        steps: w.steps,
                        highway: w.highway.clone(),
                        way_id: Some(w.id),
                    });
                    start = i;
                }
            }
        }
    }
    (nodes, edges)
}

#[cfg(test)]
mod tests {
    use super::walkable;

    fn tags<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        pairs.iter().copied()
    }

    #[test]
    fn walkability_rules() {
        assert_eq!(walkable(tags(&[("highway", "residential")])), Some(false));
        assert_eq!(walkable(tags(&[("highway", "steps")])), Some(true));
        assert_eq!(walkable(tags(&[("highway", "footway"), ("foot", "no")])), None);
        assert_eq!(walkable(tags(&[("highway", "service"), ("access", "private")])), None);
        assert_eq!(
            walkable(tags(&[("highway", "service"), ("access", "private"), ("foot", "yes")])),
            Some(false)
        );
        assert_eq!(walkable(tags(&[("highway", "trunk")])), None);
        assert_eq!(walkable(tags(&[("highway", "trunk"), ("foot", "yes")])), Some(false));
        assert_eq!(walkable(tags(&[("highway", "motorway")])), None);
        assert_eq!(walkable(tags(&[("building", "yes")])), None);
        assert_eq!(walkable(tags(&[("highway", "construction")])), None);
    }
}
