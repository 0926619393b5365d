"""Mastodon: posts that mention the company on the instances its accounts live on.

What it collects, every run, on each instance in `[sources.mastodon] instances`, as the
company's account there (the owner of that instance's access token):
- **mentions**: the account's notifications of type mention (`mentions = true`), kept whole;
- **the account's own posts**: they are the answers Clamor measures response times from;
- **hashtag timelines**: #Aerolume and every other one-word watchlist spelling
  (`watchlist_hashtags = true`), plus `hashtags`;
- **search** (`search = true`): full-text search for each watchlist spelling. Many instances
  have no full-text search, and where they have it, it finds only posts of people who opted
  in to search (Mastodon 4.2+) and posts the account wrote, favourited, bookmarked or was
  mentioned in; older instances only the last four. It is off by default for that reason.

Credentials: an access token per instance, from the environment: MASTODON_ACCESS_TOKEN for
the first instance listed, MASTODON_ACCESS_TOKEN_<HOST> for the others
(MASTODON_ACCESS_TOKEN_FOSSTODON_ORG). Make it in Preferences → Development → New application
with the scopes read:accounts, read:notifications, read:statuses and read:search, plus
write:statuses for posting replies, which is off unless `reply_posting = true`.

Limits:
- Mastodon has no global view: each instance knows its own users' posts and those its users
  follow or are sent. A hashtag timeline holds the posts that reached that instance;
- an instance allows 300 requests per account per 5 minutes by default (its X-RateLimit-*
  headers say how many are left); a run stops when fewer than `rate_reserve` are left and the
  next run goes on from where it stopped. Each timeline reads at most `max_pages` pages of
  40 posts a run; the rest waits for the next run, never skipped;
- a timeline read for the first time takes its newest page only;
- ids are the instance's own: the same post read on two instances is two mentions.

The post text (`content`) is HTML: it becomes plain text here (line breaks kept, links as
their text, no markup ever kept). A content warning comes first as "CW: …"; visibility
(public, unlisted, private, direct) and counts stay in the raw item. A boost is its original
post, kept once, with who boosted it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import urlsplit

import requests
from mastodon import Mastodon
from mastodon import errors as mastodon_errors

from clamor.config import Config, MastodonSource
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

NAME = "mastodon"
VERSION = "1"
PAGE_SIZE = 40  # the most Mastodon returns per page of statuses
TIMEOUT = 30.0  # seconds; requests waits forever otherwise
# Mastodon.py asks the instance its version before some calls unless told one; every
# instance running today is past what those checks guard (search min_id came with 2.8).
ASSUMED_VERSION = "4.0.0"


# -- HTML → plain text ---------------------------------------------------------------------


_BLOCKS = {"p", "div", "blockquote", "pre", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5",
           "h6", "tr", "table", "section", "article", "header", "footer", "dd", "dt"}
_PARAGRAPHS = {"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
               "table"}
# Elements whose content is not text a reader sees.
_HIDDEN = {"script", "style", "template", "noscript", "iframe", "object", "svg", "math",
           "head", "title", "textarea", "select", "noembed", "noframes"}
_VOID = {"br", "img", "hr", "input", "meta", "link", "area", "base", "col", "embed", "source",
         "track", "wbr", "param"}


class _PlainText(HTMLParser):
    """Collects the text a reader of the HTML sees; never a tag or an attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[str] = []  # open hidden elements
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if self.hidden:
            if tag in _HIDDEN and tag not in _VOID:
                self.hidden.append(tag)
            return
        if tag in _HIDDEN:
            self.hidden.append(tag)
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n" if tag in _PARAGRAPHS else "\n")
            self.pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        if not self.hidden and tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.hidden:
            if tag in self.hidden:
                while self.hidden and self.hidden.pop() != tag:
                    pass
            return
        if tag in _BLOCKS:
            self.parts.append("\n\n" if tag in _PARAGRAPHS else "\n")
            if tag == "pre" and self.pre:
                self.pre -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data if self.pre else re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """The text of a post's HTML as its reader sees it: <br> a line break, a paragraph a blank
    line, a link its text (Mastodon writes the whole address inside the link, parts of it in
    hidden spans), entities decoded; scripts, styles and every tag and attribute dropped."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# -- what to read --------------------------------------------------------------------------


def host_of(instance_url: str) -> str:
    return urlsplit(instance_url).netloc.lower()


def _is_hashtag(word: str) -> bool:
    return bool(word) and all(unicodedata.category(ch)[0] in "LMN" or ch in "_\u200c"
                              for ch in word)


def hashtags(config: Config) -> list[str]:
    """The hashtags to read: each one-word watchlist spelling (letters, marks, digits and _,
    as Mastodon allows in a hashtag), and `[sources.mastodon] hashtags`; each once,
    ignoring case as Mastodon does."""
    settings = config.sources.mastodon
    words = [tag.strip().lstrip("#") for tag in settings.hashtags]
    if settings.watchlist_hashtags:
        words += [s.strip() for term in config.watchlist.terms for s in term.spellings]
    unique: dict[str, str] = {}
    for word in words:
        if _is_hashtag(word):
            unique.setdefault(word.casefold(), word)
    return list(unique.values())


def search_terms(config: Config) -> list[str]:
    """One search per watchlist spelling (Mastodon's search has no OR); phrases quoted."""
    unique: dict[str, str] = {}
    for term in config.watchlist.terms:
        for spelling in term.spellings:
            spelling = " ".join(spelling.replace('"', " ").split())
            if spelling:
                unique.setdefault(spelling.casefold(),
                                  spelling if " " not in spelling else f'"{spelling}"')
    return list(unique.values())


# -- the client ----------------------------------------------------------------------------


class _KeepingSession(requests.Session):
    """A session that never waits forever and keeps the last answer: its body is the raw
    page (Mastodon.py hands back typed objects), its headers the rate limit."""

    last: requests.Response | None = None

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", TIMEOUT)
        self.last = None
        self.last = super().request(*args, **kwargs)
        return self.last


def client(instance_url: str, token: str) -> Mastodon:
    """A Mastodon.py client for one instance that raises on a rate limit instead of sleeping
    (the scheduler comes back later) and never asks the instance for its version."""
    return Mastodon(access_token=token, api_base_url=instance_url, ratelimit_method="throw",
                    request_timeout=TIMEOUT, mastodon_version=ASSUMED_VERSION,
                    version_check_mode="none", session=_KeepingSession(),
                    user_agent=f"Clamor/{VERSION} (social listening desk)")


def _token(settings: MastodonSource, instance: str, environ: Mapping[str, str]) -> str | None:
    value = environ.get(settings.token_variables()[instance], "").strip()
    return value or None


def _not_set(missing: list[str], consequence: str) -> str:
    verb, pronoun = ("is", "it") if len(missing) == 1 else ("are", "them")
    return (f"{', '.join(missing)} {verb} not set: {consequence}. Set {pronoun} in the "
            "environment (or .env) and restart Clamor.")


# -- reading the instance's answers --------------------------------------------------------


def _reset_at(headers: Mapping[str, str]) -> dt.datetime | None:
    value = headers.get("X-RateLimit-Reset")
    if not value:
        return None
    try:
        return parse_time(value)
    except UnreadableItem:
        return None


def _remaining(headers: Mapping[str, str]) -> int | None:
    try:
        return int(headers["X-RateLimit-Remaining"])
    except (KeyError, TypeError, ValueError):
        return None


def _said(response: requests.Response | None, host: str) -> str:
    """What the instance said about an error, in its own words ({"error": …})."""
    if response is None or response.ok:
        return ""
    try:
        body = json.loads(response.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return f" {host} said: {error[:300]}" if isinstance(error, str) and error.strip() else ""


def _failure(exc: Exception, what: str, host: str, variable: str,
             response: requests.Response | None) -> Exception:
    """A Mastodon.py failure as the contract's exception, in words a user can act on."""
    if isinstance(exc, mastodon_errors.MastodonRatelimitError):
        reset = _reset_at(response.headers) if response is not None else None
        if reset is None:
            return RateLimited(f"{host} asked us to wait (rate limit) while {what}, without "
                               "saying until when; the next run tries again")
        return RateLimited(f"{host} asked us to wait until {reset:%H:%M} UTC (rate limit) "
                           f"while {what}", reset)
    if isinstance(exc, mastodon_errors.MastodonNetworkError):
        kind = "timed out" if "timed out" in str(exc).lower() else "could not be reached"
        return Transient(f"{host} {kind} while {what}; the next run tries again.")
    args = exc.args if isinstance(exc, mastodon_errors.MastodonAPIError) else ()
    status = args[1] if len(args) > 1 and isinstance(args[1], int) else None
    said = _said(response, host) or (
        f" {host} said: {str(args[3])[:300]}" if len(args) > 3 and args[3] else "")
    if isinstance(exc, mastodon_errors.MastodonServerError):
        return Transient(f"{host} had a server error ({status}) while {what}; it usually "
                         f"passes, the next run tries again.{said}")
    if isinstance(exc, mastodon_errors.MastodonUnauthorizedError):
        return SourceError(f"{host} refused the access token (401) while {what}: the value of "
                           f"{variable} is wrong or was revoked. Make a new one and set it in "
                           f"the environment (or .env), then restart Clamor.{said}")
    if status == 403:
        return SourceError(f"{host} refused {what} (403): the access token in {variable} "
                           "lacks the scope for it (read:notifications, read:statuses, "
                           f"read:search; write:statuses to post).{said}")
    if isinstance(exc, mastodon_errors.MastodonNotFoundError):
        return SourceError(f"{host} found nothing (404) while {what}: check "
                           f"[sources.mastodon] instances.{said}")
    if status is not None:
        return SourceError(f"{host} answered {status} while {what}.{said}")
    if response is not None and response.ok:  # a 2xx answer Mastodon.py could not parse
        try:
            _body(response, host, what)
        except SourceError as unreadable:
            return unreadable
    return SourceError(f"{host} sent a page that could not be read while {what} "
                       f"({type(exc).__name__}).")


def _unreadable(host: str, what: str, why: str) -> SourceError:
    return SourceError(f"{host} sent a page that could not be read: {what} answered with "
                       f"{why}.")


def _body(response: requests.Response | None, host: str, what: str) -> Any:
    if response is None:
        raise _unreadable(host, what, "nothing")
    content = response.content or b""
    try:
        return json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise _unreadable(host, what, "a body that is not UTF-8 text") from None
    except ValueError:
        stripped = content.strip()
        if stripped[:1] in (b"[", b"{") and stripped[-1:] not in (b"]", b"}"):
            raise _unreadable(host, what, f"JSON that stops short after {len(content)} "
                                          "bytes (cut off on the way?)") from None
        raise _unreadable(host, what, "a body that is not JSON") from None


def _entities(body: Any, host: str, what: str) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not all(isinstance(e, dict) and e.get("id") not in
                                             (None, "") for e in body):
        raise _unreadable(host, what, "something other than a list of entities with ids")
    return body


def _id_key(native: Any) -> tuple[int, str]:
    """Mastodon ids are strings that sort by length, then character by character."""
    text = str(native)
    return len(text), text


def _newest(ids: list[Any]) -> str | None:
    return str(max(ids, key=_id_key)) if ids else None


# -- the collector -------------------------------------------------------------------------


@dataclass
class _Run:
    limit: int | None
    items: list[dict[str, Any]] = field(default_factory=list)
    index: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    keep: set[str] = field(default_factory=set)
    rate: RateInfo = RateInfo()
    requests: int = 0
    waiting: list[str] = field(default_factory=list)  # timelines left for the next run

    @property
    def full(self) -> bool:
        return self.limit is not None and len(self.items) >= self.limit

    def page_size(self) -> int:
        if self.limit is None:
            return PAGE_SIZE
        return max(1, min(PAGE_SIZE, self.limit - len(self.items)))

    def add(self, status: dict[str, Any], host: str, asked: str, *, keep: bool,
            notification: str | None = None) -> None:
        booster = None
        if isinstance(status.get("reblog"), dict):
            account = status.get("account") if isinstance(status.get("account"), dict) else {}
            booster = account.get("acct")
            status = status["reblog"]
        key = (host, str(status.get("id")))
        item = self.index.get(key)
        if item is None:
            item = {**status, "_instance": host, "_query": asked}
            if notification:
                item["_notification_id"] = notification
            self.index[key] = item
            self.items.append(item)
        if booster:  # a boost counts for its original post, which is kept once
            item["_boosted_by"] = [*item.get("_boosted_by", []), booster]
        if keep:
            self.keep.add(f"{host}:{status.get('id')}")

    def note_rate(self, response: requests.Response | None) -> None:
        if response is None:
            return
        remaining = _remaining(response.headers)
        if remaining is None:
            return
        self.rate = RateInfo(remaining, _reset_at(response.headers) or self.rate.reset_at)


@dataclass(frozen=True)
class _Timeline:
    key: str  # its name in the cursor
    label: str  # in messages
    url: str  # the instance
    host: str
    read: Callable[..., Any]  # (min_id, limit) -> Mastodon.py call
    kind: str  # notifications | statuses | search
    keep: bool = False  # listened to whole: every item stored, term or not


class MastodonCollector:
    """Mentions, own posts, hashtag timelines and search on Mastodon; see the module
    docstring."""

    name = NAME
    version = VERSION

    def __init__(
        self,
        config: Config,
        *,
        clients: Mapping[str, Mastodon] | None = None,
        environ: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ):
        self.config = config
        self.environ = os.environ if environ is None else environ
        self.sleep = sleep
        self.now = now
        self._clients: dict[str, Mastodon] = dict(clients or {})
        self._accounts: dict[str, dict[str, Any]] = {}  # instance → the token's account

    @property
    def settings(self) -> MastodonSource:
        return self.config.sources.mastodon

    def check(self) -> None:
        settings = self.settings
        if not settings.instances:
            raise NotConfigured("no Mastodon instance is listed: add the address of the "
                                "instance the company's account is on to [sources.mastodon] "
                                'instances, e.g. ["https://mastodon.social"].')
        missing = [variable for url, variable in settings.token_variables().items()
                   if url not in self._clients and not _token(settings, url, self.environ)]
        if missing:
            raise NotConfigured(_not_set(missing, "the Mastodon collector is off"))

    def fetch(self, cursor: str | None, limit: int | None = None) -> FetchResult:
        self.check()
        state = _read_cursor(cursor)
        run = _Run(limit)
        next_state = dict(state)
        timelines: list[_Timeline] = []
        for url in self.settings.instances:
            timelines += self._timelines(url, run)
        for timeline in timelines:
            if run.full or self._out_of_requests(run):
                run.waiting.append(timeline.label)
                continue
            newest = self._read(timeline, state.get(timeline.key), run)
            if newest is not None:
                next_state[timeline.key] = newest
        log.info("mastodon: %s", self._describe(timelines, run))
        return FetchResult(run.items, json.dumps(next_state, ensure_ascii=False, sort_keys=True),
                           run.rate, query=self._describe(timelines, run),
                           keep=frozenset(run.keep))

    @staticmethod
    def map_item(raw: dict[str, Any]) -> Mention:
        return map_status(raw)

    # -- what to read --------------------------------------------------------------------

    def _client(self, url: str) -> Mastodon:
        if url not in self._clients:
            token = _token(self.settings, url, self.environ)
            if token is None:
                self.check()
            # The token lives only inside the client: never on self, never in a message.
            self._clients[url] = client(url, token or "")
        return self._clients[url]

    def _variable(self, url: str) -> str:
        return self.settings.token_variables().get(url, "MASTODON_ACCESS_TOKEN")

    def _account(self, url: str, run: _Run) -> dict[str, Any]:
        if url not in self._accounts:
            api = self._client(url)
            body = self._call(url, "looking up the token's account",
                              api.account_verify_credentials, run)
            if not isinstance(body, dict) or not body.get("id"):
                raise _unreadable(host_of(url), "looking up the token's account",
                                  "no account id")
            self._accounts[url] = body
        return self._accounts[url]

    def _timelines(self, url: str, run: _Run) -> list[_Timeline]:
        """Most direct first: when the rate limit runs low, people addressing the company
        wait least."""
        settings, host, api = self.settings, host_of(url), self._client(url)
        account = self._account(url, run)
        acct = f"@{account.get('acct')}@{host}"
        out = []
        if settings.mentions:
            out.append(_Timeline(
                f"mentions:{host}", f"mentions of {acct}", url, host,
                lambda min_id, limit: api.notifications(types=["mention"], min_id=min_id,
                                                        limit=limit),
                "notifications", keep=True))
        out.append(_Timeline(
            f"own:{host}", f"posts of {acct}", url, host,
            lambda min_id, limit: api.account_statuses(account["id"], min_id=min_id,
                                                       limit=limit),
            "statuses", keep=True))
        for tag in hashtags(self.config):
            out.append(_Timeline(
                f"tag:{host}:{tag.casefold()}", f"#{tag} on {host}", url, host,
                lambda min_id, limit, tag=tag: api.timeline_hashtag(tag, min_id=min_id,
                                                                    limit=limit),
                "statuses"))
        if settings.search:
            for query in search_terms(self.config):
                out.append(_Timeline(
                    f"search:{host}:{query.casefold()}", f"search for {query} on {host}", url, host,
                    lambda min_id, limit, query=query: api.search_v2(
                        query, resolve=False, result_type="statuses", min_id=min_id,
                        limit=limit),
                    "search"))
        return out

    # -- reading a timeline --------------------------------------------------------------

    def _read(self, timeline: _Timeline, since: str | None, run: _Run) -> str | None:
        """Read what is newer than `since` (None: the newest page only), oldest page last;
        return the newest id read, or None for nothing read."""
        newest = since
        for _ in range(self.settings.max_pages):
            size = run.page_size()
            page = self._page(timeline, newest, size, run)
            ids = [entity["id"] for entity in page]
            for entity in page:
                self._take(timeline, entity, run)
            if ids:
                newest = _newest([*ids, *([newest] if newest else [])])
            if since is None or len(page) < size:
                return newest  # a first read takes one page; a short page is the last
            if run.full or self._out_of_requests(run):
                break
        run.waiting.append(timeline.label)  # more to read: from `newest` next run
        return newest

    def _take(self, timeline: _Timeline, entity: dict[str, Any], run: _Run) -> None:
        if timeline.kind == "notifications":
            status = entity.get("status")
            if entity.get("type") != "mention" or not isinstance(status, dict):
                return
            run.add(status, timeline.host, timeline.label, keep=True,
                    notification=str(entity["id"]))
        else:
            # The account's own boosts of others' posts are not its answers: kept only by
            # the terms they name.
            own_boost = timeline.kind == "statuses" and timeline.keep and isinstance(
                entity.get("reblog"), dict)
            run.add(entity, timeline.host, timeline.label, keep=timeline.keep and not own_boost)

    def _page(self, timeline: _Timeline, min_id: str | None, size: int,
              run: _Run) -> list[dict[str, Any]]:
        what = f"reading the {timeline.label}"
        body = self._call(timeline.url, what, lambda: timeline.read(min_id, size), run)
        if timeline.kind == "search":
            if not isinstance(body, dict) or not isinstance(body.get("statuses"), list):
                raise _unreadable(timeline.host, what, "no `statuses` list")
            body = body["statuses"]
        return _entities(body, timeline.host, what)

    def _call(self, url: str, what: str, call: Callable[[], Any], run: _Run) -> Any:
        """One request through Mastodon.py, retried while it fails in a way that may pass;
        the JSON body exactly as the instance sent it."""
        host = host_of(url)
        session = self._client(url).session

        def attempt() -> Any:
            run.requests += 1
            try:
                call()
            except (mastodon_errors.MastodonError, requests.RequestException) as exc:
                last = getattr(session, "last", None)
                run.note_rate(last)
                raise _failure(exc, what, host, self._variable(url), last) from exc
            last = getattr(session, "last", None)
            run.note_rate(last)
            return _body(last, host, what)

        return with_retries(attempt, sleep=self.sleep)

    def _out_of_requests(self, run: _Run) -> bool:
        remaining = run.rate.remaining
        return remaining is not None and remaining <= self.settings.rate_reserve

    def _describe(self, timelines: list[_Timeline], run: _Run) -> str:
        text = f"{len(timelines)} timeline{'' if len(timelines) == 1 else 's'}"
        if run.waiting:
            text += f"; {len(run.waiting)} continue next run"
        if run.full:
            text += f"; stopped at the budget of {run.limit} posts"
        return text


def _read_cursor(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        state = None
    if not isinstance(state, dict):
        log.warning("mastodon: the saved cursor is unreadable; each timeline starts again "
                    "from its newest page")
        return {}
    return {str(k): str(v) for k, v in state.items() if isinstance(v, (str, int))}


# -- map_item ------------------------------------------------------------------------------


def _text(status: Mapping[str, Any], native_id: str) -> str:
    content = status.get("content")
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise UnreadableItem(f"Mastodon post {native_id}: content is not text")
    text = html_to_text(content)
    spoiler = status.get("spoiler_text")
    if isinstance(spoiler, str) and spoiler.strip():
        text = f"CW: {spoiler.strip()}\n\n{text}".strip()
    media = status.get("media_attachments")
    for attachment in media if isinstance(media, list) else []:
        if isinstance(attachment, dict) and isinstance(attachment.get("description"), str) \
                and attachment["description"].strip():
            kind = attachment.get("type") if isinstance(attachment.get("type"), str) else "media"
            text += f"\n[{kind}: {attachment['description'].strip()}]"
    return text.strip()


def _web_url(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    return None


def map_status(raw: dict[str, Any]) -> Mention:
    """One Mastodon status (or a notification holding one, or a boost of one) as a Mention:
    pure. `_instance`, which `fetch` and `read_archive` add, says whose ids these are."""
    host = raw.get("_instance")
    status: Any = raw
    if "type" in raw and "status" in raw:  # a notification
        status = raw["status"]
    if isinstance(status, dict) and isinstance(status.get("reblog"), dict):
        status = status["reblog"]
    if not isinstance(status, dict):
        raise UnreadableItem("a Mastodon notification without a post")
    if status.get("id") in (None, ""):
        raise UnreadableItem("the Mastodon post has no id")
    if not isinstance(host, str) or not host:
        raise UnreadableItem(f"Mastodon post {status['id']}: which instance it was read on is "
                             "not known (`_instance`), so its id means nothing")
    native_id = f"{host}:{status['id']}"
    if not status.get("created_at"):
        raise UnreadableItem(f"Mastodon post {native_id} has no created_at")
    account = status.get("account") if isinstance(status.get("account"), dict) else {}
    acct = account.get("acct") if isinstance(account.get("acct"), str) else None
    author = None
    if acct:
        # A local account's acct has no domain: its profile address's host is its domain.
        domain = urlsplit(account["url"]).netloc.lower() if _web_url(account.get("url")) \
            else host
        author = f"@{acct}" if "@" in acct else f"@{acct}@{domain or host}"
    followers = account.get("followers_count")
    if isinstance(followers, bool) or not isinstance(followers, int) or followers < 0:
        followers = None
    language = status.get("language")
    parent = status.get("in_reply_to_id")
    return Mention(
        source=NAME,
        native_id=native_id,
        text=_text(status, native_id),
        created_at=parse_time(status["created_at"], item_id=native_id),
        url=_web_url(status.get("url")) or _web_url(status.get("uri")),
        author=author,
        author_followers=followers,
        lang=language.strip().lower() or None if isinstance(language, str) else None,
        in_reply_to=f"{host}:{parent}" if parent not in (None, "") else None,
        raw=raw,
    )


# -- archives ------------------------------------------------------------------------------


def _statuses_of(value: Any) -> list[dict[str, Any]] | None:
    """The statuses (or notifications) of one API response: a page (a list), a v2 search
    result, or one status or notification. None: not a Mastodon response."""
    if isinstance(value, list):
        return value if all(isinstance(v, dict) for v in value) else None
    if isinstance(value, dict):
        if isinstance(value.get("statuses"), list):
            return [s for s in value["statuses"] if isinstance(s, dict)]
        if "id" in value and ("content" in value or "status" in value or "reblog" in value):
            return [value]
    return None


def _local_host(entities: list[dict[str, Any]]) -> str | None:
    """The instance a page was read on, from an account local to it: a local account's
    `acct` has no @domain, and its `url` is on the instance."""
    def accounts(entity: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        for key in ("account",):
            if isinstance(entity.get(key), dict):
                yield entity[key]
        for mention in entity.get("mentions") or []:
            if isinstance(mention, dict):
                yield mention
        for key in ("status", "reblog"):
            if isinstance(entity.get(key), dict):
                yield from accounts(entity[key])

    for entity in entities:
        for account in accounts(entity):
            acct, url = account.get("acct"), account.get("url")
            if isinstance(acct, str) and acct and "@" not in acct and isinstance(url, str):
                host = urlsplit(url).netloc.lower()
                if host:
                    return host
    return None


def read_archive(path: str | os.PathLike) -> Iterator[ArchiveLine]:
    """Mastodon API responses saved one per line: a page of statuses or notifications (a
    JSON list), a v2 search result, one status, or any of these wrapped as
    {"instance": "https://…", "response": …}. Without the wrapper, the instance is the one
    of a local account on the page. A line that cannot be read is reported by number."""
    source = f"archive:{os.path.basename(os.fspath(path))}"
    for line in json_lines(path):
        if line.problem:
            yield ArchiveLine(line.number, [], line.problem, text=line.text)
            continue
        value, host = line.value, None
        if isinstance(value, dict) and "response" in value and "instance" in value:
            host = host_of(str(value["instance"])) if "://" in str(value["instance"]) \
                else str(value["instance"]).strip().lower()
            value = value["response"]
        entities = _statuses_of(value)
        if entities is None:
            yield ArchiveLine(line.number, [], f"line {line.number}: not a Mastodon page of "
                                               "statuses or notifications", text=line.text)
            continue
        host = host or _local_host(entities)
        if not host:
            if not entities:
                yield ArchiveLine(line.number, [])
                continue
            yield ArchiveLine(line.number, [], (
                f"line {line.number}: which instance this page was read on cannot be told "
                'from it: save it as {"instance": "https://…", "response": …}'), text=line.text)
            continue
        run = _Run(None)
        for entity in entities:
            status = entity.get("status") if "type" in entity else entity
            if isinstance(status, dict):
                run.add(status, host, source, keep=False,
                        notification=str(entity["id"]) if "type" in entity else None)
        yield ArchiveLine(line.number, run.items)


# -- replies (opt-in) ----------------------------------------------------------------------


def _visibility(status: Any) -> str:
    value = status.get("visibility") if isinstance(status, dict) else None
    return value if value in ("public", "unlisted", "private", "direct") else "unlisted"


def post_reply(api: Mastodon | None, native_id: str, text: str, *,
               dry_run: bool) -> dict[str, Any]:
    """Reply to the Mastodon post `native_id` ("host:id") as the company's account there, with
    the post's own visibility (a reply to a direct message stays direct). Never retried: the
    instance may have taken it. An idempotency key (the post and the text) makes the
    instance ignore the same reply sent twice within an hour."""
    host, _, status_id = native_id.rpartition(":")
    if not host or not status_id:
        raise ValueError(f"{native_id!r} is not a Mastodon post id (instance:id)")
    if not text.strip():
        raise ValueError("the reply is empty")
    request = {"instance": host, "status": text, "in_reply_to_id": status_id,
               "visibility": "the visibility of the post answered"}
    if dry_run:
        return {"would_send": request}
    if api is None:
        raise NotConfigured(f"no access token for {host}: posting replies there is off.")
    session = api.session
    what = f"posting a reply to {native_id}"
    variable = "the instance's access token variable"
    try:
        api.status(status_id)
        original = _body(getattr(session, "last", None), host, what)
        key = hashlib.sha256(f"{native_id}\n{text}".encode("utf-8")).hexdigest()[:40]
        api.status_post(text, in_reply_to_id=status_id, visibility=_visibility(original),
                        idempotency_key=key)
        created = _body(getattr(session, "last", None), host, what)
    except (mastodon_errors.MastodonError, requests.RequestException) as exc:
        failure = _failure(exc, what, host, variable, getattr(session, "last", None))
        if isinstance(failure, Transient):
            failure = SourceError(f"{failure} The reply may have been posted all the same: "
                                  "check the thread before posting it again.")
        raise failure from exc
    if not isinstance(created, dict) or not created.get("id"):
        raise _unreadable(host, what, "no id for the new post")
    out: dict[str, Any] = {"platform_id": f"{host}:{created['id']}"}
    if _web_url(created.get("url")):
        out["url"] = created["url"]
    return out


def reply_poster(config: Config, environ: Mapping[str, str] | None = None) -> Poster:
    """A poster for clamor.actions.post_reply, posting on the instance the post was read on
    with that instance's token; a dry run needs no token."""
    settings = config.sources.mastodon
    env = os.environ if environ is None else environ
    clients: dict[str, Mastodon] = {}

    def post(native_id: str, text: str, dry_run: bool) -> dict:
        if dry_run:
            return post_reply(None, native_id, text, dry_run=True)
        host = native_id.rpartition(":")[0]
        url = next((u for u in settings.instances if host_of(u) == host), None)
        if url is None:
            raise NotConfigured(f"{host} is not in [sources.mastodon] instances: Clamor has "
                                "no account there to reply with.")
        if url not in clients:
            token = _token(settings, url, env)
            if token is None:
                raise NotConfigured(_not_set([settings.token_variables()[url]],
                                             f"posting replies on {host} is off"))
            clients[url] = client(url, token)
        return post_reply(clients[url], native_id, text, dry_run=False)

    return post
