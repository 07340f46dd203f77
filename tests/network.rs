//! The walking network on real data: reachability against networkx, persistence, the Ube line
//! network, barriers, profiles, and bad input over HTTP.

mod common;

use common::{TOKEN, get, send, shared_data};
use sasaeai::http::AppState;
use sasaeai::network::search::{Source, dijkstra, search};
use sasaeai::network::{Graph, NetworkSettings, NetworkSummary, catchment, read_file, snap};
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

fn heidelberg() -> Option<&'static Graph> {
    static GRAPH: OnceLock<Graph> = OnceLock::new();
    let path = shared_data("osm/heidelberg.osm.pbf")?;
    Some(GRAPH.get_or_init(|| {
        let (nodes, edges) = read_file(&std::fs::read(path).unwrap()).unwrap();
        Graph::new(nodes, edges)
    }))
}

/// Deterministic picks from the largest component.
fn sample_nodes(graph: &Graph, n: usize, seed: u64) -> Vec<u32> {
    let comps = &graph.components_all;
    let largest = (0..comps.sizes.len()).max_by_key(|&c| comps.sizes[c]).unwrap() as u32;
    let members: Vec<u32> =
        (0..graph.nodes().len() as u32).filter(|&v| comps.of_node[v as usize] == largest).collect();
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            members[(x >> 33) as usize % members.len()]
        })
        .collect()
}

fn networkx_reach(
    graph: &Graph,
    profile: &sasaeai::network::Profile,
    sources: &[u32],
    budget: f64,
) -> HashMap<u32, HashMap<u32, f64>> {
    let edges: Vec<(u32, u32, f64)> = graph
        .edges()
        .iter()
        .filter(|e| profile.can_use(e.data.steps))
        .map(|e| (e.data.a, e.data.b, profile.minutes(e.length_m, e.data.steps)))
        .collect();
    let job = serde_json::json!({ "edges": edges, "sources": sources, "budget": budget });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/networkx_reach.py");
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(job.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "networkx script failed");
    let parsed: HashMap<String, HashMap<String, f64>> = serde_json::from_slice(&out.stdout).unwrap();
    parsed
        .into_iter()
        .map(|(s, m)| (s.parse().unwrap(), m.into_iter().map(|(n, c)| (n.parse().unwrap(), c)).collect()))
        .collect()
}

fn has_networkx() -> bool {
    let ok =
        Command::new("/usr/bin/python3").args(["-c", "import networkx"]).status().is_ok_and(|s| s.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "networkx is missing; install Debian's python3-networkx");
        eprintln!("SKIPPED: /usr/bin/python3 has no networkx (Debian package python3-networkx)");
    }
    ok
}

#[test]
fn heidelberg_reachability_equals_networkx() {
    let Some(graph) = heidelberg() else { return };
    if !has_networkx() {
        return;
    }
    for (profile_name, seed) in [("standard", 7), ("elderly", 11), ("wheelchair", 13)] {
        assert_reach_equals_networkx(graph, profile_name, &sample_nodes(graph, 20, seed));
    }
}

#[test]
fn heidelberg_import_is_fast_enough_to_persist_and_reload_without_the_pbf() {
    let Some(path) = shared_data("osm/heidelberg.osm.pbf") else { return };
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("h.gpkg");
    let (nodes, edges) = read_file(&std::fs::read(path).unwrap()).unwrap();
    let summary = sasaeai::store::Store::open(&store_path)
        .unwrap()
        .replace_network(nodes, edges, sasaeai::store::Replace::Always)
        .unwrap();
    assert!(summary.edges > 30_000 && summary.steps_edges > 1_000, "{summary:?}");
    assert!(summary.largest_component_share > 0.95);
    let reopened = sasaeai::store::Store::open(&store_path).unwrap();
    let index = reopened.read();
    let graph = index.network().expect("the network is loaded from the store");
    assert_eq!(sasaeai::network::NetworkSummary::of(graph), summary);
    let original = heidelberg().unwrap();
    let settings = NetworkSettings::default();
    let profile = settings.profile("standard").unwrap();
    for source in sample_nodes(original, 3, 5) {
        assert_eq!(
            dijkstra(graph, profile, [(source, 0.0)], 15.0).0,
            dijkstra(original, profile, [(source, 0.0)], 15.0).0
        );
    }
}

