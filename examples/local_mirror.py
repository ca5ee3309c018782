"""Serve a folder on 127.0.0.1 so the real dataset downloader (pooch, checksums) can fetch from it.

The examples use it to load full MNIST from ../shared/data exactly as a user's machine would
download it, with no internet: the same classes, the same cache, the same checks.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import tempfile
import threading
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@contextlib.contextmanager
def serving(folder: Path):
    """A base URL (ending in '/') serving `folder` until the block ends."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def require_shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        raise SystemExit(f"this example needs the full datasets in {SHARED_DATA} (the project's shared folder)")
    return SHARED_DATA


def full_mnist():
    """(train, test) full MNIST, normalized, downloaded from the loopback mirror into a fresh cache."""
    from minidl.data.transforms import Compose, Normalize, ToTensor
    from minidl.datasets import MNIST

    shared = require_shared_data()
    normalize = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
    with tempfile.TemporaryDirectory() as cache, serving(shared / "mnist") as url:
        os.environ["MINIDL_DATA"] = cache
        MNIST.mirrors = [url]
        train = MNIST(train=True, download=True, transform=normalize)
        return train, MNIST(train=False, download=True, transform=normalize)
