"""check_setup: each item reports what works, and what is missing comes with the command that fixes it."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

import minidl  # noqa: E402
from widgets import check_setup, setup_check  # noqa: E402

KEYS = ["minidl", "numpy", "gpu", "dot", "widgets", "matplotlib"]


def test_every_item_is_reported_in_text_and_html():
    report = check_setup()
    assert list(report.items) == KEYS
    text, page = repr(report), report._repr_html_()
    for key in KEYS:
        assert report[key].name in text
        assert report[key].name in page
    assert "minidl setup check" in text and "<table>" in page


def test_the_numpy_backend_really_computes_a_gradient():
    item = check_setup()["numpy"]
    assert item.ok and item.required
    assert "NumPy" in item.detail


def test_a_broken_backend_is_reported_not_raised(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no BLAS")

    monkeypatch.setattr(minidl, "tensor", broken)
    report = check_setup()
    assert not report["numpy"].ok and not report.ok
    assert "RuntimeError: no BLAS" in report["numpy"].detail
    assert "NumPy backend" in report.summary


def test_dot_missing_from_the_path_gives_the_install_commands(monkeypatch):
    monkeypatch.setenv("PATH", "")
    report = check_setup()
    dot = report["dot"]
    assert not dot.ok and dot.required and not report.ok
    for command in ("apt-get install graphviz", "brew install graphviz", "conda install -c conda-forge graphviz"):
        assert command in dot.fix
        assert command in repr(report)
    assert "needs a fix" in report._repr_html_()


def test_dot_that_cannot_draw_is_reported(monkeypatch):
    def fake_run(command, **kwargs):
        if command == ["dot", "-V"]:
            return subprocess.CompletedProcess(command, 0, "", "dot - graphviz version 2.43.0 (0)")
        return subprocess.CompletedProcess(command, 1, "", 'Format: "svg" not recognized. Use one of:')

    monkeypatch.setattr(shutil, "which", lambda program: f"/usr/bin/{program}")
    monkeypatch.setattr(subprocess, "run", fake_run)
    dot = setup_check.check_dot()
    assert not dot.ok
    assert "not recognized" in dot.detail
    assert "dot -c" in dot.fix


def test_dot_that_hangs_is_reported(monkeypatch):
    def hang(command, **kwargs):
        raise subprocess.TimeoutExpired(command, kwargs.get("timeout"))

    monkeypatch.setattr(shutil, "which", lambda program: f"/usr/bin/{program}")
    monkeypatch.setattr(subprocess, "run", hang)
    dot = setup_check.check_dot()
    assert not dot.ok and "TimeoutExpired" in dot.detail


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_dot_found_reports_its_version():
    dot = check_setup()["dot"]
    assert dot.ok and "graphviz version" in dot.detail


def test_no_gpu_is_optional_and_says_how_to_get_one(monkeypatch):
    monkeypatch.setattr(minidl.cuda, "is_available", lambda: False)
    monkeypatch.setattr(setup_check.importlib.util, "find_spec", lambda name: None)
    report = check_setup()
    gpu = report["gpu"]
    assert not gpu.ok and not gpu.required
    assert "CuPy is not installed" in gpu.detail
    assert "pip install cupy-cuda12x" in gpu.fix
    assert gpu.status == "optional, not available"
    assert report.ok == all(report[key].ok for key in KEYS if key != "gpu")


def test_a_gpu_is_reported_with_its_count(monkeypatch):
    monkeypatch.setattr(minidl.cuda, "is_available", lambda: True)
    monkeypatch.setattr(minidl.cuda, "device_count", lambda: 2)
    gpu = check_setup()["gpu"]
    assert gpu.ok and "2 GPUs" in gpu.detail


def fake_versions(monkeypatch, **versions):
    """Pretend these packages have these versions (None: not installed); others as they are."""
    real = importlib.metadata.version

    def version(name):
        if name in versions:
            if versions[name] is None:
                raise importlib.metadata.PackageNotFoundError(name)
            return versions[name]
        return real(name)

    monkeypatch.setattr(importlib.metadata, "version", version)


def test_widget_front_end_missing(monkeypatch):
    fake_versions(monkeypatch, ipywidgets="8.1.5", jupyterlab_widgets=None, anywidget="0.9.13")
    report = check_setup()
    widgets = report["widgets"]
    assert not widgets.ok and not report.ok
    assert "jupyterlab_widgets missing" in widgets.detail
    assert 'pip install "minidl[lab]"' in widgets.fix and "restart JupyterLab" in widgets.fix


def test_ipywidgets_7_is_too_old(monkeypatch):
    fake_versions(monkeypatch, ipywidgets="7.8.1", jupyterlab_widgets="1.1.7", anywidget="0.9.13")
    widgets = check_setup()["widgets"]
    assert not widgets.ok and "ipywidgets 8" in widgets.detail
    assert '"ipywidgets>=8,<9"' in widgets.fix


def test_front_end_of_another_major_version(monkeypatch):
    fake_versions(monkeypatch, ipywidgets="8.1.5", jupyterlab_widgets="1.1.7", anywidget="0.9.13")
    widgets = check_setup()["widgets"]
    assert not widgets.ok and "jupyterlab_widgets 3" in widgets.detail
    assert '"jupyterlab_widgets>=3,<4"' in widgets.fix


def test_old_anywidget(monkeypatch):
    fake_versions(monkeypatch, ipywidgets="8.1.5", jupyterlab_widgets="3.0.13", anywidget="0.6.5")
    widgets = check_setup()["widgets"]
    assert not widgets.ok and '"anywidget>=0.9"' in widgets.fix


def test_matching_widget_versions_pass(monkeypatch):
    fake_versions(monkeypatch, ipywidgets="8.1.5", jupyterlab_widgets="3.0.13", anywidget="0.10.0")
    assert check_setup()["widgets"].ok


def test_matplotlib_missing(monkeypatch):
    fake_versions(monkeypatch, matplotlib=None)
    item = check_setup()["matplotlib"]
    assert not item.ok and "minidl[lab]" in item.fix


def test_hello_widget_answers_from_the_kernel():
    box = setup_check.hello_widget()
    (slider, answer), (button, heard) = (row.children for row in box.children)
    assert answer.value == "the kernel computed x² = 9"
    slider.value = 7
    assert answer.value == "the kernel computed x² = 49"
    button.clicks = 2
    assert heard.value == "the kernel has heard 2 clicks"
