"""End-to-end fixtures: the real `clamor run --demo` on a temp database, and Debian's
Chromium driven by Playwright (Playwright cannot download its own browsers here)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_app(tmp_path):
    """The dashboard as `make demo` starts it, on its own port and database."""
    port = free_port()
    log = open(tmp_path / "app.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "clamor.cli", "run", "--demo", "--port", str(port),
         "--db", str(tmp_path / "demo.duckdb")],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "CLAMOR_CONFIG": ""},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError(
                    f"the app did not start: {(tmp_path / 'app.log').read_text()}") from exc
            time.sleep(0.3)
    yield url
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    log.close()


@pytest.fixture
def page():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: apt-get install -y chromium "
                    "(.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        yield page
        browser.close()
