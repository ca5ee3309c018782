"""Live training curves: loss and metrics per step and per epoch, training and validation together.

    curves = TrainingCurves()
    minidl.fit(model, train, loss, optimizer, epochs=5, val_data=test, callbacks=[curves])
    curves.history.best_epoch()          # the epoch with the lowest validation loss
    curves.save("curves.png")

or by hand: `curves.update(step, loss=..., acc=...)` after each batch, `curves.update(step,
loss=..., acc=..., split="val")` after each validation, `curves.finish()` at the end.

Three parts, each knowing only the one before it: CurveHistory holds the numbers, CurvesFigure
draws them with matplotlib, TrainingCurves decides when to draw and shows the picture. A frame
costs tens of milliseconds, so while training it is redrawn at most once a second (or once per
ten frame times, when frames get slower); outside a notebook nobody sees frames, so a tqdm bar
reports progress instead, and the picture is drawn only when asked for (`save`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import ipywidgets as ipw
import numpy
from IPython import get_ipython
from IPython.display import display
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from widgets.picture import BlitFigure, StaticPicture

__all__ = ["CurveHistory", "CurvesFigure", "TrainingCurves"]

Points = list[tuple[int, float]]


def _lower_is_better(metric: str) -> bool:
    """Whether smaller is better for `metric`: a loss or an error (these also get the log scale)."""
    return "loss" in metric or "error" in metric


def _columns(points: Points) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(steps, values) of a list of (step, value) pairs, as arrays: matplotlib checks lists item by item."""
    table = numpy.array(points, dtype=float).reshape(-1, 2)
    return table[:, 0], table[:, 1]


class CurveHistory:
    """The numbers behind the curves: per split ("train", "val"), per metric, lists of (step, value).

    `steps` holds one value per training step (one batch); `epochs` one value per epoch, placed at
    the step where that epoch ended: the training means, and the validation values.
    """

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, Points]] = {}
        self.epochs: dict[str, dict[str, Points]] = {}

    def log_step(self, step: int, values: dict[str, float], split: str = "train") -> None:
        for metric, value in values.items():
            self.steps.setdefault(split, {}).setdefault(metric, []).append((step, float(value)))

    def log_epoch(self, step: int, values: dict[str, float], split: str = "train") -> None:
        for metric, value in values.items():
            self.epochs.setdefault(split, {}).setdefault(metric, []).append((step, float(value)))

    @property
    def metrics(self) -> list[str]:
        """Every metric logged so far, in the order first seen, the loss first."""
        names = {}
        for table in (self.steps, self.epochs):
            for per_metric in table.values():
                names.update(dict.fromkeys(per_metric))
        return sorted(names, key=lambda name: name != "loss")

    def best_epoch(self, metric: str = "loss") -> int | None:
        """The epoch (counted from 0, as fit does) of the best validation value of `metric`.

        Best is the lowest for a loss or an error, the highest otherwise; None before any validation.
        """
        values = [value for _, value in self.epochs.get("val", {}).get(metric, [])]
        if not values:
            return None
        best = min(values) if _lower_is_better(metric) else max(values)
        return values.index(best)

    def best_step(self, metric: str = "loss") -> int | None:
        """The step at which the best validation epoch of `metric` ended, or None."""
        epoch = self.best_epoch(metric)
        return None if epoch is None else self.epochs["val"][metric][epoch][0]


