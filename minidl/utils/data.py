"""`minidl.utils.data`, as `torch.utils.data`: the same objects as `minidl.data`."""

from minidl.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
