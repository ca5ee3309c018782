"""Static graphs, hands on: trace a model, check the graph against eager execution, and watch
the passes shrink a graph.     python examples/static_graph.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

import minidl
import minidl.nn.functional as F
from minidl import graph as G

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import models  # noqa: E402  (the MLP and LeNet of the benchmarks)


def messy(x, w):
    """A function written carelessly, as programs are: every pass has something to remove."""
    scale = minidl.tensor(2.0) * 3.0  # only constants: computed once, when folding
    a = (x @ w * scale + 1.0).tanh()
    b = (x @ w * scale + 1.0).tanh()  # the very same as a: common subexpression
    unused = (x.exp() * 2).sum()  # noqa: F841  nothing returned needs it: dead code
    return (a + b).relu().sum(dim=1)  # a chain of element-wise ops: fused


def passes_demo() -> None:
    minidl.manual_seed(0)
    x, w = minidl.randn(4, 3), minidl.randn(3, 5, requires_grad=True)
    graph = G.trace(lambda x: messy(x, w), x, variables={"w": w})
    print(graph, "\n")
    smaller = graph
    print(f"{'traced':24}{len(graph):3} nodes")
    for apply in (G.dead_code_elimination, G.constant_folding, G.common_subexpressions, G.fuse_elementwise):
        smaller = apply(smaller)
        same = np.array_equal(smaller.run(x).numpy(), graph.run(x).numpy())
        print(f"{apply.__name__:24}{len(smaller):3} nodes   results identical: {same}")
    print("\n", smaller, sep="")


def models_demo() -> None:
    minidl.manual_seed(0)
    images = minidl.randn(64, 1, 28, 28)
    labels = minidl.randint(0, 10, (64,))
    for name in ("mlp", "lenet"):
        model = getattr(models, name)(minidl)
        x = images.reshape(64, -1) if name == "mlp" else images
        graph = G.trace(lambda x, y, model=model: F.cross_entropy(model(x), y), x, labels,
                        variables=dict(model.named_parameters()))
        eager = F.cross_entropy(model(x), labels)
        eager.backward()
        grads = graph.grad().run(x, labels)
        worst = max(float(np.abs(g.numpy() - p.grad.numpy()).max()) for g, p in zip(grads, model.parameters()))
        print(f"{name:6} {len(graph):3} nodes, |run - eager| = {abs(graph.run(x, labels).item() - eager.item()):.1e}, "
              f"gradient graph {len(graph.grad()):3} nodes, max |grad - eager grad| = {worst:.1e}")


def control_flow_demo() -> None:
    def clipped(x):
        if x.sum() > 0:  # Python decides, once, while tracing
            return x * 2
        return -x

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph = G.trace(clipped, minidl.ones(3))
    print(f"warning: {caught[0].message}")
    negative = -minidl.ones(3)
    print(f"eager  clipped(-1s) = {clipped(negative).tolist()}")
    print(f"traced graph(-1s)   = {graph.run(negative).tolist()}   (the branch taken while tracing)")


if __name__ == "__main__":
    passes_demo()
    print()
    models_demo()
    print()
    control_flow_demo()
