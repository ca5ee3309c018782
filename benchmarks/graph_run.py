"""Eager versus traced execution of the MLP forward (784-256-256-10), as ratios in one run.

eager           model(x) under no_grad: every op goes through Function.__call__ and makes a Tensor
graph.run       the traced graph: each node's forward on raw arrays, no Tensor in between
optimized.run   the same after minidl.graph.optimize (dead code, folding, CSE, fusion)

At batch 128 the matrix products dominate and all three cost about the same; at batch 1 the
per-op overhead is what is left, which is what a static graph saves.

    python benchmarks/graph_run.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import statistics
import time

import models
import numpy as np

import minidl


def per_call(fn, repeat: int) -> float:
    """Median seconds of one call, over `repeat` calls after 10 to warm up."""
    for _ in range(10):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    minidl.manual_seed(0)
    model = models.mlp(minidl)
    print(f"{'batch':>5}{'eager us':>10}{'graph.run':>11}{'optimized':>11}{'eager/optimized':>17}  nodes")
    for batch in (1, 16, 128):
        seconds, nodes = measure(model, minidl.randn(batch, 784), args.repeat)
        print(f"{batch:5}" + "".join(f"{s * 1e6:10.1f} " for s in seconds)
              + f"{seconds[0] / seconds[2]:15.2f}x  {nodes}")


def measure(model, x, repeat: int):
    """(seconds per call of eager, graph.run and optimized.run; node counts before -> after)."""
    graph = minidl.graph.trace(model, x)
    optimized = minidl.graph.optimize(graph)
    with minidl.no_grad():
        eager_out = model(x).numpy()
    assert np.abs(optimized.run(x).numpy() - eager_out).max() <= 1e-6

    def eager():
        with minidl.no_grad():
            model(x)

    seconds = [per_call(fn, repeat) for fn in (eager, lambda: graph.run(x), lambda: optimized.run(x))]
    return seconds, f"{len(graph)} -> {len(optimized)}"

if __name__ == "__main__":
    main()
