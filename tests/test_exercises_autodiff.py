"""The chapter 03 checkers (minidl.exercises.autodiff) reject plausible wrong answers, say what was
expected and name the mistake. That they accept the chapter's reference solutions and call its
stubs "not done" is tested with the notebook itself (tests/test_notebooks.py); here a correct
answer written independently of the notebook is accepted too."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl.exercises.autodiff import (
    check_matmul_backward,
    check_mse_gradients,
    check_numerical_gradient,
    check_softplus,
)


def assert_rejected(feedback, *hint_words: str) -> None:
    """A wrong answer: not passed, not "not done", the message says what was expected, the hint names the slip."""
    assert not feedback.passed and not feedback.todo, repr(feedback)
    assert "expected" in feedback.message, repr(feedback)
    for word in hint_words:
        assert word in feedback.hint, repr(feedback)


# --- matmul_backward ----------------------------------------------------------------------------


def test_matmul_backward_accepts_a_correct_answer():
    assert check_matmul_backward(lambda a, b, g: (np.matmul(g, b.T), np.matmul(a.T, g))).passed


@pytest.mark.parametrize("wrong, hint", [
    (lambda a, b, g: (g @ b, a.T @ g), "transpose of b is missing"),
    (lambda a, b, g: (g @ b.T, a @ g), "transpose of a is missing"),
    (lambda a, b, g: (a.T @ g, g @ b.T), "order (grad_a, grad_b)"),
    (lambda a, b, g: (g @ b.T, g.T @ a), "transpose of grad_b"),
    (lambda a, b, g: (b @ g.T, a.T @ g), "transpose of grad_a"),
    (lambda a, b, g: (g @ b.T, 2 * a.T @ g), ""),
], ids=["no transpose of b", "no transpose of a", "swapped", "grad_b transposed", "grad_a transposed",
        "scaled"])
def test_matmul_backward_rejects(wrong, hint):
    assert_rejected(check_matmul_backward(wrong), hint)


def test_matmul_backward_wants_a_pair():
    feedback = check_matmul_backward(lambda a, b, g: g @ b.T)
    assert_rejected(feedback, "return both gradients")
    assert "a pair (grad_a, grad_b)" in feedback.message


def test_matmul_backward_reports_a_crash_with_its_case():
    feedback = check_matmul_backward(lambda a, b, g: (g @ b, a.T @ g) if a.shape == (2, 3) else (g @ b.T, a.T @ g))
    assert not feedback.passed
    assert "a: (2, 3), b: (3, 4)" in feedback.message and "raised ValueError" in feedback.message


# --- mse_gradients ---------------------------------------------------------------------------------


def reference_mse_gradients(X, W, b, Y, scale=2.0, divide_by_k=True, sign=1.0):
    residual = sign * (X @ W + b - Y)
    count = residual.size if divide_by_k else len(residual)
    return scale * X.T @ residual / count, scale * residual.sum(axis=0) / count


def test_mse_gradients_accepts_a_correct_answer():
    assert check_mse_gradients(reference_mse_gradients).passed


@pytest.mark.parametrize("wrong, hint", [
    (lambda X, W, b, Y: reference_mse_gradients(X, W, b, Y, scale=1.0), "factor 2"),
    (lambda X, W, b, Y: reference_mse_gradients(X, W, b, Y, divide_by_k=False), "N*K, not N"),
    (lambda X, W, b, Y: reference_mse_gradients(X, W, b, Y, sign=-1.0), "sign is flipped"),
    (lambda X, W, b, Y: (reference_mse_gradients(X, W, b, Y)[0], 2 * (X @ W + b - Y) / Y.size),
     "summed over the N rows"),
    (lambda X, W, b, Y: (reference_mse_gradients(X, W, b, Y)[0], 2 * (X @ W + b - Y).sum(0, keepdims=True) / Y.size),
     "not (1, K)"),
    (lambda X, W, b, Y: (2 * X.T @ (X @ W + b - Y), 2 * (X @ W + b - Y).sum(0)), "not a sum"),
], ids=["no 2", "mean over N only", "sign", "b not summed", "b keepdims", "sum not mean"])
def test_mse_gradients_rejects(wrong, hint):
    assert_rejected(check_mse_gradients(wrong), hint)


def test_mse_gradients_is_checked_with_several_outputs():
    """Dividing by N alone is right for one output, so a case with K > 1 must catch it."""
    feedback = check_mse_gradients(lambda X, W, b, Y: reference_mse_gradients(X, W, b, Y, divide_by_k=False))
    assert "K=2" in feedback.message


# --- numerical_gradient ----------------------------------------------------------------------------


def central(f, x, eps=1e-6):
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        gradient[index] = (f(plus) - f(minus)) / (2 * eps)
    return gradient


def forward_difference(f, x, eps=1e-6):
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        plus = x.copy()
        plus[index] += eps
        gradient[index] = (f(plus) - f(x)) / eps
    return gradient


def never_restores(f, x, eps=1e-6):
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] += eps
        f_plus = f(x)
        x[index] -= 2 * eps
        gradient[index] = (f_plus - f(x)) / (2 * eps)
    return gradient


def only_vectors(f, x, eps=1e-6):
    gradient = np.zeros(len(x))
    for i in range(len(x)):
        plus, minus = x.copy(), x.copy()
        plus[i] += eps
        minus[i] -= eps
        gradient[i] = (f(plus) - f(minus)) / (2 * eps)
    return gradient


def test_numerical_gradient_accepts_a_correct_answer():
    assert check_numerical_gradient(central).passed


@pytest.mark.parametrize("wrong, hint", [
    (forward_difference, "forward difference"),
    (lambda f, x, eps=1e-6: central(f, x), "ignores its `eps`"),
    (lambda f, x, eps=1e-6: 2 * central(f, x, eps), "divide by 2 eps"),
    (never_restores, "put each element back"),
], ids=["forward difference", "ignores eps", "divides by eps", "x not restored"])
def test_numerical_gradient_rejects(wrong, hint):
    assert_rejected(check_numerical_gradient(wrong), hint)


def test_numerical_gradient_must_handle_every_shape():
    feedback = check_numerical_gradient(only_vectors)
    assert_rejected(feedback, "np.ndindex")
    assert "shape (2, 3)" in feedback.message


# --- Softplus -------------------------------------------------------------------------------------------


class Softplus(minidl.Function):
    def forward(self, x):
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def backward(self, grad_output):
        (y,) = self.outputs  # sigmoid(x) = 1 - exp(-softplus(x)): written from the output this time
        return grad_output * (1 - minidl.exp(-y))


class Overflows(Softplus):
    def forward(self, x):
        return np.log(1 + np.exp(x))


class ForgetsTheChainRule(Softplus):
    def backward(self, grad_output):
        return minidl.sigmoid(self.inputs[0])


class WrongSign(Softplus):
    def backward(self, grad_output):
        return grad_output * minidl.sigmoid(-self.inputs[0])


class BackwardInNumPy(Softplus):
    def backward(self, grad_output):
        return grad_output.numpy() / (1 + np.exp(-self.inputs[0].numpy()))


class ConstantGradient(Softplus):
    def backward(self, grad_output):
        return grad_output * minidl.Tensor(1 / (1 + np.exp(-self.inputs[0].numpy())))


def test_softplus_accepts_a_correct_answer():
    assert check_softplus(Softplus).passed


@pytest.mark.parametrize("wrong, hint", [
    (Overflows, "overflows float32"),
    (ForgetsTheChainRule, "chain rule"),
    (WrongSign, "not sigmoid(-x)"),
    (ConstantGradient, "constants to the engine"),
    (Softplus(), "pass the class itself"),
], ids=["overflows", "no grad_output", "sigmoid(-x)", "not differentiable twice", "an instance"])
def test_softplus_rejects(wrong, hint):
    assert_rejected(check_softplus(wrong), hint)


def test_softplus_says_backward_must_return_a_tensor():
    feedback = check_softplus(BackwardInNumPy)
    assert not feedback.passed and not feedback.todo
    assert "must return a Tensor" in feedback.hint


def test_softplus_stub_backward_is_not_done():
    class ForwardOnly(Softplus):
        def backward(self, grad_output):
            raise NotImplementedError()

    feedback = check_softplus(ForwardOnly)
    assert feedback.todo and "not done yet" in repr(feedback)


@pytest.mark.parametrize("checker", [check_matmul_backward, check_mse_gradients, check_numerical_gradient])
def test_a_stub_is_not_done(checker):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    feedback = checker(stub)
    assert feedback.todo and not feedback.passed
