"""X (Twitter): recent posts that mention the company, and the company's own replies.

What it collects, on every poll, through the X API v2 (tweepy):
- a recent search (posts of the last 7 days) for the watchlist: every term and its other
  spellings OR-ed together, without the global exclusions and, unless
  `[sources.x] include_retweets = true`, without retweets; one search per language when
  `[sources.x] languages` is set; plus each of `[sources.x] queries`, in X's own syntax, as is;
- the posts of the company's own accounts (`[accounts] x`, searched as `from:handle`): they
  are the answers Clamor measures response times from;
- the mentions timeline of each of those accounts (@AerolumeHelp in any post).
Each search and timeline resumes after the newest post it saw last time, so nothing is
fetched twice, and a run that fails stores nothing and resumes from the same point.

Credentials: the environment variable X_BEARER_TOKEN only (the app's bearer token from the X
developer portal; recent search needs a paid access tier). It is never logged or stored.
Posting agents' replies to X is off by default (`[sources.x] reply_posting`); a bearer token
cannot post, so posting needs user-context keys with Read and Write permission in
X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET.

Limits:
- a search may be at most 512 characters long: a long watchlist becomes several searches;
- each search reads at most `[sources.x] max_pages` pages of 100 posts a run (default 5).
  When there are more new posts than that, the run keeps the newest and skips the rest:
  poll more often or raise max_pages;
- every post read counts against the X plan's monthly post cap: set
  `[sources.x] monthly_budget` and collection stops before it is spent;
- when X says "too many requests" (429), the run stops, stores nothing and names the time X
  gave; X's server errors and timeouts are tried 4 times in all, with a growing pause;
- recent search reaches back 7 days: after a longer pause, older posts are out of reach;
- X matches whole words: an Arabic or Persian name written with an attached و or ال is only
  found when that spelling is listed as an alias.

Post text is kept exactly as X sends it, which writes &, < and > as &amp;, &lt; and &gt;.
`read_archive` reads files written by twarc2 (one X API v2 response per line; also one post
per line, as `twarc2 flatten` and twarc 1 write them).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import requests
import tweepy

from clamor.config import Config, Term
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
    lazy_poster,
    parse_time,
    with_retries,
)
from collectors.json_lines import json_lines

NAME = "x"
VERSION = "1"
TOKEN_VARIABLE = "X_BEARER_TOKEN"
POSTING_VARIABLES = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
NOT_CONFIGURED = (f"{TOKEN_VARIABLE} is not set: the X collector is off. Set it in the "
                  "environment (or .env) and restart Clamor.")

MAX_QUERY_LENGTH = 512  # X's limit for recent search on the self-serve tiers
PAGE_SIZE = 100  # the most X returns per page
RECENT_SEARCH_DAYS = 7
EXPANSIONS = ["author_id", "referenced_tweets.id", "in_reply_to_user_id"]
TWEET_FIELDS = ["created_at", "author_id", "lang", "conversation_id", "referenced_tweets",
                "in_reply_to_user_id", "public_metrics"]
USER_FIELDS = ["username", "name", "public_metrics"]
TIMEOUT = (10.0, 30.0)  # seconds to connect, to read: requests waits forever otherwise

_TWITTER_EPOCH_MS = 1288834974657  # post ids are snowflakes: milliseconds since this, << 22
_LEGACY_TIME = "%a %b %d %H:%M:%S %z %Y"  # v1.1: "Wed Jun 19 15:42:06 +0000 2019"
_RENAMED_LANGUAGES = {"in": "id", "iw": "he", "ji": "yi"}  # X still uses some old codes

log = logging.getLogger(__name__)


class _HideBearer(logging.Filter):
    """tweepy logs each request's headers at DEBUG, bearer token included: blank it out."""

    pattern = re.compile(r"Bearer [^'\"\s,}]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "Bearer " in record.msg:
            record.msg = self.pattern.sub("Bearer [hidden]", record.msg)
        return True


_TWEEPY_LOG = logging.getLogger("tweepy.client")
if not any(isinstance(f, _HideBearer) for f in _TWEEPY_LOG.filters):
    _TWEEPY_LOG.addFilter(_HideBearer())


class _PatientSession(requests.Session):
    """A session whose requests give up after TIMEOUT instead of hanging a poll forever."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(*args, **kwargs)


def search_client(bearer_token: str) -> tweepy.Client:
    """The client the collector reads with: raw responses (for the rate-limit headers) and
    no waiting inside tweepy (a rate limit ends the run; the scheduler comes back later)."""
    client = tweepy.Client(bearer_token=bearer_token, return_type=requests.Response,
                           wait_on_rate_limit=False)
    client.session = _PatientSession()
    return client


# -- queries -------------------------------------------------------------------------------


def compile_queries(config: Config) -> list[str]:
    """The X searches for this configuration, each at most MAX_QUERY_LENGTH characters.

    Watchlist spellings are OR-ed (phrases quoted), global exclusions are negated, retweets
    left out unless configured; one set of searches per `[sources.x] languages` entry;
    `[sources.x] queries` as they are; the company's own accounts as `from:` searches.
    """
    settings = config.sources.x
    no_retweets = [] if settings.include_retweets else ["-is:retweet"]
    exclusions = _fitting_exclusions(config.watchlist.exclusions, no_retweets)
    spellings = _search_spellings(config.watchlist.terms)
    queries: list[str] = []
    for code in settings.languages or (None,):
        language = [f"lang:{code}"] if code else []
        queries += _or_groups(spellings, [*exclusions, *no_retweets, *language])
    queries += [q.strip() for q in settings.queries if q.strip()]
    handles = [f"from:{h.strip().lstrip('@')}" for h in config.accounts.x if h.strip("@ ")]
    queries += _or_groups(handles, no_retweets)
    return list(dict.fromkeys(queries))


def _quoted(phrase: str) -> str:
    """A spelling as X search reads it: one word as is, anything else as an exact phrase."""
    phrase = " ".join(phrase.replace('"', " ").split())
    word = phrase[1:] if phrase[:1] in ("#", "@") else phrase  # hashtags, handles: operators
    if word and all(unicodedata.category(ch)[0] in "LMN" or ch == "_" for ch in word):
        return phrase
    return f'"{phrase}"'


def _search_spellings(terms: tuple[Term, ...]) -> list[str]:
    """Every spelling once (X search ignores case); a phrase is left out when one of its
    words is itself a spelling ("Aerolume app" finds nothing "Aerolume" does not)."""
    unique: dict[str, str] = {}
    for term in terms:
        for spelling in term.spellings:
            spelling = " ".join(spelling.replace('"', " ").split())
            if spelling:
                unique.setdefault(spelling.casefold(), spelling)
    single_words = {key for key in unique if " " not in key}
    return [_quoted(spelling) for key, spelling in unique.items()
            if " " not in key or not single_words.intersection(key.split())]


def _fitting_exclusions(exclusions: tuple[str, ...], always: list[str]) -> list[str]:
    """Exclusions negated in the search while they leave at least half a query for terms; the
    rest are still applied when matching (clamor.pipeline), they just cost reads."""
    out: list[str] = []
    used = len(" ".join(always)) + len(" lang:xx")
    for phrase in exclusions:
        negated = f"-{_quoted(phrase)}"
        if used + 1 + len(negated) > MAX_QUERY_LENGTH // 2:
            break
        out.append(negated)
        used += 1 + len(negated)
    return out


def _or_groups(words: list[str], tail: list[str]) -> list[str]:
    """`(a OR b OR c) tail…` searches, as few as fit MAX_QUERY_LENGTH. X reads a space as AND
    before OR, hence the parentheses."""

    def query(group: list[str]) -> str:
        body = group[0] if len(group) == 1 else f"({' OR '.join(group)})"
        return " ".join([body, *tail])

    groups: list[list[str]] = []
    for word in words:
        if groups and len(query([*groups[-1], word])) <= MAX_QUERY_LENGTH:
            groups[-1].append(word)
        else:
            groups.append([word])
    out = [query(group) for group in groups]
    for text in out:
        if len(text) > MAX_QUERY_LENGTH:
            raise NotConfigured(
                f"the X search {text[:60]}… is {len(text)} characters long, more than X's "
                f"{MAX_QUERY_LENGTH}: shorten that watchlist spelling or [sources.x] queries."
            )
    return out


# -- reading X's answers -------------------------------------------------------------------


def _short(query: str, size: int = 48) -> str:
    return query if len(query) <= size else query[: size - 1] + "…"


def _status(response: Any) -> str:
    return f"{getattr(response, 'status_code', '?')} {getattr(response, 'reason', '') or ''}"


def _said(exc: tweepy.HTTPException) -> str:
    """What X said about an error, in its own words, when it said more than the status."""
    reason = getattr(exc.response, "reason", None)
    messages = [m for m in exc.api_messages
                if isinstance(m, str) and m.strip() and m.strip() != reason]
    return f" X said: {' '.join(messages)[:300]}" if messages else ""


def _reset_time(epoch: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _failure(exc: Exception, what: str, now: dt.datetime, *, credentials: str) -> Exception:
    """The collector's exception for a failed request, with a sentence a user can act on."""
    if isinstance(exc, tweepy.TooManyRequests):
        reset = _reset_time(exc.reset_time)
        if reset is None:
            return RateLimited("X asked us to wait (rate limit) without saying until when; "
                               "the next run tries again")
        when = f"{reset:%H:%M}" if reset.date() == now.date() else f"{reset:%Y-%m-%d %H:%M}"
        return RateLimited(f"X asked us to wait until {when} UTC (rate limit)", reset)
    if isinstance(exc, tweepy.TwitterServerError):
        return Transient(f"X had a server error ({_status(exc.response).strip()}) while "
                         f"{what}; it usually passes, the next run tries again.{_said(exc)}")
    if isinstance(exc, tweepy.Unauthorized):
        values = "the value of" if "," not in credentials else "the values of"
        return SourceError(f"X refused the credentials (401 Unauthorized) while {what}: "
                           f"{values} {credentials} is wrong or was revoked. Set valid ones "
                           f"in the environment (or .env) and restart Clamor.{_said(exc)}")
    if isinstance(exc, tweepy.Forbidden):
        return SourceError(f"X refused access (403 Forbidden) while {what}: the X app behind "
                           f"{credentials} lacks access to this (recent search needs a paid "
                           f"tier; posting needs Read and Write permission).{_said(exc)}")
    if isinstance(exc, tweepy.BadRequest):
        return SourceError(f"X refused the request (400 Bad Request) while {what}: check "
                           f"[sources.x] queries and the watchlist spellings.{_said(exc)}")
    if isinstance(exc, tweepy.NotFound):
        return SourceError(f"X found nothing (404 Not Found) while {what}.{_said(exc)}")
    if isinstance(exc, tweepy.HTTPException):
        return SourceError(f"X answered {_status(exc.response).strip()} while {what}."
                           f"{_said(exc)}")
    if isinstance(exc, (requests.Timeout, requests.ConnectionError,
                        requests.exceptions.ChunkedEncodingError)):
        kind = "timed out" if isinstance(exc, requests.Timeout) else "lost the connection"
        return Transient(f"X {kind} while {what}; the next run tries again.")
    return SourceError(f"the request to X failed while {what}: {type(exc).__name__}")


def _unreadable(what: str, why: str) -> SourceError:
    return SourceError(f"X sent a page that could not be read: {what} answered with {why}.")


def _json_body(response: requests.Response, what: str) -> dict[str, Any]:
    """A JSON object from a 2xx answer; anything else (HTML, a cut-off body) fails the run."""
    content = response.content or b""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise _unreadable(what, "a body that is not UTF-8 text") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        stripped = text.strip()
        if stripped.startswith("{") and not stripped.endswith("}"):
            why = f"JSON that stops short after {len(content)} bytes (cut off on the way?)"
        else:
            why = f"a body that is not JSON ({exc.msg}, character {exc.pos})"
        raise _unreadable(what, why) from None
    if not isinstance(body, dict):
        raise _unreadable(what, "JSON that is not an object")
    return body


def _errors_said(body: Mapping[str, Any]) -> str:
    details = [str(e.get("detail") or e.get("message") or e.get("title"))
               for e in body.get("errors") or [] if isinstance(e, dict)]
    if body.get("detail"):
        details.append(str(body["detail"]))
    return f" (X said: {' '.join(details)[:300]})" if details else ""


def flatten(body: Mapping[str, Any], query: str, *, what: str = "the page") -> list[dict]:
    """The posts of one X API v2 answer, each a self-contained dict: the post itself, plus
    `_author` (its author from `includes.users`) and `_query` (which search found it)."""
    data = body.get("data")
    if data is None:
        return []
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(t, dict) and t.get("id") for t in data):
        raise _unreadable(what, "`data` that is not a list of posts with ids")
    includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
    users = {str(u["id"]): u for u in includes.get("users") or []
             if isinstance(u, dict) and u.get("id")}
    items = []
    for tweet in data:
        item = {**tweet, "_query": query}
        author = users.get(str(tweet.get("author_id")))
        if author is not None:
            item["_author"] = author
        items.append(item)
    return items


