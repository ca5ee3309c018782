"""The playgrounds: loss surfaces and optimizer paths (against finite differences, hand loops and
closed forms), OptimizerPlayground's paths after slider moves, ConvExplorer's output (against
minidl's conv2d and SciPy) and formula, and the static picture each widget leaves."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

import minidl  # noqa: E402
import minidl.nn.functional as F  # noqa: E402
from minidl import nn  # noqa: E402
from minidl.datasets import MNIST  # noqa: E402
from minidl.optim import SGD, Adagrad, Adam, RMSprop  # noqa: E402
from widgets.conv_explorer import ConvExplorer, formula_text, kernel_presets, output_length  # noqa: E402
from widgets.optimizer_playground import OptimizerPlayground  # noqa: E402
from widgets.surfaces import SURFACES, trajectory  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def gradient(surface, point) -> np.ndarray:
    """minidl's gradient of the surface at a point, in float64."""
    theta = minidl.tensor(np.array(point, dtype=np.float64), requires_grad=True)
    surface(theta[0], theta[1]).backward()
    return theta.grad.numpy()


# --- surfaces ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_gradient_matches_finite_differences(name):
    surface = SURFACES[name]
    rng = np.random.default_rng(len(name))
    h = 1e-6
    for x, y in zip(rng.uniform(*surface.x_range, 4), rng.uniform(*surface.y_range, 4)):
        expected = [(surface.value(x + h, y) - surface.value(x - h, y)) / (2 * h),
                    (surface.value(x, y + h) - surface.value(x, y - h)) / (2 * h)]
        np.testing.assert_allclose(gradient(surface, (x, y)), expected, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("name", list(SURFACES))
def test_known_minima_are_flat_and_lowest(name):
    surface = SURFACES[name]
    _, _, z = surface.grid(200)
    for minimum in surface.minima:
        np.testing.assert_allclose(gradient(surface, minimum), 0.0, atol=1e-6)
        assert surface.value(*minimum) <= z.min() + 1e-9  # no grid point is lower
        x, y = minimum
        assert surface.x_range[0] < x < surface.x_range[1] and surface.y_range[0] < y < surface.y_range[1]


@pytest.mark.parametrize("optimizer_class, hyperparameters", [
    (SGD, {"lr": 1e-3, "momentum": 0.9}),
    (Adam, {"lr": 0.05, "betas": (0.8, 0.99)}),
    (RMSprop, {"lr": 0.01}),
    (Adagrad, {"lr": 0.1}),
])
def test_trajectory_equals_a_hand_written_loop(optimizer_class, hyperparameters):
    path, losses = trajectory(SURFACES["rosenbrock"], optimizer_class, 40, start=(-1.0, 0.5), **hyperparameters)
    theta = minidl.tensor(np.array([-1.0, 0.5]), requires_grad=True)
    optimizer = optimizer_class([theta], **hyperparameters)
    expected_path, expected_losses = [], []
    for _ in range(41):
        optimizer.zero_grad()
        x, y = theta[0], theta[1]
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        expected_path.append(theta.numpy().copy())
        expected_losses.append(loss.item())
        loss.backward()
        optimizer.step()
    np.testing.assert_allclose(path, expected_path, rtol=1e-12)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-12)


def test_sgd_on_the_quadratic_follows_the_closed_form():
    # f = x^2/20 + 5y^2, so one step of SGD multiplies x by (1 - lr/10) and y by (1 - 10 lr)
    lr, steps, (x0, y0) = 0.15, 30, SURFACES["quadratic"].start
    path, losses = trajectory(SURFACES["quadratic"], SGD, steps, lr=lr)
    t = np.arange(steps + 1)
    np.testing.assert_allclose(path, np.stack([x0 * (1 - lr / 10) ** t, y0 * (1 - 10 * lr) ** t], axis=1),
                               rtol=1e-12)
    np.testing.assert_allclose(losses, path[:, 0] ** 2 / 20 + 5 * path[:, 1] ** 2, rtol=1e-12)


