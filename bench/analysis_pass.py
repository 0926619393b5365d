"""Benchmark: how many texts per second the analysis pass (language, sentiment, complaint
flag) handles, against VADER alone on the same English texts in the same run, and per
language for the others (the goal: at least 0.8 of VADER's rate on English, 1,000 texts/s
per core elsewhere).

Reads the demo stream's texts (five languages), repeated to N per language. Prints the rates
and ratios and writes bench/results/analysis_pass.json. Usage: python bench/analysis_pass.py [N]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from importlib import resources
from pathlib import Path

import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from clamor.pipeline import analyse

LANGS = ("en", "fa", "ar", "th", "el")


def texts(lang: str, n: int) -> list[str]:
    lines = resources.files("clamor.demo").joinpath(f"stream_{lang}.jsonl").read_text("utf-8")
    found = [json.loads(line)["text"] for line in lines.splitlines() if line.strip()]
    return (found * (n // len(found) + 1))[:n]


def rate(fn, items) -> float:
    fn(items[:50])  # warm up: models load once
    start = time.perf_counter()
    fn(items)
    return len(items) / (time.perf_counter() - start)


def pass_over(items: list[str]) -> None:
    frame = pd.DataFrame({"id": [str(i) for i in range(len(items))], "text": items,
                          "source_lang": None, "is_own": False})
    analyse(frame, LANGS, dt.datetime.now(dt.timezone.utc))


def main(n: int) -> dict:
    vader = SentimentIntensityAnalyzer()
    english = texts("en", n)
    baseline = rate(lambda items: [vader.polarity_scores(t) for t in items], english)
    result = {"texts_per_language": n, "cores": os.cpu_count(),
              "vader_alone_en_per_s": round(baseline)}
    for lang in LANGS:
        result[f"pass_{lang}_per_s"] = round(rate(pass_over, texts(lang, n)))
    result["en_vs_vader"] = round(result["pass_en_per_s"] / baseline, 2)
    result["pass_en_all_cores_per_s"] = round(all_cores(english * 4))
    result["en_all_cores_vs_vader"] = round(result["pass_en_all_cores_per_s"] / baseline, 2)
    return result


def all_cores(items: list[str]) -> float:
    """The whole pass through `analyse_pending` with one worker process per core, on a real
    store (what `clamor import` does with a large archive), worker start-up included."""
    import tempfile

    from clamor import pipeline
    from clamor.config import DEMO_CONFIG, load_config
    from clamor.store import Store
    from collectors.base import Mention

    config = load_config(DEMO_CONFIG)
    at = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        store.insert_mentions([Mention(source="x", native_id=str(i), text=t, created_at=at,
                                       author=f"@u{i}") for i, t in enumerate(items)],
                              collector="bench", version="b")
        start = time.perf_counter()
        pipeline.analyse_pending(store, config, workers=os.cpu_count() or 1)
        elapsed = time.perf_counter() - start
        store.close()
    return len(items) / elapsed


if __name__ == "__main__":
    result = main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    out = Path(__file__).parent / "results" / "analysis_pass.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