_Page = tuple[list[dict], int | None, str | None]


def _page(body: Mapping[str, Any], query: str, what: str) -> _Page:
    """(posts, newest post id, next page token) of one search or timeline page."""
    meta = body.get("meta")
    if not isinstance(meta, dict):
        raise _unreadable(what, f"no `meta`{_errors_said(body)}")
    count = meta.get("result_count")
    if body.get("data") is None and count not in (0, None):
        raise _unreadable(what, f"no `data` although it counts {count} posts"
                                f"{_errors_said(body)}")
    if body.get("data") is None and count is None:
        raise _unreadable(what, f"neither `data` nor a result count{_errors_said(body)}")
    items = flatten(body, query, what=what)
    ids = [int(i["id"]) for i in items if str(i["id"]).isdigit()]
    if str(meta.get("newest_id", "")).isdigit():
        ids.append(int(meta["newest_id"]))
    token = meta.get("next_token")
    return items, max(ids, default=None), token if isinstance(token, str) and token else None


def posted_at(post_id: str | int) -> dt.datetime | None:
    """When a post was made, read from its id (X ids are snowflakes holding the time)."""
    try:
        ms = (int(post_id) >> 22) + _TWITTER_EPOCH_MS
    except (TypeError, ValueError):
        return None
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)


# -- the collector -------------------------------------------------------------------------


