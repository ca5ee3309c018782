"""Adagrad: each coordinate's step shrinks with the sum of its squared gradients so far."""

from __future__ import annotations

from collections.abc import Iterable

from minidl.backend import get_array_module
from minidl.optim.optimizer import Optimizer
from minidl.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adaptive gradient descent, as torch.optim.Adagrad. With sum = initial_accumulator_value
    at the start, at step t:

        g = grad + weight_decay * theta
        sum = sum + g^2
        theta = theta - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0, eps: float = 1e-10):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        self.check_non_negative(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        xp = get_array_module(grad)
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(param.array, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.array
        state["sum"] += grad * grad
        step_size = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        param.sub_(step_size * grad / (xp.sqrt(state["sum"]) + group["eps"]))
