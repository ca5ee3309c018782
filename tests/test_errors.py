"""Errors name the op and the shapes (or dtypes) involved, and come before anything changes."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minidl


def _contains_all(message: str, *parts: str) -> bool:
    return all(part in message for part in parts)


def test_matmul_names_both_shapes_and_the_inner_dimensions(backend):
    a, b = minidl.zeros(32, 784, device=backend), minidl.zeros(256, 10, device=backend)
    with pytest.raises(ValueError) as caught:
        a @ b
    assert _contains_all(str(caught.value), "matmul", "(32, 784)", "(256, 10)", "784 and 256")


@pytest.mark.parametrize("expression, error, parts", [
    (lambda a, b: a + b, ValueError, ["add", "(3, 4)", "(5,)"]),
    (lambda a, b: a * b, ValueError, ["mul", "(3, 4)", "(5,)"]),
    (lambda a, b: minidl.maximum(a, b), ValueError, ["maximum", "(3, 4)", "(5,)"]),
    (lambda a, b: a < b, ValueError, ["lt", "(3, 4)", "(5,)"]),
    (lambda a, b: minidl.cat([a, b.reshape(1, 5)]), ValueError, ["cat", "(3, 4)", "(1, 5)"]),
    (lambda a, b: minidl.stack([a, a.T]), ValueError, ["stack", "(3, 4)", "(4, 3)"]),
    (lambda a, b: a.reshape(5, 2), ValueError, ["reshape", "(5,2)", "(3, 4)"]),
    (lambda a, b: a.split([1, 1]), ValueError, ["split", "[1, 1]", "(3, 4)"]),
    (lambda a, b: a @ b.reshape(5, 1), ValueError, ["matmul", "(3, 4)", "(5, 1)", "4 and 5"]),
    (lambda a, b: b @ minidl.tensor(2.0), ValueError, ["matmul", "(5,)", "()"]),
    (lambda a, b: minidl.pad(b, (1, 1, 1, 1)), ValueError, ["pad", "(1, 1, 1, 1)"]),
], ids=["add", "mul", "maximum", "lt", "cat", "stack", "reshape", "split", "matmul-2d", "matmul-0d", "pad"])
def test_shape_errors_name_the_op_and_the_shapes(expression, error, parts, backend):
    a, b = minidl.zeros(3, 4, device=backend), minidl.zeros(5, device=backend)
    with pytest.raises(error) as caught:
        expression(a, b)
    assert _contains_all(str(caught.value), *parts), str(caught.value)


OUT_OF_RANGE_DIMS = {
    "squeeze": lambda x: x.squeeze(2),
    "unsqueeze": lambda x: x.unsqueeze(4),
    "sum": lambda x: x.sum(dim=2),
    "mean": lambda x: minidl.mean(x, axis=-3),
    "var": lambda x: x.var(dim=(0, 5)),
    "max": lambda x: x.max(dim=2),
    "argmax": lambda x: x.argmax(dim=3),
    "transpose": lambda x: x.transpose(0, 2),
    "flatten": lambda x: x.flatten(0, 2),
    "cat": lambda x: minidl.cat([x, x], dim=2),
    "split": lambda x: x.split(1, dim=-3),
}


@pytest.mark.parametrize("op", OUT_OF_RANGE_DIMS)
def test_dim_out_of_range_names_the_op(op, backend):
    with pytest.raises(IndexError, match=rf"^{op}: dim -?\d+ is out of range"):
        OUT_OF_RANGE_DIMS[op](minidl.zeros(2, 3, device=backend))


def test_permute_with_a_dim_out_of_range_raises(backend):
    with pytest.raises((IndexError, ValueError), match="permute"):
        minidl.zeros(2, 3, device=backend).permute(0, 3)


@pytest.mark.parametrize("index", [2, (0, 5), (slice(None), -4), [0, 2]], ids=["row", "column", "negative", "list"])
def test_index_out_of_range_is_an_index_error_naming_getitem(index, backend):
    x = minidl.zeros(2, 3, device=backend, requires_grad=True)
    with pytest.raises(IndexError, match=r"^getitem: .*\(2, 3\)"):
        x[index]


def test_where_needs_a_bool_condition(backend):
    x = minidl.zeros(3, device=backend)
    with pytest.raises(TypeError, match=r"where.*bool.*float32"):
        minidl.where(x, x, x)
    with pytest.raises(TypeError, match=r"where.*int64"):
        minidl.where(minidl.tensor([1, 0, 1], device=backend), x, x)


def test_backward_errors(backend):
    with pytest.raises(RuntimeError, match="backward.*does not require grad"):
        minidl.zeros(2, device=backend).sum().backward()
    x = minidl.zeros(2, device=backend, requires_grad=True)
    with pytest.raises(ValueError, match=re.escape("backward: gradient of shape (3,) for an output of shape (2,)")):
        (x * 2).backward(minidl.ones(3, device=backend))
    assert x.grad is None


def test_reducing_an_empty_tensor_names_the_op(backend):
    with pytest.raises(ValueError, match=r"max.*\(0,\)"):
        minidl.zeros(0, device=backend).max()


def test_a_failed_op_records_nothing(make_tensor):
    x = make_tensor((3, 4), requires_grad=True)
    y = x * 2.0
    with pytest.raises(ValueError, match="matmul"):
        y @ make_tensor((3, 4))
    with pytest.raises(ValueError, match="add"):
        y + make_tensor((5,))
    with pytest.raises(IndexError, match="getitem"):
        y[7]
    assert [f.label for f in minidl.walk(y)] == ["mul"]
    assert x.grad is None and y.grad is None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2.0))


def test_a_failed_in_place_op_changes_nothing(make_tensor):
    x = make_tensor((3,))
    before = x.numpy().copy()
    with pytest.raises(ValueError):
        x.add_(make_tensor((2, 3)))
    with pytest.raises(IndexError):
        x[5] = 1.0
    np.testing.assert_array_equal(x.numpy(), before)
    y = x * 1.0  # a graph made after the failed changes still backpropagates fine
    x.requires_grad_()
    (x * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), before)


def test_a_failed_in_place_op_names_the_op(make_tensor):
    with pytest.raises(ValueError, match=r"add_.*\(3,\).*\(2, 3\)"):
        make_tensor((3,)).add_(make_tensor((2, 3)))


def test_a_max_result_used_as_an_operand_says_to_take_values(backend):
    x = minidl.randn(2, 3, device=backend)
    with pytest.raises(TypeError, match=r"MaxResult \('values', 'indices'\).*\.values"):
        x - x.max(dim=1)
