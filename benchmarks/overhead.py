"""Per-op overhead: a chain of small ops, forward and forward+backward, in microseconds per op.

minidl against PyTorch (eager, CPU; skipped when not installed) and raw NumPy (forward only,
no graph), all measured in this one run. The target: minidl's forward+backward cost per op
at most 1.5x PyTorch's.

    python benchmarks/overhead.py [--ops 1000] [--size 16] [--repeat 7]
"""

from __future__ import annotations

import argparse
import timeit

import numpy

import minidl

# One step of the chain: three ops (mul, add, tanh), as in a small layer.
STEP_OPS = 3


def numpy_forward(x, steps):
    for _ in range(steps):
        x = numpy.tanh(x * 0.9 + 0.1)
    return x.sum()


def minidl_forward(x, steps):
    for _ in range(steps):
        x = minidl.tanh(x * 0.9 + 0.1)
    return x.sum()


def torch_forward(torch, x, steps):
    for _ in range(steps):
        x = torch.tanh(x * 0.9 + 0.1)
    return x.sum()


def best_microseconds_per_op(run, ops: int, repeat: int) -> float:
    """Fastest of `repeat` runs (the least disturbed by the rest of the machine), per op."""
    return min(timeit.repeat(run, number=1, repeat=repeat)) / ops * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1500, help="ops in the chain")
    parser.add_argument("--size", type=int, default=16, help="elements per tensor")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    steps = args.ops // STEP_OPS
    ops = steps * STEP_OPS + 1  # + the final sum
    data = numpy.random.default_rng(0).standard_normal(args.size).astype(numpy.float32)

    def minidl_both():
        x = minidl.tensor(data, requires_grad=True)
        minidl_forward(x, steps).backward()

    def minidl_fwd():
        minidl_forward(minidl.tensor(data, requires_grad=True), steps)

    results = {
        "numpy": (best_microseconds_per_op(lambda: numpy_forward(data, steps), ops, args.repeat), None),
        "minidl": (
            best_microseconds_per_op(minidl_fwd, ops, args.repeat),
            best_microseconds_per_op(minidl_both, ops, args.repeat),
        ),
    }
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)

        def torch_fwd():
            torch_forward(torch, torch.tensor(data, requires_grad=True), steps)

        def torch_both():
            x = torch.tensor(data, requires_grad=True)
            torch_forward(torch, x, steps).backward()

        results["pytorch"] = (
            best_microseconds_per_op(torch_fwd, ops, args.repeat),
            best_microseconds_per_op(torch_both, ops, args.repeat),
        )

    print(f"chain of {ops} ops on float32 tensors of {args.size} elements (best of {args.repeat})")
    print(f"{'':10}{'forward us/op':>16}{'fwd+bwd us/op':>16}")
    for name, (forward, both) in results.items():
        both_text = f"{both:16.2f}" if both is not None else f"{'-':>16}"
        print(f"{name:10}{forward:16.2f}{both_text}")
    if torch is not None:
        ratio = results["minidl"][1] / results["pytorch"][1]
        verdict = "meets" if ratio <= 1.5 else "misses"
        print(f"minidl / pytorch, forward:          {results['minidl'][0] / results['pytorch'][0]:.2f}x")
        print(f"minidl / pytorch, forward+backward: {ratio:.2f}x  ({verdict} the 1.5x target)")
    else:
        print("PyTorch is not installed: `pip install torch` to compare against it")
    print(f"minidl / numpy, forward:            {results['minidl'][0] / results['numpy'][0]:.2f}x")


if __name__ == "__main__":
    main()
