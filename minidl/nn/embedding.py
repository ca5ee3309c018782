"""Embedding: a table of learned vectors, one per token id."""

from __future__ import annotations

from minidl.creation import zeros
from minidl.nn import init
from minidl.nn.functional.linear import embedding
from minidl.nn.module import Module, Parameter
from minidl.tensor import Tensor

__all__ = ["Embedding"]


class Embedding(Module):
    """indices (any shape, ints) -> vectors (that shape + (embedding_dim,)); weight ~ N(0, 1) as PyTorch."""

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype=None, device=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(zeros(num_embeddings, embedding_dim, dtype=dtype, device=device))
        init.normal_(self.weight)

    def forward(self, indices: Tensor) -> Tensor:
        return embedding(indices, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
