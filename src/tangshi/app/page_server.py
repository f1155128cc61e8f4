"""`tangshi serve` in a subprocess on a free local port: the browser test and scripts/serve_screenshot.py drive it."""

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from typing import Iterator

CHROMIUM = "/usr/bin/chromium"  # Debian's (installed by .ci/run)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(args: list[str], wait_s: float = 60) -> Iterator[str]:
    """The page's URL while `tangshi serve ARGS` runs (it is stopped after)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tangshi.app.cli", "serve", "--port", str(port), *args],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
