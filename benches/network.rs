//! Network benchmarks on the Heidelberg OpenStreetMap extract: import, one 15-minute search, one
//! catchment polygon, 500 sites' catchments, and coverage of 2,000 points by 500 sites.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use geo::{BoundingRect, Coord, Intersects, Rect};
use sasaeai::network::search::{Source, dijkstra, search};
use sasaeai::network::{Graph, NetworkSettings, catchment, coverage, read_file, snap};
use std::hint::black_box;
use std::path::PathBuf;

fn pbf() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/osm/heidelberg.osm.pbf");
    std::fs::read(&path).unwrap_or_else(|e| panic!("benchmarks need {}: {e}", path.display()))
}

/// Points of the largest component inside central Heidelberg, spread deterministically.
fn points(graph: &Graph, n: usize, seed: u64) -> Vec<Coord<f64>> {
    points_within(graph, n, seed, Rect::new((8.64, 49.38), (8.72, 49.42)))
}

/// The middle half (by extent) of `graph`'s junctions: a city's centre, away from its edges.
fn middle_of(graph: &Graph) -> Rect<f64> {
    let extent =
        geo::MultiPoint::from(graph.nodes().iter().map(|c| geo::Point::from(*c)).collect::<Vec<_>>())
            .bounding_rect()
            .unwrap();
    let (w, h) = (extent.width(), extent.height());
    Rect::new(
        (extent.min().x + w / 4.0, extent.min().y + h / 4.0),
        (extent.max().x - w / 4.0, extent.max().y - h / 4.0),
    )
}

/// Points of the largest component inside `within`, spread deterministically.
fn points_within(graph: &Graph, n: usize, seed: u64, within: Rect<f64>) -> Vec<Coord<f64>> {
    let comps = &graph.components_all;
    let largest = (0..comps.sizes.len()).max_by_key(|&c| comps.sizes[c]).unwrap() as u32;
    let central: Vec<Coord<f64>> = graph
        .nodes()
        .iter()
        .enumerate()
        .filter(|(i, c)| comps.of_node[*i] == largest && within.intersects(*c))
        .map(|(_, c)| *c)
        .collect();
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // Offset from the junction so that snapping does real work.
            let c = central[(x >> 33) as usize % central.len()];
            Coord { x: c.x + 0.0002, y: c.y + 0.0001 }
        })
        .collect()
}

