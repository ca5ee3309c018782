"""What the graph view shows, as plain data: the ops and tensors of a graph, and the steps of
forward evaluation and of backward, taken from the engine itself.

`ViewGraph.from_tensor(y)` reads a dynamic graph (the ops `minidl.walk` finds from y);
`ViewGraph.from_graph(graph)` runs a traced Graph eagerly and reads the ops that ran, with
their module and names. Backward is the engine's real backward, observed through its hook
(`minidl.grad(..., hook=...)`), so the steps are the order and the gradients the engine uses;
no `.grad` of any tensor is changed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

import minidl
from minidl import BackwardStep, Tensor
from minidl.graph.ir import as_tuple

__all__ = ["Step", "ViewGraph", "numerical_grad", "summary"]


@dataclass
class Step:
    """One step of the walk: the op node in focus, the phase, and the tensors it reads and makes.

    forward:  `inputs` are its input tensors, `outputs` the values it made
    backward: `outputs` hold the gradients arriving at its outputs, `inputs` those it passes on
    """

    node: str
    phase: str
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)


@dataclass
class ViewGraph:
    """Nodes (op and tensor ids -> label, kind, shape, scope), edges, and the steps."""

    ops: dict = field(default_factory=dict)  # op id -> {"label", "scope", "function"}
    tensors: dict = field(default_factory=dict)  # tensor id -> {"name", "kind", "tensor", "scope"}
    edges: list = field(default_factory=list)  # (from id, to id, shape)
    steps: list = field(default_factory=list)
    leaf_grads: dict = field(default_factory=dict)  # tensor id -> the engine's gradient (array)
    gradients: dict = field(default_factory=dict)  # tensor id -> the gradient that reached it (array)
    output: Tensor | None = None
    seed: Tensor | None = None

    @classmethod
    def from_tensor(cls, output: Tensor, names: dict | None = None, scopes: dict | None = None) -> ViewGraph:
        """The graph that made `output`; `names` maps tensors to names (by identity), `scopes`
        maps ops to the module that ran them."""
        if output.grad_fn is None:
            raise ValueError(
                "GraphView: this tensor was not made by any op that records a graph; build it from tensors with "
                "requires_grad=True, outside no_grad()"
            )
        view = cls(output=output)
        names = {id(t): name for name, t in (names or {}).items()}
        scopes = scopes or {}
        functions = sorted(minidl.walk(output), key=lambda f: f.sequence_nr)  # the order they ran in
        op_ids = {}
        for number, function in enumerate(functions):
            op_ids[function] = f"op{number}"
            view.ops[op_ids[function]] = {"label": function.label, "scope": scopes.get(function, ""),
                                          "function": function}
        made_by = {}
        for function in functions:
            for y in function._outputs:
                if y() is not None:
                    made_by[id(y())] = function
        for function in functions:
            op = op_ids[function]
            scope = view.ops[op]["scope"]
            inputs = [view._tensor(x, names, made_by, scope) for x in function._inputs]
            outputs = [view._tensor(y(), names, made_by, scope) for y in function._outputs if y() is not None]
            view.edges += [(t, op, _shape(view.tensors[t]["tensor"])) for t in inputs]
            view.edges += [(op, t, _shape(view.tensors[t]["tensor"])) for t in outputs]
            view.steps.append(Step(op, "forward", inputs, outputs))
        view.tensors[view._id(output)]["kind"] = "output"
        view._backward(op_ids)
        return view

    @classmethod
    def from_graph(cls, graph) -> ViewGraph:
        """A traced minidl Graph, run once eagerly on the example inputs it was traced with."""
        inputs = [Tensor(a.copy()) for a in graph.examples]
        ops = {}
        with minidl.enable_grad():
            output = graph(*inputs, ops=ops)
        if isinstance(output, tuple):
            raise ValueError(f"GraphView: the graph has {len(output)} outputs; show one (a loss) at a time")
        names = {var.name: t for var, t in zip(graph.inputs, inputs)}
        names.update({var.name: t for var, t in graph.variables.items()})
        scopes = {op: node.scope for node, op in ops.items()}
        return cls.from_tensor(output, names, scopes)

    def _id(self, tensor: Tensor) -> str:
        return f"t{id(tensor)}"

    def _tensor(self, tensor: Tensor, names: dict, made_by: dict, scope: str) -> str:
        """The tensor's node id, adding the node when first met."""
        key = self._id(tensor)
        if key not in self.tensors:
            if id(tensor) in names:
                name = names[id(tensor)]
            else:
                name = f"%{len(self.tensors)}"
            if id(tensor) in made_by:
                kind = "value"
            elif tensor.requires_grad:  # a leaf that gets a gradient: a parameter, or x in y = f(x)
                kind = "param"
            else:  # data fed in, or a number the code used (0.9 in x * 0.9)
                kind = "input" if id(tensor) in names or tensor.ndim > 0 else "constant"
            owner = name.rpartition(".")[0] if kind == "param" else scope if kind == "value" else ""
            self.tensors[key] = {"name": name, "kind": kind, "tensor": tensor, "scope": owner}
        return key

    def _backward(self, op_ids: dict) -> None:
        """Run the engine's backward from the output and record each step it takes."""
        leaves = [self.tensors[key]["tensor"] for key in self.leaves()]
        self.seed = Tensor(np.ones(self.output.shape, dtype=self.output.dtype)) if self.output.numel() > 1 else None
        records = []
        grads = minidl.grad(self.output, leaves, grad_outputs=self.seed, retain_graph=True, allow_unused=True,
                            hook=records.append)
        for record in records:
            self.steps.append(self._backward_step(record, op_ids))
        self.leaf_grads = {self._id(t): None if g is None else g.numpy() for t, g in zip(leaves, grads)}
        # Every other value: what arrived at it when backward reached the op that made it.
        self.gradients = dict(self.leaf_grads)
        for step in self.backward_steps:
            self.gradients.update((key, grad.numpy()) for key, grad in step.outputs
                                  if key is not None and grad is not None)

    def _backward_step(self, record: BackwardStep, op_ids: dict) -> Step:
        function = record.function
        outputs = [(self._id(y()) if y() is not None else None, g) for y, g in zip(function._outputs,
                                                                                   record.grad_outputs)]
        inputs = [(self._id(x), g) for x, g in zip(function._inputs, record.grad_inputs)]
        return Step(op_ids[function], "backward", inputs, outputs)

    @property
    def forward_steps(self) -> list[Step]:
        return [s for s in self.steps if s.phase == "forward"]

    @property
    def backward_steps(self) -> list[Step]:
        return [s for s in self.steps if s.phase == "backward"]

    def leaves(self) -> list[str]:
        return [key for key, info in self.tensors.items() if info["kind"] == "param"]

    def replay(self, changed: dict) -> np.ndarray:
        """The output recomputed from the ops' own forward code, with some leaves' arrays
        replaced (`changed`: tensor id -> array): what a numerical gradient needs."""
        values = dict(changed)
        for step in self.forward_steps:
            function = self.ops[step.node]["function"]
            arrays = [values.get(self._id(x), x.array) for x in function._inputs]
            results = as_tuple(copy.copy(function).forward(*arrays))  # a copy: forward may store state on the op
            for y, array in zip(function._outputs, results):
                if y() is not None:
                    values[self._id(y())] = np.asarray(array)
        return values[self._id(self.output)]


