"""Chapter 06's checkers: each one accepts a right answer and rejects plausible wrong ones with a
message that says what was expected and, for a known mistake, a hint that names it.

(tests/test_notebooks.py runs the chapter's own reference solutions and stubs through them.)
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from minidl.exercises.cnns import check_conv2d_loops, check_conv_output_size, check_im2col, check_max_pool_backward


def rejected(feedback, *in_message: str) -> str:
    """The text of a failed Feedback; it must say what was expected and contain each of `in_message`."""
    text = repr(feedback)
    assert not feedback.passed and not feedback.todo, text
    assert re.search(r"\n  expected(:|\[)", text) and re.search(r"\n  got(:|\[)", text), text
    for part in in_message:
        assert part in text, f"{part!r} not in:\n{text}"
    return text


# --- right answers ---------------------------------------------------------------------------

def conv_output_size(H, k, s, p, d=1):
    return (H + 2 * p - d * (k - 1) - 1) // s + 1


def im2col(x, kernel_size, stride=1, padding=0, order=(0, 1, 2, 3, 4, 5)):
    """Right with the default `order` of the (N, C, kh, kw, OH, OW) blocks; others are mistakes."""
    n, c, h, w = x.shape
    k, s, p = kernel_size, stride, padding
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    cols = np.empty((n, c, k, k, oh, ow))
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = x[:, :, i : i + s * oh : s, j : j + s * ow : s]
    return cols.transpose(order).reshape(n, c * k * k, oh * ow)


def conv2d_loops(x, weight, bias=None, stride=1, padding=0, flip=False, sum_channels=True):
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    if flip:
        weight = weight[:, :, ::-1, ::-1]
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n, o, c, oh, ow))
    for y in range(oh):
        for col in range(ow):
            patch = x[:, None, :, y * stride : y * stride + kh, col * stride : col * stride + kw]
            out[..., y, col] = (patch * weight).sum(axis=(3, 4))
    out = out.sum(axis=2) if sum_channels else out
    return out + bias.reshape(1, o, 1, 1)[(...,) + (None,) * (out.ndim - 4)] if bias is not None else out


def max_pool_backward(x, grad_output, kernel_size, stride, assign=False):
    grad = np.zeros_like(x)
    k, s = kernel_size, stride
    for n, c, y, col in np.ndindex(grad_output.shape):
        patch = x[n, c, y * s : y * s + k, col * s : col * s + k]
        i, j = np.unravel_index(np.argmax(patch), patch.shape)
        if assign:
            grad[n, c, y * s + i, col * s + j] = grad_output[n, c, y, col]
        else:
            grad[n, c, y * s + i, col * s + j] += grad_output[n, c, y, col]
    return grad


def test_right_answers_pass():
    assert check_conv_output_size(conv_output_size).passed
    assert check_im2col(im2col).passed
    assert check_conv2d_loops(conv2d_loops).passed
    assert check_max_pool_backward(max_pool_backward).passed


def test_answers_as_tensors_or_numpy_ints_pass_too():
    import minidl

    assert check_conv_output_size(lambda H, k, s, p, d=1: np.int64(conv_output_size(H, k, s, p, d))).passed
    assert check_im2col(lambda x, k, s, p: minidl.tensor(im2col(x, k, s, p))).passed


# --- conv_output_size --------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, hint", [
    (lambda H, k, s, p, d=1: (H + 2 * p - s) // k + 1, "swapped"),  # the articles' formula
    (lambda H, k, s, p, d=1: (H + 2 * p - k) // s, "+1 is missing"),
    (lambda H, k, s, p, d=1: (H + p - k) // s + 1, "H + 2p"),
    (lambda H, k, s, p, d=1: math.ceil((H + 2 * p - k) / s) + 1, "Round down"),
    (lambda H, k, s, p, d=1: (H + 2 * p - k) // s + 1, "dilation is ignored"),
    (lambda H, k, s, p, d=1: (H + 2 * p - d * (k - 1) - 1) / s + 1, "floor division"),
])
def test_conv_output_size_names_the_mistake(wrong, hint):
    rejected(check_conv_output_size(wrong), hint)


def test_conv_output_size_articles_mistake_is_shown_on_lenet():
    text = rejected(check_conv_output_size(lambda H, k, s, p, d=1: (H + 2 * p - s) // k + 1))
    assert "conv_output_size(H=28, k=5, s=1, p=0)" in text and "expected: 24" in text and "got:      6" in text


def test_conv_output_size_without_a_default_dilation_says_which_call_failed():
    feedback = check_conv_output_size(lambda H, k, s, p, d: conv_output_size(H, k, s, p, d))
    assert not feedback.passed and "got:      TypeError" in repr(feedback)
    assert "conv_output_size(H=28, k=5, s=1, p=0)\n  expected: 24" in repr(feedback)


# --- im2col ------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, hint", [
    (lambda x, k, s, p: im2col(x, k, s, p).transpose(0, 2, 1), "transposed"),
    (lambda x, k, s, p: im2col(x, k, s, p, order=(0, 2, 3, 1, 4, 5)), "channels last"),
    (lambda x, k, s, p: im2col(x, k, s, p, order=(0, 1, 3, 2, 4, 5)), "rows and columns swapped"),
    (lambda x, k, s, p: im2col(x, k, s, p, order=(0, 1, 2, 3, 5, 4)), "reading order"),
    (lambda x, k, s, p: im2col(x, k, s, 0), "pad the image"),
    (lambda x, k, s, p: im2col(x, k, 1, p), "stride 1"),
])
def test_im2col_names_the_mistake(wrong, hint):
    rejected(check_im2col(wrong), hint)


def test_a_function_that_returns_nothing_is_told_so():
    assert "forget to `return`" in repr(check_conv_output_size(lambda H, k, s, p, d=1: None))
    assert "forget to `return`" in repr(check_im2col(lambda x, k, s, p: None))
    assert "forget to `return`" in repr(check_max_pool_backward(lambda x, g, k, s: None))


def test_im2col_that_crashes_is_reported_with_its_case():
    feedback = check_im2col(lambda x, k, s, p: x.reshape(-1, k * k))
    assert not feedback.passed and "im2col(x=(1, 1, 4, 4), kernel_size=3" in repr(feedback)
    assert "ValueError" in repr(feedback)


# --- conv2d_loops ------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, hint", [
    (lambda x, w, b, s, p: conv2d_loops(x, w, b, s, p, flip=True), "kernel flipped"),
    (lambda x, w, b, s, p: conv2d_loops(x, w, None, s, p), "bias is missing"),
    (lambda x, w, b, s, p: conv2d_loops(x, w, b, s, p, sum_channels=False), "Sum over the input channels"),
])
def test_conv2d_loops_names_the_mistake(wrong, hint):
    rejected(check_conv2d_loops(wrong), hint)


def test_conv2d_loops_with_the_stride_ignored_is_rejected_on_its_case():
    text = rejected(check_conv2d_loops(lambda x, w, b, s, p: conv2d_loops(x, w, b, 1, p)))
    assert "stride=2" in text


# --- max_pool_backward -------------------------------------------------------------------------

def all_ties(x, grad_output, k, s):
    grad = np.zeros_like(x)
    for n, c, y, col in np.ndindex(grad_output.shape):
        patch = x[n, c, y * s : y * s + k, col * s : col * s + k]
        grad[n, c, y * s : y * s + k, col * s : col * s + k] += grad_output[n, c, y, col] * (patch == patch.max())
    return grad


def spread(x, grad_output, k, s):
    grad = np.zeros_like(x)
    for n, c, y, col in np.ndindex(grad_output.shape):
        grad[n, c, y * s : y * s + k, col * s : col * s + k] += grad_output[n, c, y, col] / k**2
    return grad


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, g, k, s: max_pool_backward(x, g, k, s, assign=True), "do not assign"),
    (all_ties, "first of them"),
    (spread, "average pooling"),
    (lambda x, g, k, s: g, "x's shape"),
])
def test_max_pool_backward_names_the_mistake(wrong, hint):
    rejected(check_max_pool_backward(wrong), hint)


def test_checkers_are_deterministic():
    wrong = check_max_pool_backward(spread)
    assert repr(wrong) == repr(check_max_pool_backward(spread))
