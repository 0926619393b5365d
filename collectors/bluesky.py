"""Bluesky: public posts that mention the company, and the posts addressed to its account.

What it collects, every run, signed in as the company's account (atproto):
- **search** (`[sources.bluesky] search = true`): app.bsky.feed.searchPosts, newest first,
  for each watchlist spelling (Bluesky's search has no OR), per language when
  `languages` is set, plus each of `queries` as written;
- **notifications** (`notifications = true`): the account's mentions, replies and quotes,
  kept whole;
- **the account's own posts and replies**: the answers response times are measured from.

Credentials, from the environment only: BLUESKY_HANDLE (e.g. aerolume.bsky.social) and
BLUESKY_APP_PASSWORD, an app password made in Settings → Privacy and security → App
passwords (never the account's main password). Posting agents' replies is off unless
`reply_posting = true`; it posts as that account.

Limits:
- search reaches what Bluesky's search index holds, usually within seconds of posting; a
  post edited or deleted later is kept as it was read;
- each search or timeline reads at most `max_pages` pages of 100 posts a run; when more new
  posts than that arrived since the last run, the older ones are skipped (the run says so):
  poll more often or raise max_pages;
- the first run of a search or timeline takes its newest page only;
- Bluesky's rate limits (3,000 requests per 5 minutes for reading, 30 sign-ins per 5 minutes)
  come back in ratelimit-* headers; a 429 ends the run and names the reset time. The session
  is kept and refreshed, so the collector signs in once per process;
- replies are posted without rich-text facets: an address in a reply is plain text.

Facets are read: a link Bluesky shortened in the text ("example.com/lo…") is written out in
full; mentions and hashtags stay as written, with their targets in the raw item.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import httpx
from atproto import Client, models
from atproto_client import exceptions as at_errors
from atproto_client.request import Request

from clamor.config import BlueskySource, Config
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
    parse_time,
    with_retries,
)
from collectors.json_lines import json_lines

log = logging.getLogger(__name__)

NAME = "bluesky"
VERSION = "1"
HANDLE_VARIABLE = "BLUESKY_HANDLE"
PASSWORD_VARIABLE = "BLUESKY_APP_PASSWORD"
CREDENTIALS = (HANDLE_VARIABLE, PASSWORD_VARIABLE)
PAGE_SIZE = 100  # the most searchPosts and listNotifications return per page
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
POST_COLLECTION = "app.bsky.feed.post"
REASONS = ("mention", "reply", "quote")  # notifications that hold a post addressed to us
# Bluesky's index can show a post a little after newer ones: each search or timeline looks
# this far below the newest post it saw (posts already taken there are remembered by uri).
LOOKBACK = dt.timedelta(minutes=10)
MAX_REMEMBERED = 1000
MAX_GRAPHEMES = 300  # app.bsky.feed.post text limit


def _not_set(missing: list[str], consequence: str) -> str:
    verb, pronoun = ("is", "it") if len(missing) == 1 else ("are", "them")
    return (f"{', '.join(missing)} {verb} not set: {consequence}. Set {pronoun} in the "
            "environment (or .env) and restart Clamor.")


# -- facets --------------------------------------------------------------------------------


def expand_links(text: str, facets: Any) -> str:
    """The post text with each link facet's shortened text ("example.com/lo…") written as the
    full address it points to; a link whose text is not a form of its address keeps the text
    with the address after it. Facets index UTF-8 bytes; a facet whose range is out of the
    text, overlapping or not on character boundaries is ignored, never trusted."""
    if not isinstance(facets, list) or not facets:
        return text
    data = text.encode("utf-8")
    spans: list[tuple[int, int, str]] = []
    for facet in facets:
        if not isinstance(facet, dict) or not isinstance(facet.get("index"), dict):
            continue
        start, end = facet["index"].get("byteStart"), facet["index"].get("byteEnd")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            continue
        if not 0 <= start < end <= len(data):
            continue
        uri = next((f.get("uri") for f in facet.get("features") or []
                    if isinstance(f, dict) and f.get("$type") == "app.bsky.richtext.facet#link"
                    and isinstance(f.get("uri"), str)), None)
        if uri and uri.startswith(("https://", "http://")):
            spans.append((start, end, uri))
    out, position = [], 0
    for start, end, uri in sorted(spans):
        if start < position:
            continue  # overlapping
        try:
            shown = data[start:end].decode("utf-8")
            before = data[position:start].decode("utf-8")
        except UnicodeDecodeError:
            continue
        bare = shown.rstrip(".…").strip()
        plain = uri.split("://", 1)[1]
        same = bare and (uri.startswith(bare) or plain.startswith(bare.removeprefix("www.")) or
                         plain.removeprefix("www.").startswith(bare))
        out += [before, uri if same else f"{shown} ({uri})"]
        position = end
    out.append(data[position:].decode("utf-8", "replace"))
    return "".join(out)


# -- map_item ------------------------------------------------------------------------------


def _rkey(uri: str) -> tuple[str, str, str] | None:
    """(repo, collection, record key) of an at:// URI."""
    if not uri.startswith("at://"):
        return None
    parts = uri[5:].split("/")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 and all(parts) else None


