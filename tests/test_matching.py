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
