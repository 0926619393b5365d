"""Editing reply templates: the bundled library with the managers' edits laid over it, and
what a manager should read before saving a text (tone, promise, length when filled in)."""

from __future__ import annotations

import pandas as pd

from clamor import templates, tone


# The longest a filled template realistically gets: X handles are at most 15 characters,
# generous for an agent's first name too (the same measure as tests/test_templates.py).
LONG_AUTHOR = "a" * 15
LONG_AGENT = "b" * 15
LONG_CASE = "C-12345678"
TONE_NAMES = {"blaming": "Blaming wording", "curt": "Curt wording",
              "no_time": "A promise with no time"}


def edited_templates(edits: pd.DataFrame) -> list[templates.Template]:
    """queries.template_edits rows as Templates (empty text: a deletion), oldest first, so
    templates.merge lays them in the order they were made."""
    ordered = edits.sort_values("edited_at", kind="stable")
    return [templates.Template(id=r.template_id, lang=r.lang, category=r.category,
                               title=r.title, text=r.text or "")
            for r in ordered.itertuples()]


def merged_library(edits: pd.DataFrame,
                   base: templates.Library | None = None) -> templates.Library:
    """The bundled library with the managers' edits laid over it."""
    return templates.merge(base or templates.library(), edited_templates(edits))


def longest_eta(library: templates.Library, lang: str) -> str:
    return max(library.eta_choices(lang).values(), key=len)


def longest_fill(template: templates.Template, library: templates.Library) -> str:
    """The template filled with its language's longest ETA and the longest names."""
    return templates.fill(template, author=LONG_AUTHOR, agent=LONG_AGENT,
                          eta=longest_eta(library, template.lang), case=LONG_CASE)


def new_template_id(library: templates.Library, lang: str, category: str) -> str:
    """The next free "{lang}-{category}-custom-N"."""
    taken = {t.id for t in library.templates}
    n = 1
    while f"{lang}-{category}-custom-{n}" in taken:
        n += 1
    return f"{lang}-{category}-custom-{n}"


def template_warnings(text: str, lang: str, library: templates.Library
                      ) -> list[tuple[str, str | None]]:
    """What a manager should read before saving a template text: tone findings (checked on
    the text filled in, so "within {eta}" counts as a time) and platform length limits.
    Each is (our sentence, the phrase of their text it is about or None)."""
    draft = templates.Template("draft", lang, "", "", text)
    filled = longest_fill(draft, library)
    found: list[tuple[str, str | None]] = [
        (f"{TONE_NAMES.get(f.kind, f.kind)}: {f.advice}", f.phrase)
        for f in tone.check(filled, lang)]
    for source, limit in templates.LENGTH_LIMITS.items():
        over = templates.over_limit(filled, source)
        if over:
            sentence = (f"Too long for {source}: filled with the longest ETA and names it "
                        f"is {len(filled)} characters, {over} over the limit of {limit}.")
            found.append((sentence, None))
    return found
