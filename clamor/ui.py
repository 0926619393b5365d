"""Pieces the dashboard pages share: the process's runtime, safe display of mention text,
and small formatting rules.

Mention text, author names and URLs are untrusted: they are only ever shown with `st.text`
(never Markdown or HTML), and a link is offered only for http(s) addresses.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import re
from urllib.parse import urlparse

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from clamor import auth, config, knowledge, runtime
from clamor.config import ConfigError
from clamor.pipeline import ANALYSED_CHARS
from clamor.store import LakeError, StoreBusy
from collectors.matching import normal_form

RTL_LANGUAGES = {"fa", "ar", "he", "ur"}
LANGUAGE_NAMES = {**config.LANGUAGE_NAMES, None: "unknown"}
DISPLAY_CHARS = 1200  # longer posts are cut on screen (never in the store)
# A card in a list shows a post's start: a forum post of 20 lines made each card a screen
# high, and agents triage by scanning the list (the open case shows it up to DISPLAY_CHARS).
PREVIEW_CHARS = 400
PREVIEW_LINES = 6

# Our own constant CSS, no mention content. Each paragraph of mention text takes its direction
# from its first letter, so Persian and Arabic read right-to-left with punctuation in place.
_CSS = """
<style>
[data-testid="stText"], [data-testid="stTextArea"] textarea, [data-testid="stCode"] code {
  unicode-bidi: plaintext;
}
/* The reply panel stays in view while the agent scrolls the list beside it. */
[data-testid="stColumn"]:has(.st-key-reply-panel) {
  position: sticky; top: 3.5rem; align-self: flex-start;
  max-height: calc(100vh - 4rem); overflow-y: auto;
}
/* What a rerun is redrawing dims at once after 1 s, not in a 1-s fade from 0.5 s: the fade
   took the browser ~30 % more CPU per rerun (measured with 6 inboxes redrawing at once),
   with runs of seconds when 20 agents share a machine. */
[data-testid="stElementContainer"][data-stale="true"] {
  transition: opacity 0s linear 1s !important;
}
</style>
"""


@st.cache_resource(show_spinner="Opening the database…")
def _runtime() -> runtime.Runtime:
    loaded = runtime.load()
    # The knowledge base's index (and the Thai dictionary and stemmers it loads) is built
    # now, not while an agent waits for the first case panel.
    knowledge.index(loaded.store)
    # What is loaded by now lives as long as the process: keep it out of every later
    # collection's walk (each full collection walked the whole heap, models included).
    gc.freeze()
    return loaded


def get_runtime() -> runtime.Runtime:
    """The process's runtime; on a config or database problem, say so and stop the page."""
    try:
        return _runtime()
    except (ConfigError, StoreBusy, LakeError) as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop ends the script


def signed_in() -> auth.User | None:
    """The user signed in to this browser session, unless the session has run out or the
    user has since been removed; with the role the users table gives them now."""
    data = st.session_state.get("user")
    if not data:
        return None
    since = dt.datetime.fromisoformat(data["since"])
    if dt.datetime.now(dt.timezone.utc) - since > dt.timedelta(hours=auth.SESSION_HOURS):
        sign_out()
        return None
    role = auth.role_now(get_runtime().store, data["name"], data["role"])
    if role is None:  # removed while signed in
        sign_out()
        return None
    data["role"] = role
    return auth.User(data["name"], role)


def sign_in_as(user: auth.User, *, since: dt.datetime | None = None,
               sso: bool = False) -> None:
    st.session_state["user"] = {
        "name": user.name, "role": user.role, "sso": sso,
        "since": (since or dt.datetime.now(dt.timezone.utc)).isoformat()}
    st.session_state["agent_name"] = user.name


def sign_out() -> None:
    """Forget this session's user. A single sign-on session also drops Streamlit's identity
    cookie (st.logout), or the next run would sign the same person straight back in."""
    via_sso = (st.session_state.get("user") or {}).get("sso")
    for key in ("user", "agent_name", "open_mention"):
        st.session_state.pop(key, None)
    if via_sso or sso_identity():
        st.logout()


# -- single sign-on (OIDC through Streamlit's st.login) ------------------------------------

def sso_providers() -> list[tuple[str | None, str]]:
    """The identity providers in Streamlit's secrets: (the name st.login takes, a button
    label). `[auth]` with a client_id is one unnamed provider; `[auth.NAME]` tables are named
    ones. None configured (no secrets file, no [auth]): an empty list."""
    try:
        section = st.secrets.get("auth")
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return []
    if not hasattr(section, "get"):
        return []
    if section.get("client_id"):
        return [(None, "Sign in with single sign-on")]
    return [(name, f"Sign in with {name.replace('_', ' ').title()}")
            for name, value in section.items() if hasattr(value, "get")
            and value.get("client_id")]


