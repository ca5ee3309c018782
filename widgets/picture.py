"""The static picture every widget leaves in the saved notebook.

A live widget is drawn by JupyterLab from the kernel's state; when the notebook is reopened
without a kernel, on GitHub or nbviewer, or compared by nbval, that state is gone. So each
widget is displayed as a bundle that carries, beside the live view, a PNG of what it shows
and a constant text line (nbval compares text, never images). `refresh_picture()` replaces
the PNG in every place the widget was displayed (e.g. the final training curves).
"""

from __future__ import annotations

import base64
import io

__all__ = ["StaticPicture", "png_of_figure"]


def png_of_figure(figure, dpi: int = 80) -> bytes:
    """A matplotlib figure as PNG bytes, drawn with Agg (no GUI, no `bbox_inches`: faster)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class StaticPicture:
    """Mixin for an ipywidgets widget: display it with a PNG and a constant text beside it.

    Subclasses give `picture()` (PNG bytes of their current look) and `text` (one line that
    does not change while the widget lives, e.g. "<TrainingCurves: loss, accuracy>").
    """

    text = "<widget>"

    def picture(self) -> bytes | None:
        """PNG bytes of the widget's current look (None when it cannot be drawn: no PNG then)."""
        raise NotImplementedError(f"{type(self).__name__} does not say how it looks as a picture (picture)")

    def _bundle(self) -> dict:
        bundle = {"text/plain": self.text}
        png = self.picture()
        if png is not None:
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        model_id = getattr(self, "model_id", None)
        if model_id:
            bundle["application/vnd.jupyter.widget-view+json"] = {
                "version_major": 2, "version_minor": 0, "model_id": model_id,
            }
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        handle = display(self._bundle(), raw=True, display_id=True)
        self.__dict__.setdefault("_picture_handles", []).append(handle)

    def refresh_picture(self) -> None:
        """Put the current look, as PNG, in every output where this widget was displayed."""
        handles = self.__dict__.get("_picture_handles", [])
        if handles:
            bundle = self._bundle()
            for handle in handles:
                handle.update(bundle, raw=True)
