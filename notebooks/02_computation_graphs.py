# %% [markdown]
# # Chapter 2: Computation graphs
#
# A neural network is a long composition of small operations: multiply, add, squash, sum.
# Drawn as a **computation graph**, each operation is a node and each value an edge from the
# node that makes it to the nodes that read it. Every deep-learning framework keeps such a graph,
# because the graph is what it needs to
#
# - **differentiate** the program: backpropagation walks the graph from the output back to the
#   inputs, applying the chain rule at each node (chapter 3);
# - **schedule** it: nodes that do not depend on each other can run at the same time;
# - **rewrite** it: drop work nobody needs, compute constants once, merge small ops into big ones;
# - **ship** it: a graph saved as data runs without the Python program that made it.
#
# Frameworks differ in *when* the graph exists. **Define-then-run** frameworks (Theano,
# TensorFlow 1) build the whole graph first and then run it; **define-by-run** frameworks
# (Chainer, PyTorch, and minidl) record the graph while the code runs, a new one every time. In
# this chapter you will
#
# 1. build a graph by hand, in plain Python, and evaluate it in topological order;
# 2. look at the graph minidl records as your code runs: `grad_fn`, `inputs`, `minidl.walk`, `GraphView`;
# 3. trace the same code into a static graph with `minidl.graph.trace`;
# 4. compare the two styles on one model: debugging, control flow, optimization, deployment;
# 5. watch graph passes shrink a graph, step by step, without changing its result;
# 6. write four pieces of a graph compiler yourself, in the exercises.

# %%
import math
import warnings

import matplotlib.pyplot as plt
import numpy as np

import minidl
from minidl import graph as G
from minidl.exercises.graphs import (
    check_constant_folding,
    check_count_ops,
    check_dead_code_elimination,
    check_topological_order,
)
from widgets import GraphView

_ = minidl.manual_seed(0)  # (it returns the generator, not needed here)

# %% [markdown]
# ## 1. A graph by hand
#
# Our running example is one neuron with the SiLU activation (also called *swish*, used for
# example in EfficientNet, and in gated form in the feed-forward layers of many language models):
#
# $$z = w\,x + b, \qquad y = z \cdot \sigma(z), \qquad \sigma(z) = \frac{1}{1 + e^{-z}}.$$
#
# The value $z$ is read twice, by $\sigma$ and by the last multiplication. So the graph is not a
# tree: two paths leave $z$ and meet again at $y$ (a "diamond"). It is a **directed acyclic
# graph** (DAG): edges have a direction, from a value to the operations that read it, and no path
# leads from a node back to itself.
#
# A graph needs no special machinery: a dict will do. Each entry names a value and says how it is
# made, from which other values.

# %%
# name: (operation, names of its inputs), written inputs first
neuron = {
    "x": ("input", []),
    "w": ("input", []),
    "b": ("input", []),
    "wx": ("mul", ["w", "x"]),
    "z": ("add", ["wx", "b"]),
    "s": ("sigmoid", ["z"]),
    "y": ("mul", ["z", "s"]),
}
operations = {
    "add": lambda u, v: u + v,
    "mul": lambda u, v: u * v,
    "sigmoid": lambda u: 1 / (1 + math.exp(-u)),
}


def evaluate(graph, feed):
    """The value of every node, given the inputs' values in `feed`; the entries of `graph`
    must come in topological order (each after its inputs)."""
    values = dict(feed)
    for name, (op, inputs) in graph.items():
        if op != "input":
            values[name] = operations[op](*[values[source] for source in inputs])
    return values


values = evaluate(neuron, {"x": 1.5, "w": -0.8, "b": 0.5})
for name, value in values.items():
    print(f"{name:>2} = {value:+.4f}")

# %% [markdown]
# The loop in `evaluate` runs each node once, and every node finds its inputs already computed.
# That works because the entries come in a **topological order**: an order of the nodes in which
# every node comes after all of its inputs. We got one for free: when we wrote the dict, each entry
# could only name values written above it. Running a program line by line gives the same
# guarantee, which is why a graph recorded while code runs is always in topological order.
#
# A DAG usually has many topological orders (`x`, `w`, `b` can come in any order), and a graph
# with a cycle has none: no node of the cycle can go first. A graph that arrives in some other
# order (read from a file, or rewritten by a pass) has to be sorted before it can run: that is
# exercise 1.
#
# The picture below places each node at its **level**, the length of the longest path that
# reaches it from an input:
#
# $$\text{level}(v) = \begin{cases} 0 & \text{if } v \text{ is an input,} \\
#   1 + \max_{u \in \text{inputs}(v)} \text{level}(u) & \text{otherwise.} \end{cases}$$
#
# Computing the levels needs a topological order too (a node's inputs first). Nodes on the same
# level never read each other, so they could run at the same time. A graph runtime sees such
# chances without being told: it can start any node whose inputs are ready, and often several are.

