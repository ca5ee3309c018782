"""Checkers for chapter 04, modules and MLPs: log_softmax, cross_entropy, a Linear layer and an MLP.

    from minidl.exercises.mlps import check_log_softmax
    check_log_softmax(log_softmax)   # ✓ log_softmax: ..., or what was expected, what came back, a hint

Each checker compares the learner's code with a float64 NumPy reference on several inputs
(small ones to read in a message, random ones, edge cases such as logits big enough to
overflow `exp`), then checks that gradients flow back through it.
"""

from __future__ import annotations

import numpy

from minidl import nn
from minidl.exercises.checking import Mismatch, attempt, exercise, expect, expect_close, to_numpy
from minidl.tensor import Tensor

__all__ = ["check_cross_entropy", "check_linear", "check_log_softmax", "check_mlp"]

STABLE = ("exp(x) overflows float32 to inf once x > 88, so log(sum(exp(x))) is inf (and exp(x) / sum is "
          "inf / inf = nan). Subtract each row's largest logit first: with m = x.max(dim=-1, keepdim=True).values, "
          "log_softmax(x) = (x - m) - log(sum(exp(x - m))), and every exp(x - m) is at most 1.")
NO_LOG_OF_SOFTMAX = ("Do not take the log of a softmax: exp(-2000) underflows to 0 and log(0) = -inf. "
                     "Compute (x - m) - log(sum(exp(x - m))) directly: the largest term of the sum is exp(0) = 1, "
                     "so the log never sees 0.")
ROW_MAX = ("Subtract each row's own maximum (x.max(dim=-1, keepdim=True).values), not the maximum of the whole "
           "tensor: a row whose logits are all far below the global maximum underflows to exp(...) = 0.")
KEEPDIM = ("x.max(dim=-1) returns (values, indices), as in PyTorch: take .values. Reduce with keepdim=True "
           "(shape (N, 1)), so the result broadcasts against every row of x (shape (N, C)); without it, "
           "a square input broadcasts along the wrong axis.")
USE_MINIDL = ("Build the result from minidl operations on the Tensor (x.exp(), .sum(), .log(), .max(...)), "
              "not NumPy: only minidl records the graph that backward follows.")


