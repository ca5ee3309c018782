"""Gradients of gradients (create_graph=True) against second derivatives worked out by hand,
and the functional `minidl.grad`."""

from __future__ import annotations

import numpy as np
import pytest

import minidl


def _second_derivative(function, x: minidl.Tensor) -> minidl.Tensor:
    """d2 f(x_i) / dx_i^2 for an element-wise f: differentiate the summed first derivative."""
    (first,) = minidl.grad(function(x).sum(), x, create_graph=True)
    assert first.requires_grad and first.grad_fn is not None  # the first gradient is itself a graph
    (second,) = minidl.grad(first.sum(), x)
    return second


def _tanh_second(x):
    t = np.tanh(x)
    return -2 * t * (1 - t**2)


def _sigmoid_second(x):
    s = 1 / (1 + np.exp(-x))
    return s * (1 - s) * (1 - 2 * s)


@pytest.mark.parametrize("function, analytic, domain", [
    (minidl.tanh, _tanh_second, "any"),
    (minidl.sigmoid, _sigmoid_second, "any"),
    (minidl.exp, np.exp, "any"),
    (minidl.log, lambda x: -1 / x**2, "positive"),
    (minidl.sqrt, lambda x: -0.25 * x**-1.5, "positive"),
    (lambda x: x**3, lambda x: 6 * x, "any"),
    (lambda x: 1 / x, lambda x: 2 / x**3, "away_from_zero"),
    (lambda x: x * minidl.exp(x), lambda x: (x + 2) * np.exp(x), "any"),
], ids=["tanh", "sigmoid", "exp", "log", "sqrt", "cube", "reciprocal", "x*exp"])
def test_second_derivative_of_elementwise_functions(function, analytic, domain, make_tensor):
    x = make_tensor((2, 3), domain, requires_grad=True)
    np.testing.assert_allclose(_second_derivative(function, x).numpy(), analytic(x.numpy()), rtol=1e-10)


def test_pow_second_derivatives_in_the_exponent_and_mixed(make_tensor):
    x = make_tensor((4,), "positive", requires_grad=True)
    y = make_tensor((4,), "any", requires_grad=True)
    base, exponent = x.numpy(), y.numpy()
    (d_dy,) = minidl.grad((x**y).sum(), y, create_graph=True)  # x^y ln x
    np.testing.assert_allclose(d_dy.numpy(), base**exponent * np.log(base), rtol=1e-10)
    d2_dy2, d2_dxdy = minidl.grad(d_dy.sum(), [y, x])
    np.testing.assert_allclose(d2_dy2.numpy(), base**exponent * np.log(base) ** 2, rtol=1e-10)
    np.testing.assert_allclose(d2_dxdy.numpy(), base ** (exponent - 1) * (1 + exponent * np.log(base)), rtol=1e-10)


def test_matmul_gradient_of_a_gradient(make_tensor):
    a = make_tensor((3, 4), requires_grad=True)
    b = make_tensor((4, 2), requires_grad=True)
    A, B = a.numpy(), b.numpy()
    # L = sum((AB)^2): dL/dA = 2 (AB) B^T
    (grad_a,) = minidl.grad(((a @ b) ** 2).sum(), a, create_graph=True)
    np.testing.assert_allclose(grad_a.numpy(), 2 * (A @ B) @ B.T, rtol=1e-10)
    # s = sum(dL/dA) = 2 u^T B B^T v with u = A^T 1 and v = 1, so ds/dB = 2 (u v^T + v u^T) B
    (grad_b,) = minidl.grad(grad_a.sum(), b)
    u, v = A.sum(axis=0), np.ones(4)
    np.testing.assert_allclose(grad_b.numpy(), 2 * (np.outer(u, v) + np.outer(v, u)) @ B, rtol=1e-10)


def test_sum_squared_second_derivative(make_tensor):
    x = make_tensor((5,), requires_grad=True)
    # f = (sum x)^2: df/dx_i = 2 sum(x); d/dx_j sum_i df/dx_i = 2 n
    (first,) = minidl.grad(x.sum() ** 2, x, create_graph=True)
    np.testing.assert_allclose(first.numpy(), np.full(5, 2 * x.numpy().sum()), rtol=1e-10)
    (second,) = minidl.grad(first.sum(), x)
    np.testing.assert_allclose(second.numpy(), np.full(5, 2.0 * 5), rtol=1e-12)


def test_third_derivative_of_x_to_the_fourth(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    value = x.numpy()
    (first,) = minidl.grad((x**4).sum(), x, create_graph=True)
    (second,) = minidl.grad(first.sum(), x, create_graph=True)
    (third,) = minidl.grad(second.sum(), x)
    np.testing.assert_allclose(first.numpy(), 4 * value**3, rtol=1e-10)
    np.testing.assert_allclose(second.numpy(), 12 * value**2, rtol=1e-10)
    np.testing.assert_allclose(third.numpy(), 24 * value, rtol=1e-10)


def test_backward_with_create_graph_leaves_a_differentiable_grad(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    first = x.grad
    assert first.grad_fn is not None
    np.testing.assert_allclose(first.numpy(), 3 * x.numpy() ** 2, rtol=1e-10)
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy(), rtol=1e-10)


def test_grad_with_several_inputs_does_not_touch_dot_grad(make_tensor):
    x, y = make_tensor((3,), requires_grad=True), make_tensor((3,), requires_grad=True)
    grad_x, grad_y = minidl.grad((x * y).sum(), [x, y])
    np.testing.assert_allclose(grad_x.numpy(), y.numpy())
    np.testing.assert_allclose(grad_y.numpy(), x.numpy())
    assert x.grad is None and y.grad is None
    assert grad_x.grad_fn is None and not grad_x.requires_grad  # no create_graph: plain values


def test_grad_with_several_outputs_sums_them(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    (result,) = minidl.grad([(x * x).sum(), x.exp().sum()], x)
    np.testing.assert_allclose(result.numpy(), 2 * x.numpy() + np.exp(x.numpy()), rtol=1e-12)


def test_grad_outputs_weight_a_non_scalar_output(make_tensor):
    x = make_tensor((2, 3), requires_grad=True)
    weight = make_tensor((2, 3))
    (result,) = minidl.grad(x * x, x, grad_outputs=weight)
    np.testing.assert_allclose(result.numpy(), 2 * x.numpy() * weight.numpy(), rtol=1e-12)
    # one weight per output; None seeds a scalar output with 1
    (mixed,) = minidl.grad([x * 2.0, (x * 3.0).sum()], x, grad_outputs=[weight, None])
    np.testing.assert_allclose(mixed.numpy(), 2 * weight.numpy() + 3, rtol=1e-12)
    with pytest.raises(RuntimeError, match="not a scalar"):
        minidl.grad(x * x, x)


def test_grad_allow_unused(make_tensor):
    x, unused = make_tensor((3,), requires_grad=True), make_tensor((2,), requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        minidl.grad(x.sum(), [x, unused])
    grad_x, grad_unused = minidl.grad(x.sum(), [x, unused], allow_unused=True)
    np.testing.assert_array_equal(grad_x.numpy(), np.ones(3))
    assert grad_unused is None


def test_grad_of_an_intermediate_tensor(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    hidden = x * 2.0
    (result,) = minidl.grad((hidden**2).sum(), hidden)
    np.testing.assert_allclose(result.numpy(), 2 * hidden.numpy(), rtol=1e-12)
