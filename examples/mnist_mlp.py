"""MLP 784-256-10 on full MNIST with Adam: the acceptance run (target: >= 97.5% test accuracy in 5 epochs).

Full MNIST is downloaded by minidl's real downloader from a loopback mirror of ../shared/data
into a fresh cache, checksums and all.     python examples/mnist_mlp.py
"""

from __future__ import annotations

import os
import tempfile

from local_mirror import require_shared_data, serving

import minidl
import minidl.nn as nn
from minidl.data import DataLoader
from minidl.data.transforms import Compose, Normalize, ToTensor
from minidl.datasets import MNIST


def main() -> None:
    shared = require_shared_data()
    minidl.manual_seed(0)
    normalize = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
    with tempfile.TemporaryDirectory() as cache, serving(shared / "mnist") as url:
        os.environ["MINIDL_DATA"] = cache
        MNIST.mirrors = [url]
        train = MNIST(train=True, download=True, transform=normalize)
        test = MNIST(train=False, download=True, transform=normalize)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    history = minidl.fit(
        model,
        DataLoader(train, batch_size=64, shuffle=True),
        nn.CrossEntropyLoss(),
        minidl.optim.Adam(model.parameters(), lr=1e-3),
        epochs=5,
        val_data=DataLoader(test, batch_size=1000),
    )
    best = max(history["val_accuracy"])
    print(f"test accuracy per epoch: {[round(a, 4) for a in history['val_accuracy']]}")
    print(f"seconds per epoch: {[round(s, 1) for s in history.seconds]}")
    print(f"best {best:.4f}: {'meets' if best >= 0.975 else 'misses'} the 97.5% target")


if __name__ == "__main__":
    main()
