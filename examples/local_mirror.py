"""Serve a folder on 127.0.0.1 so the real dataset downloader (pooch, checksums) can fetch from it.

The examples use it to load full MNIST from ../shared/data exactly as a user's machine would
download it, with no internet: the same classes, the same cache, the same checks.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
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
