"""The web and news feed collector against real HTTP on localhost: conditional GET,
de-duplication, plain text from HTML, retries and faults."""

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import feedparser
import pytest

from clamor import pipeline
from clamor.config import parse_config
from collectors.base import SourceError, Transient
from collectors.feeds import FeedsCollector, raw_entry
from tests.collector_contract import check_contract

NEWS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Travel Desk News</title>
<item><title>Aerolume app outage grounds check-in</title>
<link>https://news.example/aerolume-outage</link><guid>n-1</guid>
<pubDate>Mon, 23 Nov 2026 09:15:00 GMT</pubDate>
<description>&lt;p&gt;Passengers of &lt;b&gt;Aerolume&lt;/b&gt; queued for hours.&lt;/p&gt;\
&lt;script&gt;alert(1)&lt;/script&gt;</description></item>
<item><title>ایرولوم پروازهای تهران را افزایش می‌دهد</title>
<link>https://news.example/fa/aerolume-tehran</link><guid>n-2</guid>
<pubDate>Tue, 24 Nov 2026 07:00:00 GMT</pubDate><description>خبر تازه</description></item>
<item><title>Weather in Athens</title><link>https://news.example/weather</link><guid>n-3</guid>
<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate><description>Sunny.</description></item>
</channel></rss>"""

ALERTS = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Google Alert - Aerolume</title>
<entry><id>tag:google.com,2013:googlealerts/feed:1</id>
<title type="html">&lt;b&gt;Aerolume&lt;/b&gt; app outage grounds check-in</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://news.example/aerolume-outage&amp;ct=ga"/>
<published>2026-11-23T09:20:00Z</published>
<content type="html">Passengers of &lt;b&gt;Aerolume&lt;/b&gt; queued</content></entry>
</feed>"""


class Site:
    """What the local web server answers, per path; counts requests."""

    def __init__(self):
        self.hits: dict[str, int] = {}
        self.pages = {
            "/news.rss": (200, NEWS, '"v1"'),
            "/alerts.atom": (200, ALERTS, None),
            "/broken.rss": (200, "<rss><channel><title>oops", None),
            "/gone.rss": (404, "not here", None),
        }
        self.flaky_failures = 2


@pytest.fixture
def site():
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.hits[self.path] = state.hits.get(self.path, 0) + 1
            if self.path == "/flaky.rss" and state.flaky_failures:
                state.flaky_failures -= 1
                return self._send(503, "busy")
            status, body, etag = state.pages.get(self.path, state.pages["/news.rss"]
                                                 if self.path == "/flaky.rss" else (404, "", None))
            if etag and self.headers.get("If-None-Match") == etag:
                return self._send(304, "")
            self._send(status, body, etag)

        def _send(self, status, body, etag=None):
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/xml; charset=utf-8")
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()


def feeds_config(config, *urls):
    data = config.model_dump(exclude={"path"})
    data["sources"]["feeds"] = {"enabled": True, "urls": list(urls)}
    return parse_config(data)


def test_feeds_keep_the_collector_contract(site, config):
    cfg = feeds_config(config, f"{site.base}/news.rss", f"{site.base}/alerts.atom")
    result, mentions = check_contract(FeedsCollector(cfg))
    assert len(mentions) == 3, "the alert and the news item are one article"
    outage = next(m for m in mentions if "outage" in m.text)
    assert outage.url == "https://news.example/aerolume-outage"
    assert outage.created_at == dt.datetime(2026, 11, 23, 9, 15, tzinfo=dt.timezone.utc)
    assert outage.author == "Travel Desk News"
    assert outage.text == ("Aerolume app outage grounds check-in\n\n"
                           "Passengers of Aerolume queued for hours.")  # no tags, no script


def test_an_unchanged_feed_is_not_downloaded_again(site, config):
    cfg = feeds_config(config, f"{site.base}/news.rss")
    collector = FeedsCollector(cfg)
    first = collector.fetch(None)
    second = collector.fetch(first.next_cursor)
    assert second.raw_items == []
    assert site.hits["/news.rss"] == 2  # the second answer was 304 Not Modified


