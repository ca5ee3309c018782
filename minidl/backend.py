"""The array backend: NumPy on the CPU, CuPy on a GPU, chosen by where the data lives.

Ops never ask which library they run on. They call `get_array_module(array)` and use
what it returns (`xp`), so one body serves both. CuPy is imported lazily, the first time
a GPU is asked for, so `import minidl` works (and stays fast) on machines without it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import numpy

__all__ = [
    "Array",
    "array_module_for",
    "as_array",
    "cupy_or_none",
    "device_of",
    "get_array_module",
    "is_array",
    "normalize_device",
    "scatter_add",
    "to_device",
]

Array = numpy.ndarray  # or cupy.ndarray; used in type hints only
_cupy: ModuleType | None | bool = False  # False = not looked for yet, None = not installed


def cupy_or_none() -> ModuleType | None:
    """Import CuPy on first use; None when it is missing or no GPU answers."""
    global _cupy
    if _cupy is False:
        try:
            _cupy = importlib.import_module("cupy")
            _cupy.cuda.runtime.getDeviceCount()
        except Exception:  # ImportError, or CuPy installed without a working driver
            _cupy = None
    return _cupy


def get_array_module(*arrays) -> ModuleType:
    """Return `numpy` or `cupy`, whichever owns the arrays (NumPy for plain Python values)."""
    for array in arrays:
        if type(array) is not numpy.ndarray and _is_cupy(array):
            return cupy_or_none()
    return numpy


def _is_cupy(value) -> bool:
    return type(value).__module__.startswith("cupy")


def is_array(value) -> bool:
    """True for a NumPy or a CuPy array."""
    return isinstance(value, numpy.ndarray) or _is_cupy(value)


def as_array(value):
    """NumPy and CuPy arrays as they are; anything else (a number, a list, a NumPy scalar)
    as a NumPy array."""
    return value if is_array(value) else numpy.asarray(value)


def device_of(array) -> str:
    """'cpu' for a NumPy array, 'cuda' for a CuPy one."""
    return "cpu" if isinstance(array, numpy.ndarray) else "cuda"


def normalize_device(device) -> str:
    """Accept 'cpu', 'cuda', 'cuda:0' or a Tensor's `.device`; return 'cpu' or 'cuda'."""
    name = str(device).split(":")[0]
    if name not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {device!r}: use 'cpu' or 'cuda'")
    if name == "cuda" and cupy_or_none() is None:
        raise RuntimeError(
            "device 'cuda' asked for, but CuPy with a working GPU is not available: "
            "install the CuPy wheel for your CUDA version (see README) or use 'cpu'"
        )
    return name


def array_module_for(device) -> ModuleType:
    """`numpy` for 'cpu', `cupy` for 'cuda' (None means 'cpu')."""
    return numpy if device is None or normalize_device(device) == "cpu" else cupy_or_none()


def to_device(array, device: str):
    """Copy an array to 'cpu' (NumPy) or 'cuda' (CuPy); no copy when it is already there."""
    if device == "cpu":
        return array if isinstance(array, numpy.ndarray) else array.get()
    return cupy_or_none().asarray(array)


def scatter_add(target, index, values) -> None:
    """target[index] += values, adding (not overwriting) where an index repeats.

    The one place NumPy and CuPy spell an op differently: `numpy.add.at` versus
    `cupyx.scatter_add`.
    """
    if isinstance(target, numpy.ndarray):
        numpy.add.at(target, index, values)
    else:
        importlib.import_module("cupyx").scatter_add(target, index, values)
