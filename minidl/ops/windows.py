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

    def offsets(self, output_size):
        """For each kernel offset (i, j), in order: the index of the padded image's elements that
        offset sees, one per window, as a strided slice (a view, for arrays and Tensors alike)."""
        (kh, kw), (sh, sw), _, (dh, dw) = self
        oh, ow = output_size
        for i in range(kh):
            for j in range(kw):
                yield (..., slice(i * dh, i * dh + sh * oh, sh), slice(j * dw, j * dw + sw * ow, sw))

    def pad(self, image, value=0.0):
        """An (N, C, H, W) array with `value` added around it: the padding of this window."""
        (ph, pw) = self.padding
        if not (ph or pw):
            return image
        return get_array_module(image).pad(image, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)

    def padded_zeros(self, image_shape, like):
        """Zeros (of `like`'s array kind and dtype) in the shape of an image padded by this window."""
        n, c, height, width = image_shape
        (ph, pw) = self.padding
        return get_array_module(like).zeros((n, c, height + 2 * ph, width + 2 * pw), dtype=like.dtype)

    def crop(self, padded, image_shape):
        """The image of `image_shape` inside a padded one (undoing `pad`)."""
        (ph, pw) = self.padding
        return padded[:, :, ph : ph + image_shape[2], pw : pw + image_shape[3]]


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def window(kernel_size, stride=1, padding=0, dilation=1) -> Window:
    """A Window from ints or (height, width) pairs, as Conv2d and MaxPool2d take them."""
    return Window(_pair(kernel_size), _pair(stride), _pair(padding), _pair(dilation))


class Im2col(Function):
    label = "im2col"

    def __init__(self, window: Window):
        self.window = window

    def forward(self, x):
        xp = get_array_module(x)
        self.input_shape = x.shape
        n, c, height, width = x.shape
        (kh, kw), (sh, sw), _, (dh, dw) = self.window
        oh, ow = self.window.output_size(height, width)
        x = self.window.pad(x)
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
        (kh, kw) = self.window.kernel
        output_size = self.window.output_size(height, width)
        # (kh * kw, n, c, oh, ow): each offset's block contiguous, so the adds below run fast
        cols = xp.ascontiguousarray(cols.reshape(n, c, kh * kw, *output_size).transpose(2, 0, 1, 3, 4))
        image = self.window.padded_zeros(self.image_shape, cols)
        for k, part in enumerate(self.window.offsets(output_size)):  # kh * kw offsets, not positions
            image[part] += cols[k]
        return self.window.crop(image, self.image_shape)

    def backward(self, grad):
        return im2col(grad, self.window)


def im2col(x: Tensor, window: Window) -> Tensor:
    """(N, C, H, W) -> (N, C*kh*kw, OH*OW): every window of x (zero-padded) as a column."""
    if x.ndim != 4:
        raise ValueError(f"im2col: needs an (N, C, H, W) tensor, got shape {x.shape}")
    oh, ow = window.output_size(*x.shape[2:])
    if oh < 1 or ow < 1:
        raise ValueError(
            f"im2col: a {window.kernel} window (dilation {window.dilation}, padding {window.padding}) "
            f"does not fit in an image of size {x.shape[2:]}"
        )
    return Im2col(window)(x)


def col2im(cols: Tensor, image_shape, window: Window) -> Tensor:
    """The gradient of im2col: columns added back into an image of `image_shape`."""
    return Col2im(tuple(image_shape), window)(cols)