class _Run:
    """What one fetch has gathered so far."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self.items: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.rate = RateInfo()
        self.searches = 0
        self.timelines = 0
        self.skipped: list[str] = []  # searches that stopped at max_pages with more to read

    @property
    def full(self) -> bool:
        return self.limit is not None and len(self.items) >= self.limit

    def page_size(self, smallest: int) -> int:
        if self.limit is None:
            return PAGE_SIZE
        return max(smallest, min(PAGE_SIZE, self.limit - len(self.items)))

    def add(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            # A post found by two searches (or a search and a timeline) is kept once.
            if str(item["id"]) not in self.seen:
                self.seen.add(str(item["id"]))
                self.items.append(item)

    def note_rate(self, response: requests.Response) -> None:
        try:
            remaining = int(response.headers["x-rate-limit-remaining"])
        except (KeyError, TypeError, ValueError):
            return
        if self.rate.remaining is None or remaining < self.rate.remaining:
            self.rate = RateInfo(remaining, _reset_time(response.headers.get("x-rate-limit-reset")))

    def describe(self) -> str:
        text = (f"{self.searches} search{'' if self.searches == 1 else 'es'}, "
                f"{self.timelines} mention timeline{'' if self.timelines == 1 else 's'}")
        if self.skipped:
            text += f"; {len(self.skipped)} stopped at max_pages, older posts skipped"
        if self.full:
            text += f"; stopped at the budget of {self.limit} posts"
        return text


class XCollector:
    """Searches and mention timelines on X; see the module docstring."""

    name = NAME
    version = VERSION

    def __init__(
        self,
        config: Config,
        *,
        client: tweepy.Client | None = None,
        bearer_token: str | None = None,
        sleep: Callable[[float], None] | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ):
        self.config = config
        self.sleep = sleep  # None: time.sleep, looked up when a retry waits
        self.now = now
        if client is None:
            token = bearer_token or os.environ.get(TOKEN_VARIABLE, "").strip()
            # The token lives only inside the client: never on self, never in a message.
            client = search_client(token) if token else None
        elif client.return_type is not requests.Response:
            raise ValueError("XCollector needs a tweepy.Client made with "
                             "return_type=requests.Response (see collectors.x.search_client)")
        self.client = client
        self._user_ids: dict[str, str] = {}

    def check(self) -> None:
        if self.client is None:
            raise NotConfigured(NOT_CONFIGURED)
        compile_queries(self.config)

    def fetch(self, cursor: str | None, limit: int | None = None) -> FetchResult:
        self.check()
        since = _read_cursor(cursor)
        run = _Run(limit)
        plan: list[tuple[str, Callable[[str | None, _Run], int | None]]] = []
        for query in compile_queries(self.config):
            plan.append((f"search:{query}", self._search_reader(query)))
        for handle in dict.fromkeys(h.strip().lstrip("@") for h in self.config.accounts.x):
            if handle:
                plan.append((f"mentions:{handle}", self._mentions_reader(handle)))
        next_cursor: dict[str, str] = {}
        for key, read in plan:
            newest = None if run.full else read(since.get(key), run)
            if newest is not None:
                next_cursor[key] = str(max(newest, int(since.get(key, 0))))
            elif key in since:  # nothing new (or not asked, the budget being spent): keep
                next_cursor[key] = since[key]
        log.info("x: %s, %d posts", run.describe(), len(run.items))
        return FetchResult(run.items, json.dumps(next_cursor, ensure_ascii=False), run.rate,
                           query=run.describe())

    # Each reader returns the newest post id it saw (None: none), adding posts to the run.

    def _search_reader(self, query: str) -> Callable[[str | None, _Run], int | None]:
        def read(since_id: str | None, run: _Run) -> int | None:
            run.searches += 1
            since_id = self._within_search_window(since_id)

            def request(token: str | None) -> Any:
                params: dict[str, Any] = {"since_id": since_id, "next_token": token}
                return self.client.search_recent_tweets(
                    query, **{k: v for k, v in params.items() if v},
                    max_results=run.page_size(10), expansions=EXPANSIONS,
                    tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS,
                )

            return self._pages(f"search:{query}", f'searching "{_short(query)}"', request, run)

        return read

    def _mentions_reader(self, handle: str) -> Callable[[str | None, _Run], int | None]:
        def read(since_id: str | None, run: _Run) -> int | None:
            run.timelines += 1
            user_id = self._user_id(handle, run)

            def request(token: str | None) -> Any:
                params: dict[str, Any] = {"since_id": since_id, "pagination_token": token}
                return self.client.get_users_mentions(
                    user_id, **{k: v for k, v in params.items() if v},
                    max_results=run.page_size(5), expansions=EXPANSIONS,
                    tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS,
                )

            return self._pages(f"mentions:{handle}", f"reading the mentions of @{handle}",
                               request, run)

        return read

    def _pages(self, key: str, what: str, request: Callable[[str | None], Any],
               run: _Run) -> int | None:
        newest: int | None = None
        token: str | None = None
        for _ in range(self.config.sources.x.max_pages):
            body = self._get(lambda token=token: request(token), what, run)
            items, page_newest, token = _page(body, key, what)
            run.add(items)
            if page_newest is not None:
                newest = page_newest if newest is None else max(newest, page_newest)
            if token is None or run.full:
                break
        else:
            if token is not None:
                run.skipped.append(key)
                log.warning("x: %s stopped at max_pages (%d); older new posts are skipped",
                            what, self.config.sources.x.max_pages)
        return newest

    def _get(self, call: Callable[[], Any], what: str, run: _Run) -> dict[str, Any]:
        """One request, retried while it fails in a way that may pass; its JSON body."""

        def attempt() -> dict[str, Any]:
            try:
                response = call()
            except (tweepy.TweepyException, requests.RequestException) as exc:
                raise _failure(exc, what, self.now(), credentials=TOKEN_VARIABLE) from exc
            run.note_rate(response)
            return _json_body(response, what)

        return with_retries(attempt, sleep=self.sleep)

    def _user_id(self, handle: str, run: _Run) -> str:
        if handle not in self._user_ids:
            what = f"looking up the account @{handle}"
            body = self._get(lambda: self.client.get_user(username=handle), what, run)
            data = body.get("data")
            if not isinstance(data, dict) or not str(data.get("id", "")).isdigit():
                raise SourceError(f"X has no account @{handle}{_errors_said(body)}: check "
                                  "[accounts] x in the config.")
            self._user_ids[handle] = str(data["id"])
        return self._user_ids[handle]

    def _within_search_window(self, since_id: str | None) -> str | None:
        """X refuses a since_id older than its 7-day search window: after a long pause,
        search the whole window instead."""
        when = posted_at(since_id) if since_id else None
        oldest = self.now() - dt.timedelta(days=RECENT_SEARCH_DAYS, minutes=-30)
        return since_id if when is not None and when > oldest else None

    @staticmethod
    def map_item(raw: dict[str, Any]) -> Mention:
        if "id_str" in raw or isinstance(raw.get("user"), dict):
            return _map_legacy(raw)
        if raw.get("id") in (None, ""):
            raise UnreadableItem("the X post has no id")
        native_id = str(raw["id"])
        text = raw.get("text")
        if not isinstance(text, str):
            raise UnreadableItem(f"X post {native_id} has no text")
        if not raw.get("created_at"):
            raise UnreadableItem(f"X post {native_id} has no created_at (it was fetched "
                                 "without tweet.fields=created_at)")
        author = raw.get("_author") if isinstance(raw.get("_author"), dict) else {}
        username = author.get("username") if isinstance(author.get("username"), str) else None
        metrics = author.get("public_metrics") if isinstance(author.get("public_metrics"),
                                                             dict) else {}
        references = raw.get("referenced_tweets") or []
        if not isinstance(references, list):
            raise UnreadableItem(f"X post {native_id}: referenced_tweets is not a list")
        replied_to = [str(ref["id"]) for ref in references
                      if isinstance(ref, dict) and ref.get("type") == "replied_to"
                      and ref.get("id")]
        return Mention(
            source=NAME,
            native_id=native_id,
            text=unescape(text),
            created_at=parse_time(raw["created_at"], item_id=native_id),
            url=_post_url(username, native_id),
            author=f"@{username}" if username else None,
            author_followers=_count(metrics.get("followers_count")),
            lang=_language(raw.get("lang")),
            in_reply_to=replied_to[0] if replied_to else None,
            conversation_id=str(raw["conversation_id"]) if raw.get("conversation_id") else None,
            raw=raw,
        )


def unescape(text: str) -> str:
    """The text as the customer wrote it. X escapes exactly three characters in post text
    (& < > as &amp; &lt; &gt;); `raw` keeps what X sent. &amp; goes last, so a customer who
    typed "&lt;" gets "&lt;" back."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _read_cursor(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        state = None
    if not isinstance(state, dict):
        # Starting over re-reads at most a week; stored mentions are not stored twice.
        log.warning("x: the saved cursor is unreadable; searching the last %d days again",
                    RECENT_SEARCH_DAYS)
        return {}
    return {str(k): str(v) for k, v in state.items() if str(v).isdigit()}