def post_url(uri: str, handle: str | None) -> str | None:
    """The post's address in the Bluesky app: the author's handle (their DID when the handle
    is not valid) and the record key."""
    parts = _rkey(uri)
    if parts is None or parts[1] != POST_COLLECTION:
        return None
    who = handle if handle and handle != "handle.invalid" else parts[0]
    return f"https://bsky.app/profile/{who}/post/{parts[2]}"


def _ref(value: Any) -> str | None:
    uri = value.get("uri") if isinstance(value, dict) else None
    return uri if isinstance(uri, str) and uri.startswith("at://") else None


def _time(value: Any) -> dt.datetime | None:
    try:
        return parse_time(value) if value else None
    except UnreadableItem:
        return None


def map_post(raw: dict[str, Any]) -> Mention:
    """One Bluesky post as a Mention: a post view (search, author feed), a feed item holding
    one, or a notification (mention, reply, quote). Pure."""
    view: Any = raw["post"] if isinstance(raw.get("post"), dict) and "record" not in raw \
        else raw
    if not isinstance(view, dict):
        raise UnreadableItem("a Bluesky item that is not a post")
    uri = view.get("uri")
    if not isinstance(uri, str) or _rkey(uri) is None:
        raise UnreadableItem("the Bluesky post has no at:// uri")
    reason = view.get("reason")
    if isinstance(reason, str) and reason not in REASONS:
        raise UnreadableItem(f"Bluesky notification {uri}: a {reason} is not a post")
    record = view.get("record")
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise UnreadableItem(f"Bluesky post {uri} has no text")
    kind = record.get("$type")
    if kind is not None and kind != POST_COLLECTION:
        raise UnreadableItem(f"Bluesky item {uri} is a {str(kind)[:40]}, not a post")
    created = _time(record.get("createdAt")) or _time(view.get("indexedAt"))
    if created is None:
        raise UnreadableItem(f"Bluesky post {uri}: createdAt {record.get('createdAt')!r} is "
                             "not a time with a time zone")
    author = view.get("author") if isinstance(view.get("author"), dict) else {}
    handle = author.get("handle") if isinstance(author.get("handle"), str) else None
    did = author.get("did") if isinstance(author.get("did"), str) else None
    name = handle if handle and handle != "handle.invalid" else did
    followers = author.get("followersCount")
    if isinstance(followers, bool) or not isinstance(followers, int) or followers < 0:
        followers = None
    langs = record.get("langs")
    lang = langs[0].split("-")[0].lower() if isinstance(langs, list) and langs and \
        isinstance(langs[0], str) and langs[0] else None
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
    parent, root = _ref(reply.get("parent")), _ref(reply.get("root"))
    return Mention(
        source=NAME,
        native_id=uri,
        text=expand_links(record["text"], record.get("facets")),
        created_at=created,
        url=post_url(uri, handle),
        author=f"@{name}" if name else None,
        author_followers=followers,
        lang=lang,
        in_reply_to=parent,
        conversation_id=root or parent or uri,  # a thread is named by its first post
        raw=raw,
    )