def _softmax(array: numpy.ndarray) -> numpy.ndarray:
    shifted = numpy.exp(array - array.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _log_softmax(array: numpy.ndarray, axis: int = -1) -> numpy.ndarray:
    shifted = array - array.max(axis=axis, keepdims=True)
    return shifted - numpy.log(numpy.exp(shifted).sum(axis=axis, keepdims=True))


def _close(got: numpy.ndarray, expected: numpy.ndarray, tolerance: float = 1e-4) -> bool:
    return got.shape == expected.shape and numpy.allclose(got, expected, rtol=tolerance, atol=tolerance)


def _run(function, *args, case: str):
    """The learner's result; overflow in a wrong answer shows in the feedback, not as a warning."""
    with numpy.errstate(all="ignore"):
        return attempt(function, *args, case=case)


def _tensor(array, requires_grad: bool = False, dtype=numpy.float32) -> Tensor:
    return Tensor(numpy.asarray(array, dtype=dtype), requires_grad=requires_grad)


def _name(cls) -> str:
    """The learner's class as they named it, for the cases in messages."""
    return getattr(cls, "__name__", "your class")


def _expect_tensor(value, case: str) -> None:
    expect(isinstance(value, Tensor), case, "a minidl Tensor", type(value).__name__, USE_MINIDL)


def _backward(output, case: str, grad_output: numpy.ndarray | None = None, hint: str = USE_MINIDL) -> None:
    """output.backward(grad_output), after checking that `output` is connected to the graph at all."""
    _expect_tensor(output, case)
    expect(output.requires_grad, case, "an output connected to the graph (requires_grad=True)",
           "an output with requires_grad=False, cut off from its inputs", hint)
    seed = None if grad_output is None else _tensor(grad_output)
    _run(output.backward, seed, case=case)


# --- log_softmax --------------------------------------------------------------------------


def _log_softmax_result(log_softmax, logits: numpy.ndarray, case: str) -> numpy.ndarray:
    try:
        got = _run(log_softmax, _tensor(logits), case=case)
    except Mismatch as crash:
        if "broadcast" in str(crash):
            raise Mismatch(str(crash), KEEPDIM) from None
        if "out of range" in str(crash):
            raise Mismatch(str(crash), "Normalize along the last dimension, dim=-1: it works for 1-D logits "
                                       "(one sample) as well as for a batch (N, C).") from None
        raise
    _expect_tensor(got, case)
    return to_numpy(got).astype(numpy.float64)


def _diagnose_log_softmax(got: numpy.ndarray, logits: numpy.ndarray, case: str) -> None:
    """A specific hint for the wrong answers that are easy to recognize."""
    expected = _log_softmax(logits)
    if _close(got, expected):
        return
    if _close(got, _softmax(logits)):
        hint = "That is softmax, probabilities that sum to 1. log_softmax is its log: (x - m) - log(sum(exp(x - m)))."
    elif logits.ndim == 2 and _close(got, _log_softmax(logits, axis=0)):
        hint = "Each row is one sample: normalize along the last dimension (dim=-1), not down the columns (dim=0)."
    elif logits.ndim == 2 and logits.shape[0] == logits.shape[1]:
        hint = KEEPDIM
    else:
        hint = None
    expect_close(got, expected, case, rtol=1e-4, atol=1e-4, hint=hint)


@exercise("log_softmax", hint="log_softmax(x) = (x - m) - log(sum(exp(x - m))) along the last dimension, with "
          "m = x.max(dim=-1, keepdim=True).values: the same value as x - log(sum(exp(x))), without overflow.")
def check_log_softmax(log_softmax):
    rng = numpy.random.default_rng(4)
    ordinary = [
        ("log_softmax(x) for x = [[1, 2, 3], [0, 0, 0]]", numpy.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])),
        ("log_softmax(x) for a random x of shape (5, 10)", rng.normal(0, 3, (5, 10))),
        ("log_softmax(x) for a square x of shape (4, 4)", rng.normal(0, 2, (4, 4))),
        ("log_softmax(x) for a 1-D x of shape (6,), one sample", rng.normal(0, 2, 6)),
    ]
    for case, logits in ordinary:
        logits = logits.astype(numpy.float32)
        _diagnose_log_softmax(_log_softmax_result(log_softmax, logits, case), logits.astype(numpy.float64), case)

    huge = [
        ("log_softmax(x) for x = [[1000, 1001, 1002]]", [[1000.0, 1001.0, 1002.0]], STABLE),
        ("log_softmax(x) for x = [[-1000, 0, 1000]]", [[-1000.0, 0.0, 1000.0]], NO_LOG_OF_SOFTMAX),
        ("log_softmax(x) for x = [[0, 1, 2], [1000, 1001, 1002]]", [[0.0, 1.0, 2.0], [1000.0, 1001.0, 1002.0]],
         ROW_MAX),
    ]
    for case, logits, hint in huge:
        logits = numpy.array(logits, dtype=numpy.float32)
        got = _log_softmax_result(log_softmax, logits, case)
        expect_close(got, _log_softmax(logits.astype(numpy.float64)), case, rtol=1e-4, atol=1e-3, hint=hint)

    case = "log_softmax(x).backward(g) for x and g of shape (3, 4)"
    logits, grad_output = rng.normal(0, 2, (3, 4)), rng.normal(0, 1, (3, 4))
    x = _tensor(logits, requires_grad=True)
    _backward(_run(log_softmax, x, case=case), case, grad_output)
    expect(x.grad is not None, case, "a gradient in x.grad", "None: no gradient reached x", USE_MINIDL)
    softmax = _softmax(logits.astype(numpy.float32).astype(numpy.float64))
    expect_close(x.grad, grad_output - softmax * grad_output.sum(axis=-1, keepdims=True), f"x.grad after {case}",
                 rtol=1e-4, atol=1e-4, hint="The gradient of log_softmax is g - softmax(x) * sum(g) along each row; "
                 "write the forward with minidl ops only and backward gets it right by itself.")
    return "right on 7 inputs, logits of +-1000 included, and its gradient flows back to x."


# --- cross_entropy ------------------------------------------------------------------------


