"""The data side of `NetworkPlayground`: 2-D datasets, a small network and its training, no drawing.

    run = PlaygroundRun(PlaygroundSettings(dataset="moons", hidden_layers=2, units=4))
    run.step(100)                # 100 optimizer steps on minibatches of the training points
    run.losses["test"][-1]       # binary cross-entropy on the test points after the last step
    run.accuracy("test")         # fraction of test points on the right side of the boundary

Every class is binary (label 0 or 1) and the network ends in one logit, as in the TensorFlow
Playground. The same settings always give the same run: the points, the initial weights and the
order of the minibatches all come from `settings.seed`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

import minidl
from minidl import nn, optim
from minidl.datasets import circles, moons, spirals

__all__ = ["ACTIVATIONS", "DATASETS", "OPTIMIZERS", "REGULARIZATIONS", "PlaygroundRun", "PlaygroundSettings",
           "make_dataset", "xor"]

POINTS_PER_CLASS = 100
ACTIVATIONS = {"ReLU": nn.ReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid}
OPTIMIZERS = {"SGD": optim.SGD, "Adam": optim.Adam}
REGULARIZATIONS = ("none", "L1", "L2")
DATASETS = ("circles", "xor", "moons", "spirals")


def xor(n_per_class: int = POINTS_PER_CLASS, noise: float = 0.1, seed: int = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Points in [-1, 1]^2 labelled 1 where x and y have the same sign (the XOR of their signs), plus noise.

    Points keep 0.1 away from the axes before the noise, so that with no noise the classes do not touch.
    """
    rng = numpy.random.default_rng(seed)
    size = rng.uniform(0.1, 1.0, (2 * n_per_class, 2))
    signs = numpy.array([[1, 1], [-1, -1], [1, -1], [-1, 1]])  # two quadrants per class
    quadrant = numpy.concatenate([rng.integers(0, 2, n_per_class), rng.integers(2, 4, n_per_class)])
    points = size * signs[quadrant] + rng.standard_normal((2 * n_per_class, 2)) * noise
    return points.astype(numpy.float32), numpy.repeat([1, 0], n_per_class)