#[test]
fn neckar_without_a_crossing_is_a_barrier() {
    let Some(graph) = heidelberg() else { return };
    let settings = NetworkSettings::default();
    let profile = settings.profile("standard").unwrap();
    // Altstadt bank and Neuenheim bank, 200 m apart across the river, between two bridges.
    let (south, north) = (geo::coord! { x: 8.700, y: 49.4120 }, geo::coord! { x: 8.700, y: 49.4138 });
    use geo::{Distance, Haversine};
    let straight = Haversine.distance(geo::Point(south), geo::Point(north));
    assert!((190.0..210.0).contains(&straight), "{straight}");
    let a = snap(graph, profile, south, 300.0, 100).unwrap();
    let b = snap(graph, profile, north, 300.0, 100).unwrap();
    assert!(a.walk_m < 20.0 && b.walk_m < 20.0);
    let within_5 = search(graph, profile, vec![Source::walking_from(a, profile)], 5.0);
    assert_eq!(within_5.minutes_to(&b), None, "200 m across the Neckar is not a 5-minute walk");
    let within_30 = search(graph, profile, vec![Source::walking_from(a, profile)], 30.0);
    let minutes = within_30.minutes_to(&b).expect("reachable over a bridge");
    assert!(minutes > 10.0, "{minutes}");
    let c = catchment(graph, &settings, "standard", &[south], 5.0).unwrap();
    use geo::Contains;
    assert!(!c.polygon.contains(&geo::Point(north)), "the catchment does not bridge the river");
}

#[test]
fn wheelchair_never_uses_steps_and_elderly_reach_less() {
    let Some(graph) = heidelberg() else { return };
    let settings = NetworkSettings::default();
    let mut steps_seen_by_standard = 0;
    for node in sample_nodes(graph, 15, 99) {
        let at = graph.nodes()[node as usize];
        let area = |p: &str| catchment(graph, &settings, p, &[at], 15.0).unwrap();
        let (standard, elderly) = (area("standard"), area("elderly"));
        assert!(elderly.area_m2 < standard.area_m2 && elderly.reached_length_m < standard.reached_length_m);
        for profile_name in ["wheelchair", "standard"] {
            let profile = settings.profile(profile_name).unwrap();
            let start = snap(graph, profile, at, 300.0, 100).unwrap();
            let reach = search(graph, profile, vec![Source::walking_from(start, profile)], 15.0);
            let steps = reach.reached_edges().iter().filter(|(e, _)| graph.edge(*e).data.steps).count();
            if profile_name == "wheelchair" {
                assert_eq!(steps, 0, "wheelchair reached steps from node {node}");
            } else {
                steps_seen_by_standard += steps;
            }
        }
    }
    assert!(
        steps_seen_by_standard > 0,
        "the sample reaches steps on foot, so the wheelchair check means something"
    );
}

#[test]
fn ube_line_network_is_stitched_and_gives_a_plausible_catchment() {
    let Some(path) = shared_data("ube/walk_network.geojson") else { return };
    let (nodes, edges) = read_file(&std::fs::read(path).unwrap()).unwrap();
    let graph = Graph::new(nodes, edges);
    let summary = sasaeai::network::NetworkSummary::of(&graph);
    assert_eq!(summary.components, 12, "as the data's README counts");
    assert!((10_400..10_450).contains(&summary.nodes), "{summary:?}");
    assert_eq!(summary.edges, 15_379, "each street once, though the file has both directions");
    let settings = NetworkSettings::default();
    // 宇部市役所 (Ube City Hall), in the centre of the network.
    let city_hall = geo::coord! { x: 131.2470, y: 33.9516 };
    let c = catchment(&graph, &settings, "elderly", &[city_hall], 15.0).unwrap();
    assert!((0.25..0.8).contains(&c.reach_factor), "reach factor {}", c.reach_factor);
    assert!((0.4e6..2.0e6).contains(&c.area_m2), "area {}", c.area_m2);
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ube-catchment.geojson");
    let feature = sasaeai::export::catchment_feature(&c, Default::default());
    std::fs::write(&out, sasaeai::export::feature_collection(vec![feature]).to_string()).unwrap();
    eprintln!(
        "Ube 15-minute elderly catchment: {:.0} m², reach factor {:.2}, written to {}",
        c.area_m2,
        c.reach_factor,
        out.display()
    );
}

