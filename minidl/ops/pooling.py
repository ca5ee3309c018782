"""Max pooling: find each window's winner, then place gradients back on it (and pick again).

The winner of every window is found with one element-wise comparison per kernel offset
(kh * kw of them) over strided slices of the image, never with a reduction over a short
window axis, which NumPy does slowly. As in PyTorch, a tie goes to the first maximum.
"""

from __future__ import annotations

from minidl.autograd import Function
from minidl.backend import get_array_module
from minidl.ops.windows import Window
from minidl.tensor import Tensor

__all__ = ["max_pool"]


class MaxPool2d(Function):
    """The max of each window; `winner` keeps the offset number k where it sits."""

    label = "max_pool2d"

    def __init__(self, window: Window):
        self.window = window

    def forward(self, x):
        xp = get_array_module(x)
        self.input_shape = x.shape
        padded = self.window.pad(x, -xp.inf)
        (kh, kw) = self.window.kernel
        index_type = xp.int8 if kh * kw <= 127 else xp.int32  # small: this array is read kh * kw times
        best = winner = None
        for k, part in enumerate(self.window.offsets(self.window.output_size(*x.shape[2:]))):
            candidate = padded[part]
            if best is None:
                best, winner = candidate.copy(), xp.zeros(candidate.shape, dtype=index_type)
                continue
            better = candidate > best  # strictly: the first maximum keeps a tie
            xp.maximum(best, candidate, out=best)
            winner[better] = k
        self.winner = winner
        return best

    def backward(self, grad):
        return PlaceAtWinners(self.winner, self.window, self.input_shape)(grad)


class PickWinners(Function):
    """Each window's value at a given winning offset: the gradient of PlaceAtWinners."""

    label = "pick_winners"

    def __init__(self, winner, window: Window):
        self.winner, self.window = winner, window

    def forward(self, x):
        self.input_shape = x.shape
        xp = get_array_module(x)
        padded = self.window.pad(x)
        out = xp.zeros(self.winner.shape, dtype=x.dtype)
        for k, part in enumerate(self.window.offsets(self.winner.shape[2:])):
            out += padded[part] * (self.winner == k)
        return out

    def backward(self, grad):
        return PlaceAtWinners(self.winner, self.window, self.input_shape)(grad)


class PlaceAtWinners(Function):
    """An image of zeros with each value added at its window's winning offset (max pooling's gradient)."""

    label = "max_unpool2d"

    def __init__(self, winner, window: Window, image_shape):
        self.winner, self.window, self.image_shape = winner, window, image_shape

    def forward(self, values):
        xp = get_array_module(values)
        image = self.window.padded_zeros(self.image_shape, values)
        (kh, kw), (sh, sw), _, (dh, dw) = self.window
        overlapping = sh < (kh - 1) * dh + 1 or sw < (kw - 1) * dw + 1
        for k, part in enumerate(self.window.offsets(self.winner.shape[2:])):
            if overlapping:  # a position in two windows gets both gradients
                image[part] += values * (self.winner == k)
            else:  # each position is in one window: write straight into the image (4x faster)
                xp.multiply(values, self.winner == k, out=image[part])
        return self.window.crop(image, self.image_shape)

    def backward(self, grad):
        return PickWinners(self.winner, self.window)(grad)


def max_pool(x: Tensor, window: Window) -> Tensor:
    """The largest value of each window of an (N, C, H, W) tensor; its gradient goes to that value."""
    return MaxPool2d(window)(x)
