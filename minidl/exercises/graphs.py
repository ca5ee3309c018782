"""Checkers for chapter 02, computation graphs: sorting, walking and shrinking graphs.

The hand-built graphs of the chapter are plain dicts; each entry names a value and says how it
is made, in the order the entries were written:

    graph = {
        "x": ("input", []),            # name: (operation, names of its inputs)
        "w": ("input", []),
        "wx": ("mul", ["w", "x"]),
        "y": ("tanh", ["wx"]),
    }

    check_topological_order      topological_order(graph): every node after its inputs; a cycle refused
    check_count_ops              count_ops(y): the ops minidl recorded for y, by label, as minidl.walk finds them
    check_dead_code_elimination  dead_code_elimination(graph, outputs): only what the outputs need
    check_constant_folding       constant_folding(graph, constants, ops): nodes that read only constants, computed
"""

from __future__ import annotations

import copy
from collections import Counter

import numpy

import minidl
from minidl.exercises.checking import Mismatch, attempt, exercise, expect, expect_close
from minidl.graph import dead_code_elimination, trace

__all__ = ["OPS", "check_constant_folding", "check_count_ops", "check_dead_code_elimination",
           "check_topological_order"]

# What the hand-built graphs' operations compute (constant folding is given this table).
OPS = {
    "add": numpy.add, "sub": numpy.subtract, "mul": numpy.multiply, "div": numpy.divide,
    "neg": numpy.negative, "exp": numpy.exp, "sqrt": numpy.sqrt, "tanh": numpy.tanh,
}

# The chapter's neuron, y = z * sigmoid(z) with z = w * x + b: z feeds two ops (a diamond).
NEURON = {
    "x": ("input", []), "w": ("input", []), "b": ("input", []),
    "wx": ("mul", ["w", "x"]), "z": ("add", ["wx", "b"]),
    "s": ("sigmoid", ["z"]), "y": ("mul", ["z", "s"]),
}


def _reference_order(graph: dict) -> list[str]:
    """A topological order (inputs first, depth first): the checkers' own, to show as an example."""
    order, done = [], set()
    for start in graph:
        stack = [(start, False)]
        while stack:
            name, inputs_done = stack.pop()
            if inputs_done:
                order.append(name)
            elif name not in done:
                done.add(name)
                stack.append((name, True))
                stack += [(source, False) for source in reversed(graph[name][1]) if source not in done]
    return order


def _first_misplaced(graph: dict, order: list[str]) -> tuple[str, str] | None:
    """(node, input) for the first node of `order` that comes before one of its inputs, or None."""
    position = {name: index for index, name in enumerate(order)}
    for name in order:
        for source in graph[name][1]:
            if position[source] > position[name]:
                return name, source
    return None


def _random_graph(seed: int, size: int) -> dict:
    """A seeded random DAG: 3 inputs, then nodes reading one or two earlier values; entries shuffled."""
    rng = numpy.random.default_rng(seed)
    names = [f"v{i}" for i in range(size)]
    graph = {name: ("input", []) for name in names[:3]}
    for i in range(3, size):
        count = int(rng.integers(1, 3))
        graph[names[i]] = ("add" if count == 2 else "exp", [names[j] for j in rng.choice(i, count, replace=False)])
    return {names[i]: graph[names[i]] for i in rng.permutation(size)}


def _crashed(error: Mismatch, expected: str, hint: str | None) -> Mismatch:
    """A crash of the learner's code restated as expected / got, with a hint aimed at its cause."""
    call, _, raised = str(error).partition(" raised ")
    return Mismatch(f"{call}\n  expected: {expected}\n  got:      {raised}", hint)


def _with_problems(got: list, **problems: list) -> str:
    """What came back, and the names wrong in it: "['x', 'y']: ['w'] missing"."""
    return str(got) + "".join(f": {names} {problem}" for problem, names in problems.items() if names)


def _unchanged(before, after, case: str, what: str) -> None:
    expect(_same(before, after), case, f"the {what} you were given left as it was", "it was changed",
           hint=f"Build new dicts and lists (dict(...), list(...)) rather than changing the {what}: the caller "
                "still needs it, as minidl.graph's passes return new graphs and leave the old one alone.")


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, numpy.ndarray):
        return isinstance(b, numpy.ndarray) and numpy.array_equal(a, b)
    return a == b


# --- 1. topological order -------------------------------------------------------------------

