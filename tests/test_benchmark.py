"""`clamor bench` at a small size: it builds a store, measures everything and reports every
figure the lead's goals read. No timing is asserted here: goals live in the benchmark."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb

from clamor import benchmark
from tests.conftest import COMPLAINT_TIMES_OFF

REQUIRED = ("mentions", "ingest_per_s", "vader_alone_per_s", "ingest_ratio_vs_vader",
            "inbox_p95_ms", "inbox_ratio_vs_raw", "search_p95_ms", "search_ratio_vs_raw",
            "overview_p95_ms", "peak_rss_mb", "insert_to_visible_ms", "alert_detection_ms",
            "inbox_dashboard_p95_ms")


def test_a_small_bench_reports_every_figure_and_keeps_its_store(tmp_path):
    # In a fresh interpreter, as `clamor bench` runs: its worker processes start from
    # __main__, which Streamlit's page tests in this process replace.
    done = subprocess.run(
        [sys.executable, "-c", "import json, sys; from clamor import benchmark; "
         "lines = []; result = benchmark.run(mentions=3000, workdir=sys.argv[1], "
         "progress=lines.append); print(json.dumps({'result': result, 'lines': lines}, "
         "default=str))", str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    result, lines = out["result"], out["lines"]

    assert set(REQUIRED) <= set(result)
    assert result["mentions"] == 3000
    for key in REQUIRED[1:]:
        assert isinstance(result[key], (int, float)) and result[key] > 0, (key, result[key])
    assert result["insert_to_visible_ranks"] and all(result["insert_to_visible_ranks"])
    assert any("built in" in line for line in lines)

    con = duckdb.connect(str(tmp_path / "bench-3000.duckdb"), read_only=True)
    try:
        langs = dict(con.execute("SELECT lang, count(*) FROM analysis GROUP BY ALL").fetchall())
        assert set(langs) == {"en", "fa", "ar", "th", "el"}
        assert langs["en"] > langs["th"]
        (mentions, unfiled) = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE f.mention_id IS NULL) FROM mentions m "
            "LEFT JOIN case_mentions f ON f.mention_id = m.id").fetchone()
        assert mentions == 3000 + 5  # the store, and the complaints timed into the inbox
        assert unfiled == 0
        # each case keeps its newest complaint, as filing keeps it
        assert con.execute(COMPLAINT_TIMES_OFF).fetchall() == []
        assert con.execute("SELECT count(last_complaint_at) FROM cases").fetchone()[0] > 10
        # Thai is indexed in words, as the analysis pass would index it.
        assert con.execute("SELECT count(*) FROM search_words "
                           "WHERE word = 'เที่ยวบิน'").fetchone()[0] > 0
    finally:
        con.close()


def test_the_table_names_the_goals_and_says_which_are_met():
    result = {"mentions": 10_000_000, "cpu_count": 2, "duckdb": "1.5", "date": "today",
              "inbox_p95_ms": 80.0, "inbox_raw_p95_ms": 70.0, "inbox_ratio_vs_raw": 1.14,
              "search_p95_ms": 400.0, "peak_rss_mb": 500.0}
    result["goals_10m"] = {key: benchmark._met(result.get(key), op, goal)
                           for key, (op, goal, _) in benchmark.GOALS_10M.items()}
    table = benchmark._table(result)
    assert "inbox p95 ≤ 100 ms" in table
    inbox = next(line for line in table.splitlines() if line.startswith("inbox p95"))
    search = next(line for line in table.splitlines() if line.startswith("explorer search p95"))
    assert inbox.endswith("— met") and search.endswith("— NOT met")
