# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Autodiff and backprop
#
# Training a model means changing its parameters so that a loss goes down, and to know *which way is
# down* we need the gradient of the loss with respect to every parameter. In chapter 2 we recorded
# computations as graphs; in this chapter we differentiate them.
#
# By the end of it you will have
#
# - worked out a gradient by hand with the chain rule, op by op, and watched minidl's engine do the
#   very same steps;
# - seen why deep learning uses *reverse* mode, and why gradients *accumulate* (and so why every
#   training loop clears them);
# - checked gradients against finite differences, and taken gradients of gradients;
# - fitted a line twice: with gradients derived by hand, then with `loss.backward()`.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minidl
from minidl.exercises.autodiff import (
    check_matmul_backward,
    check_mse_gradients,
    check_numerical_gradient,
    check_softplus,
)
from widgets import GraphView, TrainingCurves

minidl.manual_seed(0)  # minidl's random numbers (randn, ...)
rng = np.random.default_rng(0)  # NumPy's, for the arrays made here

# %% [markdown]
# ## 1. The chain rule, one op at a time
#
# Take a small function of two numbers,
#
# $$f(x, y) = \big(x\,y + \tanh x\big)^2 ,$$
#
# at $x = 0.5$, $y = -1.5$. A computer does not evaluate it in one go but as a sequence of
# primitive ops, each with a derivative we know:
#
# | op | value | local derivatives |
# | --- | --- | --- |
# | $a = x\,y$ | $-0.75$ | $\partial a/\partial x = y$, $\ \partial a/\partial y = x$ |
# | $b = \tanh x$ | $0.4621$ | $\partial b/\partial x = 1 - \tanh^2 x = 1 - b^2$ |
# | $c = a + b$ | $-0.2879$ | $\partial c/\partial a = 1$, $\ \partial c/\partial b = 1$ |
# | $f = c^2$ | $0.0829$ | $\partial f/\partial c = 2c$ |
#
# The **chain rule** glues local derivatives together: if $f$ depends on $c$ and $c$ on $a$, then
# $\partial f/\partial a = \partial f/\partial c \cdot \partial c/\partial a$. Write $\bar v$ for
# $\partial f/\partial v$, the *gradient of the output with respect to $v$* (also called the
# adjoint of $v$). Starting from $\bar f = 1$ and walking the ops **backwards**, each op turns the
# gradient arriving at its output into gradients for its inputs:
#
# $$\bar c = \bar f \cdot 2c, \qquad \bar a = \bar c \cdot 1, \qquad \bar b = \bar c \cdot 1, \qquad
# \bar y = \bar a \cdot x, \qquad \bar x = \bar a \cdot y + \bar b \cdot (1 - b^2).$$
#
# Note the last one: $x$ feeds two ops ($a$ and $b$), so it receives two contributions, and they
# **add** up. That is the multivariable chain rule: a small change in $x$ moves $f$ through both
# paths at once.
#
# Here are both passes in plain Python, numbers only:

# %%
x, y = 0.5, -1.5

# forward: every intermediate value, in the order the expression computes them
a = x * y
b = math.tanh(x)
c = a + b
f = c**2

# backward: df/d(value) for every value, in the opposite order
f_bar = 1.0
c_bar = f_bar * 2 * c
a_bar = c_bar * 1
b_bar = c_bar * 1
y_bar = a_bar * x
x_bar = a_bar * y + b_bar * (1 - b**2)  # x feeds two ops: the two contributions add

by_hand = {"x": (x, x_bar), "y": (y, y_bar), "a": (a, a_bar), "b": (b, b_bar), "c": (c, c_bar), "f": (f, f_bar)}
print("value        forward    backward (df/dvalue)")
for name, (value, gradient) in by_hand.items():
    print(f"{name:>5} {value:13.4f} {gradient:13.4f}")

# %% [markdown]
# What does $\bar x \approx 0.41$ *mean*? That nudging $x$ by a small $\delta$ changes $f$ by about
# $0.41\,\delta$. Let us try it with $\delta = 0.001$:

# %%
def f_of(x, y):
    return (x * y + math.tanh(x)) ** 2