# -- the client ----------------------------------------------------------------------------


def _reset(headers: Mapping[str, Any]) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(headers["ratelimit-reset"]), tz=dt.timezone.utc)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None


def _said(exc: at_errors.RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    error = getattr(content, "error", None)
    message = getattr(content, "message", None)
    words = ": ".join(str(w) for w in (error, message) if w)
    return f" Bluesky said: {words[:300]}" if words else ""


def _failure(exc: Exception, what: str) -> Exception:
    """An atproto failure as the contract's exception, in words a user can act on."""
    if isinstance(exc, at_errors.RateLimitExceededError):
        reset = exc.reset_at
        if reset is None:
            return RateLimited(f"Bluesky asked us to wait (rate limit) while {what}, without "
                               "saying until when; the next run tries again")
        return RateLimited(f"Bluesky asked us to wait until {reset:%H:%M} UTC (rate limit) "
                           f"while {what}", reset)
    if isinstance(exc, at_errors.InvokeTimeoutError):
        return Transient(f"Bluesky timed out while {what}; the next run tries again.")
    if isinstance(exc, at_errors.NetworkError):
        if exc.response is None:
            return Transient(f"Bluesky could not be reached while {what}; the next run tries "
                             "again.")
        return Transient(f"Bluesky had a server error ({exc.response.status_code}) while "
                         f"{what}; it usually passes, the next run tries again.{_said(exc)}")
    if isinstance(exc, at_errors.UnauthorizedError):
        status = exc.response.status_code if exc.response is not None else "401"
        return SourceError(f"Bluesky refused the sign-in ({status}) while {what}: check "
                           f"{HANDLE_VARIABLE} and {PASSWORD_VARIABLE} (an app password from "
                           "Settings → Privacy and security → App passwords), then restart "
                           f"Clamor.{_said(exc)}")
    if isinstance(exc, at_errors.BadRequestError):
        return SourceError(f"Bluesky refused the request (400) while {what}: check "
                           f"[sources.bluesky] queries and the watchlist spellings.{_said(exc)}")
    if isinstance(exc, at_errors.RequestErrorBase) and exc.response is not None:
        status = exc.response.status_code
        if status >= 500:
            return Transient(f"Bluesky had a server error ({status}) while {what}; it usually "
                             f"passes, the next run tries again.{_said(exc)}")
        return SourceError(f"Bluesky answered {status} while {what}.{_said(exc)}")
    if isinstance(exc, ValueError):  # the JSON parser's complaint about a 2xx body
        return SourceError(f"Bluesky sent a page that could not be read: {what} answered with "
                           "JSON that stops short or is broken (cut off on the way?).")
    return SourceError(f"the request to Bluesky failed while {what}: {type(exc).__name__}")


def _unreadable(what: str, why: str) -> SourceError:
    return SourceError(f"Bluesky sent a page that could not be read: {what} answered with "
                       f"{why}.")


def connect(settings: BlueskySource, environ: Mapping[str, str] | None = None,
            *, sleep: Callable[[float], None] | None = None) -> Client:
    """A client signed in as BLUESKY_HANDLE with BLUESKY_APP_PASSWORD. Raises NotConfigured
    naming what is missing, SourceError when Bluesky refuses the sign-in."""
    env = os.environ if environ is None else environ
    missing = [v for v in CREDENTIALS if not env.get(v, "").strip()]
    if missing:
        raise NotConfigured(_not_set(missing, "the Bluesky collector is off"))
    client = Client(base_url=settings.service, request=Request(timeout=TIMEOUT))

    def login() -> None:
        try:
            # The password lives only inside the client's request: never on self, never
            # in a message.
            client.login(env[HANDLE_VARIABLE].strip().lstrip("@"),
                         env[PASSWORD_VARIABLE].strip())
        except (at_errors.AtProtocolError, ValueError) as exc:
            raise _failure(exc, "signing in") from exc

    with_retries(login, sleep=sleep)
    if client.me is None or not client.me.did:
        raise SourceError("Bluesky signed us in but did not say which account this is: check "
                          f"[sources.bluesky] service ({settings.service}).")
    return client


# -- the collector -------------------------------------------------------------------------


@dataclass
class _Seen:
    """How far a search or timeline has been read: items indexed before `since` were seen,
    and so were the uris in `seen` (uri → time) at or after it."""

    since: dt.datetime | None = None
    seen: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since.isoformat() if self.since else None, "seen": self.seen}

    @classmethod
    def from_json(cls, value: Any) -> _Seen:
        since = _time(value.get("since"))
        return cls(since, {str(k): str(v) for k, v in dict(value.get("seen") or {}).items()})

    def absorb(self, taken: dict[str, dt.datetime]) -> _Seen:
        times = {uri: when for uri, when in ((u, _time(t)) for u, t in self.seen.items())
                 if when is not None}
        times.update(taken)
        if not times:
            return self
        since = max(times.values()) - LOOKBACK
        if self.since is not None:
            since = max(since, self.since)
        kept = sorted(((t, u) for u, t in times.items() if t >= since), reverse=True)
        if len(kept) > MAX_REMEMBERED:
            kept = kept[:MAX_REMEMBERED]
            since = kept[-1][0]
        return _Seen(since, {u: t.isoformat() for t, u in kept})


