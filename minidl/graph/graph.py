"""`Graph`: a traced computation you can print, draw, run, differentiate and optimize."""

from __future__ import annotations

from minidl.backend import as_array
from minidl.graph.ir import Node, Var, as_tuple, show
from minidl.tensor import Tensor

__all__ = ["Graph"]


class Graph:
    """A static graph (define-then-run): build it once with `minidl.graph.trace`, then run it.

    inputs     placeholders: the endpoints fed with data at every run
    variables  {Var: Tensor}: parameters and buffers, read afresh at every run (training
               changes them; the graph does not hold copies)
    constants  {Var: array}: values fixed when the graph was traced
    nodes      the ops, in an order in which each runs after what it reads
    outputs    the values a run returns
    """

    def __init__(self, inputs, variables, constants, nodes, outputs, examples=()):
        self.inputs: list[Var] = list(inputs)
        self.variables: dict[Var, Tensor] = dict(variables)
        self.constants: dict = dict(constants)
        self.nodes: list[Node] = list(nodes)
        self.outputs: list[Var] = list(outputs)
        self.examples = tuple(examples)  # the example inputs it was traced with (used by grad)

    def replace(self, **changes) -> Graph:
        """A copy with some parts changed: passes build new graphs and leave this one as it was."""
        parts = dict(inputs=self.inputs, variables=self.variables, constants=self.constants, nodes=self.nodes,
                     outputs=self.outputs, examples=self.examples)
        return Graph(**{**parts, **changes})

    def find(self, name) -> Var:
        """The value called `name` ("x", "fc1.weight", "%3"); a Var is returned as it is."""
        if isinstance(name, Var):
            return name
        for var in self._all_vars():
            if var.name == name:
                return var
        raise KeyError(f"Graph: no value is called {name!r}; inputs are {[v.name for v in self.inputs]}")

    def _all_vars(self):
        yield from self.inputs
        yield from self.variables
        yield from self.constants
        for node in self.nodes:
            yield from node.outputs

    # --- running it ----------------------------------------------------------------------

    def run(self, *args, feed: dict | None = None):
        """Execute the graph on arrays or Tensors; returns Tensors (one, or a tuple).

        graph.run(x, y)                         inputs in order, as the traced function took them
        graph.run("%7", feed={"x": x, "y": y})  define-then-run: fetch values by name (or Var)
                                                and feed the placeholders; only the nodes the
                                                fetched values need are run
        Runs the op's own forward code on raw arrays: no Tensor per step, no graph recorded.
        """
        if feed is None:
            wanted, feed = self.outputs, self._by_position(args)
        else:
            wanted = [self.find(name) for name in args] or self.outputs
            feed = {self.find(name): value for name, value in feed.items()}
        values = self._check_feed(feed)
        values.update({var: tensor.array for var, tensor in self.variables.items()})
        values.update(self.constants)
        made = {}
        for node in self.needed_for(wanted):
            op = node.make(values.__getitem__, made)
            values.update(zip(node.outputs, as_tuple(op.forward(*[values[var] for var in node.inputs]))))
            made[node] = op
        results = tuple(Tensor(values[var]) for var in wanted)
        return results[0] if len(results) == 1 else results

    def __call__(self, *inputs, ops: dict | None = None):
        """Execute the graph eagerly, op by op through the engine: the result can be
        back-propagated with the eager autograd (and a tracer running now sees every op).
        A dict passed as `ops` is filled with {node: the op that ran it}."""
        values = {var: tensor if isinstance(tensor, Tensor) else Tensor(tensor)
                  for var, tensor in self._by_position(inputs).items()}
        self._check_feed({var: t.array for var, t in values.items()})
        values.update(self.variables)
        values.update({var: Tensor(array) for var, array in self.constants.items()})
        made = {} if ops is None else ops
        for node in self.nodes:
            op = node.make(lambda var: values[var].array, made)
            values.update(zip(node.outputs, as_tuple(op(*[values[var] for var in node.inputs]))))
            made[node] = op
        results = tuple(values[var] for var in self.outputs)
        return results[0] if len(results) == 1 else results

    def needed_for(self, wanted) -> list[Node]:
        """The nodes that the values `wanted` depend on, in running order."""
        producer = {var: node for node in self.nodes for var in node.outputs}
        needed, stack = set(), list(wanted)
        while stack:
            node = producer.get(stack.pop())
            if node is not None and node not in needed:
                needed.add(node)
                stack.extend(node.uses())
        return [node for node in self.nodes if node in needed]

    def _by_position(self, args) -> dict:
        if len(args) != len(self.inputs):
            names = ", ".join(v.name for v in self.inputs)
            raise TypeError(f"Graph.run: the graph takes {len(self.inputs)} inputs ({names}), got {len(args)}")
        return dict(zip(self.inputs, args))

    def _check_feed(self, feed: dict) -> dict:
        """{placeholder: array}, every placeholder fed with its traced shape and dtype."""
        arrays = {}
        for var, value in feed.items():
            if var not in self.inputs:
                raise KeyError(f"Graph.run: {var.name!r} is not an input; inputs are {[v.name for v in self.inputs]}")
            array = value.array if isinstance(value, Tensor) else as_array(value)
            if array.shape != var.shape or array.dtype != var.dtype:
                raise ValueError(
                    f"Graph.run: input {var.name!r} was traced with shape {var.shape} {var.dtype}, got shape "
                    f"{array.shape} {array.dtype}; a traced graph has fixed shapes and dtypes: trace it again "
                    "with an example like this input"
                )
            arrays[var] = array
        missing = [v.name for v in self.inputs if v not in arrays]
        if missing:
            raise KeyError(f"Graph.run: no value fed for input(s) {missing}")
        return arrays

    # --- differentiating it --------------------------------------------------------------

    def grad(self, wrt=None) -> Graph:
        """The backward pass as a new Graph, traced from the eager engine's own backward rules.

        Its inputs are this graph's inputs, plus `grad_output` when the output is not a
        scalar (d loss / d output, as `y.backward(grad_output)` takes it); its outputs are the
        gradients of the output with respect to each value in `wrt` (names or Vars; by
        default every variable, or every input when there are none).
        """
        from minidl.graph.tracing import gradient_graph

        return gradient_graph(self, wrt)

    # --- looking at it -------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of op nodes."""
        return len(self.nodes)

    def __str__(self) -> str:
        """One line per node, like a jaxpr: `%3 = relu(%2)   : f32[64,256]   # fc1`."""
        lines = [f"graph({', '.join(f'{v.name}: {v.type}' for v in self.inputs)}) {{"]
        if self.variables:
            lines.append(f"  variables: {', '.join(f'{v.name}: {v.type}' for v in self.variables)}")
        for var, array in self.constants.items():
            lines.append(f"  {var.name} = constant {show(array)}   : {var.type}")
        width = max((len(repr(node)) for node in self.nodes), default=0)
        for node in self.nodes:
            types = ", ".join(v.type for v in node.outputs)
            scope = f"   # {node.scope}" if node.scope else ""
            lines.append(f"  {repr(node):{width}}   : {types}{scope}")
        lines.append(f"  return {', '.join(v.name for v in self.outputs)}")
        lines.append("}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<Graph: {len(self.inputs)} inputs, {len(self.variables)} variables, {len(self.constants)} "
                f"constants, {len(self.nodes)} nodes, {len(self.outputs)} outputs>")

    def to_dot(self) -> str:
        """Graphviz DOT source: ops as boxes, inputs, variables and constants styled apart,
        edges labelled with shapes, and each module's nodes inside a box of their own."""
        from minidl.graph.drawing import to_dot

        return to_dot(self)
