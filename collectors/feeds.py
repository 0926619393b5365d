"""Web and news feeds: RSS and Atom URLs — Google-Alerts-style alert feeds, news sites, blogs,
review sites — listed in `[sources.feeds] urls`. No credentials.

Each run asks every feed only for what changed (conditional GET with the ETag and
Last-Modified it sent last time), reads entries with feedparser, and remembers which entries
it has seen, so an article is stored once even when several feeds carry it (entries are keyed
by their link, or by their id where there is no link). Entry HTML is reduced to plain text.
Timeouts and 5xx answers are retried with backoff; a feed that cannot be read fails the run
with a sentence naming it, and nothing changes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import logging
import time
from html.parser import HTMLParser
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse

import feedparser
import requests

from clamor.config import Config
from collectors.base import (
    FetchResult,
    Mention,
    NotConfigured,
    SourceError,
    Transient,
    UnreadableItem,
    described,
    shown,
    with_retries,
)

log = logging.getLogger(__name__)

NAME = "feeds"
VERSION = "1"
MENTION_SOURCE = "web"
SEEN_PER_FEED = 2000  # entry keys remembered per feed; feeds rarely carry more than 100
USER_AGENT = "Clamor/0.1 (+self-hosted social listening; feed reader)"


class _Text(HTMLParser):
    """Plain text of an HTML fragment: tags dropped, entities decoded, scripts ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def plain_text(html: str) -> str:
    parser = _Text()
    parser.feed(html or "")
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def unwrap_link(link: str | None) -> str | None:
    """The article behind an alert's redirect link (google.com/url?...&url=<article>)."""
    if not link:
        return None
    try:
        parsed = urlparse(link)
    except ValueError:  # malformed (an unclosed IPv6 host): not an alert's redirect
        return link
    if parsed.netloc.endswith("google.com") and parsed.path == "/url":
        target = parse_qs(parsed.query).get("url") or parse_qs(parsed.query).get("q")
        if target:
            return target[0]
    return link


def entry_key(entry: dict[str, Any]) -> str:
    return unwrap_link(entry.get("link")) or entry.get("id") or (
        f"{entry.get('title', '')}|{entry.get('published', '')}")


def _time(parsed: time.struct_time | None) -> str | None:
    """An ISO 8601 time, or None where there is none a date can be made of (feedparser turns
    9999-12-31T23:59-23:59 into the year 10000)."""
    if not parsed:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.timezone.utc).isoformat()
    except (ValueError, OverflowError, OSError):
        return None


def raw_entry(entry: dict[str, Any], feed_url: str, feed_title: str, fetched_at: str
              ) -> dict[str, Any]:
    """One feed entry as a plain, self-contained dict (what map_item reads)."""
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = entry["content"][0].get("value", "")
    published = _time(entry.get("published_parsed") or entry.get("updated_parsed"))
    raw = {
        "key": entry_key(entry),
        "feed_url": feed_url,
        "feed_title": feed_title,
        "title": plain_text(entry.get("title", "")),
        "summary": plain_text(summary),
        "link": unwrap_link(entry.get("link")),
        "author": entry.get("author") or None,
        "published": published,
        "fetched_at": fetched_at,
    }
    said = entry.get("published") or entry.get("updated")
    if published is None and said:
        # A date no calendar holds dates the entry when it was read, like no date; what the
        # feed said is kept beside it.
        raw["published_as_sent"] = said
    return raw


def _read_cursor(cursor: str | None) -> dict[str, Any]:
    """Per feed: its ETag, Last-Modified and the entry keys already seen."""
    try:
        states = json.loads(cursor) if cursor else {}
    except ValueError:
        states = None
    if not isinstance(states, dict):
        # Starting over re-reads each feed once; entries already stored are not stored twice.
        log.warning("feeds: the saved cursor is unreadable; reading every feed afresh")
        return {}
    return states