def numerical_grad(view: ViewGraph, leaf: str, eps: float = 1e-6, limit: int = 64, seed: int = 0):
    """Central differences of sum(output * seed) for up to `limit` elements of a leaf, in float64.

    Returns (indices checked, numerical values there): every element for a small leaf, a
    seeded random sample of `limit` elements for a big one.
    """
    tensor = view.tensors[leaf]["tensor"]
    base = {key: info["tensor"].numpy().astype(np.float64) for key, info in view.tensors.items()
            if info["kind"] in ("param", "input", "constant") and info["tensor"].dtype.kind == "f"}
    weight = 1.0 if view.seed is None else view.seed.numpy().astype(np.float64)
    size = tensor.numel()
    rng = np.random.default_rng(seed)
    flat = np.arange(size) if size <= limit else np.sort(rng.choice(size, limit, replace=False))
    values = []
    for index in flat:
        parts = []
        for sign in (1, -1):
            changed = dict(base)
            changed[leaf] = base[leaf].copy()
            changed[leaf].reshape(-1)[index] += sign * eps
            parts.append(float(np.sum(view.replay(changed) * weight)))
        values.append((parts[0] - parts[1]) / (2 * eps))
    return flat, np.array(values)


def summary(array, small: int = 6) -> str:
    """A few numbers in short: the values of a tiny array, else shape and mean/std/min/max."""
    if array is None:
        return "none"
    array = np.asarray(array)
    if array.size <= small:
        return np.array2string(array.astype(np.float64) if array.dtype.kind == "f" else array, precision=4,
                               separator=", ", suppress_small=True)
    values = array.astype(np.float64)
    return (f"{array.dtype} {tuple(array.shape)}: mean {values.mean():.4g}, std {values.std():.4g}, "
            f"min {values.min():.4g}, max {values.max():.4g}")


def _shape(tensor: Tensor) -> str:
    return "x".join(map(str, tensor.shape)) or "scalar"
