"""Checkers for chapter 03, autodiff and backprop: the backward of a matrix product, the gradients
of linear regression's mean squared error, a numerical gradient by central differences, and a
softplus op written as a minidl Function.

    from minidl.exercises.autodiff import check_matmul_backward
    check_matmul_backward(matmul_backward)   # ✓ matmul_backward: all cases pass.

Each checker runs the learner's code on several shapes and compares it with minidl's own
backward or with finite differences; where a wrong answer matches a common mistake (a missing
transpose, a forgotten factor, a one-sided difference), the hint names that mistake.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy

import minidl
from minidl.exercises.checking import Mismatch, attempt, exercise, expect, expect_close, to_numpy

__all__ = ["check_matmul_backward", "check_mse_gradients", "check_numerical_gradient", "check_softplus"]

# Known wrong answers of a case, each with the hint that names the mistake (None: no such answer here).
Mistakes = list[tuple[numpy.ndarray | None, str]]


# --- helpers shared by the checkers -----------------------------------------------------------


def _numbers(value, case: str, expected: str) -> numpy.ndarray:
    """The learner's result as a float64 array, or a Mismatch saying what came back instead."""
    try:
        return to_numpy(value).astype(numpy.float64)
    except (TypeError, ValueError):
        raise Mismatch(f"{case}\n  expected: {expected}\n  got:      {value!r:.80}") from None


def _pair(result, case: str, names: str) -> tuple:
    """The two results of a function that must return a pair."""
    expect(isinstance(result, (tuple, list)) and len(result) == 2, case, f"a pair {names}",
           f"{type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""),
           hint=f"return both gradients, in this order: `return {names[1:-1]}`")
    return tuple(result)


def _same(got: numpy.ndarray, wrong: numpy.ndarray | None) -> bool:
    """Whether `got` is the wrong answer `wrong`."""
    return wrong is not None and got.shape == wrong.shape and numpy.allclose(got, wrong, rtol=1e-6, atol=1e-9)


def _product(a: numpy.ndarray, b: numpy.ndarray) -> numpy.ndarray | None:
    """a @ b, or None where the shapes do not fit (a wrong answer that cannot occur in this case)."""
    return a @ b if a.shape[-1] == b.shape[0] else None


def _compare(got, expected: numpy.ndarray, case: str, mistakes: Mistakes = (), rtol: float = 1e-6,
             atol: float = 1e-9, hint: str | None = None) -> None:
    """expect_close, with the hint of the first known mistake that `got` matches."""
    got = _numbers(got, case, f"an array of shape {expected.shape}")
    if got.shape != expected.shape or not numpy.allclose(got, expected, rtol=rtol, atol=atol):
        hint = next((mistake_hint for wrong, mistake_hint in mistakes if _same(got, wrong)), hint)
    expect_close(got, expected, case, rtol=rtol, atol=atol, hint=hint)


def _engine_grads(loss_of: Callable[..., minidl.Tensor], arrays: list[numpy.ndarray], constants=(),
                  grad_output: numpy.ndarray | None = None) -> list[numpy.ndarray]:
    """The gradients minidl's own backward gives for `loss_of(*arrays, *constants)` with respect
    to `arrays`, in float64."""
    tensors = [minidl.tensor(a.astype(numpy.float64), requires_grad=True) for a in arrays]
    loss = loss_of(*tensors, *[minidl.tensor(c) for c in constants])
    seed = None if grad_output is None else minidl.tensor(grad_output)
    return [g.numpy() for g in minidl.grad(loss, tensors, grad_outputs=seed)]


# --- matmul's backward ------------------------------------------------------------------------


@exercise("matmul_backward", hint="Write one element: C[i, j] = sum_p a[i, p] b[p, j], so dL/da[i, p] = "
          "sum_j grad_c[i, j] b[p, j], a product of grad_c with b transposed; dL/db goes the same way. Each "
          "gradient has the shape of its input, which tells you where the transposes go.")