def test_a_diverging_path_ends_before_the_loss_overflows():
    path, losses = trajectory(SURFACES["rosenbrock"], SGD, 300, lr=0.01)
    assert len(path) == len(losses) < 20
    assert np.isfinite(losses).all() and losses[-1] > 1e100


def test_adam_on_rosenbrock_needs_a_large_learning_rate():
    # measured: at lr 0.3 Adam ends 0.21 from (1, 1) after 300 steps; at the surface's lr (0.002,
    # chosen for SGD) it has barely left the start, while SGD with momentum is 0.12 from the minimum
    surface = SURFACES["rosenbrock"]
    def distance(path):
        return np.hypot(*(path[-1] - 1.0))
    assert distance(trajectory(surface, Adam, 300, lr=0.3)[0]) < 0.25
    assert distance(trajectory(surface, Adam, 300, lr=surface.learning_rate)[0]) > 1.5
    assert distance(trajectory(surface, SGD, 300, lr=surface.learning_rate, momentum=0.9)[0]) < 0.15


# --- OptimizerPlayground ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def playground():
    return OptimizerPlayground()


def test_playground_paths_are_the_optimizers_own(playground):
    surface = SURFACES["rosenbrock"]
    assert list(playground.paths) == ["SGD", "Momentum", "Adam"]
    expected = {
        "SGD": trajectory(surface, SGD, 300, lr=surface.learning_rate)[0],
        "Momentum": trajectory(surface, SGD, 300, lr=surface.learning_rate, momentum=0.9)[0],
        "Adam": trajectory(surface, Adam, 300, lr=surface.learning_rate, betas=(0.9, 0.999))[0],
    }
    for name, path in expected.items():
        np.testing.assert_array_equal(playground.paths[name], path)


def test_playground_recomputes_after_each_slider(playground):
    surface = SURFACES["rosenbrock"]
    playground.lr_slider.value = 0.05
    playground.beta2_slider.value = 0.99
    adam = trajectory(surface, Adam, 300, lr=0.05, betas=(0.9, 0.99))[0]
    np.testing.assert_array_equal(playground.paths["Adam"], adam)
    playground.momentum_slider.value = 0.5
    playground.lr_slider.value = 0.001
    momentum = trajectory(surface, SGD, 300, lr=0.001, momentum=0.5)[0]
    np.testing.assert_array_equal(playground.paths["Momentum"], momentum)
    playground.steps_slider.value = 120
    assert all(len(path) == 121 for path in playground.paths.values())
    np.testing.assert_array_equal(playground.losses["SGD"], trajectory(surface, SGD, 120, lr=0.001)[1])


def test_playground_surface_menu_sets_its_learning_rate(playground):
    playground.surface_menu.value = "himmelblau"
    surface = SURFACES["himmelblau"]
    assert playground.lr_slider.value == surface.learning_rate
    np.testing.assert_array_equal(playground.paths["SGD"],
                                  trajectory(surface, SGD, playground.steps_slider.value, lr=surface.learning_rate)[0])
    assert playground.text == "<OptimizerPlayground: rosenbrock>"  # constant for nbval, whatever is shown


def test_playground_shows_refused_settings_and_divergence():
    playground = OptimizerPlayground("rosenbrock", optimizers=("SGD", "Nesterov"), steps=50, lr=0.1, momentum=0.0)
    assert "momentum" in playground.errors["Nesterov"] and "Nesterov" not in playground.paths
    assert "diverged at step" in playground.status.value and "nesterov needs momentum" in playground.status.value
    playground.momentum_slider.value = 0.9
    assert not playground.errors and set(playground.paths) == {"SGD", "Nesterov"}


def test_playground_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown surface"):
        OptimizerPlayground("moebius")
    with pytest.raises(ValueError, match="unknown optimizers"):
        OptimizerPlayground(optimizers=("LBFGS",))


# --- ConvExplorer ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digit() -> np.ndarray:
    return MNIST(train=True, subset="small")[0][0].numpy()[0].astype(np.float64)


