"""Write the learners' notebooks: each reference solution replaced by a stub to fill in.

    python tools/make_student.py                  # notebooks/NN_*.ipynb -> build/student/

In a source notebook a solution sits between `# BEGIN SOLUTION` and `# END SOLUTION` lines
(nbgrader's convention), after comments that state the task. Those lines become
`# YOUR CODE HERE` and `raise NotImplementedError()`, indented as the solution was. The outputs
of solution cells and of the `check_...` cells after them are cleared, since they show the
reference solution at work.
"""

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = re.compile(r"^([ \t]*)# BEGIN SOLUTION\n.*?^[ \t]*# END SOLUTION[ \t]*$", re.MULTILINE | re.DOTALL)
STUB = r"\1# YOUR CODE HERE\n\1raise NotImplementedError()"


def student_source(source: str) -> str:
    """The cell with every solution block replaced by a stub."""
    return SOLUTION.sub(STUB, source)


def student_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of the notebook with solutions stubbed and their outputs cleared."""
    notebook = nbformat.from_dict(notebook)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        stubbed = student_source(cell.source)
        if stubbed != cell.source or re.search(r"^check_\w+\(", cell.source, re.MULTILINE):
            cell.source, cell.outputs, cell.execution_count = stubbed, [], None
    return notebook


def main(out: Path = ROOT / "build" / "student") -> None:
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nbformat.write(student_notebook(nbformat.read(path, as_version=4)), out / path.name)
        print(f"wrote {out / path.name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "student")
