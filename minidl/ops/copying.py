"""Copies of a tensor: clone, cast to another dtype, move to another device. Gradients flow back
through each (to the original dtype and device)."""

from __future__ import annotations

import numpy

from minidl.autograd import Function
from minidl.backend import device_of
from minidl.backend import to_device as move
from minidl.tensor import Tensor

__all__ = ["astype", "clone", "to_device"]


class Clone(Function):
    label = "clone"

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


class AsType(Function):
    label = "astype"

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, grad):
        return grad  # the engine casts every gradient to its input's dtype


class ToDevice(Function):
    label = "to_device"

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.input_device = device_of(x)
        return move(x, self.device)

    def backward(self, grad):
        return to_device(grad, self.input_device)


def clone(x: Tensor) -> Tensor:
    """A copy with its own memory; gradients flow back to x."""
    return Clone()(x)


def astype(x: Tensor, dtype) -> Tensor:
    """x converted to `dtype` (a copy)."""
    return AsType(numpy.dtype(dtype))(x)


def to_device(x: Tensor, device: str) -> Tensor:
    """x copied to 'cpu' or 'cuda'."""
    return ToDevice(device)(x)
