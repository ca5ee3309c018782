# %% [markdown]
# # 05 · Optimizers: from gradient descent to AdamW
#
# Every training loop in this course ends with the same three lines:
#
# ```python
# optimizer.zero_grad()
# loss.backward()
# optimizer.step()
# ```
#
# `backward()` tells us, for every parameter, which way the loss goes up. `step()` decides how far to
# move the other way. That decision is the whole subject of this chapter, and it matters more than it
# looks: the same network, on the same data, from the same initial weights, can learn well, crawl, or
# blow up depending on the optimizer and its learning rate.
#
# We go from the simplest rule to the ones used to train today's large models, one idea at a time:
#
# 1. **Gradient descent**, and why a valley that is steep one way and flat the other makes it slow;
# 2. **stochastic gradient descent**: mini-batches, and the noise they bring;
# 3. **momentum** and **Nesterov** momentum;
# 4. **AdaGrad** and **RMSprop**: one step size per coordinate;
# 5. **Adam**, and why it needs a *bias correction*;
# 6. **AdamW**: weight decay that is not the same as L2 regularization;
#
# then we race them on 2-D surfaces (a figure, and a playground to try your own settings), look at
# **learning-rate schedules**, compare every optimizer on the same MNIST network, and meet
# **gradient clipping**. Each rule is written in math first, then pointed to in `minidl/optim/`, where
# it is a dozen lines of NumPy you can read. The exercises at the end have you write four of these
# pieces yourself.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minidl
from minidl import nn, optim
from minidl.data import DataLoader, TensorDataset
from minidl.datasets import MNIST, linear_regression
from minidl.exercises.optimizers import check_adam, check_clip_grad_norm, check_momentum_sgd, check_warmup_cosine
from minidl.nn.utils import clip_grad_norm_
from minidl.optim import Optimizer
from minidl.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, OneCycleLR, StepLR
from widgets import OptimizerPlayground
from widgets.surfaces import SURFACES, trajectory

_ = minidl.manual_seed(0)  # every random draw below (weights, shuffles) repeats from run to run

# %% [markdown]
# ## 1. Gradient descent
#
# Training means finding parameters $\theta$ that make a loss $L(\theta)$ small. The gradient
# $\nabla L(\theta)$ points in the direction in which $L$ grows fastest, so we take a small step the
# other way:
#
# $$\theta_{t+1} = \theta_t - \eta\, \nabla L(\theta_t).$$
#
# The step size $\eta$ is the **learning rate**. Why does this work? Near $\theta$, the loss is close to
# its first-order Taylor expansion, so with $g = \nabla L(\theta)$,
#
# $$L(\theta - \eta g) \approx L(\theta) - \eta\, \lVert g \rVert^2 ,$$
#
# which is smaller than $L(\theta)$ as long as $\eta$ is small enough for the approximation to hold.
# "Small enough" is the catch, as we will see.
#
# Our first test problem is a bowl that is much steeper in one direction than in the other:
#
# $$f(x, y) = \frac{x^2}{20} + 5 y^2 .$$
#
# Its curvatures (the second derivatives, the eigenvalues of its Hessian) are $\lambda_x = 0.1$ and
# $\lambda_y = 10$: a factor $\kappa = \lambda_{\max} / \lambda_{\min} = 100$ apart. That ratio, the
# **condition number**, is what makes a problem hard for gradient descent. The same surface drives the
# optimizer playground later; `widgets.surfaces` writes it with minidl ops, so minidl differentiates it.
# Here are 100 steps of gradient descent written out by hand, from the point $(-5, 2)$:

# %%
quadratic = SURFACES["quadratic"]
print("f(x, y) =", quadratic.formula)

theta = minidl.tensor([-5.0, 2.0], dtype=minidl.float64, requires_grad=True)
lr = 0.18
for step in range(100):
    loss = quadratic(theta[0], theta[1])
    loss.backward()
    with minidl.no_grad():  # the update itself is not part of any graph
        theta -= lr * theta.grad
    theta.grad = None       # otherwise the next backward adds to this gradient
print("after 100 steps:", theta.numpy().round(4), f"loss {quadratic(theta[0], theta[1]).item():.4f}")

# %% [markdown]
# $y$ is at the minimum, but $x$ has only come from $-5$ to $-0.81$. On a quadratic we can see exactly
# why. The gradient of $\tfrac{\lambda}{2} u^2$ is $\lambda u$, so one step multiplies each coordinate by
# a fixed factor:
#
# $$u_{t+1} = u_t - \eta \lambda u_t = (1 - \eta \lambda)\, u_t .$$
#
# With $\eta = 0.18$: along $y$ the factor is $1 - 0.18 \cdot 10 = -0.8$ (the sign flips at every step: a
# zigzag across the valley that shrinks fast), and along $x$ it is $1 - 0.18 \cdot 0.1 = 0.982$ (a slow
# creep). After 100 steps, $x = -5 \cdot 0.982^{100}$:

# %%
predicted = np.array([-5.0 * (1 - lr * 0.1) ** 100, 2.0 * (1 - lr * 10) ** 100])
print("predicted:", predicted.round(4))
assert np.allclose(theta.numpy(), predicted)

# %% [markdown]
# This is gradient descent's dilemma. The steep direction sets the largest learning rate that does not
# blow up: we need $|1 - \eta \lambda_{\max}| < 1$, i.e. $\eta < 2 / \lambda_{\max} = 0.2$. The flat
# direction sets the speed: its factor $1 - \eta \lambda_{\min}$ is at best about $1 - 2/\kappa$, so
# the number of steps grows in proportion to the condition number. The picture shows both sides of
# the limit:

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
for rate in [0.02, 0.1, 0.18, 0.195, 0.205]:
    _, losses = trajectory(quadratic, optim.SGD, 150, lr=rate)
    ax.semilogy(losses, label=f"lr = {rate}")
ax.set(xlabel="step", ylabel="loss", title="gradient descent on x²/20 + 5y²: stable only for lr < 0.2")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# Below $0.2$, a larger learning rate gets further in the end; just above it, the $y$ coordinate's zigzag
# grows instead of shrinking and the loss climbs.
#
# ### The same loop with `minidl.optim`
#
# An optimizer packages the update. `optim.SGD` gets the parameters once; `zero_grad()` replaces the
# `theta.grad = None` line and `step()` the update:

# %%
theta = minidl.tensor([-5.0, 2.0], dtype=minidl.float64, requires_grad=True)
optimizer = optim.SGD([theta], lr=0.18)
for step in range(100):
    optimizer.zero_grad()
    quadratic(theta[0], theta[1]).backward()
    optimizer.step()