def _post_url(username: str | None, native_id: str) -> str:
    if username:
        return f"https://x.com/{username}/status/{native_id}"
    return f"https://x.com/i/web/status/{native_id}"


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _language(code: Any) -> str | None:
    """X's language code, or None where X says it could not tell: "und", "zxx" (no text) and
    its own q-codes (qme: only media, qht: only hashtags, qam: only mentions, ...)."""
    if not isinstance(code, str) or not code:
        return None
    code = code.strip().lower()
    if code in ("und", "zxx") or re.fullmatch(r"q[a-t][a-z]", code):
        return None
    return _RENAMED_LANGUAGES.get(code, code)


def _map_legacy(raw: dict[str, Any]) -> Mention:
    """A v1.1 post (twarc 1 archives, old exports): same Mention, older field names."""
    native_id = str(raw.get("id_str") or raw.get("id") or "")
    if not native_id:
        raise UnreadableItem("the X post has no id")
    extended = raw.get("extended_tweet") if isinstance(raw.get("extended_tweet"), dict) else {}
    text = raw.get("full_text") or extended.get("full_text") or raw.get("text")
    if not isinstance(text, str):
        raise UnreadableItem(f"X post {native_id} has no text")
    try:
        created_at = dt.datetime.strptime(str(raw["created_at"]), _LEGACY_TIME)
    except KeyError:
        raise UnreadableItem(f"X post {native_id} has no created_at") from None
    except ValueError:
        created_at = parse_time(raw["created_at"], item_id=native_id)
    user = raw.get("user") if isinstance(raw.get("user"), dict) else {}
    username = user.get("screen_name") if isinstance(user.get("screen_name"), str) else None
    return Mention(
        source=NAME,
        native_id=native_id,
        text=unescape(text),
        created_at=created_at,
        url=_post_url(username, native_id),
        author=f"@{username}" if username else None,
        author_followers=_count(user.get("followers_count")),
        lang=_language(raw.get("lang")),
        in_reply_to=raw.get("in_reply_to_status_id_str") or None,
        raw=raw,
    )


