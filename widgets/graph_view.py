"""GraphView: draw a computation graph and step through forward evaluation, then backprop.

    GraphView(loss)                  a dynamic graph: the ops that made `loss`
    GraphView(graph)                 a traced minidl.graph.Graph
    GraphView(model, example)        a module, traced on an example input

`dot` lays the graph out once (as SVG); stepping only restyles nodes in the browser
(graph_view.js), linked to the slider and play button without a round trip to the kernel.
The side panel shows the active op's values, the gradient arriving at it and the gradients it
passes on; "check" puts a numerical gradient beside the engine's on every leaf.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import time
from pathlib import Path

import anywidget
import ipywidgets as ipw
import traitlets

import minidl
from minidl.graph import Graph
from widgets.graph_data import ViewGraph, numerical_grad, summary
from widgets.picture import StaticPicture

__all__ = ["GraphView", "INSTALL_DOT"]

INSTALL_DOT = (
    "GraphView draws with graphviz's `dot` program, which is not installed. Install it with one of: "
    "`sudo apt-get install graphviz` (Debian, Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz` (conda). Until then, here is the graph as a list."
)

# How each kind of node is drawn (graphviz attributes).
STYLE = {
    "op": 'shape=ellipse, style=filled, fillcolor="#ffffff"',
    "param": 'shape=record, style=filled, fillcolor="#fde9b5"',
    "input": 'shape=record, style=filled, fillcolor="#cfe8fc"',
    "constant": 'shape=record, style="filled,dashed", fillcolor="#eeeeee", fontsize=9',
    "value": 'shape=record, style=filled, fillcolor="#ffffff"',
    "output": 'shape=record, style=filled, fillcolor="#d5f5d5"',
    "module": 'shape=box3d, style=filled, fillcolor="#e8e0f8"',
}


class GraphCanvas(anywidget.AnyWidget):
    """The SVG, the steps (node id and phase) and the current step, synced with the browser."""

    _esm = Path(__file__).with_name("graph_view.js")
    _css = Path(__file__).with_name("graph_view.css")
    svg = traitlets.Unicode("").tag(sync=True)
    steps = traitlets.List().tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)


class GraphView(StaticPicture, ipw.VBox):
    """A computation graph, stepped through node by node in the engine's own order."""

    text = "<GraphView>"

    def __init__(self, source, example=None, *, names: dict | None = None, values: bool = False,
                 collapse=(), depth: int | None = None, interval: int = 700):
        self.graph = _view_graph(source, example, names)
        self.values = values
        self.collapsed = {scope for info in self.graph.ops.values() for scope in _prefixes(info["scope"])} \
            if collapse is True else set(collapse)
        self.depth, self.expanded = depth, set()
        self._checked = None
        self.selected_details = ""  # the side panel's part about the node last clicked
        self.has_dot = shutil.which("dot") is not None
        last = len(self.graph.steps) - 1
        self.slider = ipw.IntSlider(0, min=0, max=last, description="step", continuous_update=True,
                                    layout=ipw.Layout(width="420px"))
        self.play = ipw.Play(0, min=0, max=last, interval=interval, description="play")
        self.check = ipw.ToggleButton(False, description="check", tooltip="numerical gradients beside the engine's")
        self.panel = ipw.HTML(layout=ipw.Layout(width="360px"))
        ipw.jslink((self.play, "value"), (self.slider, "value"))
        if self.has_dot:
            self.canvas = GraphCanvas(layout=ipw.Layout(flex="1"))
            ipw.jslink((self.slider, "value"), (self.canvas, "step"))
            self.canvas.observe(self._on_select, "selected")
            view = self.canvas
        else:
            self.canvas, self.listing = None, ipw.HTML()
            view = ipw.VBox([ipw.HTML(f"<p><b>{html.escape(INSTALL_DOT)}</b></p>"), self.listing])
        self.slider.observe(lambda change: self._show_step(), "value")
        self.check.observe(lambda change: self._show_step(), "value")
        super().__init__([ipw.HBox([self.play, self.slider, self.check]), ipw.HBox([view, self.panel])])
        self.add_class("mdl-graph-view")
        self.layout_graph()

    # --- layout: run dot once per change of what is collapsed -------------------------------

    def group_of(self, scope: str) -> str | None:
        """The collapsed module a node of `scope` is drawn inside, or None when it is shown itself."""
        for level, prefix in enumerate(_prefixes(scope), start=1):
            hidden = prefix in self.collapsed or (self.depth is not None and level > self.depth)
            if hidden and prefix not in self.expanded:
                return prefix
        return None

    def dot_id(self, key: str) -> str:
        """The DOT/SVG id of an op or tensor, or of the module node that hides it."""
        info = self.graph.ops.get(key) or self.graph.tensors[key]
        group = self.group_of(info["scope"])
        return f"m_{group}" if group is not None else f"n_{key}"

    def dot_source(self, active: int | None = None) -> str:
        """Graphviz source: ops, tensors, collapsed modules; with `active`, the steps up to it filled in."""
        lines = ["digraph G {", 'rankdir=TB; node [fontname="Helvetica", fontsize=11];',
                 'edge [fontname="Helvetica", fontsize=8, color="#666666"];']
        clusters, drawn = {}, set()
        colours = self._step_colours(active)
        for key, info in [*self.graph.tensors.items(), *self.graph.ops.items()]:
            node = self.dot_id(key)
            if node in drawn:
                continue
            drawn.add(node)
            if node.startswith("m_"):
                label, style, scope = f"{node[2:]}", STYLE["module"], ""
            elif key in self.graph.ops:
                label, style, scope = info["label"], STYLE["op"], info["scope"]
            else:
                label, style, scope = self._tensor_label(key), STYLE[info["kind"]], info["scope"]
            fill = f', fillcolor="{colours[node]}"' if node in colours else ""
            clusters.setdefault(scope, []).append(f'"{node}" [id="{node}", label="{label}", {style}{fill}]')
        for scope, members in clusters.items():
            if scope:
                lines += [f'subgraph "cluster_{scope}" {{ label="{scope}"; style=rounded; color="#999999";',
                          *members, "}"]
            else:
                lines += members
        edges = {(self.dot_id(a), self.dot_id(b)): shape for a, b, shape in self.graph.edges}
        lines += [f'"{a}" -> "{b}" [label="{shape}"]' for (a, b), shape in edges.items() if a != b]
        lines.append("}")
        return "\n".join(lines)

    def layout_graph(self) -> None:
        """Lay the graph out with dot (once per layout change) and set the steps to highlight."""
        steps = [[self.dot_id(step.node), step.phase] for step in self.graph.steps]
        if self.canvas is None:
            self._show_step()
            return
        start = time.perf_counter()
        svg = _run_dot(self.dot_source(), "svg").decode("utf-8")
        self.layout_seconds = time.perf_counter() - start
        self.canvas.svg = svg[svg.index("<svg"):]
        self.canvas.steps = steps
        self._show_step()

    def _step_colours(self, active: int | None) -> dict:
        if active is None:
            return {}
        colours = {}
        for step in self.graph.steps[: active + 1]:
            colours[self.dot_id(step.node)] = "#dbeafe" if step.phase == "forward" else "#fde2e2"
        colours[self.dot_id(self.graph.steps[active].node)] = "#ffd54f"
        return colours

    def _tensor_label(self, key: str) -> str:
        info = self.graph.tensors[key]
        tensor = info["tensor"]
        fields = [info["name"], "x".join(map(str, tensor.shape)) or "scalar"]
        if self.values:
            fields += [f"data {summary(tensor.numpy(), small=4)}", f"grad {summary(self.graph.gradients.get(key), 4)}"]
        escaped = [_record_escape(f) for f in fields]
        return "{" + " | ".join(escaped) + "}"

    # --- stepping and the side panel ------------------------------------------------------

    def _show_step(self) -> None:
        index = self.slider.value
        step = self.graph.steps[index]
        op = self.graph.ops[step.node]
        where = f" in {html.escape(op['scope'])}" if op["scope"] else ""
        parts = [f"<b>step {index + 1} of {len(self.graph.steps)}: {step.phase}</b>",
                 f"<p><code>{html.escape(op['label'])}</code>{where}</p>"]
        if step.phase == "forward":
            parts.append(self._table("reads", [(k, self.graph.tensors[k]["tensor"].numpy()) for k in step.inputs]))
            parts.append(self._table("makes", [(k, self.graph.tensors[k]["tensor"].numpy()) for k in step.outputs]))
        else:
            arriving = [(k, None if g is None else g.numpy()) for k, g in step.outputs if k is not None]
            passed = [(k, None if g is None else g.numpy()) for k, g in step.inputs]
            parts.append(self._table("gradient arriving", arriving))
            parts.append(self._table("gradients passed on", passed))
        if self.check.value:
            parts.append(self._check_table())
        if self.selected_details:
            parts.append(self.selected_details)
        self.panel.value = "".join(parts)
        if self.canvas is None:
            self.listing.value = self._listing(index)

    def _table(self, title: str, rows) -> str:
        cells = "".join(f"<tr><td><code>{html.escape(self.graph.tensors[k]['name'])}</code></td>"
                        f"<td>{html.escape(summary(a))}</td></tr>" for k, a in rows)
        return f"<p>{title}:</p><table>{cells or '<tr><td>(none)</td></tr>'}</table>"

    def check_gradients(self) -> dict:
        """For each leaf: (elements checked, engine's gradient there, numerical gradient there)."""
        if self._checked is None:
            self._checked = {}
            for leaf in self.graph.leaves():
                analytic = self.graph.leaf_grads.get(leaf)
                if analytic is None:
                    continue
                indices, numerical = numerical_grad(self.graph, leaf)
                self._checked[leaf] = (indices, analytic.reshape(-1)[indices], numerical)
        return self._checked

    def _check_table(self) -> str:
        rows = []
        for leaf, (indices, analytic, numerical) in self.check_gradients().items():
            worst = float(abs(analytic - numerical).max()) if len(indices) else 0.0
            rows.append(f"<tr><td><code>{html.escape(self.graph.tensors[leaf]['name'])}</code></td>"
                        f"<td>{html.escape(summary(analytic, 3))}</td><td>{html.escape(summary(numerical, 3))}</td>"
                        f"<td>{worst:.1e}</td></tr>")
        return ("<p>check (float64 central differences; a sample of up to 64 elements per leaf):</p><table>"
                "<tr><th>leaf</th><th>engine</th><th>numerical</th><th>max diff</th></tr>"
                f"{''.join(rows)}</table>")

    def _on_select(self, change) -> None:
        node = change["new"]
        if node.startswith("m_"):  # a collapsed module: open it (dot runs again: the layout changes)
            self.expanded.add(node[2:])
            self.layout_graph()
            return
        key = node[2:]
        if key in self.graph.tensors:
            info = self.graph.tensors[key]
            grad = self.graph.gradients.get(key)
            self.selected_details = (f"<hr><p>selected <code>{html.escape(info['name'])}</code> ({info['kind']})</p>"
                                     f"<p>data: {html.escape(summary(info['tensor'].numpy()))}</p>"
                                     f"<p>grad: {html.escape(summary(grad))}</p>")
        elif key in self.graph.ops:
            function = self.graph.ops[key]["function"]
            saved = "".join(f"<li>{html.escape(k)}: {html.escape(summary(v) if hasattr(v, 'shape') else repr(v))}</li>"
                            for k, v in function.saved().items())
            self.selected_details = (f"<hr><p>selected op <code>{html.escape(function.label)}</code></p>"
                                     f"<p>kept for backward:</p><ul>{saved or '<li>nothing</li>'}</ul>")
        self._show_step()

    def _listing(self, index: int) -> str:
        """Without dot: the steps as a table, the current one highlighted."""
        rows = []
        for number, step in enumerate(self.graph.steps):
            op = self.graph.ops[step.node]
            style = ' style="background:#ffd54f"' if number == index else ""
            names = ", ".join(self.graph.tensors[k]["name"] for k in
                              (step.inputs if step.phase == "forward" else [k for k, _ in step.inputs]))
            rows.append(f"<tr{style}><td>{number + 1}</td><td>{step.phase}</td><td>{html.escape(op['label'])}</td>"
                        f"<td>{html.escape(op['scope'])}</td><td>{html.escape(names)}</td></tr>")
        return ("<table><tr><th>#</th><th>phase</th><th>op</th><th>module</th><th>tensors</th></tr>"
                f"{''.join(rows)}</table>")

    # --- the static picture ---------------------------------------------------------------

    def picture(self) -> bytes | None:
        """The graph as PNG, with the steps up to the current one coloured (None without dot)."""
        return _run_dot(self.dot_source(active=self.slider.value), "png") if self.has_dot else None


