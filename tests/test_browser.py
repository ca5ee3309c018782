"""The widgets in a real JupyterLab and headless Chromium: their DOM appears, nothing errs.

Uses the recipe's helper (../shared/recipes/lab_screenshot.py); skips without it, without
Chromium or without Playwright. The screenshot lands in the test's temporary folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

RECIPES = Path(__file__).resolve().parents[2] / "shared" / "recipes"
NOTEBOOK = Path(__file__).resolve().parent / "browser" / "widgets.ipynb"

pytest.importorskip("playwright")
pytest.importorskip("jupyterlab")
if not (RECIPES / "lab_screenshot.py").exists():
    pytest.skip("../shared/recipes/lab_screenshot.py is not here", allow_module_level=True)
sys.path.insert(0, str(RECIPES))
from lab_screenshot import CHROMIUM, run_in_lab  # noqa: E402

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


def test_every_widget_renders_in_jupyterlab(tmp_path):
    result = run_in_lab(NOTEBOOK, tmp_path / "widgets.png", timeout=240, expect=[
        ".mdl-graph svg g.node",  # GraphView: the SVG dot drew, with its nodes
        ".mdl-graph-view .widget-slider",  # its step slider
        ".mdl-graph .mdl-active",  # the current step highlighted by the browser-side code
        "img.widget-image",  # the playgrounds' (and curves') pictures
    ])
    assert result.ok, result.summary()
    assert result.widget_views >= 5
    assert (tmp_path / "widgets.png").stat().st_size > 10_000