ORDER_CASES = {
    "the neuron y = z * sigmoid(z), entries in the order they were written": NEURON,
    "a chain written outputs first": {"y": ("tanh", ["z"]), "z": ("add", ["wx", "b"]),
                                      "wx": ("mul", ["w", "x"]), "b": ("input", []), "w": ("input", []),
                                      "x": ("input", [])},
    "a diamond (a feeds two ops that meet again), outputs first": {
        "d": ("add", ["b", "c"]), "c": ("neg", ["a"]), "b": ("exp", ["a"]), "a": ("input", [])},
    "one value read twice by the same op: y = mul(x, x)": {"y": ("mul", ["x", "x"]), "x": ("input", [])},
    "two graphs side by side, sharing nothing": {"p": ("exp", ["u"]), "q": ("neg", ["v"]),
                                                  "u": ("input", []), "v": ("input", [])},
    "a graph of one input": {"x": ("input", [])},
    "a random graph of 40 nodes, entries shuffled (seed 2)": _random_graph(2, 40),
}

CYCLES = {
    "a cycle: a = add(x, b), b = tanh(a)": {"x": ("input", []), "a": ("add", ["x", "b"]), "b": ("tanh", ["a"]),
                                            "y": ("exp", ["b"])},
    "a node that reads itself: a = exp(a)": {"a": ("exp", ["a"])},
}


@exercise("topological_order", hint="Depth first: before you append a node, append its inputs (each node once, "
                                    "remembered in a set). Or Kahn: count each node's inputs, start from the "
                                    "nodes with none, and release a node when its count drops to zero.")
def check_topological_order(topological_order):
    for case, graph in ORDER_CASES.items():
        given = copy.deepcopy(graph)
        got = attempt(topological_order, given, case=f"topological_order({case})")
        _unchanged(graph, given, case, "graph")
        expect(isinstance(got, (list, tuple)), case, "a list of names", f"{type(got).__name__}: {got!r}",
               hint="Return a list of names, e.g. ['x', 'w', 'wx', 'y'].")
        got = list(got)
        repeated = sorted(name for name, count in Counter(got).items() if count > 1)
        expect(not repeated, case, "each name exactly once", f"{got}: {repeated} more than once",
               hint="A value that feeds two ops is reached along two paths: remember the nodes already placed "
                    "(a set) and skip them the second time.")
        missing = [name for name in graph if name not in got]
        extra = sorted({name for name in got if name not in graph})
        expect(not missing and not extra, case, f"every one of the {len(graph)} names: {sorted(graph)}",
               _with_problems(got, missing=missing, **{"not in the graph": extra}),
               hint="Start from every node of the graph, not only from one: inputs and pieces that nothing "
                    "else reads belong in the order too.")
        misplaced = _first_misplaced(graph, got)
        if misplaced is not None:
            name, source = misplaced
            hint = None
            if got == list(graph):
                hint = ("That is the order the entries were written in, and this graph was not written inputs "
                        "first: the order has to come from the edges (each node's inputs), not from the dict.")
            elif _first_misplaced(graph, got[::-1]) is None:
                hint = ("Your order is exactly backwards: outputs first, as backward visits them (minidl.walk). "
                        "A node can run only once its inputs have values: reverse it.")
            expect(False, case, f"each node after its inputs, e.g. {_reference_order(graph)}",
                   f"{got}: {name!r} comes before its input {source!r}", hint)
    for case, graph in CYCLES.items():
        _expect_refused(topological_order, graph, case)
    return f"all {len(ORDER_CASES)} graphs sorted correctly, and both cycles refused with ValueError."


def _expect_refused(topological_order, graph: dict, case: str) -> None:
    expected = "ValueError: a graph with a cycle has no topological order"
    try:
        got = attempt(topological_order, copy.deepcopy(graph), case=f"topological_order({case})")
    except Mismatch as error:
        if isinstance(error.__cause__, ValueError):
            return
        hint = ("Your search went round the cycle until Python's recursion limit. Keep the nodes 'in progress' "
                "(entered, inputs not finished) in a set: meeting one of them again means a cycle: raise "
                "ValueError." if isinstance(error.__cause__, RecursionError) else None)
        raise _crashed(error, expected, hint) from None
    expect(False, case, expected, f"returned {got!r}",
           hint="Detect the cycle: with Kahn's method, nodes are left over when the queue runs dry; depth first, "
                "you meet a node that is still in progress (entered, inputs not finished). Then raise "
                "ValueError('... cycle ...').")


# --- 2. counting the ops of a dynamic graph ---------------------------------------------------