def _read_cursor(cursor: str | None) -> dict[str, _Seen]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
        return {str(k): _Seen.from_json(v) for k, v in state.items()}
    except (ValueError, TypeError, AttributeError):
        log.warning("bluesky: the saved cursor is unreadable; each search starts again from "
                    "its newest page")
        return {}


@dataclass
class _Run:
    limit: int | None
    items: list[dict[str, Any]] = field(default_factory=list)
    uris: set[str] = field(default_factory=set)
    keep: set[str] = field(default_factory=set)
    rate: RateInfo = RateInfo()
    skipped: list[str] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.limit is not None and len(self.items) >= self.limit

    def page_size(self) -> int:
        if self.limit is None:
            return PAGE_SIZE
        return max(1, min(PAGE_SIZE, self.limit - len(self.items)))

    def add(self, item: dict[str, Any], *, keep: bool) -> None:
        uri = item["uri"]
        if uri not in self.uris:
            self.uris.add(uri)
            self.items.append(item)
        if keep:
            self.keep.add(uri)

    def note_rate(self, headers: Mapping[str, Any]) -> None:
        try:
            remaining = int(headers["ratelimit-remaining"])
        except (KeyError, TypeError, ValueError):
            return
        if self.rate.remaining is None or remaining < self.rate.remaining:
            self.rate = RateInfo(remaining, _reset(headers))


@dataclass(frozen=True)
class _Feed:
    key: str  # its name in the cursor
    label: str  # in messages and provenance
    nsid: str
    params: Callable[[str | None, int, _Seen], Any]  # (page cursor, size, seen) -> Params
    items: str  # the list in the answer: posts | notifications | feed
    keep: bool = False


