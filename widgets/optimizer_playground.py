"""OptimizerPlayground: optimizers from minidl.optim racing on a 2-D loss surface, with sliders.

The paths come from `widgets.surfaces.trajectory` (the real optimizer classes on a minidl
parameter); this file only draws them. The contours are drawn once per surface and kept as a
background bitmap; a slider move redraws just the paths and loss curves over it (blitting).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import ipywidgets as ipw
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from minidl import optim
from widgets.picture import BlitFigure, StaticPicture
from widgets.surfaces import SURFACES, Surface, trajectory

__all__ = ["OPTIMIZERS", "OptimizerPlayground", "optimizer_settings"]

# name -> (class, which sliders it reads, fixed hyper-parameters)
OPTIMIZERS = {
    "SGD": (optim.SGD, ("lr",), {}),
    "Momentum": (optim.SGD, ("lr", "momentum"), {}),
    "Nesterov": (optim.SGD, ("lr", "momentum"), {"nesterov": True}),
    "RMSprop": (optim.RMSprop, ("lr",), {}),
    "Adagrad": (optim.Adagrad, ("lr",), {}),
    "Adam": (optim.Adam, ("lr", "betas"), {}),
    "AdamW": (optim.AdamW, ("lr", "betas"), {}),
}
COLORS = dict(zip(OPTIMIZERS, ["tab:blue", "tab:orange", "tab:brown", "tab:purple", "tab:olive", "tab:red",
                               "tab:pink"]))

# The same settings give the same path: moving the momentum slider recomputes only the optimizers that use it.
_cached_trajectory = functools.lru_cache(maxsize=128)(trajectory)


def optimizer_settings(name: str, lr: float, momentum: float, betas: tuple[float, float]) -> tuple[type, dict]:
    """The minidl.optim class behind a playground name, and its keyword arguments from the slider values."""
    optimizer_class, used, fixed = OPTIMIZERS[name]
    values = {"lr": lr, "momentum": momentum, "betas": tuple(betas)}
    return optimizer_class, {**{key: values[key] for key in used}, **fixed}


class OptimizerPlayground(StaticPicture, ipw.VBox):
    """Contours of a loss surface with each chosen optimizer's path, and loss against step.

    One learning rate is shared by all optimizers, on purpose: the same number means very
    different steps to SGD (lr x gradient) and to Adam (about lr per coordinate). Choosing a
    surface sets the learning rate to one that suits plain SGD there. `paths` and `losses`
    hold what is drawn (name -> array), and `errors` the optimizers that refused the settings.
    """

    def __init__(self, surface: str | Surface = "rosenbrock", optimizers: Sequence[str] = ("SGD", "Momentum", "Adam"),
                 steps: int = 300, lr: float | None = None, momentum: float = 0.9,
                 betas: tuple[float, float] = (0.9, 0.999)):
        surfaces = dict(SURFACES)
        if isinstance(surface, Surface):
            surfaces[surface.name] = surface
        elif surface not in surfaces:
            raise ValueError(f"OptimizerPlayground: unknown surface {surface!r}; choose one of {sorted(surfaces)}")
        unknown = set(optimizers) - set(OPTIMIZERS)
        if unknown:
            raise ValueError(f"OptimizerPlayground: unknown optimizers {sorted(unknown)}; "
                             f"choose from {list(OPTIMIZERS)}")
        name = surface.name if isinstance(surface, Surface) else surface
        self.text = f"<OptimizerPlayground: {name}>"
        self.paths: dict[str, np.ndarray] = {}
        self.losses: dict[str, np.ndarray] = {}
        self.errors: dict[str, str] = {}

        self.surfaces = surfaces
        self.surface_menu = ipw.Dropdown(options=list(surfaces), value=name, description="surface")
        self.checkboxes = {
            option: ipw.Checkbox(value=option in optimizers, description=option, indent=False,
                                 layout=ipw.Layout(width="auto"))
            for option in OPTIMIZERS
        }
        slider = dict(continuous_update=False, style={"description_width": "70px"})
        lr = surfaces[name].learning_rate if lr is None else lr
        self.lr_slider = ipw.FloatLogSlider(value=lr, base=10, min=-4, max=0, step=0.05, readout_format=".2g",
                                            description="lr", **slider)
        self.momentum_slider = ipw.FloatSlider(value=momentum, min=0, max=0.99, step=0.01, description="momentum",
                                               **slider)
        self.beta1_slider = ipw.FloatSlider(value=betas[0], min=0, max=0.99, step=0.01, description="beta1", **slider)
        self.beta2_slider = ipw.FloatSlider(value=betas[1], min=0.9, max=0.9999, step=0.0001, readout_format=".4f",
                                            description="beta2", **slider)
        self.steps_slider = ipw.IntSlider(value=steps, min=10, max=1000, step=10, description="steps", **slider)
        self.image = ipw.Image(format="png")
        self.status = ipw.HTML()

        self.figure = Figure(figsize=(10, 4.2), dpi=80, layout="constrained")
        self.contour_axes, self.loss_axes = self.figure.subplots(1, 2, width_ratios=[1.15, 1])
        self.blit = BlitFigure(self.figure)
        self.path_lines: dict[str, Line2D] = {}
        self.loss_lines: dict[str, Line2D] = {}

        for control in (self.lr_slider, self.momentum_slider, self.beta1_slider, self.beta2_slider):
            control.observe(self._on_hyperparameter, "value")
        for control in (self.steps_slider, *self.checkboxes.values()):
            control.observe(self._on_layout, "value")
        self.surface_menu.observe(self._on_surface, "value")
        super().__init__([
            ipw.HBox([self.surface_menu, *self.checkboxes.values()]),
            ipw.HBox([self.lr_slider, self.momentum_slider, self.steps_slider]),
            ipw.HBox([self.beta1_slider, self.beta2_slider]),
            self.image,
            self.status,
        ])
        self._draw_background()
        self._update()

    @property
    def surface(self) -> Surface:
        return self.surfaces[self.surface_menu.value]

    @property
    def chosen(self) -> list[str]:
        """The names of the optimizers whose boxes are ticked, in the table's order."""
        return [option for option, box in self.checkboxes.items() if box.value]

    def settings(self, name: str) -> tuple[type, dict]:
        """The optimizer class and keyword arguments that the sliders give `name`."""
        betas = (self.beta1_slider.value, self.beta2_slider.value)
        return optimizer_settings(name, self.lr_slider.value, self.momentum_slider.value, betas)

    # --- data ------------------------------------------------------------------------------

    def _compute(self) -> None:
        self.paths, self.losses, self.errors = {}, {}, {}
        for name in self.chosen:
            optimizer_class, hyperparameters = self.settings(name)
            try:
                path, losses = _cached_trajectory(self.surface, optimizer_class, self.steps_slider.value,
                                                  **hyperparameters)
            except ValueError as error:  # e.g. Nesterov with momentum 0: minidl says why
                self.errors[name] = str(error)
                continue
            self.paths[name], self.losses[name] = path, losses

    def summary(self) -> str:
        """One HTML line per optimizer: its final loss, or where it diverged, or why it did not run."""
        steps = self.steps_slider.value
        lines = []
        for name in self.chosen:
            if name in self.errors:
                lines.append(f"<b>{name}</b>: {self.errors[name]}")
                continue
            path, losses = self.paths[name], self.losses[name]
            if len(path) <= steps:
                lines.append(f"<b>{name}</b>: diverged at step {len(path)} (the loss overflowed)")
                continue
            nearest = min((np.hypot(*(path[-1] - minimum)) for minimum in self.surface.minima), default=np.nan)
            lines.append(f"<b>{name}</b>: loss {losses[-1]:.3g} after {steps} steps, "
                         f"at ({path[-1][0]:.3g}, {path[-1][1]:.3g}), {nearest:.3g} from the nearest minimum")
        return "<br>".join(lines)

    # --- drawing ---------------------------------------------------------------------------

    def _draw_background(self) -> None:
        """Contours, minima, start, axes and legend: everything that the sliders do not move."""
        surface, axes = self.surface, self.contour_axes
        axes.clear()
        x, y, z = surface.grid()
        if surface.log_scale:
            low = max(z[z > 0].min(), 1e-6 * z.max())
            levels = np.logspace(np.log10(low), np.log10(z.max()), 25)
            axes.contourf(x, y, np.maximum(z, low), levels, norm=LogNorm(), cmap="viridis", alpha=0.75)
        else:
            axes.contourf(x, y, z, 25, cmap="viridis", alpha=0.75)
        axes.plot(*np.transpose(surface.minima), "*", color="gold", markersize=13, markeredgecolor="black",
                  linestyle="none")
        axes.plot(*surface.start, "X", color="white", markersize=9, markeredgecolor="black")
        axes.set(xlim=surface.x_range, ylim=surface.y_range, xlabel="x", ylabel="y",
                 title=f"{surface.name}: f = {surface.formula}")
        self.path_lines = {name: axes.plot([], [], marker=".", markersize=3, linewidth=1.2, color=COLORS[name],
                                           animated=True)[0] for name in OPTIMIZERS}

        axes = self.loss_axes
        axes.clear()
        start_loss = surface.value(*surface.start)
        if surface.log_scale:
            axes.set_yscale("log")
            axes.set_ylim(1e-10, 10 * start_loss)
        else:
            lowest = float(z.min())
            axes.set_ylim(lowest - 0.1 * (start_loss - lowest), start_loss + 0.2 * (start_loss - lowest))
        axes.set(xlim=(0, self.steps_slider.value), xlabel="step", ylabel="loss", title="loss against step")
        axes.grid(True, alpha=0.3)
        self.loss_lines = {name: axes.plot([], [], color=COLORS[name], animated=True)[0] for name in OPTIMIZERS}
        if self.chosen:
            axes.legend(handles=[Line2D([], [], color=COLORS[name], label=name) for name in self.chosen],
                        loc="lower left", fontsize="small", framealpha=0.8)
        self.blit.render_background()

    def _draw(self) -> None:
        """Put the current paths and loss curves over the background into the image."""
        drawn = []
        for name, path in self.paths.items():
            self.path_lines[name].set_data(path[:, 0], path[:, 1])
            self.loss_lines[name].set_data(np.arange(len(path)), self.losses[name])
            drawn += [self.path_lines[name], self.loss_lines[name]]
        self.image.value = self.blit.frame(drawn)
        self.status.value = self.summary()

    def _update(self) -> None:
        self._compute()
        self._draw()

    def picture(self) -> bytes:
        return bytes(self.image.value)

    # --- events ----------------------------------------------------------------------------

    def _on_hyperparameter(self, change) -> None:
        self._update()

    def _on_layout(self, change) -> None:
        self._draw_background()  # the step axis or the legend changed
        self._update()

    def _on_surface(self, change) -> None:
        self._draw_background()
        if self.lr_slider.value != self.surface.learning_rate:
            self.lr_slider.value = self.surface.learning_rate  # its observer recomputes and draws
        else:
            self._update()