fn demo_state() -> (tempfile::TempDir, AppState) {
    let (dir, store) = common::demo_store();
    (dir, AppState::new(store, Some(TOKEN.into())).unwrap())
}

#[tokio::test]
async fn demo_river_has_no_crossing_between_its_bridges() {
    let (_d, s) = demo_state();
    // 100 m either side of the river (lon 140.05), midway between the bridges.
    let reach = get(&s, "/api/reach?lon=140.0489&lat=34.637&minutes=5&profile=standard").await.json();
    use geo::Contains;
    let polygon: geo::Geometry<f64> =
        serde_json::from_value::<geojson::Geometry>(reach["catchment"]["geometry"].clone())
            .unwrap()
            .try_into()
            .unwrap();
    assert!(polygon.contains(&geo::point!(x: 140.0489, y: 34.637)));
    assert!(!polygon.contains(&geo::point!(x: 140.0511, y: 34.637)), "the far bank is not within 5 minutes");
}

#[tokio::test]
async fn catchments_and_reach_over_http() {
    let (_d, s) = demo_state();
    let cafe = s.app.store.read().sites_in(&[sasaeai::model::SiteKind::Cafe], None)[0].clone();
    let c = get(&s, &format!("/api/sites/{}/catchment?minutes=15&profile=elderly", cafe.id)).await;
    assert_eq!(c.status, 200);
    let f = c.json();
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    assert_eq!(f["properties"]["site_id"], cafe.id.0);
    assert_eq!(f["properties"]["profile"], "elderly");
    assert!(f["properties"]["reachfactor"].as_f64().unwrap() > 0.1);

    let all = get(&s, "/api/catchments?kind=cafe&minutes=15&profile=elderly").await.json();
    let n_cafes = s.app.store.read().sites_in(&[sasaeai::model::SiteKind::Cafe], None).len();
    assert_eq!(all["features"].as_array().unwrap().len(), n_cafes);
    let dissolved =
        get(&s, "/api/catchments?kind=cafe&minutes=15&profile=elderly&dissolve=true").await.json();
    let union_area = dissolved["features"][0]["properties"]["area_m2"].as_f64().unwrap();
    let sum: f64 = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["area_m2"].as_f64().unwrap())
        .sum();
    let largest = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["area_m2"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(union_area <= sum && union_area >= largest, "{largest} <= {union_area} <= {sum}");

    let loc = cafe.data.location;
    let reach = get(&s, &format!("/api/reach?lon={}&lat={}&minutes=15&profile=elderly", loc.x(), loc.y()))
        .await
        .json();
    let sites = reach["sites"]["features"].as_array().unwrap();
    assert_eq!(sites[0]["id"], cafe.id.0, "standing at the café, it is the nearest");
    let minutes: Vec<f64> = sites.iter().map(|f| f["properties"]["walk_minutes"].as_f64().unwrap()).collect();
    assert!(minutes.windows(2).all(|w| w[0] <= w[1]) && minutes.iter().all(|m| *m <= 15.0));
}

#[tokio::test]
async fn a_moved_site_or_a_new_network_never_shows_a_stale_catchment() {
    let (_d, s) = demo_state();
    let site = s.app.store.read().sites_in(&[sasaeai::model::SiteKind::Engawa], None)[0].clone();
    let uri = format!("/api/sites/{}/catchment?minutes=10&profile=standard", site.id);
    let first = get(&s, &uri).await.json();
    assert_eq!(get(&s, &uri).await.json(), first, "cached");
    assert_eq!(s.catchments.len(), 1);
    let moved = common::site_json(&site.data.name, "engawa", 140.07, 34.645);
    assert_eq!(send(&s, "PUT", &format!("/api/sites/{}", site.id), Some(TOKEN), moved).await.status, 200);
    let after_move = get(&s, &uri).await.json();
    assert_ne!(after_move["geometry"], first["geometry"]);

    let network = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/geodata/network.geojson")).unwrap();
    let mut fewer: serde_json::Value = serde_json::from_slice(&network).unwrap();
    let features = fewer["features"].as_array_mut().unwrap();
    features.retain(|f| f["properties"]["highway"] != "footway");
    let r = send(&s, "POST", "/api/import/network", Some(TOKEN), fewer.to_string()).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let after_network = get(&s, &uri).await.json();
    assert_ne!(after_network["properties"]["reached_length_m"], after_move["properties"]["reached_length_m"]);
}

