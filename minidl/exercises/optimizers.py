"""Checkers for chapter 05_optimizers: momentum SGD, Adam, a warm-up + cosine schedule, gradient clipping.

Each checker runs the learner's code on a small least-squares problem (or on gradients made up
for the case) and compares what it does, step by step, with minidl's own implementation:
`minidl.optim.SGD`, `minidl.optim.Adam`, `minidl.optim.lr_scheduler.CosineAnnealingLR` and
`minidl.nn.utils.clip_grad_norm_`. When the learner's numbers match a common mistake (a buffer
that is not kept, bias correction left out, a cosine that starts too early, ...), the hint
names that mistake.
"""

from __future__ import annotations

import math

import numpy

from minidl.creation import tensor
from minidl.exercises.checking import Mismatch, attempt, exercise, expect, expect_close, to_numpy
from minidl.nn.utils import clip_grad_norm_
from minidl.optim import SGD, Adam, Optimizer
from minidl.optim.lr_scheduler import CosineAnnealingLR, LRScheduler
from minidl.tensor import Tensor

__all__ = ["check_adam", "check_clip_grad_norm", "check_momentum_sgd", "check_warmup_cosine"]


# --- the problem every optimizer is run on ---------------------------------------------------------------

def _least_squares() -> tuple[Tensor, Tensor, numpy.ndarray, numpy.ndarray]:
    """x (16 x 3), y (16 x 1) from a noisy linear rule, and a starting weight (3 x 1) and bias (1,)."""
    rng = numpy.random.default_rng(5)
    x = rng.standard_normal((16, 3))
    y = x @ numpy.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * rng.standard_normal((16, 1))
    return tensor(x), tensor(y), rng.standard_normal((3, 1)), rng.standard_normal(1)


def _path(optimizer_class: type, steps: int, describe: str, groups: bool = False, **hyperparameters) -> numpy.ndarray:
    """The parameters (weight then bias, flattened) after each of `steps` steps of `optimizer_class`
    on the mean squared error of x @ weight + bias; with `groups`, the weight is in a group of its
    own with lr 0.1. A crash of the learner's class is reported with `describe`."""
    x, y, weight0, bias0 = _least_squares()
    weight, bias = tensor(weight0.copy(), requires_grad=True), tensor(bias0.copy(), requires_grad=True)
    params = [{"params": [weight], "lr": 0.1}, {"params": [bias]}] if groups else [weight, bias]
    optimizer = attempt(optimizer_class, params, **hyperparameters, case=describe)
    points = []
    with numpy.errstate(all="ignore"):  # a learner's division by zero shows as a wrong number, not a warning
        for _ in range(steps):
            optimizer.zero_grad()
            (((x @ weight + bias) - y) ** 2).mean().backward()
            attempt(optimizer.step, case=f"{describe}.step()")
            point = numpy.concatenate([to_numpy(weight).ravel(), to_numpy(bias).ravel()]).astype(float)
            expect(point.shape == (4,), f"{describe}: the parameters after step {len(points) + 1}",
                   "weight of shape (3, 1) and bias of shape (1,)", f"{weight.shape} and {bias.shape}",
                   hint="the step must keep each parameter's shape: change it in place with param.sub_(...).")
            points.append(point)
    return numpy.array(points)


def _same(a: numpy.ndarray, b: numpy.ndarray) -> bool:
    return a.shape == b.shape and bool(numpy.allclose(a, b, rtol=1e-6, atol=1e-9))


def _compare_paths(got: numpy.ndarray, expected: numpy.ndarray, describe: str, mistakes: dict[str, numpy.ndarray],
                   start: numpy.ndarray) -> None:
    """Raise a Mismatch at the first step where `got` leaves `expected`; the hint names a known
    mistake whose path `got` follows exactly, if there is one."""
    if _same(got, expected):
        return
    if not numpy.all(numpy.isfinite(got)):
        hint = None
    elif _same(got, numpy.broadcast_to(start, got.shape)):
        hint = ("the parameters never changed: change them in place (param.sub_(...)); "
                "`param = param - ...` only rebinds a local name.")
    else:
        hint = next((mistake for mistake, path in mistakes.items() if _same(got, path)), None)
    step = next(i for i in range(len(expected)) if not numpy.allclose(got[i], expected[i], rtol=1e-6, atol=1e-9))
    expect_close(got[step], expected[step], f"{describe}: the parameters (weight, then bias) after step {step + 1}",
                 rtol=1e-6, atol=1e-9, hint=hint)


