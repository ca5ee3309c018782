"""conv2d, max_pool2d and avg_pool2d, each built on im2col: the windows of the image as columns."""

from __future__ import annotations

from minidl import ops
from minidl.ops.pooling import max_pool
from minidl.ops.windows import im2col, window
from minidl.tensor import Tensor

__all__ = ["avg_pool2d", "conv2d", "max_pool2d"]


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) of (N, C, H, W) with weight (O, C, kh, kw).

    out[n, o] = sum over c, i, j of weight[o, c, i, j] * x[n, c, y*s + i, x*s + j] (+ bias[o]):
    with the windows as columns, that is one matrix product per image.
    """
    if groups != 1:
        raise NotImplementedError("conv2d: groups other than 1 are not supported")
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(
            f"conv2d: needs (N, C, H, W) input and (O, C, kh, kw) weight, got {x.shape} and {weight.shape}"
        )
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"conv2d: input has {x.shape[1]} channels (shape {x.shape}) but the weight expects "
            f"{weight.shape[1]} (weight shape {weight.shape})"
        )
    out_channels = weight.shape[0]
    where = window(weight.shape[2:], stride, padding, dilation)
    columns = im2col(x, where)  # (N, C*kh*kw, OH*OW)
    out = weight.reshape(out_channels, -1) @ columns  # (N, O, OH*OW)
    out = out.reshape(x.shape[0], out_channels, *where.output_size(*x.shape[2:]))
    return out + bias.reshape(1, out_channels, 1, 1) if bias is not None else out


def _pool_window(x: Tensor, kernel_size, stride, padding, op: str):
    if x.ndim != 4:
        raise ValueError(f"{op}: needs (N, C, H, W) input, got shape {x.shape}")
    where = window(kernel_size, kernel_size if stride is None else stride, padding)
    if any(2 * p > k for p, k in zip(where.padding, where.kernel)):
        raise ValueError(f"{op}: padding {where.padding} must be at most half the kernel {where.kernel}")
    if min(where.output_size(*x.shape[2:])) < 1:
        raise ValueError(f"{op}: a {where.kernel} window does not fit in an image of size {x.shape[2:]}")
    return where


def max_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """The largest value of each window (stride defaults to the kernel size)."""
    return max_pool(x, _pool_window(x, kernel_size, stride, padding, "max_pool2d"))


def avg_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """The mean of each window, zero padding included (stride defaults to the kernel size).

    The sum of kh * kw strided slices, one per kernel offset: plain getitem and add ops.
    """
    where = _pool_window(x, kernel_size, stride, padding, "avg_pool2d")
    (kh, kw), _, (ph, pw), _ = where
    padded = ops.pad(x, (pw, pw, ph, ph)) if ph or pw else x  # ops.pad: differentiable, on Tensors
    total = 0
    for part in where.offsets(where.output_size(*x.shape[2:])):
        total = total + padded[part]
    return total / (kh * kw)
