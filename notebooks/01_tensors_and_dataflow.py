# %% [markdown]
# # 01 · Tensors and dataflow
#
# Everything a neural network computes is **tensors flowing through operations**: a batch of
# images goes in, is multiplied by weights, has a bias added, passes through a nonlinearity, and
# so on until a loss comes out. This chapter is about the two halves of that sentence.
#
# 1. **Tensors**: what one is (values, a shape, a dtype, a device), how to make, reshape and
#    index them, and what images look like as tensors.
# 2. **Broadcasting**: how an operation combines tensors of different shapes, by three rules,
#    and the silent bug it can cause.
# 3. **Dataflow**: the vocabulary of a dataflow graph (operations, inputs, outputs, variables),
#    and why data flows through it in **batches** rather than one sample at a time.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minidl
from minidl import graph as G
from minidl.data import DataLoader
from minidl.datasets import MNIST
from minidl.exercises.tensors import check_broadcast_shape, check_one_hot, check_standardize, check_unbroadcast
from widgets import GraphView

minidl.manual_seed(0)  # minidl's random numbers (randn, ...) repeat from here
rng = np.random.default_rng(0)  # and so do NumPy's

# %% [markdown]
# ## 1. A tensor: values with a shape and a dtype
#
# A tensor is an $n$-dimensional array of numbers of one type. The number of dimensions is its
# **rank** (`ndim`), and its **shape** lists the size of each dimension:
#
# | rank | name | example | shape |
# | --- | --- | --- | --- |
# | 0 | scalar | a loss | `()` |
# | 1 | vector | the bias of a layer | `(10,)` |
# | 2 | matrix | the weights of a layer; a batch of feature vectors | `(784, 10)`; `(64, 784)` |
# | 4 | batch of images | 64 grey 28 × 28 images | `(64, 1, 28, 28)` |

# %%
scalar = minidl.tensor(3.5)
vector = minidl.tensor([1.0, 2.0, 3.0])
matrix = minidl.tensor([[1, 2, 3], [4, 5, 6]])
for name, t in [("scalar", scalar), ("vector", vector), ("matrix", matrix)]:
    print(f"{name:6}  shape={str(t.shape):7} ndim={t.ndim}  numel={t.numel()}  dtype={t.dtype}")
matrix

# %% [markdown]
# Besides writing values out, tensors are made filled (`zeros`, `ones`, `full`), counted
# (`arange`), as identity matrices (`eye`), at random (`rand`, `randn`: seeded by
# `minidl.manual_seed`, so they repeat), or from a NumPy array:

# %%
print(minidl.zeros(2, 3))
print(minidl.arange(5))
print(minidl.randn(2, 3))
print(minidl.tensor(np.array([[1.5, 2.5]])))

# %% [markdown]
# ### dtypes: float32 unless told otherwise
#
# A Python float becomes a **float32** tensor, as in PyTorch, while NumPy would make it float64.
# float32 keeps about 7 significant digits, which is plenty for learning: the noise of training
# on random batches is far larger than its rounding. In exchange it takes half the memory and
# half the memory traffic of float64, and GPUs compute with it many times faster. Whole numbers
# become **int64**, the type of labels and indices, and comparisons give **bool**.

# %%
print("minidl:", minidl.tensor([0.1]).dtype, minidl.tensor([1, 2]).dtype, (minidl.tensor([1, 2]) > 1).dtype)
print("NumPy: ", np.array([0.1]).dtype)
print("float32 resolution near 1:", np.finfo(np.float32).eps)
print("1 + 1e-8 == 1 in float32:", (minidl.tensor(1.0) + 1e-8).item() == 1.0)

# %% [markdown]
# Converting is explicit: `.to(minidl.float64)`, `.float()` (float32), `.long()` (int64).
# Mixing types follows NumPy's promotion rules, with one exception borrowed from PyTorch: an
# integer tensor times a Python float is float32. A NumPy array keeps its dtype when it becomes a
# tensor, which is a classic way to end up computing in float64 without noticing:

# %%
labels = minidl.tensor([0, 3, 1])
print((labels * 0.5).dtype, labels.float().dtype, labels.to(minidl.float64).dtype)
from_numpy = minidl.tensor(rng.random(3))  # NumPy's random numbers are float64
print(from_numpy.dtype, "->", from_numpy.float().dtype)

# %% [markdown]
# ### Shapes: reshape, view, flatten, transpose
#
# In memory a tensor's values lie in one row, the last index changing fastest ("row-major"
# order). `reshape` reads them in that order and lays them out in a new shape; one size may be
# `-1`, meaning "whatever is left". `view` is another name for it.

# %%
x = minidl.arange(12)
print(x.reshape(3, 4))
print(x.reshape(2, -1, 3).shape, x.reshape(3, 4).flatten().shape)

# %% [markdown]
# Here the reshape copied nothing: the result is a **view** that shares the values of the
# original, so writing through one changes the other. (A reshape copies only when the values are
# not lying in the order it needs, for instance after a transpose.) When you need an independent
# copy, use `.clone()`. Transposing (`.T`, `transpose`, `permute`) gives a view too: only the
# order in which the values are read changes.

# %%
grid = x.view(3, 4)
grid[0, 0] = 100
print("x after writing into the view:", x[:4])
print("grid.T shape:", grid.T.shape)
image_hwc = minidl.zeros(28, 28, 3)              # height, width, channels (how image files store it)
print("HWC -> CHW:", image_hwc.permute(2, 0, 1).shape)  # channels first (what conv layers expect)

# %% [markdown]
# `unsqueeze(dim)` inserts a dimension of size 1 and `squeeze` removes them. They change
# nothing about the values, but, as section 3 shows, they change how tensors combine.

# %%
v = minidl.tensor([1.0, 2.0, 3.0])
print(v.shape, v.unsqueeze(0).shape, v.unsqueeze(1).shape, v.unsqueeze(1).squeeze().shape)

# %% [markdown]
# ### Indexing
#
# Indexing works as in NumPy. Integers and slices pick parts (and give views); a list of
# indices or a boolean mask picks elements (and gives a copy).

# %%
m = minidl.arange(12).reshape(3, 4)
print(m)
print("m[1]       ", m[1])
print("m[:, 2]    ", m[:, 2])
print("m[1:, ::2] ", m[1:, ::2].tolist())
print("m[[0, 2]]  ", m[[0, 2]].tolist())
print("m[m > 8]   ", m[m > 8])
print("m[:, None] ", m[:, None].shape)

# %% [markdown]
# ## 2. Images as tensors
#
# minidl comes with a small part of MNIST (6,000 handwritten digits for training, 1,000 for
# testing), so everything here runs offline. The dataset keeps the raw images as one uint8
# array; asking for one sample gives a float32 tensor scaled to $[0, 1]$ with a **channel**
# dimension in front (grey images have one channel, colour images three), and its label.
# A `DataLoader` stacks samples into **batches**, and the batch dimension comes first:
# 64 images make a tensor of shape `(64, 1, 28, 28)`.

# %%
train = MNIST(subset="small")
image, label = train[0]
print("raw images:", train.data.shape, train.data.dtype)
print("one sample:", image.shape, image.dtype, f"values in [{image.min().item():.0f}, {image.max().item():.0f}]",
      "label", label)
images, labels = next(iter(DataLoader(train, batch_size=64)))
print("one batch: ", images.shape, labels.shape, labels.dtype)

# %% [markdown]
# Ops on these tensors are ordinary computations. With a mask (`labels == digit`), indexing and
# a mean over the batch dimension, we get the **average image of each digit** over all 6,000
# training images: ten small programs of three operations each.

# %%
all_images = minidl.tensor(train.data).float() / 255  # (6000, 28, 28), float32 in [0, 1]
all_labels = minidl.tensor(train.targets)
average = minidl.stack([all_images[all_labels == digit].mean(dim=0) for digit in range(10)])
print("averages:", average.shape)