def _start() -> numpy.ndarray:
    _, _, weight0, bias0 = _least_squares()
    return numpy.concatenate([weight0.ravel(), bias0.ravel()])


def _is_optimizer_class(candidate, name: str) -> None:
    expect(isinstance(candidate, type) and issubclass(candidate, Optimizer), f"{name}",
           "a class that subclasses minidl.optim.Optimizer", repr(candidate),
           hint=f"define `class {name}(Optimizer):` and write its `update` method.")


# --- 1. momentum SGD -------------------------------------------------------------------------------------

class _MomentumMistake(Optimizer):
    """Momentum SGD written with one of the usual slips, to recognize it in a learner's numbers."""

    mistake = ""

    def __init__(self, params, lr, momentum):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def update(self, param, grad, state, group):
        lr, momentum = group["lr"], group["momentum"]
        old = state.get("momentum_buffer", numpy.zeros_like(grad))
        new = momentum * old + ((1 - momentum) * grad if self.mistake == "dampened" else grad)
        if self.mistake != "forgotten":
            state["momentum_buffer"] = new
        step = {"stale": old, "nesterov": grad + momentum * new, "ascent": -new}.get(self.mistake, new)
        param.sub_(lr * step)


def _mistake(name: str) -> type[_MomentumMistake]:
    return type(f"Momentum_{name}", (_MomentumMistake,), {"mistake": name})


_MOMENTUM_MISTAKES = {
    "forgotten": "your steps are plain SGD's: the buffer must outlive the step, so store it in "
                 "state['momentum_buffer'] and read it back at the next step.",
    "dampened": "you averaged, b = momentum * b + (1 - momentum) * g; minidl (like PyTorch) adds the "
                "whole gradient: b = momentum * b + g.",
    "stale": "you stepped with the buffer from before this step's gradient was added: update the "
             "buffer first (b = momentum * b + g), then step theta = theta - lr * b.",
    "nesterov": "that is Nesterov's step (theta -= lr * (g + momentum * b)); plain momentum steps with "
                "the buffer itself: theta -= lr * b.",
    "ascent": "your parameters move uphill: subtract the step, theta = theta - lr * b.",
}


@exercise("MomentumSGD", hint="b = momentum * b + grad (b starts at 0, kept in `state`), then "
                              "param.sub_(group['lr'] * b); read lr and momentum from `group`.")
def check_momentum_sgd(MomentumSGD) -> str:
    """Run the learner's MomentumSGD and minidl.optim.SGD(momentum=...) side by side on least squares."""
    _is_optimizer_class(MomentumSGD, "MomentumSGD")
    start = _start()
    for lr, momentum, steps in [(0.05, 0.9, 8), (0.1, 0.5, 5), (0.1, 0.0, 3)]:
        settings = dict(lr=lr, momentum=momentum)
        describe = f"MomentumSGD([weight, bias], lr={lr}, momentum={momentum})"
        got = _path(MomentumSGD, steps, describe, **settings)
        expected = _path(SGD, steps, "minidl.optim.SGD", **settings)
        mistakes = {hint: _path(_mistake(name), steps, name, **settings) for name, hint in _MOMENTUM_MISTAKES.items()}
        _compare_paths(got, expected, f"{describe} on a least-squares problem", mistakes, start)
    describe = "MomentumSGD([{'params': [weight], 'lr': 0.1}, {'params': [bias]}], lr=0.01, momentum=0.8)"
    settings = dict(lr=0.01, momentum=0.8)
    got = _path(MomentumSGD, 4, describe, groups=True, **settings)
    expected = _path(SGD, 4, "minidl.optim.SGD", groups=True, **settings)
    hint = ("each parameter group has its own lr: read group['lr'] and group['momentum'] in update, "
            "not a value saved in __init__.")
    _compare_paths(got, expected, describe, {hint: _path(SGD, 4, "minidl.optim.SGD", **settings)}, start)
    return "your steps match minidl.optim.SGD(momentum=...) for 3 settings and 2 parameter groups."


# --- 2. Adam ---------------------------------------------------------------------------------------------