class BlueskyCollector:
    """Search, notifications and the account's own posts on Bluesky; see the module
    docstring."""

    name = NAME
    version = VERSION

    def __init__(
        self,
        config: Config,
        *,
        client: Client | None = None,
        environ: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ):
        self.config = config
        self.environ = os.environ if environ is None else environ
        self.sleep = sleep
        self.now = now
        self._client = client

    @property
    def settings(self) -> BlueskySource:
        return self.config.sources.bluesky

    def check(self) -> None:
        if self._client is None:
            missing = [v for v in CREDENTIALS if not self.environ.get(v, "").strip()]
            if missing:
                raise NotConfigured(_not_set(missing, "the Bluesky collector is off"))
        if not (self.settings.search or self.settings.queries or self.settings.notifications):
            raise NotConfigured("nothing to read from Bluesky: set [sources.bluesky] search = "
                                "true, list queries, or set notifications = true.")

    def fetch(self, cursor: str | None, limit: int | None = None) -> FetchResult:
        self.check()
        client = self._connected()
        state = _read_cursor(cursor)
        run = _Run(limit)
        feeds = self._feeds(client)
        next_state = {key: seen.to_json() for key, seen in state.items()}
        for feed in feeds:
            if run.full:
                break
            seen = self._read(client, feed, state.get(feed.key), run)
            if seen is not None:
                next_state[feed.key] = seen.to_json()
        text = f"{len(feeds)} searches and timelines"
        if run.skipped:
            text += f"; {len(run.skipped)} stopped at max_pages, older posts skipped"
        if run.full:
            text += f"; stopped at the budget of {run.limit} posts"
        log.info("bluesky: %s, %d posts", text, len(run.items))
        return FetchResult(run.items, json.dumps(next_state, ensure_ascii=False, sort_keys=True),
                           run.rate, query=text, keep=frozenset(run.keep))

    @staticmethod
    def map_item(raw: dict[str, Any]) -> Mention:
        return map_post(raw)

    # -- what to read --------------------------------------------------------------------

    def _connected(self) -> Client:
        if self._client is None:
            self._client = connect(self.settings, self.environ, sleep=self.sleep)
        return self._client

    def searches(self) -> list[tuple[str, str | None]]:
        """(query, language) pairs: each watchlist spelling (phrases quoted) per configured
        language, then `queries` as written."""
        spellings: dict[str, str] = {}
        if self.settings.search:
            for term in self.config.watchlist.terms:
                for spelling in term.spellings:
                    spelling = " ".join(spelling.replace('"', " ").split())
                    if spelling:
                        spellings.setdefault(spelling.casefold(), spelling if " " not in
                                             spelling else f'"{spelling}"')
        out = [(q, lang) for lang in (self.settings.languages or (None,))
               for q in spellings.values()]
        out += [(q.strip(), None) for q in self.settings.queries if q.strip()]
        return list(dict.fromkeys(out))

    def _feeds(self, client: Client) -> list[_Feed]:
        """Most direct first: people addressing the company wait least."""
        me = client.me
        out = []
        if self.settings.notifications:
            out.append(_Feed(
                "notifications", f"notifications of @{me.handle}",
                "app.bsky.notification.listNotifications",
                lambda page, size, seen: models.AppBskyNotificationListNotifications.Params(
                    cursor=page, limit=size, reasons=list(REASONS)),
                "notifications", keep=True))
        out.append(_Feed(
            "own", f"posts of @{me.handle}", "app.bsky.feed.getAuthorFeed",
            lambda page, size, seen: models.AppBskyFeedGetAuthorFeed.Params(
                actor=me.did, filter="posts_with_replies", cursor=page, limit=size),
            "feed", keep=True))
        for query, lang in self.searches():
            label = f"search for {query}" + (f" in {lang}" if lang else "")
            out.append(_Feed(
                f"search:{query}" + (f":{lang}" if lang else ""), label,
                "app.bsky.feed.searchPosts",
                lambda page, size, seen, q=query, lang=lang: models.AppBskyFeedSearchPosts.Params(
                    q=q, sort="latest", lang=lang, cursor=page, limit=size,
                    since=seen.since.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if seen.since else None),
                "posts"))
        return out

    # -- reading -------------------------------------------------------------------------

    def _read(self, client: Client, feed: _Feed, seen: _Seen | None, run: _Run) -> _Seen | None:
        """Read newest first down to what `seen` says was read (None: the newest page only);
        the new state, or None when nothing was ever read."""
        below = seen or _Seen()
        taken: dict[str, dt.datetime] = {}
        page: str | None = None
        for number in range(self.settings.max_pages):
            body = self._get(client, feed, page, run.page_size(), below, run)
            done = False
            for item in self._items(body, feed):
                when = _time(item.get("indexedAt"))
                if seen is not None and when is not None and below.since is not None \
                        and when < below.since:
                    done = True  # below what was read before
                    break
                if item["uri"] in below.seen:
                    continue
                if run.full:
                    done = True
                    break
                run.add(item, keep=feed.keep)
                if when is not None:
                    taken[item["uri"]] = when
            page = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            if done or seen is None or not page or run.full:
                break
            if number == self.settings.max_pages - 1:
                run.skipped.append(feed.label)
                log.warning("bluesky: %s stopped at max_pages (%d); older new posts are "
                            "skipped", feed.label, self.settings.max_pages)
        if seen is None and not taken:
            return None
        return below.absorb(taken)

    def _items(self, body: dict[str, Any], feed: _Feed) -> Iterator[dict[str, Any]]:
        entries = body.get(feed.items)
        what = f"reading the {feed.label}"
        if not isinstance(entries, list):
            raise _unreadable(what, f"no `{feed.items}` list")
        for entry in entries:
            if feed.items == "feed":
                if not isinstance(entry, dict) or not isinstance(entry.get("post"), dict):
                    raise _unreadable(what, "a feed item without a post")
                reason = entry.get("reason") if isinstance(entry.get("reason"), dict) else {}
                if reason.get("$type") == "app.bsky.feed.defs#reasonRepost":
                    continue  # the account reposting someone is not its answer
                entry = entry["post"]
            if not isinstance(entry, dict) or not isinstance(entry.get("uri"), str):
                raise _unreadable(what, "an item without a uri")
            if feed.items == "notifications" and entry.get("reason") not in REASONS:
                continue
            yield {**entry, "_query": feed.label}

    def _get(self, client: Client, feed: _Feed, page: str | None, size: int, seen: _Seen,
             run: _Run) -> dict[str, Any]:
        what = f"reading the {feed.label}"

        def attempt() -> dict[str, Any]:
            try:
                response = client.invoke_query(feed.nsid, params=feed.params(page, size, seen))
            except (at_errors.AtProtocolError, ValueError) as exc:
                response_headers = getattr(getattr(exc, "response", None), "headers", None)
                if response_headers:
                    run.note_rate(response_headers)
                raise _failure(exc, what) from exc
            run.note_rate(response.headers)
            if not isinstance(response.content, dict):
                raise _unreadable(what, "a body that is not JSON")
            return response.content

        return with_retries(attempt, sleep=self.sleep)


