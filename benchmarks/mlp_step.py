"""MLP 784-256-256-10, batch 128, SGD momentum 0.9: minidl's step time against PyTorch and NumPy by hand.

Target: at most 1.0x PyTorch's step time.    python benchmarks/mlp_step.py [--steps 100]
"""

from __future__ import annotations

import argparse

import models
import numpy_reference
from training_step import compare, mnist_batches

import minidl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    minidl.manual_seed(0)
    compare("MLP 784-256-256-10, batch 128", models.mlp(minidl), models.mlp, numpy_reference.MLP,
            mnist_batches(128, args.steps, flat=True))


if __name__ == "__main__":
    main()
