"""CIFAR-10: 32 x 32 colour photos in 10 classes, 50,000 for training and 10,000 for testing.

    train = CIFAR10(train=True, download=True)    # the full set, downloaded once (about 162 MB)
    small = CIFAR10(subset="small")                # 4,000 + 1,000 images that come with minidl

The full set comes from the dataset's binary version, `cifar-10-binary.tar.gz`, whose batches
are plain records of 3,073 bytes: the label (0-9), then 1,024 red, 1,024 green and 1,024 blue
values, each a 32 x 32 plane, row-major. (The "python version" holds pickles, which can run code
when loaded, so minidl never reads it.)
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy

from minidl import dtypes
from minidl.datasets.download import dataset_file
from minidl.datasets.published import PublishedDataset

__all__ = ["CIFAR10", "parse_cifar_records", "read_cifar_archive"]

SIDE = 32
RECORD_SIZE = 1 + 3 * SIDE * SIDE  # the label byte, then three colour planes
TRAIN_BATCHES = [f"cifar-10-batches-bin/data_batch_{number}.bin" for number in range(1, 6)]
TEST_BATCHES = ["cifar-10-batches-bin/test_batch.bin"]


def parse_cifar_records(raw: bytes, source: str = "CIFAR-10 data") -> tuple[numpy.ndarray, numpy.ndarray]:
    """(uint8 N x 32 x 32 x 3 RGB images, uint8 labels) from the records of one binary batch."""
    if len(raw) == 0 or len(raw) % RECORD_SIZE:
        raise ValueError(
            f"{source}: {len(raw)} bytes is not a whole number of {RECORD_SIZE}-byte records "
            "(truncated, or not a CIFAR-10 binary batch)"
        )
    records = numpy.frombuffer(raw, dtype=dtypes.uint8).reshape(-1, RECORD_SIZE)
    labels = records[:, 0]
    if labels.max() > 9:
        bad = int(numpy.argmax(labels > 9))
        raise ValueError(f"{source}: record {bad} has label {labels[bad]}, not 0-9 (not a CIFAR-10 binary batch)")
    images = records[:, 1:].reshape(-1, 3, SIDE, SIDE).transpose(0, 2, 3, 1)  # planes -> height x width x RGB
    return numpy.ascontiguousarray(images), labels.copy()


def read_cifar_archive(path: str | os.PathLike, members: Sequence[str]) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The images and labels of the binary batches `members` of the archive at `path`, in that order."""
    contents = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:  # one pass: a .tar.gz cannot be read out of order cheaply
                if member.name in members and member.isfile():
                    contents[member.name] = archive.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ValueError(f"{path}: damaged archive ({error})") from error
    missing = [name for name in members if name not in contents]
    if missing:
        raise ValueError(f"{path}: {', '.join(missing)} missing: not the CIFAR-10 binary archive")
    parts = [parse_cifar_records(contents[name], f"{path}:{name}") for name in members]
    return numpy.concatenate([images for images, _ in parts]), numpy.concatenate([labels for _, labels in parts])


class CIFAR10(PublishedDataset):
    """CIFAR-10 (Krizhevsky, Nair and Hinton); `data` holds uint8 N x 32 x 32 x 3 RGB images.

    The arguments are MNIST's. subset="small" gives the first 4,000 training and 1,000 test
    images (not class-balanced), shipped with minidl. The archive's checksum is the MD5 that
    the dataset's page publishes.
    """

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    folder = "cifar-10"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    archive = "cifar-10-binary.tar.gz"
    known_hash = "md5:c32a1d4ab5d03f1284b67883e8d87530"
    small_subset = ("cifar10_partial.npz", "5e81f99fe5af185b32d0cb5efbf72c956a858f8e684fdfba6995f9e197878f5c")

    def _read_full(self, folder: Path, download: bool):
        path = dataset_file("CIFAR10", self.archive, self.mirrors, self.known_hash, folder, download)
        return read_cifar_archive(path, TRAIN_BATCHES if self.train else TEST_BATCHES)
