"""Arithmetic: + - * / ** and matrix products, with NumPy broadcasting.

Where an input was broadcast, its gradient comes back in the output's shape; the engine
sums it back to the input's shape (`autograd._fit_to_input`), so no op here has to.
"""

from __future__ import annotations

from minidl.autograd import Function
from minidl.dtypes import default_float
from minidl.ops.arguments import operands
from minidl.ops.elementwise import log
from minidl.tensor import Tensor

__all__ = ["add", "div", "matmul", "mul", "neg", "pow", "sub"]


class Add(Function):
    label = "add"

    def forward(self, x, y):
        return x + y

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    label = "sub"

    def forward(self, x, y):
        return x - y

    def backward(self, grad):
        return grad, -grad


class Mul(Function):
    label = "mul"

    def forward(self, x, y):
        return x * y

    def backward(self, grad):
        x, y = self.inputs
        needs_x, needs_y = self.needs_input_grad  # x * 2: no gradient for the 2, so skip it
        return grad * y if needs_x else None, grad * x if needs_y else None


class Div(Function):
    label = "div"

    def forward(self, x, y):
        return x / y

    def backward(self, grad):
        x, y = self.inputs  # d(x/y)/dy = -x/y^2
        needs_x, needs_y = self.needs_input_grad
        return grad / y if needs_x else None, -grad * x / (y * y) if needs_y else None


class Neg(Function):
    label = "neg"

    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


class Pow(Function):
    label = "pow"

    def forward(self, x, y):
        return x**y

    def backward(self, grad):
        x, y = self.inputs
        grad_x = grad * y * x ** (y - 1) if self.needs_input_grad[0] else None
        # d(x^y)/dy = x^y log x; only when y needs it, as log is undefined for x <= 0
        grad_y = grad * self.outputs[0] * log(x) if self.needs_input_grad[1] else None
        return grad_x, grad_y


class MatMul(Function):
    label = "matmul"

    def forward(self, a, b):
        return a @ b

    def backward(self, grad):
        a, b = self.inputs  # for C = AB: dA = dC B^T, dB = A^T dC (batched: last two axes)
        needs_a, needs_b = self.needs_input_grad
        return grad @ b.mT if needs_a else None, a.mT @ grad if needs_b else None


def add(x, y) -> Tensor:
    """x + y."""
    return Add()(*operands(x, y))


def sub(x, y) -> Tensor:
    """x - y."""
    return Sub()(*operands(x, y))


def mul(x, y) -> Tensor:
    """x * y, element-wise."""
    return Mul()(*operands(x, y))


def div(x, y) -> Tensor:
    """x / y, element-wise (true division: ints give float32, as in PyTorch)."""
    x, y = operands(x, y)
    if not (x.is_floating_point() or y.is_floating_point()):
        x, y = x.astype(default_float), y.astype(default_float)
    return Div()(x, y)


def neg(x: Tensor) -> Tensor:
    """-x."""
    return Neg()(x)


def pow(x, exponent) -> Tensor:
    """x ** exponent; either side may be a tensor or a number."""
    return Pow()(*operands(x, exponent))


def matmul(a, b) -> Tensor:
    """Matrix product a @ b; 1-d vectors and batches of matrices (broadcast) as in NumPy."""
    a, b = operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both sides need at least 1 dimension, got {a.shape} and {b.shape}")
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != inner_b:
        raise ValueError(
            f"matmul: cannot multiply {a.shape} by {b.shape}: "
            f"inner dimensions {a.shape[-1]} and {inner_b} differ"
        )
    # A vector on the left is a one-row matrix, on the right a one-column matrix; the extra
    # dim is dropped again afterwards. This keeps MatMul itself to matrices.
    result = MatMul()(a.unsqueeze(0) if a.ndim == 1 else a, b.unsqueeze(-1) if b.ndim == 1 else b)
    if b.ndim == 1:
        result = result.squeeze(-1)
    if a.ndim == 1:
        result = result.squeeze(-1 if b.ndim == 1 else -2)
    return result
