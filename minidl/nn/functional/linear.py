"""linear, dropout and embedding: the functional forms behind Linear, Dropout and Embedding."""

from __future__ import annotations

from minidl.autograd import Function
from minidl.random import rand
from minidl.tensor import Tensor

__all__ = ["dropout", "embedding", "linear"]


class Linear(Function):
    """y = x W^T + b as one op (PyTorch's addmm): one node in the graph, and a backward that
    computes dW = grad^T x directly in W's layout."""

    label = "linear"

    def forward(self, x, weight, bias=None):
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    def backward(self, grad):
        x, weight = self.inputs[:2]
        needs = self.needs_input_grad
        rows = grad.reshape(-1, grad.shape[-1])  # any leading dims act as one batch
        grad_x = grad @ weight if needs[0] else None
        grad_weight = rows.mT @ x.reshape(-1, x.shape[-1]) if needs[1] else None
        grad_bias = rows.sum(dim=0) if len(needs) == 3 and needs[2] else None
        return grad_x, grad_weight, grad_bias


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, with weight of shape (out_features, in_features) as in PyTorch."""
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input has {x.shape[-1] if x.ndim else 0} features (shape {x.shape}) but the weight expects "
            f"{weight.shape[1]} (weight shape {weight.shape})"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias of shape {bias.shape} for a weight of shape {weight.shape}")
    return Linear()(x, weight, bias) if bias is not None else Linear()(x, weight)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p), so the mean is kept.

    Only while training; in eval mode x passes unchanged. The mask comes from minidl's random
    generator, so `minidl.manual_seed` repeats it.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = rand(*x.shape, dtype=x.dtype, device=x.device) >= p
    return x * keep / (1 - p)


def embedding(indices: Tensor, weight: Tensor) -> Tensor:
    """Row `indices[...]` of weight for every index: a lookup table of learned vectors."""
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got {indices.dtype}")
    if indices.numel() and not (0 <= int(indices.min()) and int(indices.max()) < weight.shape[0]):
        raise IndexError(f"embedding: indices must be in 0..{weight.shape[0] - 1}")
    return weight[indices]
