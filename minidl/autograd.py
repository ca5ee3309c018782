"""Reverse-mode automatic differentiation: the `Function` base class and the backward pass.

Every op is a `Function`. Calling one runs `forward` on raw arrays and, when gradients are
wanted, records the op on its output (`output.grad_fn`), so the graph is built while the
program runs (define-by-run). `backward()` walks that graph from the output to the leaves,
calling each op's `backward`, which works on Tensors: that is why the gradient of a gradient
(`create_graph=True`) needs no extra code.
"""

from __future__ import annotations

import contextlib
import itertools
import weakref
from collections.abc import Callable, Iterable
from typing import NamedTuple

from minidl.backend import get_array_module
from minidl.tensor import Tensor

__all__ = [
    "BackwardStep",
    "Function",
    "backward",
    "clear_grads",
    "enable_grad",
    "explain",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
    "walk",
]

_grad_enabled = True
# The recorder of minidl.graph.trace while it runs, else None: it is shown every op called.
_tracer = None
# Numbers recorded ops in the order they ran (PyTorch's sequence_nr): walk() gives an order
# that respects the graph, this one says which op ran first (a graph viewer replays forward).
_sequence = itertools.count()


def is_grad_enabled() -> bool:
    """True when ops record themselves for backward (the default)."""
    return _grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn graph recording on or off inside a `with` block or a decorated function."""

    def __init__(self, mode: bool):
        self.mode = mode
        self.previous = []  # a stack: a decorated function may call itself

    def __enter__(self):
        global _grad_enabled
        self.previous.append(_grad_enabled)
        _grad_enabled = self.mode

    def __exit__(self, *exc_info):
        global _grad_enabled
        _grad_enabled = self.previous.pop()


class _GradMode(set_grad_enabled):
    """A fixed grad mode, usable as `with no_grad():`, `@no_grad()` or `@no_grad` (as PyTorch)."""

    mode: bool

    def __new__(cls, function=None):
        if function is not None:  # used as a bare decorator: @no_grad
            return cls()(function)
        return super().__new__(cls)

    def __init__(self, function=None):
        super().__init__(type(self).mode)


class no_grad(_GradMode):
    """Run without recording a graph: for evaluation and for updating parameters."""

    mode = False


class enable_grad(_GradMode):
    """Record a graph again, even inside `no_grad`."""

    mode = True


class Function:
    """One op of the graph: `forward` maps arrays to arrays, `backward` maps Tensors to Tensors.

    Subclasses set `label` (the name shown in graph drawings) and keep whatever else
    backward needs as attributes; `saved()` lists those for a graph viewer.
    """

    label = "function"
    # True for ops whose output shares memory with their (first) input, such as reshape: an
    # in-place change through either is a change to both, so they share a version counter.
    returns_view = False
    # False for ops whose result has no gradient (comparisons, argmax): it never requires grad.
    differentiable = True
    # What the engine itself keeps on every recorded op; anything else is the op's own.
    _ENGINE_FIELDS = ("_inputs", "_outputs", "_versions", "_output_versions", "needs_input_grad", "freed",
                      "returns_view", "label", "sequence_nr")
    freed = False  # set once backward() has gone through this op (unless retain_graph=True)

    def __call__(self, *inputs: Tensor):
        arrays = [x.array for x in inputs]
        if len(arrays) > 1 and len(set(map(type, arrays))) > 1:  # NumPy and CuPy arrays mixed
            devices = ", ".join(x.device for x in inputs)
            raise RuntimeError(f"{self.label}: inputs are on different devices ({devices})")
        made_with = dict(vars(self)) if _tracer is not None else None  # the op's settings, before forward
        try:
            result = self.forward(*arrays)
        except (ValueError, IndexError, TypeError) as error:
            raise explain(self.label, inputs, error) from None
        if type(result) is tuple:
            outputs = tuple([Tensor(y) for y in result])
        else:
            outputs = (Tensor(result),)
        if self.returns_view:
            for y in outputs:
                y._version = inputs[0]._version
        if _tracer is not None:
            _tracer.record(self, made_with, inputs, outputs)
        if _grad_enabled and self.differentiable:
            needs_input_grad = tuple([x.requires_grad for x in inputs])
            if True in needs_input_grad:
                self._record(inputs, needs_input_grad, outputs)
        return outputs if type(result) is tuple else outputs[0]

    def _record(self, inputs, needs_input_grad, outputs) -> None:
        """Link the outputs to this op, and keep what backward will need."""
        self._inputs = inputs
        self.sequence_nr = next(_sequence)
        self.needs_input_grad = needs_input_grad
        self._versions = [x._version[0] for x in inputs]
        references, versions = [], []
        for y in outputs:
            y.grad_fn = self
            y.requires_grad = True
            # A weak reference: the output points to its op, so a strong one back would be a cycle.
            references.append(weakref.ref(y))
            versions.append(y._version[0])
        self._outputs, self._output_versions = references, versions

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, *grad_outputs: Tensor):
        raise NotImplementedError

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        """The input Tensors, checked unchanged since forward (backward reads them)."""
        if [x._version[0] for x in self._inputs] != self._versions:
            changed = next(x for x, v in zip(self._inputs, self._versions) if x._version[0] != v)
            raise _modified_in_place(self, changed)
        return self._inputs

    @property
    def outputs(self) -> tuple[Tensor | None, ...]:
        """The output Tensors (None for one nobody holds any more), checked like `inputs`."""
        outputs = tuple(ref() for ref in self._outputs)
        for y, version in zip(outputs, self._output_versions):
            if y is not None and y._version[0] != version:
                raise _modified_in_place(self, y)
        return outputs

    def saved(self) -> dict:
        """What this op keeps for backward besides its inputs and outputs (axis, mask, ...)."""
        return {k: v for k, v in vars(self).items() if k not in self._ENGINE_FIELDS}

    def __repr__(self) -> str:
        return f"<{self.label}>"


def explain(label: str, inputs, error: Exception) -> Exception:
    """NumPy's complaint about bad input, restated with the op's name and the shapes and
    dtypes it was given."""
    described = ", ".join(f"{x.shape} {x.dtype}" for x in inputs)
    kind = next(kind for kind in (IndexError, TypeError, ValueError) if isinstance(error, kind))
    return kind(f"{label}: {error} (inputs: {described})")


def _modified_in_place(function: Function, tensor: Tensor) -> RuntimeError:
    return RuntimeError(
        f"backward through {function.label}: a tensor of shape {tensor.shape} that it needs was "
        "changed in place after the forward pass, so its gradient would be wrong; "
        "change a copy (x.clone()) instead, or call backward before changing it"
    )


def walk(*outputs: Tensor) -> list[Function]:
    """The ops that made `outputs`, each listed before the ops that made its inputs.

    This is the order backward visits them. It is found with an explicit stack rather than
    recursion, so a graph 10,000 ops deep works. Inputs are visited in order, so the
    result is the same every run.
    """
    order, seen = [], set()
    stack = [(y.grad_fn, False) for y in reversed(outputs) if y.grad_fn is not None]
    while stack:
        function, inputs_done = stack.pop()
        if inputs_done:
            order.append(function)
            continue
        if function in seen:
            continue
        seen.add(function)
        stack.append((function, True))
        for x in reversed(function._inputs):  # _inputs: walking reads no values
            if x.grad_fn is not None and x.grad_fn not in seen:
                stack.append((x.grad_fn, False))
    return order[::-1]


class BackwardStep(NamedTuple):
    """What a backward hook sees at each op: the op, the gradient arriving at each of its
    outputs, and the gradient it passes to each of its inputs (None where none flows)."""

    function: Function
    grad_outputs: tuple[Tensor | None, ...]
    grad_inputs: tuple[Tensor | None, ...]


def _run_backward(outputs, grad_outputs, retain_graph, create_graph, hook, keep=()) -> dict:
    """Propagate gradients from `outputs` back through the graph.

    Returns the gradient of every leaf reached, and of the non-leaf tensors in `keep` or
    marked with retain_grad(); other gradients are dropped as soon as their op has used them.
    """
    functions = walk(*outputs)
    for function in functions:  # check before any gradient is written anywhere
        if function.freed:
            raise RuntimeError(
                f"backward through {function.label} a second time: it was already used by an "
                "earlier backward(); pass retain_graph=True to that call to go through it again"
            )
    grads: dict[Tensor, Tensor] = {}
    for y, grad_y in zip(outputs, grad_outputs):
        grads[y] = grads[y] + grad_y if y in grads else grad_y
    kept = {}
    with set_grad_enabled(create_graph):
        for function in functions:
            grad_ys = []
            for ref in function._outputs:
                y = ref()  # None for an output nobody holds any more
                grad_y = grads.pop(y, None)  # None for an output no path to the result used
                if grad_y is not None and (y in keep or y._retains_grad):
                    kept[y] = grad_y
                grad_ys.append(grad_y)
            grad_xs = function.backward(*grad_ys)
            if type(grad_xs) is not tuple:
                grad_xs = (grad_xs,)
            grad_xs = [
                _fit_to_input(g, x) if needed and g is not None else None
                for g, x, needed in zip(grad_xs, function._inputs, function.needs_input_grad)
            ]
            if hook is not None:
                hook(BackwardStep(function, tuple(grad_ys), tuple(grad_xs)))
            for x, grad_x in zip(function._inputs, grad_xs):
                if grad_x is not None:  # a tensor used twice gets the sum of both gradients
                    grads[x] = grads[x] + grad_x if x in grads else grad_x
            if not retain_graph:
                function.freed = True
    grads.update(kept)
    return grads


def _fit_to_input(grad: Tensor, x: Tensor) -> Tensor:
    """Sum a broadcast gradient back to the input's shape: the one place this is done.

    If x was broadcast from (3, 1) to (3, 4) in forward, each x[i, 0] was used 4 times, so its
    gradient is the sum of those 4 gradients.
    """
    if grad.array.shape != x.array.shape:  # .array: this runs for every op, skip the property
        grad = grad.sum_to(x.shape)
    if grad.array.dtype != x.array.dtype:
        grad = grad.astype(x.dtype)
    return grad


def backward(
    tensor: Tensor,
    gradient: Tensor | None = None,
    retain_graph: bool = False,
    create_graph: bool = False,
    hook: Callable[[BackwardStep], None] | None = None,
) -> None:
    """Add d(tensor)/d(leaf) to `leaf.grad` for every leaf that requires grad (`Tensor.backward`)."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn; "
            "did you create its inputs with requires_grad=True, or run it under no_grad()?"
        )
    gradient = _seed_gradient(tensor, gradient, "backward")
    grads = _run_backward((tensor,), (gradient,), retain_graph or create_graph, create_graph, hook)
    stored = set()  # ids of the arrays already given to a .grad in this call
    for x, g in grads.items():
        if create_graph:
            x.grad = g if x.grad is None else x.grad + g
            continue
        array = g.array if x.grad is None else x.grad.array + g.array
        # Each .grad gets an array of its own: g may be a read-only broadcast view, or the
        # very array another input got (add passes one gradient to both of its inputs).
        if array.base is not None or id(array) in stored:
            array = array.copy()
        stored.add(id(array))
        x.grad = Tensor(array)


