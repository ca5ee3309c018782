"""Optimizers against their documented update rules (NumPy references written from PyTorch's
pseudo-code), against torch.optim when it is installed, and the Optimizer machinery: parameter
groups, zero_grad, state_dict round trips, errors; and clip_grad_norm_."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import minidl
from minidl.nn.utils import clip_grad_norm_
from minidl.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop


def tensor(array, device="cpu", requires_grad=False) -> minidl.Tensor:
    """A minidl tensor holding a copy of `array`, so steps never write into the test's own arrays
    (minidl.tensor(array, device=...) shares an array that is already on that device)."""
    return minidl.tensor(np.array(array), device=device, requires_grad=requires_grad)


# --- NumPy references, one per optimizer, each a line-by-line copy of PyTorch's pseudo-code ------------


def sgd_reference(theta, grads, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  maximize=False):
    trajectory, buffer = [], None
    for grad in grads:
        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            buffer = g if buffer is None else momentum * buffer + (1 - dampening) * g
            g = g + momentum * buffer if nesterov else buffer
        theta = theta - lr * g
        trajectory.append(theta)
    return trajectory


def adagrad_reference(theta, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                      eps=1e-10):
    trajectory, state_sum = [], np.full_like(theta, initial_accumulator_value)
    for t, grad in enumerate(grads, start=1):
        decayed_lr = lr / (1 + (t - 1) * lr_decay)
        g = grad + weight_decay * theta if weight_decay != 0 else grad
        state_sum = state_sum + g**2
        theta = theta - decayed_lr * g / (np.sqrt(state_sum) + eps)
        trajectory.append(theta)
    return trajectory


def rmsprop_reference(theta, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    trajectory = []
    v, b, g_ave = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for grad in grads:
        g = grad + weight_decay * theta if weight_decay != 0 else grad
        v = alpha * v + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            g_ave = g_ave * alpha + (1 - alpha) * g
            v_tilde = v_tilde - g_ave**2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
        trajectory.append(theta)
    return trajectory


def adam_reference(theta, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                   decoupled=False):
    """Adam's pseudo-code, and AdamW's with decoupled=True (theta decays before the moments)."""
    (beta1, beta2), trajectory = betas, []
    m, v, v_max = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for t, grad in enumerate(grads, start=1):
        g = grad
        if decoupled:
            theta = theta - lr * weight_decay * theta
        elif weight_decay != 0:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(theta)
    return trajectory


def adamw_reference(theta, grads, weight_decay=1e-2, **options):
    return adam_reference(theta, grads, weight_decay=weight_decay, decoupled=True, **options)


REFERENCES = {SGD: sgd_reference, Adagrad: adagrad_reference, RMSprop: rmsprop_reference, Adam: adam_reference,
              AdamW: adamw_reference}

# (optimizer, options): each option on its own, then a few together; lr is large so steps show.
CASES = [
    (SGD, dict(lr=0.1)),
    (SGD, dict(lr=0.1, momentum=0.9)),
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.3)),
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (SGD, dict(lr=0.1, weight_decay=0.2)),
    (SGD, dict(lr=0.1, maximize=True)),
    (SGD, dict(lr=0.1, momentum=0.8, dampening=0.1, weight_decay=0.2, maximize=True)),
    (Adagrad, dict(lr=0.1)),
    (Adagrad, dict(lr=0.1, lr_decay=0.5)),
    (Adagrad, dict(lr=0.1, weight_decay=0.2)),
    (Adagrad, dict(lr=0.1, initial_accumulator_value=0.5)),
    (Adagrad, dict(lr=0.1, eps=0.3)),
    (RMSprop, dict(lr=0.01)),
    (RMSprop, dict(lr=0.01, alpha=0.5)),
    (RMSprop, dict(lr=0.01, momentum=0.9)),
    (RMSprop, dict(lr=0.01, centered=True)),
    (RMSprop, dict(lr=0.01, weight_decay=0.2)),
    (RMSprop, dict(lr=0.01, eps=0.1)),
    (RMSprop, dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
    (Adam, dict(lr=0.1)),
    (Adam, dict(lr=0.1, betas=(0.5, 0.8))),
    (Adam, dict(lr=0.1, weight_decay=0.2)),
    (Adam, dict(lr=0.1, amsgrad=True)),
    (Adam, dict(lr=0.1, eps=0.1)),
    (Adam, dict(lr=0.1, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    (AdamW, dict(lr=0.1)),
    (AdamW, dict(lr=0.1, weight_decay=0.3)),
    (AdamW, dict(lr=0.1, amsgrad=True)),
    (AdamW, dict(lr=0.1, weight_decay=0.0)),
]
CASE_IDS = [f"{cls.__name__}-" + "-".join(f"{k}={v}" for k, v in options.items()) for cls, options in CASES]
STEPS = 5


def fixed_gradients(rng, shape, steps=STEPS):
    """A gradient per step, scaled up and down so amsgrad's maximum and Adagrad's sum matter."""
    scales = [1.0, 3.0, 0.2, 1.5, 0.1, 2.0][:steps]
    return [scale * rng.standard_normal(shape) for scale in scales]


def run(optimizer_class, options, theta0, grads, backend):
    """Our optimizer's parameter after each step, the gradients set by hand."""
    param = tensor(theta0, device=backend, requires_grad=True)
    optimizer = optimizer_class([param], **options)
    trajectory = []
    for grad in grads:
        param.grad = tensor(grad, device=backend)
        optimizer.step()
        trajectory.append(param.numpy().copy())
    return trajectory


