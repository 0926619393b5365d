"""The explorer's words: what a mention is indexed under and what a search asks for."""

import duckdb
import pytest

from analysis import tokens


def test_words_are_normalised_like_watchlist_matching():
    words = tokens.words("Ταξίδι ΚΑΘΥΣΤΈΡΗΣΗ كيف می‌خواهم Refund!")
    assert {"ταξιδι", "καθυστερηση", "کیف", "می", "خواهم", "refund"} <= set(words)


def test_thai_is_cut_into_words():
    words = tokens.words("เที่ยวบินล่าช้ามาก ขอเงินคืนด้วยครับ")
    assert "ล่าช้า" in words and "เที่ยวบิน" in words and "เงิน" in words


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
