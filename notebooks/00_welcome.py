# %% [markdown]
# # 00 · Welcome
#
# This course builds deep learning from the ground up, one idea per chapter, with a framework
# small enough to read: **minidl**. It has tensors, automatic differentiation, layers,
# optimizers, data loaders and static graphs, and every operation in it is a short class whose
# forward computation and gradient sit side by side. Its API is shaped like PyTorch's
# (`Tensor`, `loss.backward()`, `nn.Module`, `optim.SGD`, ...), so what you learn here carries
# over to the frameworks used in practice; PyTorch and TensorFlow are mentioned only to compare.
#
# Each chapter tells one story: the goal, the intuition, the smallest code that does it, a
# picture or a widget to play with, checks that it worked, and exercises where you write the
# code yourself. This first chapter shows how the course works, checks that your setup is
# complete, and gives you a first taste: a tensor, an operation and a gradient.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl
from minidl.exercises.welcome import check_derivative_at, check_make_grid, check_mean_squared_error
from widgets import check_setup
from widgets.setup_check import hello_widget

# %% [markdown]
# ## What the course covers
#
# | chapter | what it covers |
# | --- | --- |
# | 00 · welcome | how the course works, a setup check, a first gradient |
# | 01 · tensors and dataflow | tensors, dtypes, shapes, broadcasting; data flowing through operations, one sample at a time or in batches |
# | 02 · computation graphs | graphs built by hand; dynamic graphs and traced static ones; define-by-run vs define-then-run; passes that optimize a graph |
# | 03 · autodiff and backprop | the chain rule, backpropagation step by step, gradient checking, higher-order gradients, linear regression |
# | 04 · modules and MLPs | `nn.Module`, layers, softmax and cross-entropy, a multi-layer perceptron that reads handwritten digits (MNIST) |
# | 05 · optimizers | SGD to AdamW from their update rules, an optimizer playground, learning-rate schedules |
# | 06 · CNNs | convolution, im2col, pooling, a convolution explorer, LeNet on MNIST, a CNN on CIFAR-10 photos |
#
# Later chapters, planned, go on to **training practice** (initialization, normalization,
# regularization, debugging a run), **performance and the GPU** (where the time goes, memory,
# running on CuPy), **sequences and embeddings** (RNNs, LSTMs, attention) and **deployment and
# scale** (saving, serving, static graphs, many devices).

# %% [markdown]
# ## How to use these notebooks
#
# - **Run the cells from top to bottom** (Shift+Enter runs one and moves on; *Run → Run All
#   Cells* runs them all). A cell may use what earlier cells defined, so after a change higher
#   up, *Kernel → Restart Kernel and Run All Cells* puts everything back in order.
# - **Every notebook is saved with its outputs**, so you can read the results and pictures
#   before running anything. Random numbers are seeded (the first cell of a chapter calls
#   `minidl.manual_seed(0)`), so your run prints the same numbers; only timings and machine
#   details differ.
# - **Widgets** are small interactive apps inside a cell (a graph to step through, an optimizer
#   on a surface, live training curves). They need a running kernel: in a saved notebook you see
#   a still picture of them instead.
# - **Exercises end each chapter.** Each is a function to write, then a cell that checks it:
#   the checker runs your code on several real cases and answers with ✓, or with what it tried,
#   what it expected, what came back, and a hint.
# - **Work in the learner's copies.** The notebooks in `notebooks/` hold reference solutions
#   between `# BEGIN SOLUTION` and `# END SOLUTION`. `make student` writes copies to
#   `build/student/` in which each solution is replaced by `raise NotImplementedError()`: the
#   checker then says "not done yet" until you write your own. Look at the solution only after
#   you have tried.
# - **Each notebook has a text twin**, `NN_name.py`: the same cells as a plain Python file (the
#   jupytext "percent" format, `# %%` starts a cell). It is there to read changes in a diff
#   and to edit the chapters as text; JupyterLab opens the `.ipynb`.

