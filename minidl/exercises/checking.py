"""How an exercise is checked: run the learner's code on real cases, and say what went wrong.

A checker is a plain function decorated with @exercise. It calls the learner's code through
`attempt` (so a stub's NotImplementedError reads "not done yet", and any other crash is shown
with the case that caused it) and compares results with `expect_close` / `expect`. The
decorator turns the first failed comparison into a Feedback that says what was tried, what was
expected, what came back and a hint; a checker that gets through every case passes.

    @exercise("relu_backward", hint="The gradient flows only where the input was positive.")
    def check_relu_backward(relu_backward):
        x, g = numpy.array([-1.0, 2.0]), numpy.array([5.0, 7.0])
        expect_close(attempt(relu_backward, x, g), [0.0, 7.0], "relu_backward(x=[-1, 2], grad=[5, 7])")
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable

import numpy

from minidl.tensor import Tensor

__all__ = ["Feedback", "Mismatch", "attempt", "describe", "exercise", "expect", "expect_close", "expect_tensor",
           "shown_array", "to_numpy"]


class Mismatch(AssertionError):
    """One case of an exercise came out wrong; `hint` overrides the exercise's own hint."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


class NotDone(Exception):
    """The learner's code still raises NotImplementedError."""


class Feedback:
    """The verdict on one exercise: `passed`, and a message for the learner (text and HTML)."""

    def __init__(self, name: str, passed: bool, message: str, hint: str | None = None, todo: bool = False):
        self.name, self.passed, self.message, self.hint, self.todo = name, passed, message, hint, todo

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = "✓" if self.passed else ("…" if self.todo else "✗")
        lines = [f"{mark} {self.name}: {self.message}"]
        if self.hint and not self.passed:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        color = "#2e7d32" if self.passed else ("#8d6e00" if self.todo else "#c62828")
        body = html.escape(repr(self)).replace("\n", "<br>")
        return f'<pre style="border-left:4px solid {color};padding:4px 8px;white-space:pre-wrap">{body}</pre>'


def exercise(name: str, hint: str) -> Callable[[Callable[..., object]], Callable[..., Feedback]]:
    """Turn a function that raises Mismatch on a wrong case into a checker returning Feedback."""

    def decorate(check: Callable[..., object]) -> Callable[..., Feedback]:
        @functools.wraps(check)
        def checker(*learner_code, **options) -> Feedback:
            try:
                done = check(*learner_code, **options)
            except NotDone:
                return Feedback(name, False, "not done yet: replace `raise NotImplementedError` with your code.",
                                hint, todo=True)
            except Mismatch as wrong:
                return Feedback(name, False, str(wrong), wrong.hint or hint)
            return Feedback(name, True, done or "all cases pass.")

        return checker

    return decorate


def attempt(function: Callable[..., object], *args, case: str | None = None, expected: str | None = None,
            hint: str | None = None, **kwargs):
    """Call the learner's `function`; a crash becomes a Mismatch that names the call (and, given
    `expected`, says what should have come back)."""
    try:
        return function(*args, **kwargs)
    except NotImplementedError as stub:
        raise NotDone() from stub
    except Exception as error:  # the learner's bug, reported with the case that caused it
        call = case or f"{getattr(function, '__name__', 'your code')}(...)"
        crash = f"{type(error).__name__}: {error}"
        if expected is None:
            raise Mismatch(f"{call} raised {crash}", hint) from error
        raise Mismatch(f"{call}\n  expected: {expected}\n  got:      {crash}", hint) from error


def describe(value) -> str:
    """What a learner's result is, in words: 'a NumPy array of shape (3,)', 'a Python float 2.5', ..."""
    if isinstance(value, numpy.ndarray):
        return f"a NumPy array of shape {value.shape}"
    if isinstance(value, (bool, int, float)):
        return f"a Python {type(value).__name__}: {value!r}"
    if value is None:
        return "None (did the function forget to `return`?)"
    return f"a {type(value).__name__}: {value!r}"[:120]


def to_numpy(value) -> numpy.ndarray:
    """A learner's result (Tensor, array, list or number) as a NumPy array."""
    if isinstance(value, Tensor):
        value = value.detach().cpu().numpy()
    return numpy.asarray(value)


def expect(condition: bool, case: str, expected: str, got: str, hint: str | None = None) -> None:
    """Raise a Mismatch saying what was expected from `case` unless `condition` holds."""
    if not condition:
        raise Mismatch(f"{case}\n  expected: {expected}\n  got:      {got}", hint)


def expect_close(got, expected, case: str, rtol: float = 1e-5, atol: float = 1e-7, hint: str | None = None) -> None:
    """`got` must have `expected`'s shape and values (to rtol/atol); the message shows both."""
    got_array, expected_array = to_numpy(got), to_numpy(expected)
    expect(got_array.shape == expected_array.shape, case, f"shape {expected_array.shape}",
           f"shape {got_array.shape}", hint)
    close = numpy.allclose(got_array.astype(float), expected_array.astype(float), rtol=rtol, atol=atol)
    expect(close, case, shown_array(expected_array), shown_array(got_array), hint)


def expect_tensor(result, case: str):
    """The learner's result must be a minidl Tensor, not a NumPy array, a list or a number."""
    expect(isinstance(result, Tensor), case, "a minidl Tensor", describe(result),
           hint="Compute with minidl (minidl.tensor, minidl.arange, tensor ops) and return the Tensor it gives; "
                ".numpy(), .tolist() and .item() turn it into something else.")
    return result


def shown_array(array: numpy.ndarray) -> str:
    """An array printed small enough to read in a message."""
    with numpy.printoptions(precision=4, suppress=True, threshold=12, edgeitems=3):
        return " ".join(repr(array).split())