def _count_cases():
    """(description, the tensor y): built afresh at every check, since a graph is made by running code."""
    w = minidl.tensor([0.5, -1.0, 2.0], requires_grad=True)
    b = minidl.tensor(0.1, requires_grad=True)
    x = minidl.tensor([1.0, 2.0, 3.0])
    yield "y = (w * x).sum()", (w * x).sum()
    z = w * x + b
    yield "y = z * sigmoid(z) with z = w * x + b: z feeds two ops", z * minidl.sigmoid(z)
    h = (w * x).exp()
    yield "y = (h + h).sum() with h = (w * x).exp(): one op reads h twice", (h + h).sum()
    yield "y = w: a leaf, made by no op", w
    scale = minidl.tensor(2.0).sqrt() * 3.0  # no input requires grad: not recorded
    yield "y = (w * scale).tanh() with scale = sqrt(2) * 3 made from plain numbers", (w * scale).tanh()
    m = minidl.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    hidden = (m @ w + b).relu()
    yield "y = ((m @ w + b).relu() * 2 - (m @ w + b).relu()).mean(): the same expression written twice", \
        (hidden * 2 - (m @ w + b).relu()).mean()
    deep = w
    for _ in range(5000):  # deeper than Python's recursion limit (1000; 3000 in Jupyter)
        deep = deep.tanh()
    yield "y = tanh(tanh(...tanh(w)...)).sum(): 5000 ops deep", deep.sum()


@exercise("count_ops", hint="Start from y.grad_fn (None for a leaf); for each op, follow the .grad_fn of each of "
                            "its .inputs. Keep a stack of ops to visit and a set of ops already counted.")
def check_count_ops(count_ops):
    for case, y in _count_cases():
        expected = dict(Counter(function.label for function in minidl.walk(y)))
        try:
            got = attempt(count_ops, y, case=f"count_ops({case})")
        except Mismatch as error:
            cause = error.__cause__
            if isinstance(cause, RecursionError):
                raise _crashed(error, str(expected),
                               "Python allows about 1000 nested calls (3000 in Jupyter): visit the ops with a loop "
                               "and a list used as a stack instead of recursion (minidl.walk does so, and handles "
                               "graphs 10,000 ops deep).") from None
            if isinstance(cause, AttributeError) and "NoneType" in str(cause):
                raise _crashed(error, str(expected),
                               "A tensor that no op made (a leaf, or one computed from tensors that need no "
                               "gradient) has grad_fn None: nothing to count, or nothing to follow there.") from None
            raise
        expect(isinstance(got, dict), case, f"a dict of counts such as {expected}", f"{type(got).__name__}: {got!r}",
               hint="Return a dict from label to count, e.g. {'mul': 2, 'add': 1}.")
        got = {label: count for label, count in got.items() if count}
        if got == expected:
            continue
        hint = None
        if {str(k).lower() for k in got} == set(expected) and set(got) != set(expected):
            hint = "Count by the op's label (function.label: 'mul'), not by its class name ('Mul')."
        elif set(got) == set(expected) and all(got[k] >= expected[k] for k in expected):
            hint = ("Some ops were counted more than once: a value read twice is reached along two paths. Keep "
                    "a set of the ops already counted (ops are compared by identity) and skip them.")
        elif all(got.get(k, 0) <= count for k, count in expected.items()):
            hint = "Some ops were never reached: follow every input of each op, not only the first."
        expect(False, case, str(expected), str(got), hint)
    return "every expression's ops counted as minidl.walk finds them."


# --- 3. dead-code elimination ---------------------------------------------------------------

def _traced_as_dict() -> tuple[dict, list[str], list[str]]:
    """A function traced by minidl.graph.trace, as a dict graph; and what minidl's own pass keeps."""
    weight = minidl.tensor([[1.0, -1.0], [0.5, 2.0]], requires_grad=True)

    def careless(x):
        (x * x).exp().sum()  # computed, never used
        hidden = (x @ weight).tanh()
        hidden.abs().mean()  # a value printed while debugging, say
        return hidden.sum(dim=1)

    graph = trace(careless, minidl.ones(3, 2), variables={"weight": weight})
    as_dict = {var.name: ("input", []) for var in graph.inputs}
    as_dict.update({var.name: ("input", []) for var in [*graph.variables, *graph.constants]})
    for node in graph.nodes:
        as_dict[node.outputs[0].name] = (node.label, [var.name for var in node.uses()])
    kept = dead_code_elimination(graph)
    needed = {var.name for node in kept.nodes for var in [*node.outputs, *node.uses()]}
    needed.update(var.name for var in kept.outputs)
    return as_dict, [var.name for var in graph.outputs], [name for name in as_dict if name in needed]


