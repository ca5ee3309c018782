"""Widgets for JupyterLab that show what minidl does: a computation-graph view that steps
through backprop, live training curves and playgrounds. They read minidl's objects (a
Tensor's graph via `minidl.walk`, backward steps via the engine's backward hook, a traced
`minidl.graph.Graph`, the optimizers of `minidl.optim`) and only draw them; minidl itself
never imports this package. Each widget also leaves a PNG in the saved notebook."""

from widgets.conv_explorer import ConvExplorer
from widgets.curves import TrainingCurves
from widgets.graph_view import GraphView
from widgets.network_playground import NetworkPlayground
from widgets.optimizer_playground import OptimizerPlayground
from widgets.setup_check import check_setup

__all__ = ["ConvExplorer", "GraphView", "NetworkPlayground", "OptimizerPlayground", "TrainingCurves", "check_setup"]