class _AdamMistake(Optimizer):
    """Adam with one of the usual slips in its bias correction (or its eps)."""

    mistake = ""

    def __init__(self, params, lr, betas, eps):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    def update(self, param, grad, state, group):
        (beta1, beta2), eps, mistake = group["betas"], group["eps"], self.mistake
        if not state:
            state.update(step=0, m=numpy.zeros_like(grad), v=numpy.zeros_like(grad))
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad * grad
        m_hat = state["m"] if mistake in ("none", "only_v") else state["m"] / (1 - beta1**t)
        v_hat = state["v"] if mistake in ("none", "only_m") else state["v"] / (1 - beta2**t)
        if mistake == "stored":
            state["m"], state["v"] = m_hat, v_hat
        denominator = numpy.sqrt(v_hat + eps) if mistake == "eps_inside" else numpy.sqrt(v_hat) + eps
        param.sub_(group["lr"] * m_hat / denominator)


_ADAM_MISTAKES = {
    "none": "your steps are Adam's without bias correction: m and v start at 0, so early on they are too "
            "small; divide them by (1 - beta1**t) and (1 - beta2**t), with t the step number (1 at the first step).",
    "only_m": "you corrected m but not v: v_hat = v / (1 - beta2**t) too.",
    "only_v": "you corrected v but not m: m_hat = m / (1 - beta1**t) too.",
    "stored": "you stored the corrected m_hat and v_hat back into state: keep the plain running averages "
              "m and v in state; the corrected ones are only for this step.",
    "eps_inside": "eps goes outside the square root: sqrt(v_hat) + eps.",
}
_ADAM_NONFINITE_HINT = ("a non-finite step: at t = 0, 1 - beta**t is 0 and the correction divides by zero; "
                        "count steps from 1 (add 1 to state['step'] before using it).")


@exercise("MyAdam", hint="m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g**2; m_hat = m/(1-b1**t); "
                         "v_hat = v/(1-b2**t); param.sub_(lr * m_hat / (sqrt(v_hat) + eps)), t counted from 1.")
def check_adam(MyAdam) -> str:
    """Run the learner's MyAdam and minidl.optim.Adam side by side on least squares."""
    _is_optimizer_class(MyAdam, "MyAdam")
    start = _start()
    for lr, betas, eps, steps in [(0.1, (0.9, 0.999), 1e-8, 6), (0.05, (0.8, 0.99), 1e-8, 6),
                                  (0.1, (0.9, 0.999), 0.1, 4)]:
        settings = dict(lr=lr, betas=betas, eps=eps)
        describe = f"MyAdam([weight, bias], lr={lr}, betas={betas}, eps={eps})"
        got = _path(MyAdam, steps, describe, **settings)
        if not numpy.all(numpy.isfinite(got)):
            first = numpy.isfinite(got).all(axis=1).argmin()
            raise Mismatch(f"{describe}: after step {first + 1} the parameters are {got[first]}, not finite numbers",
                           _ADAM_NONFINITE_HINT)
        expected = _path(Adam, steps, "minidl.optim.Adam", **settings)
        mistakes = {hint: _path(type(name, (_AdamMistake,), {"mistake": name}), steps, name, **settings)
                    for name, hint in _ADAM_MISTAKES.items()}
        _compare_paths(got, expected, f"{describe} on a least-squares problem", mistakes, start)
    return "your steps match minidl.optim.Adam, bias correction included, for 3 settings."


# --- 3. a warm-up + cosine schedule ----------------------------------------------------------------------

def _warmup_cosine_lrs(base_lrs: list[float], warmup_steps: int, total_steps: int, min_lr: float,
                       mistake: str = "") -> numpy.ndarray:
    """lr of each group at steps 0..total_steps, written out (or with one of the usual slips)."""
    rows = []
    for t in range(total_steps + 1):
        row = []
        for base in base_lrs:
            if t < warmup_steps:
                row.append(base * ((t + 1) if mistake == "warmup_off_by_one" else t) / warmup_steps)
                continue
            fraction = t / total_steps if mistake == "no_shift" else (t - warmup_steps) / (total_steps - warmup_steps)
            low = 0.0 if mistake == "no_min" else min_lr
            shape = math.cos(math.pi * fraction) if mistake == "bare_cosine" else (1 + math.cos(math.pi * fraction)) / 2
            row.append(low + (base - low) * shape)
        rows.append(row)
    return numpy.array(rows)