class CurvesFigure:
    """A CurveHistory drawn with matplotlib (Agg): one axes per metric, in two layers.

    Axes, ticks and legend are a background, drawn again only when they must change; each frame
    pastes it back and draws the lines over it (BlitFigure). Text is most of a full draw's cost
    (~30 ms here, lines alone ~5 ms), so the limits are chosen to change seldom: the step axis
    spans the whole run when it is known (`expected_steps`) and otherwise grows by half at a
    time; a loss axis starts at 0 and an accuracy-like one spans [0, 1].
    """

    def __init__(self, size: tuple[float, float] = (9, 3.2), dpi: int = 72):
        self.figure = Figure(figsize=size, dpi=dpi)
        self.layers = BlitFigure(self.figure)
        self.expected_steps: int | None = None
        self.lines: dict[str, dict] = {}  # metric -> its axes' artists, by role
        self.figure.text(0.5, 0.5, "no values logged yet", ha="center", va="center", color="grey")

    def _make_axes(self, metrics: list[str]) -> None:
        """One axes per metric, side by side, each with its (empty) lines."""
        self.figure.clear()
        self.figure.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.96, wspace=0.25)
        self.lines = {}
        for axes, metric in zip(self.figure.subplots(1, len(metrics), squeeze=False)[0], metrics):
            axes.set_xlabel("step")
            axes.set_ylabel(metric)
            axes.xaxis.set_major_locator(MaxNLocator(4, integer=True))
            axes.locator_params(axis="y", nbins=4)  # fewer tick labels: text is the slow part of a frame
            self.lines[metric] = {
                "axes": axes,
                "train step": axes.plot([], [], color="C0", linewidth=0.8, alpha=0.4, label="train (step)")[0],
                "train epoch": axes.plot([], [], "o", color="C0", label="train (epoch mean)")[0],
                "val epoch": axes.plot([], [], "o-", color="C1", label="validation")[0],
                "best": axes.axvline(0, color="grey", linestyle=":", label="best validation loss"),
                "best epoch": axes.text(0, 0.02, "", transform=axes.get_xaxis_transform(), ha="right",
                                        fontsize="small", color="grey",
                                        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1}),
            }
            for role in LINES:
                self.lines[metric][role].set_animated(True)
        self.layers.background = None

    def draw(self, history: CurveHistory, log_scale: bool = False) -> bytes:
        """The curves of `history` as PNG bytes; `log_scale` puts losses and errors on a log axis."""
        metrics = history.metrics
        if metrics and list(self.lines) != metrics:
            self._make_axes(metrics)
        best_epoch, best_step = history.best_epoch(), history.best_step()
        changed = self.layers.background is None
        for metric, lines in self.lines.items():
            lines["train step"].set_data(*_columns(history.steps.get("train", {}).get(metric, [])))
            lines["train epoch"].set_data(*_columns(history.epochs.get("train", {}).get(metric, [])))
            lines["val epoch"].set_data(*_columns(history.epochs.get("val", {}).get(metric, [])))
            lines["best"].set_visible(best_step is not None)
            lines["best epoch"].set_visible(best_step is not None)
            if best_step is not None:
                lines["best"].set_xdata([best_step, best_step])
                lines["best epoch"].set_x(best_step)
                lines["best epoch"].set_text(f"best: epoch {best_epoch + 1} ")
            changed |= self._fit_axes(metric, lines, log_scale)
        if self.lines:
            changed |= self._legend()
        if changed:
            self.layers.render_background()
        return self.layers.frame(lines[role] for lines in self.lines.values() for role in LINES)

    def _fit_axes(self, metric: str, lines: dict, log_scale: bool) -> bool:
        """Set the axes' scale and limits to hold the lines; whether anything changed."""
        axes = lines["axes"]
        scale = "log" if log_scale and _lower_is_better(metric) else "linear"
        rescaled = axes.get_yscale() != scale
        if rescaled:
            axes.set_yscale(scale)
            if scale == "linear":  # a new scale brings its default ticks back
                axes.locator_params(axis="y", nbins=4)
        steps = numpy.concatenate([lines[role].get_xdata() for role in DATA])
        values = numpy.concatenate([lines[role].get_ydata() for role in DATA])
        if scale == "log":
            values = values[values > 0]
        if not len(values):
            return rescaled
        x_limits = (0, axes.get_xlim()[1])
        if self.expected_steps and self.expected_steps >= steps.max():
            x_limits = (0, 1.03 * self.expected_steps)
        elif steps.max() > x_limits[1]:
            x_limits = (0, 1.5 * steps.max())
        y_limits = _value_limits(values, None if rescaled else axes.get_ylim(), scale, _lower_is_better(metric))
        moved = x_limits != axes.get_xlim() or y_limits != axes.get_ylim()
        if moved:
            axes.set(xlim=x_limits, ylim=y_limits)
        return rescaled or moved

    def _legend(self) -> bool:
        """A legend on the first axes, of the lines that have data; whether it changed."""
        lines = next(iter(self.lines.values()))
        handles = [lines[role] for role in (*DATA, "best")
                   if len(lines[role].get_xdata()) and lines[role].get_visible()]
        labels = [handle.get_label() for handle in handles]
        legend = lines["axes"].get_legend()
        if legend is not None and [text.get_text() for text in legend.get_texts()] == labels:
            return False
        lines["axes"].legend(handles=handles, loc="upper right", fontsize="small")
        return True


DATA = ("train step", "train epoch", "val epoch")  # the lines that hold logged values
LINES = (*DATA, "best", "best epoch")  # what every frame draws over the background


def _value_limits(values: numpy.ndarray, current: tuple[float, float] | None, scale: str,
                  lower_is_better: bool) -> tuple[float, float]:
    """Value-axis limits that hold `values`: `current` while they still do, else new ones with room.

    Linear: from 0 for values that are never negative, [0, 1] for a score that stays in it;
    log: a factor of 2 beyond the values at either end.
    """
    low, high = float(values.min()), float(values.max())
    if current is not None and current[0] <= low and high <= current[1]:
        return current
    if scale == "log":
        return low / 2, high * 2
    if not lower_is_better and low >= 0 and high <= 1:
        return 0.0, 1.02
    room = 0.1 * ((high - low) or abs(high) or 1.0)
    return (0.0 if low >= 0 else low - room), high + room


