"""Every differentiable op, checked against NumPy (forward) and finite differences (gradient).

One table drives both checks. A row names the op, says how minidl computes it and how NumPy
does, gives the shapes of its inputs and the domain they are drawn from (see conftest).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
from scipy.special import expit

import minidl


class OpCase(NamedTuple):
    name: str
    op: Callable  # Tensors in, a Tensor (or a tuple of them) out
    reference: Callable  # the same on NumPy arrays
    shapes: list[tuple[int, ...]]
    domain: str | tuple[str, ...] = "any"  # one for all inputs, or one per input


def _values(result):
    """The values of max(x, dim), which returns (values, indices) as in PyTorch."""
    return result.values if isinstance(result, tuple) else result


COND = np.array([[True, False, False, True], [False, True, True, False], [True, True, False, False]])
COND_COLUMN = np.array([[True], [False], [True]])
MASK = np.array([[True, False, True, False, True], [False, False, True, True, False]] * 2)

UNARY = [
    ("neg", minidl.neg, np.negative, "any"),
    ("exp", minidl.exp, np.exp, "any"),
    ("log", minidl.log, np.log, "positive"),
    ("sqrt", minidl.sqrt, np.sqrt, "positive"),
    ("abs", minidl.abs, np.abs, "distinct"),
    ("tanh", minidl.tanh, np.tanh, "any"),
    ("sigmoid", minidl.sigmoid, expit, "any"),
    ("relu", minidl.relu, lambda x: np.maximum(x, 0.0), "distinct"),
]
BINARY = [
    ("add", minidl.add, np.add, "any"),
    ("sub", lambda a, b: a - b, np.subtract, "any"),
    ("mul", minidl.mul, np.multiply, "any"),
    ("div", lambda a, b: a / b, np.divide, ("any", "away_from_zero")),
]
BROADCAST_SHAPES = [[(3, 4), (3, 4)], [(3, 1), (1, 4)], [(2, 3, 4), (4,)], [(), (3,)], [(5,), ()], [(1,), (2, 1)]]
REDUCTIONS = [
    ("sum", lambda x, **kw: x.sum(**kw), np.sum, "any"),
    ("mean", lambda x, **kw: minidl.mean(x, **kw), np.mean, "any"),
    ("var", lambda x, **kw: x.var(**kw), lambda x, **kw: np.var(x, ddof=1, **kw), "any"),
    ("max", lambda x, **kw: _values(x.max(**kw)), np.max, "distinct"),
    ("min", lambda x, **kw: _values(minidl.min(x, **kw)), np.min, "distinct"),
]


def _reduction_case(name, op, reference, domain, dim, keepdim, numpy_names) -> OpCase:
    kwargs = {"axis": dim, "keepdims": keepdim} if numpy_names else {"dim": dim, "keepdim": keepdim}
    return OpCase(
        f"{name}-dim={dim}-keep={keepdim}-{'axis' if numpy_names else 'dim'}",
        lambda x: op(x, **kwargs),
        lambda x: reference(x, axis=dim, keepdims=keepdim),
        [(2, 3, 4)],
        domain,
    )


CASES = [
    *[OpCase(f"{name}-{shape}", op, ref, [shape], domain) for name, op, ref, domain in UNARY
      for shape in [(3, 4), (), (1,)]],
    OpCase("tanh-method", lambda x: x.tanh(), np.tanh, [(2, 3)]),
    OpCase("abs-operator", lambda x: abs(x), np.abs, [(2, 3)], "distinct"),
    OpCase("neg-operator", lambda x: -x, np.negative, [(2, 3)]),
    *[OpCase(f"{name}-{a}x{b}", op, ref, [a, b], domain) for name, op, ref, domain in BINARY
      for a, b in BROADCAST_SHAPES],
    # pow
    OpCase("pow-tensor", minidl.pow, np.power, [(3, 4), (3, 4)], "positive"),
    OpCase("pow-tensor-broadcast", lambda x, y: x**y, np.power, [(3, 1), (4,)], "positive"),
    OpCase("pow-tensor-0d-exponent", lambda x, y: x**y, np.power, [(3,), ()], "positive"),
    OpCase("pow-int", lambda x: x**3, lambda x: x**3, [(3, 4)]),
    OpCase("pow-half", lambda x: x**0.5, np.sqrt, [(3, 4)], "positive"),
    OpCase("pow-negative", lambda x: minidl.pow(x, -1.5), lambda x: x**-1.5, [(3, 4)], "positive"),
    OpCase("rpow", lambda x: 2**x, lambda x: 2.0**x, [(3, 4)]),
    # matmul
    OpCase("matmul-2d", minidl.matmul, np.matmul, [(3, 4), (4, 2)]),
    OpCase("matmul-1x1", minidl.matmul, np.matmul, [(1, 1), (1, 1)]),
    OpCase("matmul-batched", minidl.matmul, np.matmul, [(2, 3, 4), (4, 5)]),
    OpCase("matmul-batched-both", minidl.matmul, np.matmul, [(2, 3, 4), (2, 4, 5)]),
    OpCase("matmul-broadcast-batch", lambda a, b: a @ b, np.matmul, [(1, 3, 4), (2, 4, 5)]),
    OpCase("matmul-1d-2d", lambda a, b: a @ b, np.matmul, [(4,), (4, 3)]),
    OpCase("matmul-2d-1d", minidl.matmul, np.matmul, [(3, 4), (4,)]),
    OpCase("matmul-3d-1d", minidl.matmul, np.matmul, [(2, 3, 4), (4,)]),
    OpCase("matmul-1d-1d", minidl.matmul, np.matmul, [(4,), (4,)]),
    # maximum, minimum, clip, where
    OpCase("maximum", minidl.maximum, np.maximum, [(3, 4), (3, 4)], "distinct"),
    OpCase("maximum-broadcast", lambda a, b: a.maximum(b), np.maximum, [(3, 1), (1, 4)], "distinct"),
    OpCase("maximum-0d", minidl.maximum, np.maximum, [(2, 3), ()], "distinct"),
    OpCase("max-of-two-tensors", minidl.max, np.maximum, [(3, 4), (4,)], "distinct"),
    OpCase("minimum", minidl.minimum, np.minimum, [(3, 4), (3, 4)], "distinct"),
    OpCase("minimum-broadcast", lambda a, b: a.minimum(b), np.minimum, [(3, 1), (1, 4)], "distinct"),
    OpCase("clip-min", lambda x: x.clip(min=-0.5), lambda x: np.clip(x, -0.5, None), [(4, 5)], "distinct"),
    OpCase("clip-max", lambda x: minidl.clip(x, max=0.25), lambda x: np.clip(x, None, 0.25), [(4, 5)], "distinct"),
    OpCase("clip-both", lambda x: minidl.clip(x, -0.5, 0.25), lambda x: np.clip(x, -0.5, 0.25), [(4, 5)],
           "distinct"),
    OpCase("clamp", lambda x: x.clamp(-0.5, 0.25), lambda x: np.clip(x, -0.5, 0.25), [(4, 5)], "distinct"),
    OpCase("where", lambda x, y: minidl.where(minidl.tensor(COND, device=x.device), x, y),
           lambda x, y: np.where(COND, x, y), [(3, 4), (3, 4)]),
    OpCase("where-broadcast", lambda x, y: minidl.where(minidl.tensor(COND_COLUMN, device=x.device), x, y),
           lambda x, y: np.where(COND_COLUMN, x, y), [(1, 4), (3, 4)]),
    OpCase("where-number", lambda x: minidl.where(x > 0, x, 0.0), lambda x: np.where(x > 0, x, 0.0),
           [(3, 4)], "distinct"),
    # reductions: every op x several dims x keepdim x PyTorch or NumPy argument names
    *[_reduction_case(name, op, ref, domain, dim, keepdim, numpy_names)
      for name, op, ref, domain in REDUCTIONS
      for dim in [None, 1, (0, 2), -1]
      for keepdim in [False, True]
      for numpy_names in [False, True]],
    OpCase("sum-0d", minidl.sum, np.sum, [()]),
    OpCase("mean-size-1", minidl.mean, np.mean, [(1,)]),
    OpCase("max-size-1", lambda x: x.max(), np.max, [(1, 1)]),
    OpCase("var-correction-0", lambda x: x.var(dim=0, correction=0), lambda x: np.var(x, axis=0), [(4, 3)]),
    # reshaping
    OpCase("reshape", lambda x: x.reshape(6, 4), lambda x: x.reshape(6, 4), [(2, 3, 4)]),
    OpCase("reshape-tuple-infer", lambda x: minidl.reshape(x, (4, -1)), lambda x: x.reshape(4, -1), [(2, 3, 4)]),
    OpCase("view-flat", lambda x: x.view(-1), lambda x: x.reshape(-1), [(2, 3, 4)]),
    OpCase("view-function", lambda x: minidl.view(x, 3, 8), lambda x: x.reshape(3, 8), [(2, 3, 4)]),
    OpCase("reshape-from-0d", lambda x: x.reshape(1, 1), lambda x: x.reshape(1, 1), [()]),
    OpCase("reshape-to-0d", lambda x: x.reshape(()), lambda x: x.reshape(()), [(1,)]),
    OpCase("transpose-two", lambda x: x.transpose(0, 2), lambda x: np.swapaxes(x, 0, 2), [(2, 3, 4)]),
    OpCase("transpose-negative", lambda x: minidl.transpose(x, -1, -2), lambda x: np.swapaxes(x, -1, -2),
           [(2, 3, 4)]),
    OpCase("transpose-reverse", lambda x: x.transpose(), np.transpose, [(2, 3, 4)]),
    OpCase("permute", lambda x: x.permute(2, 0, 1), lambda x: np.transpose(x, (2, 0, 1)), [(2, 3, 4)]),
    OpCase("permute-tuple", lambda x: minidl.permute(x, (1, 2, 0)), lambda x: np.transpose(x, (1, 2, 0)),
           [(2, 3, 4)]),
    OpCase("permute-negative", lambda x: x.permute(-1, 0, 1), lambda x: np.transpose(x, (2, 0, 1)), [(2, 3, 4)]),
    OpCase("T-2d", lambda x: x.T, lambda x: x.T, [(3, 4)]),
    OpCase("T-3d", lambda x: x.T, lambda x: x.T, [(2, 3, 4)]),
    OpCase("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2), [(2, 3, 4)]),
    OpCase("expand", lambda x: x.expand(3, 4), lambda x: np.broadcast_to(x, (3, 4)), [(3, 1)]),
    OpCase("expand-keep-and-new", lambda x: x.expand(2, -1, 4), lambda x: np.broadcast_to(x, (2, 3, 4)), [(3, 1)]),
    OpCase("expand-0d", lambda x: minidl.expand(x, (2, 3)), lambda x: np.broadcast_to(x, (2, 3)), [()]),
    OpCase("broadcast_to", lambda x: minidl.broadcast_to(x, (2, 3, 4)), lambda x: np.broadcast_to(x, (2, 3, 4)),
           [(3, 1)]),
    OpCase("broadcast_to-method", lambda x: x.broadcast_to((4,)), lambda x: np.broadcast_to(x, (4,)), [(1,)]),
    OpCase("squeeze-all", lambda x: x.squeeze(), np.squeeze, [(1, 3, 1)]),
    OpCase("squeeze-dim", lambda x: x.squeeze(0), lambda x: np.squeeze(x, 0), [(1, 3, 1)]),
    OpCase("squeeze-negative-dim", lambda x: minidl.squeeze(x, -1), lambda x: np.squeeze(x, -1), [(1, 3, 1)]),
    OpCase("squeeze-dims", lambda x: x.squeeze((0, 2)), lambda x: np.squeeze(x, (0, 2)), [(1, 3, 1)]),
    OpCase("squeeze-not-size-1", lambda x: x.squeeze(1), lambda x: x, [(1, 3, 1)]),
    OpCase("squeeze-0d", lambda x: x.squeeze(), np.squeeze, [()]),
    OpCase("unsqueeze-0", lambda x: x.unsqueeze(0), lambda x: np.expand_dims(x, 0), [(3, 4)]),
    OpCase("unsqueeze-middle", lambda x: minidl.unsqueeze(x, 1), lambda x: np.expand_dims(x, 1), [(3, 4)]),
    OpCase("unsqueeze-negative", lambda x: x.unsqueeze(-1), lambda x: np.expand_dims(x, -1), [(3, 4)]),
    OpCase("unsqueeze-0d", lambda x: x.unsqueeze(0), lambda x: np.expand_dims(x, 0), [()]),
    OpCase("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1), [(2, 3, 4)]),
    OpCase("flatten-start", lambda x: x.flatten(1), lambda x: x.reshape(2, 12), [(2, 3, 4)]),
    OpCase("flatten-start-end", lambda x: minidl.flatten(x, start_dim=1, end_dim=2),
           lambda x: x.reshape(2, 12, 1), [(2, 3, 4, 1)]),
    OpCase("flatten-negative-end", lambda x: x.flatten(0, -2), lambda x: x.reshape(6, 4), [(2, 3, 4)]),
    OpCase("flatten-0d", lambda x: x.flatten(), lambda x: x.reshape(1), [()]),
    # joining, splitting, padding
    OpCase("cat", lambda a, b: minidl.cat([a, b]), lambda a, b: np.concatenate([a, b]), [(2, 3), (4, 3)]),
    OpCase("cat-three-last-dim", lambda a, b, c: minidl.cat((a, b, c), dim=-1),
           lambda a, b, c: np.concatenate([a, b, c], axis=-1), [(2, 3), (2, 1), (2, 2)]),
    OpCase("concat-axis", lambda a, b: minidl.concat([a, b], axis=1), lambda a, b: np.concatenate([a, b], axis=1),
           [(2, 3), (2, 2)]),
    OpCase("stack", lambda a, b: minidl.stack([a, b]), lambda a, b: np.stack([a, b]), [(2, 3), (2, 3)]),
    OpCase("stack-last-dim", lambda a, b: minidl.stack([a, b], dim=-1), lambda a, b: np.stack([a, b], axis=-1),
           [(2, 3), (2, 3)]),
    OpCase("stack-0d", lambda a, b, c: minidl.stack([a, b, c]), lambda a, b, c: np.stack([a, b, c]),
           [(), (), ()]),
    OpCase("split-size", lambda x: minidl.split(x, 2), lambda x: tuple(np.split(x, [2, 4])), [(5, 3)]),
    OpCase("split-sizes-dim", lambda x: x.split([1, 3], dim=1), lambda x: tuple(np.split(x, [1], axis=1)),
           [(2, 4)]),
    OpCase("split-axis", lambda x: minidl.split(x, [2, 1], axis=0), lambda x: tuple(np.split(x, [2])), [(3, 2)]),
    OpCase("split-some-pieces-used", lambda x: (lambda a, b, c: a * c)(*x.split(2)),
           lambda x: x[0:2] * x[4:6], [(6, 3)]),
    OpCase("pad-flat-last", lambda x: minidl.pad(x, (1, 2)), lambda x: np.pad(x, ((0, 0), (1, 2))), [(3, 4)]),
    OpCase("pad-flat-two-dims", lambda x: minidl.pad(x, (1, 0, 2, 1)), lambda x: np.pad(x, ((2, 1), (1, 0))),
           [(3, 4)]),
    OpCase("pad-pairs", lambda x: minidl.pad(x, ((1, 0), (2, 3))), lambda x: np.pad(x, ((1, 0), (2, 3))), [(3, 4)]),
    OpCase("pad-value", lambda x: minidl.pad(x, (1, 1), value=0.5),
           lambda x: np.pad(x, ((0, 0), (1, 1)), constant_values=0.5), [(3, 4)]),
    # indexing
    OpCase("getitem-int", lambda x: x[1], lambda x: x[1], [(4, 5)]),
    OpCase("getitem-ints-to-0d", lambda x: x[-1, 2], lambda x: x[-1, 2], [(4, 5)]),
    OpCase("getitem-slice", lambda x: x[1:3], lambda x: x[1:3], [(4, 5)]),
    OpCase("getitem-steps", lambda x: x[::2, 1:], lambda x: x[::2, 1:], [(4, 5)]),
    OpCase("getitem-negative-step", lambda x: x[::-1, 3:0:-2], lambda x: x[::-1, 3:0:-2], [(4, 5)]),
    OpCase("getitem-none-ellipsis", lambda x: x[None, ..., 1], lambda x: x[None, ..., 1], [(2, 3, 4)]),
    OpCase("getitem-int-ellipsis-none", lambda x: x[1, ..., None], lambda x: x[1, ..., None], [(2, 3, 4)]),
    OpCase("getitem-list-repeated", lambda x: x[[0, 0, 2, 0]], lambda x: x[[0, 0, 2, 0]], [(4, 5)]),
    OpCase("getitem-pairs-repeated", lambda x: x[[0, 0, 1], [1, 1, 2]], lambda x: x[[0, 0, 1], [1, 1, 2]],
           [(4, 5)]),
    OpCase("getitem-slice-and-list", lambda x: x[1:, [0, 0, 3]], lambda x: x[1:, [0, 0, 3]], [(4, 5)]),
    OpCase("getitem-bool-mask", lambda x: x[MASK], lambda x: x[MASK], [(4, 5)]),
    OpCase("getitem-bool-rows", lambda x: x[np.array([True, False, True, True])],
           lambda x: x[np.array([True, False, True, True])], [(4, 5)]),
    OpCase("getitem-tensor-mask", lambda x: x[x > 0], lambda x: x[x > 0], [(4, 5)], "distinct"),
    OpCase("getitem-tensor-indices", lambda x: x[minidl.tensor([2, 2, 0], device=x.device)],
           lambda x: x[[2, 2, 0]], [(4, 5)]),
    # copies
    OpCase("astype", lambda x: x.astype(minidl.float64), lambda x: x.astype(np.float64), [(3, 4)]),
    OpCase("double", lambda x: x.double(), lambda x: x, [(3, 4)]),
    OpCase("to-dtype", lambda x: x.to(minidl.float64), lambda x: x, [(3, 4)]),
    OpCase("clone", lambda x: x.clone(), np.copy, [(3, 4)]),
    OpCase("clone-function-0d", minidl.clone, np.copy, [()]),
]

def _inputs(case: OpCase, make_tensor) -> list[minidl.Tensor]:
    domains = [case.domain] * len(case.shapes) if isinstance(case.domain, str) else case.domain
    return [make_tensor(shape, domain) for shape, domain in zip(case.shapes, domains)]


def test_table_names_are_unique():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_forward_matches_numpy(case: OpCase, make_tensor):
    inputs = _inputs(case, make_tensor)
    result = case.op(*inputs)
    expected = case.reference(*[x.numpy() for x in inputs])
    results, expecteds = (result, expected) if isinstance(expected, tuple) else ((result,), (expected,))
    assert len(results) == len(expecteds)
    for out, want in zip(results, expecteds):
        assert isinstance(out, minidl.Tensor)
        assert out.shape == np.shape(want)
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_gradient_matches_finite_differences(case: OpCase, make_tensor):
    assert minidl.gradcheck(case.op, _inputs(case, make_tensor))


class WrongSquare(minidl.Function):
    """x^2 with a deliberately wrong backward: it forgets the factor 2."""

    label = "wrong_square"

    def forward(self, x):
        return x * x

    def backward(self, grad):
        (x,) = self.inputs
        return grad * x


def test_gradcheck_catches_a_wrong_backward(make_tensor):
    first, second = make_tensor((2,)), make_tensor((3,), "positive")
    with pytest.raises(minidl.GradcheckError) as caught:
        minidl.gradcheck(lambda a, b: a.sum() + WrongSquare()(b), [first, second])
    message = str(caught.value)
    assert "input 1" in message and "element (2,)" in message
    assert "input 0" not in message  # the correct part is not blamed
    assert minidl.gradcheck(lambda b: WrongSquare()(b), [second], raise_exception=False) is False


def test_float32_casts_keep_values_and_send_gradient_back_in_float64(make_tensor):
    x = make_tensor((3, 4), requires_grad=True)
    single = x.float()
    assert single.dtype == minidl.float32
    np.testing.assert_allclose(single.numpy(), x.numpy().astype(np.float32))
    weight = make_tensor((3, 4))
    (single * weight.float()).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), weight.numpy(), rtol=1e-6)


def test_split_gives_zero_gradient_to_pieces_that_are_kept_but_unused(make_tensor):
    x = make_tensor((6, 2), requires_grad=True)
    first, middle, last = x.split(2)  # all three stay alive; only `middle` reaches the loss
    (middle * 3.0).sum().backward()
    expected = np.zeros((6, 2))
    expected[2:4] = 3.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_repeated_indices_add_up_their_gradients(make_tensor):
    x = make_tensor((5,), requires_grad=True)
    index = [3, 0, 3, 3, 1]
    weight = make_tensor((5,))
    (x[index] * weight).sum().backward()
    expected = np.zeros(5)
    np.add.at(expected, index, weight.numpy())
    np.testing.assert_allclose(x.grad.numpy(), expected)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_argmax_argmin_match_numpy(name, dim, make_tensor):
    x = make_tensor((3, 4), "distinct")
    result = getattr(minidl, name)(x, dim)
    assert result.dtype == minidl.int64
    np.testing.assert_array_equal(result.numpy(), getattr(np, name)(x.numpy(), axis=dim))
    method = getattr(x, name)(axis=dim, keepdims=True)  # NumPy's names too
    np.testing.assert_array_equal(method.numpy(), getattr(np, name)(x.numpy(), axis=dim, keepdims=True))


def test_argmax_of_0d_tensor_along_dim_0(make_tensor):
    assert minidl.argmax(make_tensor(()), dim=0).item() == 0


@pytest.mark.parametrize("name, reference", [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                                             ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)])
def test_comparisons_give_bool_tensors_and_record_no_graph(name, reference, make_tensor):
    x = make_tensor((3, 4), requires_grad=True)
    y = make_tensor((4,))
    y.array[1] = x.array[0, 1]  # at least one tie, so eq/le/ge have something to find
    for result in (getattr(minidl, name)(x, y), getattr(x, f"__{name}__")(y)):
        assert result.dtype == np.bool_
        assert result.grad_fn is None and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), reference(x.numpy(), y.numpy()))


@pytest.mark.parametrize("keepdim", [False, True])
def test_max_and_min_along_a_dim_return_values_and_indices(keepdim, make_tensor):
    x = make_tensor((3, 4), "distinct")
    for name in ("max", "min"):
        values, indices = getattr(minidl, name)(x, 1, keepdim=keepdim)
        np.testing.assert_array_equal(values.numpy(), getattr(np, name)(x.numpy(), axis=1, keepdims=keepdim))
        np.testing.assert_array_equal(indices.numpy(), getattr(np, f"arg{name}")(x.numpy(), axis=1, keepdims=keepdim))
        result = getattr(x, name)(dim=1)
        assert result.values is result[0] and result.indices is result[1]


def test_max_with_a_tensor_is_maximum_and_with_axis_gives_values_only(make_tensor):
    x, y = make_tensor((3, 4), "distinct"), make_tensor((3, 4), "distinct")
    np.testing.assert_array_equal(minidl.max(x, y).numpy(), np.maximum(x.numpy(), y.numpy()))
    np.testing.assert_array_equal(minidl.min(x, y).numpy(), np.minimum(x.numpy(), y.numpy()))
    values = x.max(axis=1)
    assert isinstance(values, minidl.Tensor)
    np.testing.assert_array_equal(values.numpy(), x.numpy().max(axis=1))


@pytest.mark.parametrize("expression, reference", [
    (lambda x: 2 * x, lambda x: 2 * x),
    (lambda x: x + np.float64(1.5), lambda x: x + 1.5),
    (lambda x: np.ones(3) + x, lambda x: np.ones(3) + x),
    (lambda x: 1.0 - x, lambda x: 1.0 - x),
    (lambda x: 3 / x, lambda x: 3 / x),
    (lambda x: np.ones((2, 3)) @ x, lambda x: np.ones((2, 3)) @ x),
], ids=["int*x", "x+np.float64", "ndarray+x", "float-x", "int/x", "ndarray@x"])
def test_numbers_and_arrays_on_either_side_give_tensors(expression, reference, make_tensor):
    x = make_tensor((3,), "away_from_zero", requires_grad=True)
    result = expression(x)
    assert isinstance(result, minidl.Tensor) and result.grad_fn is not None
    np.testing.assert_allclose(result.numpy(), reference(x.numpy()))


def test_float32_tensor_times_python_float_stays_float32(backend):
    x = minidl.ones(3, device=backend)
    assert (x * 0.1).dtype == minidl.float32
    assert (2.5 + x).dtype == minidl.float32
    assert (x / 3).dtype == minidl.float32
    assert (x * np.float64(0.1)).dtype == minidl.float32  # a NumPy scalar is a number as well


@pytest.mark.parametrize("expression", [lambda x: x * 2.5, lambda x: x / 2], ids=["int*float", "int/int"])
def test_int_tensor_with_python_float_gives_default_float(expression, backend):
    assert expression(minidl.tensor([1, 2, 3], device=backend)).dtype == minidl.float32
