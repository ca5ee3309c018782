"""MLP 784-256-10 on full MNIST with Adam: the acceptance run (target: >= 97.5% test accuracy in 5 epochs).

Full MNIST is downloaded by minidl's real downloader from a loopback mirror of ../shared/data
into a fresh cache, checksums and all.     python examples/mnist_mlp.py
"""

from __future__ import annotations

from local_mirror import full_mnist
from report import report

import minidl
import minidl.nn as nn
from minidl.data import DataLoader


def main() -> None:
    minidl.manual_seed(0)
    train, test = full_mnist()
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    history = minidl.fit(
        model,
        DataLoader(train, batch_size=64, shuffle=True),
        nn.CrossEntropyLoss(),
        minidl.optim.Adam(model.parameters(), lr=1e-3),
        epochs=5,
        val_data=DataLoader(test, batch_size=1000),
    )
    report(history, 0.975)


if __name__ == "__main__":
    main()