def _minidl_warmup_cosine(base_lrs: list[float], warmup_steps: int, total_steps: int, min_lr: float) -> numpy.ndarray:
    """The same schedule, its cosine part taken from minidl's own CosineAnnealingLR."""
    optimizer = SGD([{"params": [tensor([0.0], requires_grad=True)], "lr": lr} for lr in base_lrs])
    cosine = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=min_lr)
    rows = [[base * t / warmup_steps for base in base_lrs] for t in range(warmup_steps)]
    for _ in range(total_steps - warmup_steps + 1):
        rows.append(cosine.get_last_lr())
        cosine.step()
    return numpy.array(rows)


_SCHEDULE_MISTAKES = {
    "warmup_off_by_one": "your warm-up is one step ahead: at step t < warmup_steps the lr is base_lr * t / "
                         "warmup_steps, so step 0 has lr 0.",
    "no_shift": "the cosine starts where the warm-up ends: use the steps since then, (t - warmup_steps) / "
                "(total_steps - warmup_steps), not t / total_steps.",
    "no_min": "the cosine goes down to min_lr, not to 0: min_lr + (base_lr - min_lr) * (1 + cos(pi * fraction)) / 2.",
    "bare_cosine": "cos goes from 1 to -1 over half a turn; (1 + cos(pi * fraction)) / 2 goes from 1 to 0.",
}


@exercise("WarmupCosineLR", hint="in get_lr, with t = self.last_epoch: base_lr * t / warmup_steps while "
                                 "t < warmup_steps, then min_lr + (base_lr - min_lr) * (1 + cos(pi * fraction)) / 2 "
                                 "with fraction = (t - warmup_steps) / (total_steps - warmup_steps); one lr per "
                                 "entry of self.base_lrs.")
def check_warmup_cosine(WarmupCosineLR) -> str:
    """Step the learner's scheduler through a whole schedule and compare every lr of every group."""
    expect(isinstance(WarmupCosineLR, type) and issubclass(WarmupCosineLR, LRScheduler), "WarmupCosineLR",
           "a class that subclasses minidl.optim.lr_scheduler.LRScheduler", repr(WarmupCosineLR),
           hint="define `class WarmupCosineLR(LRScheduler):` and write its `get_lr` method.")
    for base_lrs, warmup_steps, total_steps, min_lr in [([0.1], 5, 20, 0.0), ([0.1, 0.02], 4, 12, 0.001),
                                                        ([0.5], 0, 10, 0.05)]:
        describe = (f"WarmupCosineLR(SGD with group lrs {base_lrs}, warmup_steps={warmup_steps}, "
                    f"total_steps={total_steps}, min_lr={min_lr})")
        optimizer = SGD([{"params": [tensor([0.0], requires_grad=True)], "lr": lr} for lr in base_lrs])
        got = []
        try:
            scheduler = attempt(WarmupCosineLR, optimizer, warmup_steps, total_steps, min_lr, case=describe)
            for _ in range(total_steps + 1):
                got.append([group["lr"] for group in optimizer.param_groups])
                attempt(scheduler.step, case=f"{describe}.step()")
        except Mismatch as crash:
            if warmup_steps == 0 and "ZeroDivisionError" in str(crash):
                raise Mismatch(str(crash), hint="warmup_steps may be 0 (no warm-up at all): divide by it only "
                                                "while t < warmup_steps.") from crash
            raise
        got = numpy.array(got, dtype=float)
        expected = _minidl_warmup_cosine(base_lrs, warmup_steps, total_steps, min_lr)
        if _same(got, expected):
            continue
        hint = next((text for mistake, text in _SCHEDULE_MISTAKES.items()
                     if _same(got, _warmup_cosine_lrs(base_lrs, warmup_steps, total_steps, min_lr, mistake))), None)
        if hint is None and len(base_lrs) > 1 and _same(got[:, 1], got[:, 0]):
            hint = "each parameter group has its own starting lr: return one lr per entry of self.base_lrs."
        step = next(i for i in range(len(expected)) if not numpy.allclose(got[i], expected[i], rtol=1e-6, atol=1e-12))
        expect_close(got[step], expected[step], f"{describe}: the lr of each group at step {step}", rtol=1e-6,
                     atol=1e-12, hint=hint)
    return "your schedule matches, step by step: a linear warm-up, then minidl's CosineAnnealingLR."


# --- 4. gradient clipping by global norm -----------------------------------------------------------------