figure, axes = plt.subplots(2, 10, figsize=(9, 2.2))
for digit in range(10):
    axes[0, digit].imshow(images[digit, 0].numpy(), cmap="gray_r")
    axes[0, digit].set_title(f"label {labels[digit].item()}", fontsize=8)
    axes[1, digit].imshow(average[digit].numpy(), cmap="gray_r")
    axes[1, digit].set_title(f"mean of {digit}s", fontsize=8)
for ax in axes.flat:
    ax.set_axis_off()
figure.tight_layout()
plt.show()

# %% [markdown]
# Top: the first ten images of the batch. Bottom: the average of each digit's images. Each
# picture is nothing more than a $28 \times 28$ slice of a tensor.
#
# ## 3. Broadcasting
#
# Adding a bias of shape `(4,)` to a batch of shape `(3, 4)` should add it to every row. Writing
# a loop, or copying the bias three times, would be slow and wordy; instead, element-wise
# operations **broadcast**: they stretch the smaller tensor to the larger one's shape, without
# copying anything. Two shapes are lined up **from the right**, and then, dimension by dimension:
#
# 1. a missing dimension counts as size 1 (so `(4,)` acts as `(1, 4)`);
# 2. two sizes are compatible when they are equal or one of them is 1;
# 3. a size 1 is stretched to the other size (the value is repeated along that dimension).
#
# In symbols, for sizes $a$ and $b$ in the same position the result has size
# $$n = \begin{cases} a & \text{if } b = 1 \text{ or } a = b \\ b & \text{if } a = 1 \\
# \text{error} & \text{otherwise.} \end{cases}$$

# %%
batch = minidl.arange(12.0).reshape(3, 4)
bias = minidl.tensor([100.0, 200.0, 300.0, 400.0])
print("(3, 4) + (4,):\n", batch + bias)
column = minidl.tensor([[0.0], [10.0], [20.0]])
row = minidl.tensor([[0.0, 1.0, 2.0, 3.0]])
print("(3, 1) + (1, 4):\n", column + row)
try:
    batch + minidl.tensor([1.0, 2.0, 3.0])
except ValueError as error:
    print("(3, 4) + (3,):", error)

# %% [markdown]
# The second example is the **outer sum**: a column and a row stretch into a full table. Drawn
# out, with the stretched (never copied) values faded:

# %%
def draw_grid(ax, values, real_shape, title):
    """Draw `values` as a table of cells; cells beyond `real_shape` are stretched copies (faded)."""
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            real = i < real_shape[0] and j < real_shape[1]
            ax.add_patch(plt.Rectangle((j, -i), 1, -1, facecolor="#cfe8fc" if real else "#f3f3f3",
                                       edgecolor="#333333" if real else "#bbbbbb",
                                       linestyle="-" if real else "--"))
            ax.text(j + 0.5, -i - 0.5, f"{values[i, j]:g}", ha="center", va="center",
                    color="black" if real else "#999999", fontsize=10)
    ax.set_xlim(-0.1, 4.1)
    ax.set_ylim(-3.1, 0.1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)


column_values, row_values = column.numpy(), row.numpy()
figure, axes = plt.subplots(1, 3, figsize=(9, 2.4), gridspec_kw={"wspace": 0.3})
draw_grid(axes[0], np.broadcast_to(column_values, (3, 4)), column_values.shape, "column (3, 1), stretched to (3, 4)")
draw_grid(axes[1], np.broadcast_to(row_values, (3, 4)), row_values.shape, "row (1, 4), stretched to (3, 4)")
draw_grid(axes[2], (column + row).numpy(), (3, 4), "column + row: (3, 4)")
for left, right, sign in [(axes[0], axes[1], "+"), (axes[1], axes[2], "=")]:
    middle = (left.get_position().x1 + right.get_position().x0) / 2
    figure.text(middle, 0.42, sign, fontsize=20, ha="center", va="center")