def _dead_code_cases():
    debug = {**NEURON, "mean": ("mean", ["z"])}
    yield "the neuron with a value computed for debugging, mean = mean(z)", debug, ["y"], list(NEURON)
    chain = {**NEURON, "e": ("exp", ["x"]), "n": ("neg", ["e"])}
    yield "the neuron with a dead chain: n = neg(e), e = exp(x)", chain, ["y"], list(NEURON)
    unused = {"t": ("input", []), **NEURON}
    yield "the neuron with an input t that nothing reads", unused, ["y"], list(NEURON)
    yield "the neuron, asking for both z and y", NEURON, ["z", "y"], list(NEURON)
    yield "the neuron, asking only for z", NEURON, ["z"], ["x", "w", "b", "wx", "z"]
    yield "the neuron, asking only for the input x", NEURON, ["x"], ["x"]
    graph, outputs, expected = _traced_as_dict()
    yield "a function traced by minidl.graph.trace (minidl's own pass keeps these)", graph, outputs, expected


@exercise("dead_code_elimination", hint="Walk back from the outputs: everything you reach is needed. Then keep those "
                                        "entries, in the graph's order.")
def check_dead_code_elimination(dead_code_elimination):
    for case, graph, outputs, expected in _dead_code_cases():
        given, asked = copy.deepcopy(graph), list(outputs)
        got = attempt(dead_code_elimination, given, asked, case=f"dead_code_elimination({case}, outputs={outputs})")
        _unchanged(graph, given, case, "graph")
        expect(isinstance(got, dict), case, "a dict graph", f"{type(got).__name__}: {got!r}",
               hint="Return a new dict with the entries that are needed, e.g. {name: graph[name] for ...}.")
        extra = [name for name in got if name not in expected]
        missing = [name for name in expected if name not in got]
        if extra or missing:
            readers = {name: [n for n in graph if name in graph[n][1]] for name in extra}
            dead_readers = all(readers[name] and all(r not in expected for r in readers[name]) for name in extra)
            hint = None
            if not missing and all(graph[name][0] == "input" for name in extra):
                hint = "An input that no output depends on is not needed either: keep only what the outputs reach."
            elif not missing and dead_readers:
                hint = ("A node that only dead nodes read is dead too: dropping the nodes nobody reads, once, "
                        "leaves the rest of a dead chain. Walk back from the outputs instead.")
            elif missing:
                hint = ("Everything an output depends on is needed, not only the outputs' direct inputs: follow "
                        "the inputs of the inputs, all the way back.")
            expect(False, case, f"entries {expected}",
                   _with_problems(list(got), **{"not needed": extra, "dropped": missing}), hint)
        expect(list(got) == expected, case, f"the entries in the graph's order: {expected}", f"{list(got)}",
               hint="Keep the entries in the order of the graph you were given: it is a topological order, and "
                    "the next pass (or the loop that runs the graph) relies on it.")
        changed = [name for name in got if not _same(got[name], graph[name])]
        expect(not changed, case, "each kept entry as it was", f"{changed} changed",
               hint="Copy the kept entries as they are: (op, inputs).")
    return "every dead node dropped, every needed one kept, in order (and as minidl's own pass does)."


# --- 4. constant folding --------------------------------------------------------------------

def _folding_cases():
    two, three = numpy.float64(2.0), numpy.float64(3.0)
    yield ("y = x * scale with scale = mul(two, three)",
           {"x": ("input", []), "scale": ("mul", ["two", "three"]), "y": ("mul", ["x", "scale"])},
           {"two": two, "three": three})
    yield ("a chain of constants: a = exp(one), b = add(a, two), c = sqrt(b), y = div(x, c)",
           {"x": ("input", []), "a": ("exp", ["one"]), "b": ("add", ["a", "two"]), "c": ("sqrt", ["b"]),
            "y": ("div", ["x", "c"])},
           {"one": numpy.float64(1.0), "two": two})
    yield ("order matters: d = sub(one, three), q = div(one, three), xd = mul(x, d), y = add(xd, q)",
           {"x": ("input", []), "d": ("sub", ["one", "three"]), "q": ("div", ["one", "three"]),
            "xd": ("mul", ["x", "d"]), "y": ("add", ["xd", "q"])},
           {"one": numpy.float64(1.0), "three": three})
    yield ("arrays: bias = tanh(neg(v)) with v = [0.5, -1, 2], square = mul(v, v), y = add(x, bias)",
           {"x": ("input", []), "minus": ("neg", ["v"]), "bias": ("tanh", ["minus"]), "square": ("mul", ["v", "v"]),
            "y": ("add", ["x", "bias"])},
           {"v": numpy.array([0.5, -1.0, 2.0])})
    yield ("nothing to fold: every node reads the input x",
           {"x": ("input", []), "e": ("exp", ["x"]), "y": ("mul", ["e", "two"])}, {"two": two})


