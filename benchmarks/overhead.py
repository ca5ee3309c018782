"""Per-op overhead: chains of small ops, forward and forward+backward, in microseconds per op.

minidl against PyTorch (eager, CPU, one thread; skipped when not installed) and raw NumPy
(forward only: no graph, no gradients), all measured in this one run. Each chain's body is
written once and run by all three libraries. The target: minidl's forward+backward cost per
op at most 1.5x PyTorch's.

    python benchmarks/overhead.py [--ops 1500] [--size 16] [--repeat 9]
"""

from __future__ import annotations

import argparse
import timeit

import numpy

import minidl


def elementwise_step(lib, x, w, b):
    """Three element-wise ops with constants: mul, add, tanh."""
    return lib.tanh(x * 0.9 + 0.1)


def layer_step(lib, x, w, b):
    """A small layer with learnable weight and bias: matmul, add (bias broadcast over the batch), tanh."""
    return lib.tanh(x @ w + b)


CHAINS = {"x * 0.9 + 0.1 -> tanh": elementwise_step, "x @ w + b -> tanh": layer_step}
OPS_PER_STEP = 3


def run_chain(lib, step, x, w, b, steps):
    for _ in range(steps):
        x = step(lib, x, w, b)
    return x.sum()


def best_microseconds_per_op(run, ops: int, repeat: int) -> float:
    """Fastest of `repeat` runs (the least disturbed by the rest of the machine), per op."""
    return min(timeit.repeat(run, number=1, repeat=repeat)) / ops * 1e6


def measure(lib, make_leaf, step, arrays, steps, ops, repeat, backward=True):
    """(forward, forward+backward) microseconds per op for one library."""

    def forward():
        return run_chain(lib, step, *(make_leaf(a) for a in arrays), steps)

    forward_us = best_microseconds_per_op(forward, ops, repeat)
    both_us = best_microseconds_per_op(lambda: forward().backward(), ops, repeat) if backward else None
    return forward_us, both_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1500, help="ops in each chain")
    parser.add_argument("--size", type=int, default=16, help="x is 4 x size, w is size x size")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    steps = args.ops // OPS_PER_STEP
    ops = steps * OPS_PER_STEP + 1  # + the final sum
    rng = numpy.random.default_rng(0)
    arrays = [
        rng.standard_normal((4, args.size)).astype(numpy.float32),  # a batch of 4
        (rng.standard_normal((args.size, args.size)) / args.size).astype(numpy.float32),
        rng.standard_normal(args.size).astype(numpy.float32),
    ]
    libraries = {
        "numpy": (numpy, lambda a: a, False),
        "minidl": (minidl, lambda a: minidl.tensor(a, requires_grad=True), True),
    }
    try:
        import torch

        torch.set_num_threads(1)
        libraries["pytorch"] = (torch, lambda a: torch.tensor(a, requires_grad=True), True)
    except ImportError:
        print("PyTorch is not installed (`pip install torch`): no ratios against it")

    print(f"chains of {ops} ops on float32 tensors of 4 x {args.size}, best of {args.repeat}; us per op")
    for chain, step in CHAINS.items():
        results = {
            name: measure(lib, make_leaf, step, arrays, steps, ops, args.repeat, backward)
            for name, (lib, make_leaf, backward) in libraries.items()
        }
        print(f"\n{chain}\n{'':10}{'forward':>10}{'fwd+bwd':>10}")
        for name, (forward, both) in results.items():
            print(f"{name:10}{forward:10.2f}{'-' if both is None else f'{both:.2f}':>10}")
        print(f"minidl / numpy,   forward:          {results['minidl'][0] / results['numpy'][0]:5.2f}x")
        if "pytorch" in results:
            ratio = results["minidl"][1] / results["pytorch"][1]
            verdict = "meets" if ratio <= 1.5 else "misses"
            print(f"minidl / pytorch, forward:          {results['minidl'][0] / results['pytorch'][0]:5.2f}x")
            print(f"minidl / pytorch, forward+backward: {ratio:5.2f}x  ({verdict} the 1.5x target)")


if __name__ == "__main__":
    main()
