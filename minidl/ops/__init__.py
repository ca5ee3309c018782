"""Every op minidl differentiates, grouped by kind: one file each, forward and backward side by side."""

from minidl.ops.arithmetic import add, div, matmul, mul, neg, pow, sub
from minidl.ops.comparison import eq, ge, gt, le, logical_and, logical_not, logical_or, lt, ne, sign
from minidl.ops.copying import astype, clone, to_device
from minidl.ops.elementwise import abs, clip, erf, exp, log, maximum, minimum, relu, sigmoid, sqrt, tanh, where
from minidl.ops.indexing import getitem, index_add, raw_index
from minidl.ops.reductions import argmax, argmin, max, mean, min, sum, var
from minidl.ops.shape import (
    broadcast_to,
    cat,
    concat,
    expand,
    flatten,
    matrix_transpose,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    sum_to,
    transpose,
    unsqueeze,
)
from minidl.ops.windows import Window, col2im, im2col, window

__all__ = [
    "Window", "abs", "add", "argmax", "argmin", "astype", "broadcast_to", "cat", "clip", "clone", "col2im", "concat",
    "div", "eq", "erf", "exp", "expand", "flatten", "ge", "getitem", "gt", "im2col", "index_add", "le", "log",
    "logical_and", "logical_not", "logical_or", "lt", "matmul", "matrix_transpose", "max", "maximum", "mean", "min",
    "minimum", "mul", "ne", "neg", "pad", "permute", "pow", "raw_index", "relu", "reshape",
    "sigmoid", "sign", "split", "sqrt", "squeeze", "stack", "sub", "sum", "sum_to", "tanh",
    "to_device", "transpose", "unsqueeze", "var", "where", "window",
]
