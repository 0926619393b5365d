"""The Bluesky collector against real HTTP: the real atproto Client signs in to and reads from
a local XRPC server (http.server in this process) that serves hand-written lexicon-shaped
answers (tests/cassettes/bluesky, see its README) with cursors, `since` and ratelimit-*
headers, and 429/5xx/malformed/cut-off pages for faults. Sleeping is recorded, not done."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from clamor import actions, cli, doctor, pipeline, sources
from clamor.config import DEMO_CONFIG, load_config, parse_config
from collectors.base import NotConfigured, RateLimited, SourceError, Transient, UnreadableItem
from collectors.bluesky import (
    BlueskyCollector,
    expand_links,
    map_post,
    post_reply,
    post_url,
    read_archive,
    reply_poster,
)
from tests.collector_contract import check_contract

FIXTURES = Path(__file__).parent / "cassettes" / "bluesky"
DATA = json.loads((FIXTURES / "aerolume.json").read_text(encoding="utf-8"))
PASSWORD = "plnt-dpss-wrd0-xyz9"
ENV = {"BLUESKY_HANDLE": "aerolume.bsky.social", "BLUESKY_APP_PASSWORD": PASSWORD}
ANNA = "at://did:plc:anna000000000000000000/app.bsky.feed.post/3lanna00001"
ANNA_AGAIN = "at://did:plc:anna000000000000000000/app.bsky.feed.post/3lanna00002"
NIMA = "at://did:plc:nima000000000000000000/app.bsky.feed.post/3lnima00001"
SOMSAK = "at://did:plc:somsak0000000000000000/app.bsky.feed.post/3lsomsak001"
JOURNO = "at://did:plc:journo0000000000000000/app.bsky.feed.post/3ljourno001"
HELP_TO_ANNA = "at://did:plc:aerolumehelp0000000000/app.bsky.feed.post/3lhelp00001"
RESET = 1795183200  # 2026-11-20 14:00 UTC


class Service:
    """Bluesky's XRPC as far as Clamor talks to it; `faults` answer instead, in order."""

    def __init__(self, data: dict):
        self.data = data
        self.notifications = list(data["notifications"])
        self.requests: list[tuple[str, str, dict, dict, bytes]] = []
        self.faults: list[tuple[str, int, bytes, dict]] = []
        self.remaining = 3000
        self.created: list[dict] = []

    def page(self, items: list[dict], query: dict, key=lambda i: i["indexedAt"]):
        ordered = sorted(items, key=key, reverse=True)
        if "since" in query:
            ordered = [i for i in ordered if key(i) >= query["since"][0].replace("000Z", "Z")
                       or key(i)[:19] >= query["since"][0][:19]]
        start = int(query.get("cursor", ["0"])[0])
        limit = int(query.get("limit", ["50"])[0])
        chosen = ordered[start:start + limit]
        more = start + limit < len(ordered)
        return chosen, ({"cursor": str(start + limit)} if more else {})

    def answer(self, method, name, query, body):
        if name == "com.atproto.server.createSession":
            if body.get("password") != PASSWORD:
                return 401, {"error": "AuthenticationRequired",
                             "message": "Invalid identifier or password"}
            return 200, self.data["session"]
        if name == "app.bsky.actor.getProfile":
            return 200, self.data["profile"]
        if name == "app.bsky.notification.listNotifications":
            items, more = self.page(self.notifications, query)
            return 200, {"notifications": items, **more}
        if name == "app.bsky.feed.getAuthorFeed":
            items, more = self.page(self.data["own"], query, key=lambda i: i["post"]["indexedAt"])
            return 200, {"feed": items, **more}
        if name == "app.bsky.feed.searchPosts":
            items, more = self.page(self.data["search"].get(query["q"][0], []), query)
            return 200, {"posts": items, "hitsTotal": len(items), **more}
        if name == "app.bsky.feed.getPosts":
            every = {p["uri"]: p for p in sum(self.data["search"].values(), [])}
            every.update({n["uri"]: {**n, "cid": n["cid"]} for n in self.notifications})
            return 200, {"posts": [every[u] for u in query["uris"] if u in every]}
        if name == "com.atproto.repo.createRecord":
            self.created.append(body)
            return 200, {"uri": "at://did:plc:aerolumehelp0000000000/app.bsky.feed.post/3lnew",
                         "cid": "bafyreinewcid", "validationStatus": "valid"}
        return 404, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}


