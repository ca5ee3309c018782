"""TrainingCurves: the history it keeps, when it draws, the picture it leaves, and life outside a notebook."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

import matplotlib.image  # noqa: E402

import minidl  # noqa: E402
import minidl.nn as nn  # noqa: E402
import minidl.optim  # noqa: E402
from minidl.data import DataLoader, TensorDataset  # noqa: E402
from widgets.curves import CurveHistory, TrainingCurves  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _blobs(n=40, seed=0):
    """Two well separated classes in 2-D."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    points = rng.standard_normal((n, 2)).astype(np.float32) * 0.5 + labels[:, None] * 3.0
    return TensorDataset(minidl.tensor(points), minidl.tensor(labels))


def _fit(curves, epochs=3):
    """A real minidl.fit of a tiny model: 4 batches of 10 points per epoch, then validation."""
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    return minidl.fit(model, DataLoader(_blobs(), batch_size=10), nn.CrossEntropyLoss(),
                      minidl.optim.SGD(model.parameters(), lr=0.1), epochs=epochs,
                      val_data=DataLoader(_blobs(seed=1), batch_size=20), callbacks=[curves], progress=False)


def _read_png(data: bytes) -> np.ndarray:
    assert data.startswith(PNG_SIGNATURE)
    return matplotlib.image.imread(io.BytesIO(data), format="png")


def test_hand_updates_fill_the_history_per_split_and_metric():
    curves = TrainingCurves(live=False)
    for step in (1, 2, 3):
        curves.update(step, loss=1.0 / step, acc=0.5 + 0.1 * step)
    curves.update(3, loss=0.4, acc=0.7, split="val")
    history = curves.history
    assert history.steps == {"train": {"loss": [(1, 1.0), (2, 0.5), (3, 1 / 3)],
                                       "acc": [(1, 0.6), (2, 0.7), (3, pytest.approx(0.8))]}}
    assert history.epochs == {"val": {"loss": [(3, 0.4)], "acc": [(3, 0.7)]}}
    assert history.metrics == ["loss", "acc"]
    curves.finish()


def test_an_unknown_split_is_refused_in_plain_words():
    with pytest.raises(ValueError, match="split must be 'train' or 'val', not 'test'"):
        TrainingCurves(live=False).update(1, loss=1.0, split="test")


def test_as_a_fit_callback_it_logs_every_step_and_fits_epoch_values():
    curves = TrainingCurves(live=False)
    history = _fit(curves)
    steps = curves.history.steps["train"]
    assert [step for step, _ in steps["loss"]] == list(range(1, 13))  # 3 epochs of 4 batches
    assert set(steps) == {"loss", "accuracy"}
    epochs = curves.history.epochs
    assert [step for step, _ in epochs["train"]["loss"]] == [4, 8, 12]
    assert [value for _, value in epochs["train"]["loss"]] == pytest.approx(history["loss"])
    assert [value for _, value in epochs["val"]["accuracy"]] == pytest.approx(history["val_accuracy"])
    assert [value for _, value in epochs["val"]["loss"]] == pytest.approx(history["val_loss"])
    assert curves.history.metrics == ["loss", "accuracy"]


def test_the_best_validation_epoch_is_the_lowest_loss_or_the_highest_accuracy():
    history = CurveHistory()
    assert history.best_epoch() is None
    for epoch, (loss, accuracy) in enumerate([(0.9, 0.6), (0.5, 0.7), (0.7, 0.8)]):
        history.log_step(10 * epoch + 10, {"loss": 0.1})  # training values never count
        history.log_epoch(10 * epoch + 10, {"loss": loss, "accuracy": accuracy}, "val")
    assert history.best_epoch() == 1 and history.best_step() == 20
    assert history.best_epoch("accuracy") == 2
    assert history.best_epoch("error") is None


