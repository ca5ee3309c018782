"""batch_norm and layer_norm: shift and scale activations to mean 0, variance 1, then learn both back."""

from __future__ import annotations

from minidl import ops
from minidl.autograd import no_grad
from minidl.tensor import Tensor

__all__ = ["batch_norm", "layer_norm"]


def batch_norm(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dim 1) over the batch and any spatial dims.

    Training: with this batch's mean and (biased) variance, and the running statistics move
    towards them: running = (1 - momentum) * running + momentum * batch (the unbiased variance,
    as PyTorch). Evaluation: with the running statistics.
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm: needs (N, C, ...) input, got shape {x.shape}")
    dims = (0, *range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # to broadcast per-channel values
    if training:
        count = x.numel() // x.shape[1]
        if count < 2:
            raise ValueError(f"batch_norm: training needs more than 1 value per channel, got input {x.shape}")
        mean = x.mean(dim=dims, keepdim=True)
        var = ops.var(x, dim=dims, keepdim=True, correction=0)
        if running_mean is not None:
            with no_grad():
                running_mean.mul_(1 - momentum).add_(mean.reshape(-1) * momentum)
                running_var.mul_(1 - momentum).add_(var.reshape(-1) * (momentum * count / (count - 1)))
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = (x - mean) / ops.sqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(x: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize over the last len(normalized_shape) dims of each sample (no running statistics)."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(normalized_shape):] != normalized_shape:
        raise ValueError(f"layer_norm: input shape {x.shape} does not end with {normalized_shape}")
    dims = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = x.mean(dim=dims, keepdim=True)
    var = ops.var(x, dim=dims, keepdim=True, correction=0)
    out = (x - mean) / ops.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out
