"""Widgets for JupyterLab that show what minidl does: a computation-graph view that steps
through backprop, live training curves and playgrounds. They read minidl's objects (a
Tensor's graph via `minidl.walk`, backward steps via the engine's backward hook, a traced
`minidl.graph.Graph`, the optimizers of `minidl.optim`) and only draw them; minidl itself
never imports this package. Each widget also leaves a PNG in the saved notebook."""

import importlib

_HOMES = {
    "ConvExplorer": "widgets.conv_explorer",
    "GraphView": "widgets.graph_view",
    "NetworkPlayground": "widgets.network_playground",
    "OptimizerPlayground": "widgets.optimizer_playground",
    "TrainingCurves": "widgets.curves",
    "check_setup": "widgets.setup_check",
}
__all__ = list(_HOMES)


def __getattr__(name: str):
    """Import a widget's module when the widget is first asked for, so that `check_setup` can
    still run, and say what is missing, where ipywidgets or matplotlib is not installed."""
    if name not in _HOMES:
        raise AttributeError(f"module 'widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