@pytest.mark.parametrize("optimizer_class, options", CASES, ids=CASE_IDS)
def test_steps_follow_the_documented_rule(optimizer_class, options, backend, rng):
    theta0 = rng.standard_normal((3, 2))
    grads = fixed_gradients(rng, theta0.shape)
    ours = run(optimizer_class, options, theta0, grads, backend)
    expected = REFERENCES[optimizer_class](theta0, grads, **options)
    for step, (got, want) in enumerate(zip(ours, expected), start=1):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=f"after step {step}")


@pytest.mark.parametrize("optimizer_class, options", [case for case in CASES if len(case[1]) > 1],
                         ids=[name for name, case in zip(CASE_IDS, CASES) if len(case[1]) > 1])
def test_each_option_changes_the_trajectory(optimizer_class, options, rng):
    """So the test above would notice an option that is ignored."""
    theta0 = rng.standard_normal((3, 2))
    grads = fixed_gradients(rng, theta0.shape)
    with_options = REFERENCES[optimizer_class](theta0, grads, **options)
    with_defaults = REFERENCES[optimizer_class](theta0, grads, lr=options["lr"])
    assert not np.allclose(with_options[-1], with_defaults[-1], rtol=1e-6)


@pytest.mark.parametrize("optimizer_class, options", CASES, ids=CASE_IDS)
def test_steps_match_torch(optimizer_class, options, rng):
    torch = pytest.importorskip("torch")
    theta0 = rng.standard_normal((3, 2))
    grads = fixed_gradients(rng, theta0.shape)
    ours = run(optimizer_class, options, theta0, grads, "cpu")
    param = torch.tensor(theta0, requires_grad=True)
    optimizer = getattr(torch.optim, optimizer_class.__name__)([param], **options)
    for step, (grad, got) in enumerate(zip(grads, ours), start=1):
        param.grad = torch.tensor(grad)
        optimizer.step()
        np.testing.assert_allclose(got, param.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=f"step {step}")


@pytest.mark.parametrize("optimizer_class, options", [CASES[2], CASES[10], CASES[18], CASES[24], CASES[27]],
                         ids=[CASE_IDS[i] for i in (2, 10, 18, 24, 27)])
