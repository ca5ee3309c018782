"""The articles' LeNet-style CNN, batch 64, SGD momentum 0.9: minidl's step time against PyTorch and NumPy.

Target: at most 2x PyTorch's step time (faster than NumPy im2col by hand).
    python benchmarks/lenet_step.py [--steps 100]
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
    compare("LeNet (conv5-pool-conv5-pool-fc120-fc84-fc10), batch 64", models.lenet(minidl), models.lenet,
            numpy_reference.LeNet, mnist_batches(64, args.steps, flat=False))


if __name__ == "__main__":
    main()
