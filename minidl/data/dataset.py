"""Datasets: things that have a length and give the sample at an index.

`Dataset` is the base to subclass; `TensorDataset` wraps tensors that share their first
dimension; `ImageDataset` holds uint8 images and integer labels (MNIST and CIFAR10 are
ImageDatasets); `random_split` cuts a dataset into random, non-overlapping `Subset`s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy

from minidl import dtypes
from minidl.backend import get_array_module
from minidl.data.loader import default_collate, get_batch
from minidl.data.transforms import ToTensor, images_to_float
from minidl.random import Generator, default_generator
from minidl.tensor import Tensor

__all__ = ["Dataset", "ImageDataset", "Subset", "TensorDataset", "random_split"]


class Dataset:
    """A collection of samples: `dataset[i]` is one sample, `len(dataset)` how many there are."""

    def __getitem__(self, index: int):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Sample i is (tensors[0][i], tensors[1][i], ...), e.g. TensorDataset(inputs, targets)."""

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        shapes = [tuple(tensor.shape) for tensor in tensors]
        if any(len(shape) == 0 or shape[0] != shapes[0][0] for shape in shapes):
            listed = ", ".join(str(shape) for shape in shapes)
            raise ValueError(
                f"TensorDataset: the tensors must have the same first dimension (one entry per sample), "
                f"got shapes {listed}"
            )
        self.tensors = tensors

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(Tensor(tensor.array[index]) for tensor in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def get_batch(self, indices: numpy.ndarray) -> tuple[Tensor, ...]:
        """The samples at `indices`, cut out of each tensor with one fancy index."""
        xp = get_array_module(self.tensors[0].array)
        indices = xp.asarray(indices)
        return tuple(Tensor(tensor.array[indices]) for tensor in self.tensors)


class ImageDataset(Dataset):
    """uint8 images (N x H x W or N x H x W x C) with integer labels; sample i is (image, label).

    The image goes through `transform` (ToTensor when None: a float32 C x H x W Tensor in
    [0, 1]) and the label through `target_transform` (a Python int when None).
    """

    classes: Sequence[str] = ()  # the name of each label, set by each dataset

    def __init__(
        self,
        data: numpy.ndarray,
        targets: numpy.ndarray,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ):
        if len(data) != len(targets):
            raise ValueError(f"{type(self).__name__}: {len(data)} images but {len(targets)} labels")
        self.data = data
        self.targets = targets.astype(dtypes.int64, copy=False)
        self.transform = transform
        self.target_transform = target_transform

    def __getitem__(self, index: int):
        image = (self.transform or ToTensor())(self.data[index])
        label = int(self.targets[index])
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def __len__(self) -> int:
        return len(self.data)

    def get_batch(self, indices: numpy.ndarray):
        """(images, labels) at `indices`: cut out with one fancy index when there are no transforms
        (the common case, and much faster), else transformed one sample at a time."""
        if self.transform is not None or self.target_transform is not None:
            return default_collate([self[int(index)] for index in indices])
        return Tensor(images_to_float(self.data[indices])), Tensor(self.targets[indices])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} images of shape {self.data.shape[1:]}, {len(self.classes)} classes)"


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = numpy.asarray(indices, dtype=dtypes.int64)

    def __getitem__(self, index: int):
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)

    def get_batch(self, indices: numpy.ndarray):
        return get_batch(self.dataset, self.indices[indices])


def random_split(dataset, lengths: Sequence[int | float], generator: Generator | None = None) -> list[Subset]:
    """Split `dataset` at random into non-overlapping Subsets of the given lengths.

    Lengths are ints that add up to len(dataset), or floats that add up to 1 (e.g. [0.8, 0.2]);
    samples left over by rounding fractions down go one each to the first subsets. The order
    comes from `generator`, or minidl's default generator when None.
    """
    total = len(dataset)
    if any(isinstance(length, float) for length in lengths) and math.isclose(sum(lengths), 1):
        counts = [math.floor(total * fraction) for fraction in lengths]
        for i in range(total - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        counts = list(lengths)
    if sum(counts) != total or any(count < 0 or count != int(count) for count in counts):
        raise ValueError(
            f"random_split: lengths {list(lengths)} must be counts that add up to {total} "
            "(the dataset's length) or fractions that add up to 1"
        )
    counts = [int(count) for count in counts]
    order = (generator or default_generator).rng.permutation(total)
    ends = numpy.cumsum(counts)
    return [Subset(dataset, order[end - count : end]) for count, end in zip(counts, ends)]
