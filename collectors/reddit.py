"""Reddit: posts and comments about the company, collected through praw.

What it collects, every run:
- **search** (`[sources.reddit] search = true`): all of Reddit searched for the watchlist's
  terms and their other spellings, newest first. Reddit's search finds posts, not comments;
- **subreddits** (`[sources.reddit] subreddits`): the new posts and the new comments of each
  subreddit listed, such as the company's own community;
- **inbox mentions** (`[sources.reddit] inbox_mentions = true`, needs the login below): the
  comments that mention the company's account as u/name.

Credentials come from the environment only. REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET and
REDDIT_USER_AGENT (a "script" app made at https://www.reddit.com/prefs/apps; the user agent
names the app and a contact, e.g. "clamor:acme-desk:1.0 (by u/acme_support)") are enough to
search and read subreddits. REDDIT_USERNAME and REDDIT_PASSWORD, the account that owns the
app, are needed in addition for inbox mentions and for posting replies, which is off unless
`[sources.reddit] reply_posting = true`.

Limits: Reddit allows an OAuth client 60 requests a minute (`requests_per_minute`). praw
spaces requests by Reddit's rate-limit headers; on top of that a run stops once it has made
a minute's worth of requests, and the next run continues exactly where it stopped. A page
holds at most 100 items. The first time a listing is read, only its newest page is taken;
after that, everything newer than what was seen, page by page.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import time
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import praw
import praw.exceptions
import prawcore
from praw.endpoints import API_PATH

from clamor.config import Config, RedditSource
from collectors.base import (
    ArchiveLine,
    FetchResult,
    Mention,
    NotConfigured,
    Poster,
    RateInfo,
    RateLimited,
    SourceError,
    Transient,
    UnreadableItem,
    described,
    lazy_poster,
    shown,
    with_retries,
)

log = logging.getLogger(__name__)

NAME = "reddit"
VERSION = "1"
CREDENTIALS = ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT")
LOGIN = ("REDDIT_USERNAME", "REDDIT_PASSWORD")
SITE = "https://www.reddit.com"
PAGE_SIZE = 100  # Reddit's largest page
MAX_QUERY_CHARS = 512  # Reddit refuses longer search queries
# Reddit's search index can show a post some minutes after it was made, behind newer ones:
# search keeps looking this far below the newest post it has seen (the posts it has already
# returned in that stretch are remembered by id, so none comes back twice).
SEARCH_LOOKBACK_SECONDS = 900.0
MAX_REMEMBERED = 1000  # ids kept per listing in the cursor
# prawcore already retries 5xx answers and dropped connections twice on its own.
ATTEMPTS = 3
TIME_FILTERS = (("hour", 3600), ("day", 86400), ("week", 7 * 86400),
                ("month", 30 * 86400), ("year", 365 * 86400))
FIRST_SEARCH_WINDOW = "week"  # a search read for the first time looks back this far
SUBREDDIT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{1,20}")
ITEM_KINDS = {"t1": "comment", "t3": "post"}
OTHER_KINDS = {"t2": "an account", "t4": "a private message", "t5": "a subreddit",
               "t6": "an award"}


# -- the client --------------------------------------------------------------------------


class _RateWatch:
    """What Reddit's last answer said about the rate-limit window (praw keeps no reset time)."""

    def __init__(self) -> None:
        self.reset_seconds: float | None = None


