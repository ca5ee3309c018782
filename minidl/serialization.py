"""minidl.save and minidl.load: checkpoints as .npz files with JSON metadata, never pickle.

A checkpoint holds tensors, arrays, numbers, strings, None, lists, tuples and dicts (model
and optimizer state dicts are made of these). Arrays go into the .npz archive; the structure
around them goes into a JSON entry of the same archive. Loading therefore runs no code from
the file. Writing goes to a temporary file that replaces the old one only once complete, so
a crash mid-write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy

from minidl.backend import is_array, normalize_device, to_device
from minidl.tensor import Tensor

__all__ = ["load", "save"]

_META = "__minidl__"  # the archive entry holding the JSON structure
_FORMAT = 1


def save(obj, path) -> None:
    """Write `obj` (a state dict, or any nest of tensors, arrays, numbers, strings, lists, dicts) to `path`."""
    arrays: dict[str, numpy.ndarray] = {}
    structure = _encode(obj, arrays, "obj")
    meta = json.dumps({"format": _FORMAT, "object": structure}).encode()
    buffer = io.BytesIO()
    numpy.savez(buffer, **arrays, **{_META: numpy.frombuffer(meta, dtype=numpy.uint8)})
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(buffer.getvalue())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)  # atomic: readers see the old file or the new one, never half
    except BaseException:
        os.unlink(temporary)
        raise


def load(path, device=None):
    """Read what `save` wrote; tensors land on `device` (default: the CPU)."""
    try:
        with numpy.load(path, allow_pickle=False) as archive:
            if _META not in archive.files:
                raise ValueError(f"load: {path} is an .npz file but not a minidl checkpoint (no {_META!r} entry)")
            meta = json.loads(archive[_META].tobytes())
            if meta.get("format") != _FORMAT:
                found = meta.get("format")
                raise ValueError(f"load: {path} has checkpoint format {found}; this minidl reads {_FORMAT}")
            arrays = {name: archive[name] for name in archive.files if name != _META}
    except (zipfile.BadZipFile, EOFError, OSError, json.JSONDecodeError, KeyError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"load: {path} is not a complete minidl checkpoint (truncated or corrupt): {error}") from None
    return _decode(meta["object"], arrays, normalize_device(device) if device is not None else "cpu")


def _encode(obj, arrays: dict, where: str):
    """A JSON-able description of obj; its arrays are added to `arrays` under fresh names."""
    if isinstance(obj, Tensor):
        name = f"a{len(arrays)}"
        arrays[name] = obj.numpy()
        return {"tensor": name, "requires_grad": obj.requires_grad}
    if is_array(obj):
        name = f"a{len(arrays)}"
        arrays[name] = to_device(obj, "cpu")
        if arrays[name].dtype == object:
            raise TypeError(f"save: {where} is an array of Python objects; only numeric arrays can be stored")
        return {"array": name}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, numpy.generic):
        return obj.item()
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not isinstance(key, (str, int)):
                raise TypeError(f"save: {where} has a key of type {type(key).__name__}; keys must be str or int")
            items.append([key, _encode(value, arrays, f"{where}[{key!r}]")])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(value, arrays, f"{where}[{i}]") for i, value in enumerate(obj)]}
    raise TypeError(
        f"save: {where} is a {type(obj).__name__}; checkpoints hold tensors, arrays, numbers, strings, None, "
        "lists, tuples and dicts only (nothing that would need pickle to load)"
    )


def _decode(node, arrays: dict, device: str):
    if not isinstance(node, dict):
        return node
    if "tensor" in node:
        tensor = Tensor(arrays[node["tensor"]]).to(device)
        return tensor.requires_grad_(node["requires_grad"]) if node["requires_grad"] else tensor
    if "array" in node:
        return arrays[node["array"]]
    if "dict" in node:
        return {key: _decode(value, arrays, device) for key, value in node["dict"]}
    if "list" in node:
        return [_decode(value, arrays, device) for value in node["list"]]
    return tuple(_decode(value, arrays, device) for value in node["tuple"])
