"""MNIST and Fashion-MNIST: 28 x 28 grey images in 10 classes, 60,000 for training and 10,000 for testing.

    train = MNIST(train=True, download=True)      # the full set, downloaded once (about 11 MB)
    small = MNIST(subset="small")                  # 6,000 + 1,000 images that come with minidl
    image, label = train[0]                        # a float32 1 x 28 x 28 Tensor in [0, 1], and 5

The full sets are the four original IDX files (see idx.py), checked against their SHA-256.
"""

from __future__ import annotations

from pathlib import Path

from minidl.datasets.download import dataset_file
from minidl.datasets.idx import read_idx
from minidl.datasets.published import PublishedDataset

__all__ = ["MNIST", "FashionMNIST"]


class MNIST(PublishedDataset):
    """The MNIST handwritten digits (LeCun, Cortes and Burges); the label is the digit.

    root: the folder holding the data folder (`mnist/`); default $MINIDL_DATA, else your cache folder.
    train: the 60,000 training images, or (False) the 10,000 test images.
    download: download the two files of that part when they are missing (from `mirrors`, in order).
    subset: "small" for the first 6,000 training / 1,000 test images, shipped with minidl.
    transform, target_transform: applied to each image (default ToTensor) and each label.
    `data` holds the uint8 N x 28 x 28 images and `targets` the int64 labels.
    """

    classes = [
        "0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
        "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine",
    ]  # fmt: skip
    folder = "mnist"
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    sha256 = {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }
    small_subset = ("mnist_small.npz", "95c08517bf0955602193d20af84827ad6f151558f620a52fb2fa2124918b5bf2")

    def _read_full(self, folder: Path, download: bool):
        prefix = "train" if self.train else "t10k"
        images, labels = (
            read_idx(dataset_file(type(self).__name__, name, self.mirrors, self.sha256[name], folder, download))
            for name in (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz")
        )
        return images, labels


class FashionMNIST(MNIST):
    """Fashion-MNIST (Xiao, Rasul and Vollgraf, Zalando Research): photos of clothes, in MNIST's format."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    folder = "fashion-mnist"
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    sha256 = {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    }
    small_subset = ("fashion_small.npz", "1e5ffc8062459f5b6761bc5c6c589d9928b3f40fd7afc5e90f68cabcdd7ad67e")