def _fold(graph: dict, constants: dict, ops: dict) -> tuple[dict, dict]:
    """The checker's own folding: the graph left, and the folded values."""
    left, folded = {}, {}
    for name, (op, inputs) in graph.items():
        known = {**constants, **folded}
        if inputs and all(source in known for source in inputs):
            folded[name] = ops[op](*[known[source] for source in inputs])
        else:
            left[name] = (op, inputs)
    return left, folded


@exercise("constant_folding", hint="Go through the graph in order with a growing dict of known constants: a node "
                                   "whose inputs are all known is computed (ops[op](*values)) and becomes a "
                                   "constant; any other node stays in the graph.")
def check_constant_folding(constant_folding):
    for case, graph, constants in _folding_cases():
        expected_graph, folded = _fold(graph, constants, OPS)
        given_graph, given_constants = copy.deepcopy(graph), copy.deepcopy(constants)
        call = f"constant_folding({case})"
        try:
            got = attempt(constant_folding, given_graph, given_constants, dict(OPS), case=call)
        except Mismatch as error:
            if isinstance(error.__cause__, KeyError) and "input" in str(error.__cause__):
                raise _crashed(error, f"the graph left: {list(expected_graph)}, {sorted(folded)} folded",
                               "An input has no inputs, and all([]) is True: do not fold a node with no inputs. "
                               "An input gets its value only when the graph runs.") from None
            raise
        _unchanged(graph, given_graph, case, "graph")
        _unchanged(constants, given_constants, case, "constants dict")
        expect(isinstance(got, tuple) and len(got) == 2 and all(isinstance(part, dict) for part in got), case,
               "a pair of dicts (graph, constants)", f"{type(got).__name__}: {got!r}",
               hint="Return two dicts: the graph that is left, and the constants (the old ones and the new).")
        got_graph, got_constants = got
        extra = [name for name in got_graph if name not in expected_graph]
        missing = [name for name in expected_graph if name not in got_graph]
        if extra or missing:
            hint = None
            if any(source in folded for name in extra for source in graph[name][1]):
                hint = ("A node that reads a constant you just folded can be folded too: add each folded value "
                        "to your dict of constants as you go, so the nodes after it see it.")
            elif missing and any(graph[name][0] == "input" for name in missing):
                hint = "Keep the inputs: an input has no inputs (all([]) is True), yet it is no constant."
            elif missing:
                hint = "Fold only the nodes whose inputs are ALL constants; a node that reads an input must stay."
            expect(False, case, f"the graph left: {list(expected_graph)}",
                   _with_problems(list(got_graph), **{"not folded": extra, "folded, but can't be": missing}), hint)
        expect(list(got_graph) == list(expected_graph), case, f"the entries in the graph's order: "
               f"{list(expected_graph)}", f"{list(got_graph)}", hint="Keep the graph's order.")
        changed = [name for name in got_graph if not _same(got_graph[name], graph[name])]
        expect(not changed, case, "the nodes left as they were", f"{changed} changed", hint="Copy them as they are.")
        read = {source for _, inputs in got_graph.values() for source in inputs if source not in got_graph}
        unknown = sorted(read - set(got_constants))
        expect(not unknown, case, f"a constant for every value the graph reads: {sorted(read)}",
               f"constants {sorted(got_constants)}: {unknown} missing",
               hint="Return every constant the remaining graph reads: the old ones and the folded ones.")
        for name, value in folded.items():
            expect(name in got_constants, case, f"a constant {name!r} (the folded node)",
                   f"constants {sorted(got_constants)}", hint="Add each folded node's value to the constants.")
            expect_close(got_constants[name], value, f"{case}: the value of {name!r}",
                         hint="Pass the inputs in the order the node lists them: sub(one, three) is one - three.")
    return "every constant expression folded, and nothing else."