#[tokio::test]
async fn bad_network_requests_are_problems() {
    let (_d, s) = demo_state();
    let id = s.app.store.read().sites().next().unwrap().id;
    for (query, status, needle) in [
        ("minutes=0", 400, "minutes must be more than 0"),
        ("minutes=-5", 400, "minutes must be more than 0"),
        ("minutes=121", 400, "at most 60"),
        ("profile=jogging", 400, "unknown profile \\\"jogging\\\""),
    ] {
        get(&s, &format!("/api/sites/{id}/catchment?{query}")).await.assert_problem(status, needle);
        get(&s, &format!("/api/reach?lon=140.05&lat=34.635&{query}")).await.assert_problem(status, needle);
    }
    get(&s, "/api/reach?lon=140.3&lat=34.5").await.assert_problem(422, "the nearest walkable way is");
    get(&s, "/api/reach?lon=140.05").await.assert_problem(400, "lon and lat are required");
    get(&s, "/api/catchments?minutes=15").await.assert_problem(400, "kind");

    let far = common::site_json("沖のカフェ", "cafe", 140.2, 34.55);
    let r = send(&s, "POST", "/api/sites", Some(TOKEN), far).await;
    let far_id = r.json()["id"].as_i64().unwrap();
    let p = get(&s, &format!("/api/sites/{far_id}/catchment")).await.assert_problem(422, "沖のカフェ");
    assert!(p["detail"].as_str().unwrap().contains("limit is 300 m"));

    let before = get(&s, "/api/network").await.json();
    let real_pbf = shared_data("osm/helsinki.osm.pbf").map(|p| std::fs::read(p).unwrap());
    let mut bodies: Vec<(Vec<u8>, &str)> =
        vec![(b"\x00\x00\x00\x0dnot really a pbf".to_vec(), "PBF"), (b"hello".to_vec(), "PBF")];
    if let Some(pbf) = real_pbf {
        bodies.push((pbf[..pbf.len() / 2].to_vec(), "PBF"));
    }
    for (body, needle) in bodies {
        send(&s, "POST", "/api/import/network", Some(TOKEN), body).await.assert_problem(422, needle);
    }
    assert_eq!(get(&s, "/api/network").await.json(), before, "the store's network is untouched");
}

#[test]
fn coverage_of_many_sites_equals_the_nearest_single_site_search() {
    let (_d, store) = common::demo_store();
    let index = store.read();
    let graph = index.network().unwrap();
    let settings = NetworkSettings::default();
    let sites: Vec<geo::Coord<f64>> = index
        .sites_in(&[sasaeai::model::SiteKind::Cafe, sasaeai::model::SiteKind::Engawa], None)
        .iter()
        .map(|s| s.data.location.0)
        .collect();
    let homes: Vec<geo::Coord<f64>> = index.population().map(|p| p.data.location.0).collect();
    let c = sasaeai::network::coverage::reached(graph, &settings, "elderly", &sites, &homes, 15.0).unwrap();
    assert!(c.unsnapped_sites.is_empty() && c.unsnapped_targets.is_empty());
    let profile = settings.profile("elderly").unwrap();
    let singles: Vec<_> = sites
        .iter()
        .map(|s| {
            search(
                graph,
                profile,
                vec![Source::walking_from(snap(graph, profile, *s, 300.0, 100).unwrap(), profile)],
                15.0,
            )
        })
        .collect();
    let mut covered = 0;
    for (i, home) in homes.iter().enumerate() {
        let at = snap(graph, profile, *home, 300.0, 100).unwrap();
        let best = singles
            .iter()
            .filter_map(|r| r.minutes_to(&at))
            .fold(None, |acc: Option<f64>, m| Some(acc.map_or(m, |a| a.min(m))));
        match (c.minutes[i], best) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "home {i}: {a} vs {b}"),
            (a, b) => assert_eq!(a, b, "home {i}"),
        }
        covered += c.covered(i) as usize;
    }
    assert!(
        covered > 0 && covered < homes.len(),
        "the demo has both covered homes and a gap: {covered}/{}",
        homes.len()
    );
}

