"""Static graphs beside the dynamic ones: trace, inspect, optimize, run and differentiate.

    graph = minidl.graph.trace(model, x)      # define: run once, record every op
    print(graph)                              # one line per node
    graph.run(x)                              # run: the same result as model(x)
    grads = graph.grad()                      # the backward pass, as a graph of its own
    small = minidl.graph.optimize(graph, verbose=True)

The ops are the eager engine's own: a node names the op class that eager execution calls.
"""

from minidl.graph.graph import Graph
from minidl.graph.ir import Node, Saved, Var
from minidl.graph.passes import (
    common_subexpressions,
    constant_folding,
    dead_code_elimination,
    fuse_elementwise,
    optimize,
)
from minidl.graph.tracing import TracerWarning, trace

__all__ = [
    "Graph",
    "Node",
    "Saved",
    "TracerWarning",
    "Var",
    "common_subexpressions",
    "constant_folding",
    "dead_code_elimination",
    "fuse_elementwise",
    "optimize",
    "trace",
]