def test_frames_are_throttled_by_time_and_by_the_last_frame_time():
    clock = FakeClock()
    curves = TrainingCurves(min_interval=1.0, live=True, clock=clock)
    for step in range(1, 6):  # no time passes: no frame
        curves.update(step, loss=1.0)
    assert curves.render_seconds == []
    clock.now = 1.0
    curves.update(6, loss=1.0)
    assert len(curves.render_seconds) == 1
    clock.now = 1.5
    curves.update(7, loss=1.0)
    assert len(curves.render_seconds) == 1
    clock.now = 2.0
    curves.update(8, loss=1.0)
    assert len(curves.render_seconds) == 2
    curves.render_seconds[-1] = 0.3  # slow frames: wait 10 frame times, 3 s, not 1 s
    clock.now = 4.0
    curves.update(9, loss=1.0)
    assert len(curves.render_seconds) == 2
    clock.now = 5.0
    curves.update(10, loss=1.0)
    assert len(curves.render_seconds) == 3


def test_the_first_frame_waits_min_interval_from_the_start_of_training():
    clock = FakeClock()
    curves = TrainingCurves(min_interval=1.0, live=True, clock=clock)
    clock.now = 60.0  # made long before training
    curves.on_train_begin(minidl.training.History())
    curves.on_batch_end(0, {"loss": 1.0})
    assert curves.render_seconds == []
    clock.now = 61.0
    curves.on_batch_end(1, {"loss": 0.9})
    assert len(curves.render_seconds) == 1


def test_the_last_frame_is_drawn_when_training_ends():
    curves = TrainingCurves(live=True, clock=FakeClock())  # the clock stands still: no frame while training
    _fit(curves)
    assert len(curves.render_seconds) == 1
    assert curves.picture() == curves.image.value  # up to date: nothing drawn again
    assert len(curves.render_seconds) == 1
    _read_png(curves.picture())


def test_the_log_toggle_puts_the_loss_axis_on_a_log_scale():
    curves = TrainingCurves(live=False)
    _fit(curves)
    curves.picture()
    loss_axes, accuracy_axes = curves.figure.axes
    assert loss_axes.get_ylabel() == "loss" and loss_axes.get_yscale() == "linear"
    curves.log_scale.value = True
    assert loss_axes.get_yscale() == "log"
    assert accuracy_axes.get_yscale() == "linear"
    curves.log_scale.value = False
    assert loss_axes.get_yscale() == "linear"


def test_the_best_validation_epoch_is_marked():
    curves = TrainingCurves(live=False)
    for epoch, loss in enumerate([0.9, 0.4, 0.6]):
        curves.update(10 * epoch + 10, loss=loss, split="val")
    curves.picture()
    (axes,) = curves.figure.axes
    best = [line for line in axes.get_lines() if line.get_visible() and "best" in line.get_label()]
    assert len(best) == 1 and list(best[0].get_xdata()) == [20, 20]
    labels = [text.get_text() for text in axes.texts if text.get_visible()]
    assert labels == ["best: epoch 2 "]


def test_save_writes_a_png_of_the_figure_size(tmp_path):
    curves = TrainingCurves(live=False)
    _fit(curves, epochs=2)
    path = tmp_path / "curves.png"
    curves.save(path)
    pixels = _read_png(path.read_bytes())
    width, height = curves.figure.get_size_inches() * curves.figure.dpi
    assert pixels.shape[:2] == (round(height), round(width))
    assert pixels[..., :3].std() > 0  # something is drawn


@pytest.fixture
def shown(monkeypatch) -> list[dict]:
    """The bundles that Jupyter would show: each display, then each update of a display."""
    bundles = []

    class Handle:
        def update(self, bundle, raw):
            bundles.append(bundle)

    def display(obj, raw=False, display_id=False):
        if not raw:  # as IPython does for an object that says how to show itself
            return obj._ipython_display_()
        bundles.append(obj)
        return Handle()

    monkeypatch.setattr("IPython.display.display", display)
    monkeypatch.setattr("widgets.curves.display", display)
    return bundles


