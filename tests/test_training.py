"""minidl.fit and minidl.evaluate: the Keras-style loop."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.optim
from minidl.data import DataLoader, TensorDataset


def _blobs(n=200, seed=0):
    """Two well separated classes in 2-D."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    points = rng.standard_normal((n, 2)).astype(np.float32) * 0.5 + labels[:, None] * 3.0
    return TensorDataset(minidl.tensor(points), minidl.tensor(labels))


class Recorder:
    def __init__(self):
        self.events = []

    def on_train_begin(self, history):
        self.events.append("train_begin")

    def on_epoch_end(self, epoch, logs):
        self.events.append(("epoch_end", epoch, sorted(logs)))

    def on_batch_end(self, batch, logs):
        self.events.append("batch")

    def on_train_end(self, history):
        self.events.append("train_end")


def test_fit_learns_and_logs_every_epoch():
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    train = DataLoader(_blobs(), batch_size=32, shuffle=True)
    val = DataLoader(_blobs(seed=1), batch_size=64)
    recorder = Recorder()
    history = minidl.fit(model, train, nn.CrossEntropyLoss(), minidl.optim.SGD(model.parameters(), lr=0.1),
                         epochs=5, val_data=val, callbacks=[recorder], progress=False)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 5 for values in history.history.values())
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] > 0.95
    assert len(history.seconds) == 5 and all(s > 0 for s in history.seconds)
    assert recorder.events[0] == "train_begin" and recorder.events[-1] == "train_end"
    assert recorder.events.count("batch") == 5 * len(train)
    assert ("epoch_end", 4, ["accuracy", "loss", "val_accuracy", "val_loss"]) in recorder.events


def test_evaluate_matches_a_hand_computed_accuracy_and_restores_the_mode():
    minidl.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    data = _blobs(50)
    model.train()
    result = minidl.evaluate(model, DataLoader(data, batch_size=7), nn.CrossEntropyLoss())
    assert model.training
    model.eval()
    with minidl.no_grad():
        outputs = model(data.tensors[0])
    expected = float((outputs.numpy().argmax(1) == data.tensors[1].numpy()).mean())
    assert result["accuracy"] == pytest.approx(expected)
    assert result["loss"] == pytest.approx(nn.CrossEntropyLoss()(outputs, data.tensors[1]).item(), rel=1e-5)


def test_a_scheduler_steps_once_per_epoch():
    model = nn.Linear(2, 2)
    optimizer = minidl.optim.SGD(model.parameters(), lr=1.0)
    scheduler = minidl.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    minidl.fit(model, DataLoader(_blobs(20), batch_size=10), nn.CrossEntropyLoss(), optimizer, epochs=3,
               scheduler=scheduler, progress=False)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.125)


def test_bad_arguments_are_refused():
    model = nn.Linear(2, 2)
    optimizer = minidl.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs"):
        minidl.fit(model, [], nn.CrossEntropyLoss(), optimizer, epochs=0)
    with pytest.raises(ValueError, match="unknown metric"):
        minidl.fit(model, [], nn.CrossEntropyLoss(), optimizer, metrics=["f1"])
    with pytest.raises(ValueError, match="no batches"):
        minidl.evaluate(model, [])
