"""`trace`: run a function once on example inputs and record every op it calls as a Graph.

Tracing needs no second implementation of anything: the engine shows the tracer each op
call (`autograd._tracer`), with the op's settings and its input and output tensors. Which
tensor is which value is known by identity: the example inputs are the placeholders, the
module's parameters and buffers the variables, an op's outputs its node's values, and any
other tensor met is a constant, fixed at the value it had while tracing.

What tracing cannot see is Python itself. `if x.sum() > 0:` is decided once, with the example
input, and the graph keeps only that branch: a `TracerWarning` says so when it happens.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import math
import warnings

from minidl import autograd
from minidl.autograd import Function, enable_grad
from minidl.backend import get_array_module, is_array
from minidl.graph.graph import Graph
from minidl.graph.ir import Node, Saved, Var, map_leaves
from minidl.graph.passes import Fused
from minidl.tensor import Tensor

__all__ = ["Tracer", "TracerWarning", "gradient_graph", "trace"]


class TracerWarning(UserWarning):
    """The traced graph may differ from what the function does on other inputs."""


def trace(fn, *example_inputs, variables: dict | None = None) -> Graph:
    """Run `fn` (a function or an nn.Module) once on `example_inputs` and return its Graph.

    The placeholders are named after fn's parameters (forward's, for a module); a module's
    parameters and buffers become variables named as in its state_dict. Other tensors that
    require grad become variables too: name them with `variables={"w": w}`, else they are
    called param0, param1, ... . Anything else the function uses is a constant.
    """
    inputs = [x if isinstance(x, Tensor) else Tensor(x) for x in example_inputs]
    names = _input_names(fn, len(inputs))
    named = dict(variables or {})
    if hasattr(fn, "named_parameters"):
        named.update(fn.named_parameters())
        named.update(fn.named_buffers())
    tracer = Tracer(dict(zip(names, inputs)), named)
    with tracer.recording(), _module_scopes(fn, tracer):
        result = fn(*inputs)
    results = result if isinstance(result, (tuple, list)) else (result,)
    if not all(isinstance(y, Tensor) for y in results):
        raise TypeError(f"trace: the function must return a Tensor or a tuple of Tensors, got {type(result).__name__}")
    return tracer.graph(results, [x.array for x in inputs])


class Tracer:
    """Builds the graph while the engine reports op calls (see `record`)."""

    def __init__(self, inputs: dict[str, Tensor], variables: dict[str, Tensor]):
        self.values: dict[int, Var] = {}  # id(tensor) -> its Var
        self.sources: dict[int, Var | Saved] = {}  # id(array) -> the value or saved array it is
        self.kept = []  # every tensor and op seen: alive, so no id() is reused while tracing
        self.inputs = [self._remember(tensor, Var(name, tensor.shape, tensor.dtype)) for name, tensor in inputs.items()]
        self.variable_names = {id(tensor): name for name, tensor in variables.items()}
        self.variables, self.constants, self.nodes = {}, {}, []
        self.varying = set(self.inputs)  # values that depend on an input or a variable
        self.scope = ""
        self.numbers = itertools.count()

    @contextlib.contextmanager
    def recording(self):
        if autograd._tracer is not None:
            raise RuntimeError("trace: already tracing (trace cannot be nested)")
        autograd._tracer = self
        try:
            yield
        finally:
            autograd._tracer = None

    def record(self, function: Function, made_with: dict, inputs, outputs) -> None:
        """Called by the engine after every op: `made_with` is the op's attributes before forward."""
        node = Node(type(function), {k: self._symbolic(v) for k, v in made_with.items()},
                    [self.value(x) for x in inputs], [], self.scope)
        node.outputs = [self._remember(y, Var(f"%{next(self.numbers)}", y.shape, y.dtype)) for y in outputs]
        if any(var in self.varying for var in node.uses()):
            self.varying.update(node.outputs)
        for name, value in vars(function).items():  # arrays forward kept for backward
            if name not in made_with and is_array(value):
                self.sources[id(value)] = Saved(node, name)
        self.kept.append(function)
        self.nodes.append(node)

    def value(self, tensor: Tensor) -> Var:
        """The Var of a tensor, made a variable or a constant when first met."""
        known = self.values.get(id(tensor))
        if known is not None:
            return known
        name = self.variable_names.get(id(tensor))
        if name is None and tensor.requires_grad and tensor.grad_fn is None:
            name = f"param{sum(1 for v in self.variables if v.name.startswith('param'))}"
        if name is not None:
            var = Var(name, tensor.shape, tensor.dtype)
            self.variables[var] = tensor
            self.varying.add(var)
        else:
            var = Var(f"c{len(self.constants)}", tensor.shape, tensor.dtype)
            self.constants[var] = tensor.array.copy()  # fixed now, whatever happens to the tensor later
        return self._remember(tensor, var)

    def became_python_bool(self, tensor: Tensor) -> None:
        var = self.values.get(id(tensor))
        if var in self.varying:
            warnings.warn(
                f"trace: the traced value {var.name} ({var.type}) was turned into a Python bool, as in "
                "`if x.sum() > 0:`. The graph records only the branch this example input took, and will "
                "take it for every input. Use minidl.where for a choice per element, or keep this part eager.",
                TracerWarning,
                stacklevel=3,
            )

    def graph(self, outputs, examples) -> Graph:
        return Graph(self.inputs, self.variables, self.constants, self.nodes, [self.value(y) for y in outputs],
                     examples)

    def _remember(self, tensor: Tensor, var: Var) -> Var:
        self.values[id(tensor)] = var
        self.sources[id(tensor.array)] = var
        self.kept.append(tensor)
        return var

    def _symbolic(self, value):
        """An attribute with each array that is a graph value (or a saved array) replaced by
        its Var (or Saved): e.g. the targets inside cross-entropy's index."""
        return map_leaves(value, lambda leaf: self.sources.get(id(leaf), leaf) if is_array(leaf) else leaf)


