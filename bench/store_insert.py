"""Benchmark: how fast the store takes a page of mentions, against a baseline measured in the
same run (row-by-row `executemany` into the same schema), and what a re-collected page costs.

Prints ratios and writes bench/results/store_insert.json. Usage: python bench/store_insert.py [N]
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

from clamor.store import Store, _mention_table
from collectors.base import Mention

T0 = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)


def mentions(n: int, offset: int = 0) -> list[Mention]:
    return [Mention(source="x", native_id=str(offset + i),
                    text=f"@AerolumeHelp bag {i} still missing after AL 213", created_at=T0,
                    author=f"@user{i}", author_followers=i, matched_terms=("Aerolume",),
                    matched_kinds=("brand",)) for i in range(n)]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        page = mentions(n)
        bulk = timed(lambda: store.insert_mentions(page, collector="x", version="b",
                                                   cursor="c", save_cursor=True))
        again = timed(lambda: store.insert_mentions(page, collector="x", version="b",
                                                    cursor="c", save_cursor=True))
        # Baseline: the same rows, one statement execution per row.
        rows = _mention_table(mentions(n, offset=n), [False] * n, "x", "b", "", T0).to_pylist()
        columns = list(rows[0])
        sql = (f"INSERT INTO mentions ({', '.join(columns)}) VALUES "
               f"({', '.join('?' for _ in columns)}) ON CONFLICT DO NOTHING")
        baseline = timed(lambda: store.con.executemany(sql, [list(r.values()) for r in rows]))
        store.close()
    result = {
        "rows": n,
        "bulk_rows_per_s": round(n / bulk),
        "recollect_rows_per_s": round(n / again),
        "executemany_rows_per_s": round(n / baseline),
        "bulk_vs_executemany": round(baseline / bulk, 1),
    }
    return result


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    result = main(n)
    print(f"bulk insert {result['bulk_rows_per_s']:,} rows/s; re-collecting the same page "
          f"{result['recollect_rows_per_s']:,} rows/s; executemany baseline "
          f"{result['executemany_rows_per_s']:,} rows/s; bulk is "
          f"{result['bulk_vs_executemany']}x the baseline")
    out = Path(__file__).parent / "results" / "store_insert.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
