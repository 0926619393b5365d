"""The Mastodon collector against real HTTP: the real Mastodon.py client talks to a local
instance (http.server in this process) that serves hand-written API entities
(tests/cassettes/mastodon, see its README) with Mastodon's paging (min_id, Link headers) and
X-RateLimit-* headers, and 429/5xx/malformed/cut-off pages for faults. Sleeping is recorded,
not done; the store is a real DuckDB file."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests

from clamor import actions, cli, doctor, pipeline, sources
from clamor.config import DEMO_CONFIG, load_config, parse_config
from collectors.base import NotConfigured, SourceError, Transient, UnreadableItem
from collectors.mastodon import (
    MastodonCollector,
    client,
    hashtags,
    html_to_text,
    map_status,
    post_reply,
    read_archive,
    reply_poster,
    search_terms,
)
from tests.collector_contract import check_contract

FIXTURES = Path(__file__).parent / "cassettes" / "mastodon"
DATA = json.loads((FIXTURES / "aerolume.json").read_text(encoding="utf-8"))
TOKEN = "planted-mastodon-token-0123456789"
RESET = "2026-11-20T14:05:00.000Z"
HELEN, REZA, LAYAL, MARK = (str(113500000000000000 + n) for n in (1, 2, 3, 6))
HELP_TO_HELEN, HELP_BOOSTS_MARK, HELEN_AGAIN = (str(113500000000000000 + n) for n in (7, 9, 10))


def _key(entity: dict) -> tuple[int, str]:
    return len(str(entity["id"])), str(entity["id"])


class Instance:
    """A Mastodon instance as far as Clamor talks to it: the API's paths, paging by min_id /
    since_id / max_id, Link and X-RateLimit-* headers; `faults` answer instead, in order."""

    def __init__(self, data: dict):
        self.account = data["account"]
        self.notifications = list(data["notifications"])
        self.own = list(data["own"])
        self.tags = {k: list(v) for k, v in data["tags"].items()}
        self.search = {k: list(v) for k, v in data["search"].items()}
        self.requests: list[tuple[str, str, dict, dict]] = []
        self.faults: list[tuple[str, int, bytes, dict]] = []  # (path prefix, status, body, headers)
        self.remaining = 300
        self.posted: list[dict] = []
        self.base = ""

    def add_later(self) -> None:
        self.notifications += DATA["later"]["notifications"]

    def page(self, items: list[dict], query: dict) -> tuple[list[dict], dict]:
        limit = min(int(query.get("limit", ["20"])[0]), 80)
        ordered = sorted(items, key=_key, reverse=True)
        if "max_id" in query:
            ordered = [e for e in ordered if _key(e) < _key({"id": query["max_id"][0]})]
        if "min_id" in query:
            newer = [e for e in ordered if _key(e) > _key({"id": query["min_id"][0]})]
            chosen = list(reversed(list(reversed(newer))[:limit]))  # just after min_id
        else:
            if "since_id" in query:
                ordered = [e for e in ordered if _key(e) > _key({"id": query["since_id"][0]})]
            chosen = ordered[:limit]
        links = {}
        if chosen:
            links = {"Link": f'<{self.base}?max_id={chosen[-1]["id"]}>; rel="next", '
                             f'<{self.base}?min_id={chosen[0]["id"]}>; rel="prev"'}
        return chosen, links

    def answer(self, method: str, path: str, query: dict, body: dict) -> tuple[int, object, dict]:
        if path == "/api/v1/accounts/verify_credentials":
            return 200, self.account, {}
        if path == "/api/v1/notifications":
            wanted = query.get("types[]")
            items = [n for n in self.notifications if not wanted or n["type"] in wanted]
            page, links = self.page(items, query)
            return 200, page, links
        if path == f"/api/v1/accounts/{self.account['id']}/statuses":
            page, links = self.page(self.own, query)
            return 200, page, links
        if path.startswith("/api/v1/timelines/tag/"):
            tag = unquote(path.rsplit("/", 1)[1]).casefold()
            page, links = self.page(self.tags.get(tag, []), query)
            return 200, page, links
        if path == "/api/v2/search":
            page, _ = self.page(self.search.get(query["q"][0], []), query)
            return 200, {"accounts": [], "statuses": page, "hashtags": []}, {}
        if path.startswith("/api/v1/statuses/") and method == "GET":
            wanted = path.rsplit("/", 1)[1]
            every = [n["status"] for n in self.notifications] + self.own + sum(
                self.tags.values(), [])
            found = next((s for s in every if s["id"] == wanted), None)
            return (200, found, {}) if found else (404, {"error": "Record not found"}, {})
        if path == "/api/v1/statuses" and method == "POST":
            self.posted.append(body)
            created = copy.deepcopy(self.own[0])
            created.update(id="113500000000000099", content=f"<p>{body.get('status')}</p>",
                           url="https://mastodon.social/@AerolumeHelp/113500000000000099")
            return 200, created, {}
        return 404, {"error": "Not found"}, {}


@pytest.fixture
def instance():
    state = Instance(copy.deepcopy(DATA["first"]))

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method):
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()} if raw else {}
            state.requests.append((method, parts.path, query, dict(self.headers)))
            state.remaining -= 1
            headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": str(state.remaining),
                       "X-RateLimit-Reset": RESET}
            fault = next((f for f in state.faults if parts.path == f[0] or (
                f[0].endswith("/") and parts.path.startswith(f[0]))), None)
            if fault is not None:
                state.faults.remove(fault)
                _, status, body, extra = fault
                return self._send(status, body, {**headers, **extra})
            status, answer, links = state.answer(method, parts.path, query, form)
            self._send(status, json.dumps(answer, ensure_ascii=False).encode("utf-8"),
                       {**headers, **links})

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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    state.host = f"127.0.0.1:{server.server_address[1]}"
    state.base = state.url
    yield state
    server.shutdown()
    server.server_close()


def mastodon_config(base, url: str, **settings):
    data = base.model_dump(exclude={"path"})
    data["sources"]["mastodon"].update({"enabled": True, "instances": [url], **settings})
    return parse_config(data)


@pytest.fixture
def config(instance):
    return mastodon_config(load_config(DEMO_CONFIG), instance.url)


def collector(config, waits=None, **options) -> MastodonCollector:
    return MastodonCollector(config, environ={"MASTODON_ACCESS_TOKEN": TOKEN},
                             sleep=(waits if waits is not None else []).append, **options)


def stored(store) -> dict[str, tuple]:
    rows = store.query_rows("SELECT native_id, author, is_own, in_reply_to, text FROM mentions "
                            "WHERE source = 'mastodon'")
    return {row[0]: row[1:] for row in rows}


def every_status() -> list[dict]:
    first = DATA["first"]
    found = [n["status"] for n in first["notifications"] + DATA["later"]["notifications"]]
    found += first["own"] + sum(first["tags"].values(), []) + sum(first["search"].values(), [])
    return list({s["id"]: s for s in found}.values())


# -- HTML → text ---------------------------------------------------------------------------


def test_mastodon_html_becomes_the_text_a_reader_sees():
    helen = next(s for s in every_status() if s["id"] == HELEN)
    assert html_to_text(helen["content"]) == (
        "@AerolumeHelp my bag never made it to Athens & nobody answers the phone.\n"
        "Flight AL 212, tag ending 4471.\n\n"
        "Is this https://status.aerolume.example/incidents/2026-11-20-check-in the same "
        "problem? #Aerolume")
    assert html_to_text("<p>one</p><p>two<br/>three</p>") == "one\n\ntwo\nthree"
    assert html_to_text("a &lt;b&gt; &amp;amp; &#x1F44F;") == "a <b> &amp; 👏"  # typed, not markup
    assert html_to_text("") == ""


@pytest.mark.parametrize("html, expected", [
    ("<p>hi<script>alert(1)</script> there</p>", "hi there"),
    ("<script>document.cookie</script>", ""),
    ("<p>open <script>never closed <b>x</b>", "open"),
    ("<style>p{color:red}</style><p>styled</p>", "styled"),
    ('<img src=x onerror="alert(1)">text', "text"),
    ('<a href="javascript:alert(1)">click</a>', "click"),
    ("<scr<script>ipt>alert(1)</script>", "ipt>alert(1)"),  # text, never a tag
    ("<!-- <p>hidden</p> -->shown", "shown"),
    ("<![CDATA[<b>x</b>]]>after", "after"),
    ("<svg><script>alert(1)</script><text>svg</text></svg>ok", "ok"),
    ("<iframe src=//evil><p>inside</p></iframe>outside", "outside"),
    ("<p>unclosed <b>bold <i>italic", "unclosed bold italic"),
    ("<" * 50 + "p>" + "x", "<" * 49 + "\n\nx"),  # the last one opens a paragraph
    ("<div>" * 5000 + "deep" + "</div>" * 5000, "deep"),
    ("<p>" + "&" * 10 + "amp;</p>", "&" * 10),  # the last & and amp; are one ampersand
    ("<textarea><p>not a paragraph</p></textarea>after", "after"),
    ("<pre>keep\nlines</pre>", "keep\nlines"),
])
def test_hostile_html_yields_text_and_never_markup(html, expected):
    text = html_to_text(html)
    assert text == expected
    assert "<script" not in text.lower() or "<script" in expected


# -- map_item ------------------------------------------------------------------------------


def test_every_hand_written_status_maps_purely():
    for status in every_status():
        raw = {**status, "_instance": "mastodon.social"}
        before = copy.deepcopy(raw)
        mention = map_status(raw)
        assert raw == before and map_status(raw) == mention
        original = status["reblog"] or status
        assert mention.native_id == f"mastodon.social:{original['id']}"
        assert mention.created_at.tzinfo is not None
        assert "<span" not in mention.text and "<p>" not in mention.text
        assert mention.url == original["url"]
        assert mention.author_followers == original["account"]["followers_count"]
    by_id = {s["id"]: map_status({**s, "_instance": "mastodon.social"}) for s in every_status()}
    assert by_id[HELEN].author == "@helen@mastodon.social"  # a local account: its domain added
    assert by_id[REZA].author == "@reza@persiansphere.social" and by_id[REZA].lang == "fa"
    assert by_id[HELP_TO_HELEN].in_reply_to == f"mastodon.social:{HELEN}"
    assert by_id[HELEN_AGAIN].in_reply_to == f"mastodon.social:{HELP_TO_HELEN}"
    # A boost is its original post: the same mention, the wrapper kept as raw.
    assert by_id[HELP_BOOSTS_MARK].native_id == f"mastodon.social:{MARK}"
    assert by_id[HELP_BOOSTS_MARK].author == "@mark@mastodon.social"
    # Content warning first, then the text; alt text of media after it.
    greek = by_id[str(113500000000000005)]
    assert greek.text.startswith("CW: χαμένες αποσκευές\n\nΗ #Αερολούμ έχασε")
    assert greek.text.endswith("[image: Άδειος ιμάντας αποσκευών]")
    # Visibility stays in the raw item: Layal's mention was a direct message.
    assert by_id[LAYAL].raw["visibility"] == "direct"


def test_map_item_refuses_what_it_cannot_read():
    base = {**every_status()[0], "_instance": "mastodon.social"}
    for change, words in [({"id": None}, "has no id"), ({"created_at": None}, "no created_at"),
                          ({"_instance": None}, "which instance"),
                          ({"content": 5}, "content is not text"),
                          ({"created_at": "2026-11-20T09:12:00"}, "no time zone")]:
        with pytest.raises(UnreadableItem, match=words):
            map_status({**base, **change})
    notification = {"id": "1", "type": "mention", "status": None, "_instance": "m.s"}
    with pytest.raises(UnreadableItem, match="without a post"):
        map_status(notification)


# -- what to read --------------------------------------------------------------------------


def test_watchlist_hashtags_and_searches(config):
    tags = hashtags(config)
    assert tags[:2] == ["Aerolume", "Αερολούμ"]
    assert "แอโรลูม" in tags and "اسکای‌پوینت" in tags  # marks and the ZWNJ are hashtag letters
    assert "Dana Karimi" not in tags and "Aerolume app" not in tags  # no spaces in a hashtag
    searches = search_terms(config)
    assert '"Dana Karimi"' in searches and "Aerolume" in searches
    assert len(searches) == len({s.casefold() for s in searches})


# -- configuration -------------------------------------------------------------------------


def test_missing_settings_and_tokens_are_named(config, monkeypatch, store):
    monkeypatch.delenv("MASTODON_ACCESS_TOKEN", raising=False)
    with pytest.raises(NotConfigured) as raised:
        MastodonCollector(config, environ={}).check()
    assert str(raised.value) == ("MASTODON_ACCESS_TOKEN is not set: the Mastodon collector is "
                                 "off. Set it in the environment (or .env) and restart Clamor.")
    two = mastodon_config(config, config.sources.mastodon.instances[0])
    two = parse_config({**two.model_dump(exclude={"path"}), "sources": {
        **two.model_dump(exclude={"path"})["sources"],
        "mastodon": {"enabled": True, "instances": ["mastodon.social", "https://fosstodon.org/"]}}})
    assert two.sources.mastodon.instances == ("https://mastodon.social", "https://fosstodon.org")
    with pytest.raises(NotConfigured, match="^MASTODON_ACCESS_TOKEN_FOSSTODON_ORG is not set"):
        MastodonCollector(two, environ={"MASTODON_ACCESS_TOKEN": "t"}).check()
    none = mastodon_config(config, config.sources.mastodon.instances[0])
    none = none.model_copy(update={"sources": none.sources.model_copy(update={
        "mastodon": none.sources.mastodon.model_copy(update={"instances": ()})})})
    with pytest.raises(NotConfigured, match="no Mastodon instance is listed"):
        MastodonCollector(none, environ={}).check()
    report = pipeline.collect_once(store, MastodonCollector(config, environ={}), config)
    assert report.status == "not_configured"
    with pytest.raises(Exception, match="is not an instance address"):
        mastodon_config(config, "https://mastodon.social/@AerolumeHelp")


def test_sources_page_and_doctor_say_what_to_set(config, monkeypatch):
    monkeypatch.delenv("MASTODON_ACCESS_TOKEN", raising=False)
    status = {s.name: s for s in sources.statuses(config, demo=False)}["mastodon"]
    assert status.state == "not configured"
    assert status.reason.startswith("MASTODON_ACCESS_TOKEN is not set")
    assert "own posts" in status.limits  # full-text search is limited: the page says so
    finding = {f.source: f for f in doctor.check_sources(config, demo=False)}["mastodon"]
    assert finding.verdict == "problem" and "MASTODON_ACCESS_TOKEN" in finding.message
    demo = {s.name: s for s in sources.statuses(load_config(DEMO_CONFIG), demo=True)}
    assert demo["mastodon"].state == "off" and demo["bluesky"].state == "off"


def test_doctor_asks_the_instance_for_one_small_page(config, instance, monkeypatch):
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", TOKEN)
    finding = {f.source: f for f in doctor.check_sources(config, demo=False)}["mastodon"]
    assert finding.verdict == "ok" and "answered: " in finding.message
    assert all(r[2].get("limit") == ["1"] for r in instance.requests[1:])


# -- runs ----------------------------------------------------------------------------------


def test_a_run_keeps_the_collector_contract(config, instance):
    result, mentions = check_contract(collector(config))
    ids = [m.native_id for m in mentions]
    host = instance.host
    assert sorted(ids) == sorted(f"{host}:{n}" for n in (
        HELEN, REZA, LAYAL, 113500000000000007, 113500000000000008, MARK,
        113500000000000004, 113500000000000005))
    # Mark's post came from #Aerolume and as a boost by the account: kept once, boost counted.
    mark = next(r for r in result.raw_items if r["id"] == MARK)
    assert mark["_boosted_by"] == ["AerolumeHelp"]
    # Mentions and the account's own posts are kept whole; a boost of another's post is not.
    assert result.keep == {f"{host}:{n}" for n in (HELEN, REZA, LAYAL, 113500000000000007,
                                                   113500000000000008)}
    assert result.rate.remaining is not None and result.rate.remaining < 300
    assert result.rate.reset_at == dt.datetime(2026, 11, 20, 14, 5, tzinfo=dt.timezone.utc)
    cursor = json.loads(result.next_cursor)
    assert cursor[f"mentions:{host}"] == "403" and cursor[f"own:{host}"] == HELP_BOOSTS_MARK
    assert cursor[f"tag:{host}:aerolume"] == MARK
    first_read = [r for r in instance.requests if r[1] == "/api/v1/notifications"][0]
    assert first_read[2]["types[]"] == ["mention"] and "min_id" not in first_read[2]
    assert first_read[3]["Authorization"] == f"Bearer {TOKEN}"


def test_a_run_stores_mentions_and_the_accounts_answers(store, config, instance):
    mastodon = collector(config)
    report = pipeline.collect_once(store, mastodon, config)
    assert (report.status, report.inserted) == ("ok", 8)
    rows, host = stored(store), instance.host
    assert rows[f"{host}:113500000000000007"][:3] == (
        "@AerolumeHelp@mastodon.social", True, f"mastodon:{host}:{HELEN}")
    assert rows[f"{host}:{HELEN}"][1] is False
    assert rows[f"{host}:{LAYAL}"][3].startswith("@AerolumeHelp رحلتي")
    instance.add_later()
    again = pipeline.collect_once(store, mastodon, config)
    assert (again.status, again.fetched, again.inserted) == ("ok", 1, 1)
    assert stored(store)[f"{host}:{HELEN_AGAIN}"][2] == f"mastodon:{host}:113500000000000007"
    later = [r for r in instance.requests if r[1] == "/api/v1/notifications"][-1]
    assert later[2]["min_id"] == ["403"]  # resumed after the newest notification seen
    third = pipeline.collect_once(store, mastodon, config)
    assert (third.fetched, third.inserted) == (0, 0)


def test_a_long_timeline_is_read_over_several_runs_and_nothing_is_skipped(config, instance):
    mastodon = collector(mastodon_config(config, instance.url, max_pages=1))
    first = mastodon.fetch(None)
    many = [dict(DATA["first"]["tags"]["aerolume"][1], id=str(113600000000000000 + n))
            for n in range(50)]
    instance.tags["aerolume"] += many
    second = mastodon.fetch(first.next_cursor)
    third = mastodon.fetch(second.next_cursor)
    got = [r["id"] for r in second.raw_items + third.raw_items if r["id"].startswith("1136")]
    assert sorted(got) == sorted(m["id"] for m in many)
    assert "continue next run" in second.query


def test_a_low_rate_limit_stops_the_run_and_the_next_goes_on(config, instance):
    instance.remaining = 24  # the reserve is 20: a few requests, then stop
    mastodon = collector(config)
    first = mastodon.fetch(None)
    assert "continue next run" in first.query and first.rate.remaining <= 20
    instance.remaining = 300
    second = mastodon.fetch(first.next_cursor)
    ids = {r["id"] for r in first.raw_items} | {r["id"] for r in second.raw_items}
    assert {HELEN, REZA, LAYAL, MARK} <= ids


def test_the_token_is_never_logged(config, instance, caplog, store):
    caplog.set_level(logging.DEBUG)
    instance.faults.append(("/api/v1/notifications", 401,
                            b'{"error":"The access token is invalid"}', {}))
    report = pipeline.collect_once(store, collector(config), config)
    assert report.status == "error" and TOKEN not in caplog.text
    assert TOKEN not in report.message
    assert "MASTODON_ACCESS_TOKEN is wrong or was revoked" in report.message
    assert "The access token is invalid" in report.message


# -- faults --------------------------------------------------------------------------------


def test_a_rate_limit_stores_nothing_and_names_the_reset_time(store, config, instance):
    instance.faults.append(("/api/v1/timelines/tag/", 429, b'{"error":"Too many requests"}',
                            {"X-RateLimit-Remaining": "0"}))
    report = pipeline.collect_once(store, collector(config), config)
    assert report.status == "rate_limited"
    assert report.message == (f"{instance.host} asked us to wait until 14:05 UTC (rate limit) "
                              "while reading the #Aerolume on " f"{instance.host}")
    assert stored(store) == {} and store.get_cursor("mastodon") is None
    assert store.query_rows("SELECT rate_reset_at FROM collector_runs") == [
        (dt.datetime(2026, 11, 20, 14, 5, tzinfo=dt.timezone.utc),)]


def test_a_server_error_is_retried_after_a_pause(config, instance):
    waits: list[float] = []
    instance.faults.append(("/api/v1/notifications", 502, b"<html>Bad Gateway</html>", {}))
    result = collector(config, waits).fetch(None)
    assert len(result.raw_items) == 8 and len(waits) == 1


def test_a_server_that_stays_down_fails_after_four_attempts(config, instance):
    waits: list[float] = []
    instance.faults += [("/api/v1/notifications", 503, b"busy", {})] * 4
    with pytest.raises(Transient, match=r"server error \(503\)"):
        collector(config, waits).fetch(None)
    assert len(waits) == 3 and waits == sorted(waits)


@pytest.mark.parametrize("body, words", [
    (b'[{"id": "401", "type": "mention", "status": {"id": "1', "stops short after"),
    (b"<html>maintenance</html>", "not JSON"),
    (b'{"statuses": "nope"}', "not a list of entities"),
    (b'[{"type": "mention"}]', "not a list of entities"),
])
def test_an_unreadable_page_fails_the_run_and_stores_nothing(store, config, instance, body,
                                                             words):
    instance.faults.append(("/api/v1/notifications", 200, body, {}))
    report = pipeline.collect_once(store, collector(config), config)
    assert report.status == "error" and "sent a page that could not be read" in report.message
    assert words.split()[-1] in report.message or words in report.message
    assert stored(store) == {} and store.get_cursor("mastodon") is None


def test_a_fault_after_a_good_run_keeps_the_cursor(store, config, instance):
    mastodon = collector(config)
    assert pipeline.collect_once(store, mastodon, config).inserted == 8
    cursor = store.get_cursor("mastodon")
    instance.add_later()
    instance.faults.append(("/api/v1/accounts/", 200, b"[{\"id\": ", {}))
    report = pipeline.collect_once(store, mastodon, config)
    assert report.status == "error" and store.get_cursor("mastodon") == cursor
    assert pipeline.collect_once(store, mastodon, config).inserted == 1  # then it resumes


def test_a_missing_scope_is_explained(config, instance):
    instance.faults.append(("/api/v1/notifications", 403,
                            b'{"error":"This action is outside the authorized scopes"}', {}))
    with pytest.raises(SourceError, match="lacks the scope"):
        collector(config).fetch(None)


class _Unreachable(requests.adapters.HTTPAdapter):
    def __init__(self, error):
        super().__init__()
        self.error, self.calls = error, 0

    def send(self, request, **kwargs):
        self.calls += 1
        assert kwargs.get("timeout") == 30.0  # never waits forever
        raise self.error


@pytest.mark.parametrize("error, words", [
    (requests.ReadTimeout("read timed out"), "timed out"),
    (requests.ConnectionError("connection reset by peer"), "could not be reached"),
])
def test_timeouts_and_dropped_connections_are_retried_then_fail(config, instance, error, words):
    api = client(instance.url, TOKEN)
    transport = _Unreachable(error)
    api.session.mount("http://", transport)
    waits: list[float] = []
    with pytest.raises(Transient, match=words):
        MastodonCollector(config, clients={instance.url: api}, sleep=waits.append).fetch(None)
    assert transport.calls == 4 and len(waits) == 3


# -- archives ------------------------------------------------------------------------------


def test_an_archive_yields_its_posts_and_numbers_its_bad_lines():
    lines = list(read_archive(FIXTURES / "archive.jsonl"))
    problems = {line.number: line.problem for line in lines if line.problem}
    assert problems[3] == "line 3: not JSON" and problems[4] == "line 4: not JSON"
    assert "cannot be told from it" in problems[6]
    assert problems[7] == "line 7: not a Mastodon page of statuses or notifications"
    items = [item for line in lines for item in line.items]
    assert {i["_instance"] for i in items} == {"mastodon.social"}
    mentions = {MastodonCollector.map_item(i).native_id for i in items}
    assert f"mastodon.social:{MARK}" in mentions and f"mastodon.social:{LAYAL}" in mentions


def test_clamor_import_reads_a_mastodon_archive(tmp_path, capsys):
    db = tmp_path / "a.duckdb"
    assert cli.main(["import", str(FIXTURES / "archive.jsonl"), "--source", "mastodon",
                     "--demo", "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert "line 3" in out.err
    from clamor.store import Store

    s = Store(db)
    try:
        rows = dict(s.query_rows("SELECT native_id, is_own FROM mentions WHERE source = "
                                 "'mastodon'"))
    finally:
        s.close()
    assert rows[f"mastodon.social:{HELEN}"] is False
    assert rows["mastodon.social:113500000000000007"] is True  # the demo's own account


# -- replies (opt-in) ----------------------------------------------------------------------


def test_a_dry_run_needs_no_token():
    poster = reply_poster(load_config(DEMO_CONFIG), environ={})
    assert poster(f"mastodon.social:{HELEN}", "On it, Helen. ^SR", True) == {"would_send": {
        "instance": "mastodon.social", "status": "On it, Helen. ^SR", "in_reply_to_id": HELEN,
        "visibility": "the visibility of the post answered"}}
    with pytest.raises(NotConfigured, match="^MASTODON_ACCESS_TOKEN is not set: posting "):
        poster(f"mastodon.social:{HELEN}", "On it. ^SR", False)
    with pytest.raises(NotConfigured, match="not in \\[sources.mastodon\\] instances"):
        poster(f"fosstodon.org:{HELEN}", "On it. ^SR", False)


def test_a_reply_keeps_the_visibility_of_the_post_answered(config, instance):
    poster = reply_poster(config, environ={"MASTODON_ACCESS_TOKEN": TOKEN})
    result = poster(f"{instance.host}:{LAYAL}", "@layal@mastodon.online نعتذر، سنعيد المبلغ",
                    False)
    assert result == {"platform_id": f"{instance.host}:113500000000000099",
                      "url": "https://mastodon.social/@AerolumeHelp/113500000000000099"}
    assert instance.posted == [{"status": "@layal@mastodon.online نعتذر، سنعيد المبلغ",
                                "in_reply_to_id": LAYAL, "sensitive": "0",
                                "visibility": "direct"}]
    sent = [r for r in instance.requests if r[0] == "POST"][0]
    assert len(sent[3]["Idempotency-Key"]) == 40  # a double click never posts twice


def test_a_posted_reply_is_audited_through_the_action_path(store, config, instance,
                                                           monkeypatch):
    demo_store = store
    mastodon = collector(config)
    assert pipeline.collect_once(demo_store, mastodon, config).status == "ok"
    pipeline.analyse_pending(demo_store, config)
    mention_id = f"mastodon:{instance.host}:{REZA}"
    poster = sources.reply_poster(
        mastodon_config(config, instance.url, reply_posting=True), "mastodon")
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", TOKEN)
    outcome = actions.post_reply(demo_store, mention_id, actor="Maryam Rahimi",
                                 text="سلام رضا، پیگیری می‌کنیم. ^MR", poster=poster,
                                 dry_run=False)
    assert outcome["platform_id"] == f"{instance.host}:113500000000000099"
    assert demo_store.query_rows(
        "SELECT source, actor, dry_run, platform_id, outcome FROM posted_replies") == [
        ("mastodon", "Maryam Rahimi", False, f"{instance.host}:113500000000000099", "sent")]
    assert instance.posted[0]["visibility"] == "public"


def test_a_refused_reply_is_a_sentence(config, instance):
    api = client(instance.url, TOKEN)
    instance.faults.append(("/api/v1/statuses", 422,
                            b'{"error":"Validation failed: Text character limit of 500 '
                            b'exceeded"}', {}))
    with pytest.raises(SourceError, match="character limit of 500"):
        post_reply(api, f"{instance.host}:{HELEN}", "x" * 600, dry_run=False)
