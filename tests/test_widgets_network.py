"""NetworkPlayground: the datasets, the network and its training (PlaygroundRun), then the widget's state.

No browser and no kernel: the widget is driven through its methods and controls, `play()`/`pause()`
inside `asyncio.run`, and its display bundle is caught by a stand-in for IPython's `display`.
"""

from __future__ import annotations

import asyncio
import base64

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

import IPython.display  # noqa: E402  (after the skips: ipywidgets brings IPython)

from minidl import nn  # noqa: E402
from widgets.network_playground import NetworkPlayground  # noqa: E402
from widgets.playground_run import (  # noqa: E402
    DATASETS,
    POINTS_PER_CLASS,
    PlaygroundRun,
    PlaygroundSettings,
    build_model,
    make_dataset,
    xor,
)


def parameters(model: nn.Module) -> list[np.ndarray]:
    return [param.numpy().copy() for param in model.parameters()]


# --- data ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_dataset_has_two_classes_of_equal_size(name):
    points, labels = make_dataset(name, noise=0.1, seed=0)
    assert points.shape == (2 * POINTS_PER_CLASS, 2) and points.dtype == np.float32
    assert labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [POINTS_PER_CLASS, POINTS_PER_CLASS]
    again, _ = make_dataset(name, noise=0.1, seed=0)
    other, _ = make_dataset(name, noise=0.1, seed=1)
    assert np.array_equal(points, again) and not np.array_equal(points, other)


def test_xor_labels_are_the_sign_agreement_of_the_coordinates():
    points, labels = xor(50, noise=0.0, seed=3)
    assert np.array_equal(labels, (points[:, 0] * points[:, 1] > 0).astype(np.int64))
    assert np.abs(points).min() >= 0.1  # kept off the axes


def test_run_splits_points_in_half_into_train_and_test():
    run = PlaygroundRun(PlaygroundSettings(dataset="moons"))
    assert run.points["train"].shape == run.points["test"].shape == (POINTS_PER_CLASS, 2)
    train, test = {tuple(p) for p in run.points["train"]}, {tuple(p) for p in run.points["test"]}
    assert not train & test


def test_unknown_names_are_refused_in_plain_words():
    with pytest.raises(ValueError, match="unknown dataset 'rings'"):
        make_dataset("rings", 0.1, 0)
    with pytest.raises(ValueError, match="unknown activation 'GELU'"):
        build_model(1, 2, "GELU")


# --- the network and its training ------------------------------------------------------------


@pytest.mark.parametrize("hidden_layers, units, activation", [(0, 4, "ReLU"), (1, 3, "Tanh"), (4, 8, "Sigmoid")])
def test_model_has_the_requested_layers(hidden_layers, units, activation):
    model = build_model(hidden_layers, units, activation)
    linears = [module for module in model if isinstance(module, nn.Linear)]
    activations = [module for module in model if not isinstance(module, nn.Linear)]
    assert len(linears) == hidden_layers + 1
    assert [(layer.in_features, layer.out_features) for layer in linears] == (
        [(2, units)] + [(units, units)] * (hidden_layers - 1) + [(units, 1)] if hidden_layers else [(2, 1)]
    )
    assert len(activations) == hidden_layers
    assert all(type(module).__name__ == activation for module in activations)


@pytest.mark.parametrize("dataset", ["moons", "circles"])
def test_training_lowers_the_loss_and_separates_the_test_points(dataset):
    run = PlaygroundRun(PlaygroundSettings(dataset=dataset))
    run.step(300)
    assert run.steps == 300 and len(run.losses["train"]) == len(run.losses["test"]) == 301
    assert run.losses["train"][-1] < run.losses["train"][0] / 2  # observed: 0.69 -> 0.06 (circles), 0.27 (moons)
    assert run.losses["test"][-1] < run.losses["test"][0] / 2
    assert run.accuracy("test") >= 0.85  # observed 0.98 (circles), 0.91 (moons); chance is 0.5


def test_same_settings_give_the_same_run():
    first, second = PlaygroundRun(), PlaygroundRun()
    first.step(30)
    second.step(30)
    assert first.losses == second.losses
    for a, b in zip(parameters(first.model), parameters(second.model)):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("regularization", ["L1", "L2"])
def test_stronger_regularization_gives_smaller_weights(regularization):
    norms = []
    for rate in (0.0, 0.001, 0.01, 0.1):
        run = PlaygroundRun(PlaygroundSettings(dataset="circles", regularization=regularization,
                                               regularization_rate=rate))
        run.step(100)
        norms.append(run.weight_norm())
    assert norms == sorted(norms, reverse=True) and len(set(norms)) == 4  # observed L2: 5.0, 4.5, 2.8, 0.02
    assert norms[-1] < 0.1  # a strength of 0.1 all but zeroes the weights