# -- archives ------------------------------------------------------------------------------


def read_archive(path: str | os.PathLike) -> Iterator[ArchiveLine]:
    """Bluesky API responses saved one per line: searchPosts pages ({"posts": …}),
    listNotifications pages ({"notifications": …}), getAuthorFeed or timeline pages
    ({"feed": …}), getPosts answers, or single post views. A line that cannot be read is
    reported with its number and never stops the rest."""
    source = f"archive:{os.path.basename(os.fspath(path))}"
    for line in json_lines(path):
        if line.problem:
            yield ArchiveLine(line.number, [], line.problem, text=line.text)
            continue
        value = line.value
        items: list[Any] | None = None
        if isinstance(value, dict):
            for key in ("posts", "notifications", "feed"):
                if isinstance(value.get(key), list):
                    items = value[key]
                    break
            else:
                if isinstance(value.get("uri"), str) and "record" in value:
                    items = [value]
        if items is None:
            said = value.get("message") or value.get("error") if isinstance(value, dict) \
                else None
            why = f" (Bluesky said: {str(said)[:200]})" if said else ""
            yield ArchiveLine(line.number, [], f"line {line.number}: not a Bluesky page of "
                                               f"posts or notifications{why}", text=line.text)
            continue
        run = _Run(None)
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("post"), dict) and \
                    "record" not in item:
                reason = item.get("reason") if isinstance(item.get("reason"), dict) else {}
                if reason.get("$type") == "app.bsky.feed.defs#reasonRepost":
                    continue
                item = item["post"]
            if isinstance(item, dict) and item.get("reason", "mention") not in REASONS:
                continue  # a like, a follow: no post addressed to anyone
            if isinstance(item, dict) and isinstance(item.get("uri"), str):
                run.add({**item, "_query": source}, keep=False)
        yield ArchiveLine(line.number, run.items)