delta = 1e-3
print(f"f(x + δ, y) - f(x, y) = {f_of(x + delta, y) - f_of(x, y):.6f}")
print(f"predicted: df/dx · δ  = {x_bar * delta:.6f}")

# %% [markdown]
# The gradient is a local, linear prediction of how the output responds to each input. Training
# uses exactly this: move each parameter a little against its gradient, and the loss goes down.
#
# ## 2. The same graph in minidl, step by step
#
# minidl does what we just did, for any program. While the expression runs, every op records
# itself on its output (`f.grad_fn`), together with what its backward will need (here `tanh`
# keeps its output $b$, because $1 - b^2$ is its derivative). `f.backward()` then walks the ops
# in reverse and calls each op's `backward`, which computes that op's share of the backward pass
# above: `pow` computes $\bar c = \bar f \cdot 2c$, `mul` computes $\bar a \cdot y$ and $\bar a
# \cdot x$, and so on.
#
# Below, `GraphView` draws the graph of the same expression. Press ▶ (or drag the slider): the
# first steps replay the forward pass op by op; the next ones are the engine's own backward, with
# the gradient arriving at each op and the gradients it passes on shown in the side panel. Each
# tensor's box shows its value (`data`) and its gradient (`grad`); "check" puts a numerical
# gradient beside the engine's (section 5 explains how that works).

# %% tags=["nbval-ignore-output"]
x = minidl.tensor(0.5, requires_grad=True)
y = minidl.tensor(-1.5, requires_grad=True)
a = x * y
b = minidl.tanh(x)
c = a + b
f = c**2
view = GraphView(f, values=True, names={"x": x, "y": y, "a": a, "b": b, "c": c, "f": f})
view

# %% [markdown]
# The view holds the gradient that reached every tensor, as plain numbers. They are the numbers
# of our table:

# %%
from_engine = {view.graph.tensors[key]["name"]: float(g) for key, g in view.graph.gradients.items()}
for name, (value, gradient) in by_hand.items():
    print(f"{name:>5}: by hand {gradient:8.4f}   minidl {from_engine[name]:8.4f}")
    assert math.isclose(from_engine[name], gradient, rel_tol=1e-5, abs_tol=1e-6), name

# %% [markdown]
# The same numbers again, this time from `f.backward()` itself: its `hook` argument is called at
# every op the engine visits, with the gradient arriving at the op's output and the ones it passes
# to its inputs (`None` for the constant 2 of $c^2$, which needs none). The leaves then hold their
# gradients in `.grad`.

# %%
def show_step(step):
    arriving = ", ".join(f"{g.item():.4f}" for g in step.grad_outputs)
    passed = ", ".join("None" if g is None else f"{g.item():.4f}" for g in step.grad_inputs)
    print(f"{step.function.label:>5}: gradient arriving {arriving:>8}, passed on ({passed})")


f.backward(hook=show_step)
print(f"x.grad = {x.grad.item():.4f}, y.grad = {y.grad.item():.4f}")
assert math.isclose(x.grad.item(), x_bar, rel_tol=1e-5) and math.isclose(y.grad.item(), y_bar, rel_tol=1e-5)

# %% [markdown]
# Two details of the engine show here. Backward visits the ops in an order where each op comes
# after every op that used its output (here simply the reverse of the forward order;
# `minidl.walk(f)` lists it), so the gradient arriving at an op is always complete. And $x$, an
# input of both `mul` and `tanh`, gets two contributions, $\bar a \cdot y = 0.8636$ and
# $\bar b\,(1 - b^2) = -0.4528$, which the engine adds up itself: no op needs to know that its
# input is used elsewhere.
#
# ## 3. Forward mode and reverse mode
#
# There is a second way to apply the chain rule: **forward**, alongside the values. Pick one
# input direction, say "how does everything change when $x$ moves?", and carry with every value
# $v$ its derivative $\dot v = \partial v / \partial x$, op by op from the inputs to the output:

# %%
def f_and_tangent(x, y, x_dot, y_dot):
    """f(x, y) and its derivative along the input direction (x_dot, y_dot), carried forward."""
    a, a_dot = x * y, x_dot * y + x * y_dot
    b = math.tanh(x)
    b_dot = (1 - b**2) * x_dot
    c, c_dot = a + b, a_dot + b_dot
    return c**2, 2 * c * c_dot


