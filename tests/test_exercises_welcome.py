"""Chapter 00's checkers: each accepts a right answer and rejects the usual wrong ones with a hint that fits."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl.exercises.welcome import check_derivative_at, check_make_grid, check_mean_squared_error


def rejected(feedback, *words: str) -> None:
    """The checker said no, showed what it expected, and its message mentions `words`."""
    text = repr(feedback)
    assert not feedback.passed and not feedback.todo, text
    assert "expected" in text, text
    for word in words:
        assert word in text, text


def make_grid(rows, cols):
    return minidl.arange(rows * cols, dtype=minidl.float32).reshape(rows, cols)


def mean_squared_error(prediction, target):
    return ((prediction - target) ** 2).mean()


def derivative_at(f, x0):
    x = minidl.tensor(x0, requires_grad=True)
    f(x).backward()
    return x.grad.item()


def test_right_answers_pass():
    assert check_make_grid(make_grid).passed
    assert check_mean_squared_error(mean_squared_error).passed
    assert check_derivative_at(derivative_at).passed
    assert check_derivative_at(lambda f, x0: minidl.grad(f(x := minidl.tensor(x0, requires_grad=True)), x)[0])


@pytest.mark.parametrize("wrong, words", [
    (lambda r, c: minidl.arange(r * c).reshape(r, c), ["dtype float32", "int64", ".float()"]),
    (lambda r, c: make_grid(c, r), ["shape (3, 4)", "Rows first"]),
    (lambda r, c: make_grid(c, r).T, ["columns first"]),
    (lambda r, c: make_grid(r, c).numpy(), ["a minidl Tensor", "NumPy array"]),
    (lambda r, c: minidl.arange(1, r * c + 1, dtype=minidl.float32).reshape(r, c),
     ["[[0.0, 1.0", "Start counting at 0"]),
])
def test_make_grid_mistakes(wrong, words):
    rejected(check_make_grid(wrong), *words)


@pytest.mark.parametrize("wrong, words", [
    (lambda p, t: ((p - t) ** 2).sum(), ["the sum instead of the mean"]),
    (lambda p, t: (p - t).abs().mean(), ["absolute differences"]),
    (lambda p, t: ((p - t) ** 2).mean().sqrt(), ["RMSE"]),
    (lambda p, t: (p - t) ** 2, ["shape ()", ".mean()"]),
    (lambda p, t: ((p - t) ** 2).mean().item(), ["a minidl Tensor", "Python float"]),
    (lambda p, t: minidl.tensor(np.mean((p.numpy() - t.numpy()) ** 2)), ["requires_grad=True", "gradient"]),
    (lambda p, t: ((t - p) ** 3).mean(), ["expected"]),
])
def test_mean_squared_error_mistakes(wrong, words):
    rejected(check_mean_squared_error(wrong), *words)


def finite_difference(f, x0, h=1e-3):
    return ((f(minidl.tensor(x0 + h)) - f(minidl.tensor(x0 - h))) / (2 * h)).item()


def no_requires_grad(f, x0):
    x = minidl.tensor(x0)
    f(x).backward()
    return x.grad


@pytest.mark.parametrize("wrong, words", [
    (finite_difference, ["requires grad", "finite difference"]),
    (no_requires_grad, ["expected: 6", "does not require grad", "requires_grad=True"]),
    (lambda f, x0: 2 * x0, ["f to be called"]),   # the derivative of x * x, whatever f is
    (lambda f, x0: f(minidl.tensor(x0, requires_grad=True)).item(), ["expected: 6", "got:      9", "value of f"]),
])
def test_derivative_at_mistakes(wrong, words):
    rejected(check_derivative_at(wrong), *words)


def test_a_crash_names_the_case():
    def crashes(f, x0):
        return [1, 2][5]

    feedback = check_derivative_at(crashes)
    text = repr(feedback)
    assert not feedback.passed
    assert "derivative_at(f, 3.0)" in text and "got:      IndexError: list index out of range" in text