plt.show()

# %% [markdown]
# `minidl.broadcast_to(column, (3, 4))` makes the stretching explicit; it too is a view, in
# which the repeated values all point to the same memory.
#
# ### The classic broadcasting bug
#
# Broadcasting never complains when shapes fit, even when they fit by accident. A model with one
# output unit predicts a tensor of shape `(N, 1)`; the targets usually come as `(N,)`. Their
# difference is then `(N, 1) - (N,)` = `(N, N)`: every prediction minus every target. The loss
# is still one number, just a wrong one:

# %%
target = minidl.tensor([1.0, 2.0, 3.0, 4.0])
prediction = target.reshape(4, 1) + 0.1  # a model that is off by 0.1 everywhere: MSE should be 0.01
wrong = ((prediction - target) ** 2).mean()
right = ((prediction.squeeze(1) - target) ** 2).mean()
print("prediction - target has shape", (prediction - target).shape)
print(f"MSE with the bug: {wrong.item():.4f}   fixed with squeeze(1): {right.item():.4f}")

# %% [markdown]
# The habit that prevents it: know the shape of every tensor, and check it where it matters
# (`assert prediction.shape == target.shape`). minidl's `nn.functional.mse_loss` refuses tensors
# of different shapes for this very reason (PyTorch only warns).
#
# ### Broadcasting and gradients
#
# A value that was stretched was *used* several times: the bias $b_j$ is added to every row
# $i$ of the batch, $y_{ij} = x_{ij} + b_j$. So its gradient collects a contribution from each
# of those uses:
# $$\frac{\partial L}{\partial b_j} = \sum_i \frac{\partial L}{\partial y_{ij}} \frac{\partial y_{ij}}{\partial b_j} = \sum_i \frac{\partial L}{\partial y_{ij}}.$$
# The backward pass of a broadcast is a sum over the stretched dimensions, which brings the
# gradient back to the input's shape. With $L = \sum_{ij} y_{ij}$, each $\partial L / \partial
# y_{ij}$ is 1, so each $b_j$ gets 3, one per row:

# %%
x = minidl.randn(3, 4)
b = minidl.zeros(4, requires_grad=True)
loss = (x + b).sum()
loss.backward()
print("b.grad:", b.grad, " shape", b.grad.shape)

# %% [markdown]
# minidl does this summing in one place, for every operation (`autograd._fit_to_input`, with
# `Tensor.sum_to`). Exercise 2 asks you to write it.
#
# ## 4. Where the data lives: the device
#
# A tensor lives on a **device**: `"cpu"` (its values are a NumPy array) or `"cuda"`, an NVIDIA
# GPU (a CuPy array, when CuPy is installed; see chapter 00's setup check). Every input of an
# operation must be on the same device, and the result stays there. The usual pattern picks the
# device once and moves the data and the model's parameters to it:

# %% tags=["nbval-ignore-output"]
device = "cuda" if minidl.cuda.is_available() else "cpu"
batch_on_device = images.to(device)
print("GPU available:", minidl.cuda.is_available(), "| batch now on", batch_on_device.device)

# %% [markdown]
# On a GPU, `.to("cuda")` copies the values into GPU memory and `.cpu()` (or `.numpy()`) copies
# them back. The copy goes over the PCIe bus, which is much slower than the GPU's own memory,
# so data is moved once per batch, not once per operation. In this course everything also runs
# on the CPU; that is where the notebooks were executed.
#
# ## 5. Data flowing through operations: the dataflow graph
#
# Write a computation as a graph and the data visibly *flows* through it. This is the picture
# behind TensorFlow's name and every deep-learning framework, and it has its vocabulary:
#
# - **Operations** (computation nodes): `matmul`, `add`, `relu`, ... Each takes tensors in and
#   gives tensors out, and keeps nothing between runs.
# - **Edges** carry tensors from the operation that makes them to the operations that use them.
# - **Endpoints**: the **inputs**, where data enters (a batch of images), and the **outputs**,
#   where results leave (predictions, a loss). TensorFlow 1 called the inputs *placeholders*:
#   slots in the graph that are filled with new data at every run.
# - **Variables**: the **state** of the graph, kept from one run to the next and changed by
#   training: the weights and biases, or *parameters*. In minidl they are tensors made with
#   `requires_grad=True`.
# - **Constants**: fixed values written into the graph (the `2` in `2 * x`).
#
# Here is a layer of a neural network, $y = \mathrm{relu}(x W + b)$, with a batch of 4 inputs of
# 3 features and 2 outputs. We run it as ordinary Python:

