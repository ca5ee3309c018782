"""Element-wise functions: exp, log, sqrt, abs, tanh, sigmoid, relu, maximum, minimum, clip, where.

Each backward is built from ops that are themselves differentiable, so gradients of
gradients work. Masks such as (x > 0) are constants: their own gradient is zero.
"""

from __future__ import annotations

import math

from minidl.autograd import Function
from minidl.backend import get_array_module
from minidl.ops.arguments import operands
from minidl.ops.comparison import sign
from minidl.tensor import Tensor

__all__ = ["abs", "clip", "erf", "exp", "log", "maximum", "minimum", "relu", "sigmoid", "sqrt", "tanh", "where"]


class Exp(Function):
    label = "exp"

    def forward(self, x):
        return get_array_module(x).exp(x)

    def backward(self, grad):
        (y,) = self.outputs  # d exp(x)/dx = exp(x): the output itself
        return grad * y


class Log(Function):
    label = "log"

    def forward(self, x):
        return get_array_module(x).log(x)

    def backward(self, grad):
        (x,) = self.inputs
        return grad / x


class Sqrt(Function):
    label = "sqrt"

    def forward(self, x):
        return get_array_module(x).sqrt(x)

    def backward(self, grad):
        (y,) = self.outputs  # d sqrt(x)/dx = 1 / (2 sqrt(x))
        return grad / (2 * y)


class Abs(Function):
    label = "abs"

    def forward(self, x):
        return get_array_module(x).abs(x)

    def backward(self, grad):
        (x,) = self.inputs
        return grad * sign(x)


class Erf(Function):
    """The error function 2/sqrt(pi) * integral_0^x e^(-t^2) dt (NumPy has none, so: a series)."""

    label = "erf"

    def forward(self, x):
        # Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, finer than float32's resolution.
        xp = get_array_module(x)
        t = 1 / (1 + 0.3275911 * xp.abs(x))
        poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
        return xp.sign(x) * (1 - poly * xp.exp(-x * x))

    def backward(self, grad):
        (x,) = self.inputs
        return grad * (2 / math.sqrt(math.pi)) * exp(-x * x)


class Tanh(Function):
    label = "tanh"

    def forward(self, x):
        return get_array_module(x).tanh(x)

    def backward(self, grad):
        (y,) = self.outputs  # d tanh(x)/dx = 1 - tanh(x)^2, so keep the output
        return grad * (1 - y * y)


class Sigmoid(Function):
    label = "sigmoid"

    def forward(self, x):
        # Written with tanh because 1 / (1 + exp(-x)) overflows for large negative x.
        return 0.5 * (get_array_module(x).tanh(0.5 * x) + 1)

    def backward(self, grad):
        (y,) = self.outputs
        return grad * y * (1 - y)


class ReLU(Function):
    label = "relu"

    def forward(self, x):
        return get_array_module(x).maximum(x, 0)

    def backward(self, grad):
        (x,) = self.inputs
        return grad * (x > 0)


class Maximum(Function):
    label = "maximum"

    def forward(self, x, y):
        return get_array_module(x, y).maximum(x, y)

    def backward(self, grad):
        x, y = self.inputs
        share_x = (sign(x - y) + 1) / 2  # 1 where x is larger, 0 where y is, 1/2 on a tie (as PyTorch)
        return grad * share_x, grad * (1 - share_x)


class Minimum(Function):
    label = "minimum"

    def forward(self, x, y):
        return get_array_module(x, y).minimum(x, y)

    def backward(self, grad):
        x, y = self.inputs
        share_x = (sign(y - x) + 1) / 2  # 1 where x is smaller, 0 where y is, 1/2 on a tie
        return grad * share_x, grad * (1 - share_x)


class Clip(Function):
    label = "clip"

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        return get_array_module(x).clip(x, self.low, self.high)

    def backward(self, grad):
        (x,) = self.inputs
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        return grad * ((x >= low) & (x <= high))


class Where(Function):
    label = "where"

    def __init__(self, condition):
        self.condition = condition  # a bool array: an attribute, not an input (no gradient goes to it)

    def forward(self, x, y):
        return get_array_module(x, y).where(self.condition, x, y)

    def backward(self, grad):
        zero = grad * 0
        return where(self.condition, grad, zero), where(self.condition, zero, grad)


def exp(x: Tensor) -> Tensor:
    """e ** x."""
    return Exp()(x)


def log(x: Tensor) -> Tensor:
    """Natural logarithm."""
    return Log()(x)


def sqrt(x: Tensor) -> Tensor:
    """Square root."""
    return Sqrt()(x)


def abs(x: Tensor) -> Tensor:
    """|x|; its gradient at 0 is taken to be 0."""
    return Abs()(x)


def erf(x: Tensor) -> Tensor:
    """The error function (accurate to about 1e-7)."""
    return Erf()(x)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh()(x)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x)."""
    return Sigmoid()(x)


def relu(x: Tensor) -> Tensor:
    """max(x, 0); its gradient at 0 is taken to be 0, as in PyTorch."""
    return ReLU()(x)


def maximum(x, y) -> Tensor:
    """Element-wise larger of x and y."""
    return Maximum()(*operands(x, y))


def minimum(x, y) -> Tensor:
    """Element-wise smaller of x and y."""
    return Minimum()(*operands(x, y))


def clip(x: Tensor, min=None, max=None) -> Tensor:
    """Limit x to [min, max] (either bound may be None); `clamp` in PyTorch."""
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    return Clip(min, max)(x)


def where(condition, x, y) -> Tensor:
    """x where condition is true, else y (condition: a bool tensor; it broadcasts)."""
    x, y = operands(x, y)
    condition = condition if isinstance(condition, Tensor) else Tensor(condition)
    if condition.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got {condition.dtype}")
    if condition.device != x.device:
        raise RuntimeError(f"where: condition is on {condition.device}, the values on {x.device}")
    return Where(condition.array)(x, y)
