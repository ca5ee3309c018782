"""Indexing `x[index]` with ints, slices, None, ..., integer arrays and bool masks.

The gradient of picking elements is putting the gradient back where they came from, adding
where one element was picked twice (x[[0, 0]] uses x[0] twice, so it gets both gradients).
"""

from __future__ import annotations

import numpy

from minidl.autograd import Function
from minidl.backend import get_array_module, scatter_add, to_device
from minidl.tensor import Tensor

__all__ = ["getitem", "index_add", "raw_index"]


class GetItem(Function):
    label = "getitem"

    def __init__(self, index):
        self.index = index
        self.returns_view = _is_basic(index)  # x[1:3] is a view of x; x[[1, 2]] is a copy

    def forward(self, x):
        self.input_shape = x.shape
        return x[self.index]

    def backward(self, grad):
        return index_add(grad, self.index, self.input_shape)


class IndexAdd(Function):
    """zeros(shape), then values added at `index`; the gradient of getitem."""

    label = "index_add"

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, values):
        result = get_array_module(values).zeros(self.shape, dtype=values.dtype)
        if _is_basic(self.index):
            result[self.index] = values  # ints and slices never pick an element twice
        else:
            scatter_add(result, self.index, values)
        return result

    def backward(self, grad):
        return grad[self.index]


def _is_basic(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, numpy.integer, slice)) for p in parts)


def raw_index(index, device: str = "cpu"):
    """The index with every Tensor, list or array in it as an array on `device` (the indexed
    tensor's: CuPy wants CuPy index arrays)."""
    if isinstance(index, tuple):
        return tuple(raw_index(part, device) for part in index)
    if isinstance(index, Tensor):
        return to_device(index.array, device)
    if isinstance(index, (list, numpy.ndarray)):
        return to_device(numpy.asarray(index), device)
    return index


def getitem(x: Tensor, index) -> Tensor:
    """x[index], as NumPy indexes."""
    return GetItem(raw_index(index, x.device))(x)


def index_add(values: Tensor, index, shape) -> Tensor:
    """A tensor of `shape`, zero but for `values` added at `index` (repeats add up)."""
    return IndexAdd(raw_index(index, values.device), tuple(shape))(values)