class FeedsCollector:
    name = NAME
    version = VERSION

    def __init__(self, config: Config, *, session: requests.Session | None = None,
                 sleep: Callable[[float], None] | None = None, timeout: float = 20.0,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)):
        self.urls = config.sources.feeds.urls
        self.session = session or requests.Session()
        self.sleep = sleep
        self.timeout = timeout
        self.now = now

    def check(self) -> None:
        if not self.urls:
            raise NotConfigured("no feed URLs: list them in [sources.feeds] urls")

    def _get(self, url: str, state: dict[str, Any]) -> requests.Response:
        headers = {"User-Agent": USER_AGENT}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]

        def attempt() -> requests.Response:
            try:
                response = self.session.get(url, headers=headers, timeout=self.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                raise Transient(f"the feed {url} did not answer ({type(exc).__name__})") from exc
            if response.status_code >= 500:
                raise Transient(f"the feed {url} answered {response.status_code}")
            return response

        return with_retries(attempt, sleep=self.sleep)

    def fetch(self, cursor: str | None, limit: int | None = None) -> FetchResult:
        states = _read_cursor(cursor)
        fetched_at = self.now().isoformat()
        items: list[dict[str, Any]] = []
        taken: set[str] = set()  # one article carried by two feeds is one item
        next_states: dict[str, Any] = {}
        for url in self.urls:
            state = states.get(url) if isinstance(states.get(url), dict) else {}
            response = self._get(url, state)
            if response.status_code == 304:
                next_states[url] = state
                continue
            if response.status_code != 200:
                raise SourceError(f"the feed {url} answered {response.status_code} "
                                  f"{response.reason}; check the address in [sources.feeds]")
            parsed = feedparser.parse(response.content, response_headers={
                "content-location": url,
                "content-type": response.headers.get("content-type", "application/xml")})
            if parsed.bozo and not parsed.entries:
                raise SourceError(f"the feed {url} could not be read: {parsed.bozo_exception}")
            seen = [k for k in state.get("seen", []) if isinstance(k, str)] \
                if isinstance(state.get("seen"), list) else []
            already = set(seen)
            title = parsed.feed.get("title", url)
            fresh = [raw_entry(e, url, title, fetched_at) for e in parsed.entries]
            fresh = [e for e in fresh if e["key"] not in already]
            items += [e for e in fresh if e["key"] not in taken]
            taken.update(e["key"] for e in fresh)
            next_states[url] = {
                "etag": response.headers.get("ETag"),
                "modified": response.headers.get("Last-Modified"),
                "seen": ([e["key"] for e in fresh] + seen)[:SEEN_PER_FEED],
            }
        return FetchResult(items, json.dumps(next_states),
                           query=f"{len(self.urls)} feed(s)")

    @staticmethod
    def map_item(raw: dict[str, Any]) -> Mention:
        key = raw.get("key")
        if key in (None, ""):
            raise UnreadableItem("the feed entry has neither a link nor an id")
        if not isinstance(key, str):
            raise UnreadableItem(f"the feed entry's key (its link or id) is {described(key)}, "
                                 "not text")
        who = key if key.isprintable() and len(key) <= 80 else shown(key, 80)
        parts = []
        for field_name in ("title", "summary"):
            part = raw.get(field_name)
            if part is not None and not isinstance(part, str):
                raise UnreadableItem(f"the feed entry {who}: its {field_name} is "
                                     f"{described(part)}, not text")
            if part:
                parts.append(part)
        if not parts:
            raise UnreadableItem(f"the feed entry {who} has no title or text")
        author = next((a for a in (raw.get("author"), raw.get("feed_title"))
                       if isinstance(a, str) and a), None)
        return Mention(
            source=MENTION_SOURCE,
            # (a lone surrogate in a key still names one entry: the id is its hash)
            native_id=hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24],
            text="\n\n".join(parts),
            created_at=_dated(raw, who),
            url=_web_link(raw.get("link")),
            author=author,
            raw=raw,
        )


def _dated(raw: dict[str, Any], who: str) -> dt.datetime:
    """When the entry was published; an entry without a date is dated when it was first
    read. A date that is there but unreadable makes the entry unreadable: a guess would sort
    it among the wrong day's mentions."""
    for field_name in ("published", "fetched_at"):
        value = raw.get(field_name)
        if value in (None, ""):
            continue
        try:
            when = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise UnreadableItem(f"the feed entry {who}: its {field_name} {shown(value)} is not "
                                 "an ISO 8601 time with a time zone")
        return when
    raise UnreadableItem(f"the feed entry {who} has no date (published or fetched_at)")


def _web_link(link: Any) -> str | None:
    """The entry's link when it is a web address; anything else (javascript:, a malformed
    address) is no link for an agent to follow, and stays in the raw item."""
    if not isinstance(link, str) or not link:
        return None
    try:
        scheme = urlparse(link).scheme
    except ValueError:  # e.g. "http://[::1": an unclosed IPv6 host
        return None
    return link if scheme in ("http", "https") else None