def sso_identity() -> dict | None:
    """What the identity provider said about this browser (its ID token's claims), if it is
    signed in through single sign-on; None otherwise."""
    try:
        if not getattr(st.user, "is_logged_in", False):
            return None
        return st.user.to_dict()
    except (AttributeError, KeyError):  # no auth configured (also under AppTest)
        return None


def sso_sign_in(store) -> tuple[auth.User | None, str | None]:
    """Sign this session in from its single sign-on identity: (the user, None), or (None, why
    not) when the identity opens no user here; (None, None) with no identity at all."""
    claims = sso_identity()
    if claims is None:
        return None, None
    email = claims.get("email")
    user = auth.sso_user(store, email, claims.get("email_verified"))
    if user is None:
        if claims.get("email_verified") is False:
            return None, (f"Your identity provider has not verified {email}, so it cannot "
                          "open this desk.")
        shown = email if isinstance(email, str) else "no e-mail address"
        return None, (f"You are signed in as {shown}, which has no access to this desk. Ask "
                      f"an admin to run: clamor users link NAME --email {shown}")
    issued = claims.get("iat")
    since = (dt.datetime.fromtimestamp(issued, dt.timezone.utc)
             if isinstance(issued, (int, float)) and not isinstance(issued, bool) else None)
    # The session's clock starts when the provider vouched for the person, so a 30-day
    # identity cookie does not stretch the session past SESSION_HOURS.
    if since is not None and (dt.datetime.now(dt.timezone.utc) - since
                              > dt.timedelta(hours=auth.SESSION_HOURS)):
        st.logout()
        return None, None
    sign_in_as(user, since=since, sso=True)
    return user, None


def require(page: str) -> auth.User:
    """The signed-in user, if their role includes this page; otherwise the page says why and
    stops before drawing anything. Every page calls it first: the check runs on the server."""
    user = signed_in()
    if user is None:
        st.warning("Sign in first.")
        st.stop()
    if not user.may_see(page):
        st.error(f"Your role ({user.role}) does not include this page.")
        st.stop()
    # Everything a user does is recorded under their name.
    st.session_state["agent_name"] = user.name
    return user


# What a view says when DuckDB ran out of the memory the dashboard gives it (store.py,
# DASHBOARD_MEMORY_LIMIT) rather than spill: the rest of the page still works.
TOO_MUCH_FOR_MEMORY = (
    "This view needs more memory than the dashboard lets its database use. Narrow the "
    "filters (a shorter period, a word to search for), or have whoever runs Clamor raise "
    "the limit (`clamor run --memory-limit 2GB`).")


def sentence(exc: Exception) -> str:
    """A refusal's message as a sentence: first letter up, the rest as written ("case C-12")."""
    text = str(exc).strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: str) -> str:
    """A desk name (a user, a team) set inside a Markdown message (st.warning and kin render
    Markdown) so it shows as written."""
    return _MARKDOWN.sub(r"\\\1", text)


def page_style() -> None:
    st.html(_CSS)


def safe_link(url: object) -> str | None:
    """The URL if it is a plain web address; anything else (javascript:, data:) is not a link."""
    if not isinstance(url, str):
        return None
    parsed = urlparse(url.strip())
    return url.strip() if parsed.scheme in ("http", "https") and parsed.netloc else None


def isolate(text: str) -> str:
    """Wrap a name so its script does not turn the surrounding line around: a Persian outlet
    name stays one unit inside "name · 46 k followers" (Unicode first-strong isolate)."""
    return f"\u2068{text}\u2069"


def clipped(text: str, limit: int = DISPLAY_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def preview(text: str, chars: int = PREVIEW_CHARS, lines: int = PREVIEW_LINES) -> str:
    """A post's start for a card in a list: at most `lines` lines and `chars` characters,
    then how many characters are left out."""
    cut = min(len(text), chars)
    end = -1
    for _ in range(lines):
        end = text.find("\n", end + 1)
        if end < 0:
            break
    else:
        cut = min(cut, end)  # the line break after the last line shown
    if not text[cut:].strip():  # nothing but spaces left out
        return text
    if cut == chars and not text[cut].isspace():  # in a word: end at the one before it
        space = text.rfind(" ", cut - 40, cut)
        cut = space if space > 0 else cut
    return f"{text[:cut].rstrip()}… ({len(text) - cut:,} more characters)"


def ago(minutes: float) -> str:
    """How long ago, as an agent says it: "just now", "45 min ago", "2 h 5 min ago"."""
    return "just now" if minutes < 1 else f"{duration(minutes)} ago"


def duration(minutes: float) -> str:
    """A span of time as an agent says it: "45 min", "2 h 5 min", "3 days" (to the nearest
    minute: 59.6 minutes is "1 h", not "60 min")."""
    minutes = int(round(max(0.0, float(minutes))))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes // (24 * 60)} days"


def time_left(minutes_left: float) -> str:
    """A due timer: "32 min left" or "late by 1 h 5 min" (on the standard's own clock)."""
    if minutes_left >= 0:
        return f"{duration(minutes_left)} left"
    return f"late by {duration(-minutes_left)}"


def reach(followers: object) -> str:
    if followers is None or (isinstance(followers, float) and math.isnan(followers)):
        return "reach unknown"
    n = int(followers)
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} M followers"
    if n >= 10_000:
        return f"{n / 1000:.0f} k followers"
    return f"{n:,} followers"


