"""`clamor eval` (clamor/evaluate.py) on small CSV fixtures, and scripts/make_eval_data.py on
the shared evaluation data: held-out rows only, never a row the models trained on."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.models import training_data
from clamor import evaluate, pipeline
from collectors.replay import bundled_stream

REPO = Path(__file__).resolve().parents[1]
FIGURES = {"rows", "accuracy", "macro_f1", "per_language", "pearson_r", "precision", "recall",
           "f1", "lang_accuracy", "texts_per_s"}
# Keys a file's entry may hold besides the figures: counts of rows left out, or the error.
EXTRA = {"ignored", "unscored", "error"}


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


SENTIMENT = [
    ["I love this airline, the crew was wonderful and kind", "pos", "en"],
    ["Great flight, thank you so much!", "Positive", ""],
    ["The flight was awful, worst service ever.\nNever again.", "NEG", "en"],
    ["I hate this, terrible terrible delay", "negative", ""],
    ["The flight leaves at 9 from gate 4", "neu", "en"],
    ["خیلی ممنون، پرواز عالی بود", "pos", "fa"],
    ["افتضاح بود، سه ساعت تاخیر و هیچکس جواب نمیده", "neg", "fa"],
    ["پرواز اصلا خوب نبود", "neg", ""],
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    write_csv(tmp_path / "sentiment.csv", ["text", "label", "lang"], SENTIMENT)
    write_csv(tmp_path / "scores.csv", ["id", "text", "human_score"], [
        ["1", "I love it, wonderful, amazing, the best!", "3.5"],
        ["2", "Good flight, nice crew", "1.8"],
        ["3", "The plane landed at noon", "0.1"],
        ["4", "Bad food and a rude agent", "-1.9"],
        ["5", "Horrible, disgusting, the worst airline I hate it", "-3.6"],
    ])
    write_csv(tmp_path / "complaints.csv", ["text", "is_complaint"], [
        ["@AerolumeHelp where is my refund?? waiting 3 weeks", "1"],
        ["My bag is lost and nobody answers, please help", "1"],
        ["Flight cancelled and the app keeps crashing", "1"],
        ["Thank you Aerolume, lovely crew today", "0"],
        ["Landed in Athens, sunny and warm", "0"],
    ])
    write_csv(tmp_path / "langs.csv", ["text", "lang"], [
        ["Where is my luggage? Nobody at the desk knows.", "en"],
        ["چمدونم گم شده و هیچکس پاسخگو نیست", "fa"],
        ["ضاعت شنطتي ومحدش بيرد", "ar"],
        ["กระเป๋าหายครับ ไม่มีใครตอบเลย", "th"],
        ["Η πτήση ακυρώθηκε και κανείς δεν απαντά", "el"],
    ])
    return tmp_path


def test_sentiment_file_gives_accuracy_macro_f1_and_per_language(data):
    figures = evaluate.evaluate_file(data / "sentiment.csv")
    assert figures["rows"] == len(SENTIMENT)
    assert 0.0 <= figures["accuracy"] <= 1.0 and 0.0 <= figures["macro_f1"] <= 1.0
    assert figures["accuracy"] >= 0.6, figures  # obvious sentences, mostly right
    per = figures["per_language"]
    assert set(per) == {"en", "fa"}  # blank lang cells were detected
    assert per["en"]["rows"] == 5 and per["fa"]["rows"] == 3
    assert set(per["en"]) == {"rows", "accuracy", "macro_f1"}
    assert "ignored" not in figures
    # The file also names languages, so language identification is measured too.
    assert figures["lang_accuracy"] == 1.0
    assert figures["texts_per_s"] > 0


def test_unscored_counts_as_a_miss_and_unknown_labels_are_ignored(tmp_path):
    write_csv(tmp_path / "mixed.csv", ["text", "label", "lang"], [
        ["I love it", "pos", "en"],
        ["Ich liebe es", "pos", "de"],  # no German scorer: unscored, a miss
        ["so-so", "mixed", "en"],
        ["whatever", "", "en"],
        ["", "pos", "en"],  # no text
    ])
    figures = evaluate.evaluate_file(tmp_path / "mixed.csv")
    assert figures["ignored"] == 3
    assert figures["rows"] == 4
    assert figures["accuracy"] == 0.5
    assert figures["per_language"]["de"] == {"rows": 1, "accuracy": 0.0, "macro_f1": 0.0}


def test_human_score_file_gives_pearson_r(data):
    figures = evaluate.evaluate_file(data / "scores.csv")
    assert -1.0 <= figures["pearson_r"] <= 1.0
    assert figures["pearson_r"] > 0.8, figures
    assert "accuracy" not in figures and "precision" not in figures


def test_complaint_file_gives_precision_recall_f1(data):
    figures = evaluate.evaluate_file(data / "complaints.csv")
    for key in ("precision", "recall", "f1"):
        assert 0.0 <= figures[key] <= 1.0, figures
    assert figures["recall"] >= 2 / 3 and figures["precision"] == 1.0, figures
    assert "pearson_r" not in figures and "accuracy" not in figures


def test_lang_file_gives_lang_accuracy(data):
    figures = evaluate.evaluate_file(data / "langs.csv")
    assert figures["lang_accuracy"] == 1.0
    assert set(figures) == {"rows", "lang_accuracy", "texts_per_s"}


def test_a_broken_file_gets_an_error_and_the_others_are_still_measured(data):
    (data / "broken.csv").write_bytes(b"text,label\n\xff\xfe not utf-8,pos\n")
    (data / "notext.csv").write_text("body,label\nhello,pos\n", encoding="utf-8")
    (data / "readme.txt").write_text("not a CSV, not read", encoding="utf-8")
    results = evaluate.evaluate_dir(data)
    assert set(results) == {"sentiment.csv", "scores.csv", "complaints.csv", "langs.csv",
                            "broken.csv", "notext.csv"}
    assert set(results["broken.csv"]) == {"error"}
    assert "UTF-8" in results["broken.csv"]["error"]
    assert "no text column" in results["notext.csv"]["error"]
    assert results["scores.csv"]["pearson_r"] > 0.8
    table = evaluate.format_table(results)
    assert "broken.csv" in table and "UTF-8" in table and "sentiment.csv" in table


def test_json_output_is_one_object_with_exactly_the_documented_names(data):
    out = io.StringIO()
    assert evaluate.run(data, as_json=True, out=out) == 0
    results = json.loads(out.getvalue())
    assert set(results) == {"sentiment.csv", "scores.csv", "complaints.csv", "langs.csv"}
    for figures in results.values():
        assert set(figures) <= FIGURES | EXTRA, figures
    assert FIGURES <= set().union(*(set(f) for f in results.values()))
    (data / "broken.csv").write_bytes(b"\xff")
    assert evaluate.run(data, as_json=False, out=io.StringIO()) == 1


def test_a_missing_or_empty_folder_is_one_sentence(tmp_path):
    with pytest.raises(evaluate.EvalError, match="no such folder"):
        evaluate.evaluate_dir(tmp_path / "nope")
    with pytest.raises(evaluate.EvalError, match="no CSV files"):
        evaluate.evaluate_dir(tmp_path)


def test_eval_reads_what_the_pipeline_reads():
    assert evaluate.ANALYSED_CHARS == pipeline.ANALYSED_CHARS


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_make_eval_data_writes_only_held_out_rows(eval_root, tmp_path):
    out = tmp_path / "eval"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "make_eval_data.py"),
                           str(out), "--eval-data", str(eval_root)],
                          capture_output=True, text=True, check=True)
    names = {"sentiment_fa.csv", "sentiment_ar.csv", "sentiment_th.csv", "sentiment_el.csv",
             "vader_tweets.csv", "lang_id.csv", "complaints_demo.csv"}
    assert {p.name for p in out.iterdir()} == names
    for name in names:
        assert name in done.stdout
    all_held_out = 0
    for lang in ("fa", "ar", "th", "el"):
        rows = read_rows(out / f"sentiment_{lang}.csv")
        train, held_out = training_data.split(lang, eval_root)
        trained = {text for text, _ in train}
        assert rows and list(rows[0]) == ["text", "label", "lang"]
        assert all(training_data.held_out(r["text"]) for r in rows), lang
        assert not trained & {r["text"] for r in rows}, lang
        assert [(r["text"], r["label"]) for r in rows] == held_out  # byte-exact, in order
        assert {r["label"] for r in rows} <= {"pos", "neu", "neg"}
        assert {r["lang"] for r in rows} == {lang}
        all_held_out += len(rows)
    assert len(read_rows(out / "lang_id.csv")) == all_held_out
    tweets = read_rows(out / "vader_tweets.csv")
    assert len(tweets) == 4200 and list(tweets[0]) == ["text", "human_score"]
    demo = read_rows(out / "complaints_demo.csv")
    assert {r["is_complaint"] for r in demo} == {"0", "1"}
    assert list(demo[0]) == ["text", "is_complaint", "lang"]
    stream = bundled_stream()
    assert len(demo) == sum(line["label"] != "brand_reply" for line in stream)
    assert sum(r["is_complaint"] == "1" for r in demo) == sum(
        line["label"] == "complaint" for line in stream)


def test_the_module_runs_alone_and_says_what_is_wrong(tmp_path, capsys):
    assert evaluate.main(["--data", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err