# %%
def levels(graph):
    """0 for an input, else 1 + the highest level among the node's inputs (entries in topological order)."""
    level = {}
    for name, (op, inputs) in graph.items():
        level[name] = 1 + max((level[source] for source in inputs), default=-1)
    return level


def draw(graph, labels, colours=None, ax=None, fontsize=8):
    """Each node in the column of its level, with its label; arrows from inputs to the nodes that read them.

    Within a column, a node goes near the nodes it reads; an arrow that would run through the
    nodes between its ends on the same row is bent.
    """
    level = levels(graph)
    row = {}
    for column in sorted(set(level.values())):
        members = [name for name in graph if level[name] == column]
        members.sort(key=lambda name: np.mean([row[source] for source in graph[name][1]] or [0]), reverse=True)
        row.update({name: (len(members) - 1) / 2 - i for i, name in enumerate(members)})
    if ax is None:
        ax = plt.subplots(figsize=(8, 3))[1]
    boxes = {}
    for name, (op, inputs) in graph.items():
        colour = (colours or {}).get(name, "#cfe8fc" if op == "input" else "#ffffff")
        boxes[name] = ax.text(level[name], row[name], labels[name], ha="center", va="center", fontsize=fontsize,
                              bbox={"boxstyle": "round", "facecolor": colour, "edgecolor": "#555555"})
    for name, (op, inputs) in graph.items():
        for source in inputs:
            bend = -0.3 if level[name] - level[source] > 1 and row[name] == row[source] else 0
            ax.annotate("", xy=(level[name], row[name]), xytext=(level[source], row[source]),
                        arrowprops={"arrowstyle": "->", "color": "#555555", "connectionstyle": f"arc3,rad={bend}",
                                    "patchA": boxes[source].get_bbox_patch(), "patchB": boxes[name].get_bbox_patch()})
    columns = range(max(level.values()) + 1)
    ax.set_xticks(columns, [f"level {column}" for column in columns])
    ax.set_xlim(-0.5, columns[-1] + 0.5)
    ax.set_ylim(-max(row.values()) - 0.7, max(row.values()) + 0.7)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    return ax


print(levels(neuron))
ax = draw(neuron, {name: f"{name}\n{op}\n{values[name]:+.3f}" for name, (op, inputs) in neuron.items()})
ax.set_title("y = z * sigmoid(z) with z = w * x + b: z is read twice")
plt.show()

# %% [markdown]
# Four levels for four operations: this neuron is a chain, so nothing can run in parallel
# except reading the three inputs. In a wide network, all the units of a layer share a level.

# %% [markdown]
# ## 2. The graph minidl records: define-by-run
#
# Now the same computation with minidl tensors. Nothing in the code mentions a graph:

# %%
x = minidl.tensor(1.5)
w = minidl.tensor(-0.8, requires_grad=True)
b = minidl.tensor(0.5, requires_grad=True)
z = w * x + b
y = z * minidl.sigmoid(z)
print(y)
assert abs(y.item() - values["y"]) < 1e-6  # the same number as the hand-built graph

# %% [markdown]
# Yet the graph is there. Each op whose inputs include a tensor that requires a gradient records
# itself on its output: `y.grad_fn` is the op that made `y`, and its `inputs` are the tensors it
# read. Those were made by ops of their own, and so on back to the **leaves**, the tensors no op
# made (`x`, `w`, `b`), whose `grad_fn` is `None`. The graph is made of these references: `y`
# points to its op, the op to its inputs, each input to its op.

# %%
names = {id(x): "x", id(w): "w", id(b): "b"}


def describe(tensor):
    """A tensor's name if it is a leaf we named, else the op that made it."""
    if id(tensor) in names:
        return names[id(tensor)]
    return f"output of {tensor.grad_fn.label}"


print(f"y.grad_fn = {y.grad_fn}, reads: {[describe(t) for t in y.grad_fn.inputs]}")
print(f"z.grad_fn = {z.grad_fn}, reads: {[describe(t) for t in z.grad_fn.inputs]}")
print(f"w.grad_fn = {w.grad_fn} (a leaf)")

