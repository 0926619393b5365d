"""The reply library: every language has every category, every filled text fits one X post,
and managers' edits lay over the bundled templates."""

from __future__ import annotations

import re

import pytest

from clamor import templates
from clamor.templates import CATEGORIES, CATEGORY_NAMES, Library, Template, merge

LANGUAGES = ("en", "fa", "ar", "th", "el")
LIBRARY = templates.library()
# The longest values a filled template will realistically carry: X handles are at most
# 15 characters, which is also generous for an agent's first name.
LONG_AUTHOR = "a" * 15
LONG_AGENT = "b" * 15
LONG_CASE = "C-12345678"


def test_categories_are_in_the_order_the_inbox_offers_them():
    assert CATEGORIES == ("acknowledge", "empathy", "apology", "looking_into_it",
                          "callback_estimate", "resolution", "follow_up")
    assert CATEGORY_NAMES == {
        "acknowledge": "Holding reply", "empathy": "Empathy", "apology": "Apology",
        "looking_into_it": "Looking into it", "callback_estimate": "Callback estimate",
        "resolution": "Resolution", "follow_up": "24-hour follow-up",
    }


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("category", CATEGORIES)
def test_every_language_has_every_category(lang, category):
    found = LIBRARY.by_category(lang, category)
    assert found, f"no {category} template in {lang}"
    assert all(t.lang == lang and t.category == category for t in found)


def test_languages_and_etas():
    assert set(LIBRARY.languages()) == set(LANGUAGES)
    for lang in LANGUAGES:
        assert list(LIBRARY.eta_choices(lang)) == ["30m", "1h", "2h", "4h", "24h"]


def test_template_ids_are_unique():
    ids = [t.id for t in LIBRARY.templates]
    assert len(ids) == len(set(ids))


def test_every_template_has_a_known_category_and_a_title():
    for t in LIBRARY.templates:
        assert t.category in CATEGORIES, t.id
        assert t.title.strip(), t.id


def test_templates_use_only_the_four_variables():
    for t in LIBRARY.templates:
        braces = set(re.findall(r"\{([^{}]*)\}", t.text))
        assert braces <= {"author", "agent", "eta", "case"}, (t.id, braces)
        assert set(t.variables) == braces


def test_every_filled_template_fits_one_x_post_with_the_longest_eta():
    for t in LIBRARY.templates:
        longest_eta = max(LIBRARY.eta_choices(t.lang).values(), key=len)
        text = templates.fill(t, author=LONG_AUTHOR, agent=LONG_AGENT, eta=longest_eta,
                              case=LONG_CASE)
        assert "{" not in text, t.id
        assert templates.over_limit(text, "x") is None, (t.id, len(text))


def test_thai_templates_speak_in_the_female_agent_voice():
    for t in LIBRARY.for_language("th"):
        assert "ค่ะ" in t.text or "คะ" in t.text, t.id
        assert "ครับ" not in t.text, t.id


def test_greek_templates_use_the_polite_plural():
    informal = re.compile(r"(?<!\w)(σου|είσαι|σένα)(?!\w)")
    for t in LIBRARY.for_language("el"):
        assert not informal.search(t.text), t.id


def test_unknown_language_falls_back_to_english():
    assert {t.lang for t in LIBRARY.for_language("de")} == {"en"}
    assert [t.id for t in LIBRARY.by_category("de", "apology")] == ["en-apology"]
    assert [t.id for t in LIBRARY.by_category(None, "follow_up")] == ["en-follow_up"]


def test_by_category_keeps_library_order():
    assert [t.id for t in LIBRARY.by_category("fa", "acknowledge")] == \
        ["fa-acknowledge", "fa-acknowledge-2"]


def test_fill_replaces_variables_and_leaves_other_braces():
    t = Template("x", "en", "acknowledge", "t", "Hi {author}, {agent} here ({case}, {eta}) {other}")
    assert templates.fill(t, author=None, agent="Mina", eta="2 hours", case="C-7") == \
        "Hi , Mina here (C-7, 2 hours) {other}"


# ---------------------------------------------------------------- managers' edits

def _base() -> Library:
    return Library(
        (Template("en-a", "en", "acknowledge", "A", "Hi {author}"),
         Template("en-b", "en", "apology", "B", "Sorry {author}"),
         Template("fa-a", "fa", "acknowledge", "A", "سلام {author}")),
        {"en": {"2h": "2 hours"}, "fa": {"2h": "۲ ساعت"}},
    )


def test_merge_replaces_an_edited_template_in_place():
    edited = Template("en-b", "en", "apology", "B (edited)", "We're so sorry, {author}")
    merged = merge(_base(), [edited])
    assert [t.id for t in merged.templates] == ["en-a", "en-b", "fa-a"]
    assert merged.templates[1] == edited


def test_merge_adds_a_new_template_at_the_end():
    new = Template("el-a", "el", "acknowledge", "A", "Γεια σας {author}")
    merged = merge(_base(), [new])
    assert [t.id for t in merged.templates] == ["en-a", "en-b", "fa-a", "el-a"]
    assert merged.by_category("el", "acknowledge") == (new,)


def test_merge_treats_empty_text_as_deleted():
    merged = merge(_base(), [Template("en-a", "en", "acknowledge", "A", "  "),
                             Template("nowhere", "en", "apology", "x", "")])
    assert [t.id for t in merged.templates] == ["en-b", "fa-a"]


def test_merge_later_override_wins_and_base_is_untouched():
    base = _base()
    merged = merge(base, [Template("en-a", "en", "acknowledge", "1", "first"),
                          Template("en-a", "en", "acknowledge", "2", "second")])
    assert merged.templates[0].text == "second"
    assert base.templates[0].text == "Hi {author}"
    assert merged.eta_choices("fa") == {"2h": "۲ ساعت"}
    merged.etas["fa"]["4h"] = "۴ ساعت"
    assert "4h" not in base.etas["fa"]


def test_merge_over_the_bundled_library_keeps_every_category():
    edited = Template("fa-apology", "fa", "apology", "Sorry", "سلام {author} عزیز، عذر می‌خوایم.")
    merged = merge(LIBRARY, [edited])
    assert merged.by_category("fa", "apology") == (edited,)
    assert len(merged.templates) == len(LIBRARY.templates)


def test_mastodon_and_bluesky_replies_have_their_length_limits():
    assert templates.over_limit("x" * 300, "bluesky") is None
    assert templates.over_limit("x" * 301, "bluesky") == 1
    assert templates.over_limit("x" * 500, "mastodon") is None
    assert templates.over_limit("x" * 501, "mastodon") == 1


def test_the_reply_editor_opens_on_the_kind_of_reply_the_case_needs():
    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc)
    hour = dt.timedelta(hours=1)
    fresh = {"first_response_at": None, "due_at": None}
    assert templates.needed_category(fresh)[0] == "acknowledge"
    answered = {"first_response_at": now - 2 * hour, "last_response_at": now - 2 * hour,
                "last_customer_at": now - 3 * hour, "due_at": now + hour}
    assert templates.needed_category(answered)[0] == "resolution"
    assert templates.needed_category({**answered, "due_at": now - hour}) == (
        "apology", "the time we promised has passed")
    assert templates.needed_category({**answered, "last_customer_at": now - hour}) == (
        "apology", "they wrote again after our answer")