def sentiment_badge(label: str, score: float | None) -> tuple[str, str]:
    """Badge text and colour; "unscored" is never dressed up as neutral."""
    colours = {"positive": "green", "negative": "red", "neutral": "gray",
               "unscored": "violet", "pending": "gray"}
    if label in ("unscored", "pending") or score is None or (isinstance(score, float)
                                                             and math.isnan(score)):
        return (label if label != "pending" else "analysing…"), colours.get(label, "gray")
    return f"{label} {score:+.2f}", colours.get(label, "gray")


def badges(items: list[tuple[str, str, str | None]]) -> str:
    """Several badges as one Markdown line for `st.markdown`: (text, colour, material icon
    or None) each. One element instead of one per badge: every redraw of the inbox's cards
    in every agent's browser costs per element. For Clamor's own labels only
    (escaped all the same), never for a customer's words."""
    out = []
    for text, colour, icon in items:
        label = escape_markdown(text)
        out.append(f":{colour}-badge[{icon + ' ' if icon else ''}{label}]")
    return " ".join(out)


def language_name(code: object) -> str:
    """The language's name; an analysed text whose language could not be told is "unknown"
    (texts still waiting for analysis are never listed)."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "unknown language"
    return LANGUAGE_NAMES.get(code, str(code))


CUE_NAMES = {"help": "asks for help", "waiting": "waiting", "money": "money",
             "failure": "something failed", "anger": "anger", "repeat": "again / me too",
             "demand": "asks why", "sarcasm": "sarcasm", "thanks": "but thanks / fixed",
             "caveat": "but only a minor point", "inquiry": "but asks about a policy",
             "advice": "but advice to others", "report": "but reads as a news report",
             "spam": "but looks like spam"}


def complaint_reasons(cues, text: str | None = None) -> str:
    """Why a post was flagged, from its cues ("waiting:still no"), as one plain line; with
    the post's text, each cue quoted as the customer wrote it."""
    parts = []
    for cue in list(cues) if cues is not None else []:
        category, _, phrase = str(cue).partition(":")
        if text:
            phrase = as_written(phrase, text)
        parts.append(f"{CUE_NAMES.get(category, category)} “{isolate(phrase)}”")
    return "Why a complaint: " + ("; ".join(parts) if parts else "its wording")


def as_written(phrase: str, text: str) -> str:
    """The first stretch of `text` whose normal form is `phrase` (a cue as the analysis
    stores it: lower case, no accents or harakat, ی for ي), as the customer wrote it
    ("Ούτε επιστροφή" for "ουτε επιστροφη", "ليش" for "لیش"); the phrase itself if no
    stretch is. Each character's normal form stands for its own: the normal form of a whole
    text is that of its characters, but for a few compositions."""
    text = text[:ANALYSED_CHARS]  # the cues were found in as much as the analysis reads
    if not phrase:
        return phrase
    if text.isascii():  # lower-casing alone, which keeps every character's place
        at = text.lower().find(phrase)
        return text[at:at + len(phrase)] if at >= 0 else phrase
    letters: list[str] = []
    owners: list[int] = []  # the text's character each letter of the normal form is from
    for i, ch in enumerate(text):
        for letter in normal_form(ch):
            letters.append(letter)
            owners.append(i)
    at = "".join(letters).find(phrase)
    if at < 0:
        return phrase
    start, end = owners[at], owners[at + len(phrase) - 1] + 1
    while end < len(text) and not normal_form(text[end]):  # its last letter's marks
        end += 1
    return text[start:end]


def alignment(lang: object) -> str:
    return "right" if lang in RTL_LANGUAGES else "left"


def utc_column(label: str) -> st.column_config.Column:
    """A table column of instants, shown to the minute in UTC ("2026-11-27 17:31"), not
    as "2026-11-27 17:31:40+00:00"."""
    return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm", timezone="UTC")


def local_time(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
