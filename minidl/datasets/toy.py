"""Small made-up datasets for demos: 2-D points in classes to separate, and a line to fit.

    x, y = spirals(100, classes=3, noise=0.2, seed=0)   # x: float32 300 x 2, y: int64 labels 0..2

Each function draws from its own generator seeded with `seed`, so a seed always gives the same
points; with seed=None it draws from minidl's default generator (`minidl.manual_seed` repeats it).
"""

from __future__ import annotations

import numpy

from minidl import dtypes
from minidl.random import default_generator
from minidl.tensor import Tensor

__all__ = ["circles", "linear_regression", "moons", "spirals"]


def _rng(seed: int | None) -> numpy.random.Generator:
    return default_generator.rng if seed is None else numpy.random.default_rng(seed)


def _points_and_labels(points: numpy.ndarray, labels: numpy.ndarray) -> tuple[Tensor, Tensor]:
    return Tensor(points.astype(dtypes.float32)), Tensor(labels.astype(dtypes.int64))


def spirals(
    n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int | None = None
) -> tuple[Tensor, Tensor]:
    """`classes` interleaved spiral arms (as in CS231n): no straight line separates them."""
    rng = _rng(seed)
    radius = numpy.tile(numpy.linspace(0.0, 1.0, n_per_class), classes)
    labels = numpy.repeat(numpy.arange(classes), n_per_class)
    turns = 4.0  # radians each arm sweeps
    angle = (labels + radius) * turns + rng.standard_normal(radius.shape) * noise
    points = numpy.stack([radius * numpy.sin(angle), radius * numpy.cos(angle)], axis=1)
    return _points_and_labels(points, labels)


def moons(n_per_class: int = 100, noise: float = 0.1, seed: int | None = None) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles, labels 0 (upper) and 1 (lower), plus Gaussian noise."""
    rng = _rng(seed)
    angle = numpy.linspace(0.0, numpy.pi, n_per_class)
    upper = numpy.stack([numpy.cos(angle), numpy.sin(angle)], axis=1)
    lower = numpy.stack([1.0 - numpy.cos(angle), 0.5 - numpy.sin(angle)], axis=1)
    points = numpy.concatenate([upper, lower]) + rng.standard_normal((2 * n_per_class, 2)) * noise
    return _points_and_labels(points, numpy.repeat([0, 1], n_per_class))


def circles(
    n_per_class: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = None
) -> tuple[Tensor, Tensor]:
    """A circle of radius 1 (label 0) around one of radius `factor` (label 1), plus Gaussian noise."""
    rng = _rng(seed)
    angle = numpy.linspace(0.0, 2.0 * numpy.pi, n_per_class, endpoint=False)
    ring = numpy.stack([numpy.cos(angle), numpy.sin(angle)], axis=1)
    points = numpy.concatenate([ring, factor * ring]) + rng.standard_normal((2 * n_per_class, 2)) * noise
    return _points_and_labels(points, numpy.repeat([0, 1], n_per_class))


def linear_regression(
    n: int = 100, features: int = 1, noise: float = 0.1, seed: int | None = None
) -> tuple[Tensor, Tensor]:
    """x: n x features standard normal; y = x @ weight + bias + noise, n x 1, for a random weight and bias."""
    rng = _rng(seed)
    weight = rng.standard_normal((features, 1))
    bias = rng.standard_normal()
    x = rng.standard_normal((n, features))
    y = x @ weight + bias + rng.standard_normal((n, 1)) * noise
    return Tensor(x.astype(dtypes.float32)), Tensor(y.astype(dtypes.float32))
