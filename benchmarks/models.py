"""The benchmark models, written once against a `torch`-like library: minidl and PyTorch both fit.

build(minidl) and build(torch) give the same architecture with the same parameter names.
"""

from __future__ import annotations


def mlp(torch, sizes=(784, 256, 256, 10)):
    """Linear layers fc1, fc2, ... with ReLU between them."""
    nn = torch.nn

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.depth = len(sizes) - 1
            for i in range(self.depth):
                setattr(self, f"fc{i + 1}", nn.Linear(sizes[i], sizes[i + 1]))

        def forward(self, x):
            for i in range(1, self.depth):
                x = torch.relu(getattr(self, f"fc{i}")(x))
            return getattr(self, f"fc{self.depth}")(x)

    return MLP()


def lenet(torch):
    """The source articles' CNN (shared/seed-examples/pytorch_cnn.py) for 1 x 28 x 28 images."""
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 4 * 4, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(torch.relu(self.conv1(x)))
            x = self.pool(torch.relu(self.conv2(x)))
            x = x.view(-1, 16 * 4 * 4)
            x = torch.relu(self.fc1(x))
            x = torch.relu(self.fc2(x))
            return self.fc3(x)

    return Net()