def test_param_groups_use_their_own_hyperparameters(optimizer_class, options, backend, rng):
    theta_a, theta_b = rng.standard_normal(4), rng.standard_normal((2, 2))
    grads_a, grads_b = fixed_gradients(rng, theta_a.shape), fixed_gradients(rng, theta_b.shape)
    a = tensor(theta_a, device=backend, requires_grad=True)
    b = tensor(theta_b, device=backend, requires_grad=True)
    optimizer = optimizer_class([{"params": [a]}, {"params": [b], "lr": options["lr"] / 4}], **options)
    for grad_a, grad_b in zip(grads_a, grads_b):
        a.grad, b.grad = tensor(grad_a, device=backend), tensor(grad_b, device=backend)
        optimizer.step()
    reference = REFERENCES[optimizer_class]
    np.testing.assert_allclose(a.numpy(), reference(theta_a, grads_a, **options)[-1], rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), reference(theta_b, grads_b, **{**options, "lr": options["lr"] / 4})[-1],
                               rtol=1e-12)
    assert [group["lr"] for group in optimizer.param_groups] == [options["lr"], options["lr"] / 4]


def test_param_groups_match_torch(rng):
    torch = pytest.importorskip("torch")
    theta_a, theta_b = rng.standard_normal(3), rng.standard_normal(2)
    grads = [(rng.standard_normal(3), rng.standard_normal(2)) for _ in range(4)]
    a, b = (tensor(theta, requires_grad=True) for theta in (theta_a, theta_b))
    torch_a, torch_b = (torch.tensor(theta, requires_grad=True) for theta in (theta_a, theta_b))
    ours = SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "nesterov": True}], lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD([{"params": [torch_a]}, {"params": [torch_b], "lr": 0.5, "nesterov": True}],
                             lr=0.1, momentum=0.9)
    for grad_a, grad_b in grads:
        a.grad, b.grad = tensor(grad_a), tensor(grad_b)
        torch_a.grad, torch_b.grad = torch.tensor(grad_a), torch.tensor(grad_b)
        ours.step()
        theirs.step()
    np.testing.assert_allclose(a.numpy(), torch_a.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), torch_b.detach().numpy(), rtol=1e-12)


# --- step(): what it touches and what it leaves alone ----------------------------------------------


def test_step_skips_parameters_without_a_gradient(backend):
    a = tensor(np.ones(3), device=backend, requires_grad=True)
    b = tensor(np.ones(2), device=backend, requires_grad=True)
    optimizer = Adam([a, b], lr=0.1)
    a.grad = tensor(np.ones(3), device=backend)
    optimizer.step()
    np.testing.assert_array_equal(b.numpy(), np.ones(2))
    assert not np.allclose(a.numpy(), np.ones(3))
    assert b not in optimizer.state and optimizer.state[a]["step"] == 1


def test_step_changes_parameters_in_place_and_leaves_grads_alone(backend):
    param = tensor(np.array([1.0, -2.0]), device=backend, requires_grad=True)
    array, version = param.array, param._version[0]
    optimizer = SGD([param], lr=0.1, momentum=0.9, weight_decay=0.5, maximize=True)
    param.grad = tensor(np.array([0.5, 0.25]), device=backend)
    optimizer.step()  # outside no_grad: step must switch recording off itself
    assert param.array is array
    assert param._version[0] > version
    np.testing.assert_array_equal(param.grad.numpy(), [0.5, 0.25])


def test_state_buffers_have_the_parameters_dtype_and_pytorch_names(backend):
    param = tensor(np.ones(3, dtype=np.float32), device=backend, requires_grad=True)
    optimizer = Adam([param], amsgrad=True)
    param.grad = minidl.ones(3, device=backend)
    optimizer.step()
    state = optimizer.state[param]
    assert set(state) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert type(state["step"]) is int
    for name in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        assert state[name].dtype == np.float32 and type(state[name]) is type(param.array)
    assert param.dtype == np.float32


@pytest.mark.parametrize("grad", [np.ones(2), np.ones(3, dtype=np.float32)], ids=["shape", "dtype"])
def test_a_gradient_that_does_not_fit_its_parameter_is_an_error(grad):
    param = tensor(np.ones(3), requires_grad=True)
    optimizer = SGD([param], lr=0.1)
    param.grad = tensor(grad)
    with pytest.raises(ValueError, match=r"SGD\.step: a parameter of shape \(3,\)"):
        optimizer.step()
    np.testing.assert_array_equal(param.numpy(), np.ones(3))


