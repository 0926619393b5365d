"""The collector contract: what every source (demo replay, X, Reddit, feeds) provides.

A collector has two halves, kept apart so each can be tested on its own:
- `fetch(cursor)` does the I/O: it returns raw items exactly as the source gave them, the
  cursor to resume from next time, and what the source said about its rate limits;
- `map_item(raw)` is pure: one raw item in, one `Mention` out (or `UnreadableItem` raised
  with a sentence saying why), so it is tested on recorded real responses with no network.

The pipeline (clamor.pipeline) matches watchlist terms, stores the mentions and saves the
cursor in one transaction, so a crash between fetch and store never skips anything.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol, TypeVar, runtime_checkable

import tenacity

T = TypeVar("T")

class UnreadableItem(ValueError):
    """A raw item the collector cannot turn into a mention; the message says why."""


class NotConfigured(Exception):
    """The source lacks something it needs (a credential, a setting); the message says what."""


class RateLimited(Exception):
    """The source said "too many requests": wait until `reset_at` (None: it did not say)."""

    def __init__(self, message: str, reset_at: dt.datetime | None = None):
        super().__init__(message)
        self.reset_at = reset_at


class SourceError(Exception):
    """The source answered with something unusable (an error status, a malformed or truncated
    page); the message says what, in plain words. The run fails and changes nothing."""


class Transient(SourceError):
    """A failure worth retrying soon: a timeout, a dropped connection, a 5xx answer."""


def with_retries(
    call: Callable[[], T], *, attempts: int = 4,
    sleep: Callable[[float], None] | None = None, max_wait: float = 30.0,
) -> T:
    """Run `call`, retrying `Transient` failures with exponential backoff and jitter.

    Anything else (RateLimited, SourceError, NotConfigured) goes straight up: retrying a 429
    before its reset or a malformed page would only burn budget. Tests pass a `sleep` that
    records instead of waiting.
    """
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(Transient),
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_exponential_jitter(initial=1.0, max=max_wait),
        sleep=sleep or time.sleep,  # looked up now, so a test can patch time.sleep
        reraise=True,
    )
    return retrying(call)


@dataclass(frozen=True)
class Mention:
    """One post that mentions the company, in the shape every source maps to."""

    source: str
    native_id: str
    text: str
    created_at: dt.datetime
    url: str | None = None
    author: str | None = None
    author_followers: int | None = None
    lang: str | None = None  # the language the source claims, if any
    in_reply_to: str | None = None  # native id of the parent post, same source
    conversation_id: str | None = None  # native id of the thread's root, same source
    matched_terms: tuple[str, ...] = ()
    matched_kinds: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        # Whatever a source sent, a Mention is something the store can hold exactly; what it
        # cannot hold is refused here with a reason, and the raw item is kept aside.
        if not self.native_id:
            raise UnreadableItem("the item has no id")
        if not self._texts_storable():
            self._refuse_texts()
        followers = self.author_followers
        if followers is not None and (isinstance(followers, bool) or not isinstance(
                followers, int) or not 0 <= followers < 2**63):
            raise UnreadableItem(f"item {self.native_id}: the follower count {followers!r} "
                                 "is not a whole number from 0 to 2^63")
        if not isinstance(self.created_at, dt.datetime) or self.created_at.tzinfo is None:
            raise UnreadableItem(f"item {self.native_id}: created_at has no time zone")
        try:
            self.created_at.astimezone(dt.timezone.utc)
        except (OverflowError, ValueError, OSError):
            raise UnreadableItem(f"item {self.native_id}: created_at {self.created_at} has no "
                                 "UTC equivalent") from None

    def _texts_storable(self) -> bool:
        """Whether every text field holds text UTF-8 can hold, as most items' do: one join
        and one encode, where a check per field cost a third of an archive import's
        mapping (_refuse_texts says which field does not)."""
        texts = [self.source, self.native_id, self.text, *self.matched_terms,
                 *self.matched_kinds]
        texts += [value for value in (self.url, self.author, self.lang, self.in_reply_to,
                                      self.conversation_id) if value is not None]
        try:
            "".join(texts).encode("utf-8")  # (join takes text only)
        except (TypeError, UnicodeEncodeError):
            return False
        return True

    def _refuse_texts(self) -> None:
        """Raise UnreadableItem for the first text field that is not text UTF-8 can hold."""
        for name in ("source", "native_id", "text"):
            if not isinstance(getattr(self, name), str):
                raise UnreadableItem(f"item {self.native_id!r}: {name} is not text")
        for name in ("url", "author", "lang", "in_reply_to", "conversation_id"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise UnreadableItem(f"item {self.native_id}: {name} is not text")
        for name in ("matched_terms", "matched_kinds"):
            if not all(isinstance(v, str) for v in getattr(self, name)):
                raise UnreadableItem(f"item {self.native_id}: {name} holds something not text")
        for name in ("source", "native_id", "text", "url", "author", "lang", "in_reply_to",
                     "conversation_id"):
            value = getattr(self, name)
            if value is not None and not is_utf8(value):
                raise UnreadableItem(f"item {self.native_id!r}: {name} holds a lone UTF-16 "
                                     "surrogate, which no UTF-8 text can hold")
        for name in ("matched_terms", "matched_kinds"):
            if not all(map(is_utf8, getattr(self, name))):
                raise UnreadableItem(f"item {self.native_id!r}: {name} holds a lone UTF-16 "
                                     "surrogate, which no UTF-8 text can hold")

    @property
    def id(self) -> str:
        return f"{self.source}:{self.native_id}"


def shown(value: Any, limit: int = 40) -> str:
    """A value as a reason quotes it: its repr (which escapes control, bidi and zero-width
    characters and lone surrogates, so a reason is safe to print), cut to `limit` characters."""
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4300 digits has no repr
        return "(a number too long to show)"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def described(value: Any) -> str:
    """What a JSON value is, in the words of the JSON a user can open: "a list", "a number"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {shown(value)}"
    if isinstance(value, str):
        return f"the text {shown(value)}"
    return {dict: "an object", list: "a list", tuple: "a list"}.get(type(value), "another "
                                                                    "kind of value")