@pytest.mark.parametrize("cursor", ["{not json", "[1, 2]", '{"URL": 5}',
                                    '{"URL": {"seen": 5, "etag": null}}'])
def test_an_unreadable_cursor_starts_over_instead_of_failing_every_run(site, store, config,
                                                                      cursor):
    """A cursor that is not what this collector wrote (a broken file, a hand edit) would fail
    every run; the feeds are read afresh instead, and what is stored already stays once."""
    url = f"{site.base}/news.rss"
    cfg = feeds_config(config, url)
    assert pipeline.collect_once(store, FeedsCollector(cfg), cfg).inserted == 2
    store.insert_mentions([], collector="feeds", version="1", save_cursor=True,
                          cursor=cursor.replace("URL", url))
    report = pipeline.collect_once(store, FeedsCollector(cfg), cfg)
    assert (report.status, report.fetched, report.inserted) == ("ok", 3, 0)


def test_through_the_pipeline_only_mentions_are_stored_once(site, store, config):
    cfg = feeds_config(config, f"{site.base}/news.rss", f"{site.base}/alerts.atom")
    report = pipeline.collect_once(store, FeedsCollector(cfg), cfg)
    assert report.status == "ok"
    assert (report.fetched, report.unmatched) == (3, 1)   # the weather matches nothing
    assert report.inserted == 2                           # the outage and the Persian news
    again = pipeline.collect_once(store, FeedsCollector(cfg), cfg)
    assert again.fetched == 0 and again.inserted == 0


def test_a_busy_feed_is_retried_with_backoff(site, config):
    waits = []
    cfg = feeds_config(config, f"{site.base}/flaky.rss")
    result = FeedsCollector(cfg, sleep=waits.append).fetch(None)
    assert len(result.raw_items) == 3
    assert len(waits) == 2 and all(w > 0 for w in waits)


def test_a_feed_that_stays_down_fails_the_run_and_keeps_the_cursor(site, store, config):
    site.flaky_failures = 99
    cfg = feeds_config(config, f"{site.base}/news.rss", f"{site.base}/flaky.rss")
    with pytest.raises(Transient):
        FeedsCollector(cfg, sleep=lambda s: None).fetch(None)
    collector = FeedsCollector(cfg, sleep=lambda s: None)
    report = pipeline.collect_once(store, collector, cfg)
    assert report.status == "error" and "flaky.rss answered 503" in report.message
    assert store.get_cursor("feeds") is None
    assert store.query_rows("SELECT count(*) FROM mentions")[0][0] == 0


@pytest.mark.parametrize("path, message", [
    ("/broken.rss", "could not be read"),
    ("/gone.rss", "answered 404"),
])
def test_unreadable_feeds_are_named(site, config, path, message):
    cfg = feeds_config(config, f"{site.base}{path}")
    with pytest.raises(SourceError, match=message):
        FeedsCollector(cfg).fetch(None)


def test_no_urls_means_not_configured(config):
    report_config = feeds_config(config)
    with pytest.raises(Exception, match=r"list them in \[sources.feeds\] urls"):
        FeedsCollector(report_config).check()


def test_an_entry_dated_beyond_any_calendar_is_dated_when_read():
    """feedparser reads 9999-12-31T23:59:59-23:59 as the year 10000, which no date holds: the
    entry is dated when it was read (as one with no date) instead of failing the whole feed,
    and the date the feed sent stays in the raw item."""
    parsed = feedparser.parse(NEWS.replace("Mon, 23 Nov 2026 09:15:00 GMT",
                                           "9999-12-31T23:59:59-23:59"))
    raw = raw_entry(parsed.entries[0], "https://news.example/news.rss", "News",
                    "2026-11-24T10:00:00+00:00")
    assert raw["published"] is None
    assert raw["published_as_sent"] == "9999-12-31T23:59:59-23:59"
    mention = FeedsCollector.map_item(raw)
    assert mention.created_at == dt.datetime(2026, 11, 24, 10, tzinfo=dt.timezone.utc)
