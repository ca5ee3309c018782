"""The articles' LeNet-style CNN on full MNIST, SGD 0.01 momentum 0.9, batch 64: the acceptance run
(target: >= 98.5% test accuracy within 3 epochs).     python examples/mnist_lenet.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from local_mirror import full_mnist
from report import report

import minidl
import minidl.nn as nn
from minidl.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from models import lenet  # noqa: E402  (the same model the step benchmark times)


def main() -> None:
    minidl.manual_seed(0)
    train, test = full_mnist()
    model = lenet(minidl)
    history = minidl.fit(
        model,
        DataLoader(train, batch_size=64, shuffle=True),
        nn.CrossEntropyLoss(),
        minidl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9),
        epochs=3,
        val_data=DataLoader(test, batch_size=1000),
    )
    report(history, 0.985)


if __name__ == "__main__":
    main()