def make_dataset(name: str, noise: float, seed: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """`POINTS_PER_CLASS` points of each of the classes 0 and 1: points float32 (n, 2), labels int64 (n,)."""
    if name == "xor":
        return xor(POINTS_PER_CLASS, noise, seed)
    if name == "circles":
        points, labels = circles(POINTS_PER_CLASS, noise, seed=seed)
    elif name == "moons":
        points, labels = moons(POINTS_PER_CLASS, noise, seed)
        points = points - minidl.tensor([0.5, 0.25])  # centre the two half circles on the origin
    elif name == "spirals":
        points, labels = spirals(POINTS_PER_CLASS, classes=2, noise=noise, seed=seed)
    else:
        raise ValueError(f"make_dataset: unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return points.numpy(), labels.numpy()


@dataclass(frozen=True)
class PlaygroundSettings:
    """Everything that decides a run. The first group rebuilds the run; the second applies from the next step."""

    dataset: str = "circles"
    noise: float = 0.1
    hidden_layers: int = 2
    units: int = 4
    activation: str = "Tanh"
    optimizer: str = "Adam"
    seed: int = 0

    learning_rate: float = 0.03
    regularization: str = "none"
    regularization_rate: float = 0.001
    batch_size: int = 10

    def network_fields(self) -> tuple:
        """The settings that change the data, the network or its optimizer: a change means a new run."""
        return self.dataset, self.noise, self.hidden_layers, self.units, self.activation, self.optimizer, self.seed


def build_model(hidden_layers: int, units: int, activation: str) -> nn.Sequential:
    """2 inputs -> `hidden_layers` x (Linear to `units`, activation) -> Linear to 1 logit."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"build_model: unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    layers, width = [], 2
    for _ in range(hidden_layers):
        layers += [nn.Linear(width, units), ACTIVATIONS[activation]()]
        width = units
    return nn.Sequential(*layers, nn.Linear(width, 1))


class PlaygroundRun:
    """One training run: the points split in half into train and test, the network, its optimizer and losses."""

    def __init__(self, settings: PlaygroundSettings | None = None):
        self.settings = settings = settings or PlaygroundSettings()
        if settings.optimizer not in OPTIMIZERS:
            raise ValueError(f"PlaygroundRun: unknown optimizer {settings.optimizer!r}; "
                             f"choose one of {', '.join(OPTIMIZERS)}")
        points, labels = make_dataset(settings.dataset, settings.noise, settings.seed)
        rng = numpy.random.default_rng(settings.seed)
        order = rng.permutation(len(labels))
        train, test = order[: len(order) // 2], order[len(order) // 2:]
        self.points = {"train": points[train], "test": points[test]}
        self.labels = {"train": labels[train], "test": labels[test]}
        self._batch_rng = rng  # the minibatch order: seeded, and apart from minidl's global generator
        self._epoch_order, self._cursor = numpy.arange(0), 0

        minidl.manual_seed(settings.seed)
        self.model = build_model(settings.hidden_layers, settings.units, settings.activation)
        weights = [module.weight for module in self.model if isinstance(module, nn.Linear)]
        biases = [module.bias for module in self.model if isinstance(module, nn.Linear)]
        # Regularization acts on the weights only: penalizing biases would pull the boundary to the origin.
        self.optimizer = OPTIMIZERS[settings.optimizer]([{"params": weights}, {"params": biases}], lr=0.0)
        self.weights = weights
        self.loss_function = nn.BCEWithLogitsLoss()
        self.steps = 0
        self.losses: dict[str, list[float]] = {"train": [], "test": []}  # entry i: after i steps
        self.set_training(settings)
        self._log_losses()

    def set_training(self, settings: PlaygroundSettings) -> None:
        """Take the learning rate, regularization and batch size of `settings`; they apply from the next step."""
        if settings.network_fields() != self.settings.network_fields():
            raise ValueError("PlaygroundRun.set_training: these settings change the data or the network; "
                             "start a new PlaygroundRun for them")
        if settings.regularization not in REGULARIZATIONS:
            raise ValueError(f"PlaygroundRun: unknown regularization {settings.regularization!r}; "
                             f"choose one of {', '.join(REGULARIZATIONS)}")
        self.settings = settings
        weight_group, bias_group = self.optimizer.param_groups
        for group in (weight_group, bias_group):
            group["lr"] = settings.learning_rate
        # L2 as weight decay: the gradient of rate/2 * sum(w^2) is rate * w, which the optimizer adds.
        weight_group["weight_decay"] = settings.regularization_rate if settings.regularization == "L2" else 0.0

    def step(self, n: int = 1) -> None:
        """Take `n` optimizer steps, each on the next minibatch of training points (reshuffled every epoch)."""
        for _ in range(n):
            batch = self._next_batch()
            logits = self.model(minidl.tensor(self.points["train"][batch]))
            loss = self.loss_function(logits, self._targets(self.labels["train"][batch]))
            if self.settings.regularization == "L1":
                loss = loss + self.settings.regularization_rate * sum(weight.abs().sum() for weight in self.weights)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.steps += 1
            self._log_losses()

    def _next_batch(self) -> numpy.ndarray:
        if self._cursor >= len(self._epoch_order):
            self._epoch_order, self._cursor = self._batch_rng.permutation(len(self.labels["train"])), 0
        batch = self._epoch_order[self._cursor: self._cursor + self.settings.batch_size]
        self._cursor += self.settings.batch_size
        return batch

    @staticmethod
    def _targets(labels: numpy.ndarray) -> minidl.Tensor:
        return minidl.tensor(labels.astype(numpy.float32).reshape(-1, 1))

    def _log_losses(self) -> None:
        """The data loss (no regularization term) on all train and all test points, as the curves show it."""
        with minidl.no_grad():
            for split in ("train", "test"):
                logits = self.model(minidl.tensor(self.points[split]))
                self.losses[split].append(self.loss_function(logits, self._targets(self.labels[split])).item())

    def probability(self, points: numpy.ndarray) -> numpy.ndarray:
        """P(class 1) = sigmoid(logit) for each row of `points` (m, 2): shape (m,)."""
        with minidl.no_grad():
            return minidl.sigmoid(self.model(minidl.tensor(numpy.asarray(points, numpy.float32)))).numpy()[:, 0]

    def accuracy(self, split: str = "test") -> float:
        """The fraction of the `split` points ("train" or "test") whose class has probability above 1/2."""
        predicted = self.probability(self.points[split]) > 0.5
        return float(numpy.mean(predicted == (self.labels[split] == 1)))

    def extent(self) -> float:
        """Half the side of the square, centred on the origin, that holds every point with a margin."""
        return 1.1 * float(numpy.abs(numpy.concatenate(list(self.points.values()))).max())

    def boundary(self, size: int = 60) -> tuple[numpy.ndarray, numpy.ndarray]:
        """P(class 1) on a `size` x `size` grid over [-extent, extent]^2: (grid coordinates (size,), probabilities
        (size, size), row i at y = coordinates[i], column j at x = coordinates[j])."""
        coordinates = numpy.linspace(-self.extent(), self.extent(), size)
        x, y = numpy.meshgrid(coordinates, coordinates)
        return coordinates, self.probability(numpy.stack([x.ravel(), y.ravel()], axis=1)).reshape(size, size)

    def weight_norm(self) -> float:
        """sqrt(sum of the squares of every weight, biases left out): what L2 regularization keeps small."""
        return float(numpy.sqrt(sum(float((weight.numpy() ** 2).sum()) for weight in self.weights)))
