"""The Explore charts' time labels: in the analyst's zone, in time order, and back to the
instant a clicked label stands for; and each language's colour, the same on every chart."""

import datetime as dt

import pandas as pd

from clamor.charts import LANGUAGE_COLORS, SENTIMENT, labelled, language_scale, picked

UTC = dt.timezone.utc


def test_the_hour_that_repeats_when_the_clocks_go_back_gets_two_labels():
    # 25 October 2026: London's clocks go back at 02:00 BST, so 01:00 comes twice.
    buckets = [dt.datetime(2026, 10, 25, h, tzinfo=UTC) for h in (1, 0, 2)]
    data = pd.DataFrame({"bucket": buckets, "mentions": [2, 1, 3]})
    shown, back, order = labelled(data, "hour", "Europe/London")
    assert order == ["2026-10-25 01:00 (BST)", "2026-10-25 01:00 (GMT)",
                     "2026-10-25 02:00 (GMT)"]
    assert shown["label"].tolist() == [order[1], order[0], order[2]]
    assert [back[label] for label in order] == sorted(buckets)


def test_days_in_tehran_are_tehran_days_and_lead_back_to_their_instant():
    start = dt.datetime(2026, 11, 20, 20, 30, tzinfo=UTC)  # Tehran's midnight
    data = pd.DataFrame({"bucket": [start, start + dt.timedelta(days=1)]})
    shown, back, order = labelled(data, "day", "Asia/Tehran")
    assert order == ["2026-11-21", "2026-11-22"]
    assert back["2026-11-21"] == start


def test_the_first_clicked_mark_or_none():
    assert picked({"selection": {"pick": [{"lang": "fa"}, {"lang": "ar"}]}}, "pick") == \
        {"lang": "fa"}
    assert picked({"selection": {"pick": []}}, "pick") is None
    assert picked(None, "pick") is None


def test_each_language_keeps_its_colour_whatever_else_a_chart_holds():
    alone = language_scale(["Thai"])
    mixed = language_scale(["Thai", "English", "Greek", "Thai"])
    assert alone.range == [LANGUAGE_COLORS["Thai"]]
    assert dict(zip(mixed.domain, mixed.range, strict=True)) == {
        name: LANGUAGE_COLORS[name] for name in ("English", "Greek", "Thai")}
    # languages beyond the five get spare colours, none a sentiment's or another's
    more = language_scale(["Turkish", "Russian", "English"])
    colours = dict(zip(more.domain, more.range, strict=True))
    assert len(set(colours.values())) == 3
    assert not set(colours.values()) & set(SENTIMENT.range)
    assert not set(colours.values()) & (set(LANGUAGE_COLORS.values()) - {colours["English"]})