print("optim.SGD:", theta.numpy().round(4))
assert np.allclose(theta.numpy(), predicted)
print(optimizer)

# %% [markdown]
# Every optimizer in minidl is built the same way (`minidl/optim/optimizer.py`). The base class
# `Optimizer` holds **parameter groups** (`optimizer.param_groups`: lists of parameters, each with its own
# hyper-parameters, so that e.g. one layer can get its own learning rate) and **state** (a dict per
# parameter, for the buffers that some optimizers keep from step to step). Its `step()` is a loop that
# calls one method for each parameter that has a gradient:
#
# ```python
# def step(self):
#     with no_grad():
#         for group in self.param_groups:
#             for param in group["params"]:
#                 if param.grad is not None:
#                     self.update(param, self._grad_array(param), self.state.setdefault(param, {}), group)
# ```
#
# So an optimizer is a class with one method, `update(param, grad, state, group)`, that changes `param`
# in place. For plain SGD (`minidl/optim/sgd.py`), stripped of its options, it is one line:
#
# ```python
# param.sub_(group["lr"] * grad)
# ```
#
# Everything that follows in this chapter is a different body for `update`.

# %% [markdown]
# ## 2. Stochastic gradient descent: mini-batches and noise
#
# A training loss is an average over $N$ examples, $L(\theta) = \frac{1}{N}\sum_{i=1}^N \ell_i(\theta)$,
# and so is its gradient. Computing it exactly costs a pass over the whole dataset for every single
# step. **Stochastic** gradient descent uses a random mini-batch $B$ of examples instead:
#
# $$\hat g = \frac{1}{|B|} \sum_{i \in B} \nabla \ell_i(\theta), \qquad \theta \leftarrow \theta - \eta\, \hat g .$$
#
# Over the random choice of the batch, $\hat g$ is right on average ($\mathbb{E}[\hat g] = \nabla L$),
# but each one is off by some noise whose variance shrinks like $1/|B|$: its typical size like
# $1/\sqrt{|B|}$. Let us measure that on a small problem: fitting a line $y = w x + b$ to 256 noisy
# points, at the fixed point $(w, b) = (-2, 2)$, for many batches of each size.

# %%
x, y = linear_regression(n=256, features=1, noise=0.5, seed=0)
x, y = x.double(), y.double()
data = TensorDataset(x, y)


def line_loss(w, b, inputs, targets):
    """Mean squared error of the line inputs @ w + b."""
    return ((inputs @ w + b - targets) ** 2).mean()


def gradient_at(w0, b0, inputs, targets):
    """The gradient of line_loss with respect to (w, b) at one point, as a NumPy array of 2 numbers."""
    w = minidl.tensor([[w0]], dtype=minidl.float64, requires_grad=True)
    b = minidl.tensor([b0], dtype=minidl.float64, requires_grad=True)
    line_loss(w, b, inputs, targets).backward()
    return np.array([w.grad.item(), b.grad.item()])


full_gradient = gradient_at(-2.0, 2.0, x, y)
print("full gradient:", full_gradient.round(3))
noise = {}
for batch_size in [1, 4, 16, 64]:
    loader = DataLoader(data, batch_size=batch_size, shuffle=True)
    errors = [gradient_at(-2.0, 2.0, xb, yb) - full_gradient
              for epoch in range(batch_size) for xb, yb in loader]  # about 256 batches of each size
    noise[batch_size] = np.sqrt(np.mean(np.sum(np.square(errors), axis=1)))
    print(f"batch size {batch_size:3d}: typical error of the gradient {noise[batch_size]:6.3f}, "
          f"x sqrt(batch size) = {noise[batch_size] * math.sqrt(batch_size):.2f}")
assert 1.6 < noise[1] / noise[4] < 2.4 and 1.6 < noise[4] / noise[16] < 2.4

# %% [markdown]
# Four times the batch, half the noise: the last column stays between 8.5 and 8.8 (it dips at 64
# because a batch that is a quarter of the dataset is drawn without replacement, which removes some of
# the noise). A batch of 1 costs 1/256 of the full gradient and is still, on average, right.
#
# What does the noise do to the path? Below, SGD runs from $(-2, 2)$ with the same learning rate and
# three batch sizes, for 5 **epochs** (passes over the data, a measure of the work done). On the left,
# every step over the contours of the full loss; on the right, the full loss after each epoch.

# %%
def fit_line(batch_size, lr, epochs, scheduler=None):
    """SGD on the line problem from (w, b) = (-2, 2): the (w, b) path, step by step, and the full loss
    after each epoch. `scheduler(optimizer)`, if given, makes a learning-rate schedule stepped per epoch."""
    minidl.manual_seed(1)  # the same shuffles for every run
    w = minidl.tensor([[-2.0]], dtype=minidl.float64, requires_grad=True)
    b = minidl.tensor([2.0], dtype=minidl.float64, requires_grad=True)
    optimizer = optim.SGD([w, b], lr=lr)
    schedule = scheduler(optimizer) if scheduler else None
    path, losses = [[w.item(), b.item()]], []
    for epoch in range(epochs):
        for xb, yb in DataLoader(data, batch_size=batch_size, shuffle=True):
            optimizer.zero_grad()
            line_loss(w, b, xb, yb).backward()
            optimizer.step()
            path.append([w.item(), b.item()])
        if schedule:
            schedule.step()
        with minidl.no_grad():
            losses.append(line_loss(w, b, x, y).item())
    return np.array(path), np.array(losses)


design = np.c_[x.numpy(), np.ones(len(x))]
best_w, best_b = np.linalg.lstsq(design, y.numpy(), rcond=None)[0].ravel()
best_loss = line_loss(minidl.tensor([[best_w]], dtype=minidl.float64), minidl.tensor([best_b], dtype=minidl.float64),
                      x, y).item()

ws, bs = np.meshgrid(np.linspace(-2.5, 1.0, 120), np.linspace(-1.0, 2.5, 120))
xs, ys = x.numpy().ravel(), y.numpy().ravel()
grid_loss = ((xs[:, None, None] * ws + bs - ys[:, None, None]) ** 2).mean(axis=0)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
left.contour(ws, bs, grid_loss, levels=np.geomspace(best_loss, grid_loss.max(), 15), cmap="viridis",
             linewidths=0.8)
