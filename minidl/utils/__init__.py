"""PyTorch's spelling of some minidl modules, so that `minidl.utils.data.DataLoader` works."""

from minidl.utils import data

__all__ = ["data"]
