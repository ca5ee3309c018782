"""Graph passes: each takes a Graph and returns a smaller one that computes the same outputs.

Apply them one at a time and print `len(graph)` between them to watch the graph shrink:

    dead_code_elimination       drop nodes no output depends on
    constant_folding            compute, once, the nodes whose inputs are all constants
    common_subexpressions       run identical nodes (same op, attributes and inputs) once
    fuse_elementwise            merge chains of element-wise ops into one node, run as one call

This is what a define-then-run framework can do because it sees the whole program before
running it; an eager (define-by-run) framework meets each op only as it runs.
"""

from __future__ import annotations

from collections import Counter

from minidl.autograd import Function
from minidl.backend import as_array, is_array
from minidl.graph.graph import Graph
from minidl.graph.ir import Node, Saved, Var, as_tuple, map_leaves
from minidl.ops import arithmetic, comparison, elementwise

__all__ = ["ELEMENTWISE", "Fused", "common_subexpressions", "constant_folding", "dead_code_elimination",
           "fuse_elementwise", "optimize"]


def dead_code_elimination(graph: Graph) -> Graph:
    """Keep only the nodes (and constants and variables) that the outputs depend on."""
    return _without_unused_values(graph.replace(nodes=graph.needed_for(graph.outputs)))


def constant_folding(graph: Graph) -> Graph:
    """Run now every node that reads only constants; its outputs become constants.

    Variables are not constants: training changes them between runs.
    """
    constants, nodes = dict(graph.constants), []
    read_saved = _read_saved(graph)
    for node in graph.nodes:
        if node not in read_saved and node.uses() and all(var in constants for var in node.uses()):
            op = node.make(constants.__getitem__, {})
            results = as_tuple(op.forward(*[constants[var] for var in node.inputs]))
            constants.update(zip(node.outputs, [as_array(r) for r in results]))  # NumPy gives 0-d results as scalars
        else:
            nodes.append(node)
    return _without_unused_values(graph.replace(nodes=nodes, constants=constants))


def common_subexpressions(graph: Graph) -> Graph:
    """Compute each distinct (op, attributes, inputs) once; later copies reuse the first result.

    Small constants with equal values count as the same value (two `x > 0` share their 0).
    """
    renamed: dict = {}  # a duplicate's outputs -> the first one's; a rewritten node -> its new self
    by_value: dict = {}
    for var, array in graph.constants.items():
        if array.size <= 64:
            kept = by_value.setdefault((array.dtype.str, array.shape, array.tobytes()), var)
            if kept is not var:
                renamed[var] = kept
    first: dict = {}
    nodes = []
    for node in graph.nodes:
        new = _with_inputs(node, renamed)
        key = (new.function, _key(new.attributes), tuple(new.inputs))
        if key in first:
            renamed.update(zip(new.outputs, first[key].outputs))
            new = first[key]
        else:
            first[key] = new
            nodes.append(new)
        if new is not node:
            renamed[node] = new
    return graph.replace(nodes=nodes, outputs=[renamed.get(v, v) for v in graph.outputs],
                         constants={v: a for v, a in graph.constants.items() if v not in renamed})


# The ops that work element by element (with broadcasting): what fuse_elementwise may merge.
ELEMENTWISE = {
    arithmetic.Add, arithmetic.Sub, arithmetic.Mul, arithmetic.Div, arithmetic.Neg, arithmetic.Pow,
    elementwise.Exp, elementwise.Log, elementwise.Sqrt, elementwise.Abs, elementwise.Erf, elementwise.Tanh,
    elementwise.Sigmoid, elementwise.ReLU, elementwise.Maximum, elementwise.Minimum, elementwise.Clip,
    elementwise.Where, comparison.Ufunc,
}


class Fused(Function):
    """A chain of element-wise nodes run as one op: one call, no values kept in between."""

    label = "fused"

    def __init__(self, body: FusedBody):
        self.body = body

    def forward(self, *arrays):
        values = dict(zip(self.body.inputs, arrays))
        for node in self.body.nodes:
            op = node.make(values.__getitem__, {})
            values[node.outputs[0]] = op.forward(*[values[var] for var in node.inputs])
        return values[self.body.nodes[-1].outputs[0]]

    def backward(self, grad):
        raise RuntimeError("fused: a fused node has no backward rule; differentiate the graph before fusing it")


