"""Turning what users pass into what ops take: numbers into tensors, `dim` or `axis` into axes."""

from __future__ import annotations

import functools

import numpy

from minidl.backend import get_array_module
from minidl.creation import tensor
from minidl.dtypes import default_float
from minidl.tensor import Tensor

__all__ = ["axes", "constant", "numpy_names", "operands"]


def operands(a, b) -> tuple[Tensor, Tensor]:
    """Both sides of a binary op as Tensors, the non-Tensor side made `constant` like the other.

    An integer tensor next to a Python float becomes float32 first, as in PyTorch (NumPy would
    give float64): `labels * 0.5` is float32.
    """
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a, b
    if isinstance(a, Tensor):
        a = a.astype(default_float) if isinstance(b, float) and not a.is_floating_point() else a
        return a, constant(b, like=a)
    b = b.astype(default_float) if isinstance(a, float) and not b.is_floating_point() else b
    return constant(a, like=b), b


# isinstance against numbers.Number is slow, and this runs for every `x * 2`.
_NUMBERS = (int, float, complex, numpy.number, numpy.bool_)
_INTEGERS = (int, numpy.integer)  # bool is an int too, but True + x should not become int


def constant(value, like: Tensor) -> Tensor:
    """A number or array as a Tensor on `like`'s device.

    A plain number takes `like`'s dtype when the kinds agree, so `2 * x` stays float32 for
    a float32 `x`, as in PyTorch (NumPy would make a float64 scalar win).
    """
    if isinstance(value, _NUMBERS):
        xp, dtype = get_array_module(like.array), like.array.dtype
        if dtype.kind == "f" or (dtype.kind in "iu" and isinstance(value, _INTEGERS)):
            return Tensor(xp.asarray(value, dtype=dtype))
        return Tensor(xp.asarray(value))
    if isinstance(value, tuple) and any(isinstance(item, Tensor) for item in value):
        fields = getattr(value, "_fields", ())  # max(x, dim) and min(x, dim) give (values, indices)
        raise TypeError(f"an operand is a {type(value).__name__} {tuple(fields) or 'tuple'} of tensors, not a Tensor"
                        + ("; take its .values" if "values" in fields else ""))
    return tensor(value, device=like.device)


def numpy_names(op):
    """Let an op take NumPy's `axis` and `keepdims` as well as PyTorch's `dim` and `keepdim`."""

    @functools.wraps(op)
    def with_either_name(*args, **kwargs):
        for numpy_name, torch_name in (("axis", "dim"), ("keepdims", "keepdim")):
            if numpy_name in kwargs:
                if torch_name in kwargs:
                    raise TypeError(f"{op.__name__}: give {torch_name} or {numpy_name}, not both")
                kwargs[torch_name] = kwargs.pop(numpy_name)
        return op(*args, **kwargs)

    return with_either_name


def axes(op: str, dim, ndim: int) -> tuple[int, ...]:
    """`dim` (None, an int or several) as a sorted tuple of non-negative axes; None means all."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, _INTEGERS) else tuple(dim)
    size = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    for d in dims:
        if not -size <= d < size:
            raise IndexError(f"{op}: dim {d} is out of range for a tensor with {ndim} dimensions")
    if len(dims) == 1:
        return (dims[0] % size,) if ndim else ()
    return tuple(sorted({d % size for d in dims})) if ndim else ()
