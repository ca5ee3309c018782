"""minidl.graph: tracing, running, differentiating and optimizing static graphs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl import graph as G

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
sys.path.insert(0, str(Path(__file__).parents[1] / "examples"))
import models  # noqa: E402
import static_graph  # noqa: E402


def mnist_batch(n: int, flat: bool):
    data = minidl.datasets.MNIST(train=True, subset="small")
    images = (data.data[:n].astype(np.float32) / 255 - 0.1307) / 0.3081
    return (images.reshape(n, -1) if flat else images[:, None]), np.asarray(data.targets[:n], dtype=np.int64)


def loss_graph(model, x, y):
    return G.trace(lambda x, y: F.cross_entropy(model(x), y), x, y, variables=dict(model.named_parameters()))


def eager_grads(model, x, y):
    model.zero_grad()
    F.cross_entropy(model(minidl.tensor(x)), minidl.tensor(y)).backward()
    return [p.grad.numpy() for p in model.parameters()]


@pytest.mark.parametrize("name, flat", [("mlp", True), ("lenet", False)])
def test_traced_models_run_and_differentiate_as_eager(name, flat):
    minidl.manual_seed(0)
    model = getattr(models, name)(minidl)
    x, y = mnist_batch(32, flat)
    graph = G.trace(model, minidl.tensor(x))
    with minidl.no_grad():
        eager = model(minidl.tensor(x)).numpy()
    assert np.abs(graph.run(x).numpy() - eager).max() <= 1e-6
    assert np.abs(G.optimize(graph).run(x).numpy() - eager).max() <= 1e-6
    # the gradient graph, on the inputs it was traced with and on new ones (new labels too)
    grad_graph = loss_graph(model, minidl.tensor(x), minidl.tensor(y)).grad()
    for images, labels in ((x, y), (x[::-1].copy() * 0.5, (y + 3) % 10)):
        for got, want in zip(grad_graph.run(images, labels), eager_grads(model, images, labels)):
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
        optimized = G.optimize(grad_graph).run(images, labels)
        for got, want in zip(optimized, eager_grads(model, images, labels)):
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_module_trace_names_inputs_variables_and_scopes():
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    graph = G.trace(model, minidl.randn(5, 4))
    assert [v.name for v in graph.inputs] == ["x"]  # Sequential.forward(self, x)
    assert [v.name for v in graph.variables] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [(n.label, n.scope) for n in graph.nodes] == [("linear", "0"), ("relu", "1"), ("linear", "2")]
    text = str(graph)
    assert "linear(x, 0.weight, 0.bias)" in text and "# 2" in text
    assert len([line for line in text.splitlines() if " = linear" in line or " = relu" in line]) == 3


def test_variables_are_read_at_every_run():
    model = nn.Linear(3, 2)
    x = minidl.randn(4, 3)
    graph = G.optimize(G.trace(model, x))
    with minidl.no_grad():
        model.weight.mul_(2.0)
        expected = model(x).numpy()
    np.testing.assert_allclose(graph.run(x).numpy(), expected, rtol=1e-6)


def test_eager_call_of_a_graph_can_be_backpropagated():
    w = minidl.randn(3, 2, requires_grad=True)
    graph = G.trace(lambda x: (x @ w).tanh().sum(), minidl.randn(4, 3), variables={"w": w})
    x = minidl.randn(4, 3)
    graph(x).backward()
    from_graph = w.grad.numpy().copy()
    w.grad = None
    (x @ w).tanh().sum().backward()
    np.testing.assert_allclose(from_graph, w.grad.numpy(), rtol=1e-6)


def test_grad_of_a_non_scalar_output_takes_grad_output():
    w = minidl.randn(3, 2, dtype=minidl.float64, requires_grad=True)
    x = minidl.randn(4, 3, dtype=minidl.float64)
    graph = G.trace(lambda x: (x @ w).sigmoid() * x.sum(dim=1, keepdim=True), x, variables={"w": w})
    grad_graph = graph.grad(wrt=["w", "x"])
    assert [v.name for v in grad_graph.inputs] == ["x", "grad_output"]
    seed = minidl.randn(4, 2, dtype=minidl.float64)
    got_w, got_x = grad_graph.run(x, seed)
    x_leaf = x.clone().requires_grad_()
    ((x_leaf @ w).sigmoid() * x_leaf.sum(dim=1, keepdim=True)).backward(seed)
    np.testing.assert_allclose(got_w.numpy(), w.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(got_x.numpy(), x_leaf.grad.numpy(), rtol=1e-12)


def test_where_reads_its_condition_from_the_graph():
    def f(x):
        return minidl.where(x > 0, x, -x * 3).sum()

    example = minidl.tensor([1.0, 2.0], dtype=minidl.float64)
    graph = G.trace(f, example)
    other = minidl.tensor([-1.0, 2.0], dtype=minidl.float64)
    assert graph.run(other).item() == f(other).item() == 5.0
    assert G.dead_code_elimination(graph).run(other).item() == 5.0
    gradient = graph.grad().run(other)
    np.testing.assert_array_equal(gradient.numpy(), [-3.0, 1.0])


def test_grad_graph_reads_max_pool_winners_from_its_own_forward():
    x = minidl.randn(2, 1, 4, 4, dtype=minidl.float64)
    graph = G.trace(lambda x: F.max_pool2d(x, 2).sum(), x)
    grad_graph = graph.grad()
    saved = [part for node in grad_graph.nodes for part in node.attributes.values() if isinstance(part, G.Saved)]
    assert [s.attribute for s in saved] == ["winner"]
    other = minidl.randn(2, 1, 4, 4, dtype=minidl.float64)
    leaf = other.clone().requires_grad_()
    F.max_pool2d(leaf, 2).sum().backward()
    np.testing.assert_array_equal(grad_graph.run(other).numpy(), leaf.grad.numpy())


def test_dead_code_elimination_removes_what_no_output_needs():
    def f(x):
        (x.exp() * 2).sum()  # computed, never used
        return x.tanh()

    graph = G.trace(f, minidl.randn(3))
    pruned = G.dead_code_elimination(graph)
    assert [n.label for n in graph.nodes] == ["exp", "mul", "sum", "tanh"]
    assert [n.label for n in pruned.nodes] == ["tanh"] and not pruned.constants
    x = minidl.randn(3)
    np.testing.assert_array_equal(pruned.run(x).numpy(), graph.run(x).numpy())
    assert len(graph) == 4  # a pass never changes the graph it is given


def test_constant_folding_computes_constant_nodes_once_but_keeps_variables():
    w = minidl.ones(3, requires_grad=True)
    graph = G.trace(lambda x: x * (minidl.tensor(2.0) * 3.0 + 1.0) + w * 2.0, minidl.randn(3), variables={"w": w})
    folded = G.constant_folding(graph)
    assert [n.label for n in graph.nodes] == ["mul", "add", "mul", "mul", "add"]
    assert [n.label for n in folded.nodes] == ["mul", "mul", "add"]  # w * 2 stays: w is a variable
    assert sorted(float(a) for a in folded.constants.values()) == [2.0, 7.0]
    x = minidl.randn(3)
    np.testing.assert_array_equal(folded.run(x).numpy(), graph.run(x).numpy())


def test_common_subexpressions_run_once_and_equal_constants_merge():
    def f(x):
        return (x * 2.0).tanh() + (x * 2.0).tanh()

    graph = G.trace(f, minidl.randn(3))
    merged = G.common_subexpressions(graph)
    assert len(graph) == 5 and len(graph.constants) == 2
    assert [n.label for n in merged.nodes] == ["mul", "tanh", "add"] and len(merged.constants) == 1
    add = merged.nodes[-1]
    assert add.inputs[0] is add.inputs[1]
    x = minidl.randn(3)
    np.testing.assert_array_equal(merged.run(x).numpy(), graph.run(x).numpy())


def test_common_subexpressions_keep_saved_arrays_pointing_at_a_kept_node():
    x = minidl.randn(1, 2, 4, 4, dtype=minidl.float64)
    graph = G.trace(lambda x: (F.max_pool2d(x, 2) * F.max_pool2d(x, 2)).sum(), x).grad()
    merged = G.common_subexpressions(graph)
    assert sum(n.label == "max_pool2d" for n in merged.nodes) == 1
    for node in merged.nodes:
        assert all(source in merged.nodes for source in node.saved_from())
    other = minidl.randn(1, 2, 4, 4, dtype=minidl.float64)
    np.testing.assert_allclose(merged.run(other).numpy(), graph.run(other).numpy(), rtol=1e-12)


def test_fusion_merges_element_wise_chains_into_one_node():
    w = minidl.randn(3, 4)
    graph = G.trace(lambda x: ((x @ w) * 0.5 + 1.0).tanh().relu().sum(dim=0), minidl.randn(2, 3))
    fused = G.fuse_elementwise(graph)
    assert [n.label for n in fused.nodes] == ["matmul", "fused", "sum"]
    assert repr(fused.nodes[1].attributes["body"]) == "mul -> add -> tanh -> relu"
    x = minidl.randn(2, 3)
    np.testing.assert_array_equal(fused.run(x).numpy(), graph.run(x).numpy())
    with pytest.raises(ValueError, match="before fusing"):
        fused.grad()


def test_fusion_stops_at_a_value_used_twice():
    graph = G.trace(lambda x: (x.exp() + 1.0) * x.exp().sum(), minidl.randn(3))
    fused = G.fuse_elementwise(G.common_subexpressions(graph))
    # exp(x) feeds both add and sum, so it stays a value of its own
    assert [n.label for n in fused.nodes] == ["exp", "sum", "fused"]
    x = minidl.randn(3)
    np.testing.assert_allclose(fused.run(x).numpy(), graph.run(x).numpy(), rtol=1e-6)


def test_demo_graph_shrinks_with_every_pass(capsys):
    static_graph.passes_demo()
    counts = [int(line.split()[1]) for line in capsys.readouterr().out.splitlines()
              if line.split() and line.split()[0] in ("traced", "dead_code_elimination", "constant_folding",
                                                        "common_subexpressions", "fuse_elementwise")]
    assert counts == sorted(counts, reverse=True) and len(set(counts)) == 5


def test_a_python_bool_of_a_traced_value_warns_and_freezes_the_branch():
    def f(x):
        if x.sum() > 0:
            return x * 2
        return -x

    with pytest.warns(G.TracerWarning, match="branch"):
        graph = G.trace(f, minidl.ones(3))
    negative = -minidl.ones(3)
    assert graph.run(negative).tolist() == [-2.0, -2.0, -2.0]  # the traced branch
    assert f(negative).tolist() == [1.0, 1.0, 1.0]  # what eager execution does


def test_no_warning_for_constants_or_shapes():
    def f(x):
        if minidl.tensor(1.0) > 0 and x.shape[0] == 3:
            return x + 1
        return x

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        G.trace(f, minidl.ones(3))


def test_bad_inputs_name_the_placeholder_and_both_shapes():
    graph = G.trace(lambda x, y: x * y, minidl.ones(2, 3), minidl.ones(2, 3))
    with pytest.raises(ValueError, match=r"input 'y' was traced with shape \(2, 3\) float32, got shape \(4, 3\)"):
        graph.run(np.ones((2, 3), np.float32), np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"input 'x' .* float32, got shape \(2, 3\) float64"):
        graph.run(np.ones((2, 3)), np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"takes 2 inputs \(x, y\), got 1"):
        graph.run(np.ones((2, 3), np.float32))
    with pytest.raises(KeyError, match="no value fed for input"):
        graph.run(feed={"x": np.ones((2, 3), np.float32)})
    with pytest.raises(KeyError, match="no value is called 'z'"):
        graph.run(feed={"z": np.ones((2, 3), np.float32)})


def test_feed_and_fetch_run_only_what_is_needed():
    graph = G.trace(lambda x, y: (x + 1.0) * y, minidl.ones(2), minidl.ones(2))
    first = graph.nodes[0].outputs[0]
    assert graph.needed_for([first]) == graph.nodes[:1]
    value = graph.run(first.name, feed={"x": np.array([1.0, 2.0], np.float32), "y": np.zeros(2, np.float32)})
    assert value.tolist() == [2.0, 3.0]
    both = graph.run(first, graph.outputs[0], feed={"x": np.ones(2, np.float32), "y": np.full(2, 3, np.float32)})
    assert [t.tolist() for t in both] == [[2.0, 2.0], [6.0, 6.0]]


def test_trace_errors():
    with pytest.raises(TypeError, match="must return a Tensor"):
        G.trace(lambda x: x.shape, minidl.ones(2))
    with pytest.raises(RuntimeError, match="already tracing"):
        G.trace(lambda x: G.trace(lambda y: y * 2, x), minidl.ones(2))
    graph = G.trace(lambda x, y: (x * y, x + y), minidl.ones(2), minidl.ones(2))
    with pytest.raises(ValueError, match="one output"):
        graph.grad()
    assert minidl.autograd._tracer is None  # a failed trace leaves eager execution as it was


def test_to_dot_draws_every_node_in_module_clusters():
    model = models.lenet(minidl)
    graph = G.trace(model, minidl.randn(2, 1, 28, 28))
    dot = graph.to_dot()
    for name in ("conv1", "conv2", "fc1", "fc2", "fc3"):
        assert f'subgraph "cluster_{name}"' in dot
    op_lines = [line for line in dot.splitlines() if 'style="rounded,filled"' in line]
    assert len(op_lines) == len(graph)
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is not installed")
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
    assert svg.count('class="node"') == len(graph) + len(graph.inputs) + len(graph.variables) + len(
        graph.constants) + len(graph.outputs)


def test_comparisons_and_argmax_never_require_grad():
    x = minidl.randn(3, requires_grad=True)
    for result in (x > 0, x == x, minidl.sign(x), x.argmax(), minidl.logical_not(x > 0)):
        assert not result.requires_grad and result.grad_fn is None
    with pytest.raises(ValueError, match=r"gt: .*\(3,\) float32, \(4,\) float32"):
        _ = x > minidl.randn(4)


def test_forward_pre_hook_runs_before_forward_and_can_be_removed():
    seen = []
    layer = nn.Linear(2, 2)
    handle = layer.register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0].shape))
    layer(minidl.randn(3, 2))
    handle.remove()
    layer(minidl.randn(4, 2))
    assert seen == [(3, 2)]
