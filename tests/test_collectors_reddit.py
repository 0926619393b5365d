"""The Reddit collector on real recorded HTTP: praw and prawcore run for real against
praw's own cassettes and our Aerolume cassettes (tests/cassettes/reddit), replayed by vcrpy;
faults are injected into recorded exchanges. Nothing here touches the network."""

from __future__ import annotations

import copy
import datetime as dt
import json
import time

import praw
import pytest

from clamor import pipeline, sources
from clamor.config import DEMO_CONFIG, Term, load_config
from collectors.base import (
    NotConfigured,
    RateLimited,
    SourceError,
    Transient,
    UnreadableItem,
)
from collectors.reddit import (
    NAME,
    RedditCollector,
    connect,
    post_reply,
    read_archive,
    reply_poster,
    search_queries,
)
from tests import reddit_cassettes as rc
from tests.cassettes.reddit import build_aerolume as aerolume
from tests.collector_contract import check_contract
from tests.conftest import NOW, Clock, as_recorded

SITE = "https://www.reddit.com"
ACCOUNT = "Aerolume_Official"


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def prawcore_sleeps(monkeypatch) -> list[float]:
    """prawcore waits with time.sleep between retries and before rate-limited requests; the
    HTTP is recorded, so waiting is pointless: the waits are recorded instead."""
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    return waits