/// Catchments of a kind are searched on every core; each equals the same site's catchment searched
/// alone, in the sites' order.
#[tokio::test]
async fn catchments_of_several_kinds_on_every_core_equal_each_searched_alone() {
    use sasaeai::model::SiteKind::{Cafe, Clinic, Engawa, Kayoinoba};
    let (_d, s) = demo_state();
    let all =
        get(&s, "/api/catchments?kind=cafe,engawa,kayoinoba,clinic&minutes=20&profile=elderly").await.json();
    let index = s.app.store.read();
    let graph = index.network().unwrap();
    let sites = index.sites_open_in(&[Cafe, Engawa, Kayoinoba, Clinic], None, None);
    let features = all["features"].as_array().unwrap();
    assert!(sites.len() > 10);
    assert_eq!(features.len(), sites.len());
    for (feature, site) in features.iter().zip(&sites) {
        assert_eq!(feature["properties"]["site_id"], site.id.0);
        let alone =
            sasaeai::network::catchment(graph, &s.app.settings, "elderly", &[site.data.location.0], 20.0)
                .unwrap();
        let expected = sasaeai::export::catchment_feature(&alone, Default::default());
        assert_eq!(feature["geometry"], expected["geometry"], "site {}", site.id);
        assert_eq!(feature["properties"]["area_m2"], expected["properties"]["area_m2"]);
    }
}

#[test]
fn the_walk_shed_lies_within_5_m_of_the_exact_buffer_of_the_reached_streets() {
    use geo::{Area, CoordsIter, Densify, Distance, Euclidean};
    use rstar::RTree;
    let Some(graph) = heidelberg() else { return };
    let settings = NetworkSettings::default();
    let profile = settings.profile("elderly").unwrap();
    let mut worst_m: f64 = 0.0;
    for node in sample_nodes(graph, 3, 5) {
        let start = snap(graph, profile, graph.nodes()[node as usize], 300.0, 100).unwrap();
        let reach = search(graph, profile, vec![Source::walking_from(start, profile)], 15.0);
        let (pieces, _) = reach.pieces(); // local metres
        let cell_m = 50.0 / sasaeai::network::catchment::SHED_CELLS_PER_WIDTH;
        let shed = sasaeai::network::shed::walk_shed(&pieces, 50.0, cell_m);
        assert!(
            shed.unsigned_area() > 500_000.0,
            "node {node}: a real walk ({:.0} m²)",
            shed.unsigned_area()
        );
        // The exact buffer's outline is where the distance to the nearest street is 50 m: every point of
        // the shed's outline, taken every 2 m, lies within 5 m of that.
        let streets: RTree<geo::Line<f64>> = RTree::bulk_load(pieces.segments().collect());
        for outline in shed.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())) {
            for c in Euclidean.densify(outline, 2.0).coords_iter() {
                // The distance to every street segment within 60 m, by geo (exact segment distance).
                let near = rstar::AABB::from_corners(
                    [c.x - 60.0, c.y - 60.0].into(),
                    [c.x + 60.0, c.y + 60.0].into(),
                );
                let distance_m = streets
                    .locate_in_envelope_intersecting(&near)
                    .map(|l| Euclidean.distance(l, &geo::Point(c)))
                    .fold(f64::INFINITY, f64::min);
                let off_m = (distance_m - 50.0).abs();
                worst_m = worst_m.max(off_m);
                assert!(
                    off_m <= 5.0,
                    "node {node}: the outline at {c:?} is {off_m:.2} m off the exact buffer"
                );
            }
        }
    }
    println!("the shed's outline is at most {worst_m:.2} m off the exact 50 m buffer");
}

