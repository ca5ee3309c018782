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
from collections.abc import Iterable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

__all__ = ["BlitFigure", "StaticPicture", "png_of_figure"]


def png_of_figure(figure, dpi: int = 80) -> bytes:
    """A matplotlib figure as PNG bytes: drawn by Agg (no GUI, no `bbox_inches`) at `dpi`, and
    compressed lightly (level 1), which takes a fraction of the default's time for a slightly bigger file."""
    figure.set_dpi(dpi)
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    canvas.draw()
    return _png(canvas)


def _png(canvas) -> bytes:
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=1)
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

    @property
    def displayed(self) -> bool:
        """Whether the widget has been displayed in an output at least once."""
        return bool(self.__dict__.get("_picture_handles"))

    def refresh_picture(self) -> None:
        """Put the current look, as PNG, in every output where this widget was displayed."""
        handles = self.__dict__.get("_picture_handles", [])
        if handles:
            bundle = self._bundle()
            for handle in handles:
                handle.update(bundle, raw=True)


class BlitFigure:
    """A matplotlib figure drawn in two layers: a background rendered once, and animated artists over it.

    Artists made with `animated=True` are left out of the background; `frame()` pastes the
    background back and draws only them, which is several times faster than a full draw.
    """

    def __init__(self, figure):
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.background = None

    def render_background(self) -> None:
        """Draw everything that is not animated, and keep the bitmap."""
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    def frame(self, artists: Iterable) -> bytes:
        """PNG bytes of the background with `artists` drawn on top (fast PNG: compression level 1)."""
        self.canvas.restore_region(self.background)
        for artist in artists:
            self.figure.draw_artist(artist)
        return _png(self.canvas)