# -- archives ------------------------------------------------------------------------------


def _is_post(obj: Mapping[str, Any]) -> bool:
    return ("id" in obj and "text" in obj) or "id_str" in obj


def read_archive(path: str | os.PathLike) -> Iterator[ArchiveLine]:
    """The posts of a twarc2 file, line by line: each line one X API v2 answer (`data`,
    `includes`, `meta`), or one post (`twarc2 flatten`, twarc 1). A line that cannot be read
    is reported with its number and kept as text; it never stops the lines after it."""
    query = f"archive:{Path(path).name}"
    for line in json_lines(path):
        number, text, obj = line.number, line.text, line.value
        if line.problem:  # not UTF-8, or not JSON
            yield ArchiveLine(number, [], line.problem, text=text)
        elif not isinstance(obj, dict):
            yield ArchiveLine(number, [], f"line {number}: not a JSON object", text=text)
        elif "data" in obj:
            try:
                yield ArchiveLine(number, flatten(obj, query, what=f"line {number}"))
            except SourceError as exc:
                yield ArchiveLine(number, [], f"line {number}: {exc}", text=text)
        elif _is_post(obj):
            item = {**obj, "_query": query}
            if isinstance(obj.get("author"), dict):  # twarc2 flatten puts the author here
                item["_author"] = obj["author"]
            yield ArchiveLine(number, [item])
        elif isinstance(obj.get("meta"), dict) and obj["meta"].get("result_count") == 0:
            yield ArchiveLine(number, [])  # a page with no posts: nothing to read
        else:
            yield ArchiveLine(number, [], f"line {number}: has no data{_errors_said(obj)}",
                              text=text)