class FusedBody:
    """The nodes a Fused op runs, in order, and the outside values they read."""

    def __init__(self, nodes: list[Node], inputs: list[Var]):
        self.nodes, self.inputs = nodes, inputs

    def __repr__(self) -> str:
        return " -> ".join(node.label for node in self.nodes)


def fuse_elementwise(graph: Graph) -> Graph:
    """Merge each chain of element-wise nodes, where every value inside the chain is used only
    by the next node of the chain, into one Fused node."""
    uses = Counter(var for node in graph.nodes for var in node.uses())
    uses.update(graph.outputs)
    producer = {var: node for node in graph.nodes for var in node.outputs}
    read_saved = _read_saved(graph)
    group = {}  # node -> the list of nodes fused with it (shared by all of them)
    for node in graph.nodes:
        if node.function not in ELEMENTWISE or node.saved_from() or node in read_saved:
            continue
        members = [node]
        for var in node.inputs:
            before = producer.get(var)
            if before in group and uses[var] == 1:
                members = group[before] + members
        for member in members:
            group[member] = members
    nodes = []
    for node in graph.nodes:
        members = group.get(node)
        if members is None or len(members) == 1:
            nodes.append(node)
        elif node is members[-1]:  # the chain's last node: all of it runs here
            members.sort(key=graph.nodes.index)
            inside = {var for member in members for var in member.outputs}
            outside = list(dict.fromkeys(v for m in members for v in m.uses() if v not in inside))
            nodes.append(Node(Fused, {"body": FusedBody(members, outside)}, outside, node.outputs, node.scope))
    return graph.replace(nodes=nodes)


def optimize(graph: Graph, verbose: bool = False) -> Graph:
    """All passes, in an order where each helps the next; with verbose, print the node count
    after each one."""
    if verbose:
        print(f"{'traced':24}{len(graph):4} nodes")
    for apply in (dead_code_elimination, constant_folding, common_subexpressions, fuse_elementwise):
        graph = apply(graph)
        if verbose:
            print(f"{apply.__name__:24}{len(graph):4} nodes")
    return graph


def _without_unused_values(graph: Graph) -> Graph:
    """The graph without the constants and variables that no node and no output reads."""
    used = set(graph.outputs) | {var for node in graph.nodes for var in node.uses()}
    return graph.replace(constants={v: a for v, a in graph.constants.items() if v in used},
                         variables={v: t for v, t in graph.variables.items() if v in used})


def _read_saved(graph: Graph) -> set[Node]:
    """The nodes whose saved arrays a later node reads (they must run as themselves)."""
    return {source for node in graph.nodes for source in node.saved_from()}


def _with_inputs(node: Node, renamed: dict) -> Node:
    """The node reading renamed values (and saved arrays of rewritten nodes), or the node
    itself if it reads none of those."""
    if not any(var in renamed for var in node.uses()) and not any(n in renamed for n in node.saved_from()):
        return node
    attributes = {k: map_leaves(v, lambda leaf: _rename(leaf, renamed)) for k, v in node.attributes.items()}
    return Node(node.function, attributes, [renamed.get(v, v) for v in node.inputs], node.outputs, node.scope)


def _rename(leaf, renamed):
    if isinstance(leaf, Var):
        return renamed.get(leaf, leaf)
    if isinstance(leaf, Saved):
        return Saved(renamed.get(leaf.node, leaf.node), leaf.attribute)
    return leaf


def _key(value):
    """A hashable stand-in for an attribute: arrays by identity, containers by their parts."""
    if is_array(value):
        return ("array", id(value))
    if isinstance(value, dict):
        return tuple((k, _key(v)) for k, v in sorted(value.items()))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, *[_key(v) for v in value])
    try:
        hash(value)
    except TypeError:
        return ("object", id(value))
    return value

