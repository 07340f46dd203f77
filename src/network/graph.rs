//! The walking graph: nodes at junctions and dead ends, undirected edges carrying their full street
//! geometry. Geometry is stored in EPSG:4326; lengths are geodesic metres (haversine). Snapping and
//! buffering work in a local equirectangular projection in metres ([`LocalMetres`]), centred on the
//! network, which is within 0.5 % of true distance over a city.

use super::pieces::Pieces;
use geo::{Coord, Distance, Haversine, Line, LineString, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A local equirectangular projection: x east and y north in metres from a reference latitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalMetres {
    cos_lat0: f64,
}

impl LocalMetres {
    /// Centred on latitude `lat0` (degrees).
    pub fn new(lat0: f64) -> Self {
        LocalMetres { cos_lat0: lat0.to_radians().cos() }
    }

    /// Lon/lat (degrees) to metres.
    pub fn project(&self, c: Coord<f64>) -> Coord<f64> {
        Coord { x: c.x.to_radians() * EARTH_RADIUS_M * self.cos_lat0, y: c.y.to_radians() * EARTH_RADIUS_M }
    }

    /// Metres back to lon/lat (degrees).
    pub fn unproject(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x / (EARTH_RADIUS_M * self.cos_lat0)).to_degrees(),
            y: (c.y / EARTH_RADIUS_M).to_degrees(),
        }
    }
}

/// An edge as built: two node indexes and the street between them.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeData {
    pub a: u32,
    pub b: u32,
    /// From node `a` to node `b`, both included (EPSG:4326).
    pub geometry: LineString<f64>,
    /// A flight of steps: slow for older people, impassable in a wheelchair.
    pub steps: bool,
    /// The OSM `highway` value (or the source file's road class).
    pub highway: String,
    /// The OSM way it came from, when known.
    pub way_id: Option<i64>,
}

/// A stored edge with its measured length.
#[derive(Debug, Clone)]
pub struct Edge {
    pub data: EdgeData,
    /// Geodesic length in metres.
    pub length_m: f64,
    /// Geodesic distance from node `a` to each vertex, in metres (first 0, last `length_m`).
    cumulative_m: Vec<f64>,
    /// The geometry in the graph's local metres, kept so that buffering reached streets projects
    /// nothing per search.
    local: Vec<Coord<f64>>,
}

impl Edge {
    fn new(data: EdgeData, proj: &LocalMetres) -> Self {
        let mut cumulative_m = Vec::with_capacity(data.geometry.0.len());
        let mut total = 0.0;
        cumulative_m.push(0.0);
        for w in data.geometry.0.windows(2) {
            total += Haversine.distance(Point(w[0]), Point(w[1]));
            cumulative_m.push(total);
        }
        let local = data.geometry.0.iter().map(|c| proj.project(*c)).collect();
        Edge { data, length_m: total, cumulative_m, local }
    }

    /// Adds the part of the edge between `from_m` and `to_m` metres from node `a`, in local metres,
    /// to `out`.
    pub fn piece_into(&self, from_m: f64, to_m: f64, out: &mut Pieces) {
        if from_m <= 0.0 && to_m >= self.length_m {
            out.push(&self.local);
            return;
        }
        let at = |d: f64| -> Coord<f64> {
            let d = d.clamp(0.0, self.length_m);
            let i = self.cumulative_m.partition_point(|c| *c <= d).clamp(1, self.local.len() - 1);
            let (c0, c1) = (self.cumulative_m[i - 1], self.cumulative_m[i]);
            let t = if c1 > c0 { (d - c0) / (c1 - c0) } else { 0.0 };
            let (p, q) = (self.local[i - 1], self.local[i]);
            Coord { x: p.x + (q.x - p.x) * t, y: p.y + (q.y - p.y) * t }
        };
        let inner = self.cumulative_m.iter().zip(&self.local).filter(|(m, _)| **m > from_m && **m < to_m);
        out.push_with(std::iter::once(at(from_m)).chain(inner.map(|(_, c)| *c)).chain([at(to_m)]));
    }

