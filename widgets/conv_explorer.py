"""ConvExplorer: slide a kernel over an image and see where each output pixel comes from.

The output is computed by minidl's own `conv2d` (a cross-correlation, as in PyTorch) on minidl
tensors; the plain functions at the top (kernels, output size, the formula) are the data, and
the widget only draws them. The image and kernel are drawn once per setting; moving the
window slider redraws only the window and the marked output pixel over them (blitting).
"""

from __future__ import annotations

import math

import ipywidgets as ipw
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

import minidl
import minidl.nn.functional as F
from minidl import nn
from minidl.datasets import MNIST
from widgets.picture import BlitFigure, StaticPicture

__all__ = ["ConvExplorer", "convolve", "formula_text", "kernel_presets", "output_length"]


# --- kernels ---------------------------------------------------------------------------------

def identity_kernel(size: int) -> np.ndarray:
    """1 at the centre (just above and left of it when size is even), 0 elsewhere: output = input."""
    kernel = np.zeros((size, size))
    kernel[(size - 1) // 2, (size - 1) // 2] = 1.0
    return kernel


def box_blur(size: int) -> np.ndarray:
    """Every weight 1 / size²: the mean of the window."""
    return np.full((size, size), 1.0 / size**2)


def gaussian_blur(size: int) -> np.ndarray:
    """Binomial weights (a row of Pascal's triangle, e.g. 1 2 1), the discrete Gaussian, summing to 1."""
    row = np.array([math.comb(size - 1, i) for i in range(size)], dtype=float)
    return np.outer(row, row) / row.sum() ** 2


def sharpen(size: int) -> np.ndarray:
    """Unsharp masking, 2 * identity - Gaussian blur: the image plus its difference from a blurred copy."""
    return 2 * identity_kernel(size) - gaussian_blur(size)


# positive where brightness grows to the right, negative where it falls, 0 on flat areas
SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
# the neighbours minus 4 x the pixel: 0 on flat areas and on straight ramps, large at fine detail
LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def first_conv(model: nn.Module) -> tuple[str, nn.Conv2d] | None:
    """The first Conv2d among `model.modules()`, with its dotted path, or None."""
    return next(((path, module) for path, module in model.named_modules() if isinstance(module, nn.Conv2d)), None)


def kernel_presets(model: nn.Module | None = None) -> dict:
    """name -> a function of the kernel size (identity, blurs, sharpen) or a fixed k x k array.

    The learned kernels of `model`'s first Conv2d come last, one per output channel. With
    several input channels their sum is shown: on a grey image copied into every channel,
    that is exactly what the layer computes.
    """
    presets = {
        "identity": identity_kernel,
        "blur: box": box_blur,
        "blur: Gaussian": gaussian_blur,
        "sharpen": sharpen,
        "edge: Sobel x": SOBEL_X,
        "edge: Sobel y": SOBEL_X.T.copy(),
        "edge: Laplacian": LAPLACIAN,
    }
    found = first_conv(model) if model is not None else None
    if found is not None:
        path, conv = found
        if conv.kernel_size[0] != conv.kernel_size[1]:
            raise ValueError(f"ConvExplorer: shows square kernels only; {path or 'the model'} has kernel_size "
                             f"{conv.kernel_size}")
        weights = conv.weight.numpy().astype(np.float64).sum(axis=1)  # (out_channels, k, k)
        for channel, weight in enumerate(weights):
            presets[f"learned: {path or 'conv'}[{channel}]"] = weight
    return presets


# --- sizes and the output --------------------------------------------------------------------

def output_length(size: int, kernel_size: int, stride: int, padding: int, dilation: int) -> int:
    """floor((size + 2p - d(k - 1) - 1) / s) + 1: how many window positions fit along one side."""
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def formula_text(size: int, kernel_size: int, stride: int, padding: int, dilation: int, side: str = "H") -> str:
    """The output-size formula with the numbers filled in, for the side called `side` (H or W):

    out = floor((H + 2p - d(k-1) - 1)/s) + 1 = floor((28 + 2*1 - 1*(3-1) - 1)/1) + 1 = 28
    """
    k, s, p, d = kernel_size, stride, padding, dilation
    out = output_length(size, k, s, p, d)
    text = f"out = floor(({side} + 2p - d(k-1) - 1)/s) + 1 = floor(({size} + 2*{p} - {d}*({k}-1) - 1)/{s}) + 1 = {out}"
    if d == 1:
        text += (f" (with d = 1 this is floor(({side} + 2p - k)/s) + 1 = floor(({size} + 2*{p} - {k})/{s}) + 1"
                 f" = {out})")
    return text


def convolve(image: np.ndarray, kernel: np.ndarray, stride: int, padding: int, dilation: int) -> np.ndarray:
    """minidl's conv2d of one grey image (H, W) with one kernel (k, k), in float64."""
    x = minidl.tensor(image[None, None].astype(np.float64))
    weight = minidl.tensor(kernel[None, None].astype(np.float64))
    return F.conv2d(x, weight, stride=stride, padding=padding, dilation=dilation).numpy()[0, 0]


def as_grey_image(image: np.ndarray | minidl.Tensor) -> np.ndarray:
    """A (H, W) float64 array from an array or Tensor of shape (H, W) or (C, H, W) (channels averaged)."""
    array = np.asarray(image.numpy() if isinstance(image, minidl.Tensor) else image, dtype=np.float64)
    if array.ndim == 3:
        array = array.mean(axis=0)
    if array.ndim != 2:
        raise ValueError(f"ConvExplorer: the image must have shape (H, W) or (C, H, W), got {array.shape}")
    return array


# --- the widget ------------------------------------------------------------------------------

class ConvExplorer(StaticPicture, ipw.VBox):
    """The (padded) input with the current window and its dilated taps, the kernel, and the output.

    Identity, blurs and sharpen are built at the size the kernel-size slider gives; the edge
    detectors and the learned kernels have their own size, so for them the slider shows that
    size and is greyed out. The bias of a learned layer is left out: this shows the kernel's work.
    `kernel`, `output` (None when no window fits), `formula` and `message` hold what is shown.
    """

    text = "<ConvExplorer>"

    def __init__(self, image: np.ndarray | minidl.Tensor | None = None, model: nn.Module | None = None,
                 preset: str = "edge: Sobel x"):
        self.image = as_grey_image(MNIST(train=True, subset="small")[0][0] if image is None else image)
        self.presets = kernel_presets(model)
        if preset not in self.presets:
            raise ValueError(f"ConvExplorer: unknown preset {preset!r}; choose one of {list(self.presets)}")
        self.kernel = np.zeros((1, 1))
        self.output: np.ndarray | None = None
        self.formula = ""
        self.message = ""

        slider = dict(style={"description_width": "80px"})
        self.preset_menu = ipw.Dropdown(options=list(self.presets), value=preset, description="kernel")
        largest = max([9] + [preset.shape[0] for preset in self.presets.values() if not callable(preset)])
        self.size_slider = ipw.IntSlider(value=3, min=1, max=largest, description="kernel size", **slider)
        self.stride_slider = ipw.IntSlider(value=1, min=1, max=4, description="stride", **slider)
        self.padding_slider = ipw.IntSlider(value=0, min=0, max=4, description="padding", **slider)
        self.dilation_slider = ipw.IntSlider(value=1, min=1, max=4, description="dilation", **slider)
        self.position_slider = ipw.IntSlider(value=0, min=0, max=0, description="window", **slider)
        self.picture_view = ipw.Image(format="png")
        self.formula_view = ipw.HTML()

        # fixed margins: a layout engine would re-measure every label on each full draw, doubling its cost
        self.figure = Figure(figsize=(10, 3.6), dpi=80)
        self.figure.subplots_adjust(left=0.04, right=0.99, bottom=0.08, top=0.9, wspace=0.12)
        self.input_axes, self.kernel_axes, self.output_axes = self.figure.subplots(1, 3, width_ratios=[1.2, 0.8, 1.2])
        self.blit = BlitFigure(self.figure)
        self._make_artists()
        self._syncing = False  # True while one change sets other controls: they must not start another round

        for control in (self.preset_menu, self.size_slider, self.stride_slider, self.padding_slider,
                        self.dilation_slider):
            control.observe(self._on_setting, "value")
        self.position_slider.observe(self._on_position, "value")
        super().__init__([
            ipw.HBox([self.preset_menu, self.size_slider, self.position_slider]),
            ipw.HBox([self.stride_slider, self.padding_slider, self.dilation_slider]),
            self.picture_view,
            self.formula_view,
        ])
        self._on_setting()

    @property
    def geometry(self) -> tuple[int, int, int, int]:
        """(kernel_size, stride, padding, dilation) as the sliders set them."""
        return (self.size_slider.value, self.stride_slider.value, self.padding_slider.value,
                self.dilation_slider.value)

    @property
    def window_cell(self) -> tuple[int, int]:
        """The (row, column) of the output pixel whose window is shown."""
        columns = self.output.shape[1] if self.output is not None else 1
        return divmod(self.position_slider.value, columns)

    # --- data ------------------------------------------------------------------------------

    def _compute(self) -> None:
        """The kernel, the output from minidl's conv2d (or why there is none) and the formula."""
        k, s, p, d = self.geometry
        height, width = self.image.shape
        preset = self.presets[self.preset_menu.value]
        self.kernel = preset(k) if callable(preset) else preset
        sides = [("H", height)] if height == width else [("H", height), ("W", width)]
        self.formula = "<br>".join(formula_text(size, k, s, p, d, side) for side, size in sides)
        try:
            self.output = convolve(self.image, self.kernel, s, p, d)
            self.message = ""
        except ValueError as error:
            self.output = None
            self.message = (f"No window fits: the kernel spans d(k-1) + 1 = {d * (k - 1) + 1} pixels, but the padded "
                            f"image is {height + 2 * p} x {width + 2 * p}. Make the kernel or the dilation smaller, "
                            f"or the padding larger. (minidl says: {error})")

    # --- drawing ---------------------------------------------------------------------------

    def _make_artists(self) -> None:
        """Every artist, once; a new setting changes their data (clearing the axes would rebuild the ticks)."""
        self.input_view = self.input_axes.imshow(self.image, cmap="gray")
        self.image_border = Rectangle((-0.5, -0.5), *self.image.shape[::-1], fill=False, edgecolor="tab:cyan",
                                      linestyle="--", linewidth=1)
        self.window_box = Rectangle((0, 0), 1, 1, fill=False, edgecolor="red", linewidth=1.5, animated=True)
        self.taps = Line2D([], [], marker="s", markersize=3, color="red", linestyle="none", animated=True)
        for artist in (self.image_border, self.window_box, self.taps):
            self.input_axes.add_artist(artist)
        self.kernel_view = self.kernel_axes.imshow(np.zeros((1, 1)), cmap="RdBu_r")
        self.kernel_axes.set(xticks=[], yticks=[])
        self.kernel_labels: list = []
        self.output_view = self.output_axes.imshow(np.zeros((1, 1)))
        self.output_box = Rectangle((0, 0), 1, 1, fill=False, edgecolor="red", linewidth=1.5, animated=True)
        self.output_axes.add_patch(self.output_box)
        self.no_output_note = self.output_axes.text(0.5, 0.5, "no window fits", ha="center", va="center",
                                                    transform=self.output_axes.transAxes)
        for axes in (self.input_axes, self.output_axes):
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # ticks on whole pixels
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))

    def _draw_background(self) -> None:
        """The padded input, the kernel with its weights, and the output map; no window yet."""
        k, s, p, d = self.geometry
        height, width = self.image.shape
        self.input_view.set_data(np.pad(self.image, p))
        self.input_view.set_extent((-p - 0.5, width + p - 0.5, height + p - 0.5, -p - 0.5))
        self.image_border.set_visible(p > 0)
        self.input_axes.set_title(f"input {height} x {width}, padded by {p}")
        self.window_box.set_width(d * (k - 1) + 1)
        self.window_box.set_height(d * (k - 1) + 1)

        limit = max(np.abs(self.kernel).max(), 1e-12)
        self.kernel_view.set_data(self.kernel)
        self.kernel_view.set_extent((-0.5, k - 0.5, k - 0.5, -0.5))
        self.kernel_view.set_clim(-limit, limit)
        for label in self.kernel_labels:
            label.remove()
        self.kernel_labels = [
            self.kernel_axes.text(column, row, f"{weight:.2g}", ha="center", va="center",
                                  fontsize=10 if k <= 3 else 8, color="white" if abs(weight) > 0.6 * limit else "black")
            for (row, column), weight in np.ndenumerate(self.kernel if k <= 5 else np.empty((0, 0)))
        ]
        self.kernel_axes.set_title(f"kernel {k} x {k}, dilation {d}")

        self.output_view.set_visible(self.output is not None)
        self.output_axes.axis("off" if self.output is None else "on")
        self.no_output_note.set_visible(self.output is None)
        if self.output is None:
            self.output_axes.set_title("no output")
            return self.blit.render_background()
        out_height, out_width = self.output.shape
        negative = self.output.min() < 0  # signed maps (edges) in red and blue around white, others grey
        limit = np.abs(self.output).max()
        self.output_view.set_data(self.output)
        self.output_view.set_extent((-0.5, out_width - 0.5, out_height - 0.5, -0.5))
        self.output_view.set_cmap("RdBu_r" if negative else "gray")
        self.output_view.set_clim(-limit if negative else self.output.min(), limit)
        self.output_axes.set_title(f"output {out_height} x {out_width}, stride {s}")
        self.blit.render_background()

    def _draw(self) -> None:
        """Move the window, its taps and the marked output pixel to the slider's position."""
        text = self.formula
        if self.output is None:
            text += f"<br><b>{self.message}</b>"
        else:
            k, s, p, d = self.geometry
            row, column = self.window_cell
            top, left = row * s - p, column * s - p  # the window's corner, in the unpadded image's pixels
            self.window_box.set_xy((left - 0.5, top - 0.5))
            taps = np.arange(k) * d
            tap_rows, tap_columns = np.meshgrid(top + taps, left + taps, indexing="ij")
            self.taps.set_data(tap_columns.ravel(), tap_rows.ravel())
            self.output_box.set_xy((column - 0.5, row - 0.5))
            text += (f"<br>out[{row}, {column}] = sum of kernel x the {k} x {k} pixels it touches "
                     f"= {self.output[row, column]:.4g}")
        moving = [] if self.output is None else [self.window_box, self.taps, self.output_box]
        self.picture_view.value = self.blit.frame(moving)
        self.formula_view.value = text

    def picture(self) -> bytes:
        return bytes(self.picture_view.value)

    # --- events ----------------------------------------------------------------------------

    def _on_setting(self, change=None) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            preset = self.presets[self.preset_menu.value]
            self.size_slider.disabled = not callable(preset)
            if not callable(preset):
                self.size_slider.value = preset.shape[0]  # a fixed kernel has its own size
            self._compute()
            self.position_slider.max = self.output.size - 1 if self.output is not None else 0  # may clamp the value
            self.position_slider.disabled = self.output is None
        finally:
            self._syncing = False
        self._draw_background()
        self._draw()

    def _on_position(self, change) -> None:
        if not self._syncing:
            self._draw()
