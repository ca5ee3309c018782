"""Reading IDX files, the format of MNIST and Fashion-MNIST, gzip-compressed or not.

An IDX file is a header, then the values. The header is a 4-byte magic number, 0x0801 for a
1-d array of unsigned bytes (labels) or 0x0803 for a 3-d one (images), then the size of each
dimension as a 4-byte unsigned int. All integers are big-endian. The values follow, row-major,
one byte each.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy

from minidl import dtypes

__all__ = ["IMAGES_MAGIC", "LABELS_MAGIC", "parse_idx", "read_idx"]

LABELS_MAGIC = 0x0801
IMAGES_MAGIC = 0x0803
GZIP_START = b"\x1f\x8b"


def read_idx(path: str | os.PathLike) -> numpy.ndarray:
    """The uint8 array stored in the IDX file at `path` (decompressed first if it is gzipped)."""
    raw = Path(path).read_bytes()
    if raw.startswith(GZIP_START):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:  # a bad header, a cut-off or a damaged stream
            raise ValueError(f"{path}: damaged gzip data ({error})") from error
    return parse_idx(raw, source=str(path))


def parse_idx(raw: bytes, source: str = "IDX data") -> numpy.ndarray:
    """The uint8 array in the (uncompressed) IDX bytes `raw`; `source` names them in errors."""
    if len(raw) < 4:
        raise ValueError(f"{source}: {len(raw)} bytes is too short for an IDX header")
    (magic,) = struct.unpack(">I", raw[:4])
    if magic not in (LABELS_MAGIC, IMAGES_MAGIC):
        raise ValueError(
            f"{source}: magic number 0x{magic:08x} is neither 0x00000801 (labels) nor 0x00000803 (images), "
            "so this is not an MNIST-style IDX file"
        )
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(f"{source}: truncated: the header needs {header_size} bytes, the file has {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    expected_size = header_size + math.prod(shape)
    if len(raw) != expected_size:
        problem = "truncated" if len(raw) < expected_size else "extra bytes at the end"
        raise ValueError(
            f"{source}: {problem}: the header says shape {shape}, {expected_size} bytes in all, "
            f"but the file has {len(raw)}"
        )
    return numpy.frombuffer(raw, dtype=dtypes.uint8, offset=header_size).reshape(shape).copy()