    /// Metres from node `a` to the point at fraction `t` of segment `segment`.
    pub fn along(&self, segment: usize, t: f64) -> f64 {
        let (c0, c1) = (self.cumulative_m[segment], self.cumulative_m[segment + 1]);
        c0 + (c1 - c0) * t
    }
}

/// A segment of an edge in the snapping index, in local metres.
pub type SegmentEntry = GeomWithData<Line<f64>, (u32, u32)>;

/// Connected parts of the graph, for one way of treating steps.
#[derive(Debug, Clone)]
pub struct Components {
    /// Component of each node (`u32::MAX` for a node with no usable edge).
    pub of_node: Vec<u32>,
    /// Nodes per component.
    pub sizes: Vec<u32>,
}

impl Components {
    /// Whether a component is large enough to be a place people can walk from and to: the largest,
    /// or one with at least `min_nodes` nodes. Small islands — a footpath loop in a park mapped
    /// without its entrance — would otherwise trap a site or a home.
    pub fn usable(&self, component: u32, min_nodes: u32) -> bool {
        let size = self.sizes.get(component as usize).copied().unwrap_or(0);
        size >= min_nodes || Some(size) == self.sizes.iter().max().copied()
    }
}

/// An edge as seen from one of its ends, with what a search weighs it by.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub edge: u32,
    /// The node at the edge's other end.
    pub other: u32,
    pub length_m: f64,
    pub steps: bool,
}

/// The walking graph with its adjacency, snapping index and components.
pub struct Graph {
    nodes: Vec<Coord<f64>>,
    edges: Vec<Edge>,
    /// CSR adjacency: the links of node `n` are `adjacency[offsets[n]..offsets[n+1]]`.
    offsets: Vec<u32>,
    adjacency: Vec<Link>,
    segments: RTree<SegmentEntry>,
    proj: LocalMetres,
    /// Components using every edge, and using no steps.
    pub components_all: Components,
    pub components_no_steps: Components,
}

impl Graph {
    /// Builds the graph from node positions (EPSG:4326) and edges between them.
    pub fn new(nodes: Vec<Coord<f64>>, edges: Vec<EdgeData>) -> Self {
        let lat0 =
            if nodes.is_empty() { 0.0 } else { nodes.iter().map(|c| c.y).sum::<f64>() / nodes.len() as f64 };
        let proj = LocalMetres::new(lat0);
        let edges: Vec<Edge> = edges.into_iter().map(|e| Edge::new(e, &proj)).collect();
        let mut degree = vec![0u32; nodes.len() + 1];
        for e in &edges {
            degree[e.data.a as usize] += 1;
            degree[e.data.b as usize] += 1;
        }
        let mut offsets = Vec::with_capacity(nodes.len() + 1);
        let mut acc = 0;
        for d in &degree[..nodes.len()] {
            offsets.push(acc);
            acc += d;
        }
        offsets.push(acc);
        let mut fill = offsets.clone();
        let mut adjacency = vec![Link { edge: 0, other: 0, length_m: 0.0, steps: false }; acc as usize];
        for (i, e) in edges.iter().enumerate() {
            let (a, b) = (e.data.a as usize, e.data.b as usize);
            let link = |other| Link { edge: i as u32, other, length_m: e.length_m, steps: e.data.steps };
            adjacency[fill[a] as usize] = link(e.data.b);
            fill[a] += 1;
            adjacency[fill[b] as usize] = link(e.data.a);
            fill[b] += 1;
        }
        let segments = RTree::bulk_load(
            edges
                .iter()
                .enumerate()
                .flat_map(|(i, e)| {
                    e.local
                        .windows(2)
                        .enumerate()
                        .map(move |(k, w)| GeomWithData::new(Line::new(w[0], w[1]), (i as u32, k as u32)))
                })
                .collect(),
        );
        let mut graph = Graph {
            nodes,
            edges,
            offsets,
            adjacency,
            segments,
            proj,
            components_all: Components { of_node: vec![], sizes: vec![] },
            components_no_steps: Components { of_node: vec![], sizes: vec![] },
        };
        graph.components_all = graph.components(|_| true);
        graph.components_no_steps = graph.components(|e| !e.data.steps);
        graph
    }