# -- replies (opt-in) ----------------------------------------------------------------------


def _length(text: str) -> int:
    """About the graphemes Bluesky counts: code points less combining marks and joiners."""
    return sum(1 for ch in text if unicodedata.category(ch) not in ("Mn", "Me", "Cf")
               and not "\ufe00" <= ch <= "\ufe0f")


def post_reply(client: Client | None, uri: str, text: str, *, dry_run: bool) -> dict[str, Any]:
    """Reply to the Bluesky post `uri` as the signed-in account, in the thread it belongs to
    (its root), tagged with the post's languages. Never retried: Bluesky may have taken it."""
    if _rkey(uri) is None:
        raise ValueError(f"{uri!r} is not a Bluesky post (at://…)")
    if not text.strip():
        raise ValueError("the reply is empty")
    if _length(text) > MAX_GRAPHEMES:
        raise ValueError(f"a Bluesky post holds at most {MAX_GRAPHEMES} characters; this reply "
                         f"has {_length(text)}: shorten it")
    request = {"text": text, "reply_to": uri,
               "root": "the first post of its thread (looked up when sending)"}
    if dry_run:
        return {"would_send": request}
    if client is None:
        raise NotConfigured(_not_set(list(CREDENTIALS), "posting replies to Bluesky is off"))
    what = f"posting a reply to {uri}"
    try:
        answer = client.invoke_query("app.bsky.feed.getPosts",
                                     params=models.AppBskyFeedGetPosts.Params(uris=[uri]))
        posts = answer.content.get("posts") if isinstance(answer.content, dict) else None
        if not posts or not isinstance(posts[0], dict) or not posts[0].get("cid"):
            raise SourceError(f"Bluesky no longer has the post {uri} (deleted?): nothing to "
                              "reply to.")
        post = posts[0]
        record = post.get("record") if isinstance(post.get("record"), dict) else {}
        reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
        parent = models.ComAtprotoRepoStrongRef.Main(uri=post["uri"], cid=post["cid"])
        root_ref = reply.get("root") if isinstance(reply.get("root"), dict) else None
        root = models.ComAtprotoRepoStrongRef.Main(uri=root_ref["uri"], cid=root_ref["cid"]) \
            if root_ref and root_ref.get("uri") and root_ref.get("cid") else parent
        langs = [x for x in record.get("langs") or [] if isinstance(x, str)][:3] or None
        created = client.send_post(text, profile_identify=client.me.did if client.me else None,
                                   reply_to=models.AppBskyFeedPost.ReplyRef(parent=parent,
                                                                            root=root),
                                   langs=langs)
    except (at_errors.AtProtocolError, ValueError) as exc:
        failure = _failure(exc, what)
        if isinstance(failure, Transient):
            failure = SourceError(f"{failure} The reply may have been posted all the same: "
                                  "check the thread before posting it again.")
        raise failure from exc
    out: dict[str, Any] = {"platform_id": created.uri}
    url = post_url(created.uri, client.me.handle if client.me else None)
    if url:
        out["url"] = url
    return out


def reply_poster(config: Config, environ: Mapping[str, str] | None = None) -> Poster:
    """A poster for clamor.actions.post_reply that signs in at its first real post; a dry run
    needs no credentials."""
    client: Client | None = None

    def post(native_id: str, text: str, dry_run: bool) -> dict:
        nonlocal client
        if dry_run:
            return post_reply(None, native_id, text, dry_run=True)
        if client is None:
            client = connect(config.sources.bluesky, environ)
        return post_reply(client, native_id, text, dry_run=False)

    return post