def _cross_entropy_diagnosis(value: numpy.ndarray, logits: numpy.ndarray, labels: numpy.ndarray) -> str | None:
    """Name the mistake when the learner's loss is a recognizable wrong variant of the right one."""
    rows = numpy.arange(len(labels))
    log_probs = _log_softmax(logits)
    per_sample = -log_probs[rows, labels]
    expected = per_sample.mean()
    variants = [
        (per_sample, "That is one loss per sample: average them into one number with .mean()."),
        (per_sample.sum(), "That is the sum over the batch: take the mean, so the loss (and the step size it "
                           "gives) does not grow with the batch size."),
        (-expected, "The sign is flipped: the loss is MINUS the log-probability of the right class "
                    "(log-probabilities are <= 0, the loss is >= 0)."),
        (-log_probs[:, labels].mean(), "log_probs[:, labels] picks every label's column for every row (an N x N "
                                       "table). Pair row i with labels[i]: log_probs[minidl.arange(N), labels]."),
        (-_softmax(logits)[rows, labels].mean(), "Those are probabilities, not log-probabilities: take the "
                                                 "entries of F.log_softmax(logits, dim=-1)."),
        (-logits[rows, labels].mean(), "Those are the raw logits: turn them into log-probabilities with "
                                       "F.log_softmax(logits, dim=-1) first."),
    ]
    for wrong, hint in variants:
        if _close(value, numpy.asarray(wrong)) and not _close(value, numpy.asarray(expected)):
            return hint
    return None


@exercise("cross_entropy", hint="cross_entropy = mean over the batch of -log_softmax(logits)[i, labels[i]]: "
          "log_probs = F.log_softmax(logits, dim=-1), then -log_probs[minidl.arange(N), labels].mean().")
def check_cross_entropy(cross_entropy):
    rng = numpy.random.default_rng(5)
    cases = [
        ("cross_entropy(logits=[[2, 1, 0]], labels=[0])", numpy.array([[2.0, 1.0, 0.0]]), numpy.array([0])),
        ("cross_entropy(logits=[[2, 1, 0], [0, 3, 0]], labels=[2, 1])",
         numpy.array([[2.0, 1.0, 0.0], [0.0, 3.0, 0.0]]), numpy.array([2, 1])),
        ("cross_entropy(logits, labels) for random logits of shape (8, 10)", rng.normal(0, 2, (8, 10)),
         rng.integers(0, 10, 8)),
        ("cross_entropy(logits, labels) for logits = [[1000, 0, -1000], [0, 1000, 0]], labels = [1, 1]",
         numpy.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]]), numpy.array([1, 1])),
    ]
    for case, logits, labels in cases:
        logits = logits.astype(numpy.float32).astype(numpy.float64)
        got = _run(cross_entropy, _tensor(logits), Tensor(labels.astype(numpy.int64)), case=case)
        _expect_tensor(got, case)
        value = to_numpy(got).astype(numpy.float64)
        expected = numpy.asarray(-_log_softmax(logits)[numpy.arange(len(labels)), labels].mean())
        hint = _cross_entropy_diagnosis(value, logits, labels)
        if not numpy.isfinite(value).all():
            hint = ("Use F.log_softmax, which subtracts each row's maximum first, rather than the log of "
                    "exp(x) / sum(exp(x)): exp(1000) overflows to inf.")
        expect_close(value, expected, case, rtol=1e-4, atol=1e-4, hint=hint)

    case = "cross_entropy(logits, labels).backward() for logits of shape (4, 3)"
    logits, labels = rng.normal(0, 2, (4, 3)), numpy.array([0, 2, 1, 1])
    x = _tensor(logits, requires_grad=True)
    _backward(_run(cross_entropy, x, Tensor(labels), case=case), case)
    expect(x.grad is not None, case, "a gradient in logits.grad", "None: no gradient reached the logits", USE_MINIDL)
    one_hot = numpy.eye(3)[labels]
    expect_close(x.grad, (_softmax(logits.astype(numpy.float32).astype(numpy.float64)) - one_hot) / 4,
                 f"logits.grad after {case}", rtol=1e-4, atol=1e-5,
                 hint="The gradient of the mean cross-entropy is (softmax(logits) - one_hot(labels)) / N.")
    return "right on 4 batches, logits of +-1000 included, and its gradient is (softmax - one_hot) / N."


# --- Linear -------------------------------------------------------------------------------

PARAMETERS_IN_FORWARD = ("forward must compute with self.weight and self.bias themselves, through minidl ops "
                         "(x @ self.weight.T + self.bias), not NumPy: that is how gradients reach them.")
REGISTER = ("Call super().__init__() first, then assign nn.Parameter(...) objects to self.weight and self.bias: "
            "assigning a Parameter is what registers it, a plain Tensor attribute stays invisible to "
            "parameters(), state_dict() and so to every optimizer.")


