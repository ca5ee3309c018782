"""A Graph as graphviz DOT source: render it with `dot -Tsvg` or the `graphviz` package."""

from __future__ import annotations

from collections import defaultdict

from minidl.graph.ir import show

__all__ = ["to_dot"]

# How each kind of value is drawn (graphviz node attributes).
STYLES = {
    "input": 'shape=ellipse, style=filled, fillcolor="#cfe8fc"',
    "variable": 'shape=box, style="filled", fillcolor="#fde9b5"',
    "constant": 'shape=box, style="filled,dashed", fillcolor="#eeeeee", fontsize=10',
    "op": 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
    "output": 'shape=ellipse, style=filled, fillcolor="#d5f5d5"',
}


def to_dot(graph) -> str:
    """Ops as rounded boxes and values as their endpoints; an edge per value read, labelled
    with its shape; the nodes of each module (and variables by their name) in a cluster."""
    ids = {}  # a graph element (Var or Node) -> its DOT node id
    clusters = defaultdict(list)  # scope -> DOT node lines

    def add(element, label: str, kind: str, scope: str = "") -> None:
        ids[element] = f"n{len(ids)}"
        clusters[scope].append(f'{ids[element]} [label="{_escape(label)}", {STYLES[kind]}]')

    for var in graph.inputs:
        add(var, f"{var.name}\n{var.type}", "input")
    for var in graph.variables:
        add(var, f"{var.name}\n{var.type}", "variable", var.name.rpartition(".")[0])
    for var, array in graph.constants.items():
        add(var, show(array) if array.size <= 4 else f"{var.name}\n{var.type}", "constant")
    producer = {}
    for node in graph.nodes:
        details = "\n".join(f"{k}={show(v)}" for k, v in node.shown_attributes().items())
        add(node, f"{node.label}\n{details}" if details else node.label, "op", node.scope)
        producer.update((var, node) for var in node.outputs)
    lines = ["digraph G {", "rankdir=TB;", 'node [fontname="Helvetica", fontsize=11];',
             'edge [fontname="Helvetica", fontsize=9, color="#555555"];']
    for scope, members in clusters.items():
        if scope:
            lines += [f'subgraph "cluster_{_escape(scope)}" {{', f'label="{_escape(scope)}";', 'style="rounded";',
                      'color="#999999";', *members, "}"]
        else:
            lines += members
    for node in graph.nodes:
        for var in dict.fromkeys(node.uses()):
            source = producer.get(var, var)
            lines.append(f'{ids[source]} -> {ids[node]} [label="{var.type}"]')
    for i, var in enumerate(graph.outputs):
        lines.append(f'out{i} [label="output {i}\\n{var.type}", {STYLES["output"]}]')
        lines.append(f"{ids[producer.get(var, var)]} -> out{i}")
    lines.append("}")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