def check_matmul_backward(matmul_backward):
    """Cases: a square product (where a missing transpose raises no error, so it is recognized),
    a rectangular one, and the two products of a row and a column vector (an inner and an outer product)."""
    rng = numpy.random.default_rng(3)
    for a_shape, b_shape in [((3, 3), (3, 3)), ((2, 3), (3, 4)), ((1, 4), (4, 1)), ((4, 1), (1, 3))]:
        a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
        grad_c = rng.standard_normal((a_shape[0], b_shape[1]))
        expected_a, expected_b = _engine_grads(minidl.matmul, [a, b], grad_output=grad_c)
        case = f"matmul_backward(a, b, grad_c) with a: {a_shape}, b: {b_shape}, grad_c: {grad_c.shape}"
        result = attempt(matmul_backward, a.copy(), b.copy(), grad_c.copy(), case=case)
        grad_a, grad_b = _pair(result, case, "(grad_a, grad_b)")
        _compare(grad_a, expected_a, f"{case}: grad_a (the shape of a)", [
            (expected_b, "this is grad_b: return the pair in the order (grad_a, grad_b)"),
            (_product(grad_c, b), "the transpose of b is missing: grad_a = grad_c @ b.T"),
            (expected_a.T, "this is the transpose of grad_a: grad_a = grad_c @ b.T, whose shape is a's"),
            (_product(b.T, grad_c), "the factors are in the wrong order: grad_a = grad_c @ b.T"),
        ])
        _compare(grad_b, expected_b, f"{case}: grad_b (the shape of b)", [
            (expected_a, "this is grad_a: return the pair in the order (grad_a, grad_b)"),
            (_product(a, grad_c), "the transpose of a is missing: grad_b = a.T @ grad_c"),
            (expected_b.T, "this is the transpose of grad_b: grad_b = a.T @ grad_c, whose shape is b's"),
            (_product(grad_c, a.T), "the factors are in the wrong order: grad_b = a.T @ grad_c"),
        ])
    return "all 4 cases pass (square, rectangular, inner and outer products), the same as minidl's MatMul.backward."


# --- the gradients of mean squared error --------------------------------------------------------


def _mse(W, b, X, Y):
    return ((X @ W + b - Y) ** 2).mean()


@exercise("mse_gradients", hint="Go through R = X @ W + b - Y: first dL/dR (the mean is over all N*K entries), "
          "then W through the product X @ W (the rule of exercise 2), then b, which was added to every row, so "
          "its gradient is a sum over the rows.")
def check_mse_gradients(mse_gradients):
    """Cases: one output (as in the chapter), several features and outputs, a single example,
    and a perfect fit (zero gradients); compared with minidl's backward of the same loss."""
    rng = numpy.random.default_rng(4)
    for n, d, k, perfect in [(6, 2, 1, False), (5, 3, 2, False), (1, 2, 3, False), (4, 2, 2, True)]:
        X, W, b = rng.standard_normal((n, d)), rng.standard_normal((d, k)), rng.standard_normal(k)
        Y = X @ W + b if perfect else rng.standard_normal((n, k))
        expected_W, expected_b = _engine_grads(_mse, [W, b], constants=[X, Y])
        residual = X @ W + b - Y
        fit = " (a perfect fit: Y = X @ W + b)" if perfect else ""
        case = f"mse_gradients(X, W, b, Y) with N={n}, D={d}, K={k}{fit}"
        result = attempt(mse_gradients, X.copy(), W.copy(), b.copy(), Y.copy(), case=case)
        grad_W, grad_b = _pair(result, case, "(grad_W, grad_b)")
        _compare(grad_W, expected_W, f"{case}: grad_W (shape (D, K))", _mse_mistakes(X.T @ residual, n, k))
        _compare(grad_b, expected_b, f"{case}: grad_b (shape (K,))", [
            (2 / (n * k) * residual, "b was added to every row, so its gradient is summed over the "
             "N rows: grad_b = dL/dR.sum(axis=0), of shape (K,)"),
            (2 / (n * k) * residual.sum(axis=0, keepdims=True), "grad_b must have b's shape (K,), "
             "not (1, K): sum with axis=0 and no keepdims"),
            (2 / (n * k) * residual.sum(), "sum over the rows only (axis=0): b has one gradient per output"),
            *_mse_mistakes(residual.sum(axis=0), n, k),
        ])
    return "all 4 cases pass (one output, several outputs, one example, a perfect fit)."


def _mse_mistakes(unscaled: numpy.ndarray, n: int, k: int) -> Mistakes:
    """The usual slips in the scale of an MSE gradient, given the gradient without its 2 / (N K)."""
    return [
        (1 / (n * k) * unscaled, "off by a factor 2: the derivative of r ** 2 is 2 r"),
        (2 / n * unscaled, "the mean is over all N*K squared errors, so divide by N*K, not N"),
        (2 * unscaled, "the loss is a mean, not a sum: divide by the number of entries, N*K"),
        (-2 / (n * k) * unscaled, "the sign is flipped: the residual is prediction - target, "
         "R = X @ W + b - Y"),
        (1 / n * unscaled, "off by 2 and by K: dL/dR = 2 R / (N K)"),
    ]


# --- a numerical gradient ------------------------------------------------------------------------


@exercise("numerical_gradient", hint="For each element x[i]: (f(x with x[i] + eps) - f(x with x[i] - eps)) / (2 eps), "
          "put back x[i] afterwards; loop over every element whatever the shape (np.ndindex(x.shape)).")
