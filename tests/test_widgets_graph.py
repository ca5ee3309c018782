"""GraphView, headless: the graph it draws, its steps and its panels against the engine."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

import minidl  # noqa: E402
import minidl.nn.functional as F  # noqa: E402
from widgets import graph_view  # noqa: E402
from widgets.graph_data import ViewGraph, numerical_grad  # noqa: E402
from widgets.graph_view import GraphView  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import models  # noqa: E402

needs_dot = pytest.mark.skipif(graph_view.shutil.which("dot") is None, reason="graphviz's dot is not installed")


def small_graph():
    x = minidl.tensor([[0.5, -1.0, 2.0]], dtype=minidl.float64, requires_grad=True)
    w = minidl.tensor([[1.0, -2.0], [0.5, 0.3], [-1.5, 2.0]], dtype=minidl.float64, requires_grad=True)
    b = minidl.tensor([0.1, -0.2], dtype=minidl.float64, requires_grad=True)
    loss = minidl.tanh(x @ w + b).sum()
    return loss, {"x": x, "w": w, "b": b}


def test_nodes_and_edges_are_the_engines_graph():
    loss, names = small_graph()
    view = ViewGraph.from_tensor(loss, names)
    functions = minidl.walk(loss)
    assert sorted(info["label"] for info in view.ops.values()) == sorted(f.label for f in functions)
    tensors = {id(t) for f in functions for t in f._inputs} | {id(loss)}
    assert len(view.tensors) == len(tensors)
    assert len(view.edges) == sum(len(f._inputs) + len(f._outputs) for f in functions)
    kinds = {info["name"]: info["kind"] for info in view.tensors.values()}
    assert kinds["x"] == kinds["w"] == kinds["b"] == "param"


def test_steps_follow_forward_order_then_the_engines_backward_order():
    loss, names = small_graph()
    view = ViewGraph.from_tensor(loss, names)
    forward = [view.ops[s.node]["label"] for s in view.forward_steps]
    assert forward == ["matmul", "add", "tanh", "sum"]
    engine_order = []
    loss.backward(hook=lambda step: engine_order.append(step.function.label), retain_graph=True)
    assert [view.ops[s.node]["label"] for s in view.backward_steps] == engine_order


def test_gradients_equal_backward_and_no_grad_is_touched():
    loss, names = small_graph()
    view = ViewGraph.from_tensor(loss, names)
    assert all(t.grad is None for t in names.values())  # the view used minidl.grad, not backward
    loss.backward()
    by_name = {view.tensors[k]["name"]: g for k, g in view.leaf_grads.items()}
    for name, tensor in names.items():
        np.testing.assert_allclose(by_name[name], tensor.grad.numpy(), rtol=1e-12)


def test_numerical_check_agrees_with_the_engine():
    loss, names = small_graph()
    view = ViewGraph.from_tensor(loss, names)
    for leaf in view.leaves():
        indices, numerical = numerical_grad(view, leaf)
        np.testing.assert_allclose(numerical, view.leaf_grads[leaf].reshape(-1)[indices], rtol=1e-6, atol=1e-9)


def test_numerical_check_samples_big_leaves_and_sees_a_wrong_rule():
    minidl.manual_seed(0)
    w = minidl.randn(20, 10, dtype=minidl.float64, requires_grad=True)
    view = ViewGraph.from_tensor((w * w).sum(), {"w": w})
    indices, numerical = numerical_grad(view, view.leaves()[0], limit=16)
    assert len(indices) == 16 and len(set(indices)) == 16
    np.testing.assert_allclose(numerical, 2 * w.numpy().reshape(-1)[indices], rtol=1e-6)


@needs_dot
def test_panel_shows_the_active_steps_values_and_gradients():
    loss, names = small_graph()
    view = GraphView(loss, names=names)
    steps = view.graph.steps
    assert view.canvas.steps == [[f"n_{s.node}", s.phase] for s in steps]
    last = len(steps) - 1  # backward through matmul: passes gradients on to x and w
    view.slider.value = last
    assert "backward" in view.panel.value and "matmul" in view.panel.value
    names_shown = re.findall(r"<code>(\w+)</code>", view.panel.value)
    assert "x" in names_shown and "w" in names_shown
    view.check.value = True
    assert "max diff" in view.panel.value
    worst = max(float(d) for d in re.findall(r"<td>([0-9.]+e[-+]\d+)</td></tr>", view.panel.value))
    assert worst < 1e-6


@needs_dot
def test_svg_has_an_id_for_every_node_and_clusters_for_modules():
    model = models.lenet(minidl)
    view = GraphView(model, minidl.randn(2, 1, 28, 28))
    svg = view.canvas.svg
    for step_id, _ in view.canvas.steps:
        assert f'id="{step_id}"' in svg
    assert svg.count('class="node"') == len(view.graph.ops) + len(view.graph.tensors)
    assert "cluster_conv1" in view.dot_source()


@needs_dot
def test_collapsed_modules_are_one_node_and_open_on_click():
    model = models.lenet(minidl)
    view = GraphView(model, minidl.randn(2, 1, 28, 28), collapse=True)
    step_ids = {step_id for step_id, _ in view.canvas.steps}
    assert {"m_conv1", "m_conv2", "m_fc1", "m_fc2", "m_fc3"} <= step_ids
    view.canvas.selected = "m_conv1"
    step_ids = {step_id for step_id, _ in view.canvas.steps}
    assert "m_conv1" not in step_ids and "m_conv2" in step_ids
    assert 'id="m_conv1"' not in view.canvas.svg
    deep = GraphView(model, minidl.randn(2, 1, 28, 28), depth=0)  # every module closed
    for (step_id, _), step in zip(deep.canvas.steps, deep.graph.steps):
        scope = deep.graph.ops[step.node]["scope"]
        assert step_id == (f"m_{scope}" if scope else f"n_{step.node}")


@needs_dot
def test_display_bundle_carries_a_png_and_constant_text():
    loss, names = small_graph()
    view = GraphView(loss, names=names)
    bundle = view._bundle()
    assert bundle["text/plain"] == "<GraphView>"
    import base64

    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    view.slider.value = 3
    assert view._bundle()["text/plain"] == "<GraphView>"


def test_without_dot_it_says_how_to_install_and_lists_the_graph(monkeypatch):
    monkeypatch.setattr(graph_view.shutil, "which", lambda name: None)
    loss, names = small_graph()
    view = GraphView(loss, names=names)
    text = view.children[1].children[0].children[0].value
    for how in ("apt-get install graphviz", "brew install graphviz", "conda install -c conda-forge graphviz"):
        assert how in text
    view.slider.value = 2
    assert view.listing.value.count("<tr") == len(view.graph.steps) + 1
    assert 'background:#ffd54f"><td>3<' in view.listing.value
    assert view.picture() is None and "image/png" not in view._bundle()


def test_bad_sources_are_refused_clearly():
    with pytest.raises(TypeError, match="a Tensor, a traced Graph or a Module"):
        GraphView([1, 2, 3])
    with pytest.raises(ValueError, match="not made by any op"):
        GraphView(minidl.ones(3))
    with pytest.raises(TypeError, match="needs an example input"):
        GraphView(models.mlp(minidl))


@needs_dot
def test_a_traced_graph_and_a_loss_over_a_model():
    model = models.mlp(minidl)
    x, y = minidl.randn(8, 784), minidl.randint(0, 10, (8,))
    graph = minidl.graph.trace(lambda x, y: F.cross_entropy(model(x), y), x, y,
                               variables=dict(model.named_parameters()))
    view = GraphView(graph)
    names = {info["name"] for info in view.graph.tensors.values()}
    assert {"x", "fc1.weight", "fc3.bias"} <= names  # labels enter as an index, not an op input
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    grads = {view.graph.tensors[k]["name"]: g for k, g in view.graph.leaf_grads.items()}
    for name, param in model.named_parameters():
        np.testing.assert_allclose(grads[name], param.grad.numpy(), rtol=1e-5, atol=1e-7)
