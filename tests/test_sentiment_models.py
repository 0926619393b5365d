"""The shipped Persian, Arabic, Thai and Greek sentiment models, measured the way Clamor uses
them: through analysis.sentiment.score, on the held-out fifth of each licensed set (the same
split scripts/train_sentiment.py trains around) and on plain customer-service sentences."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from analysis import sentiment
from analysis.models import training_data

LANGS = ("fa", "ar", "th", "el")
NAMES = {"pos": "positive", "neg": "negative", "neu": "neutral"}

# Held-out macro-F1 measured when the shipped charlr-*-3 models were trained (2026-11-26;
# scripts/train_sentiment.py and `make eval` print it; fa, ar and el retrained the same
# day): fa 0.653, ar 0.530, th 0.655, el 0.666. The floors are those minus 0.03, so a
# retrain that loses a little still passes and one that breaks something (hashing,
# normalisation, export) does not. Persian counts its neutral answers as misses: its set
# (subtitles) has no neutral rows.
HELD_OUT_F1 = {"fa": 0.653, "ar": 0.530, "th": 0.655, "el": 0.666}
F1_FLOOR = {lang: round(f1 - 0.03, 3) for lang, f1 in HELD_OUT_F1.items()}


def macro_f1(gold: list[str], pred: list[str], classes: set[str]) -> float:
    f1s = []
    for c in sorted(classes):
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s)


@pytest.mark.parametrize("lang", LANGS)
def test_held_out_macro_f1_stays_above_what_training_measured(lang, eval_root):
    _, held_out = training_data.split(lang, eval_root)
    texts = [t for t, _ in held_out]
    results = sentiment.score(texts, [lang] * len(texts))
    gold = [NAMES[g] for _, g in held_out]
    pred = [label for _, label, _ in results]
    f1 = macro_f1(gold, pred, set(gold))
    assert f1 >= F1_FLOOR[lang], (lang, round(f1, 3), len(held_out), Counter(pred))
    assert {model for _, _, model in results} == {f"charlr-{lang}-3"}


def test_the_split_holds_out_a_fifth_and_never_the_same_text_twice(eval_root):
    for lang in LANGS:
        train, held_out = training_data.split(lang, eval_root)
        share = len(held_out) / (len(train) + len(held_out))
        assert 0.15 < share < 0.25, (lang, share)
        prepared_train = {sentiment.prepare(t) for t, _ in train}
        assert not prepared_train & {sentiment.prepare(t) for t, _ in held_out}, lang


CLEAR = {
    "fa": (["خیلی ممنون، پرواز عالی بود",
            "مهماندارها خیلی مهربون بودن، دمتون گرم"],
           ["افتضاح بود، سه ساعت تاخیر و هیچکس جواب نمیده",
            "چمدونم گم شده و هیچکس پاسخگو نیست، واقعا بی‌احترامیه",
            "پرواز اصلا خوب نبود"]),
    "ar": (["شكرا جزيلا، الخدمة ممتازة والطاقم رائع",
            "رحلة رائعة، كل الشكر للطاقم"],
           ["خدمة سيئة جدا، تأخير ثلاث ساعات وما حد يرد",
            "ضاعت شنطتي ومحدش بيرد، مهزلة",
            "الخدمة مش كويسة خالص"]),
    "th": (["ขอบคุณมากค่ะ บริการดีมาก ประทับใจสุดๆ",
            "พนักงานน่ารัก เที่ยวบินตรงเวลา ชอบมากครับ"],
           ["แย่มาก ดีเลย์สามชั่วโมง ไม่มีใครตอบเลย",
            "กระเป๋าหาย โทรไปก็ไม่มีคนรับสาย ผิดหวังมาก",
            "บริการไม่ดีเลย"]),
    "el": (["Ευχαριστώ πολύ, η πτήση ήταν υπέροχη και το πλήρωμα ευγενικό",
            "Εξαιρετική εξυπηρέτηση, μπράβο σας"],
           ["Απαράδεκτη εξυπηρέτηση, τρεις ώρες καθυστέρηση και κανείς δεν απαντά",
            "Χάθηκε η βαλίτσα μου και καμία ενημέρωση, αίσχος",
            "Η εξυπηρέτηση δεν ήταν καλή"]),
}
TIMETABLE = {
    "fa": "پرواز ساعت ۹ از ترمینال ۲ حرکت می‌کند",
    "ar": "الرحلة تقلع الساعة التاسعة من البوابة ٤",
    "th": "เที่ยวบินออกเวลา 9 โมงจากประตู 4",
    "el": "Η πτήση AL 212 αναχωρεί στις 9:15 από την πύλη 4",
}


@pytest.mark.parametrize("lang", LANGS)
def test_clear_praise_is_positive_and_clear_complaints_negative(lang):
    praise, complaints = CLEAR[lang]
    results = sentiment.score(praise + complaints, [lang] * (len(praise) + len(complaints)))
    for text, (value, label, _model) in zip(praise, results[:len(praise)], strict=True):
        assert value > 0.3 and label == "positive", (text, value, label)
    for text, (value, label, _model) in zip(complaints, results[len(praise):], strict=True):
        assert value < -0.3 and label == "negative", (text, value, label)
    # A timetable is neither: whatever the model leans, it leans less than on real feeling.
    (value, _, _), = sentiment.score([TIMETABLE[lang]], [lang])
    assert abs(value) < 0.5, (lang, value)


def test_english_is_still_vader_and_unknown_languages_stay_unscored():
    texts = ["The crew were wonderful, thank you!", "Worst airline ever, they lost my bag",
             "Das war super", "???", "پرواز عالی بود"]
    results = sentiment.score(texts, ["en", "en", "de", None, "fa"])
    assert results[0][2] == results[1][2] == "vader-3.3.2+clamor-1"
    assert results[0][0] == round(sentiment._vader_score(texts[0]), 4)
    assert results[0][1] == "positive" and results[1][1] == "negative"
    assert results[2] == (None, sentiment.UNSCORED, None)
    assert results[3] == (None, sentiment.UNSCORED, None)
    assert results[4][2] == "charlr-fa-3" and results[4][1] == "positive"


# Pearson r of VADER's compound score against the raters' means on VADER's own 4,200 tweets
# (Hutto & Gilbert 2014 report 0.881 for VADER 0.5; vaderSentiment 3.3.2 as released scores
# 0.872 on the raw texts, 0.871 after removing handles, links and hashtags as Clamor used to).
VADER_R = 0.880


def test_vader_correlates_with_the_raters_as_reported(eval_root):
    import csv

    with open(eval_root / "vader_tweets" / "tweets_groundtruth.csv", encoding="utf-8",
              newline="") as f:
        rows = list(csv.DictReader(f))
    results = sentiment.score([r["text"] for r in rows], ["en"] * len(rows))
    scores = pd.Series([value for value, _, _ in results])
    human = pd.Series([float(r["human_score"]) for r in rows])
    assert scores.notna().all()
    assert scores.corr(human) >= VADER_R, round(scores.corr(human), 4)


@pytest.mark.parametrize(("text", "sign"), [
    ("NO NO NO NO. Not again", -1),  # one "no" no longer negates the next into praise
    ("Lost my bag again D: D:", -1),  # "D:" is anguish, not the tongue face "d:"
    ("Nothing happened! You suck", -1),  # a negation ends at the sentence
    ("Don't care don't care don't care", -1),  # each "care" negated once, not twice
    ("It broke my heart", -1),  # "heart" the word is not praise...
    ("Thank you ❤️", 1),  # ...the heart emoji is, with or without its variation selector
    ("Flight cancelled 💔", -1),
    ("The crew was good but the food was awful and cold", -1),  # what follows "but" weighs more
    ("&lt;3 this crew", 1),  # HTML entities as the X API delivers them
    ("#fail again", -1),  # the hashtag's word counts
])
def test_vader_reads_social_text_the_way_its_writers_mean_it(text, sign):
    (value, label, model), = sentiment.score([text], ["en"])
    assert model == "vader-3.3.2+clamor-1"
    assert value * sign > 0.05, (text, value, label)


def test_a_mixed_batch_gives_each_text_what_it_gets_alone():
    texts = [CLEAR["fa"][0][0], CLEAR["el"][1][0], "great flight", CLEAR["th"][0][1],
             CLEAR["ar"][1][1], "nothing", CLEAR["fa"][1][2]]
    langs = ["fa", "el", "en", "th", "ar", None, "fa"]
    together = sentiment.score(texts, langs)
    alone = [sentiment.score([t], [lang])[0] for t, lang in zip(texts, langs, strict=True)]
    assert together == alone


def test_the_pipeline_stores_the_model_name_for_persian_and_greek():
    from clamor.pipeline import analyse

    frame = pd.DataFrame({
        "id": ["x:1", "x:2"],
        "text": ["افتضاح بود، سه ساعت تاخیر و هیچکس جواب نمیده @AerolumeHelp",
                 "Ευχαριστώ πολύ, το πλήρωμα ήταν υπέροχο!"],
        "source_lang": None, "is_own": False,
    })
    result = analyse(frame, ("en", "fa", "ar", "th", "el"), dt.datetime.now(dt.UTC))
    assert result["lang"].tolist() == ["fa", "el"]
    assert result["sentiment_model"].tolist() == ["charlr-fa-3", "charlr-el-3"]
    assert result["sentiment_label"].tolist() == ["negative", "positive"]


def test_model_files_are_small_and_scoring_needs_no_scikit_learn():
    for lang in LANGS:
        path = resources.files("analysis").joinpath("models", f"sentiment_{lang}.npz")
        assert path.is_file(), lang
        assert len(path.read_bytes()) < 2 * 1024 * 1024, lang
    code = ("import sys; from analysis import sentiment; "
            "sentiment.score(['ممنون', 'شكرا', 'ขอบคุณ', 'ευχαριστώ'], ['fa', 'ar', 'th', 'el']); "
            "sys.exit('sklearn' in sys.modules or 'scipy' in sys.modules)")
    root = Path(__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], check=False, cwd=root).returncode == 0


def test_a_model_file_of_another_version_leaves_its_texts_unscored(monkeypatch, caplog):
    monkeypatch.setattr(sentiment, "model_name", lambda lang: f"charlr-{lang}-999")
    sentiment.load_model.cache_clear()
    try:
        assert sentiment.score(["ممنون"], ["fa"]) == [(None, sentiment.UNSCORED, None)]
        assert "scripts/train_sentiment.py" in caplog.text
    finally:
        monkeypatch.undo()
        sentiment.load_model.cache_clear()