# %% [markdown]
# ## Check your setup
#
# `check_setup()` looks at everything the course uses and, for what is missing, prints the
# command that installs it:
#
# - **minidl** itself: its version, and the folder it is imported from.
# - **The NumPy backend**: minidl computes on the CPU with NumPy. The check really runs a
#   tensor, an operation and a gradient.
# - **The GPU** (optional): minidl runs on an NVIDIA GPU through CuPy, and then
#   `minidl.cuda.is_available()` is `True`. No chapter needs one.
# - **graphviz's `dot` program**, which lays out the computation graphs that the graph widget
#   draws. It is a program, not a Python package, so pip cannot install it: use apt, brew or
#   conda, as the report says. (The check runs `dot -V` and draws a two-node graph.)
# - **The widget packages**: ipywidgets 8, its JupyterLab front-end `jupyterlab_widgets` 3, and
#   `anywidget`, with versions that go together. All come with `pip install "minidl[lab]"`.
# - **matplotlib**, which draws the figures.

# %% tags=["nbval-ignore-output"]
report = check_setup()
report

# %% [markdown]
# The table above depends on your machine. The one thing every chapter needs is that minidl
# computes on the CPU; the cell below stops here if it does not.

# %%
assert report["numpy"].ok, report["numpy"].detail

# %% [markdown]
# The report is an object you can also read from code: `report.ok` is `True` when everything the
# chapters need works, and `report["dot"].fix` is the command for the `dot` row.
#
# ### Does the widget front-end work?
#
# Python can only check that the widget packages are installed. Whether JupyterLab draws them
# is decided in your browser, so here is a small live widget to look at. You should see a
# slider with a line of text beside it, and a button below it. Move the slider: the text
# changes, because the kernel computed the square and sent it back. Click the button: its label
# counts the clicks (that part is drawn by `anywidget`, as the graph view is), and the text
# beside it says the kernel heard them.

# %% tags=["nbval-ignore-output"]
hello_widget()

# %% [markdown]
# If you see something else instead:
#
# - **"Error displaying widget: model not found"**, or **"Failed to load model class"**:
#   JupyterLab's widget front-end is missing or of another version than the Python package.
#   Install both where JupyterLab runs (`pip install "minidl[lab]"`, or
#   `pip install -U jupyterlab_widgets anywidget`), then **restart JupyterLab** and reload the
#   browser page: the front-end is loaded when JupyterLab starts.
# - **Plain text** such as `VBox(children=(...))`: this front-end does not draw widgets at all
#   (a notebook viewer on the web, or a notebook that is not trusted: *File → Trust Notebook*).
#   Open the notebook in JupyterLab.
# - **"Loading widget..." that never ends**: the kernel is not running, or the cell was not run
#   in this session. Run the cell again.
#
# Without widgets every chapter still runs; you only lose the interactive part.

# %% [markdown]
# ## A first taste: a tensor, an operation, a gradient
#
# Deep learning needs two things from a framework: computing with arrays of numbers
# (**tensors**), and the **gradient** of a result with respect to the numbers that went in,
# which says how to change them to make the result smaller. Here are both, on the function
# $y = \tanh(x)$ at many points at once:

# %%
x = minidl.arange(-3.0, 3.01, 0.1, requires_grad=True)  # 61 points; requires_grad: "track me"
y = minidl.tanh(x)                                      # computed on all 61 at once
y.sum().backward()                                      # fills x.grad with d(sum y)/dx
print("x:", x.shape, x.dtype)
print("ops recorded, last first:", [op.label for op in minidl.walk(y.sum())])
print(f"slope of tanh at 0: {x.grad[30].item():.3f}")

# %% [markdown]
# While the cell ran, minidl recorded which operations made `y` (a `tanh`, then a `sum`) so that
# `backward()` could go through them in reverse, applying the chain rule. We called it on
# `y.sum()` because backward starts from a single number; since
# $\partial \big(\sum_j y_j\big) / \partial x_i = \partial y_i / \partial x_i$, `x.grad` holds
# the slope of $\tanh$ at each point. Calculus says that slope is $1 - \tanh^2(x)$, and a notebook
# should check what it claims:

# %%
expected_slope = 1 - y.detach().numpy() ** 2
assert np.allclose(x.grad.numpy(), expected_slope, atol=1e-6), "backward disagrees with 1 - tanh^2"