# -- replies (opt-in) ----------------------------------------------------------------------


def posting_client(environ: Mapping[str, str] | None = None) -> tweepy.Client:
    """A client that can post as the company's account (OAuth 1.0a user context).

    A bearer token cannot post; the four user-context keys come from the environment."""
    env = os.environ if environ is None else environ
    missing = [name for name in POSTING_VARIABLES if not env.get(name, "").strip()]
    if missing:
        verb, them = ("is", "it") if len(missing) == 1 else ("are", "them")
        raise NotConfigured(
            f"{', '.join(missing)} {verb} not set: posting replies to X is off (a bearer token "
            f"cannot post). Create user-context keys with Read and Write permission in the X "
            f"developer portal, set {them} in the environment (or .env) and restart Clamor."
        )
    client = tweepy.Client(
        consumer_key=env["X_API_KEY"].strip(), consumer_secret=env["X_API_SECRET"].strip(),
        access_token=env["X_ACCESS_TOKEN"].strip(),
        access_token_secret=env["X_ACCESS_TOKEN_SECRET"].strip(),
        return_type=requests.Response, wait_on_rate_limit=False,
    )
    client.session = _PatientSession()
    return client


def post_reply(client: tweepy.Client | None, in_reply_to_id: str, text: str, *,
               dry_run: bool) -> dict[str, Any]:
    """Post `text` as a reply to post `in_reply_to_id`; with `dry_run`, only say what would be
    sent. Never retried: when an answer is lost, a retry could post the reply twice."""
    request = {"text": text, "in_reply_to_tweet_id": str(in_reply_to_id)}
    if dry_run:
        return {"would_send": request}
    if client is None:
        client = posting_client()
    what = f"posting a reply to {in_reply_to_id}"
    try:
        response = client.create_tweet(**request)
    except (tweepy.TweepyException, requests.RequestException) as exc:
        raise _failure(exc, what, dt.datetime.now(dt.timezone.utc),
                       credentials=", ".join(POSTING_VARIABLES)) from exc
    if isinstance(response, requests.Response):
        body: Any = _json_body(response, what)
    elif isinstance(response, dict):
        body = response
    else:  # tweepy's default Response tuple
        body = {"data": getattr(response, "data", None)}
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not data.get("id"):
        raise _unreadable(what, "no id for the new post")
    return {"platform_id": str(data["id"])}


def reply_poster(environ: Mapping[str, str] | None = None) -> Poster:
    """A poster for clamor.actions.post_reply; a dry run needs no keys."""
    return lazy_poster(lambda: posting_client(environ), post_reply)
