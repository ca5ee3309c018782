"""`NetworkPlayground`: the TensorFlow Playground in JupyterLab, trained live with minidl.

    from widgets import NetworkPlayground
    NetworkPlayground(dataset="spirals", hidden_layers=3, units=6)   # then press Run

Choose a 2-D dataset and a small network, press Run, and watch the decision boundary (left) and
the train and test losses (right) change as it trains. The training itself is `PlaygroundRun`
(playground_run.py, plain Python); this file only draws it and wires the controls.

Run trains in an asyncio task on the kernel's event loop, in short chunks with `await
asyncio.sleep(0)` between them, so the kernel keeps answering clicks (Pause) while it trains.
Frames are Agg renders into an `ipw.Image`, at most one per `max(0.2 s, 5 x the last render)`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import ipywidgets as ipw
import numpy
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from widgets.picture import StaticPicture, png_of_figure
from widgets.playground_run import (
    ACTIVATIONS,
    DATASETS,
    OPTIMIZERS,
    REGULARIZATIONS,
    PlaygroundRun,
    PlaygroundSettings,
)

__all__ = ["NetworkPlayground", "PlaygroundFigure"]

COLORS = "RdBu"  # probability 0 (class 0) red, 1 (class 1) blue


class PlaygroundFigure:
    """The look of a run, drawn with Agg: the decision boundary and the points, and the loss curves."""

    def __init__(self, resolution: int = 60, dpi: int = 80):
        self.resolution, self.dpi = resolution, dpi
        self.figure = Figure(figsize=(9.5, 4))
        FigureCanvasAgg(self.figure)
        self.boundary_axes, self.loss_axes = self.figure.subplots(1, 2)
        # Fixed margins: a layout engine ("constrained", "tight") would double the time of each frame.
        self.figure.subplots_adjust(left=0.05, right=0.98, bottom=0.12, top=0.92, wspace=0.15)
        self.image = self.boundary_axes.imshow(numpy.zeros((2, 2)), origin="lower", cmap=COLORS, vmin=0, vmax=1,
                                               alpha=0.7, interpolation="bilinear")
        point_style = dict(cmap=COLORS, vmin=0, vmax=1, edgecolors="black", linewidths=0.6)
        self.points = {
            "train": self.boundary_axes.scatter([], [], c=[], marker="o", s=22, label="train", **point_style),
            "test": self.boundary_axes.scatter([], [], c=[], marker="^", s=26, label="test", **point_style),
        }
        self.boundary_axes.legend(loc="upper right", fontsize="small")
        self.figure.colorbar(self.image, ax=self.boundary_axes, label="P(class 1)", shrink=0.8)
        self.curves = {split: self.loss_axes.plot([], [], label=f"{split} loss")[0] for split in ("train", "test")}
        self.loss_axes.set_xlabel("step")
        self.loss_axes.margins(x=0)
        self.loss_axes.legend(loc="upper right")

    def draw(self, run: PlaygroundRun) -> bytes:
        """PNG bytes of `run` as it is now."""
        extent = run.extent()
        _, probability = run.boundary(self.resolution)
        self.image.set_data(probability)
        self.image.set_extent((-extent, extent, -extent, extent))
        for split, points in self.points.items():
            points.set_offsets(run.points[split])
            points.set_array(run.labels[split])
        self.boundary_axes.set_title(f"{run.settings.dataset}: test accuracy {run.accuracy('test'):.0%}")
        for split, curve in self.curves.items():
            curve.set_data(numpy.arange(len(run.losses[split])), run.losses[split])
        self.loss_axes.relim()
        self.loss_axes.autoscale_view()
        self.loss_axes.set_ylim(bottom=0)
        train, test = run.losses["train"][-1], run.losses["test"][-1]
        self.loss_axes.set_title(f"step {run.steps}: train loss {train:.3f}, test loss {test:.3f}")
        return png_of_figure(self.figure, self.dpi)


def _controls(settings: PlaygroundSettings) -> dict[str, ipw.ValueWidget]:
    """One control per setting, named as the PlaygroundSettings field it sets (the seed has none), set to `settings`."""
    style, layout = {"description_width": "110px"}, ipw.Layout(width="300px")
    slider = dict(style=style, layout=layout, continuous_update=False)  # a change rebuilds: only on release
    controls = {
        "dataset": ipw.Dropdown(options=DATASETS, description="dataset", style=style, layout=layout),
        "noise": ipw.FloatSlider(min=0, max=0.5, step=0.05, description="noise", **slider),
        "batch_size": ipw.IntSlider(min=1, max=100, description="batch size", **slider),
        "hidden_layers": ipw.IntSlider(min=0, max=4, description="hidden layers", **slider),
        "units": ipw.IntSlider(min=1, max=8, description="units per layer", **slider),
        "activation": ipw.Dropdown(options=list(ACTIVATIONS), description="activation", style=style, layout=layout),
        "optimizer": ipw.Dropdown(options=list(OPTIMIZERS), description="optimizer", style=style, layout=layout),
        "learning_rate": ipw.FloatLogSlider(min=-4, max=0, step=0.1, readout_format=".2g",
                                            description="learning rate", **slider),
        "regularization": ipw.Dropdown(options=REGULARIZATIONS, description="regularization", style=style,
                                       layout=layout),
        "regularization_rate": ipw.FloatLogSlider(min=-5, max=0, step=0.1, readout_format=".1e",
                                                  description="strength", **slider),
    }
    for name, control in controls.items():
        control.value = getattr(settings, name)
    return controls


class NetworkPlayground(StaticPicture, ipw.VBox):
    """Train a small network on 2-D points live: Run / Pause, Step (`steps_per_click` steps), Reset.

    Keyword `settings` are PlaygroundSettings fields (dataset, noise, hidden_layers, ...). Changing the
    data or the network starts a new run; the learning rate, regularization and batch size apply from
    the next step. Without an event loop (a script, a test) use `step()`, `run(steps)` and `reset()`.
    """

    text = "<NetworkPlayground>"

    def __init__(self, steps_per_click: int = 10, steps_per_chunk: int = 20, resolution: int = 60, **settings: Any):
        initial = PlaygroundSettings(**settings)
        self.steps_per_click, self.steps_per_chunk, self.seed = steps_per_click, steps_per_chunk, initial.seed
        self.controls = _controls(initial)
        self._picture = PlaygroundFigure(resolution)
        self._image = ipw.Image(format="png")
        self._run_button = ipw.Button(description="Run", icon="play", button_style="success")
        step_button = ipw.Button(description=f"Step {steps_per_click}", icon="step-forward")
        reset_button = ipw.Button(description="Reset", icon="undo")
        self._run_button.on_click(lambda _: self.pause() if self.playing else self.play())
        step_button.on_click(lambda _: self.step())
        reset_button.on_click(lambda _: self.reset())
        self._task: asyncio.Task | None = None
        self._playing = False
        self._render_seconds, self._last_render = 0.0, 0.0
        self.training = PlaygroundRun(initial)
        self._render()
        for control in self.controls.values():
            control.observe(self._on_setting, names="value")
        columns = [self._column(names) for names in (("dataset", "noise", "batch_size"),
                                                     ("hidden_layers", "units", "activation"),
                                                     ("optimizer", "learning_rate", "regularization",
                                                      "regularization_rate"))]
        super().__init__([ipw.HBox([self._run_button, step_button, reset_button]), ipw.HBox(columns), self._image])

    def _column(self, names: tuple[str, ...]) -> ipw.VBox:
        return ipw.VBox([self.controls[name] for name in names])

    @property
    def settings(self) -> PlaygroundSettings:
        """The settings the controls show now."""
        return PlaygroundSettings(seed=self.seed, **{name: control.value for name, control in self.controls.items()})

    @property
    def playing(self) -> bool:
        return self._playing

    def picture(self) -> bytes:
        return bytes(self._image.value)

    # --- synchronous: a click, a script or a test ------------------------------------------

    def step(self) -> None:
        """Train `steps_per_click` steps now, then draw."""
        self.run(self.steps_per_click)

    def run(self, steps: int) -> None:
        """Train `steps` steps now (blocking), drawing now and then on the way and once at the end."""
        done = 0
        while done < steps:
            chunk = min(self.steps_per_chunk, steps - done)
            self.training.step(chunk)
            done += chunk
            self._render_if_due()
        self._render()
        self.refresh_picture()

    def reset(self) -> None:
        """Start again from the controls' settings: the same settings give the same points and initial weights."""
        self.training = PlaygroundRun(self.settings)
        self._render()
        self.refresh_picture()

    def _on_setting(self, change: dict) -> None:
        settings = self.settings
        if settings.network_fields() == self.training.settings.network_fields():
            self.training.set_training(settings)
        else:
            self.training = PlaygroundRun(settings)
            self._render()

    # --- asynchronous: Run and Pause ------------------------------------------------------

    @property
    def task(self) -> asyncio.Task | None:
        """The background training task of the last `play()`; done once paused and drawn."""
        return self._task

    def play(self) -> None:
        """Train in the background on the running event loop (a Jupyter kernel has one) until `pause()`."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("NetworkPlayground.play: no running event loop to train on; outside Jupyter "
                               "(or asyncio) call run(steps) instead") from None
        self._playing = True
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._train_live())
        self._show_button()

    def pause(self) -> None:
        """Stop after the chunk of steps under way; the task then draws the last state and ends."""
        self._playing = False
        self._show_button()

    async def _train_live(self) -> None:
        try:
            while self._playing:
                self.training.step(self.steps_per_chunk)
                self._render_if_due()
                await asyncio.sleep(0)  # let the kernel handle messages (a Pause click) between chunks
        finally:
            self._playing = False
            self._show_button()
            self._render()
            self.refresh_picture()

    def _show_button(self) -> None:
        playing = self._playing
        self._run_button.description = "Pause" if playing else "Run"
        self._run_button.icon = "pause" if playing else "play"
        self._run_button.button_style = "warning" if playing else "success"

    # --- drawing --------------------------------------------------------------------------

    def _render_if_due(self) -> None:
        """Draw unless the last frame is too recent: drawing must not take more than ~1/6 of the time."""
        if time.perf_counter() - self._last_render >= max(0.2, 5 * self._render_seconds):
            self._render()

    def _render(self) -> None:
        start = time.perf_counter()
        self._image.value = self._picture.draw(self.training)
        self._last_render = time.perf_counter()
        self._render_seconds = self._last_render - start