for batch_size, color in [(1, "tab:red"), (16, "tab:orange"), (256, "tab:blue")]:
    path, losses = fit_line(batch_size, lr=0.05, epochs=5)
    label = "full batch (256)" if batch_size == 256 else f"batch {batch_size}"
    left.plot(path[:, 0], path[:, 1], ".-", color=color, markersize=2, linewidth=0.6, label=label)
    right.semilogy(np.arange(1, 6), losses - best_loss, "o-", color=color, label=label)
    print(f"{label:17s} {len(path) - 1:5d} steps in 5 epochs, loss above the minimum: {losses[-1] - best_loss:.4f}")
left.plot(best_w, best_b, "*", color="gold", markersize=14, markeredgecolor="black")
left.set(xlabel="w", ylabel="b", title="every step of 5 epochs, lr = 0.05")
left.legend(fontsize="small")
right.set(xlabel="epoch", ylabel="loss - lowest loss", title="progress per pass over the data")
right.legend(fontsize="small")
plt.show()

# %% [markdown]
# The full-batch path (blue) is smooth, but it takes one step per epoch: after 5 epochs it has taken 5
# steps and is still far away. A batch of 16 takes 16 steps per epoch, each a little noisy, and settles
# at the bottom within three epochs. A batch of 1 gets close first, after a single epoch, but then cannot
# settle: its steps keep the size $\eta \hat g$, and near the minimum $\hat g$ is mostly noise, so it
# wanders around (the red cloud, and the red loss that goes up and down instead of on down). Two ways
# out: a larger batch (less noise per step), or a learning rate that shrinks over time, which is what
# the **schedules** of section 9 do.
#
# In practice the batch size is mostly set by the hardware (as many examples as keep the GPU busy), and
# the noise is not all bad: it is widely thought to help training stay away from sharp, narrow minima,
# which tend to generalize worse than wide ones.

# %% [markdown]
# ## 3. Momentum and Nesterov
#
# Back to the narrow valley. Gradient descent zigzags across it and creeps along it. Momentum fixes both
# with one idea: keep a running sum of past gradients, a **velocity** $b$, and step along that instead.
# In the form that minidl uses (PyTorch's), with momentum $\mu \in [0, 1)$:
#
# $$b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t, \qquad b_0 = 0 .$$
#
# Unrolled, $b_t = g_t + \mu g_{t-1} + \mu^2 g_{t-2} + \dots$, a sum of past gradients that forgets
# with rate $\mu$. Where the gradients agree (along the valley), they add up: a constant gradient $g$
# gives $b \to g / (1 - \mu)$, ten times the step for $\mu = 0.9$. Where they alternate in sign (across
# the valley), they cancel. A ball rolling down the valley picks up speed along it and its side-to-side
# wobble is damped.
#
# In `SGD.update` (`minidl/optim/sgd.py`) the velocity is the `momentum_buffer` kept in the parameter's
# `state`:
#
# ```python
# buffer = state.get("momentum_buffer")
# if buffer is None:  # the first step starts the running sum at g itself, undamped
#     buffer = state["momentum_buffer"] = grad.copy()
# else:
#     buffer *= momentum
#     buffer += grad
# grad = grad + momentum * buffer if group["nesterov"] else buffer
# param.sub_(group["lr"] * grad)
# ```
#
# **Nesterov momentum** is the `nesterov` line. The classical form computes the gradient not at
# $\theta_{t-1}$ but where the velocity is about to carry us, $\theta_{t-1} - \eta \mu b_{t-1}$: it looks
# ahead and brakes before overshooting. Rewritten in terms of that look-ahead point (so that the
# gradient needed is the ordinary one), the update becomes
#
# $$b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\,(g_t + \mu\, b_t).$$
#
# How much does it buy? On a quadratic the theory is exact: tuned as well as possible, gradient descent
# needs a number of steps proportional to $\kappa$, momentum proportional to $\sqrt{\kappa}$ (the best
# settings are $\eta = 4/(\sqrt{\lambda_{\max}} + \sqrt{\lambda_{\min}})^2$ and
# $\mu = \big((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\big)^2$). With $\kappa = 100$, that is about ten times
# fewer steps. Counting the steps each takes to bring the loss below $10^{-8}$:

# %%
def steps_to_reach(losses, target=1e-8):
    return int(np.argmax(losses < target)) if (losses < target).any() else None


