"""bench/load.py runs end to end: two agents at once in Chromium on a small synthetic store,
with the collector feeding it, and its JSON says what they did. Timings are the script's to
report, never asserted here."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_two_agents_work_a_small_store_and_the_script_reports_it(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: apt-get install -y chromium "
                    "(.ci/run does it)")
    # Two browsers and a server on a shared 2-core machine: a second try when the first run
    # falls short, so a slow moment does not fail the suite; a broken script or app fails
    # both (the second try's findings are the ones reported).
    for attempt in (1, 2):
        try:
            _run_and_check(tmp_path / f"load{attempt}.json")
            return
        except AssertionError:
            if attempt == 2:
                raise


def _run_and_check(out: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--sessions", "2", "--minutes", "0.5",
         "--baseline-rounds", "1", "--baseline-minutes", "0.1", "--mentions", "5000",
         # The machine is shared: a slow moment is not what this test is about.
         "--timeout", "120", "--output", str(out)],
        cwd=str(ROOT), capture_output=True, text=True, timeout=300)
    # Exit 1 means some interaction had an error. A browser timeout (a click the page did
    # not take within the script's patience: issue 8's note names one in the case panel) is
    # the benchmark's finding to report, not this test's; an error the app showed is.
    assert done.returncode in (0, 1), done.stdout[-4000:] + done.stderr[-3000:]

    result = json.loads(out.read_text())
    for key in ("baseline", "load", "p95_ratio", "server", "check", "errors", "error_count",
                "loadavg_before", "loadavg_after"):
        assert key in result
    assert result["load"]["sessions"] == 2 and result["baseline"]["sessions"] == 1
    assert result["error_count"] == len(result["errors"])
    assert all("Timeout" in str(e) for e in result["errors"]), result["errors"]
    worked = result["load"]["interactions"]
    assert result["load"]["all"]["count"] > 0 and result["baseline"]["all"]["count"] > 0
    assert worked["sign_in"]["count"] == 2 and worked["open_case"]["count"] > 0
    assert all({"count", "p50_ms", "p95_ms", "max_ms", "errors"} <= set(v)
               for v in worked.values())
    assert result["server"]["peak_rss_mb"] > 0
    assert result["check"]["collected"] > 0  # the collector ran during the test
    assert result["check"]["actions_missing_in_audit"] == []
    assert "p95 ratio" in done.stdout  # the table, with the ratio to one agent alone


def _load_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("load_script", ROOT / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_run_the_page_never_showed_running_is_seen_by_its_messages(page):
    """A busy browser may handle a whole run's messages in one task and never show
    "running": the click's run is then seen by the server's messages (a dozen, not a lone
    heartbeat's answer), from the click if the page was idle, or else from the end of the
    run going on at the click; and it ends with its last message."""
    load = _load_script()
    page.set_content('<div data-testid="stApp" data-test-script-state="notRunning"></div>')
    page.evaluate(load.MARK_JS)

    def settled(changes, frames, idle_at_click, quiet=150):
        """SETTLED_JS with the click 5 s ago, state changes and frames at ms after it."""
        return page.evaluate(
            """([changes, frames, idle, quiet, js]) => {
                 const t0 = performance.now() - 5000;
                 window.__clamorLoad.changes = [[t0 - 9000, 'notRunning'],
                                                ...changes.map(([t, s]) => [t0 + t, s])];
                 window.__clamorFrames = frames.map(([t, n]) => [t0 + t, n]);
                 const end = eval(js)([t0, quiet, idle]);
                 return end === false ? false : Math.round(end - t0);
               }""", [changes, frames, idle_at_click, quiet, load.SETTLED_JS])

    run = [[1000 + i, 150] for i in range(12)]  # a run's messages, 1.000-1.011 s after
    assert settled([], run, True) == 1011
    assert settled([], [[1000, 4]], True) is False            # a heartbeat's answer alone
    assert settled([], [[4900 + i, 150] for i in range(12)], True) is False  # still coming
    # Clicked while a run went on: its last messages are not the click's run...
    assert settled([[600, "notRunning"]], [[500 + i, 150] for i in range(12)], False) is False
    # ...those after it ended are; and a run the page showed counts as before.
    assert settled([[600, "notRunning"]], run, False) == 1011
    assert settled([[800, "running"], [2000, "notRunning"]], [], False) == 2000
