"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from collections.abc import Iterable

from minidl.backend import get_array_module
from minidl.optim.optimizer import Optimizer
from minidl.tensor import Tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Root-mean-square propagation, as torch.optim.RMSprop. Running averages start at 0; each step:

        g = grad + weight_decay * theta
        square_avg = alpha * square_avg + (1 - alpha) * g^2
        v = square_avg - grad_avg^2, with grad_avg = alpha * grad_avg + (1 - alpha) * g   (if centered)
            square_avg                                                                   (otherwise)
        b = momentum * b + g / (sqrt(v) + eps);   theta = theta - lr * b                  (if momentum > 0)
        theta = theta - lr * g / (sqrt(v) + eps)                                          (otherwise)
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        self.check_non_negative(group, "lr", "alpha", "eps", "weight_decay", "momentum")

    def update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        xp = get_array_module(grad)
        alpha = group["alpha"]
        if not state:
            state["square_avg"] = xp.zeros_like(param.array)
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(param.array)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param.array)
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.array
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denominator = xp.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denominator = xp.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += grad / denominator
            param.sub_(group["lr"] * buffer)
        else:
            param.sub_(group["lr"] * grad / denominator)