# %% [markdown]
# `minidl.walk(y)` follows these references and lists every op that made `y`, each before the ops
# that made its inputs. That is the order in which backward visits them (chapter 3): outputs
# first. Reversed, it is a topological order: here, the very order in which the ops ran, the same as
# our hand-built graph's.

# %%
for op in minidl.walk(y):
    print(f"{op.label:8} reads {', '.join(describe(t) for t in op.inputs)}")

run_order = [op.label for op in reversed(minidl.walk(y))]
by_hand = [op for op, inputs in neuron.values() if op != "input"]
print("reversed walk:", run_order)
assert run_order == by_hand

# %% [markdown]
# Two more things follow from recording while running:
#
# - **Only what backward needs is recorded.** An op whose inputs all need no gradient records
#   nothing: `2.0 * 3.0` computed with tensors leaves no `grad_fn`. The same holds for any op run
#   inside `with minidl.no_grad():`, the way to evaluate a model or update its weights.
# - **Every run builds a new graph.** Call the same code twice and you get two graphs, each one
#   fitted to that run's data and to the path the Python code took.

# %%
print("no input requires grad:", (minidl.tensor(2.0) * 3.0).grad_fn)
with minidl.no_grad():
    print("inside no_grad:       ", (w * x + b).grad_fn)


def silu_neuron(x):
    z = w * x + b
    return z * minidl.sigmoid(z)


first, second = silu_neuron(x), silu_neuron(x)
print("the same op object in both runs?", first.grad_fn is second.grad_fn)

# %% [markdown]
# `GraphView` draws the graph that `minidl.walk` finds. Step through it with the slider: first
# the forward pass, op by op in the order the ops ran, then the backward pass in the order the
# engine takes it. The side panel shows what each op read and made; with `values=True`, each
# tensor shows its value and the gradient that reached it; "check" puts a numerical gradient
# beside the engine's.

# %% tags=["nbval-ignore-output"]
GraphView(y, names={"x": x, "w": w, "b": b, "z": z}, values=True)

# %% [markdown]
# ## 3. The same computation as a static graph: define-then-run
#
# `minidl.graph.trace(fn, example)` runs a function once on an example input and records every op
# it calls, as a `Graph`: a program of its own, which no longer needs the Python function.

# %%
static = G.trace(silu_neuron, x, variables={"w": w, "b": b})
print(static)

# %% [markdown]
# Reading the listing (it looks much like JAX's jaxprs or PyTorch's `torch.fx` graphs):
#
# - `graph(x: f32[])`: the **placeholder** `x`, the value fed in at every run, with the shape and
#   dtype it had while tracing (`f32[]`: a float32 scalar);
# - `variables`: `w` and `b`, the parameters. The graph reads them afresh at every run, so
#   training can change them; any other tensor the function used would be a **constant**, frozen
#   at its value during the trace;
# - one line per op node, `%1 = add(%0, b)`, in topological order, and the value it `return`s.
#
# The graph is built once and then run, as often as we like, on new inputs. In the
# define-then-run style of TensorFlow 1, a run *fetches* values by name and *feeds* the
# placeholders: only the nodes that the fetched values need are run.

# %%
new_x = minidl.tensor(0.3)
print(f"graph.run(0.3)    = {static.run(new_x).item():+.4f}")
print(f"silu_neuron(0.3)  = {silu_neuron(new_x).item():+.4f}")
assert abs(static.run(new_x).item() - silu_neuron(new_x).item()) < 1e-6

z_value = static.run("%1", feed={"x": new_x})
print(f"fetch %1 (that is z) = {z_value.item():+.4f}, running only",
      [node.label for node in static.needed_for([static.find("%1")])])

# %% [markdown]
# The price of building the graph ahead: it is specialized to what the trace saw. minidl's graphs
# have fixed shapes and dtypes, and refuse anything else (TensorFlow 1 allowed unknown
# dimensions, such as `None` for the batch size; `jax.jit` traces the function again for each new
# shape).

# %%
try:
    static.run(minidl.tensor([0.3, 0.4]))
except ValueError as error:
    print(error)

# %% [markdown]
# `GraphView` takes a traced graph too: it runs the graph once, op by op, and lets you step through
# it in the same way.

# %% tags=["nbval-ignore-output"]
GraphView(static)

