"""Image transforms, applied to one sample at a time, as in torchvision.

    transform = Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(),
                         Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])

An image is a uint8 NumPy array as a dataset stores it, H x W or H x W x C, until ToTensor turns
it into a float32 C x H x W Tensor. RandomCrop and RandomHorizontalFlip work on either layout.
The random transforms draw from minidl's default generator, so `minidl.manual_seed` repeats them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy

from minidl import dtypes
from minidl.backend import get_array_module
from minidl.random import default_generator
from minidl.tensor import Tensor

__all__ = [
    "Compose",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "ToTensor",
    "images_to_float",
]


def images_to_float(images: numpy.ndarray) -> numpy.ndarray:
    """uint8 images N x H x W or N x H x W x C -> float32 N x C x H x W, each value / 255."""
    if images.dtype != dtypes.uint8:
        raise TypeError(f"ToTensor: expected uint8 pixels (0..255), got {images.dtype}")
    if images.ndim == 3:
        images = images[:, None, :, :]  # one channel
    elif images.ndim == 4:
        images = images.transpose(0, 3, 1, 2)  # channels first, as convolutions expect
    else:
        raise ValueError(f"ToTensor: expected an H x W or H x W x C image, got shape {images.shape[1:]}")
    return numpy.divide(images, 255, dtype=dtypes.float32)


class Compose:
    """Apply the transforms one after the other."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(repr(transform) for transform in self.transforms) + "])"


class ToTensor:
    """uint8 H x W or H x W x C array -> float32 C x H x W Tensor with values in [0, 1]."""

    def __call__(self, image: numpy.ndarray) -> Tensor:
        return Tensor(images_to_float(numpy.asarray(image)[None])[0])

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """(image - mean) / std, channel by channel, on a C x H x W Tensor."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        self.mean = numpy.asarray(mean, dtype=dtypes.float32).reshape(-1, 1, 1)
        self.std = numpy.asarray(std, dtype=dtypes.float32).reshape(-1, 1, 1)

    def __call__(self, image: Tensor) -> Tensor:
        if not isinstance(image, Tensor) or image.ndim != 3:
            raise TypeError("Normalize: expected a C x H x W Tensor; put ToTensor() before it")
        if len(self.mean) not in (1, image.shape[0]):
            raise ValueError(f"Normalize: {len(self.mean)} means for an image with {image.shape[0]} channels")
        xp = get_array_module(image.array)
        return Tensor((image.array - xp.asarray(self.mean)) / xp.asarray(self.std))

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"


def _height_width_axes(image) -> tuple[int, int]:
    """Where rows and columns are: first for a stored array (H x W x C), last for a Tensor (C x H x W)."""
    return (-2, -1) if isinstance(image, Tensor) else (0, 1)


class RandomCrop:
    """Cut a random `size` window out of the image, after padding each border with `padding` zeros."""

    def __init__(self, size: int | tuple[int, int], padding: int = 0):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding = padding

    def __call__(self, image):
        array = image.array if isinstance(image, Tensor) else numpy.asarray(image)
        row_axis, column_axis = _height_width_axes(image)
        if self.padding:
            widths = [(0, 0)] * array.ndim
            widths[row_axis] = widths[column_axis] = (self.padding, self.padding)
            array = get_array_module(array).pad(array, widths)
        height, width = array.shape[row_axis], array.shape[column_axis]
        crop_height, crop_width = self.size
        if crop_height > height or crop_width > width:
            raise ValueError(f"RandomCrop: cannot cut {self.size} out of a {height} x {width} image")
        top = int(default_generator.rng.integers(0, height - crop_height + 1))
        left = int(default_generator.rng.integers(0, width - crop_width + 1))
        window = [slice(None)] * array.ndim
        window[row_axis] = slice(top, top + crop_height)
        window[column_axis] = slice(left, left + crop_width)
        cropped = array[tuple(window)]
        return Tensor(cropped) if isinstance(image, Tensor) else cropped

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror the image left to right with probability p."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, image):
        if default_generator.rng.random() >= self.p:
            return image
        array = image.array if isinstance(image, Tensor) else numpy.asarray(image)
        flipped = get_array_module(array).flip(array, axis=_height_width_axes(image)[1])
        return Tensor(flipped) if isinstance(image, Tensor) else flipped

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"