# %%
W = minidl.randn(3, 2, requires_grad=True)  # a variable: kept and trained
b = minidl.zeros(2, requires_grad=True)     # a variable
inputs = minidl.randn(4, 3)                 # an input: a new batch at every run


def layer(x):
    return minidl.relu(x @ W + b)


outputs = layer(inputs)
print("outputs:", outputs.shape)
print("operations, from the output back:", [op.label for op in minidl.walk(outputs)])

# %% [markdown]
# minidl recorded the graph *while the code ran* ("define-by-run", as in PyTorch): each tensor
# remembers the operation that made it, which is how `walk` found them. A framework can also
# record the computation once as a standalone graph (**trace** it) and then run that graph on
# new data. The printed trace shows all the parts named above:

# %%
graph = G.trace(layer, inputs, variables={"W": W, "b": b})
print(graph)

# %% [markdown]
# `x` is the input (a placeholder), `W` and `b` are the variables, `%0`, `%1`, `%2` are the
# operations with the shapes of the tensors flowing out of them, and `return` marks the output.
# The graph view draws the same graph: the input in blue, the variables in yellow, the
# operations as ellipses, each followed by the tensor it makes (numbered the view's own way),
# and the output in green. Move its slider to watch the data flow through one operation per
# step, and then the gradients flow back. Chapter 02 is all about such graphs.

# %% tags=["nbval-ignore-output"]
GraphView(graph)

# %% [markdown]
# ## 6. One sample at a time, or a batch
#
# The same layer can be fed in two ways. **Streaming**: one sample $x_i$ (a vector of
# features) at a time, $y_i = x_i W$. **Batched**: stack $N$ samples as the rows of a matrix
# $X$ of shape $(N, D)$, and one matrix product $Y = X W$ computes all $N$ results at once:
# row $i$ of $Y$ is $x_i W$. The first dimension of $X$ is the **batch dimension**.
#
# Both give the same numbers. Here they are on 1,000 MNIST images flattened to 784 features,
# with a $784 \times 10$ weight matrix, timed:

# %%
X = all_images[:1000].reshape(1000, 784)
weights = minidl.randn(784, 10) * 0.01


def one_at_a_time(X, weights):
    return minidl.stack([X[i] @ weights for i in range(X.shape[0])])


def batched(X, weights):
    return X @ weights


def fastest(functions, repeat=7):
    """The best of `repeat` runs of each function, in seconds. The runs take turns, so that a
    moment when the machine is busy with something else slows all of them, not just one."""
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(repeat):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


assert np.allclose(one_at_a_time(X, weights).numpy(), batched(X, weights).numpy(), atol=1e-5)
print("same results:", one_at_a_time(X, weights).shape, batched(X, weights).shape)

# %% tags=["nbval-ignore-output"]
seconds = fastest({"loop": lambda: one_at_a_time(X, weights), "batch": lambda: batched(X, weights)})
print(f"one at a time: {seconds['loop'] * 1e3:.1f} ms   batched: {seconds['batch'] * 1e3:.2f} ms   "
      f"speed-up: {seconds['loop'] / seconds['batch']:.0f}x")

