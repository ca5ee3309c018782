"""Comparisons, logic and sign: ops whose gradient is zero wherever it exists.

They record nothing in the graph and return bool (or, for sign, same-dtype) tensors,
used as masks: `x[x > 0]`, `grad * (x > 0)`.
"""

from __future__ import annotations

from minidl.autograd import explain
from minidl.backend import get_array_module
from minidl.ops.arguments import operands
from minidl.tensor import Tensor

__all__ = ["eq", "ge", "gt", "le", "logical_and", "logical_not", "logical_or", "lt", "ne", "sign"]


def _compare(label: str, ufunc_name: str, x, y) -> Tensor:
    x, y = operands(x, y)
    ufunc = getattr(get_array_module(x.array), ufunc_name)
    try:
        return Tensor(ufunc(x.array, y.array))
    except (ValueError, TypeError) as error:
        raise explain(label, (x, y), error) from None


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
    return Tensor(get_array_module(x.array).logical_not(x.array))


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element."""
    return Tensor(get_array_module(x.array).sign(x.array))
