"""Checkers for chapter 01 (tensors and dataflow): broadcasting by its rules, undoing it for a
gradient, normalizing features with it, and one-hot labels.

    from minidl.exercises.tensors import check_broadcast_shape
    check_broadcast_shape(broadcast_shape)
"""

from __future__ import annotations

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

__all__ = ["check_broadcast_shape", "check_one_hot", "check_standardize", "check_unbroadcast"]


def _left_aligned(a_shape: tuple, b_shape: tuple) -> tuple | None:
    """What comes out when shapes of different lengths are lined up from the left (the classic
    mistake); None when that gives no shape or the same as lining them up from the right."""
    if len(a_shape) == len(b_shape):
        return None
    short, long = sorted((a_shape, b_shape), key=len)
    padded = short + (1,) * (len(long) - len(short))
    if any(m != n and 1 not in (m, n) for m, n in zip(padded, long)):
        return None
    return tuple(n if m == 1 else m for m, n in zip(padded, long))


@exercise("broadcast_shape", hint="Line the shapes up from the right; a missing dim counts as 1. Two sizes "
                                  "agree when they are equal or one of them is 1, and the result takes the other.")
def check_broadcast_shape(broadcast_shape):
    compatible = [((3, 1), (1, 4)), ((5, 3), (3,)), ((2, 3), (2, 3)), ((), (2, 3)), ((4, 1), ()),
                  ((8, 1, 6, 1), (7, 1, 5)), ((4, 1, 1), (1, 5)), ((3,), (2, 1)), ((0,), (1,)),
                  ((6, 1, 3), (6, 2, 1))]
    for a_shape, b_shape in compatible:
        case = f"broadcast_shape({a_shape}, {b_shape})"
        expected = numpy.broadcast_shapes(a_shape, b_shape)
        got = attempt(broadcast_shape, a_shape, b_shape, case=case, expected=str(expected),
                                hint="These shapes do broadcast. Pair the sizes from the right (the last dims "
                                     "first); the shorter shape gets 1s in front.")
        if isinstance(got, list) and tuple(got) == expected:
            raise Mismatch(f"{case}\n  expected: {expected} (a tuple)\n  got:      {got} (a list)",
                           hint="Return a tuple, as .shape is one: a list never equals a tuple in Python "
                                "([3, 4] == (3, 4) is False). tuple(your_list) converts it.")
        expect(isinstance(got, tuple), case, f"the tuple {expected}", f"a {type(got).__name__}: {got!r}")
        if got != expected and 0 in expected:
            raise Mismatch(f"{case}\n  expected: {expected}\n  got:      {got}",
                           hint="Where one size is 1, the result takes the other size, not the larger one: "
                                "an empty dim (size 0) against a 1 stays empty.")
        if got != expected and got == _left_aligned(a_shape, b_shape):
            raise Mismatch(f"{case}\n  expected: {expected}\n  got:      {got}",
                           hint="You lined the shapes up from the left. Broadcasting starts from the last "
                                "dim: (5, 3) and (3,) pair 3 with 3, and the (3,) gets a 1 in front.")
        expect(got == expected, case, str(expected), repr(got))
    incompatible = [((3,), (4,)), ((2, 3), (3, 2)), ((4, 3), (4,)), ((2, 1), (8, 4, 3)), ((0,), (2,))]
    for a_shape, b_shape in incompatible:
        case = f"broadcast_shape({a_shape}, {b_shape})"
        try:
            got = attempt(broadcast_shape, a_shape, b_shape, case=case)
        except Mismatch as crash:
            error = crash.__cause__
            if isinstance(error, ValueError):
                continue
            raise Mismatch(f"{case}\n  expected: ValueError (the shapes do not broadcast)\n  got:      "
                           f"{type(error).__name__}: {error}",
                           hint="Raise ValueError yourself when two sizes differ and neither is 1, "
                                "with a message that names both shapes.") from None
        if got == _left_aligned(a_shape, b_shape):
            hint = ("You lined the shapes up from the left. From the right, (4, 3) and (4,) pair 3 with 4: "
                    "they do not broadcast.")
        else:
            hint = ("Two sizes that differ are fine only when one of them is 1; otherwise raise ValueError: "
                    "taking the larger size hides a real bug.")
        raise Mismatch(f"{case}\n  expected: ValueError (the shapes do not broadcast)\n  got:      {got!r}", hint)
    return f"{len(compatible)} compatible pairs (scalars and empty dims too) and {len(incompatible)} ValueErrors."


