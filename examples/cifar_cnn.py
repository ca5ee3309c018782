"""A small CNN on the CIFAR-10 subset bundled with minidl (4,000 train, 1,000 test images), no download:
the acceptance run (target: above 40% test accuracy).     python examples/cifar_cnn.py
"""

from __future__ import annotations

from report import report

import minidl
import minidl.nn as nn
from minidl.data import DataLoader
from minidl.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor
from minidl.datasets import CIFAR10

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def main() -> None:
    minidl.manual_seed(0)
    augment = Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(), Normalize(MEAN, STD)])
    train = CIFAR10(train=True, subset="small", transform=augment)
    test = CIFAR10(train=False, subset="small", transform=Compose([ToTensor(), Normalize(MEAN, STD)]))
    model = small_cnn()
    optimizer = minidl.optim.Adam(model.parameters(), lr=2e-3)
    epochs = 12
    history = minidl.fit(
        model,
        DataLoader(train, batch_size=64, shuffle=True),
        nn.CrossEntropyLoss(),
        optimizer,
        epochs=epochs,
        val_data=DataLoader(test, batch_size=500),
        scheduler=minidl.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs),
    )
    report(history, 0.40, strictly_above=True)


if __name__ == "__main__":
    main()
