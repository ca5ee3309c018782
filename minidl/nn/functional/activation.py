"""Activation functions: relu, leaky_relu, gelu, tanh, sigmoid, softmax, log_softmax."""

from __future__ import annotations

import math

from minidl import ops
from minidl.autograd import Function
from minidl.backend import get_array_module
from minidl.ops.arguments import axes
from minidl.tensor import Tensor

__all__ = ["gelu", "leaky_relu", "log_softmax", "logsumexp", "relu", "sigmoid", "softmax", "tanh"]

relu = ops.relu
tanh = ops.tanh
sigmoid = ops.sigmoid


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return ops.where(x > 0, x, x * negative_slope)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * P(X <= x) for a standard normal X: x/2 (1 + erf(x / sqrt 2)), or the tanh approximation."""
    if approximate == "tanh":
        return 0.5 * x * (1 + ops.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1 + ops.erf(x / math.sqrt(2)))


def logsumexp(x: Tensor, dim: int, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) along dim, computed without overflow: m + log(sum(exp(x - m))), m = max."""
    biggest = ops.max(x, dim, keepdim=True).values.detach()  # any constant works; the max keeps exp <= 1
    result = biggest + ops.log(ops.sum(ops.exp(x - biggest), dim, keepdim=True))
    return result if keepdim else result.squeeze(dim)


class LogSoftmax(Function):
    """y = x - log(sum(exp(x))) along `dim`, as one op: cross-entropy's hot path."""

    label = "log_softmax"

    def __init__(self, dim: int):
        self.dim = dim

    def forward(self, x):
        xp = get_array_module(x)
        shifted = x - x.max(axis=self.dim, keepdims=True)  # exp never overflows: every value <= 0
        return shifted - xp.log(xp.exp(shifted).sum(axis=self.dim, keepdims=True))

    def backward(self, grad):
        (y,) = self.outputs  # dy_i/dx_j = [i == j] - softmax_j, and softmax = exp(y)
        return grad - ops.exp(y) * grad.sum(dim=self.dim, keepdim=True)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """log(softmax(x)) = x - logsumexp(x), computed stably for large x."""
    (dim,) = axes("log_softmax", dim, x.ndim)
    return LogSoftmax(dim)(x)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along dim: positive, summing to 1."""
    return ops.exp(log_softmax(x, dim))
