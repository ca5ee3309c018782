"""Widgets for JupyterLab that show what minidl does: a computation-graph view that steps
through backprop, live training curves and playgrounds. They read minidl's objects (a
Tensor's graph via `minidl.walk`, backward steps via `backward(hook=...)`) and only draw them;
minidl itself never imports this package."""