def _layer(Linear, in_features: int, out_features: int):
    case = f"{_name(Linear)}({in_features}, {out_features})"
    layer = _run(Linear, in_features, out_features, case=case)
    expect(isinstance(layer, nn.Module), case, "an nn.Module", type(layer).__name__,
           f"Write `class {_name(Linear)}(nn.Module):`, so that it gets parameters(), state_dict(), train() ...")
    names = [name for name, _ in layer.named_parameters()]
    hint = REGISTER
    if len(names) == 2:
        hint = "Name them as nn.Linear does, weight and bias, so state_dict() keys match: self.weight, self.bias."
    expect(sorted(names) == ["bias", "weight"], f"[name for name, _ in {case}.named_parameters()]",
           "['weight', 'bias']", str(names), hint)
    return layer


@exercise("Linear", hint="In __init__: super().__init__(); bound = 1 / sqrt(in_features); self.weight = "
          "nn.Parameter(minidl.rand(out_features, in_features) * 2 * bound - bound), self.bias likewise with "
          "shape (out_features,). forward(x) returns x @ self.weight.T + self.bias.")
def check_linear(Linear):
    layer = _layer(Linear, 5, 3)
    weight, bias = layer.weight, layer.bias
    small, big_layer = f"{_name(Linear)}(5, 3)", f"{_name(Linear)}(400, 50)"
    transposed = ("nn.Linear stores the weight as (out_features, in_features): one row per output unit, so that "
                  "forward computes x @ weight.T.") if tuple(weight.shape) == (5, 3) else None
    expect(tuple(weight.shape) == (3, 5), f"{small}.weight.shape", "(3, 5)", str(tuple(weight.shape)), transposed)
    expect(tuple(bias.shape) == (3,), f"{small}.bias.shape", "(3,)", str(tuple(bias.shape)),
           "One bias per output unit: shape (out_features,).")

    rng = numpy.random.default_rng(6)
    for shape in [(4, 5), (1, 5), (2, 4, 5)]:
        case = f"{small}(x) for x of shape {shape}"
        x = rng.normal(0, 1, shape)
        got = _run(layer, _tensor(x), case=case)
        _expect_tensor(got, case)
        w, b = to_numpy(weight).astype(numpy.float64), to_numpy(bias).astype(numpy.float64)
        expected = x.astype(numpy.float32) @ w.T + b
        got = to_numpy(got).astype(numpy.float64)
        hint = "Add the bias: x @ self.weight.T + self.bias." if _close(got, expected - b) else None
        if len(shape) == 3:
            hint = hint or ("A layer acts on the last dimension: x @ self.weight.T + self.bias works for any "
                            "leading dimensions.")
        expect_close(got, expected, case, rtol=1e-4, atol=1e-5, hint=hint)

    case = f"{small}(x).backward(g) for x of shape (4, 5)"
    x, g = rng.normal(0, 1, (4, 5)), rng.normal(0, 1, (4, 3))
    _backward(_run(layer, _tensor(x), case=case), case, g, hint=PARAMETERS_IN_FORWARD)
    for name, parameter, expected in [("weight", weight, g.T @ x), ("bias", bias, g.sum(axis=0))]:
        expect(parameter.grad is not None, f"{name}.grad after {case}", "a gradient", "None", PARAMETERS_IN_FORWARD)
        expect_close(parameter.grad, expected, f"{name}.grad after {case}", rtol=1e-4, atol=1e-5)

    big = _layer(Linear, 400, 50)
    bound = 1 / numpy.sqrt(400)
    for name in ("weight", "bias"):
        values = to_numpy(getattr(big, name)).astype(numpy.float64)
        case = f"{big_layer}.{name} at initialization"
        expect(numpy.abs(values).max() <= bound * (1 + 1e-5), case, f"values in [-{bound:.3f}, {bound:.3f}]",
               f"values from {values.min():.3f} to {values.max():.3f}",
               "Uniform in [-b, b] with b = 1 / sqrt(in_features): minidl.rand(...) * 2 * b - b "
               "(or nn.init.uniform_(tensor, -b, b)); randn's values are unbounded.")
    weights = to_numpy(big.weight).astype(numpy.float64)
    expect(weights.std() > 0, f"{big_layer}.weight at initialization", "different random values",
           f"every weight equal to {weights.flat[0]:.3g}",
           "Equal weights make every unit compute the same thing and get the same gradient, so they stay equal "
           "for ever: start from random values.")
    expected_std = bound / numpy.sqrt(3)
    expect(abs(weights.mean()) < 0.1 * bound and 0.85 < weights.std() / expected_std < 1.15,
           f"{big_layer}.weight at initialization",
           f"uniform in [-b, b]: mean about 0, standard deviation b / sqrt(3) = {expected_std:.4f}",
           f"mean {weights.mean():.4f}, standard deviation {weights.std():.4f}",
           "minidl.rand gives [0, 1): scale and shift it, rand(...) * 2 * b - b, so the values are centred on 0.")
    return "registers weight (3, 5) and bias (3,), computes x @ W.T + b for 2-D and 3-D x, " \
           "passes gradients to both, and starts uniform in +-1/sqrt(in_features)."


