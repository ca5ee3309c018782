"""Chapter 01's checkers: each accepts a right answer and rejects the usual wrong ones with a hint that fits."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl.exercises.tensors import check_broadcast_shape, check_one_hot, check_standardize, check_unbroadcast


def rejected(feedback, *words: str) -> None:
    """The checker said no, showed what it expected, and its message mentions `words`."""
    text = repr(feedback)
    assert not feedback.passed and not feedback.todo, text
    assert "expected" in text, text
    for word in words:
        assert word in text, text


def padded(a_shape, b_shape, left=False):
    ndim = max(len(a_shape), len(b_shape))
    def pad(shape):
        ones = (1,) * (ndim - len(shape))
        return tuple(shape) + ones if left else ones + tuple(shape)

    return pad(a_shape), pad(b_shape)


def broadcast_shape(a_shape, b_shape, left=False):
    result = []
    for m, n in zip(*padded(a_shape, b_shape, left)):
        if m != n and 1 not in (m, n):
            raise ValueError(f"shapes {a_shape} and {b_shape} do not broadcast")
        result.append(n if m == 1 else m)
    return tuple(result)


def larger_size(a_shape, b_shape):
    return tuple(max(m, n) for m, n in zip(*padded(a_shape, b_shape)))


def checked_then_larger(a_shape, b_shape):
    broadcast_shape(a_shape, b_shape)
    return larger_size(a_shape, b_shape)


def asserts(a_shape, b_shape):
    for m, n in zip(*padded(a_shape, b_shape)):
        assert m == n or 1 in (m, n), "no"
    return larger_size(a_shape, b_shape) if 0 not in a_shape + b_shape else broadcast_shape(a_shape, b_shape)


def test_right_answers_pass():
    assert check_broadcast_shape(broadcast_shape).passed
    assert check_broadcast_shape(lambda a, b: tuple(np.broadcast_shapes(a, b))).passed
    assert check_unbroadcast(lambda grad, shape: grad.sum_to(shape)).passed
    assert check_standardize(lambda x: (x - x.mean(0, keepdim=True)) / (x.var(0, keepdim=True, correction=0) + 1e-5)
                             .sqrt()).passed
    assert check_one_hot(lambda labels, n: (labels.reshape(-1, 1) == minidl.arange(n)).float()).passed
    assert check_one_hot(lambda labels, n: minidl.eye(n)[labels]).passed


@pytest.mark.parametrize("wrong, words", [
    (lambda a, b: broadcast_shape(a, b, left=True), ["broadcast_shape((5, 3), (3,))", "from the right"]),
    (lambda a, b: list(broadcast_shape(a, b)), ["(a list)", "tuple"]),
    (larger_size, ["broadcast_shape((0,), (1,))", "expected: (0,)", "not the larger one"]),
    (checked_then_larger, ["expected: (0,)", "not the larger one"]),
    (asserts, ["broadcast_shape((3,), (4,))", "ValueError", "AssertionError"]),
    (lambda a, b: np.array(broadcast_shape(a, b)), ["the tuple (3, 4)", "ndarray"]),
])
def test_broadcast_shape_mistakes(wrong, words):
    rejected(check_broadcast_shape(wrong), *words)


def test_broadcast_shape_left_aligned_on_shapes_that_only_broadcast_that_way():
    def left_unless_it_fails(a_shape, b_shape):
        try:
            return broadcast_shape(a_shape, b_shape, left=True)
        except ValueError:
            return broadcast_shape(a_shape, b_shape)

    rejected(check_broadcast_shape(left_unless_it_fails), "expected: (4, 1, 5)", "lined the shapes up from the left")


def sum_leading(grad, shape):
    leading = grad.ndim - len(shape)
    return grad.sum(dim=tuple(range(leading))) if leading else grad


def sum_stretched(grad, shape, keepdim=True, reduce="sum"):
    grad = sum_leading(grad, shape) if reduce == "sum" else (
        grad.mean(dim=tuple(range(grad.ndim - len(shape)))) if grad.ndim > len(shape) else grad)
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if not stretched:
        return grad
    return grad.sum(dim=stretched, keepdim=keepdim) if reduce == "sum" else grad.mean(dim=stretched, keepdim=keepdim)


@pytest.mark.parametrize("wrong, words", [
    (sum_leading, ["shape (3, 1)", "got:      shape (3, 4)", "where `shape` has a 1"]),
    (lambda g, s: sum_stretched(g, s, keepdim=False), ["shape (3, 1)", "got:      shape (3,)", "keepdim=True"]),
    (lambda g, s: sum_stretched(g, s, reduce="mean"), ["the mean", "sum, not their average"]),
    (lambda g, s: g.sum(dim=0, keepdim=True).reshape(s) if g.size(0) == np.prod(s) else g.sum_to(s), ["expected"]),
    (lambda g, s: g.sum_to(s).numpy(), ["a minidl Tensor", "NumPy array"]),
    (lambda g, s: g.sum_to(s) * 2, ["unbroadcast(grad of shape (2, 3, 4), (3, 1))", "expected"]),
])
def test_unbroadcast_mistakes(wrong, words):
    rejected(check_unbroadcast(wrong), *words)


@pytest.mark.parametrize("wrong, words", [
    (lambda x: (x - x.mean(0)) / (x.var(0) + 1e-5).sqrt(), ["unbiased variance", "correction=0"]),
    (lambda x: (x - x.mean(1, keepdim=True)) / (x.var(1, keepdim=True, correction=0) + 1e-5).sqrt(),
     ["instead of each feature"]),
    (lambda x: (x - x.mean(1)) / (x.var(1, correction=0) + 1e-5).sqrt(),
     ["got:      ValueError", "without keepdim", "dim=0"]),
    (lambda x: (x - x.mean(0)) / x.std(0), ["got:      AttributeError", "Per feature"]),
    (lambda x: (x - x.mean(0)) / x.var(0, correction=0).sqrt(), ["3.0 in every sample", "nan", "eps"]),
    (lambda x: x - x.mean(0), ["expected"]),
    (lambda x: minidl.tensor((x.numpy() - x.numpy().mean(0)) / np.sqrt(x.numpy().var(0) + 1e-5)),
     ["requires_grad=True", "rather than NumPy"]),
    (lambda x: x.mean(0), ["shape (8, 3)", "got:      shape (3,)"]),
])
def test_standardize_mistakes(wrong, words):
    rejected(check_standardize(wrong), *words)


def test_standardize_square_batch_with_mean_over_the_wrong_dim_is_named():
    def wrong_dim_when_it_broadcasts(x):  # mean(dim=1) of a square batch broadcasts along the wrong axis
        if x.shape[0] == x.shape[1]:
            return (x - x.mean(1)) / (x.var(1, correction=0) + 1e-5).sqrt()
        return (x - x.mean(0)) / (x.var(0, correction=0) + 1e-5).sqrt()

    rejected(check_standardize(wrong_dim_when_it_broadcasts), "square batch", "no keepdim")


@pytest.mark.parametrize("wrong, words", [
    (lambda labels, n: labels.reshape(-1, 1) == minidl.arange(n), ["dtype float32", "got:      dtype bool"]),
    (lambda labels, n: (labels.reshape(1, -1) == minidl.arange(n).reshape(-1, 1)).float(),
     ["shape (1, 10)", "One row per label"]),
    (lambda labels, n: minidl.eye(int(labels.max().item()) + 1)[labels], ["shape (3, 6)", "num_classes columns"]),
    (lambda labels, n: (labels.reshape(-1, 1) == minidl.arange(1, n + 1)).float(), ["expected"]),
    (lambda labels, n: np.eye(n)[labels.numpy()], ["a minidl Tensor", "NumPy array"]),
])
def test_one_hot_mistakes(wrong, words):
    rejected(check_one_hot(wrong), *words)