# %% [markdown]
# ## 4. Define-by-run and define-then-run, side by side
#
# In TensorFlow 1 the two phases were visible in the code: first build, with placeholders,
# where nothing is computed; then run in a session, feeding data:
#
# ```python
# # define-then-run (TensorFlow 1.x)
# x = tf.placeholder(tf.float32, [None, 3])       # a placeholder: no data yet (w1, ...: tf.Variables)
# hidden = tf.tanh(tf.matmul(x, w1) + b1)         # adds nodes to the graph, computes nothing
# out = tf.matmul(hidden, w2) + b2
# with tf.Session() as session:
#     session.run(tf.global_variables_initializer())
#     result = session.run(out, feed_dict={x: batch})   # now the graph runs
# ```
#
# ```python
# # define-by-run (PyTorch, minidl)
# hidden = torch.tanh(batch @ w1 + b1)             # computed now; the graph is recorded on the way
# out = hidden @ w2 + b2
# ```
#
# `minidl.graph.trace` gets a define-then-run graph out of define-by-run code, by running it once.
# Let us compare the two on one small model: a two-layer network written as a plain function.
# It prints a statistic of its hidden layer, as one does while debugging.

# %%
minidl.manual_seed(0)
w1, b1 = minidl.randn(3, 4, requires_grad=True), minidl.zeros(4, requires_grad=True)
w2, b2 = minidl.randn(4, 1, requires_grad=True), minidl.zeros(1, requires_grad=True)
parameters = {"w1": w1, "b1": b1, "w2": w2, "b2": b2}
batch1, batch2 = minidl.randn(5, 3), minidl.randn(5, 3)


def model(x):
    hidden = (x @ w1 + b1).tanh()
    print(f"    model: hidden layer {hidden.shape}, mean {hidden.mean().item():+.3f}")
    return hidden @ w2 + b2


# %% [markdown]
# ### Debugging with print
#
# Run eagerly, the model is plain Python: the `print` runs every time, with this run's values (and
# a breakpoint, or an exception's stack trace, would point at this very line).

# %%
print("eager, batch 1:")
eager1 = model(batch1)
print("eager, batch 2:")
eager2 = model(batch2)

# %% [markdown]
# Traced, the `print` runs once, while the graph is built, with the example's values. Running the
# graph runs its minidl ops, not the Python code around them: it prints nothing.

# %%
print("tracing on batch 1:")
traced = G.trace(model, batch1, variables=parameters)
print("running the graph on batch 2:")
static2 = traced.run(batch2)
print("(nothing was printed)")
assert np.allclose(static2.numpy(), eager2.numpy(), atol=1e-6)
print(traced)

# %% [markdown]
# Notice `%3 = mean(%2)`: the mean that the `print` needed was recorded too, yet no output reads
# it. It is dead code, and section 5 removes it.
#
# A static graph is debugged differently, not impossibly: look at the graph itself, and fetch any
# value inside it. Here is the hidden layer on batch 2, `%2`, fetched from the graph:

# %%
hidden = traced.run("%2", feed={"x": batch2})
print(f"hidden layer on batch 2, fetched from the graph: mean {hidden.mean().item():+.3f}")

# %% [markdown]
# Frameworks add more: print *ops* that live inside the graph and print at every run
# (TensorFlow's `tf.print`, JAX's `jax.debug.print`), and debuggers that show the values inside a
# running graph (tfdbg, for TensorFlow 1). What a static graph loses is the direct link to
# Python: an error at run time comes from inside the runtime, and the framework must point you
# back to the line that created the failing op (TensorFlow 1 printed where each op was defined).
#
# ### Control flow
#
# A trace records ops, and Python's `if` is not an op. Take a function that scales a vector
# down to length 1 when it is longer, and leaves it alone otherwise (gradient clipping does
# this):

# %%
def clip_norm(v):
    """v scaled to length 1 if it is longer than 1; else v itself."""
    norm = (v * v).sum().sqrt()
    if norm > 1:  # Python decides, with the value at hand
        return v / norm
    return v


def rounded(tensor):
    return [round(value, 4) for value in tensor.tolist()]


long, short = minidl.tensor([3.0, 4.0]), minidl.tensor([0.3, 0.4])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    traced_clip = G.trace(clip_norm, long)
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}\n")
print(traced_clip)

# %% [markdown]
# While tracing with `long` (length 5), `norm > 1` became a Python `True`, and the graph kept the
# branch that was taken: it divides by the norm, for every input. `trace` noticed that a value
# computed from the input decided a Python `if`, and warned (PyTorch's `torch.jit.trace` gives the
# same `TracerWarning`). On a short vector the graph now does the wrong thing:

# %%
print(f"eager clip_norm(short) = {rounded(clip_norm(short))}")
print(f"traced graph on short  = {rounded(traced_clip.run(short))}   (scaled UP to length 1)")
assert not np.allclose(traced_clip.run(short).numpy(), clip_norm(short).numpy())

# %% [markdown]
# There are two ways out. Keep that part of the program eager (this is what `torch.compile` does
# by itself: at a data-dependent branch it makes a *graph break*, runs the branch in Python and
# starts a new graph after it). Or write the choice as data flow, with ops, so the graph holds it:
# here, dividing by $\max(\lVert v \rVert, 1)$ divides by the norm when it is above 1 and by 1
# otherwise. Frameworks offer control-flow ops for the general case: `tf.cond` and
# `tf.while_loop`, `jax.lax.cond`, `jax.lax.while_loop` and `jax.lax.scan`; TensorFlow 2's
# AutoGraph rewrites Python `if` and `while` on tensors into them.

# %%
def clip_norm_as_data_flow(v):
    norm = (v * v).sum().sqrt()
    return v / minidl.maximum(norm, 1.0)


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    traced_clip = G.trace(clip_norm_as_data_flow, long)
print(f"{len(caught)} warnings")
for v in (long, short):
    eager, from_graph = clip_norm(v), traced_clip.run(v)
    print(f"v = {rounded(v)}:  eager {rounded(eager)}, graph {rounded(from_graph)}")
    assert np.allclose(eager.numpy(), from_graph.numpy())

# %% [markdown]
# A Python loop that runs a fixed number of times is no trouble: the trace **unrolls** it, one copy
# of the loop's body per turn. The graph grows with the number of turns, and a different number
# of turns needs a new trace.

# %%
def smooth(v, turns):
    for _ in range(turns):
        v = (v + v.tanh()) * 0.5
    return v


for turns in (1, 3, 10):
    print(f"{turns:2} turns: {len(G.trace(lambda v, turns=turns: smooth(v, turns), short)):2} nodes")

# %% [markdown]
# ### Optimization and deployment
#
# A static graph is the whole program, known before it runs. A framework can rewrite it (next
# section), plan memory for every value ahead of time, and place its parts on devices. And it is
# data: a list of ops with their attributes, inputs and outputs, plus the weights. Saved as a file
# (an ONNX model, a TensorFlow SavedModel), it can run in a C++ runtime, on a server or a phone,
# with no Python and none of the code that made it. minidl's graphs stay in Python, but they are the
# same kind of object: `print(traced)` above is the whole program.
#
# An eager framework meets each op only when it is called. It cannot know that a result will
# never be used, or that the same product comes again two lines later. It can still make every op
# fast, and it pays the Python interpreter's overhead on every op, which matters for small ops.
#
# ### The comparison, carefully
#
# Comparison tables in many tutorials say that static graphs cannot be debugged, or that
# dynamic graphs cannot be optimized or deployed. Neither is true; the real trade is below.
#
# | | define-then-run (static graph) | define-by-run (dynamic graph) |
# | --- | --- | --- |
# | **the graph** | built (or traced) once, before data flows; then run many times | recorded again at every run, op by op, while the code computes |
# | **control flow** | graph ops (`tf.cond`, `tf.while_loop`, `jax.lax.cond`, `jax.lax.scan`, Theano's `scan`), or Python decided once, while tracing | any Python `if`, `for`, `while` or recursion, on any value, taking a different path at every run |
# | **shapes** | fixed, or partly unknown, when the graph is built; a new shape may need a new trace | whatever each run brings |
# | **debugging** | read the graph, fetch any value inside it, print ops in the graph (`tf.print`, `jax.debug.print`), graph debuggers (tfdbg); Python's `print` and breakpoints run only while building | Python's own tools: `print`, `pdb`, a stack trace that points at the failing line |
# | **optimization** | whole-graph passes before the first run: dead code, constant folding, common subexpressions, fusion, memory planning, device placement | fast kernels, but op by op, with Python's overhead per op; JIT compilers (`torch.compile`, `jax.jit`, `tf.function`) capture graphs from the code to win whole-graph passes back |
# | **deployment** | the graph is a file that runs without Python (TensorFlow SavedModel, ONNX) | needs the Python code, or an export step that captures a graph first (`torch.export`, TorchScript, `torch.onnx.export`) |
# | **examples** | Theano, TensorFlow 1.x, what `tf.function` and `jax.jit` compile | Chainer (which coined "define-by-run"), DyNet, PyTorch, TensorFlow 2 in eager mode, JAX outside `jit`, minidl |
#
# Modern frameworks use both styles, one on top of the other. TensorFlow 2 runs eagerly by
# default, and `@tf.function` traces a function into a graph. JAX runs op by op unless a function
# is wrapped in `jax.jit`, which traces it into a jaxpr and compiles it with XLA; a Python `if` on
# a traced value is an error there, not a warning. PyTorch 2's `torch.compile` reads the Python
# code as it runs, captures graphs of ops, breaks them where Python must decide, and fuses each
# graph's ops into generated kernels. Define-by-run for writing and debugging, define-then-run for
# speed and shipping, often within the same program.