/// Every node `graph` reaches from `sources` within 15 minutes, and at what cost, equals what
/// networkx's Dijkstra finds over the same weighted edges.
fn assert_reach_equals_networkx(graph: &Graph, profile_name: &str, sources: &[u32]) {
    let settings = NetworkSettings::default();
    let profile = settings.profile(profile_name).unwrap();
    let expected = networkx_reach(graph, profile, sources, 15.0);
    let reached: usize = expected.values().map(|m| m.len()).sum();
    assert!(
        reached > sources.len() * 100,
        "{profile_name}: 15-minute walks reach {reached} junctions from {} sources",
        sources.len()
    );
    for source in sources {
        let (dist, settled) = dijkstra(graph, profile, [(*source, 0.0)], 15.0);
        let theirs = &expected[source];
        let mut ours: Vec<u32> = settled.clone();
        ours.sort();
        let mut their_nodes: Vec<u32> = theirs.keys().copied().collect();
        their_nodes.sort();
        assert_eq!(ours, their_nodes, "{profile_name}: reached nodes from {source}");
        for (node, minutes) in theirs {
            assert!(
                (dist.get(*node) - minutes).abs() < 1e-6,
                "{profile_name} {source}->{node}: {} vs {minutes}",
                dist.get(*node)
            );
        }
    }
}

/// 大ささえ市 (架空) at 250,000 edges, built once for the tests that walk it.
fn large_city() -> &'static Graph {
    static GRAPH: OnceLock<Graph> = OnceLock::new();
    GRAPH.get_or_init(|| {
        let city = sasaeai::demo::city(250_000, 1);
        Graph::new(city.nodes, city.edges)
    })
}

#[test]
fn large_generated_city_reachability_equals_networkx() {
    if !has_networkx() {
        return;
    }
    let graph = large_city();
    for (profile_name, seed) in [("elderly", 17), ("wheelchair", 19)] {
        assert_reach_equals_networkx(graph, profile_name, &sample_nodes(graph, 10, seed));
    }
}

#[test]
fn the_large_city_has_its_size_a_river_crossed_only_by_bridges_and_steps_on_its_hills() {
    let city = sasaeai::demo::city(250_000, 1);
    assert!((237_500..262_500).contains(&city.edges.len()), "{} edges", city.edges.len());
    let summary = NetworkSummary::of(large_city());
    assert_eq!(summary.edges, city.edges.len());
    assert!(summary.steps_edges > 1_000, "{summary:?}");
    assert!(summary.largest_component_share > 0.99, "{summary:?}");
    assert!((8..=12).contains(&city.bridges.len()), "{} bridges", city.bridges.len());
    // Without its bridges the city falls apart along the river, into two large halves.
    let bridges: std::collections::HashSet<usize> = city.bridges.iter().copied().collect();
    let unbridged: Vec<_> =
        city.edges.iter().enumerate().filter(|(i, _)| !bridges.contains(i)).map(|(_, e)| e.clone()).collect();
    let cut = NetworkSummary::of(&Graph::new(city.nodes.clone(), unbridged));
    assert!((0.3..0.7).contains(&cut.largest_component_share), "{cut:?}");
    // The same seed, the same city; another seed, another.
    let digest = |c: &sasaeai::demo::City| {
        format!("{:?}", c.edges.iter().map(|e| (e.a, e.b, e.steps)).collect::<Vec<_>>())
    };
    let small = sasaeai::demo::city(20_000, 1);
    assert_eq!(digest(&small), digest(&sasaeai::demo::city(20_000, 1)));
    assert_ne!(digest(&small), digest(&sasaeai::demo::city(20_000, 2)));
}