def _input_names(fn, count: int) -> list[str]:
    try:
        parameters = list(inspect.signature(fn.forward if hasattr(fn, "forward") else fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    if len(parameters) >= count and all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                                        for p in parameters[:count]):
        return [p.name for p in parameters[:count]]
    return [f"input{i}" for i in range(count)]


@contextlib.contextmanager
def _module_scopes(fn, tracer: Tracer):
    """While a module traces, tracer.scope is the name of the innermost module running."""
    if not hasattr(fn, "named_modules"):
        yield
        return
    handles, stack = [], []

    def enter(name):
        def hook(module, inputs):
            stack.append(tracer.scope)
            tracer.scope = name

        return hook

    def leave(module, inputs, output):
        tracer.scope = stack.pop()

    for name, module in fn.named_modules():
        if name:
            handles += [module.register_forward_pre_hook(enter(name)), module.register_forward_hook(leave)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def gradient_graph(graph: Graph, wrt=None) -> Graph:
    """Graph.grad: trace the eager engine computing the gradients of `graph`'s output."""
    if len(graph.outputs) != 1:
        raise ValueError(f"Graph.grad: needs a graph with one output, this one has {len(graph.outputs)}")
    if any(node.function is Fused for node in graph.nodes):
        raise ValueError("Graph.grad: differentiate the graph before fusing it (a fused node has no backward rule)")
    (output,) = graph.outputs
    if wrt is None:
        wrt = list(graph.variables) or [v for v in graph.inputs if v.dtype.kind == "f"]
    wrt = [graph.find(name) for name in wrt]
    for var in wrt:
        if var not in graph.inputs and var not in graph.variables:
            raise ValueError(f"Graph.grad: {var.name!r} is neither an input nor a variable of the graph")
    if not graph.examples:
        raise ValueError("Graph.grad: this graph has no example inputs to trace its backward pass with")
    examples = [Tensor(array.copy(), requires_grad=var in wrt) for var, array in zip(graph.inputs, graph.examples)]
    scalar = math.prod(output.shape) == 1
    if not scalar:  # a placeholder for d loss / d output
        examples.append(Tensor(get_array_module(examples[0].array).ones(output.shape, dtype=output.dtype)))
    variables = {var.name: tensor for var, tensor in graph.variables.items()}
    wanted = [variables[var.name] if var in graph.variables else examples[graph.inputs.index(var)] for var in wrt]

    def backward_pass(*tensors):
        with enable_grad():
            y = graph(*tensors[: len(graph.inputs)])  # eager, op by op: the tracer sees each one
            seed = None if scalar else tensors[-1]
            # create_graph: the gradients come out of recorded ops, so the tracer knows them
            grads = autograd.grad(y, wanted, grad_outputs=seed, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else w.detach() * 0 for g, w in zip(grads, wanted))

    tracer = Tracer({**{v.name: t for v, t in zip(graph.inputs, examples)},
                     **({} if scalar else {"grad_output": examples[-1]})}, variables)
    with tracer.recording():
        results = backward_pass(*examples)
    traced = tracer.graph(results, [t.array for t in examples])
    # graph(...) ran each of its nodes as one op, in order: those come first, then backward's.
    for node, traced_node in zip(graph.nodes, traced.nodes):
        traced_node.scope = node.scope
    for traced_node in traced.nodes[len(graph.nodes):]:
        traced_node.scope = "backward"
    return traced
