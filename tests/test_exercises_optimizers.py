"""The checkers of chapter 05 (minidl.exercises.optimizers): each accepts a right answer and rejects
plausible wrong ones, saying what was expected and, for a recognized mistake, naming it.

(That each checker accepts the chapter's reference solution and calls its stub "not done" is
checked for every chapter by test_notebooks.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from minidl.exercises.optimizers import check_adam, check_clip_grad_norm, check_momentum_sgd, check_warmup_cosine
from minidl.optim import Optimizer
from minidl.optim.lr_scheduler import LRScheduler


def rejected(feedback, *phrases: str) -> None:
    """The feedback is a failure that says what was expected and contains every phrase."""
    assert not feedback.passed and not feedback.todo, repr(feedback)
    text = repr(feedback)
    assert "expected" in text, text
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not in:\n{text}"


# --- momentum SGD --------------------------------------------------------------------------------------

def momentum_sgd(step_rule, keep_buffer: bool = True, lr_from_init: bool = False):
    """A MomentumSGD class whose step is `step_rule(grad, old_buffer, new_buffer, momentum)`."""

    class MomentumSGD(Optimizer):
        def __init__(self, params, lr=1e-3, momentum=0.0):
            super().__init__(params, dict(lr=lr, momentum=momentum))
            self.lr = lr

        def update(self, param, grad, state, group):
            momentum = group["momentum"]
            old = state.get("momentum_buffer", np.zeros_like(grad))
            new = momentum * old + grad
            if keep_buffer:
                state["momentum_buffer"] = new
            param.sub_((self.lr if lr_from_init else group["lr"]) * step_rule(grad, old, new, momentum))

    return MomentumSGD


def test_momentum_sgd_accepts_the_update_rule():
    feedback = check_momentum_sgd(momentum_sgd(lambda g, old, new, mu: new))
    assert feedback.passed, repr(feedback)


@pytest.mark.parametrize("wrong, phrase", [
    (momentum_sgd(lambda g, old, new, mu: new, keep_buffer=False), "plain SGD"),
    (momentum_sgd(lambda g, old, new, mu: old), "update the buffer first"),
    (momentum_sgd(lambda g, old, new, mu: g + mu * new), "Nesterov"),
    (momentum_sgd(lambda g, old, new, mu: -new), "uphill"),
    (momentum_sgd(lambda g, old, new, mu: new, lr_from_init=True), "group['lr']"),
    (momentum_sgd(lambda g, old, new, mu: 2 * new), "b = momentum * b + grad"),
], ids=["buffer-not-kept", "stale-buffer", "nesterov", "ascent", "lr-from-init", "unrecognized"])
def test_momentum_sgd_rejects_a_wrong_rule_and_names_the_mistake(wrong, phrase):
    rejected(check_momentum_sgd(wrong), "after step", phrase)


def test_momentum_sgd_recognizes_the_averaged_buffer():
    class Averaged(Optimizer):
        def __init__(self, params, lr=1e-3, momentum=0.0):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        def update(self, param, grad, state, group):
            buffer = state.setdefault("momentum_buffer", np.zeros_like(grad))
            buffer *= group["momentum"]
            buffer += (1 - group["momentum"]) * grad
            param.sub_(group["lr"] * buffer)

    rejected(check_momentum_sgd(Averaged), "(1 - momentum) * g")


def test_momentum_sgd_sees_parameters_that_never_change():
    class Rebinding(Optimizer):
        def __init__(self, params, lr=1e-3, momentum=0.0):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        def update(self, param, grad, state, group):
            param = param - group["lr"] * grad  # noqa: F841 (the mistake under test)

    rejected(check_momentum_sgd(Rebinding), "never changed")


def test_momentum_sgd_wants_an_optimizer_class():
    rejected(check_momentum_sgd(lambda params, lr, momentum: None), "subclasses minidl.optim.Optimizer")


def test_momentum_sgd_reports_a_crash_with_its_case():
    class Crashing(Optimizer):
        def __init__(self, params, lr=1e-3, momentum=0.0):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        def update(self, param, grad, state, group):
            param.sub_(state["momentum_buffer"])

    feedback = check_momentum_sgd(Crashing)
    assert not feedback.passed and "KeyError" in repr(feedback) and ".step()" in repr(feedback)


# --- Adam ----------------------------------------------------------------------------------------------

def adam(correct_m=True, correct_v=True, first_step=1, store_corrected=False, eps_inside=False):
    class MyAdam(Optimizer):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

        def update(self, param, grad, state, group):
            (beta1, beta2), eps = group["betas"], group["eps"]
            if not state:
                state.update(step=first_step - 1, m=np.zeros_like(grad), v=np.zeros_like(grad))
            state["step"] += 1
            t = state["step"]
            state["m"] = beta1 * state["m"] + (1 - beta1) * grad
            state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
            m_hat = state["m"] / (1 - beta1**t) if correct_m else state["m"]
            v_hat = state["v"] / (1 - beta2**t) if correct_v else state["v"]
            if store_corrected:
                state["m"], state["v"] = m_hat, v_hat
            denominator = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
            param.sub_(group["lr"] * m_hat / denominator)

    return MyAdam


def test_adam_accepts_the_update_rule():
    feedback = check_adam(adam())
    assert feedback.passed, repr(feedback)


@pytest.mark.parametrize("wrong, phrase", [
    (adam(correct_m=False, correct_v=False), "without bias correction"),
    (adam(correct_v=False), "but not v"),
    (adam(correct_m=False), "but not m"),
    (adam(store_corrected=True), "stored the corrected"),
    (adam(eps_inside=True), "outside the square root"),
    (adam(first_step=2), "after step 1"),
], ids=["no-correction", "only-m", "only-v", "stored", "eps-inside", "t-from-2"])
def test_adam_rejects_a_wrong_correction_and_names_the_mistake(wrong, phrase):
    rejected(check_adam(wrong), phrase)


def test_adam_explains_a_step_counted_from_zero():
    feedback = check_adam(adam(first_step=0))
    assert not feedback.passed and "not finite" in repr(feedback) and "count steps from 1" in repr(feedback)


# --- warm-up + cosine schedule -------------------------------------------------------------------------

def warmup_cosine(lr_at):
    """A WarmupCosineLR whose get_lr is lr_at(t, base_lr, warmup_steps, total_steps, min_lr), one per group."""

    class WarmupCosineLR(LRScheduler):
        def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0):
            self.warmup_steps, self.total_steps, self.min_lr = warmup_steps, total_steps, min_lr
            super().__init__(optimizer)

        def get_lr(self):
            return [lr_at(self.last_epoch, base, self.warmup_steps, self.total_steps, self.min_lr)
                    for base in self.base_lrs]

    return WarmupCosineLR


def right_lr(t, base, warmup, total, low):
    if t < warmup:
        return base * t / warmup
    return low + (base - low) * (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2


def test_warmup_cosine_accepts_the_schedule():
    feedback = check_warmup_cosine(warmup_cosine(right_lr))
    assert feedback.passed, repr(feedback)


@pytest.mark.parametrize("lr_at, phrase", [
    (lambda t, b, w, n, m: b * (t + 1) / w if t < w else right_lr(t, b, w, n, m), "one step ahead"),
    (lambda t, b, w, n, m: b * t / w if t < w else m + (b - m) * (1 + math.cos(math.pi * t / n)) / 2,
     "the cosine starts where the warm-up ends"),
    (lambda t, b, w, n, m: right_lr(t, b, w, n, 0.0), "down to min_lr"),
    (lambda t, b, w, n, m: b * t / w if t < w else m + (b - m) * math.cos(math.pi * (t - w) / (n - w)),
     "(1 + cos(pi * fraction)) / 2"),
    (lambda t, b, w, n, m: right_lr(t, 0.1, w, n, m), "one lr per entry of self.base_lrs"),
], ids=["warmup-off-by-one", "cosine-not-shifted", "min-lr-ignored", "bare-cosine", "first-group-only"])
def test_warmup_cosine_rejects_a_wrong_schedule_and_names_the_mistake(lr_at, phrase):
    rejected(check_warmup_cosine(warmup_cosine(lr_at)), "at step", phrase)


def test_warmup_cosine_survives_no_warmup():
    """warmup_steps=0 is a case: a schedule that divides by it crashes, and the message says where."""
    feedback = check_warmup_cosine(warmup_cosine(
        lambda t, b, w, n, m: min(1.0, t / w) * right_lr(max(t, w), b, w, n, m)))
    assert not feedback.passed and "ZeroDivisionError" in repr(feedback) and "warmup_steps=0" in repr(feedback)
    assert "may be 0" in repr(feedback)


# --- gradient clipping ---------------------------------------------------------------------------------

def clipping(per_parameter=False, always_scale=False, return_after=False):
    def clip_grad_norm(parameters, max_norm):
        grads = [p.grad for p in parameters if p.grad is not None]
        total = math.sqrt(sum(float((g.numpy() ** 2).sum()) for g in grads))
        for g in grads:
            norm = math.sqrt(float((g.numpy() ** 2).sum())) if per_parameter else total
            scale = max_norm / (norm + 1e-6)
            if always_scale or scale < 1:
                g.mul_(scale)
        return math.sqrt(sum(float((g.numpy() ** 2).sum()) for g in grads)) if return_after else total

    return clip_grad_norm


def test_clip_grad_norm_accepts_global_clipping():
    feedback = check_clip_grad_norm(clipping())
    assert feedback.passed, repr(feedback)


@pytest.mark.parametrize("wrong, phrase", [
    (clipping(per_parameter=True), "the norm is global"),
    (clipping(always_scale=True), "only scale down"),
    (clipping(return_after=True), "before clipping, not after"),
    (lambda parameters, max_norm: 1.0, "did not change"),
], ids=["per-parameter", "scales-up", "norm-after", "no-change"])
def test_clip_grad_norm_rejects_a_wrong_clipping_and_names_the_mistake(wrong, phrase):
    rejected(check_clip_grad_norm(wrong), phrase)


def test_clip_grad_norm_wants_the_norm_returned():
    def no_return(parameters, max_norm):
        clipping()(parameters, max_norm)

    rejected(check_clip_grad_norm(no_return), "the returned value", "return total_norm")
