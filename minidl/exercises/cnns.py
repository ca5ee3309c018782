"""Checkers for chapter 06 (convolutional networks): output sizes, im2col, a convolution written
with loops, and the gradient of max pooling.

Every case is compared with minidl's own answer (conv2d's output shape, `im2col`, `conv2d`, the
gradient that autograd gives `max_pool2d`); where a wrong answer matches a known mistake (the
stride and kernel size swapped, a flipped kernel, a gradient assigned where it should be added,
...) the hint names that mistake.

    from minidl.exercises.cnns import check_conv_output_size
    check_conv_output_size(conv_output_size)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy

import minidl
import minidl.nn.functional as F
from minidl.exercises.checking import Mismatch, attempt, describe, exercise, expect, expect_close, shown_array, to_numpy
from minidl.ops.windows import im2col, window

__all__ = ["check_conv2d_loops", "check_conv_output_size", "check_im2col", "check_max_pool_backward"]


def _case(name: str, **arguments) -> str:
    """How a call reads in a message: name(H=28, k=5, ...), arrays shown by their shape."""
    shown = [f"{key}={value.shape if isinstance(value, numpy.ndarray) else value}" for key, value in arguments.items()]
    return f"{name}({', '.join(shown)})"


def _matches(got: numpy.ndarray, other: numpy.ndarray) -> bool:
    """Whether `got` equals another array (the outcome of a known mistake), shape included."""
    return got.shape == other.shape and numpy.allclose(got, other, rtol=1e-5, atol=1e-7)


def _expect_array(got, expected: numpy.ndarray, case: str, mistakes: dict[str, numpy.ndarray],
                  shape_hints: dict[tuple, str] | None = None) -> None:
    """`got` must equal `expected`; when it equals one of `mistakes` instead, that mistake's hint
    (the dict's key) is given; likewise for a wrong shape listed in `shape_hints`."""
    array = to_numpy(got)
    expect(array.dtype.kind in "biuf", case, f"a NumPy array of shape {expected.shape}", describe(got))
    got = array
    if got.shape != expected.shape:
        hint = (shape_hints or {}).get(got.shape)
        raise Mismatch(f"{case}\n  expected: shape {expected.shape}\n  got:      shape {got.shape}", hint)
    if numpy.allclose(got.astype(float), expected, rtol=1e-5, atol=1e-7):
        return
    hint = next((hint for hint, outcome in mistakes.items() if _matches(got, outcome)), None)
    where = tuple(int(i) for i in numpy.argwhere(~numpy.isclose(got.astype(float), expected, rtol=1e-5, atol=1e-7))[0])
    if expected.size <= 36:  # small enough to show whole
        shown = f"  expected: {shown_array(expected)}\n  got:      {shown_array(got)}\n"
    else:  # the row (last axis) where they first differ
        row = "[" + ", ".join(map(str, where[:-1])) + (", :]" if len(where) > 1 else ":]")
        shown = (f"  expected{row} = {shown_array(expected[where[:-1]])}\n"
                 f"  got{row}      = {shown_array(got[where[:-1]])}\n")
    raise Mismatch(f"{case}\n{shown}  first difference at index {where}: expected {expected[where]:.4g}, "
                   f"got {got[where]:.4g}", hint)


# --- the output-size formula -----------------------------------------------------------------

SIZE_MISTAKES = {  # a known wrong formula -> its hint
    "The stride and the kernel size are swapped: (H + 2p - s)/k + 1 is the formula as some articles "
    "print it, and it is wrong. The kernel's span k is what is taken away from the padded size; the "
    "stride s is the step, so it divides: floor((H + 2p - k)/s) + 1.":
        lambda h, k, s, p, d: (h + 2 * p - s) // k + 1,
    "Padding is added on both sides of the image, so the padded size is H + 2p, not H + p.":
        lambda h, k, s, p, d: (h + p - d * (k - 1) - 1) // s + 1,
    "The +1 is missing: with a padded size of exactly one kernel span there is 1 window, not 0 "
    "(count the first window, then one more for every whole step of s that still fits).":
        lambda h, k, s, p, d: (h + 2 * p - d * (k - 1) - 1) // s,
    "Round down, not up: a window that would stick out past the padded image is not computed, "
    "so use floor division (//).":
        lambda h, k, s, p, d: math.ceil((h + 2 * p - d * (k - 1) - 1) / s) + 1,
    "The dilation is ignored: a k x k kernel with dilation d spans d(k - 1) + 1 pixels, so the "
    "formula takes away d(k - 1) + 1 where it took away k.":
        lambda h, k, s, p, d: (h + 2 * p - k) // s + 1,
}


@exercise("conv_output_size", hint="The number of window positions along one side is "
          "floor((H + 2p - d(k - 1) - 1)/s) + 1; with d = 1 that is floor((H + 2p - k)/s) + 1.")
def check_conv_output_size(conv_output_size: Callable[..., int]) -> str:
    """conv_output_size(H, k, s, p, d=1) against the sizes minidl's conv2d gives, on 11 cases."""
    cases = [  # (H, k, s, p, d): LeNet's layers, 'same' padding, strides that leave pixels over, dilation
        (28, 5, 1, 0, 1), (12, 5, 1, 0, 1), (24, 2, 2, 0, 1), (32, 3, 1, 1, 1), (224, 7, 2, 3, 1),
        (11, 4, 3, 0, 1), (8, 3, 2, 1, 1), (5, 5, 1, 0, 1), (9, 3, 1, 0, 2), (28, 3, 1, 2, 2), (16, 3, 3, 1, 3),
    ]
    for h, k, s, p, d in cases:
        case = _case("conv_output_size", H=h, k=k, s=s, p=p, **({"d": d} if d != 1 else {}))
        image, kernel = minidl.zeros(1, 1, h, h), minidl.zeros(1, 1, k, k)
        expected = F.conv2d(image, kernel, stride=s, padding=p, dilation=d).shape[-1]
        arguments = (h, k, s, p) if d == 1 else (h, k, s, p, d)  # d = 1 through the default
        got = attempt(conv_output_size, *arguments, case=case, expected=str(expected))
        expect(isinstance(got, numbers.Integral) and not isinstance(got, bool), case,
               f"an int ({expected})", describe(got),
               "A size is a whole number: use floor division //, which keeps ints ints (math.floor(x / s) "
               "works too; / and numpy.floor give floats)." if isinstance(got, numbers.Real) else None)
        if got != expected:
            hint = next((hint for hint, mistake in SIZE_MISTAKES.items() if mistake(h, k, s, p, d) == got), None)
            raise Mismatch(f"{case}\n  expected: {expected} (the width of conv2d's output)\n  got:      {got}", hint)
    return f"all {len(cases)} cases give the size minidl's conv2d gives."


# --- im2col ----------------------------------------------------------------------------------

def _reference_columns(x: numpy.ndarray, kernel_size: int, stride: int, padding: int) -> numpy.ndarray:
    return im2col(minidl.tensor(x), window(kernel_size, stride, padding)).numpy()


def _column_mistakes(x: numpy.ndarray, k: int, s: int, p: int, expected: numpy.ndarray) -> dict[str, numpy.ndarray]:
    """The columns as known mistakes would give them."""
    n, c, height, width = x.shape
    oh, ow = (height + 2 * p - k) // s + 1, (width + 2 * p - k) // s + 1
    blocks = expected.reshape(n, c, k, k, oh, ow)
    return {
        "Each column must list its window channel by channel, then row by row, then column by column "
        "(c, i, j): the order of weight.reshape(out_channels, -1), so that one matrix product pairs every "
        "weight with its pixel. Yours lists the channels last (i, j, c).":
            blocks.transpose(0, 2, 3, 1, 4, 5).reshape(expected.shape),
        "Inside a window, go along a row first (i is the kernel row, j the kernel column: c, i, j); "
        "yours has the kernel's rows and columns swapped.":
            blocks.transpose(0, 1, 3, 2, 4, 5).reshape(expected.shape),
        "The windows (the columns) must come in reading order, row of output positions by row: column "
        "number r * OW + c for the window at output position (r, c). Yours go down the columns first.":
            blocks.transpose(0, 1, 2, 3, 5, 4).reshape(expected.shape),
    }


@exercise("im2col", hint="For every kernel offset (i, j), the pixels that offset sees in all the windows form "
          "the strided slice padded[:, :, i : i + s*OH : s, j : j + s*OW : s]; put them in "
          "columns[:, :, i, j] of an (N, C, k, k, OH, OW) array, then reshape to (N, C*k*k, OH*OW).")
def check_im2col(im2col_function: Callable[..., numpy.ndarray]) -> str:
    """im2col(x, kernel_size, stride, padding) against minidl's im2col, then used in a convolution."""
    rng = numpy.random.default_rng(6)
    cases = [  # (x shape, k, s, p): the tiny example, 'same' padding, a stride on a non-square image, ...
        ((1, 1, 4, 4), 3, 1, 0), ((2, 3, 5, 5), 3, 1, 1), ((2, 2, 7, 6), 3, 2, 0), ((1, 2, 6, 6), 2, 2, 0),
        ((2, 3, 4, 4), 1, 1, 0), ((1, 1, 3, 3), 3, 1, 0), ((1, 2, 5, 7), 3, 2, 2),
    ]
    for shape, k, s, p in cases:
        x = numpy.round(rng.standard_normal(shape), 2)
        case = _case("im2col", x=x, kernel_size=k, stride=s, padding=p)
        expected = _reference_columns(x, k, s, p)
        got = attempt(im2col_function, x.copy(), k, s, p, case=case, expected=f"an array of shape {expected.shape}")
        n, rows, windows = expected.shape
        unpadded = (shape[2] - k) // s + 1, (shape[3] - k) // s + 1
        stride_1 = (shape[2] + 2 * p - k) + 1, (shape[3] + 2 * p - k) + 1
        shape_hints = {
            (n, windows, rows): "One column per window: the result is (N, C*k*k, OH*OW). Yours is transposed "
                                "(one row per window).",
            (rows, n * windows): "Keep the batch first: (N, C*k*k, OH*OW), one matrix per image.",
            (n, rows, unpadded[0] * unpadded[1]): "That is the number of windows without padding: pad the "
                                                  "image with p zeros on every side first (numpy.pad).",
            (n, rows, stride_1[0] * stride_1[1]): "That is the number of windows with stride 1: the window "
                                                  "moves s pixels at a time.",
        }
        _expect_array(got, expected, case, _column_mistakes(x, k, s, p, expected), shape_hints)
        weight = rng.standard_normal((3, shape[1], k, k))
        oh, ow = (shape[2] + 2 * p - k) // s + 1, (shape[3] + 2 * p - k) // s + 1
        through_columns = (weight.reshape(3, -1) @ to_numpy(got)).reshape(n, 3, oh, ow)
        conv = F.conv2d(minidl.tensor(x), minidl.tensor(weight), stride=s, padding=p).numpy()
        expect_close(through_columns, conv, f"{case}, then weight.reshape(3, -1) @ columns, as conv2d")
    return f"all {len(cases)} cases match minidl's im2col, and weight.reshape(O, -1) @ your columns is conv2d."


# --- a convolution with loops ----------------------------------------------------------------

def _conv(x: numpy.ndarray, weight: numpy.ndarray, bias: numpy.ndarray | None, stride: int,
          padding: int) -> numpy.ndarray:
    """minidl's conv2d on arrays."""
    bias = None if bias is None else minidl.tensor(bias)
    return F.conv2d(minidl.tensor(x), minidl.tensor(weight), bias, stride=stride, padding=padding).numpy()


@exercise("conv2d_loops", hint="out[n, o, r, c] = bias[o] + the sum of weight[o] * the (C, kh, kw) window of "
          "the padded image whose top-left corner is at (r*stride, c*stride).")
def check_conv2d_loops(conv2d_loops: Callable[..., numpy.ndarray]) -> str:
    """conv2d_loops(x, weight, bias, stride, padding) against minidl's conv2d."""
    rng = numpy.random.default_rng(60)
    cases = [  # (x shape, weight shape, bias?, stride, padding)
        ((1, 1, 5, 5), (1, 1, 3, 3), False, 1, 0), ((2, 3, 6, 6), (4, 3, 3, 3), True, 1, 1),
        ((1, 2, 6, 5), (3, 2, 2, 3), True, 1, 0), ((2, 2, 7, 7), (3, 2, 3, 3), True, 2, 1),
        ((1, 3, 4, 4), (2, 3, 4, 4), True, 1, 0),
    ]
    for x_shape, weight_shape, with_bias, s, p in cases:
        x, weight = rng.standard_normal(x_shape), rng.standard_normal(weight_shape)
        bias = rng.standard_normal(weight_shape[0]) if with_bias else None
        case = _case("conv2d_loops", x=x, weight=weight, bias=bias if with_bias else None, stride=s, padding=p)
        expected = _conv(x, weight, bias, s, p)
        got = attempt(conv2d_loops, x.copy(), weight.copy(), None if bias is None else bias.copy(), s, p, case=case,
                      expected=f"an array of shape {expected.shape}")
        mistakes = {
            "This is a true convolution, with the kernel flipped: deep learning's conv2d is a cross-correlation, "
            "weight[o, m, i, j] multiplies xpad[n, m, r*s + i, c*s + j] (no flip).":
                _conv(x, weight[:, :, ::-1, ::-1], bias, s, p),
            "The bias is missing: add bias[o] to every output of channel o (when bias is not None).":
                _conv(x, weight, None, s, p),
        }
        oh = (x_shape[2] + 2 * p - weight_shape[2]) // s + 1
        ow = (x_shape[3] + 2 * p - weight_shape[3]) // s + 1
        unpadded = (x_shape[2] - weight_shape[2]) // s + 1, (x_shape[3] - weight_shape[3]) // s + 1
        stride_1 = x_shape[2] + 2 * p - weight_shape[2] + 1, x_shape[3] + 2 * p - weight_shape[3] + 1
        shape_hints = {
            (x_shape[0], weight_shape[0], *unpadded): "That is the output size without padding: pad the image "
                                                      "with p zeros on every side first (numpy.pad).",
            (x_shape[0], weight_shape[0], *stride_1): "That is the output size with stride 1: the window moves "
                                                      "s pixels at a time, so OH = (H + 2p - kh)//s + 1.",
            (x_shape[0], weight_shape[0], x_shape[1], oh, ow): "Sum over the input channels too: each output channel "
                                                               "adds up what the kernel sees in all C channels.",
            (x_shape[0], weight_shape[0], weight_shape[2], weight_shape[3]): "The output has one value per window "
                                                                             "position, (N, O, OH, OW).",
        }
        _expect_array(got, expected, case, mistakes, shape_hints)
    return f"all {len(cases)} cases match minidl's conv2d (bias, padding, stride, non-square kernels)."


# --- the gradient of max pooling --------------------------------------------------------------

def _pool_gradient(x: numpy.ndarray, grad_output: numpy.ndarray, k: int, s: int, mistake: str) -> numpy.ndarray:
    """Max pooling's gradient as a known mistake computes it: "assign" (where windows overlap, the last
    one overwrites), "all ties" (every tied maximum gets it) or "spread" (average pooling's gradient)."""
    grad = numpy.zeros_like(x)
    for n, channel, r, c in numpy.ndindex(grad_output.shape):
        patch = x[n, channel, r * s : r * s + k, c * s : c * s + k]
        g = grad_output[n, channel, r, c]
        target = grad[n, channel, r * s : r * s + k, c * s : c * s + k]  # a view: writes reach grad
        if mistake == "spread":
            target += g / k**2
        elif mistake == "all ties":
            target += g * (patch == patch.max())
        else:
            target[numpy.unravel_index(numpy.argmax(patch), patch.shape)] = g
    return grad


@exercise("max_pool_backward", hint="Max pooling passes each window's gradient to the one input that was the "
          "window's maximum (the first one if several tie), and 0 to the others; where windows overlap, a pixel "
          "that wins several of them gets the sum of their gradients.")
def check_max_pool_backward(max_pool_backward: Callable[..., numpy.ndarray]) -> str:
    """max_pool_backward(x, grad_output, kernel_size, stride) against the gradient minidl's max_pool2d gives."""
    rng = numpy.random.default_rng(66)
    overlapping = rng.standard_normal((1, 2, 5, 5))
    overlapping[:, :, 2, 2] = 5.0  # the centre wins all four overlapping 3 x 3 windows
    ties = numpy.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 1.0, 2.0, 0.5]]]])
    cases = [  # (x, k, s): non-overlapping, odd sizes (a row and column left out), overlap, ties
        (rng.permutation(16).reshape(1, 1, 4, 4).astype(float), 2, 2), (rng.standard_normal((2, 3, 6, 6)), 2, 2),
        (rng.standard_normal((1, 1, 5, 5)), 2, 2), (overlapping, 3, 2), (rng.standard_normal((2, 1, 7, 7)), 3, 2),
        (ties, 2, 2), (rng.standard_normal((1, 2, 6, 6)), 3, 3),
    ]
    for x, k, s in cases:
        image = minidl.tensor(x, requires_grad=True)
        out = F.max_pool2d(image, k, s)
        grad_output = numpy.round(rng.uniform(0.5, 2.0, out.shape), 2)  # positive: no gradient cancels out
        out.backward(minidl.tensor(grad_output))
        expected = image.grad.numpy()
        case = _case("max_pool_backward", x=x, grad_output=grad_output, kernel_size=k, stride=s)
        got = attempt(max_pool_backward, x.copy(), grad_output.copy(), k, s, case=case,
                      expected=f"an array of shape {x.shape}, like x")
        mistakes = {
            "Where windows overlap, one pixel can be the maximum of several windows: it gets the sum of their "
            "gradients. Add (+=) each gradient to its place; do not assign (=).":
                _pool_gradient(x, grad_output, k, s, "assign"),
            "When several values tie for a window's maximum, the whole gradient goes to the first of them "
            "(in reading order, as numpy.argmax picks), as in minidl and PyTorch; yours gives it to all of them.":
                _pool_gradient(x, grad_output, k, s, "all ties"),
            "That is average pooling's gradient (spread evenly over the window). Max pooling's output depends "
            "only on the window's maximum, so only that input gets the gradient.":
                _pool_gradient(x, grad_output, k, s, "spread"),
        }
        shape_hints = {grad_output.shape: "Return the gradient with respect to the input x: it has x's shape, "
                                          "not the pooled output's."}
        _expect_array(got, expected, case, mistakes, shape_hints)
    return f"all {len(cases)} cases match the gradient minidl's max_pool2d sends back."

