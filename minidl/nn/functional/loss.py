"""Loss functions: how far predictions are from targets, as one number to minimise.

Each takes `reduction`: 'mean' (the default), 'sum', or 'none' (one loss per sample).
"""

from __future__ import annotations

from minidl import ops
from minidl.creation import arange
from minidl.nn.functional.activation import log_softmax
from minidl.tensor import Tensor

__all__ = ["binary_cross_entropy_with_logits", "cross_entropy", "mse_loss", "nll_loss"]


def _reduce(losses: Tensor, reduction: str, op: str, weights: Tensor | None = None) -> Tensor:
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        return losses.sum() / weights.sum() if weights is not None else losses.mean()
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean((input - target)^2)."""
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ")
    difference = input - target
    return _reduce(difference * difference, reduction, "mse_loss")


def _picked(log_probs: Tensor, target: Tensor, weight: Tensor | None, op: str) -> tuple[Tensor, Tensor | None]:
    """(-log_probs[i, target[i]] times the class weight, the weight of each sample's class)."""
    if log_probs.ndim != 2 or target.ndim != 1 or target.shape[0] != log_probs.shape[0]:
        raise ValueError(f"{op}: needs (N, C) scores and N class indices, got {log_probs.shape} and {target.shape}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got {target.dtype}")
    classes = log_probs.shape[1]
    if target.numel() and not (0 <= int(target.min()) and int(target.max()) < classes):
        raise IndexError(f"{op}: target has classes outside 0..{classes - 1}")
    losses = -log_probs[arange(log_probs.shape[0], device=log_probs.device), target]
    if weight is None:
        return losses, None
    sample_weights = weight[target]
    return losses * sample_weights, sample_weights


def nll_loss(log_probs: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood: -log_probs[i, target[i]], for log-probabilities of shape (N, C).

    With class weights w, each sample counts w[target[i]] times, and 'mean' divides by their sum.
    """
    losses, sample_weights = _picked(log_probs, target, weight, "nll_loss")
    return _reduce(losses, reduction, "nll_loss", sample_weights)


def cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """Softmax then negative log likelihood, for raw scores (logits) of shape (N, C) and class indices.

    With label_smoothing e, the target is (1 - e) on the right class plus e / C on every class,
    each class weighted by `weight` as in PyTorch.
    """
    log_probs = log_softmax(input, dim=1)
    losses, sample_weights = _picked(log_probs, target, weight, "cross_entropy")
    if label_smoothing:
        weighted = log_probs if weight is None else log_probs * weight
        smooth = -weighted.sum(dim=1) / log_probs.shape[1]
        losses = (1 - label_smoothing) * losses + label_smoothing * smooth
    return _reduce(losses, reduction, "cross_entropy", sample_weights)


def binary_cross_entropy_with_logits(
    input: Tensor, target: Tensor, pos_weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """-[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], computed from logits x without overflow.

    log sigmoid(x) = -softplus(-x), and softplus(z) = max(z, 0) + log(1 + exp(-|z|)).
    """
    if input.shape != target.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: input shape {input.shape} and target shape {target.shape} differ"
        )
    softplus_neg = ops.relu(-input) + ops.log(1 + ops.exp(-ops.abs(input)))  # = -log sigmoid(x)
    if pos_weight is None:
        losses = target * softplus_neg + (1 - target) * (input + softplus_neg)
    else:
        losses = pos_weight * target * softplus_neg + (1 - target) * (input + softplus_neg)
    return _reduce(losses, reduction, "binary_cross_entropy_with_logits")
