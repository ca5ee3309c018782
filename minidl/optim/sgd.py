"""SGD: stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable

from minidl.optim.optimizer import Optimizer
from minidl.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent, as torch.optim.SGD. At step t, with g = -grad if maximize else grad:

        g = g + weight_decay * theta                              (if weight_decay != 0)
        b = g at t = 1, else momentum * b + (1 - dampening) * g   (if momentum != 0)
        g = g + momentum * b if nesterov else b                   (if momentum != 0)
        theta = theta - lr * g
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, maximize: bool = False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: dict) -> None:
        self.check_non_negative(group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov needs momentum > 0 and dampening = 0, got momentum={group['momentum']} "
                             f"and dampening={group['dampening']}")

    def update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        momentum = group["momentum"]
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.array
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:  # the first step starts the running sum at g itself, undamped
                buffer = state["momentum_buffer"] = grad.copy()
            else:
                buffer *= momentum
                dampening = group["dampening"]
                buffer += grad if dampening == 0 else (1 - dampening) * grad  # no temporary array when undamped
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        param.sub_(group["lr"] * grad)
