"""Reductions over one dim, several, or all: sum, mean, max, min, var, argmax, argmin.

`dim` (or NumPy's `axis`) picks the dims; `keepdim` (or `keepdims`) keeps them with size 1.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy

from minidl.autograd import Function
from minidl.backend import get_array_module
from minidl.ops.arguments import axes, numpy_names
from minidl.ops.elementwise import maximum, minimum
from minidl.tensor import Tensor

__all__ = ["argmax", "argmin", "max", "mean", "min", "sum", "var"]


def _spread_back(grad: Tensor, dims: tuple[int, ...], keepdim: bool, shape) -> Tensor:
    """Give every input element the gradient of the reduced element it went into."""
    if not keepdim:
        grad = grad.reshape(*[1 if i in dims else n for i, n in enumerate(shape)])
    return grad.broadcast_to(shape)


class Sum(Function):
    label = "sum"

    def __init__(self, dims, keepdim):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        self.input_shape = x.shape
        return x.sum(axis=self.dims, keepdims=self.keepdim)

    def backward(self, grad):
        return _spread_back(grad, self.dims, self.keepdim, self.input_shape)


class Mean(Sum):
    label = "mean"

    def forward(self, x):
        self.input_shape = x.shape
        return x.mean(axis=self.dims, keepdims=self.keepdim)

    def backward(self, grad):
        count = 1
        for d in self.dims:
            count *= self.input_shape[d]
        return super().backward(grad) / count  # each element counted 1/count in the mean


class Max(Function):
    label = "max"
    reduce = "max"

    def __init__(self, dims, keepdim):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        return getattr(x, self.reduce)(axis=self.dims, keepdims=self.keepdim)

    def backward(self, grad):
        (x,), (y,) = self.inputs, self.outputs
        # The gradient goes to the element(s) that won, shared equally on a tie (as torch.amax).
        winners = (x == _spread_back(y, self.dims, self.keepdim, x.shape)).astype(x.dtype)
        count = winners.sum(dim=self.dims, keepdim=True)
        return _spread_back(grad, self.dims, self.keepdim, x.shape) * winners / count


class Min(Max):
    label = "min"
    reduce = "min"


class MaxResult(NamedTuple):
    """What max(x, dim) and min(x, dim) return, as in PyTorch."""

    values: Tensor
    indices: Tensor


def _reduce(function_class, op, x, dim, keepdim) -> Tensor:
    if x.numel() == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {x.shape}")
    return function_class(axes(op, dim, x.ndim), keepdim)(x)


@numpy_names
def sum(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Sum over `dim` (an int, several, or None for all)."""
    return Sum(axes("sum", dim, x.ndim), keepdim)(x)


@numpy_names
def mean(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Mean over `dim` (an int, several, or None for all)."""
    return _reduce(Mean, "mean", x, dim, keepdim)


@numpy_names
def var(x: Tensor, dim=None, keepdim: bool = False, correction: int = 1) -> Tensor:
    """Variance: sum((x - mean)^2) / (n - correction); correction=1 (PyTorch's default) is
    unbiased, correction=0 is NumPy's default."""
    dims = axes("var", dim, x.ndim)
    count = 1
    for d in dims:
        count *= x.shape[d]
    centered = x - mean(x, dims, keepdim=True)
    return sum(centered * centered, dims, keepdim) / (count - correction)


def max(x: Tensor, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool = False):
    """The largest value. As in PyTorch: max(x) -> a scalar; max(x, dim) -> (values, indices);
    max(x, y) with a tensor y -> maximum(x, y). Over several dims, max(x, (0, 2)), or with NumPy's
    names, max(x, axis=...): the values alone."""
    return _max_or_min(Max, maximum, argmax, "max", x, dim, keepdim, axis, keepdims)


def min(x: Tensor, dim=None, keepdim: bool = False, *, axis=None, keepdims: bool = False):
    """The smallest value; called as `max` is."""
    return _max_or_min(Min, minimum, argmin, "min", x, dim, keepdim, axis, keepdims)


def _max_or_min(function_class, elementwise, arg, op, x, dim, keepdim, axis, keepdims):
    if isinstance(dim, Tensor):
        return elementwise(x, dim)
    if axis is not None or keepdims:  # NumPy's names: NumPy's answer, the values alone
        return _reduce(function_class, op, x, axis, keepdims)
    if not isinstance(dim, (int, numpy.integer)):  # all dims or several: the values alone, as torch.amax
        return _reduce(function_class, op, x, dim, keepdim)
    return MaxResult(_reduce(function_class, op, x, dim, keepdim), arg(x, dim, keepdim))


@numpy_names
def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest value along `dim` (of the flattened tensor when dim is None)."""
    return _arg(x, dim, keepdim, "argmax")


@numpy_names
def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value along `dim` (of the flattened tensor when dim is None)."""
    return _arg(x, dim, keepdim, "argmin")


class ArgExtreme(Function):
    """argmax or argmin along an axis (None: of the flattened array), as int64; no gradient."""

    differentiable = False

    def __init__(self, label: str, axis, keepdim: bool):
        self.label, self.axis, self.keepdim = label, axis, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        return getattr(xp, self.label)(x, axis=self.axis, keepdims=self.keepdim).astype(xp.int64)


def _arg(x: Tensor, dim, keepdim, op) -> Tensor:
    if x.numel() == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {x.shape}")
    dims = axes(op, dim, x.ndim) if dim is not None else ()
    return ArgExtreme(op, dims[0] if dims else None, keepdim)(x)  # a 0-d tensor's only dim is all of it