# %% [markdown]
# The batch is one to two orders of magnitude faster, for two reasons:
#
# - **Overhead per operation.** Each minidl operation costs a few microseconds of Python before
#   any arithmetic happens (checking inputs, making the result tensor, recording the graph).
#   The loop pays that 1,000 times, the batch once. PyTorch's overhead is smaller but of the
#   same kind.
# - **Arithmetic intensity.** A matrix product is handed to an optimized library (BLAS) that
#   keeps each block of `weights` in the CPU's cache while it serves many rows, uses vector
#   instructions, and can spread the work over several cores. One vector at a time gives it
#   nothing to reuse. On a GPU, with thousands of cores, the gap is wider still.
#
# How the time per sample falls as the batch grows:

# %% tags=["nbval-ignore-output"]
def in_chunks(size):
    """A function that sends the 1,000 samples through the layer `size` at a time."""
    chunks = [X[start:start + size] for start in range(0, 1000, size)]
    return lambda: [chunk @ weights for chunk in chunks]


sizes = [1, 4, 16, 64, 256, 1000]
seconds = fastest({size: in_chunks(size) for size in sizes})
per_sample = [seconds[size] / 1000 * 1e6 for size in sizes]

figure, axes = plt.subplots(figsize=(5, 3))
axes.loglog(sizes, per_sample, "o-")
axes.set_xlabel("batch size")
axes.set_ylabel("µs per sample")
axes.set_title("1,000 samples through a 784 x 10 layer", fontsize=9)
axes.grid(alpha=0.3, which="both")
plt.show()
print("µs per sample:", {size: round(us, 2) for size, us in zip(sizes, per_sample)})

# %% [markdown]
# The time per sample falls steeply at first, while the fixed cost of each operation is shared
# by more and more samples, then levels off: what remains is the arithmetic itself. (If instead
# the curve jumps *up* for the largest batches, the BLAS library is starting threads on cores
# that are busy with other work; starting Jupyter with `OPENBLAS_NUM_THREADS=1` shows the
# single-core curve.)
#
# Batches are not free: memory grows with the batch size, and a sample waits until its batch is
# full. Streaming is what a system does when data arrives one piece at a time (answering one
# request now, generating a sentence word by word). Training, which sees the same data many
# times, is done in batches of tens to thousands of samples; batches also let a network compute
# **statistics over the batch**, as batch normalization does (exercise 3).
#
# ## Summary
#
# - A tensor is values with a **shape**, a **dtype** (float32 by default, int64 for labels) and
#   a **device**; reshapes, transposes and slices are views of the same values.
# - **Broadcasting** lines shapes up from the right and stretches sizes of 1; its backward pass
#   sums over what was stretched. Check shapes, or it will quietly compute something else.
# - A **dataflow graph** has operations, edges carrying tensors, inputs (placeholders), outputs
#   and variables (trainable state). Data flows through it in **batches**, with the batch
#   dimension first.
#
# ## Exercises
#
# ### Exercise 1: the broadcast shape
#
# Write `broadcast_shape(a_shape, b_shape)`: the shape of `a + b` for tensors of shapes
# `a_shape` and `b_shape` (tuples of ints), found by the three rules of section 3. Return it
# as a tuple, and raise `ValueError` (naming both shapes) when the shapes do not broadcast.
# For example `broadcast_shape((8, 1, 6, 1), (7, 1, 5))` is `(8, 7, 6, 5)`, and
# `broadcast_shape((3,), (4,))` raises. Work with the tuples only, not with tensors.

# %%
def broadcast_shape(a_shape, b_shape):
    """The shape of a + b, by broadcasting's rules; ValueError when the shapes do not broadcast."""
    # Pad the shorter shape with 1s on the left, then compare the sizes position by position.
    # BEGIN SOLUTION
    ndim = max(len(a_shape), len(b_shape))
    a_padded = (1,) * (ndim - len(a_shape)) + tuple(a_shape)
    b_padded = (1,) * (ndim - len(b_shape)) + tuple(b_shape)
    result = []
    for a, b in zip(a_padded, b_padded):
        if a != b and a != 1 and b != 1:
            raise ValueError(f"shapes {a_shape} and {b_shape} do not broadcast: sizes {a} and {b} differ")
        result.append(b if a == 1 else a)
    return tuple(result)
    # END SOLUTION


