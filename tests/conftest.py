"""Shared test set-up: the backends to run on, seeded test inputs, and the hypothesis profile."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import minidl

# Few examples and no deadline: the whole suite must stay fast on a small CI machine.
# `backend` is a plain string, so sharing it across hypothesis examples is safe.
settings.register_profile(
    "minidl",
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.load_profile("minidl")


@pytest.fixture(params=["cpu", "cuda"])
def backend(request) -> str:
    """The device every tensor of the test lives on: NumPy always, CuPy when a GPU is there."""
    if request.param == "cuda" and not minidl.cuda.is_available():
        pytest.skip("no GPU: minidl.cuda.is_available() is False")
    return request.param


def random_array(rng: np.random.Generator, shape, domain: str = "any") -> np.ndarray:
    """float64 values of `shape` drawn from `domain`.

    any             standard normal
    positive        in [0.5, 2]: safe for log, sqrt, div and pow with a tensor exponent
    away_from_zero  |value| in [0.5, 2], either sign: safe as a divisor
    distinct        all values different (>= 0.15 apart) and at least 0.075 from the
                    multiples of 0.25 (0 among them), so abs, relu, max, maximum and clip with
                    bounds on that grid meet no kink or tie within a finite-difference step
    """
    shape = tuple(shape)
    size = int(np.prod(shape))
    if domain == "any":
        values = rng.standard_normal(size)
    elif domain == "positive":
        values = rng.uniform(0.5, 2.0, size)
    elif domain == "away_from_zero":
        values = rng.uniform(0.5, 2.0, size) * rng.choice([-1.0, 1.0], size)
    elif domain == "distinct":
        # points (k + 1/2) / 4 in random order, each nudged by less than 0.05
        values = (rng.permutation(size) - size // 2 + 0.5) * 0.25 + rng.uniform(-0.05, 0.05, size)
    else:
        raise ValueError(f"unknown domain {domain!r}")
    return values.reshape(shape)


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded from the test's id: each test sees the same values every run."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture
def make_tensor(backend, rng):
    """make_tensor(shape, domain="any", requires_grad=False, rng=None): a float64 test tensor."""

    def make(shape, domain: str = "any", requires_grad: bool = False, rng=rng) -> minidl.Tensor:
        array = random_array(rng, shape, domain)
        return minidl.tensor(array, device=backend, requires_grad=requires_grad)

    return make
