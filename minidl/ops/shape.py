"""Ops that move values around without changing them: reshape, transpose, broadcast, join, split, pad.

Their gradients move the values back: the backward of reshape is a reshape, of
broadcast_to a sum (`sum_to`), of cat a split, and so on.
"""

from __future__ import annotations

import numpy

from minidl.autograd import Function
from minidl.backend import get_array_module
from minidl.creation import size_argument
from minidl.ops.arguments import axes, numpy_names
from minidl.tensor import Tensor

__all__ = [
    "broadcast_to",
    "cat",
    "concat",
    "expand",
    "flatten",
    "matrix_transpose",
    "pad",
    "permute",
    "reshape",
    "split",
    "squeeze",
    "stack",
    "sum_to",
    "transpose",
    "unsqueeze",
]


class Reshape(Function):
    label = "reshape"
    returns_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.input_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, grad):
        return grad.reshape(self.input_shape)


class Transpose(Function):
    label = "transpose"
    returns_view = True

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return get_array_module(x).transpose(x, self.dims)

    def backward(self, grad):
        return grad.permute(*numpy.argsort(self.dims))  # the inverse permutation


class BroadcastTo(Function):
    label = "broadcast_to"
    returns_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.input_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, grad):
        return sum_to(grad, self.input_shape)


class SumTo(Function):
    """Sum over the axes that broadcasting added or stretched, back to `shape`."""

    label = "sum_to"

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.input_shape = x.shape
        leading = x.ndim - len(self.shape)
        stretched = tuple(leading + i for i, n in enumerate(self.shape) if n == 1 and x.shape[leading + i] != 1)
        summed = x.sum(axis=tuple(range(leading)) + stretched, keepdims=True)
        return summed.reshape(self.shape)

    def backward(self, grad):
        return broadcast_to(grad, self.input_shape)


class Concat(Function):
    label = "cat"

    def __init__(self, dim):
        self.dim = dim

    def forward(self, *xs):
        self.sizes = [x.shape[self.dim] for x in xs]
        return get_array_module(*xs).concatenate(xs, axis=self.dim)

    def backward(self, grad):
        return split(grad, self.sizes, self.dim)


class Split(Function):
    label = "split"
    returns_view = True

    def __init__(self, sizes, dim):
        self.sizes, self.dim = sizes, dim

    def forward(self, x):
        self.input_shape = x.shape
        ends = numpy.cumsum(self.sizes)[:-1].tolist()
        return tuple(get_array_module(x).split(x, ends, axis=self.dim))

    def backward(self, *grads):
        like = next(g for g in grads if g is not None)
        zeros = []  # a piece no path to the result used has gradient zero
        for g, size in zip(grads, self.sizes):
            if g is None:
                shape = list(self.input_shape)
                shape[self.dim] = size
                g = Tensor(get_array_module(like.array).zeros(shape, dtype=like.dtype))
            zeros.append(g)
        return cat(zeros, self.dim)


class Pad(Function):
    label = "pad"

    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        return get_array_module(x).pad(x, self.widths, constant_values=self.value)

    def backward(self, grad):
        return grad[tuple(slice(before, n - after) for (before, after), n in zip(self.widths, grad.shape))]


def reshape(x: Tensor, *shape) -> Tensor:
    """The same values in a new shape (one size may be -1: inferred). `view` is the same."""
    return Reshape(size_argument(shape))(x)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = axes("flatten", start_dim, x.ndim)[0], axes("flatten", end_dim, x.ndim)[0]
    return reshape(x, *x.shape[:start], -1, *x.shape[end + 1 :])


def squeeze(x: Tensor, dim=None) -> Tensor:
    """Drop dims of size 1 (all of them, or those in `dim` that have size 1)."""
    dims = axes("squeeze", dim, x.ndim)
    return reshape(x, *[n for i, n in enumerate(x.shape) if not (i in dims and n == 1)])


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at position `dim`."""
    (dim,) = axes("unsqueeze", dim, x.ndim + 1)
    return reshape(x, *x.shape[:dim], 1, *x.shape[dim:])


def permute(x: Tensor, *dims) -> Tensor:
    """Reorder the dims: output dim i is input dim dims[i]."""
    dims = size_argument(dims)
    in_range = all(-x.ndim <= d < x.ndim for d in dims)
    if not in_range or sorted(d % x.ndim for d in dims) != list(range(x.ndim)):
        raise ValueError(f"permute: {dims} is not an ordering of the {x.ndim} dims of a tensor of shape {x.shape}")
    return Transpose(tuple(d % x.ndim for d in dims))(x)


def transpose(x: Tensor, *dims) -> Tensor:
    """transpose(x, d0, d1) swaps two dims (PyTorch); transpose(x) reverses all (NumPy, `.T`)."""
    if not dims:
        return Transpose(tuple(reversed(range(x.ndim))))(x)
    if len(dims) == 1:
        return permute(x, *dims)
    (d0,), (d1,) = axes("transpose", dims[0], x.ndim), axes("transpose", dims[1], x.ndim)
    order = list(range(x.ndim))
    order[d0], order[d1] = d1, d0
    return Transpose(tuple(order))(x)


def matrix_transpose(x: Tensor) -> Tensor:
    """Swap the last two dims (`x.mT`): the transpose of every matrix in a batch."""
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose: needs at least 2 dims, got shape {x.shape}")
    return Transpose((*range(x.ndim - 2), x.ndim - 1, x.ndim - 2))(x)


def broadcast_to(x: Tensor, shape) -> Tensor:
    """Repeat x along new leading dims and along its size-1 dims to reach `shape`."""
    return BroadcastTo(tuple(shape))(x)


def expand(x: Tensor, *sizes) -> Tensor:
    """PyTorch's broadcast_to, where -1 keeps a dim's size."""
    sizes = size_argument(sizes)
    lead = len(sizes) - x.ndim
    return broadcast_to(x, [x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes)])


def sum_to(x: Tensor, shape) -> Tensor:
    """Sum x down to `shape`, undoing a broadcast (the gradient of broadcast_to)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumTo(shape)(x)


@numpy_names
def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: needs at least one tensor")
    (dim,) = axes("cat", dim, tensors[0].ndim)
    return Concat(dim)(*tensors)


concat = cat


@numpy_names
def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dim."""
    tensors = list(tensors)
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return cat([unsqueeze(t, dim) for t in tensors], dim)


@numpy_names
def split(x: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Cut x along `dim` into pieces of `split_size` (the last may be smaller) or of the given sizes."""
    (dim,) = axes("split", dim, x.ndim)
    length = x.shape[dim]
    if isinstance(split_size_or_sections, (int, numpy.integer)):
        step = int(split_size_or_sections)
        sizes = [min(step, length - start) for start in range(0, length, step)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, but dim {dim} of {x.shape} has {length}")
    return Split(sizes, dim)(x)


def pad(x: Tensor, pad, value=0) -> Tensor:
    """Pad with a constant. `pad` as PyTorch's F.pad (left, right[, top, bottom, ...], from the
    last dim backwards) or as NumPy's ((before, after), ...) for every dim."""
    if all(isinstance(p, (int, numpy.integer)) for p in pad):
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ValueError(f"pad: {tuple(pad)} needs an even length of at most 2 * {x.ndim}")
        pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)][::-1]
        widths = [(0, 0)] * (x.ndim - len(pairs)) + pairs
    else:
        widths = [tuple(p) for p in pad]
        if len(widths) != x.ndim:
            raise ValueError(f"pad: {len(widths)} (before, after) pairs for a tensor of shape {x.shape}")
    return Pad(tuple(widths), value)(x)
