"""The backward engine: deep graphs, reuse, accumulation, freed graphs, no_grad, in-place
checks, detach, retain_grad, the backward hook and the graph walk."""

from __future__ import annotations

import numpy as np
import pytest

import minidl


def test_ten_thousand_op_chain_has_no_recursion_limit(make_tensor):
    x = make_tensor((2,), requires_grad=True)
    y = x
    for _ in range(5_000):  # two ops per step: 10,000 ops deep
        y = y * 1.0001 + 0.0
    assert len(minidl.walk(y)) == 10_000
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), x.numpy() * 1.0001**5_000, rtol=1e-9)
    np.testing.assert_allclose(x.grad.numpy(), np.full(2, 1.0001**5_000), rtol=1e-9)


def test_a_reused_node_gets_every_gradient(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    y = x * x
    (y + y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.numpy(), rtol=1e-12)


def test_diamond_graph(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    top = x.exp()
    (top * 2.0 + top.tanh()).sum().backward()  # two paths from top to the result
    e = np.exp(x.numpy())
    np.testing.assert_allclose(x.grad.numpy(), e * (2 + (1 - np.tanh(e) ** 2)), rtol=1e-12)


def test_gradients_accumulate_across_backward_calls(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    (x * x).sum().backward()
    (3.0 * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 3, rtol=1e-12)


def test_second_backward_through_a_freed_graph_raises_before_changing_grads(make_tensor):
    x, w = make_tensor((3,), requires_grad=True), make_tensor((3,), requires_grad=True)
    hidden = x * w
    hidden.sum().backward()
    grad_x, grad_w = x.grad, w.grad
    before_x, before_w = grad_x.numpy().copy(), grad_w.numpy().copy()
    # `x * 3` is new, `hidden`'s mul was freed: nothing may be written before the error
    with pytest.raises(RuntimeError, match="retain_graph"):
        ((x * 3.0).sum() + (hidden * 2.0).sum()).backward()
    assert x.grad is grad_x and w.grad is grad_w
    np.testing.assert_array_equal(x.grad.numpy(), before_x)
    np.testing.assert_array_equal(w.grad.numpy(), before_w)


def test_retain_graph_allows_a_second_backward(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    loss = (x.tanh() * x).sum()
    loss.backward(retain_graph=True)
    once = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * once, rtol=1e-12)


def test_no_grad_as_context_manager_and_decorator(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    with minidl.no_grad():
        assert not minidl.is_grad_enabled()
        inside = x * 2.0
    assert minidl.is_grad_enabled()

    @minidl.no_grad()
    def double(t):
        return t * 2.0

    for result in (inside, double(x)):
        assert not result.requires_grad and result.grad_fn is None
    assert minidl.is_grad_enabled()
    assert (x * 2.0).grad_fn is not None


def test_enable_grad_inside_no_grad(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    with minidl.no_grad():
        with minidl.enable_grad():
            recorded = x * 2.0
        not_recorded = x * 2.0
    assert recorded.requires_grad and recorded.grad_fn is not None
    assert not_recorded.grad_fn is None


def test_no_grad_decorator_restores_grad_mode_after_recursion():
    @minidl.no_grad()
    def countdown(n):
        return countdown(n - 1) if n else minidl.is_grad_enabled()

    with minidl.enable_grad():  # its exit restores grad mode for later tests, whatever happens
        assert countdown(2) is False
        assert minidl.is_grad_enabled()


def test_no_grad_as_a_bare_decorator(make_tensor):
    @minidl.no_grad
    def double(t):
        return t * 2.0

    assert double(make_tensor((3,), requires_grad=True)).grad_fn is None


def test_changing_an_input_that_backward_needs_raises_and_writes_no_grad(make_tensor):
    x, w = make_tensor((3,), requires_grad=True), make_tensor((3,))
    y = (x * w).sum()  # d y / d x = w: mul keeps w
    with minidl.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="mul.*changed in place"):
        y.backward()
    assert x.grad is None


def test_changing_an_output_that_backward_needs_raises(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    y = minidl.tanh(x)  # d tanh / dx = 1 - y^2: tanh keeps its output
    loss = y.sum()
    with minidl.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match="tanh.*changed in place"):
        loss.backward()


def test_changing_a_tensor_backward_does_not_need_is_allowed(make_tensor):
    x, w = make_tensor((3,), requires_grad=True), make_tensor((3,))
    y = (x + w).sum()  # add's gradient does not depend on its inputs
    with minidl.no_grad():
        w.add_(1.0)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))


def test_changing_the_base_of_a_saved_view_raises(make_tensor):
    x, w = make_tensor((3,), requires_grad=True), make_tensor((3,))
    view = w[:]
    y = (x * view).sum()
    with minidl.no_grad():
        w.mul_(2.0)
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()


def test_in_place_change_of_a_leaf_that_requires_grad(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    before = x.numpy().copy()
    with pytest.raises(RuntimeError, match="add_"):
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="no_grad"):
        x += 1
    with pytest.raises(RuntimeError, match="setitem"):
        x[0] = 5.0
    np.testing.assert_array_equal(x.numpy(), before)
    same = x
    with minidl.no_grad():
        x += 1
        x.mul_(2.0)
    assert x is same
    np.testing.assert_allclose(x.numpy(), (before + 1) * 2)


def test_detach_cuts_the_graph_and_shares_values(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    constant = x.detach()
    assert not constant.requires_grad and constant.grad_fn is None
    assert np.shares_memory(constant.array, x.array)
    (x * constant).sum().backward()  # d/dx (x * c) = c, not 2x
    np.testing.assert_allclose(x.grad.numpy(), x.numpy(), rtol=1e-12)


def test_retain_grad_keeps_a_non_leaf_gradient(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    kept, dropped = x * 2.0, x * 3.0
    kept.retain_grad()
    (kept.tanh() + dropped).sum().backward()
    np.testing.assert_allclose(kept.grad.numpy(), 1 - np.tanh(kept.numpy()) ** 2, rtol=1e-12)
    assert dropped.grad is None


def test_backward_on_a_non_scalar_needs_a_gradient(make_tensor):
    x = make_tensor((2, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"backward.*\(2, 3\).*not a scalar"):
        (x * 2.0).backward()
    weight = make_tensor((2, 3))
    (x * 2.0).backward(weight)
    np.testing.assert_allclose(x.grad.numpy(), 2 * weight.numpy())


def test_backward_hook_sees_every_op_in_order(make_tensor):
    x, w = make_tensor((2, 3), requires_grad=True), make_tensor((3, 4), requires_grad=True)
    loss = (x @ w).tanh().sum() + (x * x).sum()
    steps = []
    loss.backward(hook=steps.append)
    functions = [step.function for step in steps]
    assert len(functions) == len(set(functions)) == len(minidl.walk(loss)) == 6
    assert all(isinstance(step, minidl.BackwardStep) for step in steps)
    for position, step in enumerate(steps):
        for x_in in step.function.inputs:  # the ops that made my inputs come later
            if x_in.grad_fn is not None:
                assert functions.index(x_in.grad_fn) > position
        for y, g in zip(step.function.outputs, step.grad_outputs):
            assert g.shape == y.shape
        for x_in, g in zip(step.function.inputs, step.grad_inputs):
            assert g is None or g.shape == x_in.shape
    for leaf in (x, w):
        flowing_in = [g.numpy() for step in steps for x_in, g in zip(step.function.inputs, step.grad_inputs)
                      if x_in is leaf and g is not None]
        assert len(flowing_in) == (3 if leaf is x else 1)  # x: matmul, and both sides of x * x
        np.testing.assert_allclose(leaf.grad.numpy(), np.sum(flowing_in, axis=0), rtol=1e-12)


def test_walk_lists_ops_with_labels_inputs_outputs_and_saved_values(make_tensor):
    x, w = make_tensor((2, 3), requires_grad=True), make_tensor((3, 4), requires_grad=True)
    hidden = x @ w
    activation = hidden.tanh()
    y = activation.sum(dim=1)
    functions = minidl.walk(y)
    assert [f.label for f in functions] == ["sum", "tanh", "matmul"]
    total, tanh, matmul = functions
    assert matmul.inputs == (x, w) and matmul.outputs == (hidden,)
    assert tanh.inputs == (hidden,) and tanh.outputs == (activation,)
    assert total.outputs == (y,) and y.grad_fn is total
    assert total.saved()["dims"] == (1,) and "_inputs" not in total.saved()
    assert all(isinstance(f, minidl.Function) and isinstance(f.saved(), dict) for f in functions)


def test_every_non_leaf_tensor_has_a_labelled_grad_fn(make_tensor):
    x = make_tensor((2, 3), requires_grad=True)
    results = [x + 1, x * x, x / 2, x**2, x @ x.T, x.exp(), x.sum(0), x.max(), x[0], x.reshape(3, 2),
               minidl.cat([x, x]), minidl.where(x > 0, x, 0.0), x.clip(min=0.0), x.mean(), x.astype(np.float32)]
    labels = [r.grad_fn.label for r in results]
    assert all(isinstance(label, str) and label and label != minidl.Function.label for label in labels)
    assert not any(r.is_leaf for r in results) and x.is_leaf


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_backward_from_an_infinite_output_seeds_one(backend):
    x = minidl.tensor(800.0, dtype=minidl.float64, device=backend, requires_grad=True)
    with np.errstate(over="ignore"):
        x.exp().backward()
    assert x.grad.item() == np.inf


def test_leaf_grad_is_writable(make_tensor):
    x = make_tensor((3,), requires_grad=True)
    x.sum().backward()
    with minidl.no_grad():
        x.grad.zero_()  # what an optimizer's zero_grad does
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


def test_leaf_grads_do_not_share_memory(backend):
    x = minidl.tensor(1.0, device=backend, requires_grad=True)
    y = minidl.tensor(2.0, device=backend, requires_grad=True)
    (x + y).backward()
    with minidl.no_grad():
        x.grad.zero_()
    assert x.grad.item() == 0.0 and y.grad.item() == 1.0