def test_the_display_bundle_has_a_png_and_a_constant_text(shown):
    curves = TrainingCurves(live=True, clock=FakeClock())
    curves._ipython_display_()  # what Jupyter calls to show the widget
    curves.update(1, loss=2.0)
    curves.update(1, loss=1.5, split="val")
    curves.finish()
    assert len(shown) == 2  # shown once, its picture replaced once at the end
    first, last = shown
    assert first["text/plain"] == last["text/plain"] == "<TrainingCurves>"
    assert first["application/vnd.jupyter.widget-view+json"]["model_id"] == curves.model_id
    assert base64.b64decode(last["image/png"]) == curves.image.value != base64.b64decode(first["image/png"])
    _read_png(base64.b64decode(first["image/png"]))


def test_in_a_kernel_fit_shows_the_widget_once_by_itself(shown, monkeypatch):
    monkeypatch.setattr("widgets.curves._running_in_kernel", lambda: True)
    curves = TrainingCurves(clock=FakeClock())
    assert curves.live
    _fit(curves)
    assert len(shown) == 2 and shown[0]["text/plain"] == shown[1]["text/plain"]
    assert base64.b64decode(shown[1]["image/png"]) == curves.image.value


def test_outside_a_kernel_it_shows_a_progress_bar_and_draws_nothing_until_asked(capsys):
    curves = TrainingCurves()  # pytest runs outside a Jupyter kernel
    assert not curves.live
    for step in range(1, 4):
        curves.update(step, loss=1.0 / step)
    curves.finish()
    assert curves.render_seconds == []
    assert "loss=0.333" in capsys.readouterr().err
    _read_png(curves.picture())
    assert len(curves.render_seconds) == 1


def test_fit_tells_the_curves_how_long_the_run_is():
    curves = TrainingCurves(live=False)
    history = _fit(curves, epochs=3)
    assert history.params == {"epochs": 3, "steps": 4}
    curves.picture()
    assert [axes.get_xlim() for axes in curves.figure.axes] == [(0, 12 * 1.03)] * 2


def test_the_limits_hold_every_value_and_a_loss_axis_starts_at_zero():
    curves = TrainingCurves(live=False)
    rng = np.random.default_rng(0)
    for step in range(1, 200):
        curves.update(step, loss=3.0 * np.exp(-step / 50) + 0.1 * rng.random(), score=1.5 - np.exp(-step / 40))
        if step % 37 == 0:
            curves.picture()
    curves.picture()
    loss_axes, score_axes = curves.figure.axes
    for axes, metric in ((loss_axes, "loss"), (score_axes, "score")):
        values = np.array(curves.history.steps["train"][metric])
        (x_low, x_high), (y_low, y_high) = axes.get_xlim(), axes.get_ylim()
        assert x_low <= values[:, 0].min() and values[:, 0].max() <= x_high
        assert y_low <= values[:, 1].min() and values[:, 1].max() <= y_high
    assert loss_axes.get_ylim()[0] == 0


def test_frames_redraw_only_the_lines_while_the_axes_stay():
    curves = TrainingCurves(live=False)
    for step in range(1, 11):
        curves.update(step, loss=1.0 / step)
    curves.picture()
    background = curves.plot.layers.background
    before = bytes(curves.image.value)
    for step in range(11, 14):  # still inside the limits: the background is kept
        curves.update(step, loss=0.5)
    assert curves.picture() != before
    assert curves.plot.layers.background is background
    curves.update(100, loss=5.0)  # outside: the axes move, the background is drawn again
    curves.picture()
    assert curves.plot.layers.background is not background


def test_after_finish_the_step_axis_ends_with_the_run():
    curves = TrainingCurves(live=False)
    for step in range(1, 61):
        curves.update(step, loss=1.0 / step)
    curves.picture()
    assert curves.figure.axes[0].get_xlim()[1] == 90  # still training: room to grow
    curves.finish()
    curves.picture()
    assert curves.figure.axes[0].get_xlim()[1] == 60 * 1.03