@pytest.fixture
def service():
    state = Service(copy.deepcopy(DATA["first"]))

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method):
            parts = urlsplit(self.path)
            name = parts.path.removeprefix("/xrpc/")
            query = parse_qs(parts.query)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            state.requests.append((method, name, query, dict(self.headers), raw))
            state.remaining -= 1
            headers = {"ratelimit-limit": "3000", "ratelimit-remaining": str(state.remaining),
                       "ratelimit-reset": str(RESET), "ratelimit-policy": "3000;w=300"}
            fault = next((f for f in state.faults if f[0] == name), None)
            if fault is not None:
                state.faults.remove(fault)
                return self._send(fault[1], fault[2], {**headers, **fault[3]})
            status, answer = state.answer(method, name, query, json.loads(raw) if raw else {})
            self._send(status, json.dumps(answer, ensure_ascii=False).encode("utf-8"), headers)

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def _send(self, status, body, headers):
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def bluesky_config(base, url: str, **settings):
    data = base.model_dump(exclude={"path"})
    data["sources"]["bluesky"].update({"enabled": True, "service": url, **settings})
    return parse_config(data)


@pytest.fixture
def config(service):
    return bluesky_config(load_config(DEMO_CONFIG), service.url)


def collector(config, waits=None, **options) -> BlueskyCollector:
    return BlueskyCollector(config, environ=ENV,
                            sleep=(waits if waits is not None else []).append, **options)


def stored(store) -> dict[str, tuple]:
    rows = store.query_rows("SELECT native_id, author, is_own, in_reply_to, conversation_id, "
                            "text, url FROM mentions WHERE source = 'bluesky'")
    return {row[0]: row[1:] for row in rows}


# -- map_item and facets -------------------------------------------------------------------


def every_post() -> list[dict]:
    first = DATA["first"]
    found = sum(first["search"].values(), []) + [e["post"] for e in first["own"]]
    found += [n for n in first["notifications"] + DATA["later"]["notifications"]
              if n["reason"] in ("mention", "reply")]
    return found


def test_every_hand_written_post_maps_purely():
    for raw in every_post():
        before = copy.deepcopy(raw)
        mention = map_post(raw)
        assert raw == before and map_post(raw) == mention
        assert mention.native_id == raw["uri"] and mention.created_at.tzinfo is not None
    anna = map_post(DATA["first"]["search"]["Aerolume"][0])
    # The link Bluesky shortened in the text is written out in full from its facet.
    assert anna.text == ("@aerolume.bsky.social my refund for AL 212 is three weeks late. Your "
                         "page https://aerolume.example/refunds/status?case=AL212 says 7 days "
                         "#Aerolume")
    assert anna.url == "https://bsky.app/profile/anna.bsky.social/post/3lanna00001"
    assert anna.author == "@anna.bsky.social" and anna.lang == "en"
    assert anna.conversation_id == ANNA and anna.in_reply_to is None
    again = map_post(DATA["later"]["notifications"][0])
    assert (again.in_reply_to, again.conversation_id) == (HELP_TO_ANNA, ANNA)
    somsak = map_post(DATA["first"]["search"]["แอโรลูม"][0])
    assert somsak.author == "@did:plc:somsak0000000000000000"  # handle.invalid: the DID
    assert somsak.url == ("https://bsky.app/profile/did:plc:somsak0000000000000000/post/"
                          "3lsomsak001")
    nima = map_post(DATA["first"]["notifications"][1])
    assert nima.lang == "fa" and nima.text.endswith("ایرولوم")


