"""Check backward against the definition of a derivative, the way every op here was tested.

For each input element x_i, the slope of the output is measured as
(f(x_i + eps) - f(x_i - eps)) / (2 eps) in float64 and compared with what backward says.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy

from minidl.autograd import grad
from minidl.tensor import Tensor

__all__ = ["GradcheckError", "gradcheck"]


class GradcheckError(AssertionError):
    """backward's gradient and the finite-difference one disagree."""


def gradcheck(
    function: Callable[..., Tensor],
    inputs: Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """True if backward's gradient of `function(*inputs)` matches central differences.

    Floating-point inputs are copied to float64 and made to require grad; other inputs
    (indices, masks) are passed as they are. A function with a non-scalar output is checked
    through sum(output * w) for a fixed random w, which tests every output element at once.
    On a mismatch it raises GradcheckError (or returns False) saying which input and which
    element disagree, and by how much.
    """
    inputs = [
        x.detach().astype(numpy.float64).requires_grad_() if isinstance(x, Tensor) and x.is_floating_point() else x
        for x in inputs
    ]
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no floating-point tensor among the inputs to check")
    weights = {}

    def objective() -> Tensor:
        outputs = function(*inputs)
        outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
        total = 0
        for k, out in enumerate(outputs):
            if k not in weights:  # drawn once, from a fixed seed: the check is repeatable
                rng = numpy.random.default_rng(k)
                weights[k] = Tensor(rng.standard_normal(out.shape)).to(out.device)
            total = total + (out * weights[k]).sum()
        return total

    analytic = grad(objective(), [inputs[i] for i in checked], allow_unused=True)
    problems = []
    for i, grad_x in zip(checked, analytic):
        x = inputs[i]
        expected = numpy.zeros(x.shape) if grad_x is None else grad_x.numpy()
        for element in itertools.product(*map(range, x.shape)):
            numeric = _central_difference(objective, x, element, eps)
            if not abs(numeric - expected[element]) <= atol + rtol * abs(numeric):
                problems.append(
                    f"input {i} (shape {x.shape}), element {element}: "
                    f"backward gives {expected[element]:.6g}, finite differences give {numeric:.6g}"
                )
    if problems and raise_exception:
        shown = "\n  ".join(problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise GradcheckError(f"gradcheck: {len(problems)} gradient element(s) disagree:\n  {shown}{more}")
    return not problems


def _central_difference(objective, x: Tensor, element, eps: float) -> float:
    # Not under no_grad: the function may itself call minidl.grad (checking a second derivative).
    original = x.array[element].item()
    x.array[element] = original + eps
    plus = objective().item()
    x.array[element] = original - eps
    minus = objective().item()
    x.array[element] = original
    return (plus - minus) / (2 * eps)