kappa, low, high = 100, 0.1, 10
settings = {
    "gradient descent, best lr": (optim.SGD, dict(lr=2 / (low + high))),
    "momentum, best lr and momentum": (optim.SGD, dict(lr=4 / (math.sqrt(high) + math.sqrt(low)) ** 2,
                                                        momentum=((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2)),
    "momentum, lr 0.05, momentum 0.9": (optim.SGD, dict(lr=0.05, momentum=0.9)),
    "Nesterov, lr 0.05, momentum 0.9": (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
}
reached = {}
for name, (optimizer_class, hyperparameters) in settings.items():
    _, losses = trajectory(quadratic, optimizer_class, 1000, **hyperparameters)
    reached[name] = steps_to_reach(losses)
    print(f"{name:32s} {reached[name]:4d} steps")
assert reached["momentum, best lr and momentum"] * 5 < reached["gradient descent, best lr"]

# %% [markdown]
# With their best settings, momentum needs about seven times fewer steps than gradient descent, not far
# from the promised ten. With the everyday settings ($\mu = 0.9$, not tuned to this bowl) momentum is
# slower than at its best but still far ahead of gradient descent, and Nesterov's look-ahead gains more:
# it damps the overshoot that a high momentum lets build up. Real losses are not quadratics and nobody
# knows their curvatures, but the lesson carries over: $\mu = 0.9$, with a learning rate smaller than
# plain SGD's, is the usual starting point for SGD with momentum.

# %% [markdown]
# ## 4. One step size per coordinate: AdaGrad and RMSprop
#
# Momentum still uses one learning rate for every parameter. But our valley has very different scales
# along $x$ and $y$, and so does a real network: some weights get large gradients, some tiny ones, some
# (e.g. the embedding of a rare word) only once in a while. The **adaptive** methods give each
# coordinate its own step, by dividing by a running measure of that coordinate's gradient size.
# Everything below is element-wise.
#
# **AdaGrad** divides by the root of the sum of all squared gradients so far
# (`minidl/optim/adagrad.py`):
#
# $$s_t = s_{t-1} + g_t^2, \qquad \theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{s_t} + \epsilon}.$$
#
# At the first step $\sqrt{s_1} = |g_1|$, so every coordinate moves by exactly $\eta$, whatever the size
# of its gradient: the steep $y$ and the flat $x$ get the same step. Coordinates with rare gradients
# keep a small $s$ and so a large step. The catch is that $s$ only grows, so every step size decays like
# $1/\sqrt{t}$, and for a long training run it can stall.
#
# **RMSprop** (Hinton's lecture notes, 2012) forgets: it divides by the root of an exponential moving
# average of squared gradients, with $\alpha = 0.99$ by default (`minidl/optim/rmsprop.py`):
#
# $$s_t = \alpha\, s_{t-1} + (1 - \alpha)\, g_t^2, \qquad \theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{s_t} + \epsilon}.$$
#
# Check AdaGrad's first step on the quadratic, where the gradient at $(-5, 2)$ is $(-0.5, 20)$:

# %%
theta = minidl.tensor([-5.0, 2.0], dtype=minidl.float64, requires_grad=True)
optimizer = optim.Adagrad([theta], lr=0.1)
quadratic(theta[0], theta[1]).backward()
print("gradient:", theta.grad.numpy())
optimizer.step()
step = theta.numpy() - np.array([-5.0, 2.0])
print("first AdaGrad step:", step.round(6))
assert np.allclose(np.abs(step), 0.1)

# %% [markdown]
# A gradient 40 times larger along $y$, and the same step along both axes: the division has undone the
# ill-conditioning. Notice the limit, though: it works because the valley here is aligned with the axes.
# A valley that runs diagonally (as Rosenbrock's does, below) mixes the two coordinates, and a
# per-coordinate scale cannot straighten it.

# %% [markdown]
# ## 5. Adam: momentum and RMSprop, with a bias correction
#
# **Adam** (Kingma and Ba, 2015) combines the two ideas: a moving average of the gradient (momentum)
# over a moving average of its square (RMSprop). With $\beta_1 = 0.9$, $\beta_2 = 0.999$ by default:
#
# $$m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \qquad m_0 = v_0 = 0,$$
#
# $$\hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
# \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.$$
#
# Why the hats? Because the averages start at 0, they are too small at first. With a constant gradient
# $g$, $m_t = (1 - \beta_1)(g + \beta_1 g + \dots + \beta_1^{t-1} g) = (1 - \beta_1^t)\, g$: dividing by
# $1 - \beta_1^t$ gives back $g$ exactly, and the same for $v_t$ and $g^2$. Without the correction the
# two errors do not cancel: at the first step $m_1 / \sqrt{v_1} = (1 - \beta_1)/\sqrt{1 - \beta_2} \approx 3.2$,
# so the very first step is more than three times the learning rate, at the moment when the averages
# know least. With it, $\hat m / \sqrt{\hat v} = 1$ for a constant gradient, and each coordinate moves by
# about $\eta$ per step, whatever the scale of its gradients.
#
# In `Adam.update` (`minidl/optim/adam.py`) both corrections are folded into the last two lines:
#
# ```python
# exp_avg *= beta1
# exp_avg += (1 - beta1) * grad
# exp_avg_sq *= beta2
# exp_avg_sq += (1 - beta2) * grad * grad
# step = state["step"]                      # 1 at the first step
# denominator = xp.sqrt(exp_avg_sq / (1 - beta2**step)) + group["eps"]
# param.sub_(group["lr"] / (1 - beta1**step) * exp_avg / denominator)
# ```
#
# Let us measure the step Adam takes when the gradient is always 1 (the loss is $\theta$ itself), and
# compare it with what the same rule without the hats would do:

# %%
theta = minidl.tensor([0.0], dtype=minidl.float64, requires_grad=True)
optimizer = optim.Adam([theta], lr=0.01)
corrected = []
for step in range(3000):
    before = theta.item()
    optimizer.zero_grad()
    theta.sum().backward()  # d theta / d theta = 1 at every step
    optimizer.step()
    corrected.append((before - theta.item()) / 0.01)

t = np.arange(1, 3001)
uncorrected = (1 - 0.9**t) / np.sqrt(1 - 0.999**t)  # m_t / sqrt(v_t) for a constant gradient of 1
print("Adam's steps / lr:", np.round(corrected[:3], 6), "...", round(corrected[-1], 6))
print("without correction, steps 1, 10, 100, 1000:", uncorrected[[0, 9, 99, 999]].round(2))
assert np.allclose(corrected, 1.0, atol=1e-5)

fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogx(t, uncorrected, label="without bias correction")
ax.semilogx(t, corrected, label="optim.Adam (corrected)")
ax.set(xlabel="step t", ylabel="step size / lr", title="Adam's steps for a constant gradient")
ax.legend()
plt.show()

# %% [markdown]
# Without the correction the steps are up to 6.5 times too large during the first hundred steps, and
# it takes thousands of steps (about $1/(1 - \beta_2)$) for the slow average $v$ to forget its zero
# start. With it, Adam's step is the learning rate from the first step on.
#
# The denominator also explains Adam's most useful property: multiplying the loss by 1000 multiplies
# $m$ by 1000 and $\sqrt{v}$ by 1000, so the steps do not change (as long as $\epsilon$ is negligible). The learning rate is a step size in
# parameter space, which is why `lr=1e-3` works for so many models.

# %% [markdown]
# ## 6. Weight decay: L2 regularization is not the same thing for Adam (AdamW)
#
# A common way to keep weights small is to add an L2 penalty to the loss,
# $\tilde L(\theta) = L(\theta) + \frac{\lambda}{2} \lVert \theta \rVert^2$, whose gradient is $g + \lambda\theta$.
# For SGD this is the same as shrinking the weights a little at every step, hence the name **weight
# decay**:
#
# $$\theta - \eta\,(g + \lambda \theta) = (1 - \eta\lambda)\,\theta - \eta\, g .$$
#
# That is what `weight_decay` does in `SGD`, `Adagrad`, `RMSprop` and `Adam`: it adds
# $\lambda\theta$ to the gradient. For Adam, though, the two are no longer the same. The term
# $\lambda\theta$ goes into $m$ and $v$ with the gradient and is divided by $\sqrt{\hat v}$ like the rest:
# a weight whose gradients are large is barely decayed, and one whose gradients are small is decayed
# hard. **AdamW** (Loshchilov and Hutter, 2019) *decouples* the decay: it shrinks the weights directly,
# then takes an Adam step with the plain gradient:
#
# $$\theta \leftarrow (1 - \eta\lambda)\,\theta, \qquad \text{then Adam's step with } g .$$
#
# In minidl, `AdamW` is `Adam` with one switch set, `decoupled_weight_decay = True`, which picks between
# the two lines in `Adam.update`:
#
# ```python
# if self.decoupled_weight_decay:
#     param.mul_(1 - group["lr"] * group["weight_decay"])       # AdamW
# else:
#     grad = grad + group["weight_decay"] * param.array         # Adam: L2, through m and v
# ```
#
# To see the difference, take two weights that both start at 1 and get gradients that carry no
# information, just noise: $\pm 10$ for the first and $\pm 0.1$ for the second, alternating in sign. Only
# the weight decay should move them. 500 steps with `lr=0.01` and `weight_decay=0.1`:

# %%
sigma = minidl.tensor([10.0, 0.1], dtype=minidl.float64)
for optimizer_class in [optim.Adam, optim.AdamW]:
    theta = minidl.tensor([1.0, 1.0], dtype=minidl.float64, requires_grad=True)
    optimizer = optimizer_class([theta], lr=0.01, weight_decay=0.1)
    for step in range(500):
        optimizer.zero_grad()
        sign = 1.0 if step % 2 == 0 else -1.0  # the gradient is +sigma, -sigma, +sigma, ...
        (sign * sigma * theta).sum().backward()
        optimizer.step()
    print(f"{optimizer_class.__name__:5s} weights after 500 steps: {theta.numpy().round(3)}")
print(f"(1 - lr * weight_decay) ** 500 = {(1 - 0.01 * 0.1) ** 500:.3f}")

# %% [markdown]
# With Adam's L2, the weight with the large gradients keeps about 94% of its size and the quiet one
# shrinks to almost nothing: how much a weight is regularized depends on its gradient statistics, which
# is not what anyone asks for when they set `weight_decay`. AdamW shrinks both alike, by about
# $(1 - \eta\lambda)^{500} \approx 0.61$ (the rest is the small wiggle of the noise steps). This
# predictable decay is one reason why AdamW, with a decay like $10^{-2}$ (its default), is the usual
# choice for training transformers.

# %% [markdown]
# ## 7. The race: paths on two surfaces
#
# Time to see them side by side. Each path below is a real run of a `minidl.optim` class on a parameter
# $\theta = (x, y)$, made by `widgets.surfaces.trajectory`: the loop of section 1 (`zero_grad`,
# `f(x, y).backward()`, `step`), recording every point. The top row is our ill-conditioned bowl, 100
# steps. The bottom row is **Rosenbrock's function** $(1 - x)^2 + 100\,(y - x^2)^2$, 500 steps: a curved
# valley with a nearly flat floor and its minimum at $(1, 1)$, a classic test that is easy to enter and
# hard to follow. Each optimizer gets a learning rate that suits it on each surface (in the titles): the
# same number means very different things to SGD (a multiple of the gradient) and to the adaptive
# methods (roughly a step length).

# %%
race = {
    "quadratic": (100, {"SGD": (optim.SGD, dict(lr=0.18)),
                        "Momentum": (optim.SGD, dict(lr=0.05, momentum=0.9)),
                        "Nesterov": (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
                        "Adagrad": (optim.Adagrad, dict(lr=1.0)),
                        "RMSprop": (optim.RMSprop, dict(lr=0.1)),
                        "Adam": (optim.Adam, dict(lr=0.3))}),
    "rosenbrock": (500, {"SGD": (optim.SGD, dict(lr=0.001)),
                         "Momentum": (optim.SGD, dict(lr=0.001, momentum=0.9)),
                         "Nesterov": (optim.SGD, dict(lr=0.001, momentum=0.9, nesterov=True)),
                         "Adagrad": (optim.Adagrad, dict(lr=0.3)),
                         "RMSprop": (optim.RMSprop, dict(lr=0.01)),
                         "Adam": (optim.Adam, dict(lr=0.05))}),
}
colors = {"SGD": "tab:blue", "Momentum": "tab:orange", "Nesterov": "tab:brown", "Adagrad": "tab:olive",
          "RMSprop": "tab:purple", "Adam": "tab:red", "AdamW": "tab:pink"}  # as in the playground

fig, axes = plt.subplots(2, 6, figsize=(13, 4.8), layout="constrained")
final = {}
for row, (name, (steps, runs)) in zip(axes, race.items()):
    surface = SURFACES[name]
    grid_x, grid_y, grid_z = surface.grid()
    for ax, (label, (optimizer_class, hyperparameters)) in zip(row, runs.items()):
        path, losses = trajectory(surface, optimizer_class, steps, **hyperparameters)
        final[name, label] = losses[-1]
        ax.contour(grid_x, grid_y, grid_z, levels=np.geomspace(1e-3, grid_z.max(), 15), colors="grey",
                   linewidths=0.4)
        ax.plot(path[:, 0], path[:, 1], ".-", color=colors[label], markersize=2, linewidth=0.8)
        ax.plot(*surface.start, "X", color="black", markersize=6)
        ax.plot(*np.transpose(surface.minima), "*", color="gold", markersize=11, markeredgecolor="black")
        ax.set(xlim=surface.x_range, ylim=surface.y_range, xticks=[], yticks=[])
        ax.set_title(f"{label}, lr {hyperparameters['lr']}\nloss {losses[-1]:.2g}", fontsize=9)
    row[0].set_ylabel(f"{name}\n{steps} steps")
plt.show()

for name, (steps, runs) in race.items():
    print(f"{name:10s} loss after {steps} steps: " + ", ".join(f"{label} {final[name, label]:.2g}" for label in runs))
assert final["quadratic", "SGD"] > 100 * max(final["quadratic", label] for label in ["Adagrad", "RMSprop"])
assert final["rosenbrock", "Momentum"] < final["rosenbrock", "SGD"] / 100

# %% [markdown]
# What to look for:
#
# - **On the bowl**, SGD crosses the narrow direction in a few zigzags, then crawls along $x$: after 100
#   steps it is still at $x \approx -0.8$. Momentum overshoots in wide swings (the ball is heavy), but
#   its speed along the valley takes it to the minimum; Nesterov's look-ahead damps the swings after the
#   first one. AdaGrad and RMSprop head almost straight at the minimum: dividing each coordinate by its
#   gradient size undoes the bowl's stretching. Adam does the same but carries momentum in $m$, so it
#   overshoots a little and comes back.
# - **On Rosenbrock**, everything drops quickly to the valley floor (the walls are steep, the gradient is
#   large; AdaGrad's first step, $\eta$ along each axis whatever the gradient's proportions, even goes up
#   the wall before coming down), and then the real work begins: following a curved, nearly flat floor. SGD, with a learning
#   rate small enough for the walls, barely moves along it. Momentum and Nesterov build up speed along
#   the floor and reach the minimum. The adaptive methods follow the floor but more slowly: the valley is
#   curved, so it is not aligned with the axes, and a per-coordinate step size helps less there.
#
# None of this ranks the optimizers in general: on another surface, or with other learning rates, the
# order changes. The playground below is there to find that out for yourself.

# %% [markdown]
# ## 8. The optimizer playground
#
# `OptimizerPlayground` runs the same real optimizers live: pick a surface, tick optimizers, and move
# the sliders (learning rate, momentum, Adam's $\beta_1$ and $\beta_2$, the number of steps); the paths
# and loss curves are recomputed by minidl at each change. All optimizers share the one learning rate,
# on purpose: it shows how differently the same number acts on each. Choosing a surface resets the
# learning rate to one where plain SGD makes visible progress. Some things to try:
#
# - On **quadratic**, push the learning rate past 0.2 and watch SGD diverge (section 1's limit); tick
#   Adagrad and RMSprop and find the rate at which they do best.
# - On **rosenbrock**, raise momentum from 0 to 0.99: when does the ball start to fly off the valley?
# - On **saddle**, the start lies almost exactly on the ridge through the saddle point: which optimizers
#   escape it, and how fast?
# - On **himmelblau**, with four minima: does every optimizer end in the same one?
# - Adam's $\beta_2$ at 0.9 versus 0.9999: how quickly does its step size react?
#
# (In the saved notebook you see a still picture of the widget; run the cell to get the live one.)

# %% tags=["nbval-ignore-output"]
OptimizerPlayground("rosenbrock", optimizers=("SGD", "Momentum", "Adam"), steps=300)

# %% [markdown]
# ## 9. Learning-rate schedules
#
# Section 2 ended with SGD wandering around the minimum: near the bottom, the step $\eta \hat g$ is
# mostly noise, and only a smaller $\eta$ lets it settle. Early in training, on the other hand, a large
# $\eta$ covers ground fast. So the learning rate is usually changed as training goes on, by a
# **schedule**. In `minidl.optim.lr_scheduler`, as in PyTorch, a scheduler wraps an optimizer, counts
# epochs in `last_epoch`, and at each `step()` writes a new `lr` into every parameter group. Its one
# method to write is `get_lr()`, the learning rate of each group at epoch `last_epoch`. With $\eta_0$
# the starting rate and $e$ the epoch:
#
# | scheduler | $\eta(e)$ | idea |
# | --- | --- | --- |
# | `StepLR(step_size=s, gamma=γ)` | $\eta_0\, \gamma^{\lfloor e / s \rfloor}$ | divide by 10 every $s$ epochs (the classic ImageNet recipe) |
# | `ExponentialLR(gamma=γ)` | $\eta_0\, \gamma^{e}$ | a smooth version of the same |
# | `CosineAnnealingLR(T_max=T, eta_min=η_min)` | $\eta_{\min} + (\eta_0 - \eta_{\min})\,\frac{1 + \cos(\pi e / T)}{2}$ | half a cosine: slow at first, fast in the middle, gentle landing |
# | `OneCycleLR(max_lr, total_steps)` | up from $\eta_{\max}/25$ to $\eta_{\max}$ over 30% of the steps, then down to almost 0 | warm up, then anneal (Smith, 2018); stepped per batch, and it moves momentum the other way |
#
# The **warm-up** at the start of `OneCycleLR` has its own reason: at the first steps the weights are
# random, the gradients can be large and, for Adam, the estimate $\hat v$ rests on a handful of
# gradients. Starting with small steps avoids a bad jump that training may not recover from. Here is
# each schedule's learning rate over 100 epochs, read from the optimizer as a training loop would see it:

# %%
def lr_curve(make_scheduler, epochs=100, lr=0.1):
    """The lr an optimizer has at each of `epochs` epochs under the scheduler that make_scheduler builds."""
    optimizer = optim.SGD([minidl.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    rates = []
    for epoch in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    return rates


schedules = {
    "StepLR(step_size=30, gamma=0.1)": lambda o: StepLR(o, step_size=30, gamma=0.1),
    "ExponentialLR(gamma=0.96)": lambda o: ExponentialLR(o, gamma=0.96),
    "CosineAnnealingLR(T_max=100)": lambda o: CosineAnnealingLR(o, T_max=100),
    "OneCycleLR(max_lr=0.1, total_steps=100)": lambda o: OneCycleLR(o, max_lr=0.1, total_steps=100),
}
fig, ax = plt.subplots(figsize=(7, 3.4))
for name, make_scheduler in schedules.items():
    rates = lr_curve(make_scheduler)
    ax.plot(rates, label=name)
    print(f"{name:40s} lr at epochs 0, 25, 50, 99: " + ", ".join(f"{rates[e]:.4f}" for e in (0, 25, 50, 99)))
ax.set(xlabel="epoch", ylabel="learning rate", title="learning-rate schedules (starting lr 0.1)")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# A scheduler is stepped once per epoch, after the epoch's optimizer steps (`minidl.fit` takes one as
# `scheduler=`), except `OneCycleLR`, which counts batches. Back to the line of section 2: SGD with
# batches of 1, once with a constant learning rate and once with a cosine schedule over the same 10
# epochs:

# %%
_, constant = fit_line(1, lr=0.05, epochs=10)
_, annealed = fit_line(1, lr=0.05, epochs=10, scheduler=lambda o: CosineAnnealingLR(o, T_max=10))
print("loss above the minimum after each epoch")
print("  constant lr 0.05:", " ".join(f"{gap:.4f}" for gap in constant - best_loss))
print("  cosine from 0.05:", " ".join(f"{gap:.4f}" for gap in annealed - best_loss))
assert annealed[-1] - best_loss < (constant[-1] - best_loss) / 5

# %% [markdown]
# For the first epochs the two runs are nearly the same (the cosine starts out flat). Then the constant
# rate keeps bouncing, up to 0.19 above the minimum, while the annealed one takes ever smaller steps and
# settles within 0.001 of it.

# %% [markdown]
# ## 10. The optimizers on MNIST
#
# Surfaces in two dimensions are good for intuition, but networks have many thousands of dimensions.
# Let us train the same small network on the bundled MNIST subset (6,000 training and 1,000 test
# images) with each optimizer, **from the same initial weights** and with the **same batches in the same
# order**, so that the optimizer is the only thing that changes. The initial weights are saved once
# from `model.state_dict()` and loaded again before each run. (`state_dict()` hands out the model's own
# arrays, detached from the graph but shared, so we keep copies: `clone()`.)

# %%
train_set, test_set = MNIST(subset="small"), MNIST(train=False, subset="small")
test_loader = DataLoader(test_set, batch_size=1000)
loss_fn = nn.CrossEntropyLoss()

minidl.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
initial_weights = {name: value.clone() for name, value in model.state_dict().items()}

contenders = {
    "SGD": lambda params: optim.SGD(params, lr=0.1),
    "Momentum": lambda params: optim.SGD(params, lr=0.05, momentum=0.9),
    "Nesterov": lambda params: optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True),
    "Adagrad": lambda params: optim.Adagrad(params, lr=0.05),
    "RMSprop": lambda params: optim.RMSprop(params, lr=1e-3),
    "Adam": lambda params: optim.Adam(params, lr=1e-3),
    "AdamW": lambda params: optim.AdamW(params, lr=1e-3, weight_decay=1e-2),
}
epochs = 5
step_losses, test_accuracy = {}, {}
for name, make_optimizer in contenders.items():
    model.load_state_dict(initial_weights)
    optimizer = make_optimizer(model.parameters())
    minidl.manual_seed(1)  # the same shuffles for every optimizer
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    losses = []
    for epoch in range(epochs):
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    step_losses[name] = np.array(losses)
    test_accuracy[name] = minidl.evaluate(model, test_loader)["accuracy"]

print(f"{'optimizer':10s} {'last-epoch train loss':>22s} {'test accuracy':>14s}")
steps_per_epoch = len(step_losses["SGD"]) // epochs
for name in contenders:
    print(f"{name:10s} {step_losses[name][-steps_per_epoch:].mean():22.3f} {test_accuracy[name]:14.1%}")
assert min(test_accuracy.values()) > 0.85 and test_accuracy["Adam"] > 0.9

# %%
fig, ax = plt.subplots(figsize=(8, 4))
window = 20
for name, losses in step_losses.items():
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    ax.plot(np.arange(window, len(losses) + 1), smooth, label=f"{name} ({test_accuracy[name]:.1%})",
            color=colors[name], linestyle="--" if name in ("Nesterov", "AdamW") else "-")
for epoch in range(1, epochs):
    ax.axvline(epoch * steps_per_epoch, color="grey", linewidth=0.5)
ax.set(xlabel="step (batch of 64)", ylabel=f"training loss (mean of {window} steps)", ylim=(0, 1.5),
       title=f"one MLP, same initial weights, {epochs} epochs on 6,000 MNIST digits (test accuracy)")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# With these settings, all of them learn, and in three epochs the methods with momentum or an adaptive
# step are ahead of plain SGD. Nesterov follows momentum closely, and AdamW follows Adam: a decay of
# $10^{-2}$ at a learning rate of $10^{-3}$ shrinks the weights by a factor of only $0.99999$ per step,
# which shows over long runs, not over these 470 steps.
#
# Take the ranking with a grain of salt: each optimizer got one learning rate, picked as a common
# default, and a short run rewards the fast starters. A fair comparison tunes each one's learning rate
# (and schedule) separately, and compares test accuracy after training to the end. What does hold in
# practice: SGD with momentum and a good schedule is hard to beat on convolutional networks given time to
# tune; Adam and AdamW are forgiving, work with their default learning rate on most problems, and are the
# usual choice for transformers.

# %% [markdown]
# ## 11. Gradient clipping
#
# One last tool, which is not an optimizer but sits right before `optimizer.step()`. Sometimes a single
# batch produces a huge gradient (a steep cliff in the loss, a recurrent network whose gradients
# explode), and one step of $\eta g$ throws the parameters far away. **Clipping by global norm** caps
# the size of the gradient while keeping its direction. With all gradients of all parameters seen as one
# long vector $g$ and a threshold $c$:
#
# $$\lVert g \rVert = \sqrt{\textstyle\sum_{\text{parameters}} \sum_{\text{entries}} g^2}, \qquad
# g \leftarrow g \cdot \min\!\Big(1, \frac{c}{\lVert g \rVert}\Big).$$
#
# `minidl.nn.utils.clip_grad_norm_(parameters, max_norm)` does this in place and returns
# $\lVert g \rVert$ from before the clipping (useful to log: a norm that keeps growing is an early sign of
# trouble). On Rosenbrock, SGD with `lr=0.01` is too aggressive for the steep walls:

# %%
rosenbrock = SURFACES["rosenbrock"]
path, _ = trajectory(rosenbrock, optim.SGD, 300, lr=0.01)
print(f"SGD without clipping: the loss overflows after {len(path)} steps")

theta = minidl.tensor(rosenbrock.start, dtype=minidl.float64, requires_grad=True)
optimizer = optim.SGD([theta], lr=0.01)
norms = []
for step in range(300):
    optimizer.zero_grad()
    loss = rosenbrock(theta[0], theta[1])
    loss.backward()
    norms.append(clip_grad_norm_([theta], max_norm=1.0).item())  # between backward and step
    optimizer.step()
print(f"SGD with clip_grad_norm_(max_norm=1): loss {loss.item():.3f} at {theta.numpy().round(3)}; "
      f"gradient norm {norms[0]:.0f} at the start, clipped to 1")
assert np.isfinite(loss.item()) and loss.item() < 0.5

# %% [markdown]
# Clipped, every step is at most $\eta c = 0.01$ long: the first steps, where the raw gradient has a norm
# of 233, no longer throw the point out of the picture, and once inside the valley the gradients are small
# enough to pass unchanged.

# %% [markdown]
# ## Summary
#
# | optimizer | update (element-wise) | minidl |
# | --- | --- | --- |
# | SGD | $\theta \leftarrow \theta - \eta g$ | `optim.SGD(params, lr)` |
# | momentum | $b \leftarrow \mu b + g$; $\theta \leftarrow \theta - \eta b$ | `optim.SGD(params, lr, momentum=0.9)` |
# | Nesterov | $b \leftarrow \mu b + g$; $\theta \leftarrow \theta - \eta (g + \mu b)$ | `optim.SGD(..., nesterov=True)` |
# | AdaGrad | $s \leftarrow s + g^2$; $\theta \leftarrow \theta - \eta g / (\sqrt{s} + \epsilon)$ | `optim.Adagrad(params, lr)` |
# | RMSprop | $s \leftarrow \alpha s + (1-\alpha) g^2$; $\theta \leftarrow \theta - \eta g / (\sqrt{s} + \epsilon)$ | `optim.RMSprop(params, lr)` |
# | Adam | $m, v$ moving averages of $g, g^2$; $\theta \leftarrow \theta - \eta \hat m / (\sqrt{\hat v} + \epsilon)$ | `optim.Adam(params, lr=1e-3)` |
# | AdamW | $\theta \leftarrow (1 - \eta\lambda)\theta$, then Adam | `optim.AdamW(params, lr, weight_decay)` |
#
# - Gradient descent is limited by the condition number: the steepest direction caps the learning rate,
#   the flattest sets the speed.
# - Mini-batches make each step cheap and noisy; the noise stops SGD from settling unless the learning
#   rate decays, which is one job of a schedule.
# - Momentum accumulates consistent directions and cancels oscillating ones; adaptive methods rescale
#   each coordinate by its gradient size; Adam does both, and its bias correction makes the first steps
#   the right size.
# - For Adam, weight decay belongs outside the adaptive step: that is AdamW.
# - Every optimizer in minidl is one `update(param, grad, state, group)` method; a schedule is one
#   `get_lr()`.

# %% [markdown]
# ## Exercises
#
# Each exercise gives you the frame and asks for the heart of one piece of this chapter. Replace
# `raise NotImplementedError()` with your code and run the check below it: it runs your code on real
# cases, compares it with minidl's own implementation, and tells you what went wrong if anything did.
#
# ### Exercise 1: momentum, as an `Optimizer`
#
# Write the `update` method of `MomentumSGD`, SGD with (non-Nesterov) momentum:
# $b \leftarrow \mu b + g$, then $\theta \leftarrow \theta - \eta b$, with $b$ starting at 0. `update`
# is called once per parameter per step with the parameter (`param`, a Tensor to change in place with
# `param.sub_(...)`), its gradient (`grad`, a NumPy array), the parameter's own `state` dict (empty at the
# first step, yours to fill) and its parameter `group` (read `group["lr"]` and `group["momentum"]` from
# it). The check runs your class beside `optim.SGD(momentum=...)` for several steps on a least-squares
# problem, with several settings and with two parameter groups.

# %%
class MomentumSGD(Optimizer):
    """SGD with momentum: b = momentum * b + grad; param = param - lr * b."""

    def __init__(self, params, lr=1e-3, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def update(self, param, grad, state, group):
        # Keep the velocity b in state["momentum_buffer"] (start it at zeros shaped like grad),
        # update it with this step's gradient, then move param by -lr * b, in place.
        # BEGIN SOLUTION
        buffer = state.setdefault("momentum_buffer", np.zeros_like(grad))
        buffer *= group["momentum"]
        buffer += grad
        param.sub_(group["lr"] * buffer)
        # END SOLUTION


# %%
check_momentum_sgd(MomentumSGD)

# %% [markdown]
# ### Exercise 2: Adam, with its bias correction
#
# Write the `update` method of `MyAdam`: keep a step counter $t$ and the moving averages $m$ and $v$ in
# `state`, then take the bias-corrected step of section 5:
#
# $$m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
# \theta \leftarrow \theta - \eta\, \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}.$$
#
# Keep $m$ and $v$ themselves in `state`; the corrected values are for this step only. The check
# compares your steps with `optim.Adam`'s and recognizes the usual slips in the correction.

# %%
class MyAdam(Optimizer):
    """Adam: bias-corrected moving averages of the gradient and of its square."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    def update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        # At the first call, state is empty: start state["step"] at 0 and state["m"], state["v"] at zeros.
        # Count this step (t = 1 at the first step), update m and v, correct them, and move param in place.
        # BEGIN SOLUTION
        if not state:
            state.update(step=0, m=np.zeros_like(grad), v=np.zeros_like(grad))
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        param.sub_(group["lr"] * m_hat / (np.sqrt(v_hat) + group["eps"]))
        # END SOLUTION


# %%
check_adam(MyAdam)

# %% [markdown]
# ### Exercise 3: a warm-up, then a cosine
#
# Large models are often trained with a linear warm-up followed by a cosine decay. Write the `get_lr`
# method of the scheduler `WarmupCosineLR`. With $t$ = `self.last_epoch` (the scheduler counts steps),
# $W$ = `warmup_steps`, $T$ = `total_steps` and $\eta_0$ each group's starting lr (the list
# `self.base_lrs`, one per parameter group):
#
# $$\eta(t) = \begin{cases} \eta_0\, t / W & \text{if } t < W, \\
# \eta_{\min} + (\eta_0 - \eta_{\min})\, \dfrac{1 + \cos\big(\pi\, (t - W)/(T - W)\big)}{2} & \text{if } t \ge W. \end{cases}$$
#
# After the warm-up this is exactly `CosineAnnealingLR(T_max=T - W, eta_min=min_lr)`, and the check
# uses minidl's `CosineAnnealingLR` to build the expected values. `warmup_steps` may be 0.

# %%
class WarmupCosineLR(LRScheduler):
    """A linear warm-up from 0 over warmup_steps, then half a cosine down to min_lr at total_steps."""

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0):
        self.warmup_steps, self.total_steps, self.min_lr = warmup_steps, total_steps, min_lr
        super().__init__(optimizer)  # this sets self.base_lrs and calls step(), which calls get_lr()

    def get_lr(self):
        # Return a list with one lr per entry of self.base_lrs, for step t = self.last_epoch.
        # BEGIN SOLUTION
        t, warmup, total = self.last_epoch, self.warmup_steps, self.total_steps
        if t < warmup:
            return [base_lr * t / warmup for base_lr in self.base_lrs]
        cosine = (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2
        return [self.min_lr + (base_lr - self.min_lr) * cosine for base_lr in self.base_lrs]
        # END SOLUTION


# %%
check_warmup_cosine(WarmupCosineLR)

# %% [markdown]
# ### Exercise 4: clipping by global norm
#
# Write `clip_grad_norm(parameters, max_norm)`, section 11's clipping: compute the norm of all the
# gradients together (skip parameters whose `.grad` is None), and if it exceeds `max_norm`, multiply
# every gradient by `max_norm / (total_norm + 1e-6)`, in place (`param.grad.mul_(scale)`), so that they
# all keep their direction. Return the total norm from before the clipping, as a number. The check
# compares your function with `minidl.nn.utils.clip_grad_norm_` on the same gradients.

# %%
def clip_grad_norm(parameters, max_norm):
    """Scale all gradients together so that their joint 2-norm is at most max_norm; return that norm before."""
    # Collect the gradients, compute total_norm over all of them, scale them down only if it is too large.
    # BEGIN SOLUTION
    grads = [param.grad for param in parameters if param.grad is not None]
    total_norm = math.sqrt(sum(float((grad.numpy() ** 2).sum()) for grad in grads))
    if total_norm > max_norm:
        for grad in grads:
            grad.mul_(max_norm / (total_norm + 1e-6))
    return total_norm
    # END SOLUTION


# %%
check_clip_grad_norm(clip_grad_norm)
