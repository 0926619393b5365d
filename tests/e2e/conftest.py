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


FAKETIME = shutil.which("faketime")


class App:
    """A running `clamor run --demo` process on its own port."""

    def __init__(self, db: Path, log: Path, *, clock_ahead_hours: float = 0,
                 extra_args: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.log = open(log, "a")
        command = [sys.executable, "-m", "clamor.cli", "run", "--demo", "--port",
                   str(self.port), "--db", str(db), *extra_args]
        if clock_ahead_hours:
            # The whole process, database included, lives that much later: libfaketime
            # shifts the system clock it sees, nothing in Clamor is told.
            if not FAKETIME:
                pytest.fail("faketime is not installed: apt-get install -y faketime "
                            "(.ci/run does it)")
            command = [FAKETIME, "-f", f"+{clock_ahead_hours}h", *command]
        self.faked = bool(clock_ahead_hours)
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "CLAMOR_CONFIG": ""},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2)
                break
            except OSError as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"the app did not start: {log.read_text()}") from exc
                time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # `clamor run` serves from a child process: the database is free only once the whole
        # group is gone.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.faked:
            # The faketime wrapper, stopped with its group, leaves its shared memory and
            # semaphore named by its pid; a later wrapper given that pid again failed to
            # start ("sem_open: File exists").
            for name in (f"faketime_shm_{self.process.pid}",
                         f"sem.faketime_sem_{self.process.pid}"):
                Path("/dev/shm", name).unlink(missing_ok=True)
        if not self.log.closed:
            self.log.close()


@pytest.fixture
def start_app(tmp_path):
    """Starts the app on the test's database (optionally with its clock N hours ahead);
    every app started is stopped at the end."""
    started: list[App] = []

    def start(clock_ahead_hours: float = 0, extra_args: tuple[str, ...] = ()) -> App:
        app = App(tmp_path / "demo.duckdb", tmp_path / "app.log",
                  clock_ahead_hours=clock_ahead_hours, extra_args=extra_args)
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Path:
    """The demo database as `clamor run --demo` prepares it on its first start (five days of
    mentions and the team's casework on them: ~15 s of a 2-core machine), made once per
    test session by starting the app once. The tests that seed their own database first
    (hostile posts, an SSO user) and the casework test still prepare it from scratch."""
    root = tmp_path_factory.mktemp("demo-database")
    App(root / "demo.duckdb", root / "app.log").stop()
    return root / "demo.duckdb"


@pytest.fixture
def demo_app(start_app, demo_database, tmp_path):
    """The dashboard as `make demo` starts it, on its own port and a copy of the session's
    demo database."""
    for part in demo_database.parent.glob(demo_database.name + "*"):  # and its WAL
        shutil.copy(part, tmp_path / part.name)
    return start_app().url


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


def settled(page, timeout: float = 30_000) -> None:
    """Wait until the app has finished its current run (Streamlit's own end-to-end tests read
    the stApp element's data-test-script-state): a widget clicked while a run is still going
    is redrawn when the run ends, and an open dropdown closes."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=timeout)


def open_dropdown(page, box) -> None:
    """Open a select box's list from the keyboard (Playwright's click can land while the
    sticky panel is still scrolling the box into view, and the list does not open). Again
    if the first key press found no list: just after the case panel is redrawn alone, its
    widgets may still be mounted anew for a moment, and a key press then goes nowhere (an
    agent clicks again; seen in about 1 of 10 runs)."""
    from playwright.sync_api import expect

    options = page.get_by_role("option")
    for attempt in range(3):
        box.focus()
        box.press("ArrowDown")
        try:
            expect(options.first).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            if attempt == 2:
                raise
            settled(page)


def open_first_english_complaint(page) -> str:
    """Open the inbox's first English complaint in the case panel; returns its case id."""
    import re

    from playwright.sync_api import expect

    cards = page.locator("div[class*='st-key-mention-']")
    english = cards.filter(has_text="complaint").filter(has_text="English").first
    expect(english).to_be_visible(timeout=90_000)
    english.get_by_role("button", name="Open & reply").click()
    heading = page.get_by_role("heading", name=re.compile(r"^Case C-\d+"))
    expect(heading).to_be_visible(timeout=30_000)
    return re.search(r"C-\d+", heading.inner_text()).group(0)


DEMO_PASSWORD = "aerolume-demo"  # clamor.demo.desk.DEMO_PASSWORD, as the sign-in page shows


def sign_in(page, url: str, name: str) -> None:
    """Open `url` and sign in as one of the demo's users."""
    from playwright.sync_api import expect

    page.goto(url)
    field = page.get_by_role("textbox", name="Name")
    expect(field).to_be_visible(timeout=60_000)
    field.fill(name)
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=30_000)
