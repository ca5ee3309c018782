"""Making tensors: from data, filled with a constant, ranges and identity matrices.

Python floats become float32 (the default, as in PyTorch); NumPy arrays keep their dtype.
"""

from __future__ import annotations

import numbers

import numpy

from minidl import dtypes
from minidl.backend import array_module_for, as_array, normalize_device, to_device
from minidl.tensor import Tensor

__all__ = [
    "arange",
    "eye",
    "full",
    "full_like",
    "new_leaf",
    "ones",
    "ones_like",
    "size_argument",
    "tensor",
    "zeros",
    "zeros_like",
]


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of `data` (numbers, nested lists, an array or a Tensor)."""
    if isinstance(data, Tensor):
        data = data.array
    from_python = not hasattr(data, "dtype")
    array = as_array(data)
    if dtype is not None:
        array = array.astype(dtype)
    elif from_python and array.dtype == numpy.float64:
        array = array.astype(dtypes.default_float)
    if device is not None:
        array = to_device(array, normalize_device(device))
    # Always a copy: never the caller's own array (each step above may already have made one).
    return new_leaf(array.copy() if array is data else array, requires_grad, "tensor")


def new_leaf(array, requires_grad: bool, op: str) -> Tensor:
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(f"{op}: only floating-point tensors can require grad, not {array.dtype}")
    return Tensor(array, requires_grad=requires_grad)


def size_argument(size) -> tuple[int, ...]:
    """zeros(2, 3) and zeros((2, 3)) alike (also reshape, view, permute, expand)."""
    if len(size) == 1 and not isinstance(size[0], (int, numpy.integer)):
        return tuple(size[0])
    return tuple(size)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape `size` filled with `fill_value` (float32 for a float, int64 for an int)."""
    if dtype is None:
        dtype = numpy.asarray(fill_value).dtype
        dtype = dtypes.default_float if dtype == numpy.float64 else dtype
    xp = array_module_for(device)
    return new_leaf(xp.full(tuple(size), fill_value, dtype=dtype), requires_grad, "full")


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 unless told otherwise)."""
    return full(size_argument(size), 0, dtype or dtypes.default_float, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 unless told otherwise)."""
    return full(size_argument(size), 1, dtype or dtypes.default_float, device, requires_grad)


def full_like(x: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """`full` with x's shape, and its dtype and device unless told otherwise."""
    return full(x.shape, fill_value, dtype or x.dtype, device or x.device, requires_grad)


def zeros_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return full_like(x, 0, dtype, device, requires_grad)


def ones_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return full_like(x, 1, dtype, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """start, start + step, ... up to (not including) end; arange(n) is 0..n-1.

    int64 when all arguments are ints, else float32.
    """
    if end is None:
        start, end = 0, start
    if dtype is None:
        all_ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = dtypes.int64 if all_ints else dtypes.default_float
    xp = array_module_for(device)
    return new_leaf(xp.arange(start, end, step, dtype=dtype), requires_grad, "arange")


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (n x n when m is None)."""
    xp = array_module_for(device)
    return new_leaf(xp.eye(n, m, dtype=dtype or dtypes.default_float), requires_grad, "eye")