# %% [markdown]
# ## 5. Graph passes: a smaller graph, the same result
#
# A **graph pass** takes a graph and returns a new one that computes the same outputs, usually
# with less work. minidl has four, the classics of every compiler:
#
# | pass | what it does |
# | --- | --- |
# | `dead_code_elimination` | drops the nodes no output depends on |
# | `constant_folding` | computes, once, the nodes whose inputs are all constants; they become constants |
# | `common_subexpressions` | computes identical nodes (same op, attributes and inputs) once, and reuses the result |
# | `fuse_elementwise` | merges chains of element-wise ops into one node, run as one call, with no stored values in between |
#
# Here is a function written carelessly, as real code often is: every pass has something to
# remove.

# %%
def careless(x):
    scale = minidl.tensor(2.0) * 0.25  # only constants: the same 0.5 at every run
    first = (x @ w1 * scale + b1).tanh()
    again = (x @ w1 * scale + b1).tanh()  # the very same expression, computed again
    unused = (x * x).exp().sum()  # noqa: F841  (computed, never used: dead code)
    return ((first + again) * 0.5).relu() @ w2 + b2


careless_graph = G.trace(careless, batch1, variables=parameters)
print(careless_graph)

# %% [markdown]
# Now the passes, one at a time. After each, the graph must give exactly the same result: not
# close, identical, since every remaining node runs the same NumPy code on the same numbers.

# %%
expected = careless_graph.run(batch2).numpy()
stages = {"traced": careless_graph}
print(f"{'traced':24}{len(careless_graph):3} nodes")
for apply in (G.dead_code_elimination, G.constant_folding, G.common_subexpressions, G.fuse_elementwise):
    smaller = apply(list(stages.values())[-1])
    stages[apply.__name__] = smaller
    same = np.array_equal(smaller.run(batch2).numpy(), expected)
    print(f"{apply.__name__:24}{len(smaller):3} nodes   result unchanged: {same}")
    assert same
assert np.allclose(expected, careless(batch2).numpy(), atol=1e-6)  # and the graph computes what the function does

# %% [markdown]
# The picture shows the op nodes before and after, drawn by section 1's `draw` (the inputs,
# variables and constants are named inside the boxes), with each node coloured by the pass that
# removed it:
#
# - **dead code elimination** walked back from the output and dropped `unused`'s three nodes
#   (`mul`, `exp`, `sum`): nothing returned reads them;
# - **constant folding** computed `2.0 * 0.25` once; the product is now the constant `0.5`;
# - **common subexpressions** found that `again` repeats `first` op for op (same ops, same inputs)
#   and kept one copy: four nodes fewer;
# - **element-wise fusion** merged `mul -> add -> tanh` into one node, and `add -> mul -> relu` into
#   another: one call each, and the values in between are never stored in the graph. minidl's
#   fused node still calls NumPy once per op inside, so it only saves the work around each node.
#   In a compiler that generates code (XLA, TorchInductor), fusion is the big win: one pass over
#   memory instead of three.
#
# The matrix products, the biases and the output are untouched.

# %%
def op_nodes(graph):
    """A traced Graph's op nodes as section 1's dict, with arrows between ops only, and a label for
    each that names everything it reads."""
    made = {node.outputs[0].name for node in graph.nodes}
    ops, labels = {}, {}
    for node in graph.nodes:
        name, reads = node.outputs[0].name, [var.name for var in node.inputs]
        op = f"fused\n{node.attributes['body']}".replace(" -> ", "→") if node.label == "fused" else node.label
        ops[name] = (op, [source for source in reads if source in made])
        labels[name] = f"{name}\n{op}({', '.join(reads)})"
    return ops, labels


pass_colours = {"dead_code_elimination": "#f4b6b6", "constant_folding": "#d9d9d9",
                "common_subexpressions": "#f9e19c", "fuse_elementwise": "#c9e7c0"}
