"""Sliding windows over images: im2col and its gradient, col2im.

A convolution multiplies every kh x kw window of the image by the same weights. `im2col`
lays the windows out as columns, (N, C*kh*kw, number of windows), so the whole convolution
becomes one matrix product; pooling takes the max or mean of each column. The windows are
cut from a strided *view* of the image (no Python loop over positions), and copied once.
"""

from __future__ import annotations

from typing import NamedTuple

from minidl.autograd import Function
from minidl.backend import get_array_module
from minidl.tensor import Tensor

__all__ = ["Window", "col2im", "im2col", "window"]


class Window(NamedTuple):
    """Where the windows go: kernel size, stride, padding and dilation, each (height, width)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """How many window positions fit down and across."""
        return tuple(
            (size + 2 * pad - dil * (k - 1) - 1) // step + 1
            for size, k, step, pad, dil in zip((height, width), self.kernel, self.stride, self.padding, self.dilation)
        )


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def window(kernel_size, stride=1, padding=0, dilation=1) -> Window:
    """A Window from ints or (height, width) pairs, as Conv2d and MaxPool2d take them."""
    return Window(_pair(kernel_size), _pair(stride), _pair(padding), _pair(dilation))


class Im2col(Function):
    label = "im2col"

    def __init__(self, window: Window, pad_value: float):
        self.window, self.pad_value = window, pad_value

    def forward(self, x):
        xp = get_array_module(x)
        self.input_shape = x.shape
        n, c, height, width = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.window
        oh, ow = self.window.output_size(height, width)
        if ph or pw:
            x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=self.pad_value)
        stride_n, stride_c, stride_h, stride_w = x.strides
        # windows[n, c, i, j, y, x] = image[n, c, y*sh + i*dh, x*sw + j*dw], all as one view
        windows = xp.lib.stride_tricks.as_strided(
            x, (n, c, kh, kw, oh, ow), (stride_n, stride_c, stride_h * dh, stride_w * dw, stride_h * sh, stride_w * sw)
        )
        return windows.reshape(n, c * kh * kw, oh * ow)  # the one copy

    def backward(self, grad):
        return col2im(grad, self.input_shape, self.window)


class Col2im(Function):
    """Add each column back onto the image positions its window covered (overlaps add up)."""

    label = "col2im"

    def __init__(self, image_shape, window: Window):
        self.image_shape, self.window = image_shape, window

    def forward(self, cols):
        xp = get_array_module(cols)
        n, c, height, width = self.image_shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.window
        oh, ow = self.window.output_size(height, width)
        # (kh, kw, n, c, oh, ow): each offset's block contiguous, so the adds below run fast
        cols = xp.ascontiguousarray(cols.reshape(n, c, kh, kw, oh, ow).transpose(2, 3, 0, 1, 4, 5))
        image = xp.zeros((n, c, height + 2 * ph, width + 2 * pw), dtype=cols.dtype)
        for i in range(kh):  # a loop over the kernel's kh * kw offsets, not over positions
            for j in range(kw):
                image[:, :, i * dh : i * dh + sh * oh : sh, j * dw : j * dw + sw * ow : sw] += cols[i, j]
        return image[:, :, ph : ph + height, pw : pw + width]

    def backward(self, grad):
        return im2col(grad, self.window)


def im2col(x: Tensor, window: Window, pad_value: float = 0.0) -> Tensor:
    """(N, C, H, W) -> (N, C*kh*kw, OH*OW): every window of x as a column.

    Padding adds `pad_value` around the image (0 for convolution, -inf for max pooling).
    """
    if x.ndim != 4:
        raise ValueError(f"im2col: needs an (N, C, H, W) tensor, got shape {x.shape}")
    oh, ow = window.output_size(*x.shape[2:])
    if oh < 1 or ow < 1:
        raise ValueError(
            f"im2col: a {window.kernel} window (dilation {window.dilation}, padding {window.padding}) "
            f"does not fit in an image of size {x.shape[2:]}"
        )
    return Im2col(window, pad_value)(x)


def col2im(cols: Tensor, image_shape, window: Window) -> Tensor:
    """The gradient of im2col: columns added back into an image of `image_shape`."""
    return Col2im(tuple(image_shape), window)(cols)
