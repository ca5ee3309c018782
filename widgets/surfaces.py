"""Two-variable test functions for optimizers, and the path an optimizer takes on them.

Each surface is written with minidl's ops, so minidl differentiates it; `trajectory` runs a real
optimizer from `minidl.optim` on one parameter of shape (2,), exactly as a training loop would.
No drawing here: the optimizer playground only renders what these functions return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import minidl
from minidl import Tensor

__all__ = ["SURFACES", "Surface", "trajectory"]


@dataclass(frozen=True)
class Surface:
    """A loss surface f(x, y): where to look at it, where to start, and its minima."""

    name: str
    function: Callable[[Tensor, Tensor], Tensor]  # minidl Tensors in, a minidl Tensor out
    formula: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    start: tuple[float, float]
    learning_rate: float  # plain SGD makes visible progress at this rate without diverging
    minima: tuple[tuple[float, float], ...]
    log_scale: bool  # the lowest value is 0 and the walls are steep: contours at powers of 10 read better

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        return self.function(x, y)

    def value(self, x: float, y: float) -> float:
        """f(x, y) at one point, in float64."""
        with minidl.no_grad():
            return self.function(minidl.tensor(np.float64(x)), minidl.tensor(np.float64(y))).item()

    def grid(self, points: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """X, Y and Z = f(X, Y) on a points x points grid over the plot window (for contours)."""
        xs = np.linspace(*self.x_range, points)
        ys = np.linspace(*self.y_range, points)
        x, y = np.meshgrid(xs, ys)
        with minidl.no_grad():
            z = self.function(minidl.tensor(x), minidl.tensor(y))
        return x, y, z.numpy()


def quadratic(x: Tensor, y: Tensor) -> Tensor:
    """x²/20 + 5y²: an ill-conditioned bowl, minimum 0 at (0, 0)."""
    # curvature 0.1 along x and 10 along y: plain gradient descent is stable only for lr < 2/10,
    # and at such a step it zigzags across the narrow y direction while it creeps along x
    return x * x / 20 + 5 * y * y


def rosenbrock(x: Tensor, y: Tensor) -> Tensor:
    """(1 - x)² + 100(y - x²)²: a curved, flat-bottomed valley, minimum 0 at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def beale(x: Tensor, y: Tensor) -> Tensor:
    """Beale's function: flat plateaus and steep ridges, minimum 0 at (3, 0.5)."""
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def saddle(x: Tensor, y: Tensor) -> Tensor:
    """x² + y⁴/4 - y²/2: a saddle point at (0, 0) between two minima, -1/4 at (0, -1) and (0, 1)."""
    # bounded below, unlike x² - y², so every optimizer that escapes the saddle has somewhere to arrive
    return x * x + 0.25 * y**4 - 0.5 * y * y


def himmelblau(x: Tensor, y: Tensor) -> Tensor:
    """(x² + y - 11)² + (x + y² - 7)²: four minima, all 0; which one is reached depends on the optimizer."""
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


SURFACES: dict[str, Surface] = {
    surface.name: surface
    for surface in [
        Surface("quadratic", quadratic, "x²/20 + 5y²", (-6.0, 6.0), (-3.0, 3.0), (-5.0, 2.0), 0.18,
                ((0.0, 0.0),), True),
        Surface("rosenbrock", rosenbrock, "(1 - x)² + 100(y - x²)²", (-2.0, 2.0), (-1.0, 3.0), (-1.2, 1.0), 0.002,
                ((1.0, 1.0),), True),
        Surface("beale", beale, "(1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²", (-4.5, 4.5),
                (-4.5, 4.5), (1.0, 1.5), 0.003, ((3.0, 0.5),), True),
        Surface("saddle", saddle, "x² + y⁴/4 - y²/2", (-2.0, 2.0), (-2.0, 2.0), (-1.8, 0.01), 0.01,
                ((0.0, -1.0), (0.0, 1.0)), False),
        Surface("himmelblau", himmelblau, "(x² + y - 11)² + (x + y² - 7)²", (-5.0, 5.0), (-5.0, 5.0), (0.0, -4.5), 0.01,
                ((3.0, 2.0), (-2.805118087, 3.131312518), (-3.779310253, -3.283185991), (3.584428340, -1.848126527)),
                True),
    ]
}


def trajectory(surface: Surface, optimizer_class: type[minidl.optim.Optimizer], steps: int,
               start: tuple[float, float] | None = None, **hyperparameters) -> tuple[np.ndarray, np.ndarray]:
    """The points (steps + 1, 2) an optimizer visits from `start`, and the loss at each.

    One float64 parameter theta = (x, y); each step is zero_grad, f(x, y).backward(), step.
    When the loss stops being finite (the optimizer diverged), the path ends before that point,
    so it can be shorter than steps + 1.
    """
    theta = minidl.tensor(np.array(surface.start if start is None else start, dtype=np.float64), requires_grad=True)
    optimizer = optimizer_class([theta], **hyperparameters)
    points, losses = [], []
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run ends the path, not with a warning
        for step in range(steps + 1):
            optimizer.zero_grad()
            loss = surface(theta[0], theta[1])
            if not np.isfinite(loss.item()):
                break
            points.append(theta.numpy().copy())
            losses.append(loss.item())
            if step < steps:
                loss.backward()
                optimizer.step()
    return np.array(points).reshape(-1, 2), np.array(losses)
