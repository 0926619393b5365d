"""The analysis pass on real multilingual text: the bundled demo stream (written by native
speakers' standards, each line labelled with its true language) and hand-picked cases."""

import datetime as dt
from collections import Counter

import pandas as pd
import pytest

from analysis import complaints, language, sentiment
from clamor.pipeline import analyse
from collectors.replay import bundled_stream

LANGS = ("en", "fa", "ar", "th", "el")


@pytest.fixture(scope="module")
def customer_lines():
    return [line for line in bundled_stream()
            if line["label"] != "brand_reply" and len(language.clean(line["text"]).strip()) >= 15]


def test_language_is_right_for_at_least_nine_in_ten_posts_in_each_language(customer_lines):
    detected = language.detect([l["text"] for l in customer_lines], LANGS)
    right, total = Counter(), Counter()
    for line, (code, _) in zip(customer_lines, detected, strict=True):
        total[line["lang"]] += 1
        right[line["lang"]] += code == line["lang"]
    assert set(total) == set(LANGS)
    for lang in LANGS:
        assert right[lang] / total[lang] >= 0.9, (lang, right[lang], total[lang])


def test_short_arabic_is_not_taken_for_persian():
    assert language.detect(["ليش ما حد يرد يا Aerolume"], LANGS)[0][0] == "ar"
    assert language.detect(["چرا کسی جواب نمیده Aerolume"], LANGS)[0][0] == "fa"


def test_handles_and_links_alone_are_no_language():
    assert language.detect(["@AerolumeHelp https://x.com/a #Aerolume ???"], LANGS) == [(None, 0.0)]


def test_each_language_has_its_scorer_and_unknown_ones_stay_unscored():
    scores = sentiment.score(
        ["The crew were wonderful, thank you!", "Worst airline ever, they lost my bag",
         "پرواز عالی بود، ممنون", "Η χειρότερη εμπειρία"],
        ["en", "en", "fa", "el"],
    )
    assert scores[0][1] == "positive" and scores[0][0] > 0.5
    assert scores[1][1] == "negative" and scores[1][0] < -0.5
    assert scores[2][1:] == ("positive", "charlr-fa-1") and scores[2][0] > 0.3
    assert scores[3][1:] == ("negative", "charlr-el-1") and scores[3][0] < -0.3
    # A language without a model is unscored, never a made-up neutral 0.0.
    assert sentiment.score(["Das war super"], ["de"]) == [(None, "unscored", None)]


@pytest.mark.parametrize("text, lang, expected", [
    ("@AerolumeHelp where is my refund?? day 9", "en", True),
    ("I hate Mondays, but the Aerolume lounge made it better", "en", False),
    ("Absolutely no delays and no problems, thank you Aerolume", "en", False),
    ("app keeps crashing, can’t check in", "en", True),
    ("سه ساعته پشت خطم و کسی جواب نمیده", "fa", True),
    ("والله خدمة سيئة، ليش ما حد يرد؟", "ar", True),
    ("รอมา 3 ชม. แล้ว ยังไม่มีใครตอบเลย", "th", True),
    ("Ακύρωση πτήσης και καμία ενημέρωση", "el", True),
])
def test_complaint_is_not_the_same_as_negative(text, lang, expected):
    value = sentiment.score([text], [lang])[0][0]
    assert complaints.judge(text, lang, value).complaint is expected


def test_the_companys_own_posts_are_never_complaints():
    assert not complaints.judge("sorry about the refund delay", "en", -0.5, own=True).complaint


def test_complaint_flag_on_the_labelled_demo_stream(customer_lines):
    """A first flag, measured: precision and recall over the stream's labels."""
    frame = pd.DataFrame({
        "id": [l["native_id"] for l in customer_lines],
        "text": [l["text"] for l in customer_lines],
        "source_lang": None,
        "is_own": False,
    })
    result = analyse(frame, LANGS, dt.datetime.now(dt.timezone.utc))
    truth = [l["label"] == "complaint" for l in customer_lines]
    flagged = result["complaint"].tolist()
    tp = sum(t and f for t, f in zip(truth, flagged, strict=True))
    precision = tp / max(sum(flagged), 1)
    recall = tp / max(sum(truth), 1)
    assert precision >= 0.6 and recall >= 0.5, (precision, recall)
    assert result["sentiment"].isna().sum() == result["lang"].isna().sum()
    assert set(result["sentiment_model"].dropna()) == {
        "vader-3.3.2", "charlr-fa-1", "charlr-ar-1", "charlr-th-1", "charlr-el-1"}