_, df_dx = f_and_tangent(0.5, -1.5, x_dot=1.0, y_dot=0.0)  # one pass for x ...
_, df_dy = f_and_tangent(0.5, -1.5, x_dot=0.0, y_dot=1.0)  # ... and another one for y
print(f"forward mode: df/dx = {df_dx:.4f}, df/dy = {df_dy:.4f}")
assert math.isclose(df_dx, x_bar) and math.isclose(df_dy, y_bar)

# %% [markdown]
# Same answer, different cost. For a function $F:\mathbb{R}^n \to \mathbb{R}^m$ with Jacobian $J$
# (an $m \times n$ matrix):
#
# | | forward mode | reverse mode (backprop) |
# | --- | --- | --- |
# | carries | $\dot v = \partial v / \partial x_j$, inputs → output | $\bar v = \partial F_i / \partial v$, output → inputs |
# | one pass gives | one column of $J$: a Jacobian-vector product $J\dot x$ | one row of $J$: a vector-Jacobian product $\bar y^\top J$ |
# | passes for the whole $J$ | $n$ | $m$ |
# | memory | only the current values | every value the backward needs, kept from the forward pass |
#
# Training has **one** output, the loss ($m = 1$), and many inputs: every parameter ($n$ in the
# millions). Reverse mode gets the whole gradient in a single backward pass, which costs about as
# much as two or three forward passes; forward mode would need one pass per parameter. That is why
# every deep-learning framework, minidl included, is built around reverse mode. Its price is
# memory: the values the backward needs (such as $b$ for `tanh`) must be kept until it runs, which
# is why training a network takes far more memory than running it.
#
# ## 4. Gradients accumulate: why `zero_grad` exists
#
# `backward()` does not *write* a leaf's `.grad`, it *adds* to it. Call it twice and you get twice
# the gradient:

# %%
w = minidl.tensor(2.0, requires_grad=True)
(w**2).backward()
print(f"after one backward:  w.grad = {w.grad.item()}")  # d(w^2)/dw = 2w = 4
(w**2).backward()
print(f"after two backwards: w.grad = {w.grad.item()}")  # 4 + 4

# %% [markdown]
# Adding is the right thing to do, for the same reason $x$'s two contributions added up above: the
# gradient of a sum is the sum of the gradients. It lets you, for instance, run several small
# batches, call `backward()` after each, and take one step with the summed gradient of a batch too
# big to fit in memory at once. But it means that a training loop **must clear the gradients before
# each step**, with `w.grad = None` here, or `optimizer.zero_grad()` / `model.zero_grad()` from the
# next chapters (both set every `.grad` to `None`).
#
# Forget it, and each step uses the sum of *all* the gradients so far. Here is gradient descent on
# $L(w) = (w - 3)^2$, with and without clearing:

# %%
def descend(clear_gradients: bool, steps: int = 60, lr: float = 0.1) -> list[float]:
    """Gradient descent on L(w) = (w - 3)^2 from w = 0; the value of w after each step."""
    w = minidl.tensor(0.0, requires_grad=True)
    path = []
    for _ in range(steps):
        loss = (w - 3) ** 2
        loss.backward()
        with minidl.no_grad():  # the update itself is not part of any graph
            w -= lr * w.grad
        if clear_gradients:
            w.grad = None
        path.append(w.item())
    return path


cleared, accumulated = descend(True), descend(False)
print(f"with w.grad = None: w = {cleared[-1]:.3f} after 60 steps")
print(f"without:            w = {accumulated[-1]:.3f}, swinging between "
      f"{min(accumulated[-20:]):.2f} and {max(accumulated[-20:]):.2f}")
assert abs(cleared[-1] - 3) < 1e-3 and max(abs(v - 3) for v in accumulated[-20:]) > 2

fig, ax = plt.subplots(figsize=(7, 3))
ax.axhline(3, color="grey", linestyle=":", label="the minimum, w = 3")
ax.plot(range(1, 61), cleared, "o-", markersize=3, label="w.grad cleared every step")
ax.plot(range(1, 61), accumulated, "o-", markersize=3, label="w.grad never cleared")
ax.set_xlabel("step")
ax.set_ylabel("w")
ax.set_ylim(-0.5, 8)
ax.legend(loc="upper center", ncol=3, fontsize="small")
plt.show()

