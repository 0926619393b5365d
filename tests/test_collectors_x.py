"""The X collector on recorded HTTP: tweepy's real recordings for page shapes, headers and
pagination; hand-made v2 recordings of Aerolume's mentions in five languages for full runs;
faults injected into copies of those shapes. vcrpy replays without network
(record_mode="none"); tweepy, requests and the store are real; sleeping is recorded, not done.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from pathlib import Path

import pytest
import requests
import vcr
import yaml
from vcr.persisters.filesystem import FilesystemPersister

from clamor import pipeline
from clamor.config import DEMO_CONFIG, Config, Term, load_config
from collectors.base import (
    NotConfigured,
    RateLimited,
    SourceError,
    Transient,
    UnreadableItem,
)
from collectors.x import (
    MAX_QUERY_LENGTH,
    TIMEOUT,
    XCollector,
    compile_queries,
    post_reply,
    posted_at,
    posting_client,
    read_archive,
    reply_poster,
    search_client,
    unescape,
)
from tests.collector_contract import check_contract
from tests.conftest import NOW, as_recorded

TAPES = Path(__file__).parent / "cassettes" / "x"
HAND_MADE = sorted(p.name for p in TAPES.glob("*.yaml") if not p.name.startswith("test_"))
HELEN, HELP_HELEN = "2123468847313997835", "2123491496557416591"
REZA, HELP_REZA = "2123453747821265028", "2123476397063168154"
POSTING_ENV = {"X_API_KEY": "k", "X_API_SECRET": "s", "X_ACCESS_TOKEN": "t",
               "X_ACCESS_TOKEN_SECRET": "ts"}


@pytest.fixture(scope="module")
def config(config):
    """The demo config as the recordings know it (see tests.conftest.as_recorded)."""
    return as_recorded(config)


class _Together:
    """A vcrpy persister reading "a.yaml+b.yaml" as one cassette: tweepy recorded each call
    in its own file, and one fetch makes several calls."""

    @staticmethod
    def load_cassette(cassette_path, serializer):
        sent, answers = [], []
        for name in Path(cassette_path).name.split("+"):
            requests_, responses, *_ = FilesystemPersister.load_cassette(TAPES / name,
                                                                         serializer)
            sent += requests_
            answers += responses
        return sent, answers

    @staticmethod
    def save_cassette(cassette_path, cassette_dict, serializer):
        raise AssertionError("these tests never record")


def tape(name: str, **options):
    # tweepy's v2 bodies were recorded gzip under urllib3 1.x; urllib3 2 replays them still
    # compressed (kevin1024/vcrpy#719), so vcrpy inflates them as it loads the cassette.
    recorder = vcr.VCR(record_mode="none", cassette_library_dir=str(TAPES),
                       decode_compressed_response=True)
    if "+" in name:
        recorder.register_persister(_Together)
    return recorder.use_cassette(name, **options)


def collector(config: Config, waits: list | None = None, **options) -> XCollector:
    return XCollector(config, bearer_token="test-token", now=lambda: NOW,
                      sleep=(waits if waits is not None else []).append, **options)


def with_x(config: Config, **settings) -> Config:
    return config.model_copy(update={"sources": config.sources.model_copy(
        update={"x": config.sources.x.model_copy(update=settings)})})


def responses_in(path: Path) -> list[dict]:
    """Every JSON body a hand-made cassette answers with (error pages and cut bodies left out)."""
    bodies = []
    for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
        try:
            bodies.append(json.loads(interaction["response"]["body"]["string"]))
        except ValueError:
            continue
    return bodies


def posts_in(body: dict) -> list[dict]:
    data = body.get("data")
    posts = [data] if isinstance(data, dict) else list(data or [])
    return [p for p in posts + body.get("includes", {}).get("tweets", []) if "text" in p]


def stored(store) -> dict[str, tuple]:
    rows = store.query_rows("SELECT native_id, author, is_own, in_reply_to FROM mentions")
    return {row[0]: row[1:] for row in rows}


# -- queries -------------------------------------------------------------------------------


def test_the_demo_watchlist_becomes_two_searches_plus_the_brands_own_posts():
    # Our names and the two competitors' (listened to for share of voice) need two searches.
    *searches, own = compile_queries(load_config(DEMO_CONFIG))
    assert len(searches) == 2
    assert all(len(q) <= MAX_QUERY_LENGTH for q in [*searches, own])
    watchlist = " ".join(searches)
    for spelling in ("Aerolume", "Αερολούμ", "ایرولوم", "ايرولوم", "إيرولوم", "แอโรลูม",
                     "สกายพอยต์", '"Dana Karimi"', '"دانا کریمی"', '"สมชาย วงศ์สกุล"',
                     '"ليلى حداد"', "Παπαδάκης", '"اسکای‌پوینت"',
                     "Skyvane", '"سكاي فين"', '"Nordhavn Air"', "นอร์ดฮาวน์แอร์"):
        assert spelling in watchlist, spelling
    # Phrases holding a spelling already searched would find nothing more.
    assert "Aerolume app" not in watchlist and "Aerolume Group" not in watchlist
    for search in searches:
        assert search.startswith("(") and ") -" in search  # space binds before OR on X
        for excluded in ('-"Aerolume Lighting"', '-"Aerolume lamp"',
                         '-"Aerolume desk lamp"'):
            assert excluded in search
        assert search.endswith("-is:retweet")
    assert own == "(from:AerolumeHelp OR from:Aerolume) -is:retweet"


def test_languages_retweets_and_extra_queries(config):
    settings = with_x(config, languages=("fa", "th"), include_retweets=True,
                      queries=("#AerolumeFail", "url:aerolume.com"))
    queries = compile_queries(settings)
    assert [q.rsplit(" ", 1)[-1] for q in queries[:2]] == ["lang:fa", "lang:th"]
    assert queries[2:4] == ["#AerolumeFail", "url:aerolume.com"]
    assert queries[4] == "(from:AerolumeHelp OR from:Aerolume)"
    assert not any("is:retweet" in q for q in queries)


def test_a_long_watchlist_is_split_into_searches_x_accepts(config):
    terms = tuple(Term(term=f"Aerolume Route {n:03d}", kind="product",
                       aliases=(f"مسیر ایرولوم {n:03d}",)) for n in range(60))
    long = config.model_copy(update={"watchlist": config.watchlist.model_copy(
        update={"terms": terms})})
    queries = compile_queries(with_x(long, languages=("en", "fa")))
    searches = [q for q in queries if "from:" not in q]
    assert len(searches) > 2 and all(len(q) <= MAX_QUERY_LENGTH for q in queries)
    for language in ("lang:en", "lang:fa"):
        mine = [q for q in searches if q.endswith(language)]
        assert all('-"Aerolume Lighting"' in q and "-is:retweet" in q for q in mine)
        for term in terms:  # every spelling once per language
            assert sum(f'"{term.term}"' in q for q in mine) == 1
            assert sum(f'"{term.aliases[0]}"' in q for q in mine) == 1


def test_a_spelling_longer_than_x_allows_is_a_config_problem(config):
    huge = (Term(term="Aerolume " + "very " * 120 + "long", kind="brand"),)
    bad = config.model_copy(update={"watchlist": config.watchlist.model_copy(
        update={"terms": huge})})
    with pytest.raises(NotConfigured, match="more than X's 512"):
        collector(bad).check()


# -- configuration -------------------------------------------------------------------------


def test_without_a_token_the_collector_says_what_to_set(config, monkeypatch, store):
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    with pytest.raises(NotConfigured) as raised:
        XCollector(config).check()
    assert str(raised.value) == ("X_BEARER_TOKEN is not set: the X collector is off. Set it in "
                                 "the environment (or .env) and restart Clamor.")
    report = pipeline.collect_once(store, XCollector(config), config)
    assert report.status == "not_configured"
    monkeypatch.setenv("X_BEARER_TOKEN", "from-the-environment")
    XCollector(config).check()


def test_a_client_must_hand_back_raw_responses(config):
    import tweepy

    with pytest.raises(ValueError, match="return_type=requests.Response"):
        XCollector(config, client=tweepy.Client(bearer_token="t"))


def test_the_token_is_never_logged(config, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "AAAAAAAAAAAAAAAAAAAAAsecretbearer%2Fvalue"
    with tape("aerolume_run.yaml"):
        XCollector(config, bearer_token=secret, now=lambda: NOW, sleep=lambda s: None
                   ).fetch(None)
    assert "Bearer [hidden]" in caplog.text  # tweepy logs its headers at DEBUG
    assert "secretbearer" not in caplog.text


# -- full runs on hand-made v2 recordings --------------------------------------------------


def test_a_recorded_run_keeps_the_collector_contract(config):
    x = collector(config)
    with tape("aerolume_run.yaml") as cassette:
        result, mentions = check_contract(x)
    assert cassette.all_played
    assert len(mentions) == 15
    assert result.query == "2 searches, 2 mention timelines"
    assert {m.lang for m in mentions} == {"en", "fa", "ar", "th", "el", None}
    by_id = {m.native_id: m for m in mentions}
    reply = by_id[HELP_HELEN]
    assert (reply.author, reply.in_reply_to, reply.conversation_id) == (
        "@AerolumeHelp", HELEN, HELEN)
    assert reply.author_followers == 48200
    assert by_id[HELP_REZA].in_reply_to == REZA and by_id[HELP_REZA].lang == "fa"
    assert by_id[HELEN].url == f"https://x.com/helen_ashby/status/{HELEN}"
    assert by_id[HELEN].created_at == dt.datetime(2026, 11, 19, 17, 30, tzinfo=dt.timezone.utc)
    # Helen's post came from the search and from @AerolumeHelp's mentions: kept once.
    assert [r["_query"] for r in result.raw_items if r["id"] == HELEN] == [
        f"search:{compile_queries(config)[0]}"]
    # The lowest remaining allowance seen, and when it resets.
    assert result.rate.remaining == 298
    assert result.rate.reset_at == dt.datetime(2026, 11, 20, 14, 14, 30, tzinfo=dt.timezone.utc)
    cursor = json.loads(result.next_cursor)
    assert set(cursor) == {f"search:{q}" for q in compile_queries(config)} | {
        "mentions:AerolumeHelp"}  # @Aerolume's timeline was empty: nothing to resume from


def test_empty_pages_keep_the_cursor(config):
    x = collector(config)
    with tape("aerolume_run.yaml"):
        first = x.fetch(None)
        second = x.fetch(first.next_cursor)
    assert second.raw_items == [] and second.next_cursor == first.next_cursor


def test_a_run_stores_customers_mentions_and_the_brands_replies(store, config):
    x = collector(config)
    with tape("aerolume_run.yaml"):
        report = pipeline.collect_once(store, x, config)
        cursor = store.get_cursor("x")
        again = pipeline.collect_once(store, x, config)
    assert (report.status, report.fetched, report.inserted, report.unmatched) == (
        "ok", 15, 15, 0)
    rows = stored(store)
    assert rows[HELP_HELEN] == ("@AerolumeHelp", True, f"x:{HELEN}")
    assert rows[HELEN] == ("@helen_ashby", False, None)
    assert sum(own for _, own, _ in rows.values()) == 3
    assert (again.status, again.inserted) == ("ok", 0)
    assert store.get_cursor("x") == cursor
    runs = store.query_rows("SELECT status, rate_remaining FROM collector_runs ORDER BY id")
    assert runs == [("ok", 298), ("ok", 445)]
    texts = dict(store.query_rows("SELECT native_id, text FROM mentions"))
    page = responses_in(TAPES / "aerolume_run.yaml")[0]
    for post in page["data"]:
        assert texts[post["id"]].encode("utf-8") == unescape(post["text"]).encode("utf-8")


@pytest.mark.parametrize("limit", [1, 5])  # 1: what `clamor doctor` asks for
def test_a_small_budget_reads_one_small_page(config, limit):
    with tape("aerolume_budget.yaml") as cassette:
        result = collector(config).fetch(None, limit=limit)
    assert cassette.all_played  # max_results=10: X's smallest page for search
    assert len(result.raw_items) == 7
    assert f"stopped at the budget of {limit} posts" in result.query
    # Searches not read this time keep no cursor, so the next run reads them in full.
    assert list(json.loads(result.next_cursor)) == [f"search:{compile_queries(config)[0]}"]


def test_a_since_id_older_than_the_search_window_is_not_sent(config):
    old = str(((int((NOW - dt.timedelta(days=8)).timestamp() * 1000) - 1288834974657) << 22))
    assert posted_at(old) < NOW - dt.timedelta(days=7)
    stale = json.dumps({f"search:{compile_queries(config)[0]}": old})
    with tape("aerolume_run.yaml"):
        result = collector(config).fetch(stale)  # X would refuse it with a 400
    assert len(result.raw_items) == 15


def test_an_unreadable_cursor_starts_over(config, caplog):
    with tape("aerolume_run.yaml"):
        result = collector(config).fetch("not a cursor")
    assert len(result.raw_items) == 15 and "unreadable" in caplog.text


# -- tweepy's real recordings --------------------------------------------------------------


def test_real_recorded_pages_paginate_and_report_rate_limits(config, store):
    tweepy_config = with_x(
        config.model_copy(update={
            "watchlist": config.watchlist.model_copy(update={
                "terms": (Term(term="Tweepy", kind="brand"),), "exclusions": ()}),
            "accounts": config.accounts.model_copy(update={"x": ("Twitter",)}),
        }),
        max_pages=2,
    )
    x = collector(tweepy_config)
    sent: list[str] = []
    x.client.session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request.url))
    names = ("test_client_search_recent_tweets.yaml+test_client_get_user.yaml+"
             "test_client_get_users_mentions.yaml")
    # Clamor asks for fields these recordings did not: match on method and path only.
    with tape(names, match_on=["method", "path"], allow_playback_repeats=True):
        result = x.fetch(None)
        report = pipeline.collect_once(store, collector(tweepy_config), tweepy_config)
    # The real meta.next_token is sent back for page 2, and the real user id is looked up.
    assert "next_token=b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul" in sent[1]
    assert "/2/users/783214/mentions" in sent[5]
    assert "pagination_token=7140dibdnow9c7btw423i3sy3u5zupmkcpofxcsmxj48j" in sent[6]
    assert len(sent) == 7 and "older posts skipped" in result.query
    assert len(result.raw_items) == 20  # 10 found by both searches, 10 mentions; once each
    assert result.rate.remaining == 299  # the lowest x-rate-limit-remaining recorded
    assert result.rate.reset_at == dt.datetime.fromtimestamp(1618286938, dt.timezone.utc)
    cursor = json.loads(result.next_cursor)
    assert cursor["search:Tweepy -is:retweet"] == "1578516068309794817"  # meta.newest_id
    assert cursor["mentions:Twitter"] == "1578516295611748353"
    # Asked without tweet.fields, X sends no created_at: each post is kept aside, not lost.
    with pytest.raises(UnreadableItem, match="has no created_at"):
        x.map_item(result.raw_items[0])
    assert (report.status, report.inserted, report.unreadable) == ("ok", 0, 20)


def test_real_v2_posts_map_with_their_text_unchanged():
    for name in ("test_client_search_recent_tweets.yaml", "test_client_get_users_mentions.yaml"):
        with tape(name, match_on=["method", "path"]):
            client = search_client("test-token")
            if "mentions" in name:
                response = client.get_users_mentions(783214)
            else:
                response = client.search_recent_tweets("Tweepy")
        posts = response.json()["data"]
        assert len(posts) == 10
        for post in posts:
            with pytest.raises(UnreadableItem, match=f"X post {post['id']} has no created_at"):
                XCollector.map_item(post)
            dated = {**post, "created_at": posted_at(post["id"]).isoformat()}
            mention = XCollector.map_item(dated)
            assert mention.text.encode("utf-8") == post["text"].encode("utf-8")
            assert mention.url == f"https://x.com/i/web/status/{post['id']}"  # no author known
            assert mention.created_at.year == 2022


def test_real_v1_posts_map_too():
    posts = []
    for name in ("testsearchtweets.json", "testgetstatus.json"):
        recording = json.loads((TAPES / name).read_text(encoding="utf-8"))
        body = json.loads(recording["interactions"][0]["response"]["body"]["string"])
        posts += body["statuses"] if "statuses" in body else [body]
    assert len(posts) == 16
    for post in posts:
        mention = XCollector.map_item(post)
        assert mention.native_id == post["id_str"]
        assert mention.text.encode("utf-8") == post["text"].encode("utf-8")
        assert mention.author == f"@{post['user']['screen_name']}"
        assert mention.author_followers == post["user"]["followers_count"]
        assert mention.created_at.tzinfo is not None
        assert mention.in_reply_to == post["in_reply_to_status_id_str"]
    status = XCollector.map_item(posts[-1])
    assert status.created_at == dt.datetime(2012, 11, 8, 2, 31, 41, tzinfo=dt.timezone.utc)
    assert status.url == "https://x.com/Twitter/status/266367358078169089"


# -- faults --------------------------------------------------------------------------------


def test_a_rate_limit_mid_run_stores_nothing_and_names_the_reset_time(store, config):
    with tape("fault_429.yaml"):
        with pytest.raises(RateLimited) as raised:
            collector(config).fetch(None)
    assert str(raised.value) == "X asked us to wait until 14:15 UTC (rate limit)"
    assert raised.value.reset_at == dt.datetime(2026, 11, 20, 14, 15, tzinfo=dt.timezone.utc)
    with tape("fault_429.yaml"):
        report = pipeline.collect_once(store, collector(config), config)
    assert report.status == "rate_limited"
    assert report.message == "X asked us to wait until 14:15 UTC (rate limit)"
    assert store.get_cursor("x") is None
    assert stored(store) == {}
    assert store.query_rows("SELECT status, rate_remaining, rate_reset_at FROM collector_runs"
                            ) == [("rate_limited", 0, raised.value.reset_at)]


def test_a_server_error_is_retried_after_a_pause(config):
    waits: list[float] = []
    with tape("fault_500_then_ok.yaml") as cassette:
        result = collector(config, waits).fetch(None)
    assert cassette.all_played and len(result.raw_items) == 15
    assert len(waits) == 1 and 0 < waits[0] <= 30


def test_a_server_that_stays_down_fails_after_four_attempts(config):
    waits: list[float] = []
    with tape("fault_503.yaml") as cassette:
        with pytest.raises(Transient, match=r"server error \(503 Service Unavailable\)"):
            collector(config, waits).fetch(None)
    assert cassette.play_count == 4 and len(waits) == 3
    assert waits == sorted(waits)  # backing off


class _Unreachable(requests.adapters.HTTPAdapter):
    """A transport that fails the way the network does, before any byte is sent."""

    def __init__(self, error: Exception):
        super().__init__()
        self.error = error
        self.timeouts: list = []

    def send(self, request, **kwargs):
        self.timeouts.append(kwargs.get("timeout"))
        raise self.error


@pytest.mark.parametrize("error, words", [
    (requests.ReadTimeout("read timed out"), "timed out"),
    (requests.ConnectionError("connection reset by peer"), "lost the connection"),
    (requests.exceptions.ChunkedEncodingError("IncompleteRead"), "lost the connection"),
])
def test_timeouts_and_dropped_connections_are_retried_then_fail(config, error, words):
    client = search_client("test-token")
    transport = _Unreachable(error)
    client.session.mount("https://", transport)
    waits: list[float] = []
    with pytest.raises(Transient, match=words):
        XCollector(config, client=client, sleep=waits.append, now=lambda: NOW).fetch(None)
    assert len(transport.timeouts) == 4 and len(waits) == 3
    assert set(transport.timeouts) == {TIMEOUT}  # requests never waits forever


@pytest.mark.parametrize("name, words", [
    ("fault_truncated.yaml", "stops short after"),
    ("fault_no_meta.yaml", "no `meta`"),
])
def test_an_unreadable_page_fails_the_run_and_stores_nothing(store, config, name, words):
    with tape(name):
        with pytest.raises(SourceError, match="X sent a page that could not be read"):
            collector(config).fetch(None)
    with tape(name):
        report = pipeline.collect_once(store, collector(config), config)
    assert report.status == "error" and words in report.message
    assert stored(store) == {} and store.get_cursor("x") is None


def test_a_page_that_is_not_json_after_a_good_run_keeps_the_cursor(store, config):
    x = collector(config)
    with tape("fault_not_json_after_ok.yaml"):
        assert pipeline.collect_once(store, x, config).inserted == 15
        cursor = store.get_cursor("x")
        report = pipeline.collect_once(store, x, config)
    assert report.status == "error"
    assert "X sent a page that could not be read" in report.message
    assert "not JSON" in report.message
    assert store.get_cursor("x") == cursor and len(stored(store)) == 15
    assert [r[0] for r in store.query_rows("SELECT status FROM collector_runs ORDER BY id")] \
        == ["ok", "error"]


@pytest.mark.parametrize("name, words", [
    ("fault_401.yaml", "the value of X_BEARER_TOKEN is wrong or was revoked"),
    ("fault_403.yaml", "attached to a Project"),
])
def test_refused_credentials_say_what_to_do(config, name, words):
    waits: list[float] = []
    with tape(name) as cassette:
        with pytest.raises(SourceError, match=words):
            collector(config, waits).fetch(None)
    assert cassette.play_count == 1 and waits == []  # not worth retrying


# -- map_item ------------------------------------------------------------------------------


def test_every_hand_made_post_maps_with_its_text_unchanged():
    seen = 0
    for name in HAND_MADE:
        for body in responses_in(TAPES / name):
            users = {u["id"]: u for u in body.get("includes", {}).get("users", [])}
            for post in posts_in(body):
                raw = {**post, "_author": users[post["author_id"]], "_query": "search:test"}
                before = copy.deepcopy(raw)
                mention = XCollector.map_item(raw)
                assert raw == before
                assert mention.text.encode("utf-8") == unescape(post["text"]).encode("utf-8")
                assert mention.source == "x" and mention.native_id == post["id"]
                assert mention.author == f"@{users[post['author_id']]['username']}"
                assert mention.created_at == posted_at(post["id"]).replace(microsecond=0)
                seen += 1
    assert seen >= 70


def test_map_item_reads_what_x_means():
    base = {"id": "2123686280034115650", "text": "Aerolume &amp; me\n",
            "created_at": "2026-11-20T07:54:00.000Z"}
    assert XCollector.map_item(base).text == "Aerolume & me\n"  # as the customer wrote it
    assert XCollector.map_item({**base, "text": "a &amp;lt; b"}).text == "a &lt; b"
    assert XCollector.map_item(base).raw["text"] == "Aerolume &amp; me\n"  # as X sent it
    for code, expected in [("und", None), ("qme", None), ("zxx", None), ("qht", None),
                           ("qam", None), ("in", "id"), ("fa", "fa"), ("EL", "el"),
                           (None, None)]:
        assert XCollector.map_item({**base, "lang": code}).lang == expected, code
    bare = XCollector.map_item(base)
    assert (bare.author, bare.author_followers, bare.in_reply_to) == (None, None, None)
    assert bare.url == "https://x.com/i/web/status/2123686280034115650"
    quoted = XCollector.map_item({**base, "referenced_tweets": [
        {"type": "quoted", "id": "1"}, {"type": "replied_to", "id": "2"}]})
    assert quoted.in_reply_to == "2"
    for missing, words in [("id", "has no id"), ("text", "has no text"),
                           ("created_at", "has no created_at")]:
        with pytest.raises(UnreadableItem, match=words):
            XCollector.map_item({k: v for k, v in base.items() if k != missing})
    with pytest.raises(UnreadableItem, match="no time zone"):
        XCollector.map_item({**base, "created_at": "2026-11-20T07:54:00"})


# -- archives ------------------------------------------------------------------------------


def test_a_twarc2_archive_yields_its_posts_and_numbers_its_bad_lines(tmp_path):
    path = TAPES / "archive_twarc2.jsonl"
    lines = list(read_archive(path))
    problems = {line.number: line.problem for line in lines if line.problem}
    assert problems == {4: "line 4: not JSON",
                        7: "line 7: has no data (X said: Too Many Requests)"}
    assert [line.text for line in lines if line.problem][0] == '{"data": [{"id": "1991'
    items = [item for line in lines for item in line.items]
    assert len(items) == 16
    assert {i["_query"] for i in items} == {"archive:archive_twarc2.jsonl"}
    mentions = [XCollector.map_item(item) for item in items]
    assert {m.lang for m in mentions} == {"en", "fa", "ar", "th", "el", None}
    assert next(m for m in mentions if m.native_id == HELP_HELEN).in_reply_to == HELEN
    # One post per line (twarc2 flatten, twarc 1) reads too; a blank line is skipped.
    flat = tmp_path / "flat.jsonl"
    post = {**items[0]}
    post["author"] = post.pop("_author")
    flat.write_bytes(json.dumps(post, ensure_ascii=False).encode("utf-8") + b"\n\n\xff\n")
    read = list(read_archive(flat))
    assert XCollector.map_item(read[0].items[0]).author == XCollector.map_item(items[0]).author
    assert read[1].problem == "line 3: not UTF-8 text"


def test_an_archive_imports_through_the_pipeline(store, config):
    report = pipeline.import_archive(store, str(TAPES / "archive_twarc2.jsonl"), config,
                                     source="x", reader=read_archive,
                                     map_item=XCollector.map_item, version="1")
    # Helen's post and Pim's are on two pages each (search and mentions): stored once.
    assert (report.lines, report.inserted, report.already_stored, report.unreadable) == (
        8, 14, 2, 2)
    assert report.first_problem == "line 4: not JSON"
    assert stored(store)[HELP_HELEN] == ("@AerolumeHelp", True, f"x:{HELEN}")


# -- replies -------------------------------------------------------------------------------


def test_a_dry_run_reply_says_what_it_would_send():
    assert post_reply(None, HELEN, "Hi Helen, we're on it. ^SR", dry_run=True) == {
        "would_send": {"text": "Hi Helen, we're on it. ^SR", "in_reply_to_tweet_id": HELEN}}


def test_the_reply_poster_needs_keys_only_to_really_post(monkeypatch):
    for name in POSTING_ENV:
        monkeypatch.delenv(name, raising=False)
    poster = reply_poster()
    assert poster(HELEN, "On it. ^SR", True) == {
        "would_send": {"text": "On it. ^SR", "in_reply_to_tweet_id": HELEN}}
    with pytest.raises(NotConfigured, match="posting replies to X is off"):
        poster(HELEN, "On it. ^SR", False)


def test_posting_needs_the_four_user_context_keys(monkeypatch):
    for name in POSTING_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(NotConfigured) as raised:
        posting_client({"X_API_KEY": "k", "X_API_SECRET": "s"})
    assert str(raised.value).startswith("X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET are not set")
    assert "bearer token cannot post" in str(raised.value)
    with pytest.raises(NotConfigured, match="X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, "):
        posting_client()


def test_a_posted_reply_returns_the_new_posts_id():
    client = posting_client(POSTING_ENV)
    sent: list = []
    client.session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request))
    with tape("test_client_create_and_delete_tweet.yaml") as cassette:
        result = post_reply(client, HELEN, "Test Tweet", dry_run=False)
    assert result == {"platform_id": "1456012973835788293"}
    assert cassette.play_count == 1
    assert json.loads(sent[0].body) == {"text": "Test Tweet",
                                        "reply": {"in_reply_to_tweet_id": HELEN}}
    assert sent[0].headers["Authorization"].startswith("OAuth ")  # user context, not bearer
