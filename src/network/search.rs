//! Time-budgeted Dijkstra over the walking graph, from one or many snapped points, and what it
//! reached: node times, the time to any other snapped point, and the reached pieces of street
//! (edges cut where the budget runs out). Times are minutes; pieces are in local metres. A search
//! sets and clears the times of the nodes it reaches only, so it costs what a walk reaches — the
//! same in a city ten times larger — never the size of the whole graph.

use super::pieces::Pieces;
use super::spare::Spare;
use super::{Graph, Profile, Snap};
use foldhash::HashMap;
use geo::Coord;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Minutes to each node a search reached; every other node is out of reach. Kept in an array as
/// long as the graph, taken from a pool of spare arrays and handed back with only the entries the
/// search set put back, so a search never fills or clears an array the size of the whole graph.
#[derive(Debug)]
pub struct NodeTimes {
    times: Vec<f64>,
    /// The nodes whose time was set, each once.
    touched: Vec<u32>,
}

/// Time arrays of finished searches, every entry back at infinity: enough for the searches that
/// run at once on a few cores.
static SPARE: Spare<f64> = Spare::new(16, usize::MAX);

impl NodeTimes {
    /// No node reached yet, for a graph of `nodes` nodes.
    fn for_graph(nodes: usize) -> Self {
        let mut times = SPARE.take();
        if times.len() < nodes {
            times.resize(nodes, f64::INFINITY);
        }
        NodeTimes { times, touched: Vec::new() }
    }

    /// Minutes to node `n`; `f64::INFINITY` when it was not reached.
    pub fn get(&self, n: u32) -> f64 {
        self.times[n as usize]
    }

    fn set(&mut self, n: u32, minutes: f64) {
        if self.times[n as usize].is_infinite() {
            self.touched.push(n);
        }
        self.times[n as usize] = minutes;
    }

    /// The nodes reached and their minutes, in node order.
    fn sorted(&self) -> Vec<(u32, f64)> {
        let mut all: Vec<(u32, f64)> = self.touched.iter().map(|&n| (n, self.get(n))).collect();
        all.sort_by_key(|(n, _)| *n);
        all
    }
}

impl PartialEq for NodeTimes {
    fn eq(&self, other: &Self) -> bool {
        self.sorted() == other.sorted()
    }
}

impl Drop for NodeTimes {
    fn drop(&mut self) {
        for &n in &self.touched {
            self.times[n as usize] = f64::INFINITY;
        }
        SPARE.give_back(std::mem::take(&mut self.times));
    }
}

#[derive(PartialEq)]
struct Queued(f64, u32);

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    // Reversed: BinaryHeap is a max-heap and the nearest node must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then_with(|| other.1.cmp(&self.1))
    }
}

/// Minutes from the seeds to every node reached within `budget`, and the nodes in the order they
/// were settled.
pub fn dijkstra(
    graph: &Graph,
    profile: &Profile,
    seeds: impl IntoIterator<Item = (u32, f64)>,
    budget: f64,
) -> (NodeTimes, Vec<u32>) {
    let mut dist = NodeTimes::for_graph(graph.nodes().len());
    let mut heap = BinaryHeap::new();
    let improve = |dist: &mut NodeTimes, node: u32, cost: f64| {
        let improves = cost <= budget && cost < dist.get(node);
        if improves {
            dist.set(node, cost);
        }
        improves
    };
    for (node, cost) in seeds {
        if improve(&mut dist, node, cost) {
            heap.push(Queued(cost, node));
        }
    }
    let mut settled = Vec::new();
    while let Some(Queued(cost, node)) = heap.pop() {
        if cost > dist.get(node) {
            continue;
        }
        settled.push(node);
        for link in graph.links(node) {
            if !profile.can_use(link.steps) {
                continue;
            }
            let next = cost + profile.minutes(link.length_m, link.steps);
            if improve(&mut dist, link.other, next) {
                heap.push(Queued(next, link.other));
            }
        }
    }
    (dist, settled)
}

/// A start of a search: a snapped point and the minutes already spent reaching it.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub snap: Snap,
    pub start_minutes: f64,
}

impl Source {
    /// A point that walks to the network at the profile's flat speed.
    pub fn walking_from(snap: Snap, profile: &Profile) -> Self {
        Source { snap, start_minutes: profile.minutes(snap.walk_m, false) }
    }
}

/// The result of a search from one or many sources.
pub struct Reach<'g> {
    graph: &'g Graph,
    profile: &'g Profile,
    budget: f64,
    dist: NodeTimes,
    settled: Vec<u32>,
    sources: Vec<Source>,
    sources_on_edge: HashMap<u32, Vec<usize>>,
}

/// Searches from `sources` with a budget of `budget` minutes.
pub fn search<'g>(graph: &'g Graph, profile: &'g Profile, sources: Vec<Source>, budget: f64) -> Reach<'g> {
    let seeds: Vec<(u32, f64)> = sources
        .iter()
        .flat_map(|s| {
            let edge = graph.edge(s.snap.edge);
            let steps = edge.data.steps;
            [
                (edge.data.a, s.start_minutes + profile.minutes(s.snap.along_m, steps)),
                (edge.data.b, s.start_minutes + profile.minutes(edge.length_m - s.snap.along_m, steps)),
            ]
        })
        .collect();
    let (dist, settled) = dijkstra(graph, profile, seeds, budget);
    let mut sources_on_edge: HashMap<u32, Vec<usize>> = HashMap::default();
    for (i, s) in sources.iter().enumerate() {
        sources_on_edge.entry(s.snap.edge).or_default().push(i);
    }
    Reach { graph, profile, budget, dist, settled, sources, sources_on_edge }
}

