"""Random numbers: one seedable generator behind every random function and initializer.

`manual_seed(0)` makes everything random in minidl (rand, randn, weight initializers,
shuffling) repeat exactly. Numbers are drawn on the CPU with NumPy and then moved, so a
seed gives the same values on every device.
"""

from __future__ import annotations

import numpy

from minidl import dtypes
from minidl.backend import normalize_device, to_device
from minidl.creation import new_leaf, size_argument
from minidl.tensor import Tensor

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
]


class Generator:
    """A source of random numbers that can be seeded on its own (e.g. for a DataLoader)."""

    def __init__(self, seed: int | None = None):
        self.manual_seed(seed)

    def manual_seed(self, seed: int | None) -> Generator:
        self.seed = seed
        self.rng = numpy.random.default_rng(seed)
        return self

    def __repr__(self) -> str:
        return f"Generator(seed={self.seed})"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator, so that every random result after it repeats."""
    return default_generator.manual_seed(seed)


def _random_leaf(array, dtype, device, requires_grad: bool, op: str) -> Tensor:
    array = array.astype(dtype or dtypes.default_float, copy=False)
    if device is not None:
        array = to_device(array, normalize_device(device))
    return new_leaf(array, requires_grad, op)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    rng = (generator or default_generator).rng
    return _random_leaf(rng.random(size_argument(size)), dtype, device, requires_grad, "rand")


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples from the standard normal distribution."""
    rng = (generator or default_generator).rng
    return _random_leaf(rng.standard_normal(size_argument(size)), dtype, device, requires_grad, "randn")


def rand_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return rand(x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def randn_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return randn(x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def randint(low: int, high=None, size=(), generator=None, dtype=None, device=None) -> Tensor:
    """Random integers in [low, high), int64 by default; randint(high, size) draws from [0, high)."""
    if isinstance(high, (tuple, list)):  # PyTorch's randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    rng = (generator or default_generator).rng
    return _random_leaf(rng.integers(low, high, size=tuple(size)), dtype or dtypes.int64, device, False, "randint")


def randperm(n: int, generator=None, dtype=None, device=None) -> Tensor:
    """A random ordering of 0..n-1 (int64)."""
    rng = (generator or default_generator).rng
    return _random_leaf(rng.permutation(n), dtype or dtypes.int64, device, False, "randperm")
