"""PublishedDataset: a dataset with a full version to download and a small subset shipped with minidl."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy

from minidl.data.dataset import ImageDataset
from minidl.datasets.download import bundled_split, default_cache_dir

__all__ = ["PublishedDataset"]


class PublishedDataset(ImageDataset):
    """The common constructor of MNIST, FashionMNIST and CIFAR10.

    subset="small" loads the subset bundled with minidl (no download); subset=None loads the
    full dataset from `root/<folder>` (root defaults to $MINIDL_DATA, else the cache folder),
    downloading it there first when download=True. Subclasses say how (`_read_full`).
    """

    folder: str  # the dataset's folder in the cache
    small_subset: tuple[str, str]  # the bundled file and its SHA-256

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        download: bool = False,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        subset: str | None = None,
    ):
        self.train = train
        if subset == "small":
            images, labels = bundled_split(*self.small_subset, train)
        elif subset is None:
            images, labels = self._read_full(Path(root or default_cache_dir()) / self.folder, download)
        else:
            raise ValueError(
                f"{type(self).__name__}: subset must be None (the full dataset) or 'small', not {subset!r}"
            )
        super().__init__(images, labels, transform, target_transform)

    def _read_full(self, folder: Path, download: bool) -> tuple[numpy.ndarray, numpy.ndarray]:
        """(images, labels) of the full training or test part (self.train), from `folder`."""
        raise NotImplementedError
