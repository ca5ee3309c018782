"""Adam and AdamW: steps from bias-corrected running averages of the gradient and of its square."""

from __future__ import annotations

from collections.abc import Iterable

from minidl.backend import get_array_module
from minidl.optim.optimizer import Optimizer
from minidl.tensor import Tensor

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adaptive moment estimation, as torch.optim.Adam. Running averages start at 0; at step t:

        g = grad + weight_decay * theta
        exp_avg = beta1 * exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g^2
        v = max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq) if amsgrad, else exp_avg_sq
        theta = theta - lr * (exp_avg / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
    """

    decoupled_weight_decay = False  # AdamW: decay theta directly instead of adding to g

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        self.check_non_negative(group, "lr", "eps", "weight_decay")
        for number, beta in enumerate(group["betas"], start=1):
            if not 0 <= beta < 1:
                raise ValueError(f"{type(self).__name__}: beta{number} must be in [0, 1), got {beta}")

    def update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        xp = get_array_module(grad)
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param.array)
            state["exp_avg_sq"] = xp.zeros_like(param.array)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param.array)
        state["step"] += 1
        if group["weight_decay"] != 0:
            if self.decoupled_weight_decay:
                param.mul_(1 - group["lr"] * group["weight_decay"])
            else:
                grad = grad + group["weight_decay"] * param.array
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        second_moment = exp_avg_sq
        if group["amsgrad"]:
            second_moment = state["max_exp_avg_sq"]
            xp.maximum(second_moment, exp_avg_sq, out=second_moment)
        step = state["step"]
        denominator = xp.sqrt(second_moment / (1 - beta2**step)) + group["eps"]
        param.sub_(group["lr"] / (1 - beta1**step) * exp_avg / denominator)


class AdamW(Adam):
    """Adam with decoupled weight decay, as torch.optim.AdamW: the decay skips the running averages.

        theta = theta - lr * weight_decay * theta
        then Adam's step with g = grad (weight_decay not added to it)
    """

    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