fn import(c: &mut Criterion) {
    let bytes = pbf();
    let mut group = c.benchmark_group("network_import");
    group.sample_size(10);
    group.bench_function("heidelberg_read_and_build", |b| {
        b.iter(|| {
            let (nodes, edges) = read_file(&bytes).unwrap();
            black_box(Graph::new(nodes, edges))
        })
    });
    group.bench_function("heidelberg_into_store", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let store = sasaeai::store::Store::open(dir.path().join("h.gpkg")).unwrap();
                let (nodes, edges) = read_file(&bytes).unwrap();
                black_box(store.replace_network(nodes, edges, sasaeai::store::Replace::Always).unwrap());
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn searches(c: &mut Criterion) {
    let (nodes, edges) = read_file(&pbf()).unwrap();
    let graph = Graph::new(nodes, edges);
    eprintln!(
        "heidelberg graph: {} nodes, {} edges, about {:.1} MB in memory",
        graph.nodes().len(),
        graph.edges().len(),
        graph.heap_bytes() as f64 / 1e6
    );
    let settings = NetworkSettings::default();
    let starts = points(&graph, 64, 1);
    let mut group = c.benchmark_group("network");
    for profile_name in ["standard", "elderly"] {
        let profile = settings.profile(profile_name).unwrap();
        let snaps: Vec<_> = starts.iter().map(|p| snap(&graph, profile, *p, 300.0, 100).unwrap()).collect();
        let mut i = 0;
        group.bench_function(BenchmarkId::new("search_15min", profile_name), |b| {
            b.iter(|| {
                i = (i + 1) % snaps.len();
                let reach = search(&graph, profile, vec![Source::walking_from(snaps[i], profile)], 15.0);
                black_box(reach.reached_nodes().len())
            })
        });
        let mut j = 0;
        group.bench_function(BenchmarkId::new("dijkstra_15min_from_node", profile_name), |b| {
            b.iter(|| {
                j = (j + 1) % snaps.len();
                black_box(dijkstra(&graph, profile, [(graph.edge(snaps[j].edge).data.a, 0.0)], 15.0).1.len())
            })
        });
        let mut k = 0;
        group.bench_function(BenchmarkId::new("catchment_polygon_15min", profile_name), |b| {
            b.iter(|| {
                k = (k + 1) % starts.len();
                black_box(catchment(&graph, &settings, profile_name, &[starts[k]], 15.0).unwrap().area_m2)
            })
        });
    }
    group.finish();

    let sites = points(&graph, 500, 2);
    let homes = points(&graph, 2000, 3);
    let mut group = c.benchmark_group("network_500_sites");
    group.sample_size(10);
    let area_m2 = |s: &Coord<f64>| catchment(&graph, &settings, "elderly", &[*s], 15.0).unwrap().area_m2;
    group.bench_function("all_catchments_elderly_15min", |b| {
        b.iter(|| black_box(sites.iter().map(area_m2).sum::<f64>()))
    });
    group.bench_function("all_catchments_elderly_15min_every_core", |b| {
        use rayon::prelude::*;
        b.iter(|| black_box(sites.par_iter().map(area_m2).sum::<f64>()))
    });
    group.bench_function("coverage_of_2000_points_elderly_15min", |b| {
        b.iter(|| {
            black_box(
                coverage::reached(&graph, &settings, "elderly", &sites, &homes, 15.0).unwrap().minutes.len(),
            )
        })
    });
    group.finish();
}

/// Heidelberg's streets and, a degree of latitude away, a grid of `side × side` junctions: a graph
/// with about `2 × side²` more edges on which a walk from Heidelberg reaches exactly what it reaches
/// on Heidelberg alone.
fn with_far_grid(side: u32) -> Graph {
    let (mut nodes, mut edges) = read_file(&pbf()).unwrap();
    let first = nodes.len() as u32;
    let at = |i: u32, j: u32| Coord { x: 8.6 + f64::from(i) * 0.001, y: 50.4 + f64::from(j) * 0.0009 };
    for j in 0..side {
        for i in 0..side {
            nodes.push(at(i, j));
        }
    }
    let id = |i: u32, j: u32| first + j * side + i;
    let mut street = |a: (u32, u32), b: (u32, u32)| {
        edges.push(sasaeai::network::EdgeData {
            a: id(a.0, a.1),
            b: id(b.0, b.1),
            geometry: geo::LineString(vec![at(a.0, a.1), at(b.0, b.1)]),
            steps: false,
            highway: "residential".into(),
            way_id: None,
        })
    };
    for j in 0..side {
        for i in 0..side {
            if i + 1 < side {
                street((i, j), (i + 1, j));
            }
            if j + 1 < side {
                street((i, j), (i, j + 1));
            }
        }
    }
    Graph::new(nodes, edges)
}

/// One search's cost as the graph grows while the walk does not.
fn graph_size(c: &mut Criterion) {
    let settings = NetworkSettings::default();
    let profile = settings.profile("elderly").unwrap();
    let mut group = c.benchmark_group("network_graph_size");
    let heidelberg = with_far_grid(0);
    // The same starts in both: Heidelberg's nodes keep their numbers when the grid is added.
    let starts = points(&heidelberg, 64, 1);
    for (name, graph) in [("heidelberg", heidelberg), ("heidelberg_and_250k_far_edges", with_far_grid(354))] {
        eprintln!("{name}: {} nodes, {} edges", graph.nodes().len(), graph.edges().len());
        let snaps: Vec<_> = starts.iter().map(|p| snap(&graph, profile, *p, 300.0, 100).unwrap()).collect();
        let mut i = 0;
        group.bench_function(BenchmarkId::new("search_15min_elderly", name), |b| {
            b.iter(|| {
                i = (i + 1) % snaps.len();
                let reach = search(&graph, profile, vec![Source::walking_from(snaps[i], profile)], 15.0);
                black_box(reach.reached_nodes().len())
            })
        });
    }
    group.finish();
}

/// The same figures on Heidelberg and on 大ささえ市 (架空) at 250,000 edges: how each grows from a
/// real city of 40,000 edges to a generated one six times larger.
fn city_scale(c: &mut Criterion) {
    let settings = NetworkSettings::default();
    let profile = settings.profile("elderly").unwrap();
    let heidelberg = {
        let (nodes, edges) = read_file(&pbf()).unwrap();
        Graph::new(nodes, edges)
    };
    let city = {
        let city = sasaeai::demo::city(250_000, 1);
        Graph::new(city.nodes, city.edges)
    };
    // Starts in each city's centre: Heidelberg's old town as elsewhere here, the generated city's middle half.
    let graphs = [
        ("heidelberg", &heidelberg, Rect::new((8.64, 49.38), (8.72, 49.42))),
        ("city_250k", &city, middle_of(&city)),
    ];
    let mut group = c.benchmark_group("network_city_scale");
    for (name, graph, centre) in graphs {
        eprintln!("{name}: {} nodes, {} edges", graph.nodes().len(), graph.edges().len());
        let starts = points_within(graph, 64, 1, centre);
        let snaps: Vec<_> = starts.iter().map(|p| snap(graph, profile, *p, 300.0, 100).unwrap()).collect();
        let mut i = 0;
        group.bench_function(BenchmarkId::new("search_15min_elderly", name), |b| {
            b.iter(|| {
                i = (i + 1) % snaps.len();
                let reach = search(graph, profile, vec![Source::walking_from(snaps[i], profile)], 15.0);
                black_box(reach.reached_nodes().len())
            })
        });
        let mut k = 0;
        group.bench_function(BenchmarkId::new("catchment_polygon_15min_elderly", name), |b| {
            b.iter(|| {
                k = (k + 1) % starts.len();
                black_box(catchment(graph, &settings, "elderly", &[starts[k]], 15.0).unwrap().area_m2)
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("network_city_scale_1000_sites");
    group.sample_size(10);
    for (name, graph, centre) in graphs {
        let sites = points_within(graph, 1000, 2, centre);
        let homes = points_within(graph, 10_000, 3, centre);
        group.bench_function(BenchmarkId::new("all_catchments_elderly_15min_every_core", name), |b| {
            use rayon::prelude::*;
            let area_m2 =
                |s: &Coord<f64>| catchment(graph, &settings, "elderly", &[*s], 15.0).unwrap().area_m2;
            b.iter(|| black_box(sites.par_iter().map(area_m2).sum::<f64>()))
        });
        group.bench_function(BenchmarkId::new("coverage_of_10000_points_elderly_15min", name), |b| {
            b.iter(|| {
                let reached = coverage::reached(graph, &settings, "elderly", &sites, &homes, 15.0).unwrap();
                black_box(reached.minutes.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, import, searches, graph_size, city_scale);
criterion_main!(benches);
