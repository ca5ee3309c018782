"""Loss modules: MSELoss, CrossEntropyLoss, NLLLoss, BCEWithLogitsLoss (see functional/loss.py)."""

from __future__ import annotations

from minidl.nn.functional import loss as F
from minidl.nn.module import Module
from minidl.tensor import Tensor

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "NLLLoss"]


class MSELoss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class NLLLoss(Module):
    def __init__(self, weight: Tensor | None = None, reduction: str = "mean"):
        super().__init__()
        self.weight, self.reduction = weight, reduction

    def forward(self, log_probs: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(log_probs, target, self.weight, self.reduction)


class CrossEntropyLoss(Module):
    def __init__(self, weight: Tensor | None = None, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__()
        self.weight, self.reduction, self.label_smoothing = weight, reduction, label_smoothing

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(logits, target, self.weight, self.reduction, self.label_smoothing)


class BCEWithLogitsLoss(Module):
    def __init__(self, pos_weight: Tensor | None = None, reduction: str = "mean"):
        super().__init__()
        self.pos_weight, self.reduction = pos_weight, reduction

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, target, self.pos_weight, self.reduction)
