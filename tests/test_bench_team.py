"""bench/team.py runs end to end at tiny sizes (its own PostgreSQL, a lake, two rounds of
worker processes, a day of triage, maintenance) and writes the figures it promises. Only
that it runs and its figures are sane: the timings themselves are the benchmark's business,
never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import postgres_server

ROOT = Path(__file__).resolve().parent.parent
KEYS = ("mentions", "inbox_p95_ms_embedded", "inbox_p95_ms_lake",
        "inbox_ratio_lake_vs_embedded", "copy_s", "workers_1_per_s", "workers_2_per_s",
        "workers_ratio_2_vs_1", "parquet_files_before_day", "parquet_files_after_day",
        "parquet_files_after_maintenance", "maintain_s", "date", "commit", "cpu_count")


def test_the_team_benchmark_runs_at_tiny_sizes_and_writes_its_figures(tmp_path):
    reason = postgres_server.available()
    if reason:
        pytest.skip(reason)
    out = tmp_path / "team.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "team.py"), "--mentions", "3000", "--stream",
         "300", "--actions", "60", "--reps", "4", "--worker-rounds", "1", "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ratio 2 workers / 1 worker" in done.stdout
    r = json.loads(out.read_text(encoding="utf-8"))
    assert all(key in r for key in KEYS), [key for key in KEYS if key not in r]
    assert r["mentions"] == 3000 and r["actions"] == 60
    for key in KEYS:
        if key not in ("date", "commit", "mentions", "parquet_files_before_day"):
            assert r[key] > 0, key
    assert r["stream_stored"] > 0
    assert r["workers_1_done_s"] >= r["workers_1_all_stored_s"] > 0
    # A day of small writes stays in the catalog: not one file per action.
    assert r["parquet_files_after_day"] == r["parquet_files_before_day"] > 0
    assert r["inlined_rows_after_day"] > r["inlined_rows_before_day"]
    # Maintenance moves what the catalog held into Parquet: at most one new file per table,
    # and nothing left inlined.
    assert r["inlined_rows_after_maintenance"] == 0
    assert r["parquet_files_after_maintenance"] <= (r["parquet_files_after_day"]
                                                   + r["tables_holding_rows"])
