"""check_setup(): is everything the course uses here and working? Each item says how to fix it if not.

    from widgets import check_setup
    report = check_setup()       # a table in JupyterLab, text elsewhere
    report.ok                    # True when everything the chapters need works
    report["dot"].fix            # the command that installs what is missing

The checks run real things where they can (a tensor, an op and a gradient; `dot -V` and a tiny
graph drawn), and only read package versions where running would need a browser. The widget
front-end lives in the browser, so `hello_widget()` shows a small live widget to look at.
"""

from __future__ import annotations

import html
import importlib.metadata
import importlib.util
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy

import minidl

__all__ = ["Item", "SetupReport", "check_setup", "hello_widget"]

INSTALL_DOT = ("sudo apt-get install graphviz  (Debian, Ubuntu)  |  brew install graphviz  (macOS)  |  "
               "conda install -c conda-forge graphviz  (conda). `pip install graphviz` is not enough: it is "
               "only the Python wrapper, not the dot program.")
RESTART = "restart JupyterLab and reload the browser page (the front-end is loaded when JupyterLab starts)."
INSTALL_LAB = f'pip install "minidl[lab]" (in the minidl folder: pip install -e ".[lab]" or make lab), then {RESTART}'

INSTALL_CUPY = ("Only on a machine with an NVIDIA GPU: pip install cupy-cuda12x (CUDA 12.x; `nvidia-smi` shows "
                "your CUDA version; cupy-cuda11x for CUDA 11.x). Not needed for this course's chapters.")


@dataclass
class Item:
    """One thing checked: `ok` when it works; `required` ones must work for the chapters to run."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "needs a fix" if self.required else "optional, not available"

    @property
    def mark(self) -> str:
        return "✓" if self.ok else ("✗" if self.required else "–")


class SetupReport:
    """The items checked, shown as a table (HTML in JupyterLab, text elsewhere)."""

    def __init__(self, items: list[tuple[str, Item]]):
        self.items = dict(items)

    def __getitem__(self, key: str) -> Item:
        return self.items[key]

    @property
    def ok(self) -> bool:
        """True when every required item works (the GPU is optional)."""
        return all(item.ok or not item.required for item in self.items.values())

    @property
    def summary(self) -> str:
        if self.ok:
            return "Everything the chapters need is here."
        broken = ", ".join(item.name for item in self.items.values() if item.required and not item.ok)
        return f"Fix these before going on: {broken}."

    def __repr__(self) -> str:
        width = max(len(item.name) for item in self.items.values())
        lines = [f"minidl setup check: {self.summary}"]
        for item in self.items.values():
            lines.append(f"  {item.mark} {item.name:<{width}}  {item.detail}")
            if item.fix and not item.ok:
                lines.append(f"    {'':<{width}}  fix: {item.fix}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colors = {"ok": "#2e7d32", "needs a fix": "#c62828", "optional, not available": "#6d6d6d"}
        rows = []
        for item in self.items.values():
            fix = f"<br><b>fix:</b> <code>{html.escape(item.fix)}</code>" if item.fix and not item.ok else ""
            rows.append(
                f'<tr><td style="text-align:left">{html.escape(item.name)}</td>'
                f'<td style="text-align:left;color:{colors[item.status]};white-space:nowrap">'
                f"{item.mark} {item.status}</td>"
                f'<td style="text-align:left">{html.escape(item.detail)}{fix}</td></tr>'
            )
        header = "".join(f'<th style="text-align:left">{title}</th>' for title in ("item", "status", "detail / fix"))
        return (f"<p><b>minidl setup check:</b> {html.escape(self.summary)}</p>"
                f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def check_setup() -> SetupReport:
    """Check minidl, its NumPy and GPU backends, graphviz's dot, the widget packages and matplotlib."""
    return SetupReport([
        ("minidl", check_minidl()),
        ("numpy", check_numpy_backend()),
        ("gpu", check_gpu()),
        ("dot", check_dot()),
        ("widgets", check_widget_packages()),
        ("matplotlib", check_matplotlib()),
    ])