def _parameters_with_grads(scale: float, with_none: bool = False) -> list[Tensor]:
    """Three float64 parameters (and one without a grad) whose gradients have a known joint norm."""
    rng = numpy.random.default_rng(7)
    params = []
    for shape in [(3, 2), (4,), (1,)]:
        param = tensor(rng.standard_normal(shape), requires_grad=True)
        param.grad = tensor(scale * rng.standard_normal(shape))
        params.append(param)
    if with_none:
        params.insert(1, tensor(rng.standard_normal(2), requires_grad=True))
    return params


def _grads(params: list[Tensor]) -> list[numpy.ndarray | None]:
    return [None if param.grad is None else to_numpy(param.grad).astype(float).copy() for param in params]


def _scaled(grads: list[numpy.ndarray | None], scales: list[float]) -> list[numpy.ndarray | None]:
    return [None if grad is None else grad * scale for grad, scale in zip(grads, scales)]


def _same_grads(got: list[numpy.ndarray | None], expected: list[numpy.ndarray | None]) -> bool:
    return all((a is None) == (b is None) and (a is None or _same(a, b)) for a, b in zip(got, expected))


_CLIPPING_MISTAKES = {
    "unchanged": "the gradients did not change: scale them in place (param.grad.mul_(scale)), or assign "
                 "param.grad = param.grad * scale.",
    "scaled_up": "only scale down: when total_norm <= max_norm the gradients stay as they are (the scale is "
                 "min(1, max_norm / (total_norm + 1e-6))).",
    "each_own": "you clipped each gradient by its own norm; the norm is global: one total_norm over all "
                "parameters together, and the same scale for every gradient, so the update keeps its direction.",
}


@exercise("clip_grad_norm", hint="total_norm = sqrt(sum of g**2 over every gradient of every parameter); "
                                 "if it exceeds max_norm, multiply every gradient by max_norm / (total_norm + 1e-6); "
                                 "return total_norm.")
def check_clip_grad_norm(clip_grad_norm) -> str:
    """Compare the learner's clipping with minidl.nn.utils.clip_grad_norm_ on copies of the same gradients."""
    for scale, max_norm, with_none in [(2.0, 1.0, False), (0.1, 1.0, False), (3.0, 0.5, True)]:
        params, reference = _parameters_with_grads(scale, with_none), _parameters_with_grads(scale, with_none)
        before = _grads(params)
        norms = [0.0 if grad is None else float(numpy.sqrt((grad**2).sum())) for grad in before]
        total = math.sqrt(sum(norm**2 for norm in norms))
        describe = (f"clip_grad_norm(parameters, max_norm={max_norm}) on {len(params)} parameters whose gradients "
                    f"have total norm {total:.4g}" + (" (one of them has grad None)" if with_none else ""))
        returned = attempt(clip_grad_norm, params, max_norm, case=describe)
        expected_norm = clip_grad_norm_(reference, max_norm).item()
        expected, got = _grads(reference), _grads(params)
        mistakes = {
            "unchanged": before,
            "scaled_up": _scaled(before, [max_norm / (total + 1e-6)] * len(before)),
            "each_own": _scaled(before, [min(1.0, max_norm / (norm + 1e-6)) for norm in norms]),
        }
        hint = next((_CLIPPING_MISTAKES[name] for name, grads in mistakes.items()
                     if _same_grads(got, grads) and not _same_grads(grads, expected)), None)
        for number, (got_grad, expected_grad) in enumerate(zip(got, expected)):
            where = f"{describe}: the grad of parameter {number}"
            if expected_grad is None:
                expect(got_grad is None, where, "None (a parameter without a gradient is left out)", "a gradient",
                       hint="skip the parameters whose grad is None.")
                continue
            expect(got_grad is not None, where, f"an array of shape {expected_grad.shape}", "None")
            expect_close(got_grad, expected_grad, where, rtol=1e-5, atol=1e-9, hint=hint)
        got_norm = None if returned is None else to_numpy(returned)
        expect(got_norm is not None and got_norm.size == 1, f"{describe}: the returned value",
               f"total_norm = {expected_norm:.6g}", repr(returned),
               hint="return total_norm, the norm of all the gradients before clipping.")
        got_norm = float(got_norm.astype(float).ravel()[0])
        hint = None
        if numpy.isclose(got_norm, min(max_norm, total)) and not numpy.isclose(expected_norm, min(max_norm, total)):
            hint = "return the norm of the gradients before clipping, not after."
        expect_close(got_norm, expected_norm, f"{describe}: the returned total_norm", rtol=1e-5, hint=hint)
    return "your clipping matches minidl.nn.utils.clip_grad_norm_: gradients scaled together, and the norm returned."