# %% [markdown]
# Without clearing, the step after $t$ updates is $-\eta \sum_{s \le t} \nabla L(w_s)$: it
# remembers every past push, like a ball rolling in a bowl without friction, and the oscillation
# never dies down. (Chapter 5 turns this very idea, with friction, into *momentum*.) The bug is
# nasty because nothing crashes: the loss just behaves strangely.
#
# ## 5. Checking gradients numerically
#
# A backward that is subtly wrong does not crash either, so every op needs a test. The definition
# of the derivative gives one, with no calculus at all:
#
# $$f'(x) \approx \frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon} \quad\text{(central
# difference)}, \qquad \text{rather than} \qquad \frac{f(x + \varepsilon) - f(x)}{\varepsilon}
# \quad\text{(forward difference)}.$$
#
# Taylor's formula says why the central one is better: the $\varepsilon^2 f''/2$ terms of
# $f(x+\varepsilon)$ and $f(x-\varepsilon)$ cancel, leaving an error of order $\varepsilon^2$
# (about $\varepsilon^2 |f'''|/6$) instead of $\varepsilon$. So a tiny $\varepsilon$ is best?
# No: each value of $f$ is rounded to the precision of the float type ($u \approx 6 \cdot 10^{-8}$
# in float32, $1.1 \cdot 10^{-16}$ in float64), and dividing by $\varepsilon$ magnifies that
# rounding into an error of about $u/\varepsilon$. The plot shows both effects for $f = \tanh$ at
# $x = 0.5$:

# %%
def tanh_at(value: float, dtype) -> float:
    return minidl.tanh(minidl.tensor(value, dtype=dtype)).item()


exact = 1 - math.tanh(0.5) ** 2
epsilons = np.logspace(-12, -1, 45)
fig, ax = plt.subplots(figsize=(8, 3.5))
errors = {}
for dtype, style in [(minidl.float32, "--"), (minidl.float64, "-")]:
    for kind, colour in [("forward", "C0"), ("central", "C3")]:
        estimates = []
        for eps in epsilons:
            low = 0.5 - eps if kind == "central" else 0.5
            estimates.append((tanh_at(0.5 + eps, dtype) - tanh_at(low, dtype)) / (0.5 + eps - low))
        errors[kind, dtype.name] = np.maximum(np.abs(np.array(estimates) - exact), 1e-17)
        ax.loglog(epsilons, errors[kind, dtype.name], style, color=colour, label=f"{kind}, {dtype.name}")
ax.set_xlabel("ε")
ax.set_ylabel("|estimate − tanh′(0.5)|")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
fig.tight_layout()
plt.show()
assert errors["central", "float64"].min() < 1e-9 < errors["central", "float32"].min()
assert errors["central", "float64"].min() < errors["forward", "float64"].min() / 100

# %% [markdown]
# Read the V shapes from the right: the error first shrinks with $\varepsilon$ (slope 1 for the
# forward difference, slope 2 for the central one), until rounding takes over and it grows again
# (in float32, below $\varepsilon \approx 10^{-8}$, $x \pm \varepsilon$ even rounds back to $x$
# and the estimate is 0). In float32 the best is an error of a few $10^{-6}$, at a large
# $\varepsilon$ that has to be guessed: too coarse to catch small bugs. In float64 the central
# difference with $\varepsilon \approx 10^{-6}$ is good to about $10^{-11}$. Hence the rule:
# **check gradients in float64, with central differences**.
#
# `minidl.gradcheck(fn, inputs)` does exactly that: it copies the inputs to float64, nudges every
# element in turn, and compares the slope with what backward says (for a non-scalar output it
# checks $\sum_i w_i\, \mathrm{out}_i$ for fixed random weights $w$, which exercises every output
# element at once). Every op of minidl is tested this way.
#
# Let us write an op of our own, `tanh`, the way minidl's ops are written: a `Function` with a
# `forward` on raw NumPy arrays and a `backward` that receives the gradient arriving at the output
# (a Tensor) and returns the gradient for the input. Then a buggy copy, whose backward forgets a
# square:

