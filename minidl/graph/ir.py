"""The static graph: values (`Var`), op applications (`Node`) and the `Graph` that holds them.

A Graph is data, in the spirit of a jaxpr or a torch.fx graph: inputs (placeholders, the
endpoints data is fed into), variables (parameters: state that outlives one run), constants,
and a list of nodes in the order they run, each naming the minidl op (the same `Function`
class the eager engine calls), its attributes and its input and output values.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy

from minidl.autograd import Function
from minidl.backend import is_array

__all__ = ["Node", "Saved", "Var", "as_tuple", "map_leaves"]


class Var:
    """One value of the graph, with the shape and dtype it had when traced."""

    __slots__ = ("dtype", "name", "shape")

    def __init__(self, name: str, shape: tuple, dtype):
        self.name, self.shape, self.dtype = name, tuple(shape), numpy.dtype(dtype)

    @property
    def type(self) -> str:
        """Shape and dtype in short, as `f32[64,784]`."""
        return f"{_short_dtype(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __repr__(self) -> str:
        return self.name


class Saved(NamedTuple):
    """An array an op kept from its forward pass (max pooling's winners), read by a backward op:
    an edge from the forward node that is easy to miss in eager code."""

    node: Node
    attribute: str

    def __repr__(self) -> str:
        return f"{self.node.outputs[0].name}.{self.attribute}"


class Node:
    """outputs = function(inputs), with the op's attributes (axis, window, index, ...).

    `function` is the op's class from minidl.ops or minidl.nn.functional; `attributes` are
    what the op was constructed with, where an array that is a value of the graph appears as
    its Var (a tensor index, such as cross-entropy's targets) or as a `Saved` reference.
    `scope` names the module that ran it ("fc1", "features.0"), "" for none.
    """

    def __init__(self, function: type[Function], attributes: dict, inputs: list[Var], outputs: list[Var],
                 scope: str = ""):
        self.function, self.attributes = function, attributes
        self.inputs, self.outputs, self.scope = list(inputs), list(outputs), scope

    @property
    def label(self) -> str:
        return self.attributes.get("label", self.function.label)

    def uses(self) -> list[Var]:
        """Every value this node reads: its inputs, Vars inside its attributes, and the first
        output of each node it reads a saved array from (which must run before it)."""
        used = list(self.inputs)
        for part in _leaves(self.attributes):
            if isinstance(part, Var):
                used.append(part)
            elif isinstance(part, Saved):
                used.append(part.node.outputs[0])
        return used

    def saved_from(self) -> list[Node]:
        return [part.node for part in _leaves(self.attributes) if isinstance(part, Saved)]

    def make(self, array_of, made: dict) -> Function:
        """A fresh op, its attributes filled in: `array_of(var)` gives a value's array in this
        run, `made[node]` the op that ran a node earlier in this run."""
        def fill(leaf):
            if isinstance(leaf, Var):
                return array_of(leaf)
            return getattr(made[leaf.node], leaf.attribute) if isinstance(leaf, Saved) else leaf

        op = object.__new__(self.function)
        op.__dict__.update({k: map_leaves(v, fill) for k, v in self.attributes.items()})
        return op

    def shown_attributes(self) -> dict:
        """The attributes that say what the op computes (not how it is built: label, returns_view)."""
        return {k: v for k, v in self.attributes.items() if k not in ("label", "returns_view")}

    def __repr__(self) -> str:
        outputs = ", ".join(v.name for v in self.outputs)
        shown = self.shown_attributes()
        attributes = f"[{', '.join(f'{k}={show(v)}' for k, v in shown.items())}]" if shown else ""
        return f"{outputs} = {self.label}{attributes}({', '.join(v.name for v in self.inputs)})"


def as_tuple(result) -> tuple:
    """An op's forward result as a tuple of outputs (forward returns one array, or a tuple)."""
    return result if type(result) is tuple else (result,)


def map_leaves(value, change):
    """`value` with every leaf inside nested tuples and lists replaced by `change(leaf)`; named
    tuples (a Window) keep their type, and a Saved reference is a leaf."""
    if isinstance(value, Saved) or not isinstance(value, (tuple, list)):
        return change(value)
    parts = [map_leaves(part, change) for part in value]
    if isinstance(value, list):
        return parts
    return type(value)(*parts) if hasattr(value, "_fields") else tuple(parts)


def _leaves(value):
    """Everything inside nested tuples, lists and dicts."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)) and not isinstance(value, Saved):
        for part in value:
            yield from _leaves(part)
    else:
        yield value


def show(value) -> str:
    """An attribute in short: arrays as their type (or value, when tiny), Vars by name."""
    if is_array(value):
        if value.size <= 4:
            return numpy.array2string(numpy.asarray(value.tolist()), separator=",", precision=4)
        return f"{_short_dtype(value.dtype)}[{','.join(map(str, value.shape))}]"
    if isinstance(value, Saved):
        return repr(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a Window: (5, 5) shown as 5
        fields = [v[0] if isinstance(v, tuple) and len(set(v)) == 1 else v for v in value]
        return f"{type(value).__name__}({', '.join(f'{k}={show(v)}' for k, v in zip(value._fields, fields))})"
    if isinstance(value, (tuple, list)):
        parts = [show(v) for v in value]
        return f"({parts[0]},)" if isinstance(value, tuple) and len(parts) == 1 else f"({', '.join(parts)})"
    if isinstance(value, slice):
        return ":".join("" if p is None else str(p) for p in (value.start, value.stop, value.step)).rstrip(":") or ":"
    return repr(value)


def _short_dtype(dtype) -> str:
    dtype = numpy.dtype(dtype)
    return {"f": "f", "i": "i", "u": "u", "b": "bool", "c": "c"}[dtype.kind] + (
        str(dtype.itemsize * 8) if dtype.kind != "b" else ""
    )
