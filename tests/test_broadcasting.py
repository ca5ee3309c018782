"""Broadcasting, property-tested: a broadcast input's gradient is summed back to its own shape."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minidl

BINARY = {
    "add": minidl.add,
    "sub": minidl.sub,
    "mul": minidl.mul,
    "div": minidl.div,
    "maximum": minidl.maximum,
}
shape_pairs = mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4)
seeds = st.integers(0, 2**32 - 1)


def _pair(shapes, seed, make_tensor):
    """Two tensors of the drawn shapes; the second is safe as a divisor."""
    rng = np.random.default_rng(seed)
    a, b = shapes.input_shapes
    return (make_tensor(a, requires_grad=True, rng=rng),
            make_tensor(b, "away_from_zero", requires_grad=True, rng=rng))


def _use_counts(shape, out_shape) -> np.ndarray:
    """How many output elements each input element was copied into, counted with NumPy."""
    index = np.arange(int(np.prod(shape))).reshape(shape)
    spread = np.broadcast_to(index, out_shape).ravel()
    return np.bincount(spread, minlength=index.size).reshape(shape).astype(float)


@pytest.mark.parametrize("name", BINARY)
@given(shapes=shape_pairs, seed=seeds)
def test_each_gradient_has_its_input_shape(name, shapes, seed, make_tensor):
    a, b = _pair(shapes, seed, make_tensor)
    out = BINARY[name](a, b)
    assert out.shape == shapes.result_shape
    out.sum().backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    assert a.grad.dtype == a.dtype and b.grad.dtype == b.dtype


@given(shapes=shape_pairs, seed=seeds)
def test_gradient_of_a_sum_counts_how_often_each_element_was_used(shapes, seed, make_tensor):
    a, b = _pair(shapes, seed, make_tensor)
    (a + b).sum().backward()
    out_shape = shapes.result_shape
    for x in (a, b):
        counts = _use_counts(x.shape, out_shape)
        np.testing.assert_array_equal(x.grad.numpy(), counts)
        # broadcasting copies every element equally often
        np.testing.assert_array_equal(counts, np.full(x.shape, np.prod(out_shape) / np.prod(x.shape)))


@given(shapes=shape_pairs, seed=seeds)
def test_weighted_gradient_of_mul_matches_numpy_sum_over_broadcast_axes(shapes, seed, make_tensor, backend):
    a, b = _pair(shapes, seed, make_tensor)
    weight = np.random.default_rng(seed + 1).standard_normal(shapes.result_shape)
    (a * b * minidl.tensor(weight, device=backend)).sum().backward()
    full_a = np.broadcast_to(a.numpy(), shapes.result_shape)
    full_b = np.broadcast_to(b.numpy(), shapes.result_shape)
    for x, other_full in ((a, full_b), (b, full_a)):
        per_output = weight * other_full  # d out / d (broadcast copy of x), then add the copies up
        index = np.broadcast_to(np.arange(x.numel()).reshape(x.shape), shapes.result_shape).ravel()
        expected = np.bincount(index, weights=per_output.ravel(), minlength=x.numel()).reshape(x.shape)
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=15)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=seeds)
def test_gradcheck_mul_on_broadcast_shapes(shapes, seed, make_tensor):
    a, b = _pair(shapes, seed, make_tensor)
    assert minidl.gradcheck(minidl.mul, [a, b])
