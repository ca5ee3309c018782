"""minidl: a small deep-learning framework to read, run and learn from.

    import minidl
    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad  # tensor([2., 4., 6.])
"""

__version__ = "0.1.0"

# The Tensor class first: every other module builds on it (tensor.py explains the order).
from minidl.tensor import Tensor

# isort: split
from minidl import cuda, data, datasets, graph, nn, optim, utils
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
from minidl.nn.summary import summary
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
from minidl.serialization import load, save
from minidl.training import History, evaluate, fit

clamp = clip
view = reshape

__all__ = [
    "abs", "add", "arange", "argmax", "argmin", "BackwardStep", "bool_", "broadcast_to", "cat", "clamp", "clip",
    "clone", "concat", "cuda", "data", "datasets", "div", "enable_grad", "eq", "erf", "evaluate", "exp",
    "expand", "eye", "fit", "flatten", "float16", "float32", "float64", "full", "full_like", "Function", "ge",
    "Generator", "grad", "gradcheck", "GradcheckError", "graph", "gt", "History", "int16", "int32", "int64", "int8",
    "is_grad_enabled", "le", "load", "log", "logical_and", "logical_not", "logical_or", "long", "lt",
    "manual_seed", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "ne", "neg", "nn", "no_grad", "optim",
    "ones", "ones_like", "pad", "permute", "pow", "rand", "rand_like", "randint", "randn", "randn_like",
    "randperm", "relu", "reshape", "save", "set_grad_enabled", "sigmoid", "sign", "split", "sqrt", "squeeze",
    "stack", "sub", "sum", "summary", "tanh", "Tensor", "tensor", "transpose", "uint8", "unsqueeze", "utils",
    "var", "view", "walk", "where", "zeros", "zeros_like",
]