    fn components(&self, usable: impl Fn(&Edge) -> bool) -> Components {
        let mut of_node = vec![u32::MAX; self.nodes.len()];
        let mut sizes = Vec::new();
        let mut stack = Vec::new();
        for start in 0..self.nodes.len() {
            if of_node[start] != u32::MAX
                || !self.neighbours(start as u32).any(|(e, _)| usable(&self.edges[e as usize]))
            {
                continue;
            }
            let id = sizes.len() as u32;
            let mut size = 0;
            of_node[start] = id;
            stack.push(start as u32);
            while let Some(n) = stack.pop() {
                size += 1;
                for (e, m) in self.neighbours(n) {
                    if usable(&self.edges[e as usize]) && of_node[m as usize] == u32::MAX {
                        of_node[m as usize] = id;
                        stack.push(m);
                    }
                }
            }
            sizes.push(size);
        }
        Components { of_node, sizes }
    }

    /// Node positions (EPSG:4326).
    pub fn nodes(&self) -> &[Coord<f64>] {
        &self.nodes
    }

    /// All edges.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// One edge.
    pub fn edge(&self, i: u32) -> &Edge {
        &self.edges[i as usize]
    }

    /// The (edge, other node) pairs at node `n`.
    pub fn neighbours(&self, n: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let (s, e) = (self.offsets[n as usize] as usize, self.offsets[n as usize + 1] as usize);
        self.adjacency[s..e].iter().map(|link| (link.edge, link.other))
    }

    /// The links at node `n`: what a search needs of each edge, without reaching for the edge.
    pub fn links(&self, n: u32) -> &[Link] {
        &self.adjacency[self.offsets[n as usize] as usize..self.offsets[n as usize + 1] as usize]
    }

    /// The projection used for snapping and polygons.
    pub fn projection(&self) -> &LocalMetres {
        &self.proj
    }

    /// The snapping index of edge segments, in local metres.
    pub fn segments(&self) -> &RTree<SegmentEntry> {
        &self.segments
    }

    /// The lon/lat box around every street, read from the snapping index's root (no edge is
    /// visited); the projection keeps boxes axis-aligned, so its corners are the box's.
    pub fn extent(&self) -> Option<geo::Rect<f64>> {
        (self.segments.size() > 0).then(|| {
            let e = self.segments.root().envelope();
            geo::Rect::new(self.proj.unproject(e.lower().0), self.proj.unproject(e.upper().0))
        })
    }

    /// Edges with a segment inside the lon/lat box `[min, max]`, each once, in index order.
    pub fn edges_in(&self, min: Coord<f64>, max: Coord<f64>) -> Vec<u32> {
        let (a, b) = (self.proj.project(min), self.proj.project(max));
        let envelope = rstar::AABB::from_corners(Point(a), Point(b));
        let mut found: Vec<u32> =
            self.segments.locate_in_envelope_intersecting(&envelope).map(|s| s.data.0).collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Approximate heap size in bytes, for the benchmarks' memory figure.
    pub fn heap_bytes(&self) -> usize {
        let coords: usize =
            self.edges.iter().map(|e| e.data.geometry.0.len() * (16 + 8 + 16) + e.data.highway.len()).sum();
        self.nodes.len() * 16
            + self.edges.len() * std::mem::size_of::<Edge>()
            + coords
            + self.adjacency.len() * std::mem::size_of::<Link>()
            + self.offsets.len() * 4
            + self.segments.size() * std::mem::size_of::<SegmentEntry>() * 2
            + (self.components_all.of_node.len() + self.components_no_steps.of_node.len()) * 4
    }
}