@pytest.fixture(scope="module")
def explorer():
    return ConvExplorer()  # the first digit of the bundled MNIST subset


def set_geometry(explorer, preset, kernel_size, stride, padding, dilation):
    explorer.preset_menu.value = preset
    explorer.size_slider.value = kernel_size
    explorer.stride_slider.value = stride
    explorer.padding_slider.value = padding
    explorer.dilation_slider.value = dilation


def reference_correlation(image, kernel, stride, padding, dilation) -> np.ndarray:
    """SciPy's correlate2d with the kernel's taps spread d apart, on the padded image, every s-th window."""
    from scipy.signal import correlate2d

    k = kernel.shape[0]
    spread = np.zeros((dilation * (k - 1) + 1,) * 2)
    spread[::dilation, ::dilation] = kernel
    return correlate2d(np.pad(image, padding), spread, mode="valid")[::stride, ::stride]


SETTINGS = [
    ("edge: Sobel x", 3, 1, 0, 1),
    ("edge: Laplacian", 3, 1, 1, 1),
    ("blur: Gaussian", 5, 2, 1, 1),
    ("sharpen", 4, 3, 2, 2),
    ("blur: box", 2, 2, 0, 3),
    ("identity", 7, 1, 3, 1),
]


@pytest.mark.parametrize("preset, kernel_size, stride, padding, dilation", SETTINGS)
def test_conv_output_is_minidls_conv2d(explorer, digit, preset, kernel_size, stride, padding, dilation):
    set_geometry(explorer, preset, kernel_size, stride, padding, dilation)
    k = explorer.kernel.shape[0]
    expected = F.conv2d(minidl.tensor(digit[None, None]), minidl.tensor(explorer.kernel[None, None]),
                        stride=stride, padding=padding, dilation=dilation).numpy()[0, 0]
    np.testing.assert_array_equal(explorer.output, expected)
    reference = reference_correlation(digit, explorer.kernel, stride, padding, dilation)
    np.testing.assert_allclose(explorer.output, reference, atol=1e-12)
    # the formula's numbers are the sliders', and its result is the output's shape
    match = re.search(r"floor\(\((\d+) \+ 2\*(\d+) - (\d+)\*\((\d+)-1\) - 1\)/(\d+)\) \+ 1 = (-?\d+)", explorer.formula)
    size, p, d, kernel, s, result = map(int, match.groups())
    assert (size, p, d, kernel, s) == (28, padding, dilation, k, stride)
    assert result == explorer.output.shape[0] == explorer.output.shape[1] == (size + 2 * p - d * (k - 1) - 1) // s + 1
    assert ("with d = 1" in explorer.formula) == (dilation == 1)


def test_conv_with_stride_one_and_no_padding_is_scipys_correlate2d(explorer, digit):
    from scipy.signal import correlate2d

    for preset in ("edge: Sobel y", "blur: Gaussian", "sharpen"):
        set_geometry(explorer, preset, 5, 1, 0, 1)
        np.testing.assert_allclose(explorer.output, correlate2d(digit, explorer.kernel, mode="valid"), atol=1e-12)


