"""Watchlist matching in every script our customers write."""

import pytest

from clamor.config import Term
from collectors.matching import match_terms

TERMS = (
    Term(term="Aerolume", kind="brand", aliases=("Αερολούμ", "ایرولوم", "ايرولوم", "แอโรลูม")),
    Term(term="SkyPoints", kind="product", aliases=("สกายพอยต์",)),
    Term(term="Dana Karimi", kind="staff", aliases=("دانا کریمی",)),
    Term(term="Aerolume Group", kind="company"),
)


@pytest.mark.parametrize("text, terms", [
    ("AEROLUME lost my bag", ("Aerolume",)),
    ("#aerolume why", ("Aerolume",)),
    ("flew with @Aerolume today", ("Aerolume",)),
    ("aerolumes are nice", ()),                       # not a whole word
    ("myaerolume account", ()),
    ("Η αερολουμ ξανά καθυστέρηση", ("Aerolume",)),   # Greek without tonos, lower case
    ("ΑΕΡΟΛΟΎΜ!!!", ("Aerolume",)),
    ("چرا ایرولوم جواب نمیده؟", ("Aerolume",)),
    ("ليش ما حد يرد من ايرولوم", ("Aerolume",)),
    ("وايرولوم ما ردت", ("Aerolume",)),              # attached conjunction و
    ("شركة إيرولوم", ("Aerolume",)),                 # hamza on alef, unified
    ("ایرولومی‌ها", ()),                              # a different word built on the name
    ("บินกับแอโรลูมครั้งแรก", ("Aerolume",)),          # Thai: no spaces between words
    ("สะสมสกายพอยต์ไม่เข้า", ("SkyPoints",)),
    ("دانا کریمی لطفا پیگیری کنید", ("Dana Karimi",)),
    ("dana   karimi please", ("Dana Karimi",)),      # any run of spaces
    ("Aerolume Group shares fell", ("Aerolume", "Aerolume Group")),
])
def test_terms_are_found_in_every_script(text, terms):
    assert match_terms(text, TERMS).terms == terms


def test_kinds_follow_the_terms():
    match = match_terms("Dana Karimi, Aerolume Group CEO, on SkyPoints", TERMS)
    assert match.kinds == ("brand", "product", "staff", "company")


def test_exclusions_drop_the_post_and_term_exclusions_drop_the_term():
    assert not match_terms("new Aerolume Lighting lamp", TERMS, ("Aerolume Lighting",))
    own = (Term(term="Aerolume", kind="brand", exclude=("Aerolume lamp",)),
           Term(term="SkyPoints", kind="product"))
    assert match_terms("Aerolume lamp and SkyPoints", own).terms == ("SkyPoints",)


# -- competitors (share of voice) ----------------------------------------------------------

@pytest.mark.parametrize("text, terms, kinds", [
    ("Skyvane lost my bag in Oslo", ("Skyvane",), ("competitor",)),
    ("flying #skyvane tomorrow", ("Skyvane",), ("competitor",)),
    ("Nordhavn Air cancelled again", ("Nordhavn Air",), ("competitor",)),
    ("moved to Nordhavn for work", (), ()),           # the district, not the airline
    ("Skyvan turboprop at the museum", (), ()),       # the aircraft, not the airline
    ("switched from Aerolume to Skyvane", ("Aerolume", "Skyvane"), ("brand", "competitor")),
    ("پرواز اسکای‌وین سه ساعت تاخیر داشت", ("Skyvane",), ("competitor",)),
    ("بالنوردهافن إير أرخص من ايرولوم", ("Aerolume", "Nordhavn Air"), ("brand", "competitor")),
    ("บินสกายเวนถูกกว่าแอโรลูม", ("Aerolume", "Skyvane"), ("brand", "competitor")),
    ("Η Skyvane μου έχασε τη βαλίτσα", ("Skyvane",), ("competitor",)),
])
def test_competitor_mentions_are_tagged_competitor(config, text, terms, kinds):
    match = match_terms(text, config.watchlist.terms, config.watchlist.exclusions)
    assert (match.terms, match.kinds) == (terms, kinds)


def test_the_pipeline_keeps_competitor_mentions_with_their_kind(config):
    import datetime as dt

    from clamor import pipeline
    from collectors.base import Mention

    at = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    posts = [Mention(source="x", native_id=str(i), text=text, created_at=at, author="@a")
             for i, text in enumerate(["Nordhavn Air lost my bag", "nice weather today"])]
    kept, own, unmatched = pipeline.prepare(posts, config)
    assert [(m.matched_terms, m.matched_kinds) for m in kept] == \
        [(("Nordhavn Air",), ("competitor",))]
    assert own == [False] and unmatched == 1


# -- the watchlist's index finds what testing every phrase finds ----------------------------

def _every_phrase(text, terms, exclusions):
    """The definition Watchlist.match keeps, phrase by phrase, without its index."""
    from collectors.matching import contains, normalise

    norm = normalise(text)
    if any(contains(norm, phrase) for phrase in exclusions):
        return (), ()
    found = [t for t in terms if any(contains(norm, s) for s in t.spellings)
             and not any(contains(norm, x) for x in t.exclude)]
    return tuple(t.term for t in found), tuple(dict.fromkeys(t.kind for t in found))


def test_the_watchlist_finds_what_every_phrase_finds(config):
    """Over the demo's five streams and posts that name several terms, exclusions of a term
    and of the whole post, and a phrase's words apart or out of order."""
    import json
    from pathlib import Path

    from collectors.matching import Watchlist

    from clamor import pipeline

    terms = pipeline.listening_terms(config) + (
        Term(term="Mina Rostami", kind="staff", aliases=("مینا رستمی",),
             exclude=("Mina Rostami Art",)),)
    exclusions = config.watchlist.exclusions
    texts = [json.loads(line)["text"]
             for path in sorted(Path("clamor/demo").glob("stream_*.jsonl"))
             for line in path.read_text("utf-8").splitlines() if line.strip()]
    texts += ["Mina Rostami at Aerolume", "Mina Rostami Art show, Aerolume Group",
              "rostami mina aerolume", "mina, rostami", "مینا رستمی در ایرولوم",
              *(f"{e} by Aerolume" for e in exclusions), "@AerolumeHelp SkyPoints missing",
              "Skyvane vs Aerolume vs Nordhavn Air", ""]
    watchlist = Watchlist(terms, exclusions)
    found = [(match.terms, match.kinds) for match in map(watchlist.match, texts)]
    assert found == [_every_phrase(text, terms, exclusions) for text in texts]
    assert sum(bool(terms) for terms, _ in found) > len(texts) // 2  # most name a term
    assert any(len(terms) > 1 for terms, _ in found)
    assert ((), ()) in found[-len(exclusions) - 3:]  # a whole post excluded
    art_show = found[texts.index("Mina Rostami Art show, Aerolume Group")][0]
    assert "Aerolume Group" in art_show and "Mina Rostami" not in art_show  # the term's exclusion
