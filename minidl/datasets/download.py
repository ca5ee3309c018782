"""Dataset files: downloaded once into a cache folder, or shipped inside minidl, always checksummed.

Downloads go to $MINIDL_DATA when it is set, else to the user's cache folder for minidl
(`pooch.os_cache("minidl")`, e.g. ~/.cache/minidl on Linux). pooch writes each download to a
temporary file and moves it into place only once its checksum matches, so a broken or
tampered download never leaves a file behind that a later run would trust.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy
import pooch

__all__ = ["BUNDLED_FOLDER", "DownloadError", "bundled_split", "dataset_file", "default_cache_dir", "fetch"]

BUNDLED_FOLDER = Path(__file__).parent / "bundled"


class DownloadError(OSError):
    """No mirror gave a file with the expected checksum."""


def default_cache_dir() -> Path:
    """Where downloaded datasets are kept: $MINIDL_DATA if set, else the user's cache folder."""
    return Path(os.environ.get("MINIDL_DATA") or pooch.os_cache("minidl"))


def fetch(name: str, url_list: Sequence[str], known_hash: str, cache_dir: str | os.PathLike) -> Path:
    """The file `name` in `cache_dir`, downloaded from the first URL of `url_list` that serves it
    with the checksum `known_hash` ("sha256:<hex>" or "md5:<hex>"); no download when the cached
    copy already has that checksum."""
    failures = []
    for url in url_list:
        try:
            return Path(pooch.retrieve(url, known_hash, fname=name, path=cache_dir, progressbar=True))
        except (OSError, ValueError) as error:  # network errors are OSErrors; a checksum mismatch is a ValueError
            failures.append(f"  {url}\n    {error}")
    raise DownloadError(f"could not download {name}; tried, in order:\n" + "\n".join(failures))


def _checksum_matches(path: Path, known_hash: str) -> bool:
    algorithm, _, digest = known_hash.rpartition(":")
    return pooch.file_hash(str(path), alg=algorithm or "sha256") == digest.lower()


def dataset_file(
    dataset: str, name: str, mirrors: Sequence[str], known_hash: str, folder: Path, download: bool
) -> Path:
    """The checked file `folder/name` of `dataset`, downloaded from the first of `mirrors` (base URLs)
    that has it when `download` is True."""
    if download:
        return fetch(name, [mirror + name for mirror in mirrors], known_hash, folder)
    path = folder / name
    if not path.exists():
        raise FileNotFoundError(
            f"{dataset}: {name} is not in {folder}. Pass download=True to download it there, "
            "or subset='small' to use the small subset that comes with minidl, without any download."
        )
    if not _checksum_matches(path, known_hash):
        raise ValueError(
            f"{dataset}: {path} is damaged: its checksum is not {known_hash}. "
            "Delete it, or pass download=True to download it again."
        )
    return path


def bundled_split(file_name: str, sha256: str, train: bool) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(images, labels) of the training or test part of a subset shipped in minidl/datasets/bundled."""
    path = BUNDLED_FOLDER / file_name
    if not _checksum_matches(path, "sha256:" + sha256):
        raise ValueError(f"{path} is damaged: its SHA-256 is not {sha256}; reinstall minidl")
    part = "train" if train else "test"
    with numpy.load(path, allow_pickle=False) as arrays:
        return arrays[f"x_{part}"], arrays[f"y_{part}"]