def _running_in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel, where a widget can be seen (not a script, not plain IPython)."""
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class TrainingCurves(StaticPicture, ipw.VBox):
    """Live curves of loss and metrics, drawn while training; a callback of `minidl.fit` as it is.

    min_interval: the fewest seconds between two frames while training (10 frame times, when more).
    live: redraw while training; by default only in a Jupyter kernel, where someone sees it.
        Elsewhere a tqdm bar reports the latest values and nothing is drawn until `save`.
    clock: the time in seconds, `time.perf_counter` unless a test wants to control it.
    `history` holds the numbers, `render_seconds` how long each frame took.
    """

    text = "<TrainingCurves>"

    def __init__(self, min_interval: float = 1.0, live: bool | None = None,
                 clock: Callable[[], float] = time.perf_counter):
        self.history = CurveHistory()
        self.plot = CurvesFigure()
        self.log_scale = ipw.ToggleButton(value=False, description="log scale", tooltip="a log axis for the loss")
        self.image = ipw.Image(format="png")
        super().__init__(children=[self.log_scale, self.image])
        self.min_interval = min_interval
        self._in_kernel = _running_in_kernel()
        self.live = self._in_kernel if live is None else live
        self.clock = clock
        self.render_seconds: list[float] = []
        self._last_render_at = clock()
        self._stale = True  # the history has changed since the last frame
        self._step = 0
        self._latest: dict[str, float] = {}
        self._bar = None
        self.log_scale.observe(self._on_log_scale, names="value")

    @property
    def figure(self) -> Figure:
        """The matplotlib figure the curves are drawn in."""
        return self.plot.figure

    def update(self, step: int, split: str = "train", **values: float) -> None:
        """Log the values of one training step, or (split="val") those of one validation, at `step`."""
        if split == "train":
            self.history.log_step(step, values)
        elif split == "val":
            self.history.log_epoch(step, values, "val")
        else:
            raise ValueError(f"TrainingCurves.update: split must be 'train' or 'val', not {split!r}")
        self._step = step
        self._logged({name if split == "train" else f"val_{name}": value for name, value in values.items()})

    def finish(self) -> None:
        """Draw the last frame and leave it in the saved notebook; close the progress bar."""
        if (self.plot.expected_steps or 0) < self._step:  # the step axis ends with the run
            self.plot.expected_steps, self._stale = self._step, True
        if self.live:
            self._render()
        self.refresh_picture()
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def save(self, path: str | os.PathLike) -> None:
        """Write the curves as it would show them to a PNG file."""
        with open(path, "wb") as file:
            file.write(self.picture())

    def picture(self) -> bytes:
        """The curves as PNG bytes, drawn again only when values came in since the last frame."""
        if self._stale:
            self._render()
        return bytes(self.image.value)  # the widget keeps a memoryview

    # minidl.fit calls these (see minidl/training.py)

    def on_train_begin(self, history) -> None:
        self._last_render_at = self.clock()  # the first frame comes min_interval into training
        steps = history.params.get("steps")
        if steps is not None:  # the step axis can span the whole run from the first frame
            self.plot.expected_steps = self._step + steps * history.params["epochs"]

    def on_batch_end(self, batch: int, logs: dict[str, float]) -> None:
        self.update(self._step + 1, **logs)

    def on_epoch_end(self, epoch: int, values: dict[str, float]) -> None:
        train = {name: value for name, value in values.items() if not name.startswith("val_")}
        val = {name.removeprefix("val_"): value for name, value in values.items() if name.startswith("val_")}
        self.history.log_epoch(self._step, train)
        self.history.log_epoch(self._step, val, "val")
        self._logged(values)

    def on_train_end(self, history) -> None:
        self.finish()

    def _logged(self, values: dict[str, float]) -> None:
        """After new values: show the widget the first time, then a frame if one is due, or the bar."""
        self._stale = True
        self._latest.update(values)
        if not self.live:
            self._progress()
            return
        if self._in_kernel and not self.displayed:
            display(self)
        last_frame = self.render_seconds[-1] if self.render_seconds else 0.0
        if self.clock() - self._last_render_at >= max(self.min_interval, 10 * last_frame):
            self._render()

    def _render(self) -> None:
        start = self.clock()
        self.image.value = self.plot.draw(self.history, self.log_scale.value)
        self._last_render_at = self.clock()
        self.render_seconds.append(self._last_render_at - start)
        self._stale = False

    def _progress(self) -> None:
        if self._bar is None:
            from tqdm.auto import tqdm  # only where no widget is drawn

            self._bar = tqdm(desc="training", unit="step")
        self._bar.set_postfix(self._latest, refresh=False)
        self._bar.update(self._step - self._bar.n)

    def _on_log_scale(self, change: dict) -> None:
        self._render()
        self.refresh_picture()
