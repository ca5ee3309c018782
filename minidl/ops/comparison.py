"""Comparisons, logic and sign: ops whose gradient is zero wherever it exists.

They are ops like any other (a traced graph shows them), but never record themselves for
backward: they return bool (or, for sign, same-dtype) tensors that do not require grad,
used as masks: `x[x > 0]`, `grad * (x > 0)`.
"""

from __future__ import annotations

from minidl.autograd import Function
from minidl.backend import get_array_module
from minidl.ops.arguments import operands
from minidl.tensor import Tensor

__all__ = ["eq", "ge", "gt", "le", "logical_and", "logical_not", "logical_or", "lt", "ne", "sign"]


class Ufunc(Function):
    """One NumPy ufunc applied element by element; its result has no gradient."""

    differentiable = False

    def __init__(self, label: str, ufunc_name: str):
        self.label, self.ufunc_name = label, ufunc_name

    def forward(self, *arrays):
        return getattr(get_array_module(*arrays), self.ufunc_name)(*arrays)


def _compare(label: str, ufunc_name: str, x, y) -> Tensor:
    return Ufunc(label, ufunc_name)(*operands(x, y))


def eq(x, y) -> Tensor:
    """x == y, element-wise."""
    return _compare("eq", "equal", x, y)


def ne(x, y) -> Tensor:
    """x != y, element-wise."""
    return _compare("ne", "not_equal", x, y)


def lt(x, y) -> Tensor:
    """x < y, element-wise."""
    return _compare("lt", "less", x, y)


def le(x, y) -> Tensor:
    """x <= y, element-wise."""
    return _compare("le", "less_equal", x, y)


def gt(x, y) -> Tensor:
    """x > y, element-wise."""
    return _compare("gt", "greater", x, y)


def ge(x, y) -> Tensor:
    """x >= y, element-wise."""
    return _compare("ge", "greater_equal", x, y)


def logical_and(x, y) -> Tensor:
    """x & y for bool tensors."""
    return _compare("logical_and", "logical_and", x, y)


def logical_or(x, y) -> Tensor:
    """x | y for bool tensors."""
    return _compare("logical_or", "logical_or", x, y)


def logical_not(x: Tensor) -> Tensor:
    """~x for a bool tensor."""
    return Ufunc("logical_not", "logical_not")(x)


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element."""
    return Ufunc("sign", "sign")(x)
