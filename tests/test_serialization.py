"""minidl.save / minidl.load: round trips, atomic writes, no pickle, clear errors."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

import minidl
import minidl.nn as nn


def _model():
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def test_a_model_state_dict_round_trips_exactly(tmp_path):
    minidl.manual_seed(0)
    model, fresh = _model(), _model()
    model(minidl.randn(5, 4))  # moves batch norm's running statistics off their defaults
    minidl.save(model.state_dict(), tmp_path / "model.npz")
    fresh.load_state_dict(minidl.load(tmp_path / "model.npz"))
    for (name, saved), (_, loaded) in zip(model.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(saved.numpy(), loaded.numpy(), err_msg=name)
        assert saved.dtype == loaded.dtype
    x = minidl.randn(2, 4)
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(model(x).numpy(), fresh(x).numpy())


def test_nested_structures_keep_their_types(tmp_path):
    obj = {"epoch": 3, "lr": 0.5, "name": "run", "flags": [True, None], "shape": (2, 3),
           1: {"t": minidl.tensor([1.0, 2.0], requires_grad=True), "a": np.arange(4, dtype=np.int16)}}
    minidl.save(obj, tmp_path / "x.npz")
    back = minidl.load(tmp_path / "x.npz")
    assert back["epoch"] == 3 and back["lr"] == 0.5 and back["name"] == "run"
    assert back["flags"] == [True, None] and back["shape"] == (2, 3)
    assert isinstance(back[1]["t"], minidl.Tensor) and back[1]["t"].requires_grad
    assert back[1]["a"].dtype == np.int16 and back[1]["a"].tolist() == [0, 1, 2, 3]


def test_objects_that_need_pickle_are_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(TypeError, match=r"save: obj\['f'\] is a function"):
        minidl.save({"f": lambda: 0}, tmp_path / "bad.npz")
    assert list(tmp_path.iterdir()) == []


def test_the_file_holds_no_pickle(tmp_path):
    minidl.save(_model().state_dict(), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:  # would raise on any object array
        assert all(archive[name].dtype != object for name in archive.files)


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    minidl.save({"v": minidl.tensor([1.0])}, path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("minidl.serialization.os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        minidl.save({"v": minidl.tensor([2.0])}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ck.npz"]  # no temporary file left behind


def test_a_truncated_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "ck.npz"
    minidl.save(_model().state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a complete minidl checkpoint"):
        minidl.load(path)


def test_an_npz_that_is_not_a_checkpoint_is_refused(tmp_path):
    np.savez(tmp_path / "plain.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not a minidl checkpoint"):
        minidl.load(tmp_path / "plain.npz")
    with zipfile.ZipFile(tmp_path / "plain.npz") as archive:
        assert "x.npy" in archive.namelist()


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        minidl.load(tmp_path / "nothing.npz")
