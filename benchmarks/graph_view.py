"""How long GraphView takes to draw: the LeNet-style CNN's full training-step graph (target < 3 s).

Building the view runs the engine's backward once (through its hook) and `dot` once; a step
afterwards is only a restyle in the browser. Also a deep MLP, for a graph of ~1,500 nodes.
    python benchmarks/graph_view.py
"""

from __future__ import annotations

import time

import models

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from widgets import GraphView


def timed(title: str, make_loss, names: dict, **options) -> None:
    start = time.perf_counter()
    view = GraphView(make_loss(), names=names, **options)
    total = time.perf_counter() - start
    start = time.perf_counter()
    png = view.picture()
    picture = time.perf_counter() - start
    nodes = len(view.graph.ops) + len(view.graph.tensors)
    print(f"{title:44}{nodes:6} nodes{total:8.2f} s to build and lay out (dot {view.layout_seconds:.2f} s)"
          f"{picture:7.2f} s for the PNG ({len(png) // 1024} KiB)")


def main() -> None:
    minidl.manual_seed(0)
    lenet = models.lenet(minidl)
    x, y = minidl.randn(64, 1, 28, 28), minidl.randint(0, 10, (64,))
    names = dict(lenet.named_parameters())
    timed("LeNet training step (batch 64)", lambda: F.cross_entropy(lenet(x), y), names)
    timed("LeNet training step, values shown", lambda: F.cross_entropy(lenet(x), y), names, values=True)
    deep = nn.Sequential(*[layer for _ in range(150) for layer in (nn.Linear(16, 16), nn.Tanh())])
    timed("MLP of 150 Linear+Tanh layers", lambda: deep(minidl.randn(8, 16)).sum(), dict(deep.named_parameters()))


if __name__ == "__main__":
    main()
