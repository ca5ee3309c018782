"""Checkers for chapter 00 (welcome): a first tensor, a first computation, a first gradient.

    from minidl.exercises.welcome import check_make_grid
    check_make_grid(make_grid)
"""

from __future__ import annotations

import math

import numpy

import minidl
from minidl.exercises.checking import (
    Mismatch,
    attempt,
    exercise,
    expect,
    expect_close,
    expect_tensor,
    to_numpy,
)
from minidl.tensor import Tensor

__all__ = ["check_derivative_at", "check_make_grid", "check_mean_squared_error"]


@exercise("make_grid", hint="minidl.arange(n) counts 0, 1, ..., n - 1; reshape puts those values row by row.")
def check_make_grid(make_grid):
    for rows, cols in [(3, 4), (1, 5), (4, 1), (2, 3), (0, 3)]:
        case = f"make_grid({rows}, {cols})"
        expected = numpy.arange(rows * cols, dtype=numpy.float32).reshape(rows, cols)
        grid = expect_tensor(attempt(make_grid, rows, cols, case=case, expected=expected.tolist()), case)
        if grid.shape == (cols, rows) and rows != cols:
            raise Mismatch(f"{case}\n  expected: shape {expected.shape}\n  got:      shape {grid.shape}",
                           hint="Rows first: a (rows, cols) grid has `rows` rows of `cols` numbers each.")
        expect(grid.dtype == minidl.float32, case, "dtype float32", f"dtype {grid.dtype}",
               hint="minidl.arange with whole numbers gives int64 (as PyTorch does); ask for "
                    "dtype=minidl.float32, or call .float() on the result.")
        columns_first = numpy.arange(rows * cols).reshape(cols, rows).T
        if min(rows, cols) > 1 and grid.shape == expected.shape and numpy.array_equal(to_numpy(grid), columns_first):
            raise Mismatch(f"{case}\n  expected: {expected.tolist()}\n  got:      {to_numpy(grid).tolist()}",
                           hint="The numbers should run along each row first (0, 1, 2, ... in the first row), "
                                "as reshape lays them out; you filled the columns first.")
        if grid.shape == expected.shape and not numpy.array_equal(to_numpy(grid), expected):
            starts_at_one = numpy.array_equal(to_numpy(grid), expected + 1)
            raise Mismatch(f"{case}\n  expected: {expected.tolist()}\n  got:      {to_numpy(grid).tolist()}",
                           hint="Start counting at 0: minidl.arange(n) gives 0, 1, ..., n - 1." if starts_at_one
                           else None)
        expect_close(grid, expected, case)
    return "float32 grids of every shape, counted row by row (the empty 0 x 3 one too)."


@exercise("mean_squared_error", hint="The mean over all elements of (prediction - target) squared, "
                                     "written with minidl ops so that the result is a Tensor.")
def check_mean_squared_error(mean_squared_error):
    rng = numpy.random.default_rng(0)
    for shape in [(4,), (3, 2), (1,), (2, 3, 4)]:
        prediction = rng.standard_normal(shape).astype(numpy.float32)
        target = rng.standard_normal(shape).astype(numpy.float32)
        case = f"mean_squared_error(prediction, target) with two tensors of shape {shape}"
        given = minidl.tensor(prediction, requires_grad=True)
        expected = numpy.mean((prediction - target) ** 2)
        result = expect_tensor(attempt(mean_squared_error, given, minidl.tensor(target), case=case,
                                                  expected=f"{expected:.6f}"), case)
        got = to_numpy(result)
        expect(got.shape == (), case, "a single number: a 0-d Tensor of shape ()", f"shape {got.shape}",
               hint="Reduce over every element with .mean() (no dim): the loss is one number.")
        differences = prediction - target
        wrong_answers = {
            "the sum instead of the mean": numpy.sum(differences**2),
            "the mean of the differences, not squared": numpy.mean(differences),
            "the mean of the absolute differences": numpy.mean(numpy.abs(differences)),
            "the square root of the mean (RMSE)": math.sqrt(expected),
        }
        for mistake, value in wrong_answers.items():
            if numpy.size(differences) > 1 and numpy.isclose(got, value, rtol=1e-5):
                raise Mismatch(f"{case}\n  expected: {expected:.6f}\n  got:      {float(got):.6f}",
                               hint=f"That is {mistake}: square each difference, then take their mean.")
        expect_close(result, expected, case)
        expect(result.requires_grad, case, "a result connected to `prediction` (requires_grad=True)",
               "a result with no graph behind it",
               hint="Compute with minidl's ops on the tensors themselves (not through NumPy or .item()), so "
                    "that a gradient can later flow back to the prediction.")
    return "the mean of the squared differences, as a Tensor with its graph, for 1-d to 3-d inputs."


@exercise("derivative_at", hint="Make a tensor from x0 that requires grad, call f on it, call backward() on "
                                "the result; the derivative is then in the tensor's .grad.")
def check_derivative_at(derivative_at):
    cases = [
        ("x * x", lambda x: x * x, 3.0, 6.0),
        ("x**3 - 2 * x", lambda x: x**3 - 2 * x, -1.0, 1.0),
        ("minidl.tanh(x)", minidl.tanh, 0.5, 1.0 - math.tanh(0.5) ** 2),
        ("minidl.exp(x)", minidl.exp, 0.0, 1.0),
        ("5 * x + 1", lambda x: 5 * x + 1, 2.0, 5.0),
    ]
    for text, f, x0, expected in cases:
        calls = []

        def watched(x, f=f, calls=calls):
            calls.append(isinstance(x, Tensor) and x.requires_grad)
            return f(x)

        case = f"derivative_at(f, {x0}) with f(x) = {text}"
        try:
            got = attempt(derivative_at, watched, x0, case=case, expected=f"{expected:.6g}")
        except Mismatch as crash:
            if "does not require grad" not in str(crash):
                raise
            raise Mismatch(str(crash), hint="backward() needs a graph to go back through, and ops record one only "
                                            "when an input requires grad: minidl.tensor(x0, requires_grad=True).") \
                from crash
        expect(calls != [], case, "f to be called", "f was never called",
               hint="Call the f you are given; the checker passes a different f each time.")
        expect(any(calls), case, "f called on a tensor that requires grad", "no call with requires_grad=True",
               hint="backward() fills .grad only for tensors made with requires_grad=True; "
                    "a finite difference (f(x + h) - f(x)) / h is only an approximation.")
        got_array = to_numpy(got)
        expect(got_array.size == 1, case, "one number (a float or a one-element Tensor)", f"shape {got_array.shape}")
        got_number = float(got_array.reshape(()))
        if not math.isclose(got_number, expected, rel_tol=1e-5, abs_tol=1e-6):
            value = float(to_numpy(f(minidl.tensor(x0))))
            raise Mismatch(f"{case}\n  expected: {expected:.6g}\n  got:      {got_number:.6g}",
                           hint="That is f(x0), the value of f; the derivative is in x.grad after y.backward()."
                           if math.isclose(got_number, value, rel_tol=1e-5) else None)
    return "the exact derivative from backward(), for five functions."