# %%
class MyTanh(minidl.Function):
    label = "my_tanh"

    def forward(self, x):
        return np.tanh(x)

    def backward(self, grad_output):
        (y,) = self.outputs  # d tanh(x)/dx = 1 - tanh(x)^2: keep the output, not the input
        return grad_output * (1 - y * y)


class BuggyTanh(MyTanh):
    def backward(self, grad_output):
        (y,) = self.outputs
        return grad_output * (1 - y)  # the bug: 1 - y instead of 1 - y^2


inputs = [minidl.randn(2, 3)]
print("MyTanh passes:", minidl.gradcheck(lambda t: MyTanh()(t), inputs))
try:
    minidl.gradcheck(lambda t: BuggyTanh()(t), inputs)
except minidl.GradcheckError as error:
    print(error)

# %% [markdown]
# A failing check says which input and which elements disagree, and by how much: enough to go
# looking for the bug. (The real `minidl.tanh` is written the same way, in
# `minidl/ops/elementwise.py`.) Exercise 1 asks you to write the numerical gradient yourself, and
# exercise 4 a `Function` of your own.
#
# ## 6. Gradients of gradients
#
# A backward is made of ordinary ops (`grad_output * (1 - y * y)` is a `mul`, a `sub` and another
# `mul`), so when they are recorded too, the gradient is itself a graph that can be differentiated
# again. `minidl.grad(output, input, create_graph=True)` returns the gradient without touching any
# `.grad`, and records it. Take $\tanh$: we know $\tanh' = 1 - \tanh^2$ and
# $\tanh'' = -2 \tanh\,(1 - \tanh^2)$.
#
# One trick makes this work on a whole array of points at once: $y_i = \tanh(x_i)$ depends on
# $x_i$ only, so $\partial (\sum_j y_j) / \partial x_i = \mathrm{d}y_i/\mathrm{d}x_i$: the
# gradient of the sum is the derivative at every point.

# %%
xs = minidl.tensor(np.linspace(-3, 3, 61), requires_grad=True)  # float64: NumPy's dtype is kept
ys = minidl.tanh(xs)
(first,) = minidl.grad(ys.sum(), xs, create_graph=True)  # recorded: first has a grad_fn
(second,) = minidl.grad(first.sum(), xs)
print("the first derivative was made by", first.grad_fn)

t = np.tanh(xs.numpy())
assert np.allclose(first.numpy(), 1 - t**2) and np.allclose(second.numpy(), -2 * t * (1 - t**2))

fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(xs.numpy(), ys.detach().numpy(), label="tanh x")
ax.plot(xs.numpy(), first.detach().numpy(), label="first derivative (minidl.grad)")
ax.plot(xs.numpy(), second.numpy(), label="second derivative (grad of grad)")
ax.axhline(0, color="grey", linewidth=0.5)
ax.set_xlabel("x")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
fig.tight_layout()
plt.show()

# %% [markdown]
# As many times as you like: for $x^3$ at $x = 2$, the derivatives are $3x^2 = 12$, $6x = 12$, then
# $6$:

# %%
x = minidl.tensor(2.0, requires_grad=True)
value = x**3
derivatives = []
for _ in range(3):
    (value,) = minidl.grad(value, x, create_graph=True)
    derivatives.append(round(value.item(), 6))
print("x^3 at x = 2 and its first three derivatives:", 8.0, derivatives)
assert derivatives == [12.0, 12.0, 6.0]

# %% [markdown]
# **Hessian-vector products.** For a loss $L(\mathbf w)$ of $n$ parameters, the second derivatives
# form the $n \times n$ Hessian $H$: far too big to build for a network ($10^{12}$ numbers for a
# million parameters). But many methods (Newton-like optimizers, measuring the curvature of a loss,
# some meta-learning) only need $H\mathbf v$ for a given vector $\mathbf v$, and that costs just two
# backward passes, because
#
# $$H\mathbf v = \nabla_{\mathbf w}\big(\nabla_{\mathbf w} L \cdot \mathbf v\big).$$
#
# Check it on $L(\mathbf w) = \tfrac12 \mathbf w^\top A \mathbf w + \tfrac13 \sum_i w_i^3$ with a
# symmetric $A$, whose Hessian is $A + \mathrm{diag}(2\mathbf w)$:

# %%
A = rng.standard_normal((4, 4))
A = (A + A.T) / 2
A_tensor = minidl.tensor(A)
w = minidl.tensor(rng.standard_normal(4), requires_grad=True)
v = minidl.tensor(rng.standard_normal(4))

loss = 0.5 * (w @ (A_tensor @ w)) + (w**3).sum() / 3
(gradient,) = minidl.grad(loss, w, create_graph=True)
(hessian_times_v,) = minidl.grad((gradient * v).sum(), w)

hessian = A + np.diag(2 * w.numpy())  # built by hand, only to compare
print("H v by two backward passes:", np.round(hessian_times_v.numpy(), 4))
print("H v with H built by hand:  ", np.round(hessian @ v.numpy(), 4))
assert np.allclose(hessian_times_v.numpy(), hessian @ v.numpy())

# %% [markdown]
# ## 7. Linear regression, twice
#
# Now a real (if small) learning problem: 100 points $(x_n, y_n)$ scattered around an unknown line,
# and a model $\hat y_n = w\,x_n + b$ with the **mean squared error**
#
# $$L(w, b) = \frac1N \sum_{n=1}^N (\hat y_n - y_n)^2 = \frac1N \sum_{n=1}^N r_n^2, \qquad
# r_n = w\,x_n + b - y_n \ \text{(the residual)}.$$
#
# The chain rule through $r_n$ (with $\partial r_n/\partial w = x_n$ and $\partial r_n/\partial b =
# 1$) gives
#
# $$\frac{\partial L}{\partial w} = \frac2N \sum_n r_n\, x_n, \qquad \frac{\partial L}{\partial b}
# = \frac2N \sum_n r_n .$$
#
# With all inputs in a column $X$ ($N \times 1$), the first sum is the matrix product
# $\frac2N X^\top \mathbf r$: exercises 2 and 3 take this to any number of features and outputs.
# Gradient descent repeats $w \leftarrow w - \eta\,\partial L/\partial w$, $b \leftarrow b -
# \eta\,\partial L/\partial b$.
#
# First, with these gradients written by hand (no `requires_grad` anywhere, so minidl records no
# graph and this is plain array arithmetic):

# %%
x_data, y_data = minidl.datasets.linear_regression(n=100, features=1, noise=0.5, seed=3)  # (100, 1) each
n = len(x_data)


def gradients_by_hand(w, b):
    residual = w * x_data + b - y_data
    return 2 / n * (residual * x_data).sum(), 2 / n * residual.sum()


lr, steps = 0.1, 60
w_hand, b_hand = minidl.tensor(0.0), minidl.tensor(0.0)
for step in range(steps):
    grad_w, grad_b = gradients_by_hand(w_hand, b_hand)
    w_hand, b_hand = w_hand - lr * grad_w, b_hand - lr * grad_b
print(f"by hand:  w = {w_hand.item():.3f}, b = {b_hand.item():.3f}")

# %% [markdown]
# Then with autograd: the parameters require grad, the loss is written as it reads, and
# `loss.backward()` finds the gradients. Before training, we check at the starting point that the
# engine agrees with our formulas:

# %%
w = minidl.tensor(0.0, requires_grad=True)
b = minidl.tensor(0.0, requires_grad=True)
loss = ((w * x_data + b - y_data) ** 2).mean()
loss.backward()
by_formula = gradients_by_hand(w.detach(), b.detach())
print(f"autograd: dL/dw = {w.grad.item():.4f}, dL/db = {b.grad.item():.4f}")
print(f"by hand:  dL/dw = {by_formula[0].item():.4f}, dL/db = {by_formula[1].item():.4f}")
assert np.allclose([w.grad.item(), b.grad.item()], [g.item() for g in by_formula], rtol=1e-5)

# %% [markdown]
# and train, drawing the loss live with `TrainingCurves` (given one value per step by hand with
# `curves.update`), and keeping a few snapshots of the line for a picture:

# %% tags=["nbval-ignore-output"]
w.grad = b.grad = None
curves = TrainingCurves()
snapshots = {}
for step in range(steps):
    if step in (0, 2, 5, 10):
        snapshots[step] = (w.item(), b.item())
    loss = ((w * x_data + b - y_data) ** 2).mean()
    loss.backward()
    with minidl.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad = b.grad = None  # see section 4
    curves.update(step, loss=loss.item())
curves.finish()

# %%
print(f"autograd: w = {w.item():.3f}, b = {b.item():.3f}, final loss {loss.item():.3f}")
# The best line there is, by least squares (NumPy solves it directly): gradient descent should reach it.
design = np.hstack([x_data.numpy(), np.ones((n, 1))])
best_w, best_b = np.linalg.lstsq(design, y_data.numpy(), rcond=None)[0].ravel()
print(f"exact least squares: w = {best_w:.3f}, b = {best_b:.3f}")
assert abs(w.item() - w_hand.item()) < 1e-4 and abs(b.item() - b_hand.item()) < 1e-4
assert abs(w.item() - best_w) < 1e-3 and abs(b.item() - best_b) < 1e-3

# %%
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(x_data.numpy(), y_data.numpy(), s=12, color="grey", alpha=0.6, label="data")
line_x = np.array([x_data.numpy().min(), x_data.numpy().max()])
for shade, (step, (w_then, b_then)) in enumerate(snapshots.items()):
    ax.plot(line_x, w_then * line_x + b_then, color="C0", alpha=0.25 + 0.15 * shade,
            label=f"after {step} steps" if step else "start (w = b = 0)")
ax.plot(line_x, w.item() * line_x + b.item(), color="C3", linewidth=2, label=f"after {steps} steps")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# The line swings into place within a dozen steps, and the loss settles near $0.25$: the variance
# of the noise the data was made with ($0.5^2$), which no line can explain away.
#
# ## Summary
#
# - The **chain rule**, applied op by op from the output backwards, gives the gradient with
#   respect to every input in one pass; where a value is used twice, its gradients add.
# - minidl records each op as it runs; `backward()` calls the ops' `backward` in reverse order.
#   `GraphView` replays it step by step, `backward(hook=...)` lets you watch it from code.
# - **Reverse mode** costs one backward per *output*, forward mode one pass per *input*: with one
#   loss and millions of parameters, reverse mode wins, paying with memory.
# - Gradients **accumulate** into `.grad`; clear them every step (`zero_grad`), or the updates
#   carry every past gradient along.
# - Check gradients with **central differences in float64** (`minidl.gradcheck`).
# - Backward is made of ops, so with `create_graph=True` gradients can be differentiated again:
#   second derivatives, Hessian-vector products.
#
# ## Exercises
#
# Each exercise has a cell to fill in (replace `raise NotImplementedError()`), then a cell that
# checks your code on several cases and tells you what went wrong.
#
# ### Exercise 1: a numerical gradient
#
# Write `numerical_gradient(f, x, eps=1e-6)`: `f` takes a float64 NumPy array shaped like `x` and
# returns a number; return an array shaped like `x` whose element $i$ is the central difference
# $\big(f(x + \varepsilon e_i) - f(x - \varepsilon e_i)\big) / 2\varepsilon$, where $e_i$ is 1 at
# element $i$ and 0 elsewhere. It must work for any shape (a vector, a matrix, even a 0-d array:
# `np.ndindex(x.shape)` lists every index of any shape), use the `eps` it is given, and leave `x`
# as it found it.

# %%
def numerical_gradient(f, x, eps=1e-6):
    # Return an array shaped like x: element i is (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).
    # Leave x unchanged (put each element back, or perturb a copy).
    # BEGIN SOLUTION
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        f_plus = f(x)
        x[index] = original - eps
        f_minus = f(x)
        x[index] = original
        gradient[index] = (f_plus - f_minus) / (2 * eps)
    return gradient
    # END SOLUTION


# %%
check_numerical_gradient(numerical_gradient)

