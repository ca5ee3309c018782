"""Gradient clipping (`minidl.nn.utils.clip_grad_norm_`): scale all gradients down together when
their joint norm is too large."""

from __future__ import annotations

import math
from collections.abc import Iterable

from minidl.autograd import no_grad
from minidl.backend import get_array_module
from minidl.tensor import Tensor

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Multiply every gradient by min(1, max_norm / (total_norm + 1e-6)); return total_norm (a 0-d Tensor).

    total_norm is the p-norm of all gradients seen as one long vector, (sum |g|^p) ** (1/p),
    or max |g| for norm_type=inf. Parameters whose grad is None are left out.
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [param.grad for param in parameters if param.grad is not None]
    if not grads:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type}")
    xp = get_array_module(grads[0].array)
    if norm_type == math.inf:
        total_norm = xp.max(xp.stack([xp.max(xp.abs(grad.array)) for grad in grads]))
    else:
        total_norm = xp.sum(xp.stack([xp.sum(xp.abs(grad.array) ** norm_type) for grad in grads])) ** (1 / norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total_norm)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {float(total_norm)}, so they "
            "cannot be scaled to max_norm; pass error_if_nonfinite=False to go on anyway"
        )
    scale = xp.minimum(max_norm / (total_norm + 1e-6), 1.0)  # an array: no copy from the GPU to decide
    with no_grad():  # a grad made with create_graph=True requires grad itself
        for grad in grads:
            grad.mul_(scale)
    return Tensor(total_norm)