def test_facets_are_byte_offsets_and_bad_ones_are_ignored():
    text = "ایرولوم example.com/a… ok"
    start = len("ایرولوم ".encode("utf-8"))
    good = {"index": {"byteStart": start, "byteEnd": start + len("example.com/a…".encode())},
            "features": [{"$type": "app.bsky.richtext.facet#link",
                          "uri": "https://example.com/abc"}]}
    assert expand_links(text, [good]) == "ایرولوم https://example.com/abc ok"
    named = {**good, "features": [{"$type": "app.bsky.richtext.facet#link",
                                   "uri": "https://other.example/x"}]}
    assert expand_links(text, [named]) == ("ایرولوم example.com/a… (https://other.example/x) "
                                           "ok")
    for bad in ({"index": {"byteStart": 1, "byteEnd": 4}, "features": good["features"]},
                {"index": {"byteStart": 5, "byteEnd": 999}, "features": good["features"]},
                {"index": {"byteStart": "0", "byteEnd": 3}, "features": good["features"]},
                {**good, "features": [{"$type": "app.bsky.richtext.facet#link",
                                       "uri": "javascript:alert(1)"}]},
                "not a facet"):
        assert expand_links(text, [bad]) == text
    assert expand_links(text, [good, good]) == "ایرولوم https://example.com/abc ok"


def test_map_item_refuses_what_it_cannot_read():
    base = DATA["first"]["search"]["Aerolume"][0]
    like = DATA["first"]["notifications"][2]
    with pytest.raises(UnreadableItem, match="a like is not a post"):
        map_post(like)
    with pytest.raises(UnreadableItem, match="no at:// uri"):
        map_post({**base, "uri": "https://bsky.app/x"})
    with pytest.raises(UnreadableItem, match="has no text"):
        map_post({**base, "record": {"createdAt": "2026-11-20T09:00:00Z"}})
    naive = {**base, "record": {**base["record"], "createdAt": "2026-11-20T09:00:00"},
             "indexedAt": "garbage"}
    with pytest.raises(UnreadableItem, match="not a time with a time zone"):
        map_post(naive)
    assert post_url("at://did:plc:x/app.bsky.feed.like/3l", "x.bsky.social") is None


# -- configuration -------------------------------------------------------------------------


def test_missing_credentials_are_named(config, monkeypatch, store):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(NotConfigured) as raised:
        BlueskyCollector(config, environ={}).check()
    assert str(raised.value) == ("BLUESKY_HANDLE, BLUESKY_APP_PASSWORD are not set: the Bluesky "
                                 "collector is off. Set them in the environment (or .env) and "
                                 "restart Clamor.")
    status = {s.name: s for s in sources.statuses(config, demo=False)}["bluesky"]
    assert status.state == "not configured" and "BLUESKY_APP_PASSWORD" in status.reason
    assert status.limits and "Bluesky" in status.limits
    finding = {f.source: f for f in doctor.check_sources(config, demo=False)}["bluesky"]
    assert finding.verdict == "problem"
    report = pipeline.collect_once(store, BlueskyCollector(config, environ={}), config)
    assert report.status == "not_configured"


def test_a_wrong_app_password_is_a_sentence(config, service, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SourceError) as raised:
        BlueskyCollector(config, environ={**ENV, "BLUESKY_APP_PASSWORD": "wrong-pass"},
                         sleep=lambda s: None).fetch(None)
    assert "refused the sign-in (401)" in str(raised.value)
    assert "Invalid identifier or password" in str(raised.value)
    assert "wrong-pass" not in str(raised.value) and "wrong-pass" not in caplog.text


