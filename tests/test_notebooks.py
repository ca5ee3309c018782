"""The chapters' form: text twins in sync, exercises with checkers that tell a solution from a stub.

Running the notebooks and comparing their stored outputs is nbval's job (`make test` runs
`pytest --nbval notebooks/`); here each exercise is checked on its own: the chapter's first
code cell (its imports) runs, then a solution cell and the `check_...` cell after it.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from make_student import student_notebook, student_source  # noqa: E402

CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REQUIRED = ["00_welcome", "01_tensors_and_dataflow", "02_computation_graphs", "03_autodiff_and_backprop",
            "04_modules_and_mlps", "05_optimizers", "06_cnns"]


def code_cells(path: Path) -> list[str]:
    return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def exercises(path: Path) -> list[tuple[str, str]]:
    """(solution cell, check cell) pairs: a cell with a solution block and the code cell after it."""
    cells = code_cells(path)
    return [(cell, cells[i + 1]) for i, cell in enumerate(cells) if "# BEGIN SOLUTION" in cell]


EXERCISES = [pytest.param(path, solution, check, id=f"{path.stem[:2]}-{n}")
             for path in CHAPTERS for n, (solution, check) in enumerate(exercises(path))]


def test_every_chapter_is_there():
    assert [path.stem for path in CHAPTERS][: len(REQUIRED)] == REQUIRED


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_text_twin_has_the_same_cells(path):
    twin = jupytext.read(path.with_suffix(".py"))
    notebook = nbformat.read(path, as_version=4)
    assert [(c.cell_type, c.source) for c in twin.cells] == [(c.cell_type, c.source) for c in notebook.cells], (
        f"{path.with_suffix('.py').name} differs from {path.name}: run `python tools/run_notebooks.py {path}`")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_ends_with_three_checked_exercises(path):
    found = exercises(path)
    assert len(found) >= 3
    for _, check in found:
        assert re.fullmatch(r"check_\w+\([^\n]*\)\s*", check), f"a solution cell must be followed by a check: {check!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_uses_minidl_not_other_frameworks(path):
    for source in code_cells(path):
        assert not re.search(r"^\s*(import|from)\s+(torch|tensorflow|keras|jax)\b", source, re.MULTILINE)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_version_keeps_the_task_and_drops_the_solution(path):
    student = student_notebook(nbformat.read(path, as_version=4))
    sources = [cell.source for cell in student.cells if cell.cell_type == "code"]
    assert not any("SOLUTION" in source for source in sources)
    assert sum("raise NotImplementedError()" in source for source in sources) == len(exercises(path))
    for source in sources:
        ast.parse(source)  # every stubbed cell is still valid Python
    for cell in student.cells:
        if cell.cell_type == "code" and "YOUR CODE HERE" in cell.source:
            assert cell.outputs == []


def run_exercise(path: Path, solution: str, check: str):
    """The Feedback of the check cell after running the chapter's imports and `solution`."""
    namespace: dict = {}
    exec(compile(code_cells(path)[0], f"{path.name}[imports]", "exec"), namespace)
    exec(compile(solution, f"{path.name}[solution]", "exec"), namespace)
    return eval(compile(check, f"{path.name}[check]", "eval"), namespace)


@pytest.mark.parametrize("path, solution, check", EXERCISES)
def test_checker_accepts_the_reference_solution(path, solution, check):
    feedback = run_exercise(path, solution, check)
    assert feedback.passed, repr(feedback)


@pytest.mark.parametrize("path, solution, check", EXERCISES)
def test_checker_says_the_stub_is_not_done(path, solution, check):
    feedback = run_exercise(path, student_source(solution), check)
    assert not feedback.passed and feedback.todo, repr(feedback)
    assert "not done yet" in repr(feedback)
