"""`Tensor`: an n-dimensional array (NumPy or CuPy) that remembers how it was computed.

A tensor holds its values in `.array`. When it was made by an op that should be
differentiated, `.grad_fn` is that op (a `Function`), which knows its inputs: following
`grad_fn` from tensor to tensor walks the computation graph. After `backward()`, a leaf
tensor that requires grad holds d(output)/d(itself) in `.grad`.
"""

from __future__ import annotations

import operator

import numpy

from minidl import dtypes
from minidl.backend import as_array, device_of, normalize_device, to_device

__all__ = ["Tensor"]


class Tensor:
    """An array with an optional gradient and a link to the op that made it."""

    # Slots for what every tensor sets (faster to make); __dict__ for the rare rest (name, ...).
    __slots__ = ("array", "grad", "grad_fn", "requires_grad", "_version", "__weakref__", "__dict__")
    name: str | None = None  # shown in graph drawings
    _retains_grad = False  # set by retain_grad()
    __array_ufunc__ = None  # so `numpy_array + tensor` calls Tensor.__radd__, giving a Tensor
    __hash__ = object.__hash__  # `==` compares element-wise, so hash by identity (used as dict keys)

    def __init__(self, array, requires_grad: bool = False, name: str | None = None):
        if type(array) is not numpy.ndarray:  # e.g. the NumPy scalar an op returns for 0-d
            array = as_array(array)
        self.array = array
        self.grad: Tensor | None = None
        self.grad_fn = None
        self.requires_grad = requires_grad
        self._version = [0]  # bumped by every in-place change; a list so detach() can share it
        if name is not None:
            self.name = name

    # --- what it is ---------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> numpy.dtype:
        return self.array.dtype

    @property
    def device(self) -> str:
        return device_of(self.array)

    @property
    def is_leaf(self) -> bool:
        """True for a tensor no recorded op made: its gradient lands in `.grad`."""
        return self.grad_fn is None

    def size(self, dim: int | None = None):
        """The shape, or its length along `dim`."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return self.array.size

    def dim(self) -> int:
        return self.ndim

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        values = numpy.array2string(self.numpy(), precision=4, separator=", ", prefix="tensor(")
        extras = []
        if self.dtype not in (dtypes.default_float, dtypes.int64, dtypes.bool_):
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.label}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({', '.join([values, *extras])})"

    # --- getting the values out ---------------------------------------------------------

    def item(self):
        """The single value as a Python number."""
        if self.numel() != 1:
            raise ValueError(f"item: only a one-element tensor has an item, this one has shape {self.shape}")
        return self.array.item()

    def numpy(self) -> numpy.ndarray:
        """The values as a NumPy array (copied from the GPU if needed)."""
        return to_device(self.array, "cpu")

    def tolist(self):
        return self.numpy().tolist()

    def __array__(self, dtype=None, copy=None):
        return self.numpy() if dtype is None else self.numpy().astype(dtype)

    def __bool__(self) -> bool:
        if autograd._tracer is not None:  # `if x.sum() > 0:` while tracing: the graph keeps one branch
            autograd._tracer.became_python_bool(self)
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        return int(self.item())

    # --- gradients ----------------------------------------------------------------------

    def backward(self, gradient=None, retain_graph=False, create_graph=False, hook=None) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        `hook(step)` is called at each op in the order backward visits them, with a
        `BackwardStep` (the op, its upstream gradients, the gradients it passes on).
        """
        autograd.backward(self, gradient, retain_graph, create_graph, hook)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark this tensor as a leaf whose gradient backward should compute."""
        if requires_grad and not self.is_floating_point():
            raise TypeError(f"requires_grad_: only floating-point tensors have gradients, not {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> Tensor:
        """Keep `.grad` on this non-leaf tensor too after backward."""
        self._retains_grad = True
        return self

    def detach(self) -> Tensor:
        """The same values, cut off from the graph (shares the array and its version counter)."""
        detached = Tensor(self.array)
        detached._version = self._version
        return detached

    @property
    def data(self) -> Tensor:
        """The values as a tensor outside the graph, as PyTorch's `.data`; prefer detach()."""
        return Tensor(self.array)

    @data.setter
    def data(self, value: Tensor) -> None:
        self.array = value.array if isinstance(value, Tensor) else value

    # --- copies to another dtype or device ---------------------------------------------

    def to(self, *args, device=None, dtype=None) -> Tensor:
        """`to('cuda')`, `to(minidl.float64)` or both; self when nothing changes."""
        for arg in args:
            if isinstance(arg, str) or isinstance(arg, Tensor):
                device = arg.device if isinstance(arg, Tensor) else arg
            else:
                dtype = arg
        result = self
        if dtype is not None and numpy.dtype(dtype) != self.dtype:
            result = ops.astype(result, dtype)
        if device is not None and normalize_device(device) != self.device:
            result = ops.to_device(result, normalize_device(device))
        return result

    def astype(self, dtype) -> Tensor:
        return ops.astype(self, dtype)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def clone(self) -> Tensor:
        return ops.clone(self)

    # --- operators: each one line, the ops live in minidl/ops -----------------------------

    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.sub(self, other)
    def __rsub__(self, other): return ops.sub(other, self)
    def __mul__(self, other): return ops.mul(self, other)
    def __rmul__(self, other): return ops.mul(other, self)
    def __truediv__(self, other): return ops.div(self, other)
    def __rtruediv__(self, other): return ops.div(other, self)
    def __pow__(self, other): return ops.pow(self, other)
    def __rpow__(self, other): return ops.pow(other, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.neg(self)
    def __abs__(self): return ops.abs(self)
    def __eq__(self, other): return ops.eq(self, other)
    def __ne__(self, other): return ops.ne(self, other)
    def __lt__(self, other): return ops.lt(self, other)
    def __le__(self, other): return ops.le(self, other)
    def __gt__(self, other): return ops.gt(self, other)
    def __ge__(self, other): return ops.ge(self, other)
    def __and__(self, other): return ops.logical_and(self, other)
    def __or__(self, other): return ops.logical_or(self, other)
    def __invert__(self): return ops.logical_not(self)
    def __getitem__(self, index): return ops.getitem(self, index)

    # --- the same ops as methods -----------------------------------------------------------

    def exp(self): return ops.exp(self)
    def log(self): return ops.log(self)
    def sqrt(self): return ops.sqrt(self)
    def abs(self): return ops.abs(self)
    def tanh(self): return ops.tanh(self)
    def sigmoid(self): return ops.sigmoid(self)
    def relu(self): return ops.relu(self)
    def pow(self, exponent): return ops.pow(self, exponent)
    def matmul(self, other): return ops.matmul(self, other)
    def maximum(self, other): return ops.maximum(self, other)
    def minimum(self, other): return ops.minimum(self, other)
    def clip(self, min=None, max=None): return ops.clip(self, min, max)
    def clamp(self, min=None, max=None): return ops.clip(self, min, max)
    def sum(self, *args, **kwargs): return ops.sum(self, *args, **kwargs)
    def mean(self, *args, **kwargs): return ops.mean(self, *args, **kwargs)
    def var(self, *args, **kwargs): return ops.var(self, *args, **kwargs)
    def max(self, *args, **kwargs): return ops.max(self, *args, **kwargs)
    def min(self, *args, **kwargs): return ops.min(self, *args, **kwargs)
    def argmax(self, *args, **kwargs): return ops.argmax(self, *args, **kwargs)
    def argmin(self, *args, **kwargs): return ops.argmin(self, *args, **kwargs)
    def sum_to(self, shape): return ops.sum_to(self, shape)
    def reshape(self, *shape): return ops.reshape(self, *shape)
    def view(self, *shape): return ops.reshape(self, *shape)
    def flatten(self, start_dim=0, end_dim=-1): return ops.flatten(self, start_dim, end_dim)
    def transpose(self, *dims): return ops.transpose(self, *dims)
    def permute(self, *dims): return ops.permute(self, *dims)
    def expand(self, *sizes): return ops.expand(self, *sizes)
    def broadcast_to(self, shape): return ops.broadcast_to(self, shape)
    def squeeze(self, *args, **kwargs): return ops.squeeze(self, *args, **kwargs)
    def unsqueeze(self, *args, **kwargs): return ops.unsqueeze(self, *args, **kwargs)
    def split(self, *args, **kwargs): return ops.split(self, *args, **kwargs)

    @property
    def T(self) -> Tensor:
        """All dimensions reversed (the transpose of a matrix)."""
        return ops.transpose(self)

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped: the transpose of each matrix in a batch."""
        return ops.matrix_transpose(self)

    # --- in-place changes: not recorded in the graph, so guarded -------------------------

    def _change_in_place(self, op: str, change, value) -> Tensor:
        """Apply `change(array, value)` in place and bump the version counter backward checks."""
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError(
                f"{op}: in-place change to a tensor of shape {self.shape} that requires grad while "
                "a graph is being recorded; do it inside `with minidl.no_grad():`, or use the "
                "out-of-place form (x = x + y instead of x += y)"
            )
        try:  # NumPy checks shapes and dtypes before it writes anything
            change(self.array, value.array if isinstance(value, Tensor) else value)
        except (ValueError, TypeError) as error:
            other = value if isinstance(value, Tensor) else Tensor(value)
            raise autograd.explain(op, (self, other), error) from None
        self._version[0] += 1
        return self

    def add_(self, other): return self._change_in_place("add_", operator.iadd, other)
    def sub_(self, other): return self._change_in_place("sub_", operator.isub, other)
    def mul_(self, other): return self._change_in_place("mul_", operator.imul, other)
    def div_(self, other): return self._change_in_place("div_", operator.itruediv, other)
    def copy_(self, other): return self._change_in_place("copy_", lambda a, v: a.__setitem__(..., v), other)
    def fill_(self, value): return self._change_in_place("fill_", lambda a, v: a.fill(v), value)
    def zero_(self): return self.fill_(0)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def __setitem__(self, index, value) -> None:
        index = ops.raw_index(index, self.device)
        self._change_in_place("setitem", lambda a, v: a.__setitem__(index, v), value)



# Imported last, and this module imported first (minidl/__init__.py): the ops build Tensors,
# and Tensor's operators call the ops, so the class must exist before the ops load.
from minidl import autograd, ops  # noqa: E402