def version_of(distribution: str) -> str | None:
    """The installed version of a package (by its pip name), or None when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def major(version: str) -> int:
    """3 for '3.0.17', 8 for '8.1.9', 0 when there is no leading number."""
    digits = version.split(".")[0]
    return int(digits) if digits.isdigit() else 0


def check_minidl() -> Item:
    folder = Path(minidl.__file__).resolve().parent.parent
    return Item("minidl", True, f"minidl {minidl.__version__} from {folder}, Python {platform.python_version()}")


def check_numpy_backend() -> Item:
    """Run a tensor, an op and a gradient on the CPU: d/dx sum(x^2) = 2x."""
    name, fix = "NumPy backend (CPU)", "pip install -e . (in the minidl folder), then restart the kernel"
    try:
        x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        grad = x.grad.numpy()
    except Exception as error:  # whatever breaks here is what the report is for
        return Item(name, False, f"computing a gradient failed: {type(error).__name__}: {error}", fix)
    if not numpy.allclose(grad, [2.0, 4.0, 6.0]):
        return Item(name, False, f"the gradient of sum(x^2) at x = [1, 2, 3] came out {grad}, not [2, 4, 6]", fix)
    return Item(name, True, f"NumPy {numpy.__version__}: a tensor, an op and its gradient computed on the CPU")


def check_gpu() -> Item:
    """minidl runs on an NVIDIA GPU through CuPy; say why not when it does not."""
    name = "GPU (CuPy)"
    if minidl.cuda.is_available():
        count = minidl.cuda.device_count()
        return Item(name, True, f"CuPy sees {count} GPU{'s' if count != 1 else ''}: tensor.to('cuda') works",
                    required=False)
    if importlib.util.find_spec("cupy") is None:
        why = "CuPy is not installed"
        if shutil.which("nvidia-smi") is None:
            why += ", and this machine shows no NVIDIA driver (no nvidia-smi)"
    else:
        why = f"CuPy is installed but cannot use a GPU ({_cupy_error()})"
    return Item(name, False, f"{why}; every chapter runs on the CPU with NumPy", fix=INSTALL_CUPY, required=False)


def _cupy_error() -> str:
    try:
        import cupy

        cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # the driver's own words say best what is wrong
        return f"{type(error).__name__}: {error}"[:200]
    return "no error from CuPy; restart the kernel"


def check_dot() -> Item:
    """graphviz's dot draws the computation graphs: is it on the PATH, and does it draw?"""
    name = "graphviz dot"
    if shutil.which("dot") is None:
        return Item(name, False, "the dot program is not on the PATH; GraphView then lists graphs as tables",
                    fix=INSTALL_DOT)
    try:
        version = subprocess.run(["dot", "-V"], capture_output=True, text=True, timeout=20)
        drawn = subprocess.run(["dot", "-Tsvg"], input="digraph { x -> y }", capture_output=True, text=True,
                               timeout=20)
    except (OSError, subprocess.SubprocessError) as error:
        return Item(name, False, f"dot is there but does not run: {type(error).__name__}: {error}", fix=INSTALL_DOT)
    said = (version.stderr or version.stdout).strip()  # dot -V prints to stderr
    if version.returncode != 0 or drawn.returncode != 0 or "<svg" not in drawn.stdout:
        problem = (drawn.stderr or version.stderr).strip()[:200]
        return Item(name, False, f"dot runs but cannot draw a graph as SVG: {problem}",
                    fix="run `dot -c` (as root, or with sudo) to register graphviz's plugins; else reinstall: "
                        + INSTALL_DOT)
    return Item(name, True, f"{said}; draws SVG")


def check_widget_packages() -> Item:
    """ipywidgets 8 with its JupyterLab front-end (jupyterlab_widgets 3) and anywidget."""
    name = "widgets (Python side)"
    versions = {package: version_of(package) for package in ("ipywidgets", "jupyterlab_widgets", "anywidget")}
    found = ", ".join(f"{package} {version or 'missing'}" for package, version in versions.items())
    missing = [package for package, version in versions.items() if version is None]
    if missing:
        return Item(name, False, f"{found}: {' and '.join(missing)} not installed", fix=INSTALL_LAB)
    if major(versions["ipywidgets"]) != 8:
        return Item(name, False, f"{found}: the widgets need ipywidgets 8",
                    fix=f'pip install -U "ipywidgets>=8,<9" "jupyterlab_widgets>=3,<4", then {RESTART}')
    if major(versions["jupyterlab_widgets"]) != 3:
        return Item(name, False, f"{found}: ipywidgets 8 goes with jupyterlab_widgets 3 (its front-end)",
                    fix=f'pip install -U "jupyterlab_widgets>=3,<4", then {RESTART}')
    if tuple(int(part) for part in versions["anywidget"].split(".")[:2] if part.isdigit()) < (0, 9):
        return Item(name, False, f"{found}: the graph view needs anywidget 0.9 or newer",
                    fix=f'pip install -U "anywidget>=0.9", then {RESTART}')
    return Item(name, True, f"{found}: versions that go together (the live test is hello_widget())")


def check_matplotlib() -> Item:
    version = version_of("matplotlib")
    if version is None:
        return Item("matplotlib", False, "matplotlib is not installed: the chapters draw their figures with it",
                    fix=INSTALL_LAB)
    return Item("matplotlib", True, f"matplotlib {version}")


def hello_widget():
    """A tiny live widget: a slider the kernel answers, and a button made with anywidget.

    Seeing both, and the text change when you move the slider or click, means the widget
    front-end works in this JupyterLab.
    """
    import anywidget
    import ipywidgets as ipw
    import traitlets

    class ClickCounter(anywidget.AnyWidget):
        _esm = """
        function render({ model, el }) {
          const button = document.createElement("button");
          button.style.marginRight = "8px";
          const show = () => {
            const clicks = model.get("clicks");
            button.textContent = `anywidget works: clicked ${clicks} time${clicks === 1 ? "" : "s"}`;
          };
          button.addEventListener("click", () => {
            model.set("clicks", model.get("clicks") + 1);
            model.save_changes();
          });
          model.on("change:clicks", show);
          show();
          el.appendChild(button);
        }
        export default { render };
        """
        clicks = traitlets.Int(0).tag(sync=True)

    slider = ipw.IntSlider(3, min=0, max=10, description="x")
    answer = ipw.Label()
    button = ClickCounter()
    heard = ipw.Label("the kernel has heard no click yet")

    def show_square(change=None):
        answer.value = f"the kernel computed x² = {slider.value ** 2}"

    def show_clicks(change):
        heard.value = f"the kernel has heard {change['new']} click{'s' if change['new'] != 1 else ''}"

    slider.observe(show_square, "value")
    button.observe(show_clicks, "clicks")
    show_square()
    return ipw.VBox([ipw.HBox([slider, answer]), ipw.HBox([button, heard])])
