"""minidl.datasets: the IDX and CIFAR-10 parsers, downloads from a loopback server, bundled subsets, toy data.

The download tests serve the real MNIST files from /work/shared/data (skipped when it is absent)
on 127.0.0.1 and point the dataset at that server; nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import io
import shutil
import struct
import tarfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pooch
import pytest

import minidl
from minidl.datasets import CIFAR10, MNIST, DownloadError, FashionMNIST, circles, linear_regression, moons, spirals
from minidl.datasets import download as download_module
from minidl.datasets.cifar import RECORD_SIZE, parse_cifar_records, read_cifar_archive
from minidl.datasets.idx import parse_idx, read_idx

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
MNIST_FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]
# Label counts for 0..9, from /work/shared/data/README.md.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
SMALL_COUNTS = {
    (MNIST, True): [592, 671, 581, 608, 623, 514, 608, 651, 551, 601],
    (MNIST, False): [85, 126, 116, 107, 110, 87, 87, 99, 89, 94],
    (FashionMNIST, True): [560, 643, 608, 612, 584, 594, 590, 617, 590, 602],
    (FashionMNIST, False): [107, 105, 111, 93, 115, 87, 97, 95, 95, 95],
    (CIFAR10, True): [396, 366, 420, 384, 422, 393, 414, 385, 407, 413],
    (CIFAR10, False): [103, 89, 100, 103, 90, 86, 112, 102, 106, 109],
}

needs_shared_mnist = pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason=f"{SHARED_MNIST} is not there")


def label_counts(dataset) -> list[int]:
    return np.bincount(dataset.targets, minlength=10).tolist()


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- a loopback file server -------------------------------------------------------------------


@contextlib.contextmanager
def serving(folder: Path):
    """Serve `folder` over HTTP on 127.0.0.1; yields (base URL, list of the paths requested)."""
    requested = []

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self):
            requested.append(self.path)
            super().do_GET()

        def log_message(self, format, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def served_copy_of_mnist(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in MNIST_FILES:
        shutil.copy(SHARED_MNIST / name, folder / name)
    return folder


def flip_bytes(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at : at + 8] = bytes(255 - value for value in data[at : at + 8])
    path.write_bytes(bytes(data))


@pytest.fixture(scope="session")
def downloaded_mnist(tmp_path_factory):
    """Full MNIST downloaded once for the session from a loopback server (the first mirror is
    missing, so the second must be used), then loaded: (train, test, cache folder, requests)."""
    if not SHARED_MNIST.is_dir():
        pytest.skip(f"{SHARED_MNIST} is not there")
    served = served_copy_of_mnist(tmp_path_factory.mktemp("served") / "files")
    cache = tmp_path_factory.mktemp("cache")
    with serving(served.parent) as (url, requested), pytest.MonkeyPatch.context() as patch:
        patch.setattr(MNIST, "mirrors", [url + "missing/", url + "files/"])
        train = MNIST(root=cache, train=True, download=True)
        test = MNIST(root=cache, train=False, download=True)
    return train, test, cache, requested


# --- IDX files ----------------------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 0x0800 | array.ndim
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes()


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_reads_images_and_labels(tmp_path, compress):
    images = np.random.default_rng(0).integers(0, 256, (3, 4, 5), dtype=np.uint8)
    labels = np.array([7, 0, 9], dtype=np.uint8)
    for name, array in (("images", images), ("labels", labels)):
        data = idx_bytes(array)
        path = tmp_path / name
        path.write_bytes(gzip.compress(data) if compress else data)
        np.testing.assert_array_equal(read_idx(path), array)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda data: data[:-1], "truncated.*shape \\(3, 4, 5\\)"),
        (lambda data: data + b"\x00", "extra bytes"),
        (lambda data: data[:10], "truncated: the header needs 16 bytes"),
        (lambda data: data[:2], "too short"),
        (lambda data: b"\x00\x00\x08\x02" + data[4:], "0x00000802"),
        (lambda data: b"\x00\x00\x0d\x03" + data[4:], "not an MNIST-style IDX file"),
    ],
)
def test_parse_idx_rejects_damaged_data_clearly(damage, message):
    data = idx_bytes(np.zeros((3, 4, 5), dtype=np.uint8))
    with pytest.raises(ValueError, match=message):
        parse_idx(damage(data), source="images.idx")


def test_read_idx_rejects_a_cut_off_gzip_file(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.ones((20, 28, 28), dtype=np.uint8)))[:-30])
    with pytest.raises(ValueError, match="images.gz: damaged gzip data"):
        read_idx(path)


# --- CIFAR-10 binary batches ------------------------------------------------------------------


def cifar_records(images: np.ndarray, labels: np.ndarray) -> bytes:
    """The binary-version records of NHWC images: label byte, then the R, G and B planes."""
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return np.concatenate([labels[:, None].astype(np.uint8), planes], axis=1).tobytes()


def cifar_archive(path: Path, batches: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in batches.items():
            member = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return path


def random_cifar(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def test_cifar_records_become_nhwc_rgb_images():
    images, labels = random_cifar(3, seed=0)
    record = bytearray(cifar_records(images, labels))
    record[1 + 5 * 32 + 7] = 201  # the red value of row 5, column 7 of the first image
    record[1 + 1024 + 31] = 202  # green, row 0, column 31
    parsed_images, parsed_labels = parse_cifar_records(bytes(record))
    assert parsed_images.shape == (3, 32, 32, 3) and parsed_images.dtype == np.uint8
    assert parsed_images[0, 5, 7, 0] == 201 and parsed_images[0, 0, 31, 1] == 202
    np.testing.assert_array_equal(parsed_images[1:], images[1:])
    np.testing.assert_array_equal(parsed_labels, labels)


def test_cifar_records_reject_truncated_or_foreign_data():
    images, labels = random_cifar(2, seed=1)
    data = cifar_records(images, labels)
    with pytest.raises(ValueError, match=f"not a whole number of {RECORD_SIZE}-byte records"):
        parse_cifar_records(data[:-5])
    with pytest.raises(ValueError, match="not a whole number"):
        parse_cifar_records(b"")
    with pytest.raises(ValueError, match="record 1 has label 200"):
        parse_cifar_records(cifar_records(images, np.array([3, 200])))


def test_cifar_archive_reads_the_batches_asked_for_in_order(tmp_path):
    parts = {name: random_cifar(4, seed) for seed, name in enumerate(["test_batch.bin", "data_batch_2.bin"])}
    path = cifar_archive(tmp_path / "cifar.tar.gz", {name: cifar_records(*part) for name, part in parts.items()})
    names = ["cifar-10-batches-bin/data_batch_2.bin", "cifar-10-batches-bin/test_batch.bin"]
    images, labels = read_cifar_archive(path, names)
    np.testing.assert_array_equal(images, np.concatenate([parts["data_batch_2.bin"][0], parts["test_batch.bin"][0]]))
    np.testing.assert_array_equal(labels, np.concatenate([parts["data_batch_2.bin"][1], parts["test_batch.bin"][1]]))
    with pytest.raises(ValueError, match="data_batch_1.bin missing"):
        read_cifar_archive(path, ["cifar-10-batches-bin/data_batch_1.bin"])
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="damaged archive"):
        read_cifar_archive(cut, names)


def test_cifar10_loads_the_binary_archive_from_its_folder(tmp_path, monkeypatch):
    train_parts = [random_cifar(3, seed) for seed in range(5)]
    batches = {f"data_batch_{number + 1}.bin": cifar_records(*part) for number, part in enumerate(train_parts)}
    batches["test_batch.bin"] = cifar_records(*random_cifar(2, seed=9))
    (tmp_path / "cifar-10").mkdir()
    archive = cifar_archive(tmp_path / "cifar-10" / "cifar-10-binary.tar.gz", batches)
    monkeypatch.setattr(CIFAR10, "known_hash", "sha256:" + sha256_of(archive))
    train = CIFAR10(root=tmp_path)
    assert train.data.shape == (15, 32, 32, 3) and train.targets.dtype == np.int64
    np.testing.assert_array_equal(train.data[3:6], train_parts[1][0])
    image, label = train[4]
    assert image.shape == (3, 32, 32) and label == train_parts[1][1][1]
    assert len(CIFAR10(root=tmp_path, train=False)) == 2


# --- downloads ----------------------------------------------------------------------------------


@needs_shared_mnist
def test_download_then_load_full_mnist(downloaded_mnist):
    train, test, cache, requested = downloaded_mnist
    assert train.data.shape == (60000, 28, 28) and train.data.dtype == np.uint8
    assert test.data.shape == (10000, 28, 28) and test.targets.dtype == np.int64
    assert label_counts(train) == MNIST_TRAIN_COUNTS
    assert label_counts(test) == MNIST_TEST_COUNTS
    assert train.targets[:5].tolist() == [5, 0, 4, 1, 9]
    image, label = train[0]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32 and label == 5
    assert sorted(path.name for path in (cache / "mnist").iterdir()) == sorted(MNIST_FILES)
    # Each file was asked of the missing mirror first, then of the good one, once.
    assert requested == [f"/{mirror}/{name}" for name in MNIST_FILES for mirror in ("missing", "files")]


@needs_shared_mnist
def test_a_second_construction_uses_the_cache_without_any_request(downloaded_mnist, tmp_path, monkeypatch):
    _, test, cache, _ = downloaded_mnist
    monkeypatch.setenv("MINIDL_DATA", str(cache))
    (tmp_path / "empty").mkdir()
    with serving(tmp_path / "empty") as (url, requested):
        monkeypatch.setattr(MNIST, "mirrors", [url])
        again = MNIST(train=False, download=True)
        offline = MNIST(train=False)
    assert requested == []
    np.testing.assert_array_equal(again.data, test.data)
    np.testing.assert_array_equal(offline.targets, test.targets)


@needs_shared_mnist
def test_a_corrupt_download_is_rejected_and_leaves_no_file(tmp_path, monkeypatch):
    served = served_copy_of_mnist(tmp_path / "served")
    flip_bytes(served / "t10k-images-idx3-ubyte.gz", at=100_000)
    monkeypatch.setenv("MINIDL_DATA", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "mnist"
    with serving(served) as (url, requested):
        monkeypatch.setattr(MNIST, "mirrors", [url + "missing/", url])
        download_module.fetch(
            "t10k-labels-idx1-ubyte.gz", [url + "t10k-labels-idx1-ubyte.gz"],
            MNIST.sha256["t10k-labels-idx1-ubyte.gz"], folder,
        )  # fmt: skip
        with pytest.raises(DownloadError) as raised:
            MNIST(train=False, download=True)
    message = str(raised.value)
    assert "could not download t10k-images-idx3-ubyte.gz" in message
    assert url + "missing/t10k-images-idx3-ubyte.gz" in message and "404" in message
    assert url + "t10k-images-idx3-ubyte.gz" in message and "hash" in message
    # Neither the bad download nor a temporary file is left; the earlier good file is intact.
    assert [path.name for path in folder.iterdir()] == ["t10k-labels-idx1-ubyte.gz"]
    assert sha256_of(folder / "t10k-labels-idx1-ubyte.gz") == MNIST.sha256["t10k-labels-idx1-ubyte.gz"]
    with pytest.raises(FileNotFoundError):
        MNIST(train=False)


@needs_shared_mnist
def test_a_damaged_cached_file_is_not_trusted_and_not_overwritten_by_a_bad_download(tmp_path, monkeypatch):
    name = "t10k-labels-idx1-ubyte.gz"
    served = served_copy_of_mnist(tmp_path / "served")
    folder = tmp_path / "cache" / "mnist"
    folder.mkdir(parents=True)
    shutil.copy(served / name, folder / name)
    shutil.copy(served / "t10k-images-idx3-ubyte.gz", folder)
    flip_bytes(folder / name, at=1000)
    damaged = (folder / name).read_bytes()
    flip_bytes(served / name, at=2000)
    with pytest.raises(ValueError, match="damaged.*download=True"):
        MNIST(root=tmp_path / "cache", train=False)
    with serving(served) as (url, _):
        with pytest.raises(DownloadError, match="hash"):
            download_module.fetch(name, [url + name], MNIST.sha256[name], folder)
        assert (folder / name).read_bytes() == damaged  # pooch moves a download in only once it checks out
        shutil.copy(SHARED_MNIST / name, served / name)
        download_module.fetch(name, [url + name], MNIST.sha256[name], folder)
    assert sha256_of(folder / name) == MNIST.sha256[name]
    assert sorted(path.name for path in folder.iterdir()) == ["t10k-images-idx3-ubyte.gz", name]
    assert len(MNIST(root=tmp_path / "cache", train=False)) == 10000


def test_missing_files_without_download_say_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz.*download=True.*subset='small'"):
        MNIST(root=tmp_path)
    with pytest.raises(FileNotFoundError, match="cifar-10-binary.tar.gz"):
        CIFAR10(root=tmp_path, train=False)
    with pytest.raises(ValueError, match="subset must be None"):
        FashionMNIST(subset="tiny")


def test_the_cache_folder_is_minidl_data_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIDL_DATA", str(tmp_path))
    assert download_module.default_cache_dir() == tmp_path
    monkeypatch.delenv("MINIDL_DATA")
    assert download_module.default_cache_dir().name == "minidl"


# --- subsets shipped with minidl ----------------------------------------------------------------


@pytest.mark.parametrize("dataset_class, train", list(SMALL_COUNTS))
def test_bundled_subsets_load_without_network(dataset_class, train, monkeypatch):
    monkeypatch.setattr(pooch, "retrieve", lambda *args, **kwargs: pytest.fail("a bundled subset tried to download"))
    dataset = dataset_class(train=train, subset="small")
    counts = SMALL_COUNTS[(dataset_class, train)]
    side, channels = (32, 3) if dataset_class is CIFAR10 else (28, 1)
    stored_shape = (sum(counts), side, side, 3) if channels == 3 else (sum(counts), side, side)
    assert dataset.data.shape == stored_shape and dataset.data.dtype == np.uint8
    assert label_counts(dataset) == counts
    image, label = dataset[0]
    assert image.shape == (channels, side, side) and image.dtype == np.float32
    assert 0.0 <= image.numpy().min() and image.numpy().max() <= 1.0
    assert len(dataset.classes) == 10 and label == dataset.targets[0]


def test_bundled_subsets_match_the_documented_first_labels():
    assert CIFAR10(subset="small").targets[:10].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert CIFAR10(subset="small", train=False).targets[:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]


def test_a_damaged_bundled_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "mnist_small.npz"
    shutil.copy(download_module.BUNDLED_FOLDER / "mnist_small.npz", copy)
    flip_bytes(copy, at=5000)
    monkeypatch.setattr(download_module, "BUNDLED_FOLDER", tmp_path)
    with pytest.raises(ValueError, match="damaged.*reinstall"):
        MNIST(subset="small")


def test_the_bundled_readme_lists_each_file_with_its_sha256():
    readme = (download_module.BUNDLED_FOLDER / "README.md").read_text()
    for dataset_class in (MNIST, FashionMNIST, CIFAR10):
        file_name, sha256 = dataset_class.small_subset
        assert file_name in readme and sha256 in readme


# --- toy data -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, n, classes",
    [
        (lambda seed: spirals(50, classes=3, noise=0.1, seed=seed), 150, 3),
        (lambda seed: moons(40, noise=0.1, seed=seed), 80, 2),
        (lambda seed: circles(30, noise=0.05, seed=seed), 60, 2),
    ],
)
def test_toy_classification_sets_are_deterministic_under_their_seed(make, n, classes):
    x, y = make(0)
    assert x.shape == (n, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y.numpy()).tolist() == [n // classes] * classes
    np.testing.assert_array_equal(make(0)[0].numpy(), x.numpy())
    assert not np.array_equal(make(1)[0].numpy(), x.numpy())
    minidl.manual_seed(4)
    from_global = make(None)[0].numpy()
    minidl.manual_seed(4)
    np.testing.assert_array_equal(make(None)[0].numpy(), from_global)


def test_linear_regression_is_a_noisy_line():
    x, y = linear_regression(200, features=3, noise=0.0, seed=2)
    assert x.shape == (200, 3) and y.shape == (200, 1) and y.dtype == np.float32
    design = np.concatenate([x.numpy(), np.ones((200, 1), np.float32)], axis=1)
    _, residual, *_ = np.linalg.lstsq(design, y.numpy(), rcond=None)
    assert residual[0] < 1e-6  # without noise, y is exactly linear in x
    np.testing.assert_array_equal(linear_regression(200, features=3, seed=2)[0].numpy(), x.numpy())