removed_by = {}
for before, after in zip(list(stages), list(stages)[1:]):
    kept = {node.outputs[0].name for node in stages[after].nodes}
    removed_by.update({node.outputs[0].name: pass_colours[after] for node in stages[before].nodes
                       if node.outputs[0].name not in kept})

figure, axes = plt.subplots(2, 1, figsize=(11, 5.5), height_ratios=[3, 1.3], layout="constrained")
for ax, stage, title in zip(axes, ["traced", "fuse_elementwise"], ["traced", "after the four passes"]):
    ops, labels = op_nodes(stages[stage])
    draw(ops, labels, colours=removed_by, ax=ax, fontsize=7)
    ax.set_title(f"{title}: {len(stages[stage])} nodes", fontsize=10)
for name, colour in pass_colours.items():
    axes[0].scatter([], [], marker="s", s=80, color=colour, label=f"removed by {name}")
axes[0].legend(loc="lower right", fontsize=8, frameon=False)
plt.show()

# %%
print(stages["fuse_elementwise"])

# %% [markdown]
# `optimize` applies all four in that order. The order matters: dead code goes first, so that no
# other pass spends time on it, and fusion goes last, since a fused node hides its ops from the
# search for common subexpressions.

# %%
optimized = G.optimize(careless_graph, verbose=True)
assert np.array_equal(optimized.run(batch2).numpy(), expected)

# %% [markdown]
# The backward pass can be a graph too. `graph.grad()` traces the engine's own backward rules
# (chapter 3) into a new graph that computes the gradients, and the same passes apply to it. This
# is how define-then-run frameworks differentiate (Theano's `T.grad`, TensorFlow 1's
# `tf.gradients`): the gradient is more graph, optimized along with the rest.

# %%
def careless_loss(x):
    return careless(x).sum()


loss_graph = G.trace(careless_loss, batch1, variables=parameters)
gradients = loss_graph.grad()  # d loss / d each variable, as a graph
smaller_gradients = G.optimize(gradients)
print(f"loss graph: {len(loss_graph)} nodes; gradient graph: {len(gradients)} nodes, "
      f"{len(smaller_gradients)} after the passes")

careless_loss(batch1).backward()  # the eager way, for comparison
for var, from_graph in zip(loss_graph.variables, smaller_gradients.run(batch1)):
    assert np.allclose(from_graph.numpy(), parameters[var.name].grad.numpy(), atol=1e-5), var.name
print("the optimized gradient graph agrees with backward() for", [var.name for var in loss_graph.variables])


# %% [markdown]
# ## Summary
#
# - A computation graph has a node per operation and an edge per value read; it is a DAG, run in
#   a **topological order** (each node after its inputs). Nodes that do not depend on each other
#   (those on the same level, for one) can run in parallel.
# - minidl records the graph **while the code runs** (define-by-run): `y.grad_fn`, its `inputs`,
#   `minidl.walk(y)`. Only ops that need a gradient are recorded, and every run builds a new graph.
# - `minidl.graph.trace` turns the code into a **static graph** (define-then-run): placeholders,
#   variables, constants and op nodes, run with `graph.run`. It has fixed shapes, and it keeps only
#   the path Python took while tracing (`TracerWarning`).
# - Dynamic graphs give Python's control flow and debugging; static graphs give whole-graph
#   optimization and deployment without Python. JIT compilers bring the second to the first.
# - Graph passes (dead code elimination, constant folding, common subexpressions, fusion)
#   shrink a graph without changing its result.
#
# Next, chapter 3 walks the graph backward and computes gradients.

# %% [markdown]
# ## Exercises
#
# The exercises use graphs in the format of section 1: a dict `{name: (op, [input names])}`, with
# `("input", [])` for an input. The checkers run your code on several graphs and tell you which
# one went wrong, what was expected, and a hint.
#
# ### Exercise 1: a topological order
#
# Write `topological_order(graph)`: return a list of all the names in `graph`, each after all of
# its inputs, whatever order the dict's entries are in. If the graph has a cycle, raise
# `ValueError`. The checker tries the neuron, a chain written outputs first, a diamond,
# `mul(x, x)`, two unconnected pieces, a random graph of 40 nodes, and two cycles.
#
# Two classic methods: **depth first** (to place a node, place its inputs first; mark nodes "in
# progress" while you do, and meeting one of those again means a cycle), or **Kahn's algorithm**
# (count each node's inputs; place the nodes with none; placing a node lowers the count of every
# node that reads it; nodes left unplaced at the end are on a cycle).