# --- MLP ----------------------------------------------------------------------------------


def _linear_layers(model) -> list:
    return [module for module in model.modules() if isinstance(module, nn.Linear)]


def _hides_modules_in_a_list(model) -> bool:
    return any(isinstance(value, (list, tuple)) and any(isinstance(item, nn.Module) for item in value)
               for value in vars(model).values())


def _mlp_reference(layers: list, x: numpy.ndarray, relu_between: bool = True, relu_last: bool = False):
    for index, layer in enumerate(layers):
        x = x @ to_numpy(layer.weight).astype(numpy.float64).T + to_numpy(layer.bias).astype(numpy.float64)
        last = index == len(layers) - 1
        if (relu_last if last else relu_between):
            x = numpy.maximum(x, 0)
    return x


@exercise("MLP", hint="In __init__: super().__init__(), then one nn.Linear(sizes[i], sizes[i + 1]) per pair of "
          "neighbouring sizes, with nn.ReLU() between them but not after the last, held in an nn.Sequential "
          "(nn.Sequential(*layers)). forward(x) returns self.layers(x).")
def check_mlp(MLP):
    rng = numpy.random.default_rng(7)
    for sizes in ([6, 5, 4, 3], [4, 2]):
        case = f"{_name(MLP)}({sizes})"
        model = _run(MLP, sizes, case=case)
        expect(isinstance(model, nn.Module), case, "an nn.Module", type(model).__name__,
               f"Write `class {_name(MLP)}(nn.Module):`.")
        layers = _linear_layers(model)
        if not layers and _hides_modules_in_a_list(model):
            expect(False, f"the nn.Linear layers registered in {case}", f"{len(sizes) - 1} layers", "none",
                   "Layers kept in a plain Python list are invisible to the Module (and so to parameters() and the "
                   "optimizer): hold them in an nn.Sequential or an nn.ModuleList.")
        shapes = [tuple(layer.weight.shape) for layer in layers]
        expected_shapes = [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        expect(shapes == expected_shapes, f"the weight shapes of the nn.Linear layers in {case}",
               str(expected_shapes), str(shapes),
               "One nn.Linear(sizes[i], sizes[i + 1]) for each pair of neighbouring sizes: "
               "for i in range(len(sizes) - 1).")
        count = sum(p.numel() for p in model.parameters())
        expected_count = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
        expect(count == expected_count, f"the number of parameters of {case}", str(expected_count), str(count),
               "The model should hold the nn.Linear layers' weights and biases and nothing else.")

        case = f"{_name(MLP)}({sizes})(x) for x of shape (7, {sizes[0]})"
        x = rng.normal(0, 1, (7, sizes[0]))
        got = _run(model, _tensor(x), case=case)
        _expect_tensor(got, case)
        got = to_numpy(got).astype(numpy.float64)
        expected = _mlp_reference(layers, x.astype(numpy.float32))
        hint = None
        if _close(got, _mlp_reference(layers, x.astype(numpy.float32), relu_last=True)):
            hint = ("No activation after the last layer: the model returns logits, any real number, and "
                    "cross_entropy turns them into probabilities.")
        elif _close(got, _mlp_reference(layers, x.astype(numpy.float32), relu_between=False)):
            hint = ("Put an nn.ReLU() between the layers: without it, the stack of linear layers is one linear "
                    "map in disguise.")
        expect_close(got, expected, case, rtol=1e-4, atol=1e-5, hint=hint)

    case = f"F.cross_entropy({_name(MLP)}([6, 5, 4, 3])(x), labels).backward()"
    model = _run(MLP, [6, 5, 4, 3], case=case)
    x, labels = _tensor(rng.normal(0, 1, (16, 6))), Tensor(rng.integers(0, 3, 16))
    _backward(_run(lambda: nn.functional.cross_entropy(model(x), labels), case=case), case,
              hint="forward must run the input through the registered layers, with minidl ops.")
    missing = [name for name, parameter in model.named_parameters() if parameter.grad is None]
    expect(not missing, case, "a gradient in every parameter", f"none in {missing}",
           "forward must run the input through every layer, with minidl ops.")
    return "the right layers, ReLU between them and not after the last, and gradients reach every parameter."
