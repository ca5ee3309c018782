"""Real datasets (MNIST, Fashion-MNIST, CIFAR-10) and small made-up ones for demos.

    from minidl.datasets import MNIST
    train = MNIST(train=True, download=True)   # or MNIST(subset="small"): no download
"""

from minidl.datasets.cifar import CIFAR10
from minidl.datasets.download import DownloadError, default_cache_dir, fetch
from minidl.datasets.idx import read_idx
from minidl.datasets.mnist import MNIST, FashionMNIST
from minidl.datasets.toy import circles, linear_regression, moons, spirals

__all__ = [
    "CIFAR10",
    "DownloadError",
    "FashionMNIST",
    "MNIST",
    "circles",
    "default_cache_dir",
    "fetch",
    "linear_regression",
    "moons",
    "read_idx",
    "spirals",
]