# %%
def topological_order(graph):
    """All names of `graph` ({name: (op, [input names])}), each after all of its inputs.

    Raise ValueError if the graph has a cycle.
    """
    # Depth first or Kahn's algorithm. Don't change `graph`.
    # BEGIN SOLUTION
    order, state = [], {}  # state: "in progress" while its inputs are being placed, then "done"

    def place(name):
        if state.get(name) == "done":
            return
        if state.get(name) == "in progress":
            raise ValueError(f"the graph has a cycle through {name!r}")
        state[name] = "in progress"
        for source in graph[name][1]:
            place(source)
        state[name] = "done"
        order.append(name)

    for name in graph:
        place(name)
    return order
    # END SOLUTION


# %%
check_topological_order(topological_order)

# %% [markdown]
# ### Exercise 2: count the ops minidl recorded
#
# Write `count_ops(y)`: a dict from op label to the number of ops with that label in the graph
# that made the tensor `y`, such as `{"mul": 2, "add": 1, "sigmoid": 1}` for the neuron. Do not
# use `minidl.walk`: start from `y.grad_fn` and follow the `grad_fn` of each op's `inputs`.
# Careful with three things: a value read twice (the neuron's `z`) must not make you count its op
# twice; a leaf has `grad_fn` `None`; and the checker's deepest graph is 5,000 ops long, deeper
# than Python lets a function recurse.

# %%
def count_ops(y):
    """{label: how many ops with that label made y}, found by following grad_fn and inputs."""
    # Keep a list of ops to visit (a stack) and a set of the ops already counted.
    # BEGIN SOLUTION
    counts, seen = {}, set()
    to_visit = [y.grad_fn] if y.grad_fn is not None else []
    while to_visit:
        op = to_visit.pop()
        if op in seen:
            continue
        seen.add(op)
        counts[op.label] = counts.get(op.label, 0) + 1
        to_visit += [t.grad_fn for t in op.inputs if t.grad_fn is not None]
    return counts
    # END SOLUTION


# %%
check_count_ops(count_ops)

# %% [markdown]
# ### Exercise 3: dead code elimination
#
# Write `dead_code_elimination(graph, outputs)`: return a new graph dict with only the entries
# that the names in `outputs` depend on (the outputs themselves, their inputs, their inputs'
# inputs, and so on, inputs included), in the same order as in `graph`. Leave `graph` unchanged.
# Beware of dead chains: a node that only dead nodes read is dead too. One of the checker's graphs
# is traced by `minidl.graph.trace`, and your result must match what `G.dead_code_elimination`
# keeps.

# %%
def dead_code_elimination(graph, outputs):
    """A new graph with only the entries that `outputs` (a list of names) depend on, in graph order."""
    # Walk back from the outputs to find what is needed, then keep those entries.
    # BEGIN SOLUTION
    needed, to_visit = set(), list(outputs)
    while to_visit:
        name = to_visit.pop()
        if name not in needed:
            needed.add(name)
            to_visit += graph[name][1]
    return {name: entry for name, entry in graph.items() if name in needed}
    # END SOLUTION


# %%
check_dead_code_elimination(dead_code_elimination)

# %% [markdown]
# ### Exercise 4: constant folding
#
# Now the graph may also read **constants**, values known before it runs, given in a separate
# dict: `constants = {"two": 2.0, "three": 3.0}` for a graph with the node
# `"scale": ("mul", ["two", "three"])`. Write `constant_folding(graph, constants, ops)`, where
# `ops` maps each op name to a function (`ops["mul"](2.0, 3.0)` is `6.0`). Go through the graph in
# order; compute every node whose inputs are all constants, and make its value a constant. Return
# `(graph_left, new_constants)`: the nodes that could not be folded, in order, and a new dict with
# the old constants and the folded values. Inputs are never folded (they have no inputs, and
# `all([])` is `True`!), nor is any node that reads one; a node that reads a value you have just
# folded can be folded too. Leave `graph` and `constants` unchanged.

# %%
def constant_folding(graph, constants, ops):
    """(the graph without the nodes that read only constants, the constants plus those nodes' values)."""
    # One pass in the graph's order, with a growing dict of known constants.
    # BEGIN SOLUTION
    graph_left, constants = {}, dict(constants)
    for name, (op, inputs) in graph.items():
        if inputs and all(source in constants for source in inputs):
            constants[name] = ops[op](*[constants[source] for source in inputs])
        else:
            graph_left[name] = (op, inputs)
    return graph_left, constants
    # END SOLUTION


# %%
check_constant_folding(constant_folding)
