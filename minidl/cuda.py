"""Is there a GPU? (`minidl.cuda.is_available()`, as `torch.cuda.is_available()`)."""

from minidl.backend import cupy_or_none

__all__ = ["device_count", "is_available"]


def is_available() -> bool:
    """True when CuPy is installed and sees a GPU: then `tensor.to('cuda')` works."""
    return cupy_or_none() is not None


def device_count() -> int:
    cupy = cupy_or_none()
    return 0 if cupy is None else cupy.cuda.runtime.getDeviceCount()
