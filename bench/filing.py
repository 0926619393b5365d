"""Benchmark: how fast analysed mentions are filed into cases (joining follow-ups, routing new
cases, filing the brand's replies as responses), against a baseline measured in the same run:
the store's bulk insert of the same mentions, the step that comes before filing.

Prints the ratio and writes bench/results/filing.json. Usage: python bench/filing.py [N]
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from clamor import cases
from clamor.config import DEMO_CONFIG, load_config
from clamor.store import Store
from collectors.base import Mention

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
LANGS = ("en", "fa", "ar", "th", "el")


def stream(n: int) -> tuple[list[Mention], list[bool]]:
    """Customers (a third write more than once), and brand replies to a fifth of them."""
    rng = random.Random(5)
    posts, own = [], []
    for i in range(n):
        author = f"@user{rng.randrange(n * 2 // 3)}"
        at = T0 + dt.timedelta(seconds=i * 20)
        posts.append(Mention(source="x", native_id=str(i), text=f"Aerolume bag {i}",
                             created_at=at, author=author, matched_terms=("Aerolume",),
                             matched_kinds=("brand",)))
        own.append(False)
        if rng.random() < 0.2:
            posts.append(Mention(source="x", native_id=f"r{i}", text="DM us",
                                 created_at=at + dt.timedelta(minutes=30),
                                 author="AerolumeHelp", in_reply_to=str(i),
                                 conversation_id=str(i)))
            own.append(True)
    return posts, own


def analysis_rows(store: Store, seed: int = 9) -> None:
    """Analysis results for every mention (filing reads language and complaint flag)."""
    ids = [r[0] for r in store.query_rows("SELECT id FROM mentions")]
    rng = random.Random(seed)
    frame = pd.DataFrame({
        "mention_id": ids, "lang": [rng.choice(LANGS) for _ in ids],
        "lang_confidence": 1.0, "sentiment": None, "sentiment_label": "unscored",
        "sentiment_model": None, "complaint": [rng.random() < 0.4 for _ in ids],
        "complaint_score": 0.0, "complaint_cues": [[] for _ in ids],
        "analysed_at": pd.Timestamp(T0), "analysis_version": "bench"})
    store.save_analysis(frame)


def main(n: int) -> dict:
    config = load_config(DEMO_CONFIG)
    posts, own = stream(n)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        start = time.perf_counter()
        store.insert_mentions(posts, own=own, collector="bench", version="b")
        insert = time.perf_counter() - start
        analysis_rows(store)
        start = time.perf_counter()
        filed = cases.file_new(store, config, now=T0)
        filing = time.perf_counter() - start
        opened = store.query_rows("SELECT count(*) FROM cases")[0][0]
        store.close()
    return {
        "mentions": len(posts), "filed": filed, "cases": opened,
        "insert_rows_per_s": round(len(posts) / insert),
        "filing_rows_per_s": round(filed / filing),
        "filing_vs_insert": round(filing / insert, 1),
    }


if __name__ == "__main__":
    result = main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
    for key, value in result.items():
        print(f"{key:>20}: {value}")
    print(f"filing takes {result['filing_vs_insert']}x as long as inserting the same mentions")
    out = Path(__file__).parent / "results" / "filing.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
