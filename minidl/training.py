"""A small training loop for the Keras-style workflow: fit(model, data, loss, optimizer, epochs).

    history = minidl.fit(model, train_loader, nn.CrossEntropyLoss(), optimizer, epochs=5,
                         val_data=test_loader)
    history.history["val_accuracy"]  # one value per epoch

It is the loop a learner writes by hand (zero_grad, forward, loss, backward, step), plus
metrics, a progress bar (tqdm, in a notebook or a terminal) and callbacks: objects with any
of on_train_begin / on_epoch_begin / on_batch_end / on_epoch_end / on_train_end, which is how
the live training-curve widget plugs in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from minidl.autograd import no_grad
from minidl.tensor import Tensor

__all__ = ["History", "accuracy", "evaluate", "fit"]


def accuracy(outputs: Tensor, targets: Tensor) -> float:
    """The fraction of rows whose largest output is at the target class."""
    return (outputs.argmax(dim=1) == targets).sum().item() / len(targets)


METRICS: dict[str, Callable[[Tensor, Tensor], float]] = {"accuracy": accuracy}


class History:
    """What fit() measured: history["loss"], history["val_accuracy"], ... one value per epoch.

    `params` says what the run was asked to do, as in Keras: {"epochs": 5, "steps": 94}
    (steps: batches per epoch, None when the data has no length).
    """

    def __init__(self, params: dict | None = None):
        self.params = params or {}
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.seconds: list[float] = []  # wall time of each epoch, validation included

    def log(self, epoch: int, values: dict[str, float], seconds: float) -> None:
        self.epoch.append(epoch)
        self.seconds.append(seconds)
        for name, value in values.items():
            self.history.setdefault(name, []).append(value)

    def __getitem__(self, name: str) -> list[float]:
        return self.history[name]

    def __repr__(self) -> str:
        last = ", ".join(f"{name}={values[-1]:.4f}" for name, values in self.history.items())
        return f"History({len(self.epoch)} epochs: {last})"


def _metric_functions(metrics: Sequence) -> dict[str, Callable]:
    functions = {}
    for metric in metrics:
        if isinstance(metric, str):
            if metric not in METRICS:
                raise ValueError(f"fit: unknown metric {metric!r}; known: {sorted(METRICS)}, or pass a function")
            functions[metric] = METRICS[metric]
        else:
            functions[metric.__name__] = metric
    return functions


def _device_of(model) -> str | None:
    parameter = next(iter(model.parameters()), None)
    return None if parameter is None else parameter.device


def _call(callbacks, event: str, *args) -> None:
    for callback in callbacks:
        method = getattr(callback, event, None)
        if method is not None:
            method(*args)


def _progress(iterable, progress: bool, description: str):
    if not progress:
        return iterable
    from tqdm.auto import tqdm  # imported here: `import minidl` stays light

    return tqdm(iterable, desc=description, leave=False)


def evaluate(model, data: Iterable, loss: Callable | None = None, metrics: Sequence = ("accuracy",),
             progress: bool = False) -> dict[str, float]:
    """Mean loss and metrics of `model` over the batches of `data`, in eval mode and without a graph."""
    functions = _metric_functions(metrics)
    device = _device_of(model)
    totals, count = dict.fromkeys(["loss"] * (loss is not None) + list(functions), 0.0), 0
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for inputs, targets in _progress(data, progress, "evaluate"):
                inputs, targets = inputs.to(device), targets.to(device)
                outputs = model(inputs)
                size = len(targets)
                if loss is not None:
                    totals["loss"] += loss(outputs, targets).item() * size
                for name, function in functions.items():
                    totals[name] += function(outputs, targets) * size
                count += size
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the data gave no batches")
    return {name: total / count for name, total in totals.items()}


def fit(model, train_data: Iterable, loss: Callable, optimizer, epochs: int = 1, val_data: Iterable | None = None,
        metrics: Sequence = ("accuracy",), callbacks: Sequence = (), scheduler=None, progress: bool = True) -> History:
    """Train `model` for `epochs` passes over `train_data` (batches of (inputs, targets)).

    Each epoch logs the mean training loss and metrics (measured on the batches as they were
    trained), and, with val_data, val_loss and val_<metric>. A `scheduler` steps once per epoch.
    """
    if epochs < 1:
        raise ValueError(f"fit: epochs must be at least 1, got {epochs}")
    functions = _metric_functions(metrics)
    device = _device_of(model)
    history = History({"epochs": epochs, "steps": len(train_data) if hasattr(train_data, "__len__") else None})
    _call(callbacks, "on_train_begin", history)
    for epoch in range(epochs):
        _call(callbacks, "on_epoch_begin", epoch)
        start = time.perf_counter()
        model.train()
        totals, count = dict.fromkeys(["loss", *functions], 0.0), 0
        batches = _progress(train_data, progress, f"epoch {epoch + 1}/{epochs}")
        for batch, (inputs, targets) in enumerate(batches):
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            outputs = model(inputs)
            batch_loss = loss(outputs, targets)
            batch_loss.backward()
            optimizer.step()
            size = len(targets)
            logs = {"loss": batch_loss.item()}
            with no_grad():
                logs.update({name: function(outputs, targets) for name, function in functions.items()})
            for name, value in logs.items():
                totals[name] += value * size
            count += size
            if progress:
                batches.set_postfix(loss=f"{totals['loss'] / count:.4f}", refresh=False)  # tqdm redraws at its own pace
            _call(callbacks, "on_batch_end", batch, logs)
        values = {name: total / count for name, total in totals.items()}
        if val_data is not None:
            validation = evaluate(model, val_data, loss, metrics)
            values.update({f"val_{name}": value for name, value in validation.items()})
        if scheduler is not None:
            scheduler.step()
        history.log(epoch, values, time.perf_counter() - start)
        if progress:
            print(f"epoch {epoch + 1}/{epochs}  " + "  ".join(f"{k}={v:.4f}" for k, v in values.items())
                  + f"  ({history.seconds[-1]:.1f} s)")
        _call(callbacks, "on_epoch_end", epoch, values)
    _call(callbacks, "on_train_end", history)
    return history