figure, axes = plt.subplots(figsize=(6, 3))
axes.plot(x.detach().numpy(), y.detach().numpy(), label=r"$y = \tanh(x)$")
axes.plot(x.detach().numpy(), x.grad.numpy(), "o", markersize=3, label="x.grad from backward()")
axes.plot(x.detach().numpy(), expected_slope, "k--", linewidth=1, label=r"$1 - \tanh^2(x)$")
axes.set_xlabel("x")
axes.legend(loc="lower right", fontsize=8)
axes.grid(alpha=0.3)
plt.show()

# %% [markdown]
# The dots (what `backward()` computed) sit on the dashed line (the formula). Chapter 3 opens
# up exactly how.
#
# ## What a checker says
#
# Here is the first exercise's checker given an almost-right answer: `minidl.arange` with whole
# numbers makes integers, and the task asks for float32. Read the message: the case it tried,
# what it expected, what came back, and a hint.

# %%
def make_grid_almost(rows, cols):
    return minidl.arange(rows * cols).reshape(rows, cols)  # int64, not float32


feedback = check_make_grid(make_grid_almost)
feedback

# %% [markdown]
# When your answer is right the checker says ✓ and what it tested. A checker returns a
# `Feedback`, true when passed, so `assert check_make_grid(make_grid)` would also work.
#
# ## What's next
#
# Chapter 01 looks closely at tensors: their shapes and dtypes, how operations combine tensors
# of different shapes, and how data flows through a graph of operations in batches.
#
# ## Exercises
#
# ### Exercise 1: a grid of numbers
#
# Write `make_grid(rows, cols)`: a **float32** tensor of shape `(rows, cols)` holding
# $0, 1, 2, \dots$ row by row, so `make_grid(2, 3)` is `[[0, 1, 2], [3, 4, 5]]`.
# `minidl.arange` and `.reshape` are all you need; mind the dtype.

# %%
def make_grid(rows, cols):
    """A float32 tensor of shape (rows, cols) holding 0, 1, 2, ... row by row."""
    # Count from 0 with minidl.arange (which dtype?), then reshape.
    # BEGIN SOLUTION
    return minidl.arange(rows * cols, dtype=minidl.float32).reshape(rows, cols)
    # END SOLUTION


# %%
check_make_grid(make_grid)

# %% [markdown]
# ### Exercise 2: mean squared error
#
# A model's prediction $p$ and the target $t$ are tensors of the same shape. The mean squared
# error is the average of the squared differences:
#
# $$\mathrm{MSE}(p, t) = \frac{1}{n} \sum_{i=1}^{n} (p_i - t_i)^2$$
#
# Write `mean_squared_error(prediction, target)` with minidl's operations (`-`, `**`, `.mean()`)
# and return the result as a tensor of shape `()`: one number. Do not convert to NumPy or to a
# Python float: a loss must stay a tensor, so that `backward()` can later run through it.

# %%
def mean_squared_error(prediction, target):
    """The mean over all elements of (prediction - target) squared, as a 0-d Tensor."""
    # Subtract, square, average, all with minidl ops.
    # BEGIN SOLUTION
    return ((prediction - target) ** 2).mean()
    # END SOLUTION


# %%
check_mean_squared_error(mean_squared_error)

# %% [markdown]
# ### Exercise 3: a derivative by backward()
#
# Write `derivative_at(f, x0)`: the derivative $f'(x_0)$ of a function `f` (of one tensor, made
# of minidl operations) at the number `x0`, computed exactly by `backward()` as in the
# tanh example above, and returned as a Python float. For `f = lambda x: x * x`,
# `derivative_at(f, 3.0)` is `6.0`.

# %%
def derivative_at(f, x0):
    """f'(x0), computed by minidl's backward()."""
    # Make a tensor from x0 that requires grad, apply f, call backward() on the result,
    # and return the gradient as a float (.item()).
    # BEGIN SOLUTION
    x = minidl.tensor(x0, requires_grad=True)
    f(x).backward()
    return x.grad.item()
    # END SOLUTION


# %%
check_derivative_at(derivative_at)