def check_numerical_gradient(numerical_gradient):
    """Cases: a vector, a matrix, a 0-d array, and a large eps where only the central formula
    gives the exact expected value; x must come back unchanged."""
    rng = numpy.random.default_rng(5)
    cases = [
        ("f(x) = sum(x ** 2)", lambda x: float(numpy.sum(x**2)), lambda x: 2 * x, rng.standard_normal(4)),
        ("f(x) = sum(sin(x) * x)", lambda x: float(numpy.sum(numpy.sin(x) * x)),
         lambda x: numpy.cos(x) * x + numpy.sin(x), rng.standard_normal((2, 3))),
        ("f(x) = tanh(x) for a 0-d array x", lambda x: float(numpy.tanh(x)),
         lambda x: 1 - numpy.tanh(x) ** 2, numpy.array(0.3)),
    ]
    for name, f, derivative, x in cases:
        case = f"numerical_gradient(f, x) with {name}, x of shape {x.shape}"
        got = _numbers(attempt(numerical_gradient, f, x.copy(), case=case), case, f"an array of shape {x.shape}")
        expect(got.shape == x.shape, case, f"shape {x.shape}", f"shape {got.shape}", hint="compute one slope per "
               "element of x, so the result has x's shape; np.ndindex(x.shape) lists the indices of any shape")
        expected = derivative(x)
        _compare(got, expected, case, [
            (2 * expected, "divide by 2 eps, the distance between x - eps and x + eps"),
            (expected / 2, "divide by 2 eps, not by 4 eps"),
            (-expected, "the sign is flipped: f(x + eps) - f(x - eps), in this order"),
        ], rtol=1e-5, atol=1e-7)
    # With eps = 0.1 the central difference of x^3 is exactly 3x^2 + eps^2: a one-sided one is not.
    x, eps = numpy.array([1.0, 2.0, -1.5]), 0.1
    before = x.copy()
    case = "numerical_gradient(f, x, eps=0.1) with f(x) = sum(x ** 3), x = [1, 2, -1.5]"
    got = attempt(numerical_gradient, lambda v: float(numpy.sum(v**3)), x, eps=eps, case=case)
    expect(numpy.allclose(x, before, rtol=0, atol=1e-12), "x after numerical_gradient(f, x, eps=0.1)",
           f"x unchanged: {before.tolist()}", f"{numpy.round(x, 6).tolist()}",
           hint="put each element back after perturbing it (or perturb a copy of x): the caller's x must not change")
    _compare(got, 3 * x**2 + eps**2, case + " (the central difference: 3 x^2 + eps^2)", [
        (3 * x**2 + 3 * x * eps + eps**2, "this is the forward difference (f(x + eps) - f(x)) / eps: "
         "use the central one, (f(x + eps) - f(x - eps)) / (2 eps), whose error shrinks like eps^2, not eps"),
        (3 * x**2 - 3 * x * eps + eps**2, "this is the backward difference (f(x) - f(x - eps)) / eps: "
         "use the central one, (f(x + eps) - f(x - eps)) / (2 eps)"),
        (3 * x**2, "this is the exact derivative, so your function ignores its `eps` argument: use it"),
        (2 * (3 * x**2 + eps**2), "divide by 2 eps, the distance between x - eps and x + eps"),
        ((3 * x**2 + eps**2) / 2, "divide by 2 eps, not by 4 eps"),
    ], rtol=1e-9, atol=1e-9)
    return "all 4 cases pass (a vector, a matrix, a 0-d array, the central formula with eps=0.1), x left unchanged."


# --- softplus as a minidl Function ----------------------------------------------------------------


def _sigmoid(x: numpy.ndarray) -> numpy.ndarray:
    return 0.5 * (numpy.tanh(0.5 * x) + 1)


def _central_differences(Softplus, x: numpy.ndarray, weights: numpy.ndarray, eps: float = 1e-6) -> numpy.ndarray:
    """The slopes of sum(Softplus()(x) * weights) by central differences, in float64."""
    slopes = numpy.zeros_like(x)
    for index in numpy.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        values = [numpy.sum(Softplus()(minidl.tensor(v)).numpy() * weights) for v in (plus, minus)]
        slopes[index] = (values[0] - values[1]) / (2 * eps)
    return slopes


@exercise("Softplus", hint="forward: NumPy's logaddexp(a, b) computes log(e^a + e^b) without overflow. "
          "backward: d/dx log(1 + e^x) = e^x / (1 + e^x) = 1 / (1 + e^-x), a function minidl has; multiply it "
          "by grad_output, with minidl ops on Tensors.")