def test_doctor_asks_for_one_small_page(config, service, monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    finding = {f.source: f for f in doctor.check_sources(config, demo=False)}["bluesky"]
    assert finding.verdict == "ok", finding.message


# -- runs ----------------------------------------------------------------------------------


def test_a_run_keeps_the_collector_contract(config, service):
    result, mentions = check_contract(collector(config))
    assert {m.native_id for m in mentions} == {ANNA, NIMA, HELP_TO_ANNA, JOURNO, SOMSAK}
    # Anna's post came as a notification and from search: kept once; the like is no post,
    # the account's repost of Maria's post is not its answer.
    assert result.keep == {ANNA, NIMA, HELP_TO_ANNA}
    assert result.rate.remaining < 3000
    assert result.rate.reset_at == dt.datetime.fromtimestamp(RESET, dt.timezone.utc)
    sign_in = [r for r in service.requests if r[1] == "com.atproto.server.createSession"]
    assert len(sign_in) == 1  # signed in once for both fetches
    searched = [r[2] for r in service.requests if r[1] == "app.bsky.feed.searchPosts"
                and r[2]["q"] == ["Aerolume"]]
    assert searched[0]["sort"] == ["latest"] and "since" not in searched[0]
    assert "since" in searched[-1]  # the second fetch asks only for what is newer
    notes = [r[2] for r in service.requests if r[1] == "app.bsky.notification.listNotifications"]
    assert notes[0]["reasons"] == ["mention", "reply", "quote"]
    auth = [r[3] for r in service.requests if r[1] == "app.bsky.feed.searchPosts"][0]
    assert auth["Authorization"].startswith("Bearer ")


def test_a_run_stores_mentions_and_threads_the_accounts_answers(store, config, service):
    bluesky = collector(config)
    report = pipeline.collect_once(store, bluesky, config)
    assert (report.status, report.inserted) == ("ok", 5)
    rows = stored(store)
    assert rows[HELP_TO_ANNA][:4] == ("@aerolume.bsky.social", True, f"bluesky:{ANNA}",
                                      f"bluesky:{ANNA}")
    assert rows[ANNA][1] is False
    service.notifications += DATA["later"]["notifications"]
    again = pipeline.collect_once(store, bluesky, config)
    assert (again.status, again.inserted) == ("ok", 1)
    assert stored(store)[ANNA_AGAIN][2:4] == (f"bluesky:{HELP_TO_ANNA}", f"bluesky:{ANNA}")
    assert pipeline.collect_once(store, bluesky, config).inserted == 0


# -- faults --------------------------------------------------------------------------------


def test_a_rate_limit_stores_nothing_and_names_the_reset_time(store, config, service):
    service.faults.append(("app.bsky.feed.searchPosts", 429,
                           b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}',
                           {"ratelimit-remaining": "0"}))
    with pytest.raises(RateLimited, match="until 14:00 UTC"):
        collector(config).fetch(None)
    service.faults.append(("app.bsky.feed.searchPosts", 429, b"{}", {}))
    report = pipeline.collect_once(store, collector(config), config)
    assert report.status == "rate_limited" and stored(store) == {}
    assert store.get_cursor("bluesky") is None


def test_server_errors_are_retried_then_fail(config, service):
    waits: list[float] = []
    service.faults.append(("app.bsky.notification.listNotifications", 502, b"bad gateway", {}))
    assert len(collector(config, waits).fetch(None).raw_items) == 5 and len(waits) == 1
    waits.clear()
    service.faults += [("app.bsky.notification.listNotifications", 503, b"busy", {})] * 4
    with pytest.raises(Transient, match=r"server error \(503\)"):
        collector(config, waits).fetch(None)
    assert len(waits) == 3


@pytest.mark.parametrize("body, words", [
    (b'{"notifications": [{"uri": "at://did:plc:x/app.bsky.feed.post/3l', "stops short"),
    (b'{"cursor": "x"}', "no `notifications` list"),
    (b'{"notifications": [{"reason": "mention"}]}', "without a uri"),
])
def test_an_unreadable_page_fails_the_run_and_stores_nothing(store, config, service, body,
                                                             words):
    service.faults.append(("app.bsky.notification.listNotifications", 200, body, {}))
    report = pipeline.collect_once(store, collector(config), config)
    assert report.status == "error" and "could not be read" in report.message
    assert words in report.message
    assert stored(store) == {} and store.get_cursor("bluesky") is None


