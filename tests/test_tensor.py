"""Making tensors, what a tensor tells about itself, random numbers, devices and imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minidl


@pytest.mark.parametrize("data, dtype", [
    (1.5, minidl.float32),
    ([1.0, 2.0], minidl.float32),
    ([1, 2.5], minidl.float32),
    (3, minidl.int64),
    ([[1, 2], [3, 4]], minidl.int64),
    (True, minidl.bool_),
    ([True, False], minidl.bool_),
    (np.arange(3.0), minidl.float64),
    (np.float64(2.0), minidl.float64),
    (np.arange(3, dtype=np.int32), minidl.int32),
    (np.ones(2, dtype=np.float32), minidl.float32),
], ids=["float", "floats", "mixed", "int", "nested-ints", "bool", "bools", "np-float64", "np-scalar",
        "np-int32", "np-float32"])
def test_tensor_from_data_takes_pytorch_default_dtypes(data, dtype, backend):
    x = minidl.tensor(data, device=backend)
    assert x.dtype == dtype
    assert x.shape == np.shape(data) and x.device == backend
    np.testing.assert_array_equal(x.numpy(), np.asarray(data))


def test_tensor_copies_its_data():
    source = np.arange(3.0)
    x = minidl.tensor(source)
    source[0] = 100.0
    assert x.numpy()[0] == 0.0
    assert minidl.tensor(x, dtype=minidl.float32).dtype == minidl.float32


@pytest.mark.parametrize("make", [minidl.zeros, minidl.ones])
def test_zeros_and_ones_take_sizes_as_varargs_or_a_tuple(make, backend):
    fill = 0.0 if make is minidl.zeros else 1.0
    for x in (make(2, 3, device=backend), make((2, 3), device=backend), make([2, 3], device=backend)):
        assert x.shape == (2, 3) and x.dtype == minidl.float32 and x.device == backend
        np.testing.assert_array_equal(x.numpy(), np.full((2, 3), fill))
    assert make(4, dtype=minidl.float64).dtype == minidl.float64
    assert make().shape == ()
    assert make(2, requires_grad=True).requires_grad


def test_full_arange_and_eye(backend):
    assert minidl.full((2, 2), 1.5, device=backend).dtype == minidl.float32
    assert minidl.full((2,), 7).dtype == minidl.int64
    np.testing.assert_array_equal(minidl.full((2, 3), 7, device=backend).numpy(), np.full((2, 3), 7))
    assert minidl.arange(5).dtype == minidl.int64
    np.testing.assert_array_equal(minidl.arange(5, device=backend).numpy(), np.arange(5))
    np.testing.assert_array_equal(minidl.arange(2, 9, 3).numpy(), np.arange(2, 9, 3))
    floats = minidl.arange(0, 1, 0.25)
    assert floats.dtype == minidl.float32
    np.testing.assert_array_equal(floats.numpy(), np.arange(0, 1, 0.25))
    np.testing.assert_array_equal(minidl.eye(3, device=backend).numpy(), np.eye(3))
    np.testing.assert_array_equal(minidl.eye(2, 3, dtype=minidl.float64).numpy(), np.eye(2, 3))


def test_like_functions_keep_shape_dtype_and_device(make_tensor):
    x = make_tensor((2, 3))
    for like, fill in [(minidl.zeros_like, 0), (minidl.ones_like, 1), (lambda t: minidl.full_like(t, 2.5), 2.5)]:
        result = like(x)
        assert (result.shape, result.dtype, result.device) == (x.shape, x.dtype, x.device)
        np.testing.assert_array_equal(result.numpy(), np.full((2, 3), fill))
    assert minidl.zeros_like(x, dtype=minidl.int64).dtype == minidl.int64
    for random in (minidl.rand_like, minidl.randn_like):
        result = random(x)
        assert (result.shape, result.dtype, result.device) == (x.shape, x.dtype, x.device)


def test_rand_and_randn_shapes_and_ranges(backend):
    uniform = minidl.rand(200, 3, device=backend)
    assert uniform.shape == (200, 3) and uniform.dtype == minidl.float32 and uniform.device == backend
    assert 0.0 <= uniform.numpy().min() and uniform.numpy().max() < 1.0
    normal = minidl.randn((200, 3), dtype=minidl.float64)
    assert normal.shape == (200, 3) and normal.dtype == minidl.float64
    assert normal.numpy().min() < 0.0 < normal.numpy().max()


def test_manual_seed_repeats_and_a_generator_is_independent():
    minidl.manual_seed(0)
    first = [minidl.rand(4).numpy(), minidl.randn(2, 2).numpy(), minidl.randperm(6).numpy()]
    minidl.manual_seed(0)
    again = [minidl.rand(4).numpy(), minidl.randn(2, 2).numpy(), minidl.randperm(6).numpy()]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(minidl.rand(4).numpy(), first[0])  # the stream moves on

    generator = minidl.Generator(1)
    own = minidl.rand(4, generator=generator).numpy()
    minidl.manual_seed(123)  # the default generator does not touch this one
    minidl.rand(10)
    np.testing.assert_array_equal(minidl.rand(4, generator=minidl.Generator(1)).numpy(), own)
    np.testing.assert_array_equal(minidl.rand(4, generator=generator.manual_seed(1)).numpy(), own)


def test_randint_and_randperm():
    values = minidl.randint(3, 7, (500,))
    assert values.dtype == minidl.int64 and values.shape == (500,)
    assert set(values.tolist()) == {3, 4, 5, 6}
    below = minidl.randint(4, size=(2, 50))
    assert below.shape == (2, 50) and 0 <= below.numpy().min() and below.numpy().max() < 4
    order = minidl.randperm(10)
    assert order.dtype == minidl.int64
    np.testing.assert_array_equal(np.sort(order.numpy()), np.arange(10))


def test_randint_pytorch_form_high_and_size():
    values = minidl.randint(10, (3,))
    assert values.shape == (3,) and 0 <= values.numpy().min() and values.numpy().max() < 10


def test_attributes(make_tensor, backend):
    x = make_tensor((2, 3, 4))
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4)
    assert x.size(1) == 3 and x.size(-1) == 4
    assert x.ndim == 3 and x.dim() == 3 and x.numel() == 24
    assert x.dtype == minidl.float64 and x.device == backend
    assert isinstance(x.numpy(), np.ndarray) and x.numpy().shape == (2, 3, 4)
    assert x.tolist() == x.numpy().tolist()
    assert np.asarray(x).shape == (2, 3, 4)


def test_item():
    assert minidl.tensor(2.5).item() == 2.5 and isinstance(minidl.tensor(2.5).item(), float)
    assert minidl.tensor([7]).item() == 7 and isinstance(minidl.tensor([7]).item(), int)
    with pytest.raises(ValueError, match=r"item.*\(2,\)"):
        minidl.tensor([1.0, 2.0]).item()


def test_requires_grad_only_for_floats():
    x = minidl.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    assert not x.requires_grad_(False).requires_grad
    with pytest.raises(TypeError, match="int64"):
        minidl.tensor([1, 2]).requires_grad_()
    with pytest.raises(TypeError):
        minidl.tensor([1, 2], requires_grad=True)


def test_detach_and_conversions(make_tensor):
    x = make_tensor((3,), requires_grad=True) * 2.0
    detached = x.detach()
    assert not detached.requires_grad and detached.grad_fn is None
    np.testing.assert_array_equal(detached.numpy(), x.numpy())
    for converted, dtype in [(x.float(), minidl.float32), (x.double(), minidl.float64), (x.long(), minidl.int64),
                             (x.bool(), minidl.bool_), (x.to(minidl.float32), minidl.float32),
                             (x.astype(np.int32), minidl.int32), (x.to(dtype=minidl.int8), minidl.int8)]:
        assert converted.dtype == dtype and converted.shape == (3,)
        np.testing.assert_array_equal(converted.numpy(), x.numpy().astype(dtype))
    assert x.double() is x  # already float64: no copy, as in PyTorch


def test_repr_looks_like_pytorch():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<mul>)"
    assert repr(minidl.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(minidl.tensor(3.0)) == "tensor(3.)"
    assert "dtype=float64" in repr(minidl.tensor([1.0], dtype=minidl.float64))


def test_len_and_iteration(make_tensor):
    x = make_tensor((3, 2))
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and all(isinstance(row, minidl.Tensor) and row.shape == (2,) for row in rows)
    np.testing.assert_array_equal(np.stack([row.numpy() for row in rows]), x.numpy())
    with pytest.raises(TypeError, match="0-d"):
        len(minidl.tensor(1.0))


def test_cuda_availability_and_a_clear_error_without_a_gpu():
    available = minidl.cuda.is_available()
    assert isinstance(available, bool)
    if available:
        assert minidl.tensor([1.0]).to("cuda").device == "cuda"
    else:
        with pytest.raises(RuntimeError, match="cuda.*CuPy"):
            minidl.tensor([1.0]).to("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        minidl.tensor([1.0]).to("tpu")


def test_import_minidl_leaves_optional_libraries_alone():
    code = ("import sys, minidl; heavy = [m for m in ('cupy', 'matplotlib', 'graphviz', 'ipywidgets') "
            "if m in sys.modules]; print(heavy)")
    repository = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repository)
    assert result.stdout.strip() == "[]"
