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