# %%
check_broadcast_shape(broadcast_shape)

# %% [markdown]
# ### Exercise 2: undo a broadcast in the gradient
#
# In the backward pass, the gradient arriving at a broadcast input has the shape of the
# *output*. Write `unbroadcast(grad, shape)`, which sums the tensor `grad` back to `shape`, the
# input's shape: sum over the leading dimensions that broadcasting added, and over the
# dimensions where `shape` has a 1 (keeping them, with `keepdim=True`). For a gradient of shape
# `(2, 3, 4)` and `shape = (3, 1)`, the result has shape `(3, 1)`. Use minidl's `sum`
# (`grad.sum(dim=..., keepdim=...)`, where `dim` may be a tuple), not `Tensor.sum_to`, which
# does exactly this.

# %%
def unbroadcast(grad, shape):
    """Sum `grad` (a Tensor) over the dims that broadcasting added or stretched, back to `shape`."""
    # 1. Sum away the extra leading dims.  2. Sum, keeping them, the dims where shape has a 1.
    # BEGIN SOLUTION
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(dim=tuple(range(extra)))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(dim=stretched, keepdim=True)
    return grad
    # END SOLUTION


# %%
check_unbroadcast(unbroadcast)

# %% [markdown]
# ### Exercise 3: standardize features over the batch
#
# Features measured in different units (a price in euros, an area in square metres) are easier
# to learn from once each is centred and scaled. **Batch normalization** does it with the
# statistics of the batch: for a batch `x` of shape $(N, D)$, each feature (column) $j$ gets
# $$\hat{x}_{ij} = \frac{x_{ij} - \mu_j}{\sqrt{\sigma_j^2 + \epsilon}}, \qquad
# \mu_j = \frac{1}{N}\sum_i x_{ij}, \qquad \sigma_j^2 = \frac{1}{N}\sum_i (x_{ij} - \mu_j)^2,$$
# with $\epsilon = 10^{-5}$ to avoid dividing by zero. Write `standardize(x)` with minidl's
# operations and broadcasting: no loops, no NumPy. Mind which dimension the mean is over, and
# that $\sigma^2$ divides by $N$ (`var(..., correction=0)`; minidl's default, like PyTorch's,
# divides by $N - 1$).

# %%
def standardize(x, eps=1e-5):
    """Each column of x (N, D) centred and scaled by the batch's mean and variance."""
    # mean and variance over dim 0 with keepdim=True (shape (1, D)), then broadcast.
    # BEGIN SOLUTION
    mean = x.mean(dim=0, keepdim=True)
    variance = ((x - mean) ** 2).mean(dim=0, keepdim=True)
    return (x - mean) / (variance + eps).sqrt()
    # END SOLUTION


# %%
check_standardize(standardize)

# %% [markdown]
# ### Exercise 4: one-hot labels
#
# A classifier's targets are class indices (`[0, 2, 1]`), but a loss compares them with one
# probability per class, so each label $c$ is often written as a **one-hot** row: 1 in column
# $c$, 0 elsewhere. Write `one_hot(labels, num_classes)`: for an int64 tensor `labels` of shape
# $(N,)$, a float32 tensor of shape `(N, num_classes)`. Do it with broadcasting: compare
# the labels as a column of shape $(N, 1)$ with `minidl.arange(num_classes)` as a row.

# %%
def one_hot(labels, num_classes):
    """A float32 (N, num_classes) tensor with a 1 in each row at that row's label."""
    # (N, 1) == (num_classes,) broadcasts to an (N, num_classes) table of bools.
    # BEGIN SOLUTION
    return (labels.reshape(-1, 1) == minidl.arange(num_classes)).float()
    # END SOLUTION


# %%
check_one_hot(one_hot)
