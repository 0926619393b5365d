"""The explorer's words: what a mention is indexed under and what a search asks for."""

import csv
import json

import duckdb
import pytest

from analysis import tokens
from tests.conftest import ROOT


def test_words_are_normalised_like_watchlist_matching():
    words = tokens.words("Ταξίδι ΚΑΘΥΣΤΈΡΗΣΗ كيف می‌خواهم Refund!")
    assert {"ταξιδι", "καθυστερηση", "کیف", "می", "خواهم", "refund"} <= set(words)


def test_thai_is_cut_into_words():
    words = tokens.words("เที่ยวบินล่าช้ามาก ขอเงินคืนด้วยครับ")
    assert "ล่าช้า" in words and "เที่ยวบิน" in words and "เงิน" in words


def _cut_as_pythainlp_cuts(texts: list[str]) -> None:
    """Our Thai words (PyThaiNLP's word list in a MARISA trie, ~18 MB where PyThaiNLP's own
    trie takes ~75 MB in each process) give newmm the same words in the same order: the same
    cuts as PyThaiNLP's own dictionary."""
    from pythainlp.tokenize import word_tokenize

    cut = tokens._thai_tokenizer()
    assert [cut(t) for t in texts] \
        == [word_tokenize(t, engine="newmm", keep_whitespace=False) for t in texts]


def test_thai_is_cut_as_pythainlps_own_dictionary_cuts_it():
    with open(ROOT / "clamor" / "demo" / "stream_th.jsonl", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    assert len(texts) > 50
    _cut_as_pythainlp_cuts(texts)


def test_thai_social_posts_are_cut_as_pythainlp_cuts_them(eval_root):
    """5,000 Thai social posts (Wisesight): slang, emoji, English mixed in."""
    with open(eval_root / "th_wisesight" / "wisesight_sample5000.csv", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    assert len(texts) == 5000
    _cut_as_pythainlp_cuts(texts)


def test_hashtags_and_handles_are_words_and_so_are_their_bare_forms():
    words = tokens.words("#Refund now @AerolumeHelp #ล่าช้า")
    assert {"#refund", "refund", "@aerolumehelp", "aerolumehelp", "#ล่าช้า", "ล่าช้า"} \
        <= set(words)


def test_links_are_not_words_and_huge_posts_are_capped():
    assert tokens.words("see https://example.com/refund-policy now") == ["see", "now"]
    many = " ".join(f"w{i}" for i in range(10_000))
    assert len(tokens.words(many)) <= tokens.MAX_WORDS
    assert tokens.words("x" * 500) == []  # not a word anyone searches for


def test_the_search_box():
    search = tokens.parse('refund "lost bag" -delay #Aerolume deliver* AL-213 ล่าช้า')
    assert search.words == ("refund", "#aerolume", "ล่าช้า")
    assert search.phrases == (("lost", "bag"), ("al", "213"))
    assert search.prefixes == ("deliver",)
    assert search.excluded == ("delay",)
    assert set(search.required) == {"refund", "#aerolume", "ล่าช้า", "lost", "bag", "al",
                                    "213"}
    assert not tokens.parse("  ")
    # a Thai word the dictionary cuts in pieces is looked for as those pieces, together
    assert tokens.parse("แอโรลูม").phrases == (("แอ", "โร", "ลูม"),)


def test_words_the_index_does_not_hold_are_looked_for_in_the_text():
    """"a" and "I" are not in the search index (nor a word of over MAX_WORD letters): a
    phrase holding one looks up only its other words, and such a word alone is a phrase of
    one word, found in the text, so `"a refund"` and `a` find what they say."""
    search = tokens.parse('"a refund" I -a -"lost bag" -AL-213 "ก"')
    assert search.phrases == (("a", "refund"), ("i",))
    assert search.required == ("ก", "refund")
    assert search.words == ("ก",)  # a Thai word of one letter is held
    assert search.excluded == ()
    assert search.excluded_phrases == (("a",), ("lost", "bag"), ("al", "213"))
    long = "x" * (tokens.MAX_WORD + 1)
    assert tokens.parse(long).phrases == ((long,),) and not tokens.parse(long).required
    assert all(tokens.indexed(w) for w in tokens.words(f"a I {long} refund ก"))
    assert tokens.words(f"a I {long} refund ก") == ["refund", "ก"]
    assert tokens.parse("-a")  # a search, though it looks nothing up


@pytest.mark.parametrize("text, phrase, found", [
    ("My LOST   bag!", "lost bag", True),
    ("lostbag and more", "lost bag", False),
    ("bag lost", "lost bag", False),
    ("Το ταξίδι σας καθυστέρησε", "ταξιδι σας", True),   # tonos and final sigma
    ("كيف حالك", "کیف حالک", True),                      # Arabic letters, Persian query
    ("كَيْفَ حالك", "کیف حالک", True),                    # with harakat
])
def test_phrases_are_found_in_the_raw_text_as_written(text, phrase, found):
    (parts,) = tokens.parse(f'"{phrase}"').phrases
    pattern = tokens.phrase_pattern(parts)
    con = duckdb.connect()
    assert con.execute("SELECT regexp_matches(lower(?), ?)", [text, pattern]).fetchone()[0] \
        is found
