"""Write the evaluation CSVs `clamor eval` (and `make eval`) reads, from data never trained on.

    .venv/bin/python scripts/make_eval_data.py OUT_DIR [--eval-data DIR]

From the shared evaluation folder (analysis.models.training_data.eval_root(): $CLAMOR_EVAL_DATA,
else ../shared/eval) it writes, in Clamor's generic format:

- sentiment_fa.csv, sentiment_ar.csv, sentiment_th.csv, sentiment_el.csv (text,label,lang):
  ONLY the held-out fifth of each set (training_data.split), labels mapped to pos/neu/neg as
  training maps them, so the shipped models are measured on rows they never saw;
- vader_tweets.csv (text,human_score): all of VADER's 4,200 rated tweets (VADER is not ours
  and was not trained here);
- lang_id.csv (text,lang): the same held-out rows, for language identification;
- complaints_demo.csv (text,is_complaint,lang): the customers' posts of the bundled demo
  stream (clamor/demo/stream_*.jsonl), 1 for label "complaint", 0 for the others; the
  brand's own replies are left out.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analysis.models import training_data
from collectors.replay import bundled_stream

LANGS = ("fa", "ar", "th", "el")
VADER_TWEETS = Path("vader_tweets") / "tweets_groundtruth.csv"


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {path} ({len(rows)} rows: {','.join(header)})")


def make(out_dir: Path, root: Path) -> dict[str, int]:
    """Write every file; {file name: rows written}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    lang_rows: list[list[str]] = []
    for lang in LANGS:
        _, held_out = training_data.split(lang, root)
        rows = [[text, label, lang] for text, label in held_out]
        _write(out_dir / f"sentiment_{lang}.csv", ["text", "label", "lang"], rows)
        written[f"sentiment_{lang}.csv"] = len(rows)
        lang_rows += [[text, lang] for text, _, _ in rows]

    with open(root / VADER_TWEETS, encoding="utf-8", newline="") as f:
        tweets = [[r["text"], r["human_score"]] for r in csv.DictReader(f)]
    _write(out_dir / "vader_tweets.csv", ["text", "human_score"], tweets)
    written["vader_tweets.csv"] = len(tweets)

    _write(out_dir / "lang_id.csv", ["text", "lang"], lang_rows)
    written["lang_id.csv"] = len(lang_rows)

    demo = [[line["text"], "1" if line["label"] == "complaint" else "0", line["lang"]]
            for line in bundled_stream() if line.get("label") != "brand_reply"]
    _write(out_dir / "complaints_demo.csv", ["text", "is_complaint", "lang"], demo)
    written["complaints_demo.csv"] = len(demo)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--eval-data", type=Path, metavar="DIR",
                        help="the shared evaluation folder (default: $CLAMOR_EVAL_DATA, "
                             "else ../shared/eval)")
    args = parser.parse_args(argv)
    root = args.eval_data or training_data.eval_root()
    if root is None or not (root / "README.md").is_file():
        print("make_eval_data: the shared evaluation data is not here (set CLAMOR_EVAL_DATA "
              "or pass --eval-data to the folder holding vader_tweets/, fa_xed/, ...)",
              file=sys.stderr)
        return 2
    try:
        make(args.out_dir, root)
    except (OSError, KeyError) as exc:
        print(f"make_eval_data: cannot read the shared evaluation data: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
