"""Feeding data to a model: datasets, batches and image transforms.

    from minidl.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(inputs, targets), batch_size=32, shuffle=True)
"""

from minidl.data import transforms
from minidl.data.dataset import Dataset, ImageDataset, Subset, TensorDataset, random_split
from minidl.data.loader import DataLoader, default_collate, get_batch, move_to_device

__all__ = [
    "DataLoader",
    "Dataset",
    "ImageDataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "get_batch",
    "move_to_device",
    "random_split",
    "transforms",
]
