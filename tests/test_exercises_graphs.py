"""The chapter 02 checkers (minidl.exercises.graphs): right answers pass, plausible wrong ones are
refused with a message that says what was expected, and a hint aimed at the mistake."""

from __future__ import annotations

import time
from collections import Counter

import pytest

import minidl
from minidl.exercises.graphs import (
    check_constant_folding,
    check_count_ops,
    check_dead_code_elimination,
    check_topological_order,
)

# --- answers the checkers must accept ----------------------------------------------------------


def order_depth_first(graph):
    order, state = [], {}

    def visit(name):
        if state.get(name) == "done":
            return
        if state.get(name) == "in progress":
            raise ValueError(f"cycle through {name!r}")
        state[name] = "in progress"
        for source in graph[name][1]:
            visit(source)
        state[name] = "done"
        order.append(name)

    for name in graph:
        visit(name)
    return order


def order_kahn(graph):
    waiting = {name: len(inputs) for name, (_, inputs) in graph.items()}
    readers = {name: [] for name in graph}
    for name, (_, inputs) in graph.items():
        for source in inputs:
            readers[source].append(name)
    ready = [name for name, count in waiting.items() if count == 0]
    order = []
    while ready:
        name = ready.pop()
        order.append(name)
        for reader in readers[name]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                ready.append(reader)
    if len(order) < len(graph):
        raise ValueError("the graph has a cycle")
    return order


def count_with_stack(y):
    counts, seen = {}, set()
    stack = [y.grad_fn] if y.grad_fn is not None else []
    while stack:
        function = stack.pop()
        if function in seen:
            continue
        seen.add(function)
        counts[function.label] = counts.get(function.label, 0) + 1
        stack += [x.grad_fn for x in function.inputs if x.grad_fn is not None]
    return counts


def dce_backwards(graph, outputs):
    needed, stack = set(), list(outputs)
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack += graph[name][1]
    return {name: entry for name, entry in graph.items() if name in needed}


def fold(graph, constants, ops):
    graph_left, constants = {}, dict(constants)
    for name, (op, inputs) in graph.items():
        if inputs and all(source in constants for source in inputs):
            constants[name] = ops[op](*[constants[source] for source in inputs])
        else:
            graph_left[name] = (op, inputs)
    return graph_left, constants


@pytest.mark.parametrize("checker, answer", [
    (check_topological_order, order_depth_first),
    (check_topological_order, order_kahn),
    (check_count_ops, count_with_stack),
    (check_count_ops, lambda y: Counter(f.label for f in minidl.walk(y))),
    (check_dead_code_elimination, dce_backwards),
    (check_constant_folding, fold),
])
def test_right_answers_pass_fast_and_always_the_same(checker, answer):
    start = time.perf_counter()
    feedback = checker(answer)
    assert time.perf_counter() - start < 1.0
    assert feedback.passed, repr(feedback)
    assert repr(checker(answer)) == repr(feedback)


def refused(feedback, *words):
    """The feedback refuses the answer, says what was expected, and mentions each of `words`."""
    text = repr(feedback)
    assert not feedback.passed and not feedback.todo, text
    assert "expected:" in text and "got:" in text, text
    for word in words:
        assert word in text, f"{word!r} not in:\n{text}"


# --- topological_order ------------------------------------------------------------------------


def test_the_example_orders_in_the_messages_are_valid():
    from minidl.exercises.graphs import ORDER_CASES, _first_misplaced, _reference_order

    for graph in ORDER_CASES.values():
        order = _reference_order(graph)
        assert sorted(order) == sorted(graph) and _first_misplaced(graph, order) is None
        assert all(type(name) is str for name in graph)


def test_topological_order_refuses_the_dicts_own_order():
    refused(check_topological_order(lambda graph: list(graph)), "comes before its input", "from the edges")


def test_topological_order_refuses_outputs_first_and_says_to_reverse():
    refused(check_topological_order(lambda graph: order_depth_first(graph)[::-1]), "backwards", "reverse")


def test_topological_order_refuses_a_search_that_places_a_diamond_twice():
    def no_memory(graph):
        order = []

        def visit(name):
            for source in graph[name][1]:
                visit(source)
            order.append(name)

        for name in graph:
            visit(name)
        return order

    refused(check_topological_order(no_memory), "more than once", "a set")


def test_topological_order_refuses_an_order_that_misses_pieces():
    def from_the_last_entry_only(graph):
        order = []

        def visit(name):
            if name not in order:
                for source in graph[name][1]:
                    visit(source)
                order.append(name)

        visit(list(graph)[-1])
        return order

    refused(check_topological_order(from_the_last_entry_only), "missing", "every node")


def test_topological_order_wants_a_value_error_for_a_cycle():
    def kahn_without_check(graph):
        try:
            return order_kahn(graph)
        except ValueError:
            return []

    refused(check_topological_order(kahn_without_check), "ValueError", "returned []", "Kahn")


def test_topological_order_explains_a_recursion_error_on_a_cycle():
    def visits_forever(graph):
        order = []

        def visit(name):
            for source in graph[name][1]:
                visit(source)
            if name not in order:
                order.append(name)

        for name in graph:
            visit(name)
        return order

    refused(check_topological_order(visits_forever), "RecursionError", "in progress")


def test_topological_order_refuses_changing_the_graph():
    def destructive(graph):
        order = order_depth_first(graph)
        graph.clear()
        return order

    refused(check_topological_order(destructive), "left as it was", "rather than changing the graph")


# --- count_ops --------------------------------------------------------------------------------