#[test]
fn the_large_city_is_written_by_the_cli_and_imports_as_generated() {
    let dir = tempfile::tempdir().unwrap();
    let (file, store) = (dir.path().join("city.geojson"), dir.path().join("city.gpkg"));
    let out = common::cli(
        &[
            "demo".as_ref(),
            "city".as_ref(),
            "--edges".as_ref(),
            "5000".as_ref(),
            "--out".as_ref(),
            file.as_os_str(),
        ],
        "",
    );
    assert!(out.contains("bridges over the river"), "{out}");
    common::cli(
        &["import".as_ref(), "network".as_ref(), file.as_os_str(), "--store".as_ref(), store.as_os_str()],
        "",
    );
    let generated = sasaeai::demo::city(5_000, 1);
    let index = sasaeai::store::Store::open(&store).unwrap();
    let summary = NetworkSummary::of(index.read().network().unwrap());
    assert_eq!((summary.nodes, summary.edges), (generated.nodes.len(), generated.edges.len()));
    assert_eq!(summary.steps_edges, generated.edges.iter().filter(|e| e.steps).count());
}

/// Every street a walk touches is listed once among its reached edges — found without a set of the
/// edges seen: a loop is listed twice at its one node, parallel streets are two edges, and an
/// edge with both ends reached is met from both.
fn assert_each_reached_edge_listed_once(graph: &Graph, profile_name: &str, from: geo::Coord<f64>) {
    let settings = NetworkSettings::default();
    let profile = settings.profile(profile_name).unwrap();
    let start = snap(graph, profile, from, 300.0, 1).unwrap();
    let reach = search(graph, profile, vec![Source::walking_from(start, profile)], 15.0);
    let listed: Vec<u32> = reach.reached_edges().into_iter().map(|(e, _)| e).collect();
    let unique: std::collections::HashSet<u32> = listed.iter().copied().collect();
    assert_eq!(unique.len(), listed.len(), "an edge listed twice");
    let within = |n: u32| reach.node_minutes(n).is_some_and(|m| m < 15.0);
    for (e, edge) in graph.edges().iter().enumerate() {
        let usable = profile.can_use(edge.data.steps) && edge.length_m > 0.0;
        if usable && (within(edge.data.a) || within(edge.data.b)) {
            assert!(unique.contains(&(e as u32)), "edge {e} is reached but not listed");
        }
    }
    for &e in &unique {
        let edge = graph.edge(e);
        let touched = reach.node_minutes(edge.data.a).is_some() || reach.node_minutes(edge.data.b).is_some();
        assert!(touched || e == start.edge, "edge {e} is listed but nothing reaches it");
    }
}

#[test]
fn each_reached_edge_is_listed_once_with_loops_parallel_streets_and_on_heidelberg() {
    let at = |x: f64, y: f64| geo::Coord { x: 139.0 + x * 1e-4, y: 35.0 + y * 1e-4 };
    let street = |a: u32, b: u32, line: Vec<geo::Coord<f64>>| sasaeai::network::EdgeData {
        a,
        b,
        geometry: geo::LineString(line),
        steps: false,
        highway: "residential".into(),
        way_id: None,
    };
    let nodes = vec![at(0.0, 0.0), at(10.0, 0.0), at(20.0, 0.0)];
    let edges = vec![
        street(0, 1, vec![at(0.0, 0.0), at(10.0, 0.0)]),
        street(0, 1, vec![at(0.0, 0.0), at(5.0, 3.0), at(10.0, 0.0)]),
        street(1, 1, vec![at(10.0, 0.0), at(10.0, 5.0), at(15.0, 5.0), at(10.0, 0.0)]),
        street(1, 2, vec![at(10.0, 0.0), at(20.0, 0.0)]),
    ];
    let small = Graph::new(nodes, edges);
    assert_each_reached_edge_listed_once(&small, "standard", at(1.0, 0.2));
    let reached: Vec<u32> = {
        let settings = NetworkSettings::default();
        let profile = settings.profile("standard").unwrap();
        let start = snap(&small, profile, at(1.0, 0.2), 300.0, 1).unwrap();
        let reach = search(&small, profile, vec![Source::walking_from(start, profile)], 15.0);
        reach.reached_edges().into_iter().map(|(e, _)| e).collect()
    };
    assert_eq!(reached.len(), 4, "both parallel streets, the loop and the street beyond: {reached:?}");
    let Some(graph) = heidelberg() else { return };
    for node in sample_nodes(graph, 5, 11) {
        for profile in ["standard", "wheelchair"] {
            assert_each_reached_edge_listed_once(graph, profile, graph.nodes()[node as usize]);
        }
    }
}