@exercise("unbroadcast", hint="Sum over the leading dims the input did not have, then over the dims where the "
                              "input had size 1 (keepdim=True), so the result has exactly `shape`.")
def check_unbroadcast(unbroadcast):
    rng = numpy.random.default_rng(1)
    cases = [((2, 3, 4), (3, 1)), ((4, 3), (3,)), ((4, 3), (4, 3)), ((2, 3), ()), ((5, 1, 4), (1, 1, 4)),
             ((2, 3, 4), (1, 3, 1)), ((3, 3), (3, 1)), ((6, 2), (1,))]
    for grad_shape, shape in cases:
        grad = rng.standard_normal(grad_shape).astype(numpy.float32)
        case = f"unbroadcast(grad of shape {grad_shape}, {shape})"
        expected = _sum_to(grad, shape)
        result = expect_tensor(attempt(unbroadcast, minidl.tensor(grad), shape, case=case,
                                                  expected=f"shape {expected.shape}: {_rows(expected)}"), case)
        got = to_numpy(result)
        if got.shape != expected.shape:
            leading = grad.ndim - len(shape)
            if got.shape == grad.shape[leading:]:
                hint = ("You summed the leading dims away but not the dims where `shape` has a 1: sum those "
                        "too, keeping them (keepdim=True).")
            elif got.shape[len(got.shape) - len(shape):] == expected.shape and len(got.shape) > len(shape):
                hint = "You kept the leading dims that broadcasting added in front: sum over them too."
            elif got.size == expected.size and numpy.allclose(got.reshape(expected.shape), expected, atol=1e-5):
                hint = "The right numbers, in the wrong shape: sum with keepdim=True, or reshape to `shape` at the end."
            else:
                hint = None
            raise Mismatch(f"{case}\n  expected: shape {expected.shape}\n  got:      shape {got.shape}", hint)
        counts = grad.size // max(expected.size, 1)
        if counts > 1 and numpy.allclose(got * counts, expected, rtol=1e-4, atol=1e-5):
            raise Mismatch(f"{case}\n  expected: {_rows(expected)}\n  got:      {_rows(got)}",
                           hint="That is the mean: a value broadcast to N places sent its gradient to all N, "
                                "so its own gradient is their sum, not their average.")
        expect_close(result, expected, case, rtol=1e-5, atol=1e-5)
    return "gradients summed back to every input shape (leading dims, size-1 dims, both, a scalar)."


def _sum_to(array: numpy.ndarray, shape: tuple) -> numpy.ndarray:
    leading = array.ndim - len(shape)
    summed = array.sum(axis=tuple(range(leading))) if leading else array
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and summed.shape[i] != 1)
    return summed.sum(axis=stretched, keepdims=True).reshape(shape)


@exercise("standardize", hint="Per feature (column): mean and variance over the batch (dim 0, keepdim=True), "
                              "then (x - mean) / sqrt(variance + eps) with the variance's correction=0.")
