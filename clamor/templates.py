"""Reply templates: answer at once, empathy first, give a time and keep it.

The library (clamor/templates.toml) holds templates per language and category (from the
holding reply to the 24-hour follow-up survey), written as a native agent would say it, and
the ways to say "2 hours" in each language. Filling a template is plain string substitution of
{author}, {agent}, {eta} and {case}; nothing in a template is ever executed or rendered.
Templates that managers edit in the dashboard are laid over the bundled ones with `merge`.
"""

from __future__ import annotations

import datetime as dt

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# In the order a case usually needs them, which is the order the inbox offers them.
CATEGORIES = ("acknowledge", "empathy", "apology", "looking_into_it", "callback_estimate",
              "resolution", "follow_up")
CATEGORY_NAMES = {
    "acknowledge": "Holding reply",
    "empathy": "Empathy",
    "apology": "Apology",
    "looking_into_it": "Looking into it",
    "callback_estimate": "Callback estimate",
    "resolution": "Resolution",
    "follow_up": "24-hour follow-up",
}
VARIABLES = ("author", "agent", "eta", "case")


def needed_category(case: dict) -> tuple[str, str]:
    """The kind of reply a case needs now, and why in a few words: a holding reply while
    nobody has answered; an apology when the customer wrote again after our answer or a
    promised time has passed; otherwise the resolution. The reply editor opens on it."""
    if case.get("first_response_at") is None:
        return "acknowledge", "nobody has answered yet"
    due, now = case.get("due_at"), dt.datetime.now(dt.timezone.utc)
    if due is not None and due < now:
        return "apology", "the time we promised has passed"
    last_ours, last_theirs = case.get("last_response_at"), case.get("last_customer_at")
    if last_ours is not None and last_theirs is not None and last_theirs > last_ours:
        return "apology", "they wrote again after our answer"
    return "resolution", "answered; the customer waits for the solution"
FALLBACK_LANGUAGE = "en"
# Platform length limits an agent must see before copying a reply: X 280, Bluesky 300,
# Mastodon 500 (the default; an instance may allow more). Counted in code points, which is
# stricter than Bluesky's graphemes for Thai and emoji: a warning may come a little early.
LENGTH_LIMITS = {"x": 280, "bluesky": 300, "mastodon": 500}
_VARIABLE = re.compile(r"\{(" + "|".join(VARIABLES) + r")\}")


@dataclass(frozen=True)
class Template:
    id: str
    lang: str
    category: str
    title: str
    text: str

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_VARIABLE.findall(self.text)))


@dataclass(frozen=True)
class Library:
    templates: tuple[Template, ...]
    etas: dict[str, dict[str, str]]  # lang -> {"2h": "2 hours"}

    def for_language(self, lang: str | None) -> tuple[Template, ...]:
        """Templates in the mention's language, or English where there are none."""
        found = tuple(t for t in self.templates if t.lang == lang)
        return found or tuple(t for t in self.templates if t.lang == FALLBACK_LANGUAGE)

    def by_category(self, lang: str | None, category: str) -> tuple[Template, ...]:
        """Templates of one category in the mention's language, or English where it has none."""
        found = tuple(t for t in self.templates if t.lang == lang and t.category == category)
        return found or tuple(t for t in self.templates
                              if t.lang == FALLBACK_LANGUAGE and t.category == category)

    def eta_choices(self, lang: str) -> dict[str, str]:
        return self.etas.get(lang) or self.etas[FALLBACK_LANGUAGE]

    def languages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.lang for t in self.templates))


@lru_cache(maxsize=1)
def library() -> Library:
    text = resources.files("clamor").joinpath("templates.toml").read_text("utf-8")
    data = tomllib.loads(text)
    templates = tuple(
        Template(id=t["id"], lang=t["lang"], category=t["category"], title=t["title"],
                 text=t["text"].strip())
        for t in data["template"]
    )
    return Library(templates, {lang: dict(v) for lang, v in data.get("eta", {}).items()})


def merge(base: Library, overrides: Iterable[Template]) -> Library:
    """The library with managers' edits laid over it.

    An override whose id is already in `base` takes that template's place (same position in
    the list, so the inbox order stays put); a new id is added at the end; an override with
    empty text deletes the template of that id. Later overrides of the same id win.
    """
    merged = {t.id: t for t in base.templates}
    for override in overrides:
        if override.text.strip():
            merged[override.id] = override
        else:
            merged.pop(override.id, None)
    return Library(tuple(merged.values()), {lang: dict(v) for lang, v in base.etas.items()})


def fill(template: Template, *, author: str | None, agent: str, eta: str, case: str) -> str:
    """The template's text with its variables replaced; unknown braces are left alone."""
    values = {"author": author or "", "agent": agent, "eta": eta, "case": case}
    return _VARIABLE.sub(lambda m: values[m.group(1)], template.text)


def over_limit(text: str, source: str) -> int | None:
    """How many characters too long the reply is for the platform, or None if it fits."""
    limit = LENGTH_LIMITS.get(source)
    if limit is None or len(text) <= limit:
        return None
    return len(text) - limit