def test_training_settings_apply_without_a_new_run():
    run = PlaygroundRun()
    run.step(5)
    run.set_training(PlaygroundSettings(learning_rate=0.1, regularization="L2", regularization_rate=0.01))
    weight_group, bias_group = run.optimizer.param_groups
    assert weight_group["lr"] == bias_group["lr"] == 0.1
    assert (weight_group["weight_decay"], bias_group["weight_decay"]) == (0.01, 0.0)
    assert run.steps == 5
    with pytest.raises(ValueError, match="start a new PlaygroundRun"):
        run.set_training(PlaygroundSettings(units=7))


def test_boundary_is_a_probability_on_a_square_grid():
    run = PlaygroundRun(PlaygroundSettings(dataset="circles"))
    run.step(300)
    coordinates, probability = run.boundary(size=30)
    assert coordinates.shape == (30,) and probability.shape == (30, 30)
    assert coordinates[0] == -run.extent() and coordinates[-1] == run.extent()
    assert ((probability >= 0) & (probability <= 1)).all()
    centre, corner = probability[15, 15], probability[0, 0]  # inner circle is class 1, outside class 0
    assert centre > 0.9 and corner < 0.1


# --- the widget ------------------------------------------------------------------------------


def test_step_advances_by_the_stated_steps_and_redraws():
    playground = NetworkPlayground(steps_per_click=7, dataset="moons")
    before = playground.picture()
    playground.step()
    assert playground.training.steps == 7
    assert playground.picture() != before and playground.picture().startswith(b"\x89PNG")


def test_reset_restores_the_initial_weights():
    playground = NetworkPlayground()
    initial = parameters(playground.training.model)
    playground.run(40)
    assert not np.array_equal(parameters(playground.training.model)[0], initial[0])
    playground.reset()
    assert playground.training.steps == 0
    for now, then in zip(parameters(playground.training.model), initial):
        assert np.array_equal(now, then)


def test_changing_the_network_controls_builds_a_new_model():
    playground = NetworkPlayground(hidden_layers=2, activation="Tanh")
    playground.run(20)
    playground.controls["activation"].value = "ReLU"
    assert playground.training.steps == 0
    assert any(isinstance(module, nn.ReLU) for module in playground.training.model)
    playground.controls["hidden_layers"].value = 3
    assert sum(isinstance(module, nn.Linear) for module in playground.training.model) == 4
    playground.controls["dataset"].value = "xor"
    assert playground.training.settings.dataset == "xor"


def test_changing_the_learning_rate_keeps_training_the_same_model():
    playground = NetworkPlayground()
    playground.run(20)
    model = playground.training.model
    playground.controls["learning_rate"].value = 0.001
    assert playground.training.model is model and playground.training.steps == 20
    assert playground.training.optimizer.param_groups[0]["lr"] == pytest.approx(0.001)


def test_play_trains_in_the_background_until_pause():
    playground = NetworkPlayground(steps_per_chunk=5)
    before = playground.picture()

    async def press_run_then_pause():
        playground.play()
        assert playground.playing and playground._run_button.description == "Pause"
        for _ in range(4):  # each yield lets the task train one chunk
            await asyncio.sleep(0)
        playground.pause()
        await playground.task

    asyncio.run(press_run_then_pause())
    steps = playground.training.steps
    assert steps >= 3 * 5 and steps % 5 == 0
    assert playground.task.done() and not playground.playing
    assert playground._run_button.description == "Run"
    assert playground.picture() != before  # the last state is drawn when the task ends


def test_play_without_an_event_loop_says_what_to_do_instead():
    with pytest.raises(RuntimeError, match=r"call run\(steps\)"):
        NetworkPlayground().play()


class FakeHandle:
    def __init__(self):
        self.updates = []

    def update(self, bundle, raw):
        self.updates.append(bundle)


def test_display_bundle_has_a_png_and_a_constant_text(monkeypatch):
    shown, handle = [], FakeHandle()

    def fake_display(bundle, raw, display_id):
        shown.append(bundle)
        return handle

    monkeypatch.setattr(IPython.display, "display", fake_display)
    playground = NetworkPlayground()
    playground._ipython_display_()
    (bundle,) = shown
    assert bundle["text/plain"] == "<NetworkPlayground>"
    assert base64.b64decode(bundle["image/png"]) == playground.picture()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == playground.model_id
    playground.step()  # the PNG where it was displayed follows; the text stays the same
    (update,) = handle.updates
    assert update["text/plain"] == "<NetworkPlayground>"
    assert base64.b64decode(update["image/png"]) == playground.picture() != base64.b64decode(bundle["image/png"])