def test_count_ops_refuses_counting_shared_values_twice():
    def no_memory(y):
        counts, stack = Counter(), [y.grad_fn] if y.grad_fn is not None else []
        while stack:
            function = stack.pop()
            counts[function.label] += 1
            stack += [x.grad_fn for x in function.inputs if x.grad_fn is not None]
        return dict(counts)

    refused(check_count_ops(no_memory), "z feeds two ops", "more than once", "set")


def test_count_ops_refuses_class_names():
    def by_class(y):
        return dict(Counter(type(f).__name__ for f in minidl.walk(y)))

    refused(check_count_ops(by_class), "'Mul'", "label")


def test_count_ops_explains_the_leaf_and_recursion():
    def forgets_leaves(y):
        return count_with_stack(y) if y.grad_fn.label else {}  # y.grad_fn is None for a leaf

    refused(check_count_ops(forgets_leaves), "a leaf", "grad_fn None")

    def recursive(y, counts=None, seen=None):
        counts = {} if counts is None else counts
        seen = set() if seen is None else seen
        function = y.grad_fn
        if function is not None and function not in seen:
            seen.add(function)
            counts[function.label] = counts.get(function.label, 0) + 1
            for x in function.inputs:
                recursive(x, counts, seen)
        return counts

    refused(check_count_ops(recursive), "RecursionError", "stack")


def test_count_ops_refuses_following_only_the_first_input():
    def first_input_only(y):
        counts, function = Counter(), y.grad_fn
        while function is not None:
            counts[function.label] += 1
            function = function.inputs[0].grad_fn
        return dict(counts)

    refused(check_count_ops(first_input_only), "never reached", "every input")


# --- dead_code_elimination --------------------------------------------------------------------


def test_dead_code_elimination_refuses_one_sweep_that_leaves_dead_chains():
    def drop_unread(graph, outputs):
        read = {source for _, inputs in graph.values() for source in inputs}
        return {name: entry for name, entry in graph.items() if name in read or name in outputs}

    refused(check_dead_code_elimination(drop_unread), "dead chain", "['e'] not needed", "only dead nodes read")


def test_dead_code_elimination_refuses_keeping_only_direct_inputs():
    def one_level(graph, outputs):
        keep = set(outputs) | {source for name in outputs for source in graph[name][1]}
        return {name: entry for name, entry in graph.items() if name in keep}

    refused(check_dead_code_elimination(one_level), "dropped", "all the way back")


def test_dead_code_elimination_wants_the_graphs_order():
    def sorted_by_name(graph, outputs):
        kept = dce_backwards(graph, outputs)
        return {name: kept[name] for name in sorted(kept)}

    refused(check_dead_code_elimination(sorted_by_name), "in the graph's order", "topological order")


def test_dead_code_elimination_refuses_changing_the_graph():
    def in_place(graph, outputs):
        for name in list(graph):
            if name not in dce_backwards(graph, outputs):
                del graph[name]
        return graph

    refused(check_dead_code_elimination(in_place), "left as it was")


def test_dead_code_elimination_agrees_with_minidls_own_pass_on_a_traced_graph():
    from minidl.exercises.graphs import _traced_as_dict

    graph, outputs, expected = _traced_as_dict()
    assert list(dce_backwards(graph, outputs)) == expected
    assert len(expected) < len(graph)  # the traced function does have dead code


# --- constant_folding -------------------------------------------------------------------------


def test_constant_folding_refuses_folding_only_against_the_original_constants():
    def no_propagation(graph, constants, ops):
        left, new = {}, dict(constants)
        for name, (op, inputs) in graph.items():
            if inputs and all(source in constants for source in inputs):
                new[name] = ops[op](*[constants[source] for source in inputs])
            else:
                left[name] = (op, inputs)
        return left, new

    refused(check_constant_folding(no_propagation), "a chain of constants", "not folded", "as you go")


def test_constant_folding_explains_folding_the_inputs():
    def folds_inputs(graph, constants, ops):
        left, constants = {}, dict(constants)
        for name, (op, inputs) in graph.items():
            if all(source in constants for source in inputs):
                constants[name] = ops[op](*[constants[source] for source in inputs])
            else:
                left[name] = (op, inputs)
        return left, constants

    refused(check_constant_folding(folds_inputs), "KeyError", "all([]) is True")


def test_constant_folding_refuses_swapped_inputs():
    def swapped(graph, constants, ops):
        left, constants = {}, dict(constants)
        for name, (op, inputs) in graph.items():
            if inputs and all(source in constants for source in inputs):
                constants[name] = ops[op](*[constants[source] for source in reversed(inputs)])
            else:
                left[name] = (op, inputs)
        return left, constants

    refused(check_constant_folding(swapped), "the value of 'd'", "-2.", "order the node lists them")


def test_constant_folding_refuses_changing_the_constants_given():
    def in_place(graph, constants, ops):
        left = {}
        for name, (op, inputs) in graph.items():
            if inputs and all(source in constants for source in inputs):
                constants[name] = ops[op](*[constants[source] for source in inputs])
            else:
                left[name] = (op, inputs)
        return left, constants

    refused(check_constant_folding(in_place), "constants dict you were given left as it was")


def test_constant_folding_wants_the_constants_the_graph_still_reads():
    def only_the_folded(graph, constants, ops):
        left, folded = fold(graph, constants, ops)
        return left, {name: value for name, value in folded.items() if name not in constants}

    refused(check_constant_folding(only_the_folded), "'two'", "missing")
