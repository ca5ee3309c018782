"""Dropout: randomly silence units while training, so the network cannot lean on any one of them."""

from __future__ import annotations

from minidl.nn.functional.linear import dropout
from minidl.nn.module import Module
from minidl.tensor import Tensor

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability p in training (scaling the rest by 1/(1-p)); identity in eval."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