class _WatchingRequestor(prawcore.Requestor):
    """praw's requestor, noting each answer's x-ratelimit-reset header."""

    def __init__(self, *args: Any, watch: _RateWatch, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._watch = watch

    def request(self, *args: Any, **kwargs: Any):
        response = super().request(*args, **kwargs)
        reset = _reset_seconds(response.headers)
        if reset is not None:
            self._watch.reset_seconds = reset
        return response


def _not_set(missing: list[str] | tuple[str, ...], consequence: str) -> str:
    verb, pronoun = ("is", "it") if len(missing) == 1 else ("are", "them")
    return (f"{', '.join(missing)} {verb} not set: {consequence}. Set {pronoun} in the "
            "environment (or .env) and restart Clamor.")


def _logged_in_env(environ: Mapping[str, str]) -> bool:
    return all(environ.get(v) for v in LOGIN)


def _connect(environ: Mapping[str, str]) -> tuple[praw.Reddit, _RateWatch]:
    missing = [v for v in CREDENTIALS if not environ.get(v)]
    if missing:
        raise NotConfigured(_not_set(missing, "the Reddit collector is off"))
    login: dict[str, str] = {}
    if _logged_in_env(environ):
        login = {"username": environ["REDDIT_USERNAME"], "password": environ["REDDIT_PASSWORD"]}
    watch = _RateWatch()
    reddit = praw.Reddit(
        client_id=environ["REDDIT_CLIENT_ID"],
        client_secret=environ["REDDIT_CLIENT_SECRET"],
        user_agent=environ["REDDIT_USER_AGENT"],
        check_for_updates=False,
        check_for_async=False,  # the scheduler's thread runs no event loop
        requestor_class=_WatchingRequestor,
        requestor_kwargs={"watch": watch},
        **login,
    )
    return reddit, watch


def connect(environ: Mapping[str, str] | None = None) -> praw.Reddit:
    """A praw client from the environment (REDDIT_*), logged in when REDDIT_USERNAME and
    REDDIT_PASSWORD are set. Raises NotConfigured naming what is missing."""
    return _connect(os.environ if environ is None else environ)[0]


# -- reading Reddit's JSON ---------------------------------------------------------------


def _things(listing: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The items of one Reddit listing as plain dicts ({"kind": ..., **data}) and the listing's
    `after` id. "more" stubs (links to further comments) are no items. Raises ValueError
    saying what is wrong when `listing` is not a listing."""
    if not isinstance(listing, dict):
        raise ValueError(f"a {type(listing).__name__} instead of a listing")
    data = listing.get("data")
    if listing.get("kind") != "Listing" or not isinstance(data, dict):
        raise ValueError(f"kind {str(listing.get('kind'))[:20]!r} instead of a Listing")
    children = data.get("children")
    if not isinstance(children, list):
        raise ValueError("a listing without children")
    items = []
    for number, child in enumerate(children, start=1):
        if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
            raise ValueError(f"child {number} has no data")
        if child.get("kind") == "more":
            continue
        items.append({"kind": child.get("kind"), **child["data"]})
    after = data.get("after")
    return items, after if isinstance(after, str) and after else None


def _fullname(raw: Mapping[str, Any]) -> str | None:
    """The item's Reddit id ("t1_abc"): its name, or its kind and id; None when those are
    missing or are not text (a number or a list makes no Reddit id)."""
    name = raw.get("name")
    if isinstance(name, str) and name:
        return name
    kind, short = raw.get("kind"), raw.get("id")
    if isinstance(kind, str) and kind and isinstance(short, str) and short:
        return f"{kind}_{short}"
    return None


def _created(raw: Mapping[str, Any]) -> float | None:
    """created_utc as seconds, when it is a Unix time a date can be made of (finite, within
    years 1-9999); None otherwise."""
    value = raw.get("created_utc")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        dt.datetime.fromtimestamp(float(value), tz=dt.timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None
    return float(value)


def _reset_seconds(headers: Mapping[str, str]) -> float | None:
    for header in ("x-ratelimit-reset", "retry-after"):
        try:
            return float(headers[header])
        except (KeyError, TypeError, ValueError):
            continue
    return None


# -- the cursor --------------------------------------------------------------------------


@dataclass
class _Floor:
    """How far down a listing has been read: items made before `since` were seen, and so
    were the items named in `seen` (id → created_utc) made at or after it."""

    since: float
    seen: dict[str, float] = field(default_factory=dict)
    after: str | None = None  # for an unfinished stretch: continue below this item

    def is_below(self, created: float) -> bool:
        return created < self.since

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"since": self.since, "seen": self.seen}
        if self.after:
            out["after"] = self.after
        return out

    @classmethod
    def from_json(cls, value: Any) -> _Floor:
        since = float(value["since"])
        seen = {str(k): float(v) for k, v in dict(value.get("seen") or {}).items()}
        after = value.get("after")
        return cls(since, seen, str(after) if after else None)


@dataclass
class _Entry:
    """One listing's cursor: the top (newest seen) and, when a run had to stop part-way
    down, the stretch left unread below the newest page (`gap`)."""

    top: _Floor
    gap: _Floor | None = None

    def absorb(self, items: Iterable[dict[str, Any]], lookback: float) -> None:
        """Remember items as seen and move the top up to the newest of them."""
        seen = dict(self.top.seen)
        for raw in items:
            name, created = _fullname(raw), _created(raw)
            if name and created is not None:
                seen[name] = created
        newest = max(seen.values(), default=None)
        since = self.top.since if newest is None else max(self.top.since, newest - lookback)
        kept = sorted(((c, n) for n, c in seen.items() if c >= since), reverse=True)
        if len(kept) > MAX_REMEMBERED:
            kept = kept[:MAX_REMEMBERED]
            since = kept[-1][0]
        self.top = _Floor(since, {n: c for c, n in kept})

    def to_json(self) -> dict[str, Any]:
        out = self.top.to_json()
        if self.gap is not None:
            out["gap"] = self.gap.to_json()
        return out

    @classmethod
    def from_json(cls, value: Any) -> _Entry:
        gap = value.get("gap")
        return cls(_Floor.from_json(value), _Floor.from_json(gap) if gap else None)


def _read_cursor(cursor: str | None) -> dict[str, _Entry]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
        return {str(key): _Entry.from_json(value) for key, value in state.items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        # A cursor this version cannot read (hand-edited, or from an older Clamor): reading
        # every listing afresh only re-fetches items the store already holds.
        log.warning("the Reddit cursor could not be read; every listing is read afresh")
        return {}


# -- what to read ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Listing:
    key: str  # its name in the cursor
    path: str
    label: str  # in messages
    params: tuple[tuple[str, Any], ...] = ()
    lookback: float = 0.0
    time_filtered: bool = False

    @property
    def asked(self) -> str:
        """What was asked, in full: the provenance stamped on what it returned."""
        query = dict(self.params).get("q")
        return f"Reddit search for {query}" if query else self.label


def _spelling(term: str) -> str:
    """A watchlist spelling as a Reddit search term: anything beyond one plain word is
    searched as a phrase."""
    term = term.replace('"', " ").strip()
    plain = all(ch.isalnum() or ch == "_" or unicodedata.category(ch).startswith("M")
                for ch in term)
    return term if plain and term.upper() not in ("AND", "OR", "NOT") else f'"{term}"'


def search_queries(config: Config) -> list[str]:
    """The watchlist as few Reddit search queries as fit Reddit's length limit, each term
    kept whole with its other spellings."""
    queries: list[str] = []
    current: list[str] = []
    seen: set[str] = set()
    for term in config.watchlist.terms:
        group = []
        for spelling in term.spellings:
            if spelling.strip() and spelling.casefold() not in seen:
                seen.add(spelling.casefold())
                group.append(_spelling(spelling))
        if not group:
            continue
        if current and len(" OR ".join(current + group)) > MAX_QUERY_CHARS:
            queries.append(" OR ".join(current))
            current = []
        current += group
    if current:
        queries.append(" OR ".join(current))
    return queries


def _subreddit(name: str) -> str:
    return name.strip().strip("/").removeprefix("r/").removeprefix("/r/").strip("/")


# -- the collector -----------------------------------------------------------------------


class _OutOfRequests(Exception):
    """This minute's requests are spent: stop here, the cursor says where to go on."""


@dataclass
class _Run:
    """One fetch: the items so far (each once) and the item budget."""

    limit: int | None
    items: list[dict[str, Any]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    def full(self) -> bool:
        return self.limit is not None and len(self.items) >= self.limit

    def take(self, raw: dict[str, Any]) -> None:
        name = _fullname(raw)
        if name is None or name not in self.names:
            self.items.append(raw)
            if name:
                self.names.add(name)


@dataclass
class _Walk:
    taken: list[dict[str, Any]]
    done: bool  # reached what was seen before, or the end of the listing
    resume: str | None = None  # when not done: continue below this item


class RedditCollector:
    name = NAME
    version = VERSION

    def __init__(
        self,
        config: Config,
        *,
        reddit: praw.Reddit | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ):
        self.config = config
        self.sleep = sleep
        self.now = now
        self._reddit = reddit
        self._watch: _RateWatch | None = None
        # When the last minute's requests were made: shared by the runs of this process.
        self._requests: deque[dt.datetime] = deque()

    @property
    def settings(self) -> RedditSource:
        return self.config.sources.reddit

    # -- contract ------------------------------------------------------------------------

    def check(self) -> None:
        settings = self.settings
        if self._reddit is None:
            missing = [v for v in CREDENTIALS if not os.environ.get(v)]
            if missing:
                raise NotConfigured(_not_set(missing, "the Reddit collector is off"))
            half = [v for v in LOGIN if not os.environ.get(v)]
            if len(half) == 1 and (settings.inbox_mentions or settings.reply_posting):
                other = next(v for v in LOGIN if v not in half)
                raise NotConfigured(
                    f"{half[0]} is not set but {other} is: set both to read inbox mentions "
                    "and post replies as that account, or neither."
                )
        bad = [s for s in settings.subreddits if not SUBREDDIT_NAME.fullmatch(_subreddit(s))]
        if bad:
            raise NotConfigured(
                f"[sources.reddit] subreddits: {', '.join(repr(s) for s in bad)} "
                f"{'is not a subreddit name' if len(bad) == 1 else 'are not subreddit names'}"
                " (letters, digits and _, as in r/aerolume)."
            )
        if not (settings.search or settings.subreddits
                or (settings.inbox_mentions and self._logged_in())):
            raise NotConfigured(
                "nothing to read from Reddit: set [sources.reddit] search = true, list "
                "subreddits, or set REDDIT_USERNAME and REDDIT_PASSWORD for inbox mentions."
            )

    def fetch(self, cursor: str | None, limit: int | None = None) -> FetchResult:
        self._client()
        state = _read_cursor(cursor)
        run = _Run(limit)
        listings = self._listings()
        next_state: dict[str, Any] = {}
        keep: set[str] = set()
        for listing in listings:
            before = len(run.items)
            entry = self._read(listing, state.get(listing.key), run)
            if entry is not None:
                next_state[listing.key] = entry.to_json()
            if not listing.key.startswith("search:"):
                # The company's own subreddits and its inbox are listened to whole.
                keep.update(n for n in map(_fullname, run.items[before:]) if n)
        return FetchResult(
            raw_items=run.items,
            next_cursor=json.dumps(next_state, ensure_ascii=False, sort_keys=True),
            rate=self._rate(),
            query="; ".join(listing.asked for listing in listings),
            keep=frozenset(keep),
        )

    @staticmethod
    def map_item(raw: dict[str, Any]) -> Mention:
        kind = raw.get("kind")
        name = _fullname(raw)
        if not name:
            raise UnreadableItem("a Reddit item without an id (its name, or its kind and id, "
                                 "are missing or not text)")
        # (a name holding control or bidi characters is quoted with them escaped)
        who = name if name.isprintable() and len(name) <= 40 else shown(name)
        if not isinstance(kind, str) or kind not in ITEM_KINDS:
            what = OTHER_KINDS.get(kind) if isinstance(kind, str) else None
            raise UnreadableItem(f"item {who}: {what or f'kind {shown(kind, 20)}'} is "
                                 "not a post or a comment")
        created = _created(raw)
        if created is None:
            raise UnreadableItem(
                f"item {who}: created_utc {shown(raw.get('created_utc'))} is not a "
                "Unix time"
            )
        if kind == "t3":
            title, body = raw.get("title"), raw.get("selftext") or ""
            if not isinstance(title, str):
                raise UnreadableItem(f"post {who} has no title" if title is None else
                                     f"post {who}: its title is {described(title)}, "
                                     "not text")
            if not isinstance(body, str):
                raise UnreadableItem(f"post {who}: its selftext is {described(body)}, "
                                     "not text")
            text = f"{title}\n\n{body}" if body else title
            in_reply_to, conversation = None, name
        else:
            text = raw.get("body")
            if not isinstance(text, str):
                raise UnreadableItem(f"comment {who} has no body" if text is None else
                                     f"comment {who}: its body is {described(text)}, "
                                     "not text")
            in_reply_to = _reference(raw, "parent_id", who)
            conversation = _reference(raw, "link_id", who) or _thread_of(raw)
        author = raw.get("author")
        if not isinstance(author, str) or author in ("", "[deleted]"):
            author = None
        return Mention(
            source=NAME,
            native_id=name,
            text=text,
            created_at=dt.datetime.fromtimestamp(created, tz=dt.timezone.utc),
            url=_url(raw),
            author=f"u/{author}" if author else None,
            in_reply_to=in_reply_to,
            conversation_id=conversation,
            raw=raw,
        )

    # -- what to read --------------------------------------------------------------------

    def _listings(self) -> list[_Listing]:
        """The listings a run reads, most direct first: when a minute's requests run out,
        people addressing the company wait least."""
        settings = self.settings
        out = []
        if settings.inbox_mentions and self._logged_in():
            account = os.environ.get("REDDIT_USERNAME") or "the account"
            out.append(_Listing("mentions", API_PATH["mentions"],
                                f"inbox mentions of u/{account}"))
        for given in settings.subreddits:
            sub = _subreddit(given)
            out.append(_Listing(f"new:{sub.lower()}", f"r/{sub}/new", f"r/{sub} new posts"))
            out.append(_Listing(f"comments:{sub.lower()}", f"r/{sub}/comments/",
                                f"r/{sub} new comments"))
        if settings.search:
            for query in search_queries(self.config):
                params = (("q", query), ("restrict_sr", False), ("sort", "new"),
                          ("syntax", "lucene"))
                short = query if len(query) <= 40 else query[:40].rsplit(" OR ", 1)[0] + " OR …"
                out.append(_Listing(f"search:{query}", API_PATH["search"].format(subreddit="all"),
                                    f"Reddit search for {short}", params,
                                    SEARCH_LOOKBACK_SECONDS, time_filtered=True))
        return out

    def _logged_in(self) -> bool:
        if self._reddit is not None:
            return not self._reddit.read_only
        return _logged_in_env(os.environ)

    def _client(self) -> praw.Reddit:
        if self._reddit is None:
            self.check()
            self._reddit, self._watch = _connect(os.environ)
        return self._reddit

    # -- reading a listing ---------------------------------------------------------------

    def _read(self, listing: _Listing, entry: _Entry | None, run: _Run) -> _Entry | None:
        """Read one listing down to what its cursor entry says was seen; the new entry."""
        if entry is None:
            # First sight: the newest page only, not the listing's whole history.
            walk = self._walk(listing, run, after=None, floor=None)
            if not walk.taken:
                return None
            first = _Entry(_Floor(since=float("-inf")))
            first.absorb(walk.taken, listing.lookback)
            return first if first.top.seen else None
        if entry.gap is not None:
            walk = self._walk(listing, run, after=entry.gap.after, floor=entry.gap)
            entry.absorb(walk.taken, listing.lookback)
            if not walk.done:
                if walk.resume:
                    entry.gap.after = walk.resume
                return entry  # this run's budget is spent: the top waits for the next run
            entry.gap = None
        below = entry.top
        walk = self._walk(listing, run, after=None, floor=below)
        if not walk.done and walk.resume is not None:
            # Stopped part-way down: what lies between here and the old top is read next time.
            entry.gap = _Floor(below.since, dict(below.seen), after=walk.resume)
        entry.absorb(walk.taken, listing.lookback)
        return entry

    def _walk(self, listing: _Listing, run: _Run, *, after: str | None,
              floor: _Floor | None) -> _Walk:
        """Page down from `after` (None: the top), newest first, until the items are ones
        seen before (`floor`; None: stop after one page), the listing ends, or the budget
        of items or requests is spent."""
        taken: list[dict[str, Any]] = []
        position = after
        while True:
            if run.full():  # no page is asked for that no item could be taken from
                return _Walk(taken, done=False, resume=position)
            try:
                items, page_after = self._page(listing, position, floor)
            except _OutOfRequests:
                return _Walk(taken, done=False, resume=position)
            for raw in items:
                name, created = _fullname(raw), _created(raw)
                if floor is not None and created is not None:
                    if floor.is_below(created):
                        return _Walk(taken, done=True)
                    if name in floor.seen:
                        position = name
                        continue
                if run.full():
                    return _Walk(taken, done=False, resume=position)
                taken.append(raw)
                run.take(raw)
                position = name or position
            if floor is None or page_after is None:
                return _Walk(taken, done=True)
            position = page_after

    def _page(self, listing: _Listing, after: str | None,
              floor: _Floor | None) -> tuple[list[dict[str, Any]], str | None]:
        self._spend()  # raises _OutOfRequests before asking, never part-way through a page
        params: dict[str, Any] = dict(listing.params)
        if listing.time_filtered:
            params["t"] = self._time_filter(floor)
        params["limit"] = PAGE_SIZE
        if after:
            params["after"] = after
        attempts = 0

        def request() -> Any:
            nonlocal attempts
            attempts += 1
            if attempts > 1:  # a retry is a request too
                self._requests.append(self.now())
            return self._request(listing, params)

        data = with_retries(request, attempts=ATTEMPTS, sleep=self.sleep)
        try:
            return _things(data)
        except ValueError as exc:
            raise SourceError(
                f"Reddit sent a page that could not be read: {listing.label} came back as "
                f"{exc}."
            ) from None

    def _request(self, listing: _Listing, params: dict[str, Any]) -> Any:
        # Through praw's client (its OAuth, rate-limit spacing and retries) but as JSON, not
        # praw's listing objects: exactly one request per page, counted against the minute;
        # items as Reddit sent them, the same as archives hold; and no lazy attribute that
        # would cost a request per item.
        try:
            return self._client().request(method="GET", path=listing.path, params=params)
        except (prawcore.PrawcoreException, praw.exceptions.PRAWException) as exc:
            raise _failure(exc, listing.label, self.now()) from exc

    def _spend(self) -> None:
        """Count one request against the per-minute limit, or stop the run when spent."""
        now = self.now()
        while self._requests and (now - self._requests[0]).total_seconds() >= 60:
            self._requests.popleft()
        if len(self._requests) >= self.settings.requests_per_minute:
            raise _OutOfRequests
        self._requests.append(now)

    def _time_filter(self, floor: _Floor | None) -> str:
        """The narrowest search window that still reaches back to what was seen."""
        if floor is None:
            return FIRST_SEARCH_WINDOW
        age = self.now().timestamp() - floor.since + SEARCH_LOOKBACK_SECONDS
        return next((name for name, seconds in TIME_FILTERS if age <= seconds), "all")

    def _rate(self) -> RateInfo:
        if self._reddit is None:
            return RateInfo()
        try:
            limits = self._reddit.auth.limits
        except Exception:  # noqa: BLE001 - rate information is a courtesy, never a failure
            return RateInfo()
        remaining = limits.get("remaining")
        reset_at = None
        if limits.get("reset_timestamp"):  # praw 7 kept it
            reset_at = dt.datetime.fromtimestamp(float(limits["reset_timestamp"]),
                                                 tz=dt.timezone.utc)
        elif self._watch is not None and self._watch.reset_seconds is not None:
            reset_at = self.now() + dt.timedelta(seconds=self._watch.reset_seconds)
        return RateInfo(int(remaining) if remaining is not None else None, reset_at)


def _reference(raw: Mapping[str, Any], key: str, who: str) -> str | None:
    """A comment's parent or post ("t3_abc"), or None where Reddit gave none."""
    value = raw.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise UnreadableItem(f"comment {who}: its {key} is {described(value)}, not a Reddit id")
    return value


def _thread_of(raw: Mapping[str, Any]) -> str | None:
    """The post a comment belongs to, from its permalink or inbox context."""
    for key in ("permalink", "context"):
        match = re.search(r"/comments/([a-z0-9]+)/", str(raw.get(key) or ""))
        if match:
            return f"t3_{match.group(1)}"
    return None


def _url(raw: Mapping[str, Any]) -> str | None:
    for key in ("permalink", "context"):
        path = raw.get(key)
        if isinstance(path, str) and path.startswith("/"):
            return SITE + path.split("?", 1)[0]
    subreddit, link, short = raw.get("subreddit"), raw.get("link_id"), raw.get("id")
    if not isinstance(short, str) or not short:
        return None
    if raw.get("kind") == "t1" and isinstance(subreddit, str) and subreddit and isinstance(
            link, str):
        return f"{SITE}/r/{subreddit}/comments/{link.removeprefix('t3_')}/_/{short}/"
    if raw.get("kind") == "t3":
        return f"{SITE}/comments/{short}/"
    return None


def _failure(exc: Exception, label: str, now: dt.datetime) -> Exception:
    """A praw/prawcore failure as the contract's exception, in plain words."""
    if isinstance(exc, prawcore.TooManyRequests):
        seconds = _reset_seconds(exc.response.headers)
        reset_at = now + dt.timedelta(seconds=seconds) if seconds is not None else None
        when = f"after {reset_at:%H:%M:%S} UTC" if reset_at else "in a few minutes"
        return RateLimited(f"Reddit said too many requests at {label}; it takes requests "
                           f"again {when}. The next run continues where this one stopped.",
                           reset_at)
    if isinstance(exc, prawcore.BadJSON):
        response = exc.response
        return SourceError(
            f"Reddit sent a page that could not be read: {label} came back as "
            f"{len(response.content)} bytes of {response.headers.get('content-type', 'text')} "
            "that are not JSON."
        )
    if isinstance(exc, prawcore.ServerError):
        return Transient(f"Reddit had a server error ({exc.response.status_code}) at {label}.")
    if isinstance(exc, prawcore.RequestException):
        original = exc.original_exception
        return Transient(f"Reddit could not be reached for {label} "
                         f"({type(original).__name__}: {original}).")
    if isinstance(exc, prawcore.OAuthException):
        return SourceError(
            f"Reddit refused the login ({exc.error}): check REDDIT_USERNAME and "
            "REDDIT_PASSWORD, and that REDDIT_CLIENT_ID is a script app of that account."
        )
    if isinstance(exc, prawcore.ResponseException):
        status = exc.response.status_code
        if "access_token" in str(exc.response.url):
            return SourceError(f"Reddit refused the app's credentials ({status}): check "
                               "REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET.")
        if status == 401:
            return SourceError(f"Reddit refused the credentials at {label} (401): check "
                               "REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET and REDDIT_USER_AGENT.")
        if status == 403:
            return SourceError(
                f"Reddit refused {label} (403): a private or banned subreddit, or an account "
                "without access. Check [sources.reddit] subreddits and the credentials."
            )
        if isinstance(exc, (prawcore.NotFound, prawcore.Redirect)):
            return SourceError(f"Reddit has no {label} ({status}): check the name in "
                               "[sources.reddit] subreddits.")
        if status >= 500:
            return Transient(f"Reddit had a server error ({status}) at {label}.")
        return SourceError(f"Reddit answered {status} at {label}.")
    return SourceError(f"Reddit refused {label}: {exc}")


# -- archives ----------------------------------------------------------------------------


def read_archive(path: str | os.PathLike) -> Iterator[ArchiveLine]:
    """Reddit JSON listings saved to a file, one listing per line (as the API sends them, the
    same raw items `fetch` produces). A file holding a single JSON document, a listing or a
    list of listings such as a saved comment page, is read whole as line 1. A line that
    cannot be read is reported with its number and never stops the rest."""
    path = Path(path)
    first = True
    with path.open("rb") as handle:
        # Bytes split on b"\n" only: a post may hold U+2028 and kin, which are no line ends.
        for number, line in enumerate(handle, start=1):
            raw = line.rstrip(b"\r\n")
            if not raw.strip():
                continue
            is_first, first = first, False
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                # (the bad bytes kept visible as \xNN, so what the line held is not lost)
                yield ArchiveLine(number, [], problem=f"line {number}: not UTF-8 text",
                                  text=raw.decode("utf-8", "backslashreplace"))
                continue
            try:
                value = json.loads(text)
            # (ValueError: also a number of more than 4300 digits; RecursionError: nested
            # too deeply)
            except (ValueError, RecursionError):
                whole = _whole_document(path) if is_first else None
                if whole is not None:
                    yield whole
                    return
                yield ArchiveLine(number, [], problem=f"line {number}: not JSON", text=text)
                continue
            yield _archive_line(number, value, text)


def _whole_document(path: Path) -> ArchiveLine | None:
    """The file read as one JSON document (pretty-printed), or None when it is not one."""
    try:
        value = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError):  # (UnicodeDecodeError and JSONDecodeError too)
        return None
    return _archive_line(1, value, "")


def _archive_line(number: int, value: Any, text: str) -> ArchiveLine:
    listings = value if isinstance(value, list) else [value]
    items: list[dict[str, Any]] = []
    for listing in listings:
        if isinstance(listing, dict) and str(listing.get("kind")) in {*ITEM_KINDS, *OTHER_KINDS}:
            listing = {"kind": "Listing", "data": {"children": [listing]}}  # a single item
        try:
            items += _things(listing)[0]
        except ValueError as exc:
            return ArchiveLine(number, [], problem=f"line {number}: not a Reddit listing ({exc})",
                               text=text)
    return ArchiveLine(number, items)


# -- replies -----------------------------------------------------------------------------


def reply_poster(environ: Mapping[str, str] | None = None) -> Poster:
    """A poster for clamor.actions.post_reply; a dry run needs no credentials."""
    return lazy_poster(lambda: connect(environ), post_reply)


def post_reply(reddit: praw.Reddit | None, fullname: str, text: str, *,
               dry_run: bool) -> dict[str, Any]:
    """Reply to a post (t3_...) or comment (t1_...) as the logged-in account.

    A dry run sends nothing and returns {"would_send": the request}; otherwise the reply is
    posted and {"platform_id": its fullname, "url": ...} returned. Posting needs
    REDDIT_USERNAME and REDDIT_PASSWORD (NotConfigured names the missing ones). A failed post
    is never retried here: Reddit may have taken it, so check the thread first.
    """
    kind, _, native = fullname.partition("_")
    if kind not in ITEM_KINDS or not native:
        raise ValueError(f"{fullname!r} is not a Reddit post (t3_...) or comment (t1_...) id")
    if not text.strip():
        raise ValueError("the reply is empty")
    request = {"method": "POST", "path": API_PATH["comment"], "thing_id": fullname,
               "text": text}
    if dry_run:
        return {"would_send": request}
    missing = [v for v in LOGIN if not os.environ.get(v)]
    if reddit is None:
        reddit = connect()
    if reddit.read_only:
        raise NotConfigured(_not_set(missing or list(LOGIN), "Clamor cannot post to Reddit"))
    thing = reddit.comment(native) if kind == "t1" else reddit.submission(native)
    try:
        created = thing.reply(text)
    except (prawcore.PrawcoreException, praw.exceptions.PRAWException) as exc:
        failure = _failure(exc, f"the reply to {fullname}", dt.datetime.now(dt.timezone.utc))
        if isinstance(failure, Transient):
            failure = SourceError(f"{failure} The reply may have been posted all the same: "
                                  "check the thread before posting it again.")
        raise failure from exc
    if created is None:
        raise SourceError(f"Reddit took the reply to {fullname} but did not return it: check "
                          "the thread before posting it again.")
    out: dict[str, Any] = {"platform_id": created.fullname}
    permalink = vars(created).get("permalink")
    if isinstance(permalink, str) and permalink.startswith("/"):
        out["url"] = SITE + permalink
    return out