def test_an_unreachable_service_is_retried_then_fails(config):
    waits: list[float] = []
    unreachable = bluesky_config(config, "http://127.0.0.1:9")  # nothing listens on port 9
    with pytest.raises(Transient, match="could not be reached"):
        collector(unreachable, waits).fetch(None)
    assert len(waits) == 3


# -- archives ------------------------------------------------------------------------------


def test_an_archive_yields_its_posts_and_numbers_its_bad_lines(tmp_path, capsys):
    lines = list(read_archive(FIXTURES / "archive.jsonl"))
    problems = {line.number: line.problem for line in lines if line.problem}
    assert problems == {3: "line 3: not JSON",
                        4: "line 4: not a Bluesky page of posts or notifications (Bluesky "
                           "said: Rate Limit Exceeded)"}
    items = [item for line in lines for item in line.items]
    readable = []
    for item in items:
        try:
            readable.append(map_post(item).native_id)
        except UnreadableItem:
            pass
    assert set(readable) == {ANNA, JOURNO, NIMA, HELP_TO_ANNA, SOMSAK}
    db = tmp_path / "a.duckdb"
    assert cli.main(["import", str(FIXTURES / "archive.jsonl"), "--source", "bluesky",
                     "--demo", "--db", str(db)]) == 0
    assert "line 3" in capsys.readouterr().err


# -- replies (opt-in) ----------------------------------------------------------------------


def test_a_dry_run_needs_no_credentials_and_long_replies_are_refused():
    poster = reply_poster(load_config(DEMO_CONFIG), environ={})
    assert poster(ANNA, "On it, Anna. ^SR", True) == {"would_send": {
        "text": "On it, Anna. ^SR", "reply_to": ANNA,
        "root": "the first post of its thread (looked up when sending)"}}
    with pytest.raises(NotConfigured, match="BLUESKY_HANDLE, BLUESKY_APP_PASSWORD are not set"):
        poster(ANNA, "On it. ^SR", False)
    with pytest.raises(ValueError, match="at most 300 characters"):
        post_reply(None, ANNA, "x" * 301, dry_run=True)
    post_reply(None, ANNA, "ที่" * 300, dry_run=True)  # marks are not characters of their own


def test_a_posted_reply_threads_under_the_root_and_is_audited(store, config, service,
                                                              monkeypatch):
    assert pipeline.collect_once(store, collector(config), config).status == "ok"
    service.notifications += DATA["later"]["notifications"]
    assert pipeline.collect_once(store, collector(config), config).inserted == 1
    pipeline.analyse_pending(store, config)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    poster = sources.reply_poster(bluesky_config(config, service.url, reply_posting=True),
                                  "bluesky")
    outcome = actions.post_reply(store, f"bluesky:{ANNA_AGAIN}", actor="Joe Park",
                                 text="Anna, the refund left today. ^JP", poster=poster,
                                 dry_run=False)
    assert outcome == {
        "platform_id": "at://did:plc:aerolumehelp0000000000/app.bsky.feed.post/3lnew",
        "url": "https://bsky.app/profile/aerolume.bsky.social/post/3lnew"}
    record = service.created[0]["record"]
    assert service.created[0]["repo"] == "did:plc:aerolumehelp0000000000"
    assert record["text"] == "Anna, the refund left today. ^JP"
    assert record["reply"]["parent"]["uri"] == ANNA_AGAIN
    assert record["reply"]["root"]["uri"] == ANNA  # the thread's first post
    assert store.query_rows("SELECT source, actor, dry_run, outcome FROM posted_replies") == [
        ("bluesky", "Joe Park", False, "sent")]
