"""minidl: a small deep-learning framework to read, run and learn from.

    import minidl
    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad  # tensor([2., 4., 6.])
"""

# The Tensor class first: every other module builds on it (tensor.py explains the order).
from minidl.tensor import Tensor

# isort: split
from minidl import cuda, nn
from minidl.autograd import (
    BackwardStep,
    Function,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    walk,
)
from minidl.creation import arange, eye, full, full_like, ones, ones_like, tensor, zeros, zeros_like
from minidl.dtypes import bool_, float16, float32, float64, int8, int16, int32, int64, long, uint8
from minidl.gradcheck import GradcheckError, gradcheck
from minidl.ops import (
    abs,
    add,
    argmax,
    argmin,
    broadcast_to,
    cat,
    clip,
    clone,
    concat,
    div,
    eq,
    erf,
    exp,
    expand,
    flatten,
    ge,
    gt,
    le,
    log,
    logical_and,
    logical_not,
    logical_or,
    lt,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    ne,
    neg,
    pad,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    sign,
    split,
    sqrt,
    squeeze,
    stack,
    sub,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from minidl.random import (
    Generator,
    manual_seed,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
)
from minidl.nn.summary import summary

clamp = clip
view = reshape

__all__ = [
    "BackwardStep", "nn", "summary", "Function", "Generator", "GradcheckError", "Tensor", "abs", "add", "arange",
    "argmax", "argmin", "bool_", "broadcast_to", "cat", "clamp", "clip", "clone", "concat", "cuda",
    "div", "enable_grad", "eq", "erf", "exp", "expand", "eye", "flatten", "float16", "float32", "float64",
    "full", "full_like", "ge", "grad", "gradcheck", "gt", "int16", "int32", "int64", "int8",
    "is_grad_enabled", "le", "log", "logical_and", "logical_not", "logical_or", "long", "lt",
    "manual_seed", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "ne", "neg",
    "no_grad", "ones", "ones_like", "pad", "permute", "pow", "rand", "rand_like", "randint",
    "randn", "randn_like", "randperm", "relu", "reshape", "set_grad_enabled", "sigmoid", "sign",
    "split", "sqrt", "squeeze", "stack", "sub", "sum", "tanh", "tensor", "transpose", "uint8",
    "unsqueeze", "var", "view", "walk", "where", "zeros", "zeros_like",
]
