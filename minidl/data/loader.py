"""DataLoader: walk a dataset in (optionally shuffled) batches of Tensors.

    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    for images, labels in loader:
        ...

Batches are made in one of two ways. A dataset that holds its samples in arrays (TensorDataset,
MNIST, CIFAR10, ...) has a `get_batch(indices)` method that cuts a whole batch out of them with
one fancy index. Any other dataset is read one sample at a time and the samples are stacked by
`collate_fn` (`default_collate` unless told otherwise). Both give the same batches; the first
is much faster, because an epoch of MNIST is 60,000 samples and Python is slow per sample.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Sequence

import numpy

from minidl import dtypes
from minidl.backend import get_array_module
from minidl.random import Generator, default_generator
from minidl.tensor import Tensor

__all__ = ["DataLoader", "default_collate", "get_batch", "move_to_device"]


def default_collate(samples: Sequence):
    """Stack a list of samples into one batch.

    A sample that is a tuple (image, label) gives a tuple of batches (images, labels). Tensors
    and NumPy arrays are stacked along a new first dimension and keep their dtype; Python ints
    become an int64 Tensor, Python floats a float32 one.
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_collate(field) for field in zip(*samples))
    if isinstance(first, Tensor):
        xp = get_array_module(first.array)
        return Tensor(xp.stack([sample.array for sample in samples]))
    if isinstance(first, (numpy.ndarray, numpy.generic)):
        return Tensor(numpy.stack(samples))
    if isinstance(first, bool):
        return Tensor(numpy.array(samples, dtype=dtypes.bool_))
    if isinstance(first, numbers.Integral):
        return Tensor(numpy.array(samples, dtype=dtypes.int64))
    if isinstance(first, numbers.Real):
        return Tensor(numpy.array(samples, dtype=dtypes.float32))
    raise TypeError(
        f"default_collate: cannot stack samples of type {type(first).__name__}; "
        "return Tensors, arrays or numbers from the dataset, or pass your own collate_fn"
    )


def get_batch(dataset, indices: numpy.ndarray):
    """The samples of `dataset` at `indices` as one batch: in one cut when the dataset has
    `get_batch`, else sample by sample through `default_collate`."""
    if hasattr(dataset, "get_batch"):
        return dataset.get_batch(indices)
    return default_collate([dataset[int(index)] for index in indices])


def move_to_device(batch, device):
    """The batch (a Tensor or a tuple of them) on `device`."""
    if isinstance(batch, (tuple, list)):
        return tuple(move_to_device(part, device) for part in batch)
    return batch.to(device) if isinstance(batch, Tensor) else batch


class DataLoader:
    """Iterate over `dataset` in batches of `batch_size` samples.

    With `shuffle=True` each epoch (each `for` loop over the loader) visits the samples in a
    fresh random order drawn from `generator`, or from minidl's default generator when it is
    None, so `minidl.manual_seed(0)` makes the orders repeat. `drop_last=True` skips a last
    batch that would be smaller than the others. `device` moves every batch there.
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: Generator | None = None,
        collate_fn: Callable | None = None,
        device=None,
    ):
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator
        self.collate_fn = collate_fn
        self.device = device

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        if self.drop_last:
            return len(self.dataset) // self.batch_size
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self) -> Iterator:
        order = self._epoch_order()
        for number in range(len(self)):
            indices = order[number * self.batch_size : (number + 1) * self.batch_size]
            batch = self._make_batch(indices)
            yield batch if self.device is None else move_to_device(batch, self.device)

    def _epoch_order(self) -> numpy.ndarray:
        if not self.shuffle:
            return numpy.arange(len(self.dataset))
        return (self.generator or default_generator).rng.permutation(len(self.dataset))

    def _make_batch(self, indices: numpy.ndarray):
        if self.collate_fn is None:
            return get_batch(self.dataset, indices)
        return self.collate_fn([self.dataset[int(index)] for index in indices])

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, {len(self)} batches)"
        )
