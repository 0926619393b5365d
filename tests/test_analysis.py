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


@pytest.mark.parametrize("text", ["😡😡😡", "👍🏻👍🏻", "5555", "??!", "ok", "@AerolumeHelp ;;;"])
def test_emoji_numbers_and_two_letter_posts_are_no_language(text):
    # Whatever language the writer speaks, these say nothing about it: unknown, not a guess.
    assert language.detect([text], LANGS) == [(None, 0.0)]


@pytest.mark.parametrize("text, expected", [
    # Thai, Greek and Arabic writers mix in English names; the script decides.
    ("แอป Aerolume crash ตอน check-in ค่ะ", "th"),
    ("Το Aerolume app δεν κάνει check-in, error 503", "el"),
    ("Aerolume lounge Dubai خیلی شلوغ بود", "fa"),
    # One word of Greek in an English post is a flourish, not the language of the post.
    ("Lovely crew on the Athens flight, the food was great too. ευχαριστώ!", "en"),
    # Arabic hashtags are the writer's words when they are all there is; Latin ones are not.
    ("#ايرولوم #تأخير_الرحلات", "ar"),
    # Greeklish: Greek in Latin letters.
    ("gia akoma mia fora kathisterisi stin ptisi, den tha ksanapetaxo mazi sas", "el"),
])
def test_script_mixed_posts_get_the_writers_language(text, expected):
    assert language.detect([text], LANGS)[0][0] == expected


@pytest.mark.parametrize("text, expected", [
    # Persian typed on an Arabic keyboard (ي, ك) still has its small words: است، را، که.
    ("پرواز امروز خيلي بد بود، کسي که جواب نميده", "fa"),
    ("اين هواپيما را نديدم که پرواز کنه", "fa"),
    # Arabic with the ornamental گ for ك still has في، على، لا.
    ("ما في أحد يرد علي في المطار لا حول ولا قوة الا بالله", "ar"),
    ("شكرا لگ على الرحلة، الطاقم في قمة الذوق", "ar"),
    # Persian digits and ZWNJ are Persian; Arabic-Indic digits are Arabic.
    ("پرواز ۳ ساعت تأخیر داره و کسی نمی‌دونه", "fa"),
    ("الرحلة ٣ ساعات متأخرة", "ar"),
])
def test_arabic_and_persian_are_told_apart_by_the_letters_and_words_only_one_writes(text, expected):
    assert language.detect([text], LANGS)[0][0] == expected


def test_each_language_has_its_scorer_and_unknown_ones_stay_unscored():
    scores = sentiment.score(
        ["The crew were wonderful, thank you!", "Worst airline ever, they lost my bag",
         "پرواز عالی بود، ممنون", "Η χειρότερη εμπειρία"],
        ["en", "en", "fa", "el"],
    )
    assert scores[0][1] == "positive" and scores[0][0] > 0.5
    assert scores[1][1] == "negative" and scores[1][0] < -0.5
    assert scores[2][1:] == ("positive", "charlr-fa-3") and scores[2][0] > 0.3
    assert scores[3][1:] == ("negative", "charlr-el-3") and scores[3][0] < -0.3
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
    assert precision >= 0.85 and recall >= 0.85, (precision, recall)
    assert result["sentiment"].isna().sum() == result["lang"].isna().sum()
    # Each language is scored by a model of its own (whatever version is current).
    models = result.dropna(subset=["lang"]).groupby("lang")["sentiment_model"].unique()
    assert set(models.index) == set(LANGS)
    assert all(len(names) == 1 and names[0] for names in models)
    assert len({names[0] for names in models}) == len(LANGS)
