"""Execute chapter notebooks in a fresh kernel, store their outputs, and rewrite their text twins.

    python tools/run_notebooks.py                      # every notebooks/NN_*.ipynb
    python tools/run_notebooks.py notebooks/03_autodiff_and_backprop.py

A chapter is edited in either form: whichever of NN_name.ipynb and NN_name.py (py:percent) is
newer gives the cells. The executed notebook is written back (outputs, no timings or widget
state, stable cell ids) and the twin rewritten from it, so the two never drift. Prints each
chapter's wall time; exits non-zero when a cell fails.
"""

import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def read_newer(stem: Path) -> nbformat.NotebookNode:
    """The chapter's cells from whichever of its two files was edited last."""
    notebook, twin = stem.with_suffix(".ipynb"), stem.with_suffix(".py")
    if notebook.exists() and (not twin.exists() or notebook.stat().st_mtime >= twin.stat().st_mtime):
        return nbformat.read(notebook, as_version=4)
    return jupytext.read(twin)


def execute(stem: Path) -> float:
    """Run one chapter top to bottom in a fresh kernel; write both files; return seconds taken."""
    nb = read_newer(stem)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{stem.name[:2]}-{index:03d}"  # stable ids keep diffs to real changes
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                            store_widget_state=False, resources={"metadata": {"path": str(stem.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        seconds = time.perf_counter() - start
        nbformat.write(nb, stem.with_suffix(".ipynb"))
        jupytext.write(nb, stem.with_suffix(".py"), fmt="py:percent")
    return seconds


def main(paths: list[str]) -> int:
    stems = [Path(p).resolve().with_suffix("") for p in paths] or sorted(
        p.with_suffix("") for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    failed = False
    for stem in stems:
        try:
            print(f"{stem.name}: {execute(stem):.1f} s", flush=True)
        except CellExecutionError as error:
            failed = True
            print(f"{stem.name}: FAILED\n{error}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