# %% [markdown]
# ### Exercise 2: the backward of a matrix product
#
# For $C = AB$ with $A$ of shape $(m, k)$ and $B$ of shape $(k, n)$, and the gradient $G =
# \partial L/\partial C$ arriving from above (shape $(m, n)$), write `matmul_backward(a, b, grad_c)`
# returning `(grad_a, grad_b)`, the gradients $\partial L/\partial A$ and $\partial L/\partial B$
# as NumPy arrays.
#
# Start from one element: $C_{ij} = \sum_p A_{ip} B_{pj}$, so $\partial L/\partial A_{ip} = \sum_j
# G_{ij}\, \partial C_{ij}/\partial A_{ip}$. Write the sum out, then recognize it as a matrix
# product. Shapes are a strong guide: `grad_a` has the shape of `a`, `grad_b` that of `b`.

# %%
def matmul_backward(a, b, grad_c):
    # C = a @ b with a: (m, k), b: (k, n); grad_c = dL/dC: (m, n).
    # Return (grad_a, grad_b) = (dL/da, dL/db), arrays shaped like a and b.
    # BEGIN SOLUTION
    return grad_c @ b.T, a.T @ grad_c
    # END SOLUTION


# %%
check_matmul_backward(matmul_backward)

# %% [markdown]
# ### Exercise 3: linear regression's gradients, in general
#
# Section 7 fitted one output from one feature. In general, $N$ examples of $D$ features form $X$
# ($N \times D$), the weights $W$ are $D \times K$ for $K$ outputs, the bias $\mathbf b$ has $K$
# entries (added to every row), and the targets $Y$ are $N \times K$. With $R = XW + \mathbf b - Y$,
# the loss is the mean over all $NK$ squared errors, as `((X @ W + b - Y) ** 2).mean()` computes it:
#
# $$L = \frac{1}{NK} \sum_{n=1}^N \sum_{k=1}^K R_{nk}^2 .$$
#
# Write `mse_gradients(X, W, b, Y)` returning `(grad_W, grad_b)` (shapes $(D, K)$ and $(K,)$) as
# NumPy arrays. Go in steps: $\partial L/\partial R$ first; then $W$ through the product $XW$
# (exercise 2); then $\mathbf b$, which was broadcast to every row.

# %%
def mse_gradients(X, W, b, Y):
    # X: (N, D), W: (D, K), b: (K,), Y: (N, K); L = mean((X @ W + b - Y) ** 2) over all N*K entries.
    # Return (grad_W, grad_b) = (dL/dW, dL/db), shaped (D, K) and (K,).
    # BEGIN SOLUTION
    residual = X @ W + b - Y
    grad_residual = 2 * residual / residual.size
    return X.T @ grad_residual, grad_residual.sum(axis=0)
    # END SOLUTION


# %%
check_mse_gradients(mse_gradients)

# %% [markdown]
# ### Exercise 4: softplus, an op of your own
#
# $\mathrm{softplus}(x) = \log(1 + e^x)$ is a smooth ReLU: close to 0 for very negative $x$, close
# to $x$ for large $x$. Write it as a minidl `Function`, like `MyTanh` in section 5:
#
# - `forward(self, x)` gets a NumPy array and returns one. Beware: $e^x$ overflows for large $x$
#   (to `inf` in float32 beyond $x \approx 88$). Rewrite the formula so that nothing large is ever
#   exponentiated, or look for NumPy's function that computes $\log(e^a + e^b)$ safely.
# - `backward(self, grad_output)` gets the gradient arriving at the output (a Tensor) and returns
#   the gradient for the input (a Tensor). Work out $\mathrm{d}\,\mathrm{softplus}/\mathrm{d}x$;
#   you will recognize a function minidl has. Build the result from minidl ops on Tensors (the
#   input is `self.inputs[0]`), so that backward can itself be differentiated: the checker takes
#   a second derivative through it.
#
# The checker compares your forward with NumPy (large inputs too) and your backward with central
# differences of your own forward, on several shapes.

# %%
class Softplus(minidl.Function):
    label = "softplus"

    def forward(self, x):
        # log(1 + e^x) for a NumPy array x, without overflow for large x.
        # BEGIN SOLUTION
        return np.logaddexp(0, x)
        # END SOLUTION

    def backward(self, grad_output):
        # The gradient for the input, a Tensor, built from minidl ops on Tensors.
        # BEGIN SOLUTION
        (x,) = self.inputs
        return grad_output * minidl.sigmoid(x)
        # END SOLUTION


# %%
check_softplus(Softplus)
