"""The replay collector (the demo source) against the collector contract, on a test clock."""

import json
from collections import Counter

import pytest

from clamor import pipeline
from collectors.base import NotConfigured
from collectors.replay import ReplayCollector, bundled_stream
from tests.collector_contract import check_contract


def test_the_bundled_stream_is_a_realistic_multilingual_week():
    lines = bundled_stream()
    assert len(lines) >= 400
    by_lang = Counter(l["lang"] for l in lines)
    assert set(by_lang) == {"en", "fa", "ar", "th", "el"} and min(by_lang.values()) >= 60
    labels = Counter(l["label"] for l in lines)
    for label in ("complaint", "praise", "question", "spam", "irrelevant", "brand_reply"):
        assert labels[label] >= 10, label
    ids = {l["native_id"] for l in lines}
    assert len(ids) == len(lines)
    replies = [l for l in lines if l["in_reply_to"]]
    assert len(replies) >= 40 and all(l["in_reply_to"] in ids for l in replies)
    assert any(l["offset_minutes"] > 0 for l in lines), "nothing arrives while the demo runs"
    assert min(l["offset_minutes"] for l in lines) < -3 * 24 * 60, "history spans days"


def test_replay_keeps_the_collector_contract(clock):
    result, mentions = check_contract(ReplayCollector(now=clock))
    assert len(mentions) >= 300
    assert all(m.created_at <= clock.now for m in mentions)


def test_live_mentions_arrive_on_the_clock_and_repeat_with_fresh_ids(clock):
    collector = ReplayCollector(now=clock)
    first = collector.fetch(None)
    clock.advance(30)
    half_hour = collector.fetch(first.next_cursor)
    assert half_hour.raw_items, "new mentions keep arriving"
    assert all(0 < r["offset_minutes"] <= 30 for r in half_hour.raw_items)
    clock.advance(60)
    later = collector.fetch(half_hour.next_cursor)
    ids = [collector.map_item(r).native_id for r in later.raw_items]
    assert any(i.endswith("~1") for i in ids), "the live hour repeats"
    seen = {collector.map_item(r).id for r in first.raw_items + half_hour.raw_items}
    assert not seen & {collector.map_item(r).id for r in later.raw_items}


def test_a_restart_continues_from_the_cursor(clock, store, config):
    report = pipeline.collect_once(store, ReplayCollector(now=clock), config)
    assert report.status == "ok" and report.inserted > 300
    clock.advance(0.1)
    again = pipeline.collect_once(store, ReplayCollector(now=clock), config)  # a new process
    assert again.inserted == 0
    cursor = json.loads(store.get_cursor("demo"))
    assert cursor["start"] == "2026-11-20T14:00:00+00:00"


def test_a_broken_stream_file_is_reported_not_raised(tmp_path, store, config):
    bad = tmp_path / "stream.jsonl"
    bad.write_text('{"native_id": "1"\n', encoding="utf-8")
    report = pipeline.collect_once(store, ReplayCollector(bad), config)
    assert report.status == "not_configured"
    assert "line 1 is not JSON" in report.message
    with pytest.raises(NotConfigured, match="cannot be read"):
        ReplayCollector(tmp_path / "missing.jsonl").check()