def _view_graph(source, example, names) -> ViewGraph:
    if isinstance(source, Graph):
        return ViewGraph.from_graph(source)
    if isinstance(source, minidl.nn.Module):
        if example is None:
            raise TypeError("GraphView(model, example): a module needs an example input to run on")
        return ViewGraph.from_graph(minidl.graph.trace(source, example))
    if isinstance(source, minidl.Tensor):
        return ViewGraph.from_tensor(source, names)
    raise TypeError(f"GraphView: shows a Tensor, a traced Graph or a Module, got {type(source).__name__}")


def _run_dot(source: str, format: str) -> bytes:
    # A PNG at most 12 x 40 inches at 60 dpi: a big graph is scaled down rather than rasterized for seconds.
    size = ["-Gdpi=60", "-Gsize=12,40"] if format == "png" else []
    return subprocess.run(["dot", f"-T{format}", *size], input=source.encode(), capture_output=True,
                          check=True).stdout


def _prefixes(scope: str) -> list[str]:
    """"features.0.conv" -> ["features", "features.0", "features.0.conv"]; "" -> []."""
    parts = scope.split(".") if scope else []
    return [".".join(parts[: k + 1]) for k in range(len(parts))]


def _record_escape(text: str) -> str:
    for char in "\\{}|<>\"":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", " ")