def is_utf8(text: str) -> bool:
    """Whether UTF-8 can hold the text (it cannot hold a lone UTF-16 surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class RateInfo:
    """What the source said about its limits on the last request (None where it said nothing)."""

    remaining: int | None = None
    reset_at: dt.datetime | None = None


@dataclass(frozen=True)
class FetchResult:
    raw_items: list[dict[str, Any]]
    next_cursor: str | None
    rate: RateInfo = RateInfo()
    query: str = ""  # what was asked for: recorded with every mention as provenance
    # Native ids to store even when they name no watchlist term: they come from a place the
    # company listens to whole (its own subreddit, its accounts' inbox).
    keep: frozenset[str] = frozenset()


@runtime_checkable
class Collector(Protocol):
    name: str  # the source name: its cursor and scheduler job are named after it
    version: str  # recorded with every mention it collects

    def check(self) -> None:
        """Raise NotConfigured with a sentence naming what is missing; return if ready."""

    def fetch(self, cursor: str | None, limit: int | None = None) -> FetchResult:
        """Raw items newer than `cursor` (at most about `limit`, when given: a budget), the
        cursor to resume from, and rate-limit information. Raises RateLimited, SourceError
        (Transient for what may pass) or NotConfigured; it never stores anything."""

    def map_item(self, raw: dict[str, Any]) -> Mention: ...


@dataclass(frozen=True)
class ArchiveLine:
    """One line of an archive file: the raw items it holds, or why it could not be read."""

    number: int
    items: list[dict[str, Any]]
    problem: str | None = None
    text: str = ""  # the line itself, kept aside when it cannot be read


ArchiveReader = Callable[[str], Iterator[ArchiveLine]]


def parse_time(value: Any, *, item_id: str = "?") -> dt.datetime:
    """An aware datetime from an ISO 8601 string; naive or unreadable times are refused."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise UnreadableItem(
                f"item {item_id}: created_at {shown(value)} is not an ISO 8601 time"
            ) from None
    if parsed.tzinfo is None:
        raise UnreadableItem(f"item {item_id}: created_at {shown(value)} has no time zone")
    return parsed


# What clamor.actions.post_reply calls: (native id answered, text, dry_run) -> dict.
Poster = Callable[[str, str, bool], dict]


def lazy_poster(connect: Callable[[], Any],
                post_reply: Callable[..., dict]) -> Poster:
    """A poster that logs in only at its first real post: a dry run needs no credentials,
    and a missing credential surfaces (NotConfigured from `connect`) when an agent posts."""
    client = None

    def post(native_id: str, text: str, dry_run: bool) -> dict:
        nonlocal client
        if dry_run:
            return post_reply(None, native_id, text, dry_run=True)
        if client is None:
            client = connect()
        return post_reply(client, native_id, text, dry_run=False)

    return post