def test_an_optimizer_without_update_says_so():
    with pytest.raises(NotImplementedError, match="Optimizer does not say how"):
        param = tensor(np.ones(2), requires_grad=True)
        param.grad = tensor(np.ones(2))
        Optimizer([param], {}).step()


# --- zero_grad ---------------------------------------------------------------------------------


def test_zero_grad_sets_gradients_to_none(backend):
    a, b = (tensor(np.ones(2), device=backend, requires_grad=True) for _ in range(2))
    optimizer = SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    a.grad, b.grad = minidl.ones(2, device=backend), minidl.ones(2, device=backend)
    optimizer.zero_grad()
    assert a.grad is None and b.grad is None


def test_zero_grad_can_fill_gradients_with_zeros(backend):
    a = tensor(np.ones(2), device=backend, requires_grad=True)
    b = tensor(np.ones(3), device=backend, requires_grad=True)
    optimizer = SGD([a, b], lr=0.1)
    (a * a).sum().backward(create_graph=True)  # a grad that is part of a graph
    optimizer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros(2))
    assert a.grad.grad_fn is None
    assert b.grad is None


# --- constructor errors --------------------------------------------------------------------------


def _param(shape=(2,)):
    return tensor(np.ones(shape), requires_grad=True)


@pytest.mark.parametrize("make, message", [
    (lambda: SGD([_param()], lr=-1), "SGD: lr must be >= 0, got -1"),
    (lambda: SGD([_param()], lr=0.1, momentum=-0.5), "SGD: momentum must be >= 0, got -0.5"),
    (lambda: SGD([_param()], lr=0.1, weight_decay=-1e-4), "SGD: weight_decay must be >= 0, got -0.0001"),
    (lambda: SGD([_param()], lr=0.1, nesterov=True), "SGD: nesterov needs momentum > 0 and dampening = 0"),
    (lambda: SGD([_param()], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening=0.1"),
    (lambda: Adagrad([_param()], lr_decay=-1), "Adagrad: lr_decay must be >= 0, got -1"),
    (lambda: Adagrad([_param()], initial_accumulator_value=-1), "Adagrad: initial_accumulator_value must be >= 0"),
    (lambda: Adagrad([_param()], eps=-1), "Adagrad: eps must be >= 0, got -1"),
    (lambda: RMSprop([_param()], alpha=-0.1), "RMSprop: alpha must be >= 0, got -0.1"),
    (lambda: RMSprop([_param()], momentum=float("nan")), "RMSprop: momentum must be >= 0, got nan"),
    (lambda: Adam([_param()], betas=(1.0, 0.999)), r"Adam: beta1 must be in \[0, 1\), got 1.0"),
    (lambda: Adam([_param()], betas=(0.9, -0.1)), r"Adam: beta2 must be in \[0, 1\), got -0.1"),
    (lambda: Adam([_param()], eps=-1e-8), "Adam: eps must be >= 0"),
    (lambda: AdamW([_param()], weight_decay=-0.01), "AdamW: weight_decay must be >= 0, got -0.01"),
    (lambda: Adam([{"params": [_param()]}, {"params": [_param()], "lr": -0.5}]), "Adam: lr must be >= 0, got -0.5"),
    (lambda: SGD([], lr=0.1), "SGD: got an empty parameter list"),
    (lambda: SGD([{"params": []}], lr=0.1), "SGD: got an empty parameter list"),
    (lambda: SGD([tensor(np.ones(2))], lr=0.1), r"SGD: a parameter of shape \(2,\) does not require grad"),
    (lambda: SGD([_param() * 2], lr=0.1), "SGD: a parameter of shape .* is not a leaf"),
    (lambda: (lambda p: SGD([p, p], lr=0.1))(_param()), "SGD: a parameter appears more than once"),
    (lambda: (lambda p: SGD([{"params": [p]}, {"params": p}], lr=0.1))(_param()), "appears more than once"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_bad_arguments_raise_value_error_naming_them(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("make, message", [
    (lambda: SGD(_param(), lr=0.1), "SGD: params should be an iterable of Tensors or of dicts"),
    (lambda: SGD([np.ones(2)], lr=0.1), "SGD: can only optimize Tensors, got ndarray"),
    (lambda: SGD([minidl.Tensor(np.ones(2, dtype=np.int64), requires_grad=True)], lr=0.1),
     "SGD: can only optimize floating-point tensors, got one of dtype int64"),
    (lambda: SGD([{"lr": 0.1}], lr=0.1), "SGD: a parameter group must be a dict with a 'params' entry"),
])
def test_parameters_of_the_wrong_type_raise_type_error(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_add_param_group_fills_in_the_defaults():
    optimizer = SGD([_param()], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": _param(), "lr": 0.01})
    assert optimizer.param_groups[1]["lr"] == 0.01
    assert optimizer.param_groups[1]["momentum"] == 0.9
    assert len(optimizer.param_groups[1]["params"]) == 1


def test_repr_lists_groups_and_hyperparameters():
    text = repr(SGD([{"params": [_param()]}, {"params": [_param(), _param()], "lr": 0.5}], lr=0.1))
    assert text.startswith("SGD (")
    assert "group 0: 1 parameter, lr=0.1" in text and "group 1: 2 parameters, lr=0.5" in text


# --- state_dict / load_state_dict ----------------------------------------------------------------

ROUND_TRIP_CASES = [CASES[6], CASES[10], CASES[18], CASES[24], CASES[27]]
ROUND_TRIP_IDS = [CASE_IDS[CASES.index(case)] for case in ROUND_TRIP_CASES]


def _two_groups(optimizer_class, options, thetas, backend):
    params = [tensor(theta, device=backend, requires_grad=True) for theta in thetas]
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": options["lr"] / 2}]
    return params, optimizer_class(groups, **options)


def _take_steps(optimizer, params, grads, backend):
    for step_grads in grads:
        for param, grad in zip(params, step_grads):
            param.grad = tensor(grad, device=backend)
        optimizer.step()


@pytest.mark.parametrize("optimizer_class, options", ROUND_TRIP_CASES, ids=ROUND_TRIP_IDS)
def test_state_dict_round_trip_continues_identically(optimizer_class, options, backend, rng):
    thetas = [rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(4)]
    grads = [[rng.standard_normal(theta.shape) for theta in thetas] for _ in range(5)]
    params_a, optimizer_a = _two_groups(optimizer_class, options, thetas, backend)
    _take_steps(optimizer_a, params_a, grads[:3], backend)
    saved = optimizer_a.state_dict()
    params_b, optimizer_b = _two_groups(optimizer_class, {**options, "lr": 1.0}, [p.numpy() for p in params_a],
                                        backend)
    optimizer_b.load_state_dict(saved)
    assert [group["lr"] for group in optimizer_b.param_groups] == [options["lr"], options["lr"] / 2]
    _take_steps(optimizer_a, params_a, grads[3:], backend)
    _take_steps(optimizer_b, params_b, grads[3:], backend)
    for a, b in zip(params_a, params_b):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(params_a, params_b):
        assert optimizer_a.state[a].keys() == optimizer_b.state[b].keys()
        for name, value in optimizer_a.state[a].items():  # minidl.Tensor(...).numpy(): from the GPU too
            loaded = optimizer_b.state[b][name]
            np.testing.assert_array_equal(minidl.Tensor(value).numpy(), minidl.Tensor(loaded).numpy())


def test_state_dict_has_pytorch_layout_and_plain_values(rng):
    params, optimizer = _two_groups(Adam, dict(lr=0.1, amsgrad=True), [np.ones(2), np.ones(3), np.ones(4)], "cpu")
    _take_steps(optimizer, params, [[np.ones(2), np.ones(3), np.ones(4)]], "cpu")
    saved = optimizer.state_dict()
    assert set(saved) == {"state", "param_groups"}
    assert [group["params"] for group in saved["param_groups"]] == [[0, 1], [2]]
    assert sorted(saved["state"]) == [0, 1, 2]
    assert set(saved["state"][2]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    json.dumps(saved["param_groups"])  # hyper-parameters: plain Python values
    for state in saved["state"].values():
        assert type(state["step"]) is int
        assert all(isinstance(value, np.ndarray) for name, value in state.items() if name != "step")


def test_state_dict_is_a_snapshot():
    param = _param((3,))
    optimizer = Adam([param], lr=0.1)
    param.grad = tensor(np.ones(3))
    optimizer.step()
    saved = optimizer.state_dict()
    optimizer.step()
    assert saved["state"][0]["step"] == 1
    np.testing.assert_allclose(saved["state"][0]["exp_avg"], 0.1 * np.ones(3))


def test_load_state_dict_accepts_numpy_arrays_and_tensors(backend):
    param = tensor(np.ones(2, dtype=np.float32), device=backend, requires_grad=True)
    optimizer = SGD([param], lr=0.1, momentum=0.9)
    saved = {"state": {0: {"momentum_buffer": tensor(np.array([1.0, 2.0]))}},
             "param_groups": [{"lr": 0.2, "momentum": 0.5, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False,
                               "maximize": False, "params": [0]}]}
    optimizer.load_state_dict(saved)
    buffer = optimizer.state[param]["momentum_buffer"]
    assert type(buffer) is type(param.array) and buffer.dtype == np.float32
    param.grad = tensor(np.array([1.0, 1.0], dtype=np.float32), device=backend)
    optimizer.step()  # b = 0.5 * [1, 2] + [1, 1]; theta = 1 - 0.2 * b
    np.testing.assert_allclose(param.numpy(), [1 - 0.2 * 1.5, 1 - 0.2 * 2.0], rtol=1e-6)


def _bad(saved, change):
    """A copy of a state dict with one thing broken (always the last thing read, so that a load
    that changes as it goes would already have changed something)."""
    broken = {"state": {index: dict(state) for index, state in saved["state"].items()},
              "param_groups": [dict(group, lr=123.0) for group in saved["param_groups"]]}
    change(broken)
    return broken


@pytest.mark.parametrize("change, message", [
    (lambda d: d["param_groups"].pop(), "the state dict has 1 parameter groups, this optimizer has 2"),
    (lambda d: d["param_groups"][1]["params"].append(7), "parameter group 1 has 2 parameters in the state dict, 1"),
    (lambda d: d["state"][2].update(exp_avg=np.zeros(5)),
     r"state 'exp_avg' of parameter 2 has shape \(5,\), but the parameter has shape \(4,\)"),
    (lambda d: d["state"].update({9: {"step": 1}}), "there is state for parameter 9, which is in no parameter group"),
    (lambda d: d["state"][2].update(step="three"), "state 'step' of parameter 2 is a str, not a number or an array"),
    (lambda d: d.pop("state"), "expected a dict with keys 'param_groups' and 'state', got \\['param_groups'\\]"),
], ids=["groups", "group-size", "shape", "index", "type", "keys"])
def test_a_bad_state_dict_raises_and_changes_nothing(change, message, rng):
    thetas = [rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(4)]
    grads = [[rng.standard_normal(theta.shape) for theta in thetas] for _ in range(3)]
    params_a, optimizer_a = _two_groups(Adam, dict(lr=0.1), thetas, "cpu")
    _take_steps(optimizer_a, params_a, grads, "cpu")
    params_b, optimizer_b = _two_groups(Adam, dict(lr=0.1), thetas, "cpu")
    _take_steps(optimizer_b, params_b, grads[:1], "cpu")
    before = optimizer_b.state_dict()
    bad = _bad(optimizer_a.state_dict(), change)
    with pytest.raises(ValueError, match=message):
        optimizer_b.load_state_dict(bad)
    after = optimizer_b.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert after["state"].keys() == before["state"].keys()
    for index, state in before["state"].items():
        assert after["state"][index]["step"] == state["step"] == 1
        np.testing.assert_array_equal(after["state"][index]["exp_avg"], state["exp_avg"])


# --- minimising a quadratic ------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer_class, options", [
    (SGD, dict(lr=0.1)),
    (SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (Adagrad, dict(lr=0.5)),
    (RMSprop, dict(lr=0.05, centered=True)),
    (Adam, dict(lr=0.1)),
    (AdamW, dict(lr=0.1, weight_decay=1e-3, amsgrad=True)),
], ids=["SGD", "SGD-nesterov", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_each_optimizer_minimises_a_quadratic(optimizer_class, options, backend):
    generator = np.random.default_rng(0)
    target = tensor(generator.standard_normal(5), device=backend)
    weight = tensor(generator.standard_normal(5) * 3, device=backend, requires_grad=True)
    optimizer = optimizer_class([weight], **options)
    losses = []
    for _ in range(150):
        optimizer.zero_grad()
        loss = ((weight - target) ** 2).sum()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-3 * losses[0], losses[::15]


# --- clip_grad_norm_ -------------------------------------------------------------------------------


def _params_with_grads(grads, backend):
    params = [tensor(np.zeros(grad.shape), device=backend, requires_grad=True) for grad in grads]
    for param, grad in zip(params, grads):
        param.grad = tensor(grad, device=backend)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3], ids=["clipped", "unclipped"])
def test_clip_grad_norm_scales_all_gradients_together(norm_type, max_norm, backend, rng):
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    params = _params_with_grads(grads, backend)
    params.append(tensor(np.ones(2), device=backend, requires_grad=True))  # no grad: left out
    total = clip_grad_norm_(params, max_norm, norm_type)
    everything = np.concatenate([grad.ravel() for grad in grads])
    expected = np.abs(everything).max() if norm_type == math.inf else np.sum(np.abs(everything) ** norm_type) ** (
        1 / norm_type)
    assert isinstance(total, minidl.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), expected, rtol=1e-12)
    scale = min(1.0, max_norm / (expected + 1e-6))
    for param, grad in zip(params, grads):
        np.testing.assert_allclose(param.grad.numpy(), grad * scale, rtol=1e-12)
    assert params[-1].grad is None


@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_clip_grad_norm_matches_torch(norm_type, rng):
    torch = pytest.importorskip("torch")
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    params = _params_with_grads(grads, "cpu")
    torch_params = [torch.zeros(grad.shape, dtype=torch.float64, requires_grad=True) for grad in grads]
    for param, grad in zip(torch_params, grads):
        param.grad = torch.tensor(grad)
    ours, theirs = clip_grad_norm_(params, 0.7, norm_type), torch.nn.utils.clip_grad_norm_(torch_params, 0.7, norm_type)
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
    for param, torch_param in zip(params, torch_params):
        np.testing.assert_allclose(param.grad.numpy(), torch_param.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_accepts_one_tensor_and_keeps_float32(backend):
    param = tensor(np.zeros(2, dtype=np.float32), device=backend, requires_grad=True)
    param.grad = tensor(np.array([3.0, 4.0], dtype=np.float32), device=backend)
    total = clip_grad_norm_(param, 1.0)
    assert total.dtype == np.float32 and total.item() == 5.0
    np.testing.assert_allclose(param.grad.numpy(), [0.6, 0.8], rtol=1e-5)


def test_clip_grad_norm_with_a_nonfinite_norm(backend):
    params = _params_with_grads([np.array([1.0, np.inf])], backend)
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of order 2.0 of the gradients is inf"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[0].grad.numpy(), [1.0, np.inf])
    with np.errstate(invalid="ignore"):  # inf * 0: NumPy warns, as PyTorch does not; the result is the same
        assert math.isinf(clip_grad_norm_(params, 1.0).item())


def test_clip_grad_norm_without_gradients_returns_zero():
    assert clip_grad_norm_([_param()], 1.0).item() == 0.0


def test_zero_grad_without_none_works_on_a_read_only_broadcast_grad():
    a = minidl.tensor(np.arange(3.0), requires_grad=True)
    (a.sum() * 2).backward(create_graph=True)  # sum's gradient is a read-only broadcast view
    SGD([a], lr=0.1).zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros(3))
    assert a.grad.grad_fn is None and not np.signbit(a.grad.numpy()).any()