@pytest.fixture
def env(monkeypatch):
    """The app's credentials, no login."""
    for name in ("REDDIT_USERNAME", "REDDIT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in rc.ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def login(env, monkeypatch):
    """Logged in as the company's account (inbox mentions, posting)."""
    monkeypatch.setenv("REDDIT_USERNAME", ACCOUNT)
    monkeypatch.setenv("REDDIT_PASSWORD", rc.PASSWORD)


@pytest.fixture(scope="module")
def config(config):
    """The demo config as the recordings know it (see tests.conftest.as_recorded)."""
    return as_recorded(config)


def with_reddit(config, **settings):
    reddit = config.sources.reddit.model_copy(update=settings)
    return config.model_copy(update={"sources": config.sources.model_copy(update={
        "reddit": reddit})})


def askreddit(config):
    return with_reddit(config, subreddits=("askreddit",), search=False, inbox_mentions=False)


class Waits:
    """A sleep that notes how long it was asked to wait."""

    def __init__(self):
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def collector(config, clock=None, **kwargs) -> RedditCollector:
    kwargs.setdefault("sleep", Waits())
    return RedditCollector(config, now=clock or Clock(), **kwargs)


def as_raw(child: dict) -> dict:
    return {"kind": child["kind"], **child["data"]}


def by_id(items) -> dict[str, dict]:
    return {raw["name"]: raw for raw in items}


# -- map_item on every recorded post and comment -----------------------------------------

RECORDED = [
    ("TestSubredditListings.test_new", 1),  # 100 posts, r/AskReddit (2016)
    ("TestSubredditListings.test_comments", 1),  # 100 comments (2016: no permalinks yet)
    ("TestSubreddit.test_search", 1),  # 6 posts from a search of r/all
    ("TestSubredditStreams.test_submissions", 1),  # 100 posts, r/all
    ("TestSubredditStreams.test_submissions", 2),  # the 4 that came after
    ("TestInbox.test_mentions", 1),  # 16 username mentions (2025)
]


@pytest.mark.parametrize("name, index", RECORDED)
def test_every_recorded_item_maps_to_a_mention(name, index):
    children = rc.children(name, index)
    assert children
    for child in children:
        data, raw = child["data"], as_raw(child)
        before = copy.deepcopy(raw)
        mention = RedditCollector.map_item(raw)
        assert raw == before and mention.raw is raw
        assert mention.source == NAME and mention.native_id == data["name"]
        assert mention.created_at == dt.datetime.fromtimestamp(data["created_utc"],
                                                               dt.timezone.utc)
        assert mention.author == f"u/{data['author']}"
        assert mention.author_followers is None
        assert mention.url.startswith(SITE + "/r/") and "?" not in mention.url
        if child["kind"] == "t3":
            text = data["title"] + ("\n\n" + data["selftext"] if data["selftext"] else "")
            assert mention.text == text
            assert mention.url == SITE + data["permalink"].split("?")[0]
            assert mention.in_reply_to is None and mention.conversation_id == data["name"]
        else:
            assert mention.text == data["body"]
            assert mention.in_reply_to == data["parent_id"]
            assert mention.in_reply_to[:3] in ("t1_", "t3_")
            thread = data.get("link_id") or "t3_" + data["context"].split("/")[4]
            assert mention.conversation_id == thread
            assert mention.url.endswith(f"/{data['id']}/")


def test_recorded_text_stays_byte_exact():
    posts = {c["data"]["name"]: c["data"] for c in rc.children("TestSubreddit.test_search")}
    accented = [n for n, d in posts.items() if any(ord(ch) > 127 for ch in d["selftext"])]
    assert accented
    for name in accented:
        mention = RedditCollector.map_item({"kind": "t3", **posts[name]})
        assert mention.text.encode() == (posts[name]["title"] + "\n\n"
                                         + posts[name]["selftext"]).encode()
    mention = rc.children("TestInbox.test_mentions")[0]
    assert RedditCollector.map_item(as_raw(mention)).text.startswith(
        f"Hello /u/{rc.USERNAME},\n\nYour [submission](https://redd.it/bb1sep)")
    assert RedditCollector.map_item(as_raw(mention)).url == (
        SITE + "/r/RemovedByBotter/comments/bb24k7/just_a_normal_girl_going_for_her_10th_class"
        "_exam/ekftbox/")


@pytest.mark.parametrize("raw, problem", [
    ({"kind": "t3", "id": "abc", "title": "x"}, "t3_abc: created_utc None is not a Unix time"),
    ({"kind": "t1", "name": "t1_x", "created_utc": 1.0}, "comment t1_x has no body"),
    ({"kind": "t3", "name": "t3_x", "created_utc": 1.0, "selftext": "x"},
     "post t3_x has no title"),
    ({"kind": "t4", "name": "t4_x", "body": "hi", "created_utc": 1.0},
     "t4_x: a private message is not a post or a comment"),
    ({"kind": "t1", "body": "hi", "created_utc": 1.0}, "a Reddit item without an id"),
    ({"kind": "t1", "name": "t1_x", "body": "hi", "created_utc": "yesterday"},
     "created_utc 'yesterday' is not a Unix time"),
])
def test_an_item_missing_its_essentials_is_refused_with_a_sentence(raw, problem):
    with pytest.raises(UnreadableItem, match=problem):
        RedditCollector.map_item(raw)


def test_a_deleted_author_is_no_author():
    child = rc.children("TestSubredditListings.test_comments")[0]
    mention = RedditCollector.map_item({**as_raw(child), "author": "[deleted]"})
    assert mention.author is None


# -- fetching recorded listings ----------------------------------------------------------


def test_fetch_returns_the_listings_as_plain_dicts(env, config):
    reddit = collector(askreddit(config))
    recorded = ([as_raw(c) for c in rc.children("TestSubredditListings.test_new")]
                + [as_raw(c) for c in rc.children("TestSubredditListings.test_comments")])
    with rc.replay(rc.merge("TestSubredditListings.test_new",
                            "TestSubredditListings.test_comments")):
        result = reddit.fetch(None)
    assert result.raw_items == recorded
    assert json.loads(json.dumps(result.raw_items)) == recorded, "only plain JSON values"
    assert result.query == "r/askreddit new posts; r/askreddit new comments"


def test_recorded_listings_keep_the_collector_contract(env, config):
    with rc.replay(rc.merge("TestSubredditListings.test_new",
                            "TestSubredditListings.test_comments"), repeats=True):
        result, mentions = check_contract(collector(askreddit(config)))
    assert len(mentions) == 200
    # Comments share seconds: the cursor remembers which ones of the newest second it holds.
    state = json.loads(result.next_cursor)
    assert len(state["comments:askreddit"]["seen"]) == 4
    assert state["new:askreddit"] == {"since": 1456821458.0, "seen": {"t3_48fbm9": 1456821458.0}}


def test_search_and_inbox_mentions_from_recordings(login, config):
    reddit = collector(with_reddit(config, subreddits=()))
    with rc.replay(rc.merge("TestInbox.test_mentions", "TestSubreddit.test_search"),
                   match_query=False):
        result = reddit.fetch(None)
    kinds = [raw["kind"] for raw in result.raw_items]
    assert kinds == ["t1"] * 16 + ["t3"] * 6
    assert result.query.startswith(f"inbox mentions of u/{ACCOUNT}; Reddit search for Aerolume")
    # The mentions answer said 9324 left; the 2016 search answer said nothing, so prawcore
    # counts it off itself.
    assert result.rate.remaining == 9324 - 1
    assert result.rate.reset_at == NOW + dt.timedelta(seconds=53)


def test_no_inbox_without_a_login(env, config):
    reddit = collector(with_reddit(config, subreddits=()))
    with rc.replay("TestSubreddit.test_search", match_query=False) as cassette:
        result = reddit.fetch(None)
    assert cassette.play_count == 2 and len(result.raw_items) == 6


def test_a_stream_recording_continues_from_the_cursor(env, config):
    """praw recorded r/all/new twice, 4 posts apart: the second fetch returns just those."""
    reddit = collector(with_reddit(config, subreddits=("all",), search=False,
                                   inbox_mentions=False))
    cassette = rc.load("TestSubredditStreams.test_submissions")
    comments = rc.response(cassette["interactions"][1]["response"], 200,
                           json.dumps({"kind": "Listing", "data": {"children": [],
                                                                   "after": None}}))
    for _ in range(2):  # r/all/comments answered empty, twice
        cassette["interactions"].append({"request": {
            "method": "GET", "uri": "https://oauth.reddit.com/r/all/comments/?limit=100",
            "body": None, "headers": {}}, "response": comments})
    with rc.replay(cassette, match_query=False):
        first = reddit.fetch(None)
        second = reddit.fetch(first.next_cursor)
    assert len(first.raw_items) == 100
    later = [as_raw(c) for c in rc.children("TestSubredditStreams.test_submissions", 2)]
    assert second.raw_items == later
    assert not {r["name"] for r in first.raw_items} & {r["name"] for r in second.raw_items}


# -- the Aerolume cassette: what the demo brand's config asks, twice, an hour apart --------

RUN_1 = [aerolume.M1, aerolume.S2, aerolume.S1, aerolume.C2, aerolume.C1, aerolume.R1,
         aerolume.R2]
RUN_2 = [aerolume.M2, aerolume.C3, aerolume.R5, aerolume.R4, aerolume.R3, aerolume.R6]


def names(children) -> list[str]:
    return [c["data"]["name"] for c in children]


def test_the_watchlist_becomes_one_quoted_search_query(config):
    assert search_queries(config) == [aerolume.QUERY]


def test_the_demo_searches_for_its_competitors_too():
    queries = search_queries(load_config(DEMO_CONFIG))
    assert queries[0].startswith(aerolume.QUERY + " OR ") and len(queries) == 2
    assert all(len(q) <= 512 for q in queries)
    for spelling in ("Skyvane", '"سكاي فين"', '"Nordhavn Air"', "นอร์ดฮาวน์แอร์"):
        assert spelling in " OR ".join(queries)


def test_long_watchlists_are_split_into_queries_reddit_accepts(config):
    terms = [{"term": f"Product number {i}", "kind": "product"} for i in range(40)]
    big = config.model_copy(update={"watchlist": config.watchlist.model_copy(
        update={"terms": tuple(Term.model_validate(t) for t in terms)})})
    queries = search_queries(big)
    assert len(queries) > 1 and all(len(q) <= 512 for q in queries)
    assert " OR ".join(queries).count('"Product number') == 40


def test_aerolume_keeps_the_collector_contract(login, config):
    clock = Clock()

    class HourApart(RedditCollector):
        def fetch(self, cursor, limit=None):
            result = super().fetch(cursor, limit)
            clock.advance(60)  # the next run comes an hour later
            return result

    with rc.replay("aerolume"):
        _, mentions = check_contract(HourApart(config, now=clock, sleep=Waits()))
    assert [m.native_id for m in mentions] == names(RUN_1)


def test_each_run_returns_only_what_is_new_paging_down_to_the_cursor(login, config):
    clock = Clock()
    reddit = collector(config, clock)
    with rc.replay("aerolume") as cassette:
        first = reddit.fetch(None)
        clock.advance(60)
        second = reddit.fetch(first.next_cursor)
    assert [r["name"] for r in first.raw_items] == names(RUN_1), "first sight: one page each"
    assert [r["name"] for r in second.raw_items] == names(RUN_2)
    search = [r for r in played(cassette) if "/search/" in r.uri]
    assert [dict(r.query).get("after") for r in search] == [None, None, "t3_1p2b03"]
    assert [dict(r.query)["t"] for r in search] == ["week", "day", "day"]
    assert all(dict(r.query)["sort"] == "new" for r in search)
    state = json.loads(second.next_cursor)
    assert set(state) == {"mentions", "new:aerolume", "comments:aerolume",
                          f"search:{aerolume.QUERY}"}
    # Search looks a quarter of an hour below its newest post (R6 was indexed late).
    newest = aerolume.R5["data"]["created_utc"]
    assert state[f"search:{aerolume.QUERY}"] == {"since": newest - 900,
                                                 "seen": {"t3_1p2b05": newest}}
    assert second.rate.remaining == 600 - 9
    assert second.rate.reset_at == clock.now + dt.timedelta(seconds=300)


def test_multilingual_posts_and_threads_map_exactly(login, config):
    with rc.replay("aerolume"):
        items = by_id(collector(config).fetch(None).raw_items)
    persian = RedditCollector.map_item(items["t1_nq1m01"])
    assert persian.text == f"u/{ACCOUNT} پرواز من از تهران دو بار لغو شد و هنوز هیچ پاسخی " \
                           "نگرفته\u200cام."
    assert persian.url == SITE + "/r/travel/comments/1p2c01/two_cancellations_in_a_week/nq1m01/"
    assert persian.in_reply_to == "t3_1p2c01" and persian.conversation_id == "t3_1p2c01"
    reply = RedditCollector.map_item(items["t1_nq1a02"])
    assert reply.author == f"u/{ACCOUNT}" and reply.in_reply_to == "t3_1p2a01"
    thai = RedditCollector.map_item(items["t3_1p2a02"])
    assert thai.text == "แอโรลูม เลื่อนเที่ยวบินกรุงเทพ-ภูเก็ตอีกแล้ว", "a link post: its title"
    arabic = RedditCollector.map_item(items["t3_1p2b01"])
    assert arabic.text == "تجربتي مع ايرولوم من دبي إلى أثينا\n\n" \
                          "الطاقم كان رائعاً لكن التأخير كان ثلاث ساعات."
    assert arabic.created_at == NOW - dt.timedelta(minutes=60)


def run_twice(store, config, cassette, clock):
    """Two scheduled runs an hour apart, each in a new process (its own praw client): the
    reports and the cursor saved between them."""
    with rc.replay(cassette):
        first = pipeline.collect_once(store, collector(config, clock), config)
        cursor = store.get_cursor(NAME)
        clock.advance(60)
        second = pipeline.collect_once(store, collector(config, clock), config)
    return first, cursor, second


def stored(store) -> dict[str, tuple]:
    rows = store.query_rows("SELECT native_id, is_own, in_reply_to, author, text "
                            "FROM mentions WHERE source = 'reddit'")
    return {row[0]: row[1:] for row in rows}


def test_collect_once_stores_mentions_and_the_brand_reply(login, store, config):
    clock = Clock()
    first, _, second = run_twice(store, config, "aerolume", clock)
    assert first.status == "ok" and first.fetched == 7
    assert first.inserted == 6 and first.unmatched == 1, "the lamp review is excluded"
    assert second.status == "ok" and second.inserted == 6
    rows = stored(store)
    assert rows["t1_nq1a02"][:3] == (True, "reddit:t3_1p2a01", f"u/{ACCOUNT}")
    assert rows["t1_nq1a01"][0] is False, "a reply in the thread, naming no term, is kept"
    assert rows["t1_nq1m02"][3] == (f"u/{ACCOUNT} three weeks and still no refund for my "
                                    "cancelled FlexFare ticket.\r\nCase 88123.")
    assert rows["t3_1p2b06"][2] is None
    assert "t3_1p2b02" not in rows
    runs = store.query_rows("SELECT status, rate_remaining FROM collector_runs ORDER BY id")
    assert runs == [("ok", 596), ("ok", 591)]


# -- faults, injected into the recorded exchanges ----------------------------------------


def second_run_request(cassette: dict, path: str) -> int:
    """The index of the second run's first exchange whose address holds `path`."""
    uris = [x["request"]["uri"] for x in cassette["interactions"]]
    second_run = [i for i, uri in enumerate(uris) if "access_token" in uri][1]
    return next(i for i, uri in enumerate(uris) if i > second_run and path in uri)


def played(cassette) -> list:
    """The recorded requests the collector's requests matched, in recorded order."""
    return [request for index, request in enumerate(cassette.requests)
            if cassette.play_counts[index]]


def faulty(index_path: str, *responses) -> dict:
    """The Aerolume cassette with the second run's answer to `index_path` replaced by
    `responses` (in the order they are sent), shaped like the recorded one."""
    cassette = rc.load("aerolume")
    index = second_run_request(cassette, index_path)
    recorded = cassette["interactions"][index]
    replaced = [{**recorded, "response": rc.response(recorded["response"], *r)}
                if isinstance(r, tuple) else recorded for r in responses]
    cassette["interactions"][index:index + 1] = replaced
    return cassette


def assert_second_run_changed_nothing(store, first, second, cursor, status="error"):
    assert first.status == "ok"
    assert second.status == status
    assert store.get_cursor(NAME) == cursor, "the failed run left the cursor where it was"
    assert len(stored(store)) == first.inserted, "nothing of the failed run was stored"
    runs = store.query_rows("SELECT status, message FROM collector_runs ORDER BY id")
    assert runs[-1] == (status, second.message)
    assert "Traceback" not in second.message


TOO_MANY = (429, '{"message": "Too Many Requests", "error": 429}',
            {"x-ratelimit-remaining": "0.0", "x-ratelimit-used": "600",
             "x-ratelimit-reset": "240"})


def test_too_many_requests_raises_rate_limited_with_the_reset_time(login, config):
    clock = Clock()
    with rc.replay(faulty("r/aerolume/comments/", TOO_MANY)):
        reddit = collector(config, clock)
        first = reddit.fetch(None)
        clock.advance(60)
        with pytest.raises(RateLimited, match="too many requests") as raised:
            reddit.fetch(first.next_cursor)
    assert raised.value.reset_at == clock.now + dt.timedelta(seconds=240)
    assert reddit.sleep.seconds == [], "a 429 is not retried before its reset"


def test_too_many_requests_through_the_pipeline(login, store, config):
    clock = Clock()
    cassette = faulty("r/aerolume/comments/", TOO_MANY)
    first, cursor, second = run_twice(store, config, cassette, clock)
    assert_second_run_changed_nothing(store, first, second, cursor, status="rate_limited")
    assert second.message == ("Reddit said too many requests at r/aerolume new comments; it "
                              "takes requests again after 15:04:00 UTC. The next run continues "
                              "where this one stopped.")


SERVER_ERROR = (500, '{"message": "Internal Server Error", "error": 500}')


def test_server_errors_are_retried_and_then_succeed(login, config, prawcore_sleeps):
    # prawcore tries three times itself; then the collector backs off and asks again.
    clock = Clock()
    with rc.replay(faulty("r/aerolume/new", SERVER_ERROR, SERVER_ERROR, SERVER_ERROR, "ok")):
        reddit = collector(config, clock)
        first = reddit.fetch(None)
        clock.advance(60)
        second = reddit.fetch(first.next_cursor)
    assert [r["name"] for r in second.raw_items] == names(RUN_2)
    assert len(reddit.sleep.seconds) == 1 and 0 < reddit.sleep.seconds[0] <= 30
    assert len(prawcore_sleeps) == 2, "prawcore's own two retries, not slept for real"


def test_server_errors_that_persist_fail_the_run_and_keep_the_cursor(login, store, config):
    clock = Clock()
    cassette = faulty("r/aerolume/new", *[SERVER_ERROR] * 9)
    first, cursor, second = run_twice(store, config, cassette, clock)
    assert_second_run_changed_nothing(store, first, second, cursor)
    assert second.message == "Reddit had a server error (500) at r/aerolume new posts."


@pytest.mark.parametrize("answer, problem", [
    ((200, '{"kind": "Listing", "data": {"after": null, "children": [{"kind": "t3", "da'),
     "came back as 75 bytes of application/json; charset=UTF-8 that are not JSON"),
    ((200, "<html><body>upstream connect error</body></html>",
      {"content-type": "text/html"}), "48 bytes of text/html that are not JSON"),
    ((200, '{"kind": "Listing", "data": {"after": null}}'), "a listing without children"),
    ((200, '{"kind": "t5", "data": {}}'), "came back as kind 't5' instead of a Listing"),
    ((200, '{"kind": "Listing", "data": {"children": [{"kind": "t3"}]}}'),
     "came back as child 1 has no data"),
])
def test_a_malformed_page_fails_the_whole_run(login, store, config, answer, problem):
    clock = Clock()
    first, cursor, second = run_twice(store, config, faulty("after=t3_1p2b03", answer), clock)
    # The mentions, comments and first search page of the second run were fine: still,
    # none of it is stored, so the next run fetches it again with the rest.
    assert_second_run_changed_nothing(store, first, second, cursor)
    assert second.message.startswith("Reddit sent a page that could not be read: Reddit "
                                     "search for Aerolume OR Αερολούμ OR ایرولوم OR … came back")
    assert problem in second.message


def test_refused_credentials_are_named(env, config):
    cassette = rc.load("TestSubredditListings.test_new")
    token = cassette["interactions"][0]
    token["response"] = rc.response(token["response"], 401,
                                    '{"message": "Unauthorized", "error": 401}')
    refused = r"Reddit refused the app's credentials \(401\): check REDDIT_CLIENT_ID and " \
              "REDDIT_CLIENT_SECRET"
    with rc.replay(cassette, match_query=False), pytest.raises(SourceError, match=refused):
        collector(askreddit(config)).fetch(None)


def test_a_refused_login_is_named(login, config):
    cassette = rc.load("aerolume")
    token = cassette["interactions"][0]
    token["response"] = rc.response(token["response"], 200, '{"error": "invalid_grant"}')
    refused = r"Reddit refused the login \(invalid_grant\): check REDDIT_USERNAME and " \
              "REDDIT_PASSWORD"
    with rc.replay(cassette), pytest.raises(SourceError, match=refused):
        collector(config).fetch(None)


def test_an_unreachable_reddit_is_transient_and_retried(config, prawcore_sleeps):
    # A real connection to a closed local port: refused at once.
    closed = praw.Reddit(client_id="x", client_secret="y", user_agent=rc.USER_AGENT,
                         check_for_updates=False, oauth_url="http://127.0.0.1:9",
                         reddit_url="http://127.0.0.1:9")
    reddit = collector(askreddit(config), reddit=closed)
    with pytest.raises(Transient, match=r"Reddit could not be reached for r/askreddit new "
                                        r"posts \(ConnectionError"):
        reddit.fetch(None)
    assert len(reddit.sleep.seconds) == 2, "three attempts, two backoffs"
    assert len(prawcore_sleeps) == 6, "prawcore retried each attempt twice itself"


# -- budgets: items and requests per minute ----------------------------------------------


def with_page(cassette: dict, t: str, after: str | None = None) -> dict:
    """The cassette plus one more answer of the second run's first search page, asked with
    time filter `t` (as a later run asks it)."""
    page = copy.deepcopy(cassette["interactions"][second_run_request(cassette, "/search/")])
    page["request"]["uri"] = page["request"]["uri"].replace("t=day", f"t={t}")
    cassette["interactions"].append(page)
    return cassette


def search_only(config, **settings):
    return with_reddit(config, subreddits=(), inbox_mentions=False, **settings)


def test_a_run_stops_at_the_item_limit_and_the_next_run_fills_the_gap(env, config):
    clock = Clock()
    reddit = collector(search_only(config), clock)
    with rc.replay(with_page(rc.load("aerolume"), "hour")):
        first = reddit.fetch(None)
        clock.advance(60)
        second = reddit.fetch(first.next_cursor, limit=3)
        gap = json.loads(second.next_cursor)[f"search:{aerolume.QUERY}"]["gap"]
        clock.advance(1)
        third = reddit.fetch(second.next_cursor)
    assert [r["name"] for r in second.raw_items] == ["t3_1p2b05", "t3_1p2b04", "t3_1p2b03"]
    assert gap["after"] == "t3_1p2b03"
    assert [r["name"] for r in third.raw_items] == ["t3_1p2b06"], "the gap, then nothing new"
    assert "gap" not in json.loads(third.next_cursor)[f"search:{aerolume.QUERY}"]


def test_a_run_stops_at_the_minute_s_requests_and_the_next_continues(env, config):
    clock = Clock()
    reddit = collector(search_only(config, requests_per_minute=1), clock)
    with rc.replay("aerolume") as cassette:
        first = reddit.fetch(None)
        clock.advance(60)
        second = reddit.fetch(first.next_cursor)  # page 1 only: the minute's one request
        clock.advance(0.5)
        stalled = reddit.fetch(second.next_cursor)  # the same minute: no request at all
        clock.advance(0.6)
        third = reddit.fetch(stalled.next_cursor)  # page 2, the stretch left last time
    assert cassette.play_count == 1 + 3, "the token, then one search page a minute"
    assert [r["name"] for r in second.raw_items] == ["t3_1p2b05", "t3_1p2b04", "t3_1p2b03"]
    assert stalled.raw_items == [] and stalled.next_cursor == second.next_cursor
    assert [r["name"] for r in third.raw_items] == ["t3_1p2b06"]


def test_an_unreadable_cursor_reads_every_listing_afresh(env, config):
    with rc.replay("TestSubreddit.test_search", match_query=False):
        result = collector(search_only(config)).fetch("not a cursor")
    assert len(result.raw_items) == 6


# -- configuration -----------------------------------------------------------------------


def test_missing_credentials_are_named(monkeypatch, store, config):
    for name in (*rc.ENV, "REDDIT_USERNAME", "REDDIT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "s")
    with pytest.raises(NotConfigured) as raised:
        collector(config).check()
    assert str(raised.value) == (
        "REDDIT_CLIENT_ID, REDDIT_USER_AGENT are not set: the Reddit collector is off. "
        "Set them in the environment (or .env) and restart Clamor.")
    report = pipeline.collect_once(store, collector(config), config)
    assert report.status == "not_configured" and report.message == str(raised.value)


@pytest.mark.parametrize("settings, env_vars, problem", [
    ({}, {"REDDIT_USERNAME": ACCOUNT},
     "REDDIT_PASSWORD is not set but REDDIT_USERNAME is: set both"),
    ({"subreddits": ("r/aerolume", "not a name")}, {},
     r"\[sources.reddit\] subreddits: 'not a name' is not a subreddit name"),
    ({"search": False, "subreddits": ()}, {}, "nothing to read from Reddit"),
])
def test_settings_that_cannot_work_are_named(env, monkeypatch, config, settings, env_vars,
                                             problem):
    for name, value in env_vars.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(NotConfigured, match=problem):
        collector(with_reddit(config, **settings)).fetch(None)


# -- archives ----------------------------------------------------------------------------


def test_an_archive_of_listings_reads_line_by_line():
    lines = list(read_archive(rc.CASSETTES / "archive.jsonl"))
    assert [line.number for line in lines] == [1, 2, 3, 5, 6, 7]
    assert [len(line.items) for line in lines] == [100, 100, 0, 2, 2, 0]
    assert lines[0].items == [as_raw(c) for c in rc.children(
        rc.CASSETTES / "TestSubredditListings.test_new.json")]
    assert lines[2].problem == "line 3: not JSON" and lines[2].text.startswith('{"kind"')
    assert lines[5].problem == ("line 7: not a Reddit listing (a listing without children)")
    assert all(line.problem is None for line in lines if line.items)
    comment_page = lines[3].items
    assert [raw["kind"] for raw in comment_page] == ["t3", "t1"]
    mentions = [RedditCollector.map_item(raw) for line in lines for raw in line.items]
    assert len(mentions) == 204


def test_clamor_import_keeps_the_bad_lines_aside_and_loads_the_rest(store, config):
    reader, map_item, version = sources.archive_format("reddit")
    report = pipeline.import_archive(store, str(rc.CASSETTES / "archive.jsonl"), config,
                                     source=NAME, reader=reader, map_item=map_item,
                                     version=version)
    assert (report.lines, report.inserted, report.unreadable) == (6, 204, 2)
    assert report.first_problem == "line 3: not JSON"
    reasons = [r for (r,) in store.query_rows("SELECT reason FROM unreadable_items")]
    assert reasons == ["line 3: not JSON",
                       "line 7: not a Reddit listing (a listing without children)"]


def test_archives_hold_the_same_raw_items_as_fetch(login, config):
    with rc.replay("aerolume"):
        clock = Clock()
        reddit = collector(config, clock)
        first = reddit.fetch(None)
        clock.advance(60)
        fetched = by_id(first.raw_items + reddit.fetch(first.next_cursor).raw_items)
    archived = by_id(list(read_archive(rc.CASSETTES / "archive.jsonl"))[4].items)
    assert archived == {name: fetched[name] for name in ("t3_1p2b04", "t1_nq1m02")}


def test_a_single_pretty_printed_document_is_line_one(tmp_path):
    page = rc.body(rc.load("TestInbox.test_mention__refresh"), 2)
    path = tmp_path / "thread.json"
    path.write_text(json.dumps(page, indent=2), encoding="utf-8")
    [line] = read_archive(path)
    assert line.number == 1 and line.problem is None
    assert [raw["name"] for raw in line.items] == ["t3_bb24k7", "t1_ekftbox"]


def test_lines_that_are_not_utf8_are_reported_and_the_rest_read(tmp_path):
    good = rc.CASSETTES.joinpath("archive.jsonl").read_bytes().split(b"\n")[5]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\xff\xfe not text\n" + good + b"\n")
    lines = list(read_archive(path))
    assert lines[0].problem == "line 1: not UTF-8 text"
    assert lines[0].text == "\\xff\\xfe not text"  # kept aside with its bytes visible
    assert lines[1].number == 2 and len(lines[1].items) == 2


# -- replies -----------------------------------------------------------------------------


def test_a_dry_run_sends_nothing(config):
    with rc.replay("TestComment.test_reply") as cassette:
        answer = post_reply(None, "t1_d1616q2", "Comment reply", dry_run=True)
    assert answer == {"would_send": {"method": "POST", "path": "api/comment/",
                                     "thing_id": "t1_d1616q2", "text": "Comment reply"}}
    assert cassette.play_count == 0


@pytest.mark.parametrize("cassette, fullname, text, created", [
    ("TestComment.test_reply", "t1_d1616q2", "Comment reply", "t1_d1680wu"),
    ("TestSubmission.test_reply", "t3_4b1tfm", "Test reply", "t1_d162ara"),
])
def test_a_reply_is_posted_as_the_account(env, monkeypatch, cassette, fullname, text, created):
    for name, value in rc.LOGIN_ENV.items():
        monkeypatch.setenv(name, value)
    reddit = connect()
    assert reddit.config.check_for_updates is False
    with rc.replay(cassette, match_body=True):
        answer = post_reply(reddit, fullname, text, dry_run=False)
    assert answer == {"platform_id": created}


def test_posting_needs_the_login(env, config):
    with pytest.raises(NotConfigured, match="REDDIT_USERNAME, REDDIT_PASSWORD are not set: "
                                            "Clamor cannot post to Reddit"):
        post_reply(connect(), "t1_d1616q2", "Comment reply", dry_run=False)


def test_the_inbox_s_poster_dry_runs_without_credentials_and_then_posts(monkeypatch):
    for name in (*rc.ENV, *rc.LOGIN_ENV):
        monkeypatch.delenv(name, raising=False)
    poster = reply_poster()
    assert "would_send" in poster("t1_d1616q2", "Comment reply", True)
    with pytest.raises(NotConfigured, match="REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET, "
                                            "REDDIT_USER_AGENT are not set"):
        poster("t1_d1616q2", "Comment reply", False)
    for name, value in {**rc.ENV, **rc.LOGIN_ENV}.items():
        monkeypatch.setenv(name, value)
    with rc.replay("TestComment.test_reply", match_body=True):
        assert poster("t1_d1616q2", "Comment reply", False) == {"platform_id": "t1_d1680wu"}
    with pytest.raises(ValueError, match="is not a Reddit post"):
        poster("t4_x", "hello", True)


def test_the_inbox_posts_through_reddit_only_when_the_config_allows_it(config):
    assert sources.reply_poster(config, NAME) is None
    poster = sources.reply_poster(with_reddit(config, reply_posting=True), NAME)
    assert poster("t3_1p2a01", "Sorry about your bag", True) == {"would_send": {
        "method": "POST", "path": "api/comment/", "thing_id": "t3_1p2a01",
        "text": "Sorry about your bag"}}
