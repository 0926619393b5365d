"""The Explore charts' time labels: in the analyst's zone, in time order, and back to the
instant a clicked label stands for."""

import datetime as dt

import pandas as pd

from clamor.charts import labelled, picked

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