impl Reach<'_> {
    /// Minutes from the nearest source to node `n`, if reached.
    pub fn node_minutes(&self, n: u32) -> Option<f64> {
        let d = self.dist.get(n);
        d.is_finite().then_some(d)
    }

    /// Nodes reached, in the order they were settled.
    pub fn reached_nodes(&self) -> &[u32] {
        &self.settled
    }

    /// Minutes from the nearest source to `target`, its own walk to the network included, if within
    /// the budget.
    pub fn minutes_to(&self, target: &Snap) -> Option<f64> {
        let edge = self.graph.edge(target.edge);
        let steps = edge.data.steps;
        let via_a = self.dist.get(edge.data.a) + self.profile.minutes(target.along_m, steps);
        let via_b = self.dist.get(edge.data.b) + self.profile.minutes(edge.length_m - target.along_m, steps);
        let along_edge = self.sources_on_edge.get(&target.edge).into_iter().flatten().map(|&i| {
            let s = &self.sources[i];
            s.start_minutes + self.profile.minutes((s.snap.along_m - target.along_m).abs(), steps)
        });
        let best = along_edge.fold(via_a.min(via_b), f64::min) + self.profile.minutes(target.walk_m, false);
        (best <= self.budget).then_some(best)
    }

    /// The reached parts of the network and the sources' walks to it, in local metres, with their total
    /// length in metres.
    pub fn pieces(&self) -> (Pieces, f64) {
        let proj = self.graph.projection();
        let mut pieces = Pieces::default();
        let mut length = 0.0;
        let mut intervals = Vec::new();
        self.each_reached_edge(|e| {
            self.reached_intervals(e, &mut intervals);
            for &(from, to) in &intervals {
                length += to - from;
                self.graph.edge(e).piece_into(from, to, &mut pieces);
            }
        });
        for s in &self.sources {
            // The walker starts at the point and heads for the street, as far as the budget allows.
            let fraction = if s.start_minutes > 0.0 { (self.budget / s.start_minutes).min(1.0) } else { 1.0 };
            if s.snap.walk_m > 0.0 {
                let (p, q) = (proj.project(s.snap.point), proj.project(s.snap.on_edge));
                let end = Coord { x: p.x + (q.x - p.x) * fraction, y: p.y + (q.y - p.y) * fraction };
                length += s.snap.walk_m * fraction;
                pieces.push(&[p, end]);
            }
        }
        (pieces, length)
    }

    /// Every edge reached at all, with its reached intervals in metres from node `a`.
    pub fn reached_edges(&self) -> Vec<(u32, Vec<(f64, f64)>)> {
        let mut reached = Vec::new();
        self.each_reached_edge(|e| {
            let mut intervals = Vec::new();
            self.reached_intervals(e, &mut intervals);
            if !intervals.is_empty() {
                reached.push((e, intervals));
            }
        });
        reached
    }

    /// Calls `f` once for every edge at a reached node or holding a source. Each edge is taken from its
    /// lower-numbered reached end, so no set of edges seen is needed; a loop is listed twice in a row
    /// at its one node (see [`Graph::new`]) and taken at the first listing.
    fn each_reached_edge(&self, mut f: impl FnMut(u32)) {
        for &n in &self.settled {
            let mut previous = None;
            for (e, other) in self.graph.neighbours(n) {
                let first_listing = previous != Some(e);
                previous = Some(e);
                let here =
                    if other == n { first_listing } else { n < other || self.dist.get(other).is_infinite() };
                if here {
                    f(e);
                }
            }
        }
        for &e in self.sources_on_edge.keys() {
            let edge = self.graph.edge(e);
            if self.dist.get(edge.data.a).is_infinite() && self.dist.get(edge.data.b).is_infinite() {
                f(e);
            }
        }
    }

    /// The merged intervals of edge `e` (metres from node `a`) reached within the budget, into
    /// `merged` (cleared first).
    fn reached_intervals(&self, e: u32, merged: &mut Vec<(f64, f64)>) {
        merged.clear();
        let edge = self.graph.edge(e);
        if !self.profile.can_use(edge.data.steps) {
            return;
        }
        let len = edge.length_m;
        let metres_in = |minutes: f64| (minutes / self.profile.minutes(1.0, edge.data.steps)).max(0.0);
        let spans = merged;
        let (da, db) = (self.dist.get(edge.data.a), self.dist.get(edge.data.b));
        if da <= self.budget {
            spans.push((0.0, metres_in(self.budget - da).min(len)));
        }
        if db <= self.budget {
            spans.push((len - metres_in(self.budget - db).min(len), len));
        }
        for &i in self.sources_on_edge.get(&e).into_iter().flatten() {
            let s = &self.sources[i];
            if s.start_minutes <= self.budget {
                let r = metres_in(self.budget - s.start_minutes);
                spans.push(((s.snap.along_m - r).max(0.0), (s.snap.along_m + r).min(len)));
            }
        }
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Merged in place: `kept` spans at the front are disjoint.
        let mut kept = 0;
        for k in 0..spans.len() {
            let (from, to) = spans[k];
            if kept > 0 && from <= spans[kept - 1].1 {
                spans[kept - 1].1 = spans[kept - 1].1.max(to);
            } else {
                spans[kept] = (from, to);
                kept += 1;
            }
        }
        spans.truncate(kept);
        spans.retain(|(from, to)| to > from);
    }
}
