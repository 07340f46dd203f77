"""Independent reachability for the network tests: networkx's Dijkstra over the edge list the test
exports. Reads {"edges": [[a, b, minutes], ...], "sources": [...], "budget": m} on stdin and writes
{source: {node: minutes}} for every node within the budget."""
import json
import sys

import networkx as nx

job = json.load(sys.stdin)
graph = nx.MultiGraph()
graph.add_nodes_from(job["sources"])
graph.add_weighted_edges_from(job["edges"])
out = {}
for source in job["sources"]:
    lengths = nx.single_source_dijkstra_path_length(graph, source, cutoff=job["budget"], weight="weight")
    out[str(source)] = {str(node): minutes for node, minutes in lengths.items()}
json.dump(out, sys.stdout)
