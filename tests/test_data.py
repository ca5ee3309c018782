"""minidl.data: datasets, random_split, the DataLoader (order, batches, fast path) and transforms."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
import minidl.utils.data
from minidl.data import (
    DataLoader,
    Dataset,
    ImageDataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from minidl.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor


def numbered_dataset(n: int = 10) -> TensorDataset:
    """Sample i is (tensor([i, i]) as float32, i as int64): a batch tells which samples it holds."""
    ids = np.arange(n)
    return TensorDataset(minidl.tensor(np.stack([ids, ids], axis=1).astype(np.float32)), minidl.tensor(ids))


class SampleByIndex(Dataset):
    """A dataset without `get_batch`: the loader must read it one sample at a time."""

    def __init__(self, n: int):
        self.n = n

    def __getitem__(self, index: int):
        return np.full((2, 3), index, dtype=np.uint8), index, index / 2

    def __len__(self) -> int:
        return self.n


def loader_order(loader: DataLoader) -> list[int]:
    return [int(i) for _, ids in loader for i in ids.numpy()]


# --- datasets ---------------------------------------------------------------------------------


def test_tensor_dataset_gives_rows_and_rejects_different_lengths():
    dataset = numbered_dataset(5)
    point, label = dataset[3]
    assert len(dataset) == 5
    np.testing.assert_array_equal(point.numpy(), [3.0, 3.0])
    assert label.item() == 3
    with pytest.raises(ValueError, match=r"same first dimension.*\(5, 2\).*\(4,\)"):
        TensorDataset(minidl.zeros(5, 2), minidl.zeros(4))


def test_dataset_base_says_what_a_subclass_must_define():
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


@pytest.mark.parametrize("lengths", [[6, 3, 1], [0.6, 0.3, 0.1], [0.5, 0.5]])
def test_random_split_sizes_cover_the_dataset_without_overlap(lengths):
    dataset = numbered_dataset(10)
    parts = random_split(dataset, lengths, generator=minidl.Generator(0))
    expected = [6, 3, 1] if len(lengths) == 3 else [5, 5]
    assert [len(part) for part in parts] == expected
    ids = [int(part[i][1].item()) for part in parts for i in range(len(part))]
    assert sorted(ids) == list(range(10))


def test_random_split_gives_leftovers_to_the_first_parts_and_repeats_under_a_seed():
    dataset = numbered_dataset(11)
    assert [len(part) for part in random_split(dataset, [0.5, 0.25, 0.25])] == [6, 3, 2]  # 5, 2, 2 + 1, 1, 0
    first = random_split(dataset, [5, 6], generator=minidl.Generator(3))
    second = random_split(dataset, [5, 6], generator=minidl.Generator(3))
    np.testing.assert_array_equal(first[0].indices, second[0].indices)


@pytest.mark.parametrize("lengths", [[5, 4], [0.5, 0.4], [11, -1]])
def test_random_split_rejects_lengths_that_do_not_add_up(lengths):
    with pytest.raises(ValueError, match="random_split"):
        random_split(numbered_dataset(10), lengths)


# --- the loader: batches ------------------------------------------------------------------------


def test_batches_have_the_right_shapes_dtypes_and_count():
    loader = DataLoader(numbered_dataset(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [points.shape for points, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    assert all(points.dtype == np.float32 and ids.dtype == np.int64 for points, ids in batches)
    assert loader_order(loader) == list(range(10))


def test_drop_last_skips_the_short_batch():
    loader = DataLoader(numbered_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert loader_order(loader) == list(range(8))
    assert len(DataLoader(numbered_dataset(8), batch_size=4, drop_last=True)) == 2


def test_default_collate_stacks_tuples_and_picks_dtypes():
    arrays, ints, floats = default_collate([SampleByIndex(5)[i] for i in range(3)])
    assert arrays.shape == (3, 2, 3) and arrays.dtype == np.uint8
    assert ints.dtype == np.int64 and floats.dtype == np.float32
    np.testing.assert_array_equal(floats.numpy(), [0.0, 0.5, 1.0])
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate(["a", "b"])


def test_a_dataset_without_get_batch_is_read_sample_by_sample():
    loader = DataLoader(SampleByIndex(7), batch_size=3)
    images, ids, halves = list(loader)[-1]
    assert images.shape == (1, 2, 3)
    assert ids.tolist() == [6] and halves.tolist() == [3.0]


def test_fast_path_gives_the_same_batches_as_stacking_samples():
    dataset = numbered_dataset(20)
    minidl.manual_seed(1)
    fast = list(DataLoader(dataset, batch_size=6, shuffle=True))
    minidl.manual_seed(1)
    slow = list(DataLoader(dataset, batch_size=6, shuffle=True, collate_fn=default_collate))
    for (fast_points, fast_ids), (slow_points, slow_ids) in zip(fast, slow):
        np.testing.assert_array_equal(fast_points.numpy(), slow_points.numpy())
        np.testing.assert_array_equal(fast_ids.numpy(), slow_ids.numpy())
        assert fast_points.dtype == slow_points.dtype and fast_ids.dtype == slow_ids.dtype


def test_image_dataset_fast_path_matches_totensor_on_each_sample():
    rng = np.random.default_rng(0)
    for images in (rng.integers(0, 256, (9, 5, 4), dtype=np.uint8), rng.integers(0, 256, (9, 5, 4, 3), dtype=np.uint8)):
        dataset = ImageDataset(images, np.arange(9) % 3)
        indices = np.array([4, 0, 8])
        fast_images, fast_labels = dataset.get_batch(indices)
        slow_images, slow_labels = default_collate([dataset[i] for i in indices])
        np.testing.assert_array_equal(fast_images.numpy(), slow_images.numpy())
        np.testing.assert_array_equal(fast_labels.numpy(), slow_labels.numpy())
        assert fast_images.dtype == np.float32 and fast_labels.dtype == np.int64


def test_image_dataset_with_a_transform_applies_it_to_each_sample():
    images = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    dataset = ImageDataset(
        images,
        np.array([1, 0]),
        transform=Compose([ToTensor(), Normalize([0.5], [0.5])]),
        target_transform=lambda label: label + 10,
    )
    batch_images, labels = next(iter(DataLoader(dataset, batch_size=2)))
    np.testing.assert_allclose(batch_images.numpy(), (images[:, None] / 255 - 0.5) / 0.5, rtol=1e-6)
    assert labels.tolist() == [11, 10]


def test_subset_batches_come_from_its_own_indices():
    subset = Subset(numbered_dataset(10), [7, 2, 5])
    assert loader_order(DataLoader(subset, batch_size=2)) == [7, 2, 5]
    nested = Subset(subset, [2, 0])
    assert loader_order(DataLoader(nested, batch_size=2)) == [5, 7]


def test_device_moves_every_batch(backend):
    points, ids = next(iter(DataLoader(numbered_dataset(4), batch_size=4, device=backend)))
    assert points.device == backend and ids.device == backend


def test_batches_of_data_already_on_the_device_stay_there(backend):
    dataset = TensorDataset(minidl.arange(6, device=backend))
    minidl.manual_seed(0)
    (batch,) = next(iter(DataLoader(dataset, batch_size=4, shuffle=True)))
    assert batch.device == backend and batch.shape == (4,)


# --- the loader: order ------------------------------------------------------------------------


def test_shuffle_repeats_after_manual_seed_and_changes_each_epoch():
    loader = DataLoader(numbered_dataset(50), batch_size=8, shuffle=True)
    minidl.manual_seed(0)
    first_epoch, second_epoch = loader_order(loader), loader_order(loader)
    minidl.manual_seed(0)
    assert loader_order(loader) == first_epoch
    assert first_epoch != second_epoch
    assert sorted(first_epoch) == sorted(second_epoch) == list(range(50))
    assert first_epoch != list(range(50))


def test_a_loader_with_its_own_generator_ignores_the_global_seed():
    minidl.manual_seed(0)
    first = loader_order(DataLoader(numbered_dataset(30), batch_size=7, shuffle=True, generator=minidl.Generator(5)))
    minidl.manual_seed(123)
    second = loader_order(DataLoader(numbered_dataset(30), batch_size=7, shuffle=True, generator=minidl.Generator(5)))
    assert first == second
    minidl.manual_seed(0)
    expected = minidl.rand(3).numpy()
    minidl.manual_seed(0)
    loader_order(DataLoader(numbered_dataset(30), shuffle=True, generator=minidl.Generator(5)))
    np.testing.assert_array_equal(minidl.rand(3).numpy(), expected)  # the global stream was not used


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(numbered_dataset(3), batch_size=0)


def test_utils_data_is_the_same_module_content():
    assert minidl.utils.data.DataLoader is DataLoader
    assert minidl.utils.data.TensorDataset is TensorDataset
    assert minidl.utils.data.random_split is random_split


# --- transforms ---------------------------------------------------------------------------------


def test_to_tensor_puts_channels_first_and_scales_to_unit_range():
    rgb = np.random.default_rng(0).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    rgb[0, 0] = [0, 255, 128]
    image = ToTensor()(rgb)
    assert image.shape == (3, 4, 5) and image.dtype == np.float32
    np.testing.assert_allclose(image.numpy()[:, 0, 0], [0.0, 1.0, 128 / 255])
    np.testing.assert_allclose(image.numpy(), rgb.transpose(2, 0, 1) / 255, rtol=1e-6)
    assert ToTensor()(rgb[:, :, 0]).shape == (1, 4, 5)
    with pytest.raises(TypeError, match="uint8"):
        ToTensor()(rgb.astype(np.float32))


def test_normalize_subtracts_the_mean_and_divides_by_the_std_per_channel():
    image = ToTensor()(np.full((2, 2, 3), 255, dtype=np.uint8))
    normalized = Normalize((0.5, 0.0, 1.0), (0.5, 2.0, 0.25))(image)
    np.testing.assert_allclose(normalized.numpy()[:, 0, 0], [1.0, 0.5, 0.0])
    assert normalized.dtype == np.float32
    with pytest.raises(ValueError, match="channels"):
        Normalize((0.5, 0.5), (1.0, 1.0))(image)
    with pytest.raises(TypeError, match="ToTensor"):
        Normalize((0.5,), (1.0,))(np.zeros((2, 2), dtype=np.uint8))


def test_random_crop_pads_then_cuts_a_window_that_repeats_under_a_seed():
    image = np.arange(1, 17, dtype=np.uint8).reshape(4, 4)
    crop = RandomCrop(4, padding=2)
    padded = np.pad(image, 2)
    minidl.manual_seed(0)
    windows = [crop(image) for _ in range(20)]
    assert all(window.shape == (4, 4) for window in windows)
    assert all(
        any((padded[top : top + 4, left : left + 4] == window).all() for top in range(5) for left in range(5))
        for window in windows
    )
    assert len({window.tobytes() for window in windows}) > 1
    minidl.manual_seed(0)
    assert all((crop(image) == window).all() for window in windows)


def test_random_crop_works_on_stored_and_tensor_layouts():
    minidl.manual_seed(0)
    assert RandomCrop((3, 2))(np.zeros((5, 6, 3), dtype=np.uint8)).shape == (3, 2, 3)
    assert RandomCrop(32, padding=4)(minidl.zeros(3, 32, 32)).shape == (3, 32, 32)
    with pytest.raises(ValueError, match="cannot cut"):
        RandomCrop(8)(np.zeros((4, 4), dtype=np.uint8))


def test_random_horizontal_flip_mirrors_columns_with_probability_p():
    image = np.arange(6, dtype=np.uint8).reshape(2, 3)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(image), image[:, ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(image), image)
    flipped = RandomHorizontalFlip(p=1.0)(ToTensor()(image))
    np.testing.assert_allclose(flipped.numpy()[0], image[:, ::-1] / 255, rtol=1e-6)
    flip = RandomHorizontalFlip()
    minidl.manual_seed(0)
    outcomes = [bool((flip(image) == image).all()) for _ in range(40)]
    assert 5 < sum(outcomes) < 35
    minidl.manual_seed(0)
    assert [bool((flip(image) == image).all()) for _ in range(40)] == outcomes


def test_compose_applies_in_order():
    transform = Compose([RandomHorizontalFlip(p=1.0), ToTensor()])
    image = np.array([[0, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(transform(image).numpy(), [[[1.0, 0.0]]])