def grad(
    outputs: Tensor | Iterable[Tensor],
    inputs: Tensor | Iterable[Tensor],
    grad_outputs: Tensor | Iterable[Tensor] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
    hook: Callable[[BackwardStep], None] | None = None,
) -> tuple[Tensor | None, ...]:
    """Return d(sum of outputs)/d(input) for each input, without touching any `.grad`
    (`hook` sees each BackwardStep, as in `backward`)."""
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    seeds = tuple(_seed_gradient(y, g, "grad") for y, g in zip(outputs, grad_outputs))
    retain_graph = create_graph if retain_graph is None else retain_graph
    grads = _run_backward(outputs, seeds, retain_graph, create_graph, hook, keep=set(inputs))
    result = tuple(grads.get(x) for x in inputs)
    for x, g in zip(inputs, result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: an input of shape {x.shape} was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return tuple(g if g is None or create_graph else g.detach() for g in result)


def clear_grads(tensors: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Forget the gradients of `tensors` before the next backward: None, or fresh zeros.

    Fresh zeros rather than zeroing in place: a .grad made with create_graph=True may be part of a
    graph, or a read-only broadcast view. (Module.zero_grad and Optimizer.zero_grad both use this.)
    """
    for tensor in tensors:
        if set_to_none:
            tensor.grad = None
        elif tensor.grad is not None:
            tensor.grad = Tensor(get_array_module(tensor.grad.array).zeros_like(tensor.grad.array))


def _seed_gradient(tensor: Tensor, gradient, op: str) -> Tensor:
    """The gradient backward starts from: 1 for a scalar output, else the one given."""
    if gradient is None:
        if tensor.numel() != 1:
            raise RuntimeError(
                f"{op}: an output of shape {tensor.shape} is not a scalar; pass a gradient of the "
                "same shape (e.g. loss.sum().backward() or y.backward(ones_like(y)))"
            )
        return Tensor(get_array_module(tensor.array).ones_like(tensor.array))
    gradient = gradient if isinstance(gradient, Tensor) else Tensor(gradient)
    if gradient.shape != tensor.shape:
        raise ValueError(f"{op}: gradient of shape {gradient.shape} for an output of shape {tensor.shape}")
    return gradient