def check_softplus(Softplus):
    """Cases: forward against NumPy on three shapes and on large |x| in float32, backward against
    central differences of the learner's own forward, and the second derivative through backward."""
    is_function = isinstance(Softplus, type) and issubclass(Softplus, minidl.Function)
    got = f"an instance, {type(Softplus).__name__}()" if isinstance(Softplus, minidl.Function) else repr(Softplus)
    expect(is_function, "check_softplus(Softplus)", "a class derived from minidl.Function", got[:80],
           hint="pass the class itself: check_softplus(Softplus), not Softplus() or softplus(x)")
    rng = numpy.random.default_rng(6)
    inputs = [numpy.array(0.5), numpy.array([-3.0, -0.5, 0.0, 0.5, 3.0]), rng.standard_normal((2, 3)) * 2]
    for x in inputs:
        case = f"Softplus()(x).numpy() with x of shape {x.shape} (float64)"
        got = attempt(lambda v: Softplus()(minidl.tensor(v)), x, case=case)
        _compare(got, numpy.logaddexp(0, x), case, [
            (numpy.log(numpy.exp(x)), "softplus is log(1 + e^x): the 1 is missing"),
            (numpy.log1p(numpy.exp(-x)), "softplus is log(1 + e^x), with +x in the exponent"),
            (_sigmoid(x), "that is sigmoid, the derivative of softplus: forward returns log(1 + e^x)"),
        ])
    big = numpy.array([-100.0, -20.0, 0.0, 20.0, 100.0], dtype=numpy.float32)
    case = "Softplus()(x).numpy() with x = [-100, -20, 0, 20, 100] in float32"
    with numpy.errstate(over="ignore"):  # a naive exp overflows here: that is what this case shows
        got = attempt(lambda v: Softplus()(minidl.tensor(v)), big, case=case)
    _compare(got, numpy.logaddexp(0, big.astype(numpy.float64)), case, rtol=1e-5, atol=1e-6,
             hint="e^100 overflows float32 (inf), and log(1 + e^-100) loses everything to rounding: use "
             "np.logaddexp(0, x), or max(x, 0) + log1p(exp(-|x|)), which never exponentiates a large number")
    for x in inputs:
        weights = rng.standard_normal(x.shape)
        case = f"the gradient of sum(Softplus()(x) * w) with x of shape {x.shape}"
        got, _ = _learner_grad(Softplus, x, weights, case)
        numeric = _central_differences(Softplus, x, weights)
        _compare(got, numeric, case + " (expected: central differences of your forward)", [
            (_sigmoid(x), "multiply by the gradient arriving from above (grad_output): the chain rule"),
            (weights * _sigmoid(-x), "the derivative of log(1 + e^x) is e^x / (1 + e^x) = sigmoid(x), "
             "not sigmoid(-x)"),
            (weights * numpy.logaddexp(0, x), "that is grad_output * softplus(x): the derivative of "
             "softplus is sigmoid(x)"),
        ], rtol=1e-5, atol=1e-7)
    x = inputs[1]
    case = "the second derivative d2/dx2 softplus(x), x = [-3, -0.5, 0, 0.5, 3], through your backward"
    constant = ("build backward from minidl ops on Tensors (grad_output * minidl.sigmoid(x)): values taken out "
                "with .array or .numpy() are constants to the engine, so the gradient cannot be differentiated again")
    first, tensor = _learner_grad(Softplus, x, None, case, create_graph=True)
    expect(first.requires_grad, case, "a first derivative that is itself part of a graph", "a constant", constant)
    (second,) = attempt(minidl.grad, first.sum(), tensor, allow_unused=True, case=case)
    expected = _sigmoid(x) * (1 - _sigmoid(x))
    expect(second is not None, case, numpy.array2string(expected, precision=4), "no gradient (None)", constant)
    _compare(second, expected, case, rtol=1e-6, atol=1e-9)
    return "all cases pass: forward on 4 inputs (large |x| too), backward against finite differences on 3 shapes, " \
           "and the second derivative through your backward."


def _learner_grad(Softplus, x: numpy.ndarray, weights: numpy.ndarray | None, case: str,
                  create_graph: bool = False) -> tuple[minidl.Tensor, minidl.Tensor]:
    """d sum(Softplus()(x) * weights)/dx through the learner's backward, and x as the Tensor it was taken at."""
    tensor = minidl.tensor(x, requires_grad=True)

    def gradient() -> minidl.Tensor:
        y = Softplus()(tensor)
        loss = y.sum() if weights is None else (y * minidl.tensor(weights)).sum()
        return minidl.grad(loss, tensor, create_graph=create_graph)[0]

    try:
        return attempt(gradient, case=case), tensor
    except Mismatch as error:
        if "has no attribute 'array'" in str(error):  # backward returned a NumPy array or a number
            raise Mismatch(str(error), hint="backward receives Tensors and must return a Tensor: compute it with "
                           "minidl ops, e.g. grad_output * minidl.sigmoid(x), not with NumPy") from None
        raise