def test_conv_fixed_presets_set_the_kernel_size(explorer):
    set_geometry(explorer, "blur: box", 6, 1, 0, 1)
    assert explorer.kernel.shape == (6, 6) and not explorer.size_slider.disabled
    explorer.preset_menu.value = "edge: Sobel x"
    np.testing.assert_array_equal(explorer.kernel, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    assert explorer.size_slider.value == 3 and explorer.size_slider.disabled
    assert explorer.output.shape == (26, 26)


def test_conv_window_shows_the_pixels_of_the_marked_output(explorer, digit):
    set_geometry(explorer, "edge: Sobel y", 3, 2, 1, 2)
    for position in (0, 37, explorer.output.size - 1):
        explorer.position_slider.value = position
        row, column = explorer.window_cell
        tap_columns, tap_rows = (np.asarray(values, dtype=int) for values in explorer.taps.get_data())
        padding = explorer.padding_slider.value
        window = np.pad(digit, padding)[tap_rows + padding, tap_columns + padding]
        assert np.isclose((explorer.kernel.ravel() * window).sum(), explorer.output[row, column])


def test_conv_formula_for_a_rectangular_image():
    image = np.arange(20 * 13, dtype=np.float64).reshape(20, 13) / 260
    explorer = ConvExplorer(image, preset="blur: box")
    set_geometry(explorer, "blur: box", 4, 3, 1, 1)
    assert explorer.output.shape == (output_length(20, 4, 3, 1, 1), output_length(13, 4, 3, 1, 1)) == (7, 4)
    assert formula_text(20, 4, 3, 1, 1, "H") in explorer.formula
    assert formula_text(13, 4, 3, 1, 1, "W") in explorer.formula
    assert "floor((20 + 2*1 - 1*(4-1) - 1)/3) + 1 = 7" in explorer.formula


def test_conv_invalid_settings_give_a_message(explorer):
    set_geometry(explorer, "blur: box", 9, 1, 0, 4)  # spans 33 pixels of a 28 x 28 image
    assert explorer.output is None and "No window fits" in explorer.message
    assert "33 pixels" in explorer.message and explorer.message in explorer.formula_view.value
    assert "= -4" in explorer.formula and explorer.position_slider.disabled
    assert explorer.picture().startswith(PNG_SIGNATURE)
    explorer.padding_slider.value = 4  # 36 x 36 now: 4 windows fit down and across
    assert explorer.output.shape == (4, 4) and not explorer.position_slider.disabled


def test_conv_learned_kernels_are_the_models_weights(digit):
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 5), nn.ReLU(), nn.Conv2d(4, 2, 3))
    explorer = ConvExplorer(digit, model=model)
    learned = [name for name in explorer.preset_menu.options if name.startswith("learned")]
    assert learned == ["learned: 0[0]", "learned: 0[1]", "learned: 0[2]", "learned: 0[3]"]
    explorer.preset_menu.value = "learned: 0[2]"
    weight = model[0].weight.numpy().astype(np.float64)
    np.testing.assert_allclose(explorer.kernel, weight[2].sum(axis=0))
    # a grey image copied into the 3 channels: the layer (without its bias) gives the explorer's output
    grey = minidl.tensor(np.repeat(digit[None, None], 3, axis=1))
    expected = F.conv2d(grey, minidl.tensor(weight)).numpy()[0, 2]
    np.testing.assert_allclose(explorer.output, expected, rtol=1e-6, atol=1e-6)
    assert explorer.size_slider.value == 5 and explorer.size_slider.disabled
    assert not [name for name in kernel_presets(nn.Sequential(nn.Linear(2, 2))) if name.startswith("learned")]
    with pytest.raises(ValueError, match="square kernels"):
        ConvExplorer(digit, model=nn.Conv2d(1, 2, (3, 5)))


def test_conv_default_image_is_the_first_bundled_digit(explorer, digit):
    np.testing.assert_array_equal(explorer.image, digit)
    assert explorer.image.shape == (28, 28) and 0 <= explorer.image.min() < explorer.image.max() <= 1


# --- the static picture ----------------------------------------------------------------------

@pytest.mark.parametrize("make, move", [
    (lambda: OptimizerPlayground("beale", steps=50), lambda widget: setattr(widget.lr_slider, "value", 0.01)),
    (lambda: ConvExplorer(np.eye(12)), lambda widget: setattr(widget.position_slider, "value", 5)),
])
def test_display_bundle_has_a_png_and_a_constant_text(make, move):
    widget = make()
    before = widget._bundle()
    move(widget)
    after = widget._bundle()
    assert set(before) == {"text/plain", "image/png", "application/vnd.jupyter.widget-view+json"}
    assert before["text/plain"] == after["text/plain"] == widget.text
    assert base64.b64decode(after["image/png"]).startswith(PNG_SIGNATURE)
    assert before["image/png"] != after["image/png"]  # the picture follows the sliders
