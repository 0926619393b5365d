"""Benchmark: how often the answer suggestions (clamor/knowledge.py) put the right FAQ entry
first, or in the top 3, for customers' posts in five languages — against a naive word-overlap
matcher measured in the same run on the same posts.

Data: the demo knowledge base (clamor/demo/knowledge.md) and a labelled set of posts written
as customers write them (bench/data/faq_labelled.csv: lang, topic, text; topic `none` for a
question no entry answers). The language of each post is detected by the analysis pass's
language id, as in the product, not taken from the label.

Ours: BM25 over normalised words (Thai segmented, Snowball stems), the customer's language,
entries below knowledge.MIN_SCORE not suggested. Naive: lower-cased whitespace words, the
entry sharing the most words with the post, any language, nothing left out.

Prints per language: top-1 and top-3 accuracy over the posts with a topic, how many `none`
posts got no suggestion (ours; the naive matcher always suggests), and the time per
suggestion (p50/p95); then the ratios ours/naive. Writes bench/results/faq_suggest.json.
Usage: python bench/faq_suggest.py [LABELLED.csv]
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import time
from collections import defaultdict
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis import language  # noqa: E402
from clamor import knowledge  # noqa: E402

LANGUAGES = knowledge.LANGUAGES


def naive(entries: list[knowledge.Entry]):
    bags = [set(f"{e.question} {' '.join(e.tags)} {e.answer}".lower().split())
            for e in entries]

    def rank(text: str) -> list[knowledge.Entry]:
        words = set(text.lower().split())
        order = sorted(range(len(entries)), key=lambda i: -len(words & bags[i]))
        return [entries[i] for i in order[:3] if words & bags[i]]
    return rank


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main(argv: list[str]) -> int:
    labelled = Path(argv[0]) if argv else ROOT / "bench/data/faq_labelled.csv"
    text = resources.files("clamor.demo").joinpath("knowledge.md").read_text(encoding="utf-8")
    entries, problems = knowledge.read_markdown(text)
    assert not problems, problems
    rows = list(csv.DictReader(labelled.open(encoding="utf-8")))
    start = time.perf_counter()
    index = knowledge.Index(entries)
    build_s = time.perf_counter() - start
    naive_rank = naive(entries)
    detected = [lang for lang, _ in language.detect([r["text"] for r in rows], LANGUAGES)]
    index.suggest("warm up", "en")

    tally: dict[str, dict[str, dict]] = {"ours": defaultdict(lambda: defaultdict(int)),
                                         "naive": defaultdict(lambda: defaultdict(int))}
    times: dict[str, list[float]] = {"ours": [], "naive": []}
    misses = []
    for row, lang in zip(rows, detected, strict=True):
        for name in ("ours", "naive"):
            t0 = time.perf_counter()
            if name == "ours":
                topics = [s.entry.topic for s in index.suggest(row["text"], lang)]
            else:
                topics = [e.topic for e in naive_rank(row["text"])]
            times[name].append(time.perf_counter() - t0)
            count = tally[name][row["lang"]]
            if row["topic"] == "none":
                count["none"] += 1
                count["none_quiet"] += not topics
                continue
            count["posts"] += 1
            count["top1"] += bool(topics[:1] == [row["topic"]])
            count["top3"] += row["topic"] in topics[:3]
            if name == "ours" and topics[:1] != [row["topic"]]:
                misses.append((row["lang"], row["topic"], topics[:3], row["text"][:90]))

    def figures(name: str) -> dict:
        out = {}
        for lang in LANGUAGES:
            c = tally[name][lang]
            out[lang] = {"posts": c["posts"], "top1": c["top1"] / max(c["posts"], 1),
                         "top3": c["top3"] / max(c["posts"], 1), "none_posts": c["none"],
                         "none_quiet": c["none_quiet"]}
        posts = sum(tally[name][lang]["posts"] for lang in LANGUAGES)
        out["all"] = {
            "posts": posts,
            "top1": sum(tally[name][lang]["top1"] for lang in LANGUAGES) / max(posts, 1),
            "top3": sum(tally[name][lang]["top3"] for lang in LANGUAGES) / max(posts, 1),
            "p50_ms": 1000 * statistics.median(times[name]),
            "p95_ms": 1000 * percentile(times[name], 0.95)}
        return out

    result = {"entries": len(entries), "labelled": len(rows), "min_score": knowledge.MIN_SCORE,
              "index_build_ms": 1000 * build_s, "ours": figures("ours"),
              "naive": figures("naive")}
    ours, base = result["ours"], result["naive"]
    result["top1_ratio_vs_naive"] = ours["all"]["top1"] / max(base["all"]["top1"], 1e-9)
    result["top3_ratio_vs_naive"] = ours["all"]["top3"] / max(base["all"]["top3"], 1e-9)
    result["misses"] = misses

    print(f"{len(entries)} entries, {len(rows)} labelled posts, index built in "
          f"{result['index_build_ms']:.0f} ms, MIN_SCORE {knowledge.MIN_SCORE}")
    print(f"{'lang':6}{'posts':>6}{'top-1':>8}{'top-3':>8}{'naive-1':>9}{'naive-3':>9}"
          f"{'none quiet':>12}")
    for lang in (*LANGUAGES, "all"):
        o, b = ours[lang], base[lang]
        quiet = f"{o['none_quiet']}/{o['none_posts']}" if lang != "all" else ""
        print(f"{lang:6}{o['posts']:>6}{o['top1']:>8.2f}{o['top3']:>8.2f}{b['top1']:>9.2f}"
              f"{b['top3']:>9.2f}{quiet:>12}")
    print(f"time per suggestion: ours p50 {ours['all']['p50_ms']:.2f} ms, p95 "
          f"{ours['all']['p95_ms']:.2f} ms; naive p50 {base['all']['p50_ms']:.2f} ms")
    print(f"ratios ours/naive: top-1 {result['top1_ratio_vs_naive']:.2f}×, top-3 "
          f"{result['top3_ratio_vs_naive']:.2f}×")
    out = ROOT / "bench/results/faq_suggest.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
