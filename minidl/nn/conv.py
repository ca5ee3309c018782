"""Conv2d: a bank of learned filters slid over an image."""

from __future__ import annotations

import math

from minidl.creation import zeros
from minidl.nn import init
from minidl.nn.functional.convolution import conv2d
from minidl.nn.module import Module, Parameter
from minidl.ops.windows import window
from minidl.tensor import Tensor

__all__ = ["Conv2d"]


class Conv2d(Module):
    """(N, in_channels, H, W) -> (N, out_channels, OH, OW); weight (out, in, kh, kw), as PyTorch.

    Initialized as PyTorch does: uniform in +-1/sqrt(in_channels * kh * kw).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 bias: bool = True, dtype=None, device=None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = window(kernel_size, stride, padding, dilation)
        self.weight = Parameter(zeros(out_channels, in_channels, *self.kernel_size, dtype=dtype, device=device))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if bias:
            self.bias = Parameter(zeros(out_channels, dtype=dtype, device=device))
            bound = 1 / math.sqrt(in_channels * math.prod(self.kernel_size))
            init.uniform_(self.bias, -bound, bound)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + ("" if self.bias is not None else ", bias=False")