def check_standardize(standardize):
    rng = numpy.random.default_rng(2)
    constant_column = numpy.column_stack([rng.standard_normal(5), numpy.full(5, 3.0)])
    cases = [("a batch of 8 samples with 3 features", rng.normal(4.0, 2.0, (8, 3))),
             ("a square batch: 4 samples, 4 features", rng.normal(-1.0, 3.0, (4, 4))),
             ("a batch of 6 samples with 1 feature", rng.normal(10.0, 0.5, (6, 1))),
             ("a feature that is 3.0 in every sample", constant_column)]
    eps = 1e-5
    for what, x in cases:
        x = x.astype(numpy.float32)
        case = f"standardize(x) for {what}"
        given = minidl.tensor(x, requires_grad=True)
        expected = (x - x.mean(0)) / numpy.sqrt(x.var(0) + eps)
        try:
            with numpy.errstate(all="ignore"):  # a division by zero is reported below, in words
                result = attempt(standardize, given, case=case,
                                           expected=f"shape {x.shape}: {_rows(expected)}")
        except Mismatch as crash:
            if "broadcast" not in str(crash):
                raise
            raise Mismatch(str(crash), hint="A mean over dim=1 without keepdim has shape (N,): it lines up with the "
                                            "last dim (the features), not with the samples. Take the mean and the "
                                            "variance over dim=0, keepdim=True.") from crash
        expect_tensor(result, case)
        got = to_numpy(result).astype(numpy.float64)
        expect(got.shape == x.shape, case, f"shape {x.shape}", f"shape {got.shape}",
               hint="Keep every sample: only the mean and the variance are per feature, of shape (1, features).")
        for mistake, wrong in _standardize_mistakes(x, eps):
            if wrong is not None and wrong.shape == got.shape and numpy.allclose(got, wrong, rtol=1e-4, atol=1e-4) \
                    and not numpy.allclose(wrong, expected, rtol=1e-4, atol=1e-4):
                raise Mismatch(f"{case}\n  expected: {_rows(expected)}\n  got:      {_rows(got)}",
                               hint=f"You normalized {mistake}. Batch normalization takes, per feature, the "
                                    "mean and the variance (correction=0) over the batch: dim=0, keepdim=True.")
        if not numpy.all(numpy.isfinite(got)):
            raise Mismatch(f"{case}\n  expected: {_rows(expected)}\n  got:      {_rows(got)}",
                           hint="A feature with the same value in every sample has variance 0: add eps = 1e-5 "
                                "to the variance before the square root, so nothing is divided by zero.")
        expect_close(got, expected, case, rtol=1e-4, atol=1e-4)
        expect(result.requires_grad, case, "a result connected to x (requires_grad=True)",
               "a result with no graph behind it",
               hint="Use minidl's ops (mean, var or sum, sqrt) on x itself rather than NumPy, so that a "
                    "gradient can flow back through the normalization.")
    return "features centred and scaled over the batch, square batches and a constant feature too."


def _standardize_mistakes(x: numpy.ndarray, eps: float):
    """(what went wrong, what it gives) for the usual slips; None where that slip would raise."""
    slips = {
        "over each sample (a row) instead of each feature (a column)":
            lambda: (x - x.mean(1, keepdims=True)) / numpy.sqrt(x.var(1, keepdims=True) + eps),
        "with mean(dim=1) and no keepdim: a shape (N,) mean lines up with the features, not the samples":
            lambda: (x - x.mean(1)) / numpy.sqrt(x.var(1) + eps),
        "with the unbiased variance (correction=1, dividing by N - 1), minidl.var's default":
            lambda: (x - x.mean(0)) / numpy.sqrt(x.var(0, ddof=1) + eps),
    }
    for mistake, compute in slips.items():
        try:
            yield mistake, compute()
        except ValueError:  # shapes that do not broadcast: this slip would have crashed instead
            yield mistake, None


def _rows(array: numpy.ndarray) -> str:
    """An array on one line, rounded and shortened: enough to compare by eye."""
    text = numpy.array2string(numpy.asarray(array), precision=3, suppress_small=True, threshold=8, edgeitems=2)
    return " ".join(text.split())


@exercise("one_hot", hint="Compare the labels as a column (N, 1) with minidl.arange(num_classes) as a row: "
                          "broadcasting gives an (N, num_classes) table of True/False; .float() makes it numbers.")
def check_one_hot(one_hot):
    cases = [([0, 2, 1], 3), ([9], 10), ([3, 3, 0, 1], 4), ([1, 0], 2), ([4, 1, 2], 6), ([], 5)]
    for labels, num_classes in cases:
        case = f"one_hot(minidl.tensor({labels}), {num_classes})"
        given = minidl.tensor(numpy.array(labels, dtype=numpy.int64))
        expected = numpy.eye(num_classes, dtype=numpy.float32)[numpy.array(labels, dtype=numpy.int64)]
        result = expect_tensor(attempt(one_hot, given, num_classes, case=case,
                                                  expected=f"shape {expected.shape}: {_rows(expected)}"), case)
        got = to_numpy(result)
        if got.shape == expected.T.shape and got.shape != expected.shape:
            raise Mismatch(f"{case}\n  expected: shape {expected.shape}\n  got:      shape {got.shape}",
                           hint="One row per label (the batch dimension comes first), one column per class.")
        expect(got.shape == expected.shape, case, f"shape {expected.shape}", f"shape {got.shape}",
               hint="num_classes columns, even when the largest label is smaller than num_classes - 1.")
        expect(result.dtype == minidl.float32, case, "dtype float32", f"dtype {result.dtype}",
               hint="One-hot rows are compared with predicted probabilities: make them float32 (.float()).")
        expect_close(result, expected, case)
    return "one row per label, float32, one 1 in the label's column (an empty batch too)."
