"""The layer classes: shapes, PyTorch's default init, and outputs and gradients equal to torch.nn's.

For the torch comparisons minidl's weights are copied into the torch layer through the state
dict, which only works if the parameter names and shapes are torch's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import minidl
import minidl.nn as nn

try:
    import torch
except ImportError:  # the torch comparisons skip; the rest still runs
    torch = None

F64 = minidl.float64


def _x(backend, *shape, seed=0):
    return minidl.tensor(np.random.default_rng(seed).standard_normal(shape), device=backend)


SHAPES = [
    ("Linear", lambda: nn.Linear(4, 3), (2, 5, 4), (2, 5, 3)),
    ("Linear-nobias", lambda: nn.Linear(4, 3, bias=False), (2, 4), (2, 3)),
    ("Conv2d", lambda: nn.Conv2d(3, 5, 3), (2, 3, 8, 7), (2, 5, 6, 5)),
    ("Conv2d-stride-padding", lambda: nn.Conv2d(2, 4, (3, 2), stride=2, padding=1), (1, 2, 7, 6), (1, 4, 4, 4)),
    ("Conv2d-dilation", lambda: nn.Conv2d(2, 4, 3, dilation=2), (1, 2, 7, 6), (1, 4, 3, 2)),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), (2, 3, 8, 7), (2, 3, 4, 3)),
    ("MaxPool2d-stride-padding", lambda: nn.MaxPool2d(3, 2, 1), (2, 3, 8, 7), (2, 3, 4, 4)),
    ("AvgPool2d", lambda: nn.AvgPool2d(2, 1), (1, 2, 4, 4), (1, 2, 3, 3)),
    ("BatchNorm1d-2d", lambda: nn.BatchNorm1d(3), (4, 3), (4, 3)),
    ("BatchNorm1d-3d", lambda: nn.BatchNorm1d(3), (4, 3, 5), (4, 3, 5)),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3), (2, 3, 4, 4), (2, 3, 4, 4)),
    ("LayerNorm", lambda: nn.LayerNorm((3, 4)), (2, 3, 4), (2, 3, 4)),
    ("Dropout", lambda: nn.Dropout(0.5), (2, 3), (2, 3)),
    ("Flatten", lambda: nn.Flatten(), (2, 3, 4, 5), (2, 60)),
    ("Identity", lambda: nn.Identity(), (2, 3), (2, 3)),
    *[(name, getattr(nn, name), (2, 3), (2, 3))
      for name in ["ReLU", "Tanh", "Sigmoid", "GELU", "LeakyReLU", "Softmax", "LogSoftmax"]],
]


@pytest.mark.parametrize("make, input_shape, output_shape", [row[1:] for row in SHAPES], ids=[r[0] for r in SHAPES])
def test_output_shapes(make, input_shape, output_shape):
    assert make()(minidl.randn(*input_shape)).shape == output_shape


def test_embedding_and_recurrent_output_shapes():
    assert nn.Embedding(10, 4)(minidl.tensor([[1, 2, 3], [4, 5, 9]])).shape == (2, 3, 4)
    x = minidl.randn(7, 2, 3)  # (T, N, input)
    output, h = nn.RNN(3, 5, num_layers=2, bidirectional=True)(x)
    assert output.shape == (7, 2, 10) and h.shape == (4, 2, 5)
    output, (h, c) = nn.LSTM(3, 5, batch_first=True)(x)
    assert output.shape == (7, 2, 5) and h.shape == c.shape == (1, 7, 5)
    output, (h, c) = nn.LSTM(3, 5, num_layers=3)(x[:, 0])  # unbatched (T, input)
    assert output.shape == (7, 5) and h.shape == c.shape == (3, 5)


# --- PyTorch's default initialization ---------------------------------------------------


def _assert_uniform_within(values: np.ndarray, bound: float) -> None:
    """Inside +-bound, filling it (not a narrower range), with the spread of a uniform."""
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.1 * bound / math.sqrt(3)


@pytest.mark.parametrize("layer, fan_in", [
    (nn.Linear(300, 200), 300),
    (nn.Conv2d(8, 50, (3, 5)), 8 * 3 * 5),
], ids=["Linear", "Conv2d"])
def test_linear_and_conv_init_uniform_in_one_over_sqrt_fan_in(layer, fan_in):
    _assert_uniform_within(layer.weight.numpy(), 1 / math.sqrt(fan_in))
    assert np.abs(layer.bias.numpy()).max() <= 1 / math.sqrt(fan_in)


@pytest.mark.parametrize("layer", [nn.RNN(4, 50, num_layers=2), nn.LSTM(4, 50, bidirectional=True)],
                         ids=["RNN", "LSTM"])
def test_recurrent_init_uniform_in_one_over_sqrt_hidden(layer):
    values = np.concatenate([p.numpy().ravel() for p in layer.parameters()])
    _assert_uniform_within(values, 1 / math.sqrt(50))


def test_embedding_init_is_standard_normal():
    weight = nn.Embedding(1000, 20).weight.numpy()
    assert abs(weight.mean()) < 0.03 and abs(weight.std() - 1) < 0.03


def test_batchnorm_and_layernorm_start_as_identity_affine():
    bn, ln = nn.BatchNorm2d(3), nn.LayerNorm(4)
    for layer in (bn, ln):
        np.testing.assert_array_equal(layer.weight.numpy(), 1.0)
        np.testing.assert_array_equal(layer.bias.numpy(), 0.0)
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0.0)
    np.testing.assert_array_equal(bn.running_var.numpy(), 1.0)


def test_manual_seed_repeats_initial_weights():
    minidl.manual_seed(7)
    first = nn.Linear(5, 3).weight.numpy()
    minidl.manual_seed(7)
    np.testing.assert_array_equal(nn.Linear(5, 3).weight.numpy(), first)


# --- Dropout ----------------------------------------------------------------------------


def test_dropout_zeros_about_p_and_scales_the_rest(backend):
    layer, x = nn.Dropout(0.3), minidl.ones(200, 100, dtype=F64, device=backend)
    out = layer(x).numpy()
    assert abs((out == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(out[out != 0], 1 / 0.7)


def test_dropout_gradient_follows_the_mask(backend):
    x = _x(backend, 20, 30).requires_grad_()
    out = nn.Dropout(0.4)(x)
    out.sum().backward()
    kept = out.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 1 / 0.6, 0.0))


def test_dropout_in_eval_mode_and_with_p_0_is_the_identity(backend):
    x = _x(backend, 4, 5)
    np.testing.assert_array_equal(nn.Dropout(0.5).eval()(x).numpy(), x.numpy())
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).numpy(), 0.0)


def test_dropout_mask_repeats_after_manual_seed(backend):
    x = _x(backend, 10, 10)
    minidl.manual_seed(3)
    first = nn.Dropout(0.5)(x).numpy()
    minidl.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).numpy(), first)
    assert not np.array_equal(nn.Dropout(0.5)(x).numpy(), first)  # without reseeding, a new mask


def test_dropout_rejects_p_outside_0_1():
    with pytest.raises(ValueError, match="1.5"):
        nn.Dropout(1.5)


# --- BatchNorm against NumPy ------------------------------------------------------------


def test_batchnorm_train_updates_running_stats_with_momentum_and_unbiased_variance(backend):
    layer = nn.BatchNorm2d(3, momentum=0.2, dtype=F64, device=backend)
    batches = [_x(backend, 4, 3, 2, 2, seed=s) * (s + 1) + s for s in range(3)]
    mean, var = np.zeros(3), np.ones(3)
    for x in batches:
        out = layer(x).numpy()
        a = x.numpy()
        mean = 0.8 * mean + 0.2 * a.mean(axis=(0, 2, 3))
        var = 0.8 * var + 0.2 * a.var(axis=(0, 2, 3), ddof=1)
        batch_normalized = (a - a.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(
            a.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
        np.testing.assert_allclose(out, batch_normalized, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.numpy(), var, rtol=1e-12)


def test_batchnorm_eval_uses_running_stats_and_leaves_them(backend):
    layer = nn.BatchNorm1d(3, dtype=F64, device=backend)
    layer(_x(backend, 8, 3) * 2 + 1)  # one training step moves the running stats
    mean, var = layer.running_mean.numpy().copy(), layer.running_var.numpy().copy()
    layer.eval()
    x = _x(backend, 5, 3, seed=1)
    np.testing.assert_allclose(layer(x).numpy(), (x.numpy() - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
    np.testing.assert_array_equal(layer.running_mean.numpy(), mean)
    np.testing.assert_array_equal(layer.running_var.numpy(), var)
    single = layer(x[:1])  # a batch of one is fine in eval mode
    assert single.shape == (1, 3)


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval(backend):
    layer = nn.BatchNorm1d(3, affine=False, track_running_stats=False).eval()
    assert list(layer.state_dict()) == [] and list(layer.parameters()) == []
    x = _x(backend, 6, 3)
    a = x.numpy()
    np.testing.assert_allclose(layer(x).numpy(), (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-5), rtol=1e-6)


def test_batchnorm_wrong_channels_name_the_shape():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\).*\(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(minidl.zeros(2, 4, 5, 5))


# --- against torch.nn -------------------------------------------------------------------


def _torch_copy(ours: nn.Module, theirs):
    """torch layer `theirs` (float64) holding the very values of `ours`."""
    theirs = theirs.double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return theirs


def _assert_close(ours: minidl.Tensor, theirs) -> None:
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-12)


def _backward_both(outputs, expected) -> None:
    """Backward sum(out_k * w_k) over every output in both frameworks, with the same random w_k."""
    rng = np.random.default_rng(1)
    total_ours = total_theirs = 0
    for out, want in zip(outputs, expected, strict=True):
        _assert_close(out, want)
        weight = rng.standard_normal(out.shape)
        total_ours = total_ours + (out * minidl.tensor(weight, device=out.device)).sum()
        total_theirs = total_theirs + (want * torch.tensor(weight)).sum()
    total_ours.backward()
    total_theirs.backward()


def _assert_same_parameter_grads(ours: nn.Module, theirs) -> None:
    theirs_params = dict(theirs.named_parameters())
    assert sorted(name for name, _ in ours.named_parameters()) == sorted(theirs_params)
    for name, parameter in ours.named_parameters():
        _assert_close(parameter.grad, theirs_params[name].grad)


def _leaf_pair(backend, *shape, seed=0):
    ours = _x(backend, *shape, seed=seed).requires_grad_()
    return ours, torch.tensor(ours.numpy(), requires_grad=True)


TORCH_LAYERS = [
    ("Linear", lambda d: nn.Linear(4, 3, dtype=F64, device=d), lambda: torch.nn.Linear(4, 3), (2, 5, 4)),
    ("Conv2d", lambda d: nn.Conv2d(2, 3, (3, 2), stride=2, padding=1, dilation=(2, 1), dtype=F64, device=d),
     lambda: torch.nn.Conv2d(2, 3, (3, 2), stride=2, padding=1, dilation=(2, 1)), (2, 2, 7, 6)),
    ("LayerNorm", lambda d: nn.LayerNorm((3, 4), dtype=F64, device=d), lambda: torch.nn.LayerNorm((3, 4)),
     (2, 3, 4)),
]


@pytest.mark.parametrize("make_ours, make_theirs, input_shape", [r[1:] for r in TORCH_LAYERS],
                         ids=[r[0] for r in TORCH_LAYERS])
def test_layer_matches_torch(make_ours, make_theirs, input_shape, backend):
    pytest.importorskip("torch")
    ours = make_ours(backend)
    if isinstance(ours, nn.LayerNorm):  # not the trivial 1 and 0 of a fresh layer
        minidl.nn.init.normal_(ours.weight)
        minidl.nn.init.normal_(ours.bias)
    theirs = _torch_copy(ours, make_theirs())
    x, x_torch = _leaf_pair(backend, *input_shape)
    _backward_both([ours(x)], [theirs(x_torch)])
    _assert_close(x.grad, x_torch.grad)
    _assert_same_parameter_grads(ours, theirs)


def test_embedding_matches_torch(backend):
    pytest.importorskip("torch")
    ours = nn.Embedding(6, 3, dtype=F64, device=backend)
    theirs = _torch_copy(ours, torch.nn.Embedding(6, 3))
    indices = np.array([[0, 5, 5], [2, 5, 1]])
    _backward_both([ours(minidl.tensor(indices, device=backend))], [theirs(torch.tensor(indices))])
    _assert_same_parameter_grads(ours, theirs)


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (6, 3, 4)),
                                         ("BatchNorm2d", (4, 3, 2, 3))], ids=["1d-(N,C)", "1d-(N,C,L)", "2d"])
def test_batchnorm_train_then_eval_matches_torch(name, shape, backend):
    pytest.importorskip("torch")
    ours = getattr(nn, name)(3, momentum=0.3, dtype=F64, device=backend)
    minidl.nn.init.normal_(ours.weight)
    theirs = _torch_copy(ours, getattr(torch.nn, name)(3, momentum=0.3))
    for step in range(3):
        x, x_torch = _leaf_pair(backend, *shape, seed=step)
        _assert_close(ours(x * (step + 1.0) + step), theirs(x_torch * (step + 1.0) + step))
    _assert_close(ours.running_mean, theirs.running_mean)
    _assert_close(ours.running_var, theirs.running_var)
    for mode in ("train", "eval"):
        getattr(ours, mode)(), getattr(theirs, mode)()
        ours.zero_grad(), theirs.zero_grad()
        x, x_torch = _leaf_pair(backend, *shape, seed=10)
        _backward_both([ours(x)], [theirs(x_torch)])
        _assert_close(x.grad, x_torch.grad)
        _assert_same_parameter_grads(ours, theirs)


RECURRENT = [
    ("RNN-tanh", "RNN", dict(nonlinearity="tanh"), False, False),
    ("RNN-relu-2layers-batch_first-state", "RNN", dict(nonlinearity="relu", num_layers=2, batch_first=True),
     True, False),
    ("RNN-tanh-2layers-bidirectional-state", "RNN", dict(num_layers=2, bidirectional=True), True, False),
    ("RNN-relu-bidirectional-batch_first", "RNN", dict(nonlinearity="relu", bidirectional=True, batch_first=True),
     False, False),
    ("RNN-unbatched-state", "RNN", dict(num_layers=2), True, True),
    ("LSTM", "LSTM", {}, False, False),
    ("LSTM-2layers-state", "LSTM", dict(num_layers=2), True, False),
    ("LSTM-bidirectional-batch_first-state", "LSTM", dict(bidirectional=True, batch_first=True), True, False),
    ("LSTM-2layers-bidirectional", "LSTM", dict(num_layers=2, bidirectional=True), False, False),
    ("LSTM-unbatched", "LSTM", dict(num_layers=2), False, True),
    ("LSTM-unbatched-bidirectional-state", "LSTM", dict(bidirectional=True), True, True),
    ("LSTM-nobias", "LSTM", dict(bias=False), False, False),
]


@pytest.mark.parametrize("kind, options, with_state, unbatched", [r[1:] for r in RECURRENT],
                         ids=[r[0] for r in RECURRENT])
def test_recurrent_matches_torch(kind, options, with_state, unbatched, backend):
    pytest.importorskip("torch")
    ours = getattr(nn, kind)(3, 4, dtype=F64, device=backend, **options)
    theirs = _torch_copy(ours, getattr(torch.nn, kind)(3, 4, **options))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    steps, batch = 5, 2
    shape = (steps, 3) if unbatched else (batch, steps, 3) if options.get("batch_first") else (steps, batch, 3)
    x, x_torch = _leaf_pair(backend, *shape)
    state_shape = (ours.num_layers * ours.directions, *(() if unbatched else (batch,)), 4)
    leaves = [_leaf_pair(backend, *state_shape, seed=s) for s in (1, 2)[: 2 if kind == "LSTM" else 1]]
    state = theirs_state = None
    if with_state:
        state = leaves[0][0] if kind == "RNN" else (leaves[0][0], leaves[1][0])
        theirs_state = leaves[0][1] if kind == "RNN" else (leaves[0][1], leaves[1][1])
    output, final = ours(x, state)
    expected, expected_final = theirs(x_torch, theirs_state)
    finals = [final] if kind == "RNN" else list(final)
    expected_finals = [expected_final] if kind == "RNN" else list(expected_final)
    _backward_both([output, *finals], [expected, *expected_finals])
    _assert_close(x.grad, x_torch.grad)
    if with_state:
        for ours_leaf, theirs_leaf in leaves:
            _assert_close(ours_leaf.grad, theirs_leaf.grad)
    _assert_same_parameter_grads(ours, theirs)


def test_recurrent_dropout_between_layers_only_in_training(backend):
    layer = nn.RNN(3, 4, num_layers=2, dropout=0.5, dtype=F64, device=backend)
    x = _x(backend, 5, 2, 3)
    assert not np.array_equal(layer(x)[0].numpy(), layer(x)[0].numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].numpy(), layer(x)[0].numpy())


LOSSES = [
    ("MSELoss-sum", lambda w: (nn.MSELoss("sum"), torch.nn.MSELoss(reduction="sum")), False),
    ("CrossEntropyLoss-weight", lambda w: (nn.CrossEntropyLoss(minidl.tensor(w)),
                                           torch.nn.CrossEntropyLoss(torch.tensor(w))), True),
    ("CrossEntropyLoss-smoothing-sum", lambda w: (nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1),
                                                  torch.nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1)),
     True),
    ("NLLLoss-weight-none", lambda w: (nn.NLLLoss(minidl.tensor(w), reduction="none"),
                                       torch.nn.NLLLoss(torch.tensor(w), reduction="none")), True),
    ("BCEWithLogitsLoss-pos_weight", lambda w: (nn.BCEWithLogitsLoss(minidl.tensor(w)),
                                                torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w))), False),
]


@pytest.mark.parametrize("make, classes", [r[1:] for r in LOSSES], ids=[r[0] for r in LOSSES])
def test_loss_modules_match_torch(make, classes):
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours, theirs = make(rng.uniform(0.5, 2.0, 3))
    target = rng.integers(0, 3, 5) if classes else rng.uniform(0, 1, (5, 3))
    x, x_torch = _leaf_pair("cpu", 5, 3)
    _backward_both([ours(x, minidl.tensor(target))], [theirs(x_torch, torch.tensor(target))])
    _assert_close(x.grad, x_torch.grad)


def test_embedding_rejects_bad_indices():
    with pytest.raises(IndexError, match="0..2"):
        nn.Embedding(3, 2)(minidl.tensor([0, 3]))
    with pytest.raises(TypeError, match="integers"):
        nn.Embedding(3, 2)(minidl.tensor([0.0, 1.0]))


def test_recurrent_errors_name_the_expected_shapes():
    with pytest.raises(ValueError, match="input_size=3"):
        nn.RNN(3, 4)(minidl.zeros(5, 2, 6))
    with pytest.raises(ValueError, match=r"\(2, 2, 4\)"):
        nn.LSTM(3, 4, num_layers=2)(minidl.zeros(5, 2, 3), (minidl.zeros(1, 2, 4), minidl.zeros(1, 2, 4)))
    with pytest.raises(ValueError, match="'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
