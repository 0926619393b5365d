"""The explorer's queries: search through the word index, filters, trends from the hourly
counts, share of voice, saved searches and exports — each checked against a plain reading of
the same mentions."""

import datetime as dt
import re
import zoneinfo
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analysis import tokens
from clamor import explorer, pipeline
from clamor.explorer import Filter
from clamor.store import Store
from collectors.base import Mention

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


def customer_texts(store) -> pd.DataFrame:
    return store.query_df(
        "SELECT m.id, m.text, m.created_at, coalesce(a.lang, 'und') AS lang, "
        "a.sentiment_label, a.complaint, m.matched_terms, m.matched_kinds "
        "FROM mentions m JOIN analysis a ON a.mention_id = m.id WHERE NOT m.is_own")


def frame_all(store) -> pd.DataFrame:
    return store.query_df("SELECT m.id, m.text FROM mentions m "
                          "JOIN analysis a ON a.mention_id = m.id")


@pytest.mark.parametrize("word", [
    "refund", "aerolume", "delayed", "#aerolume",
    "پرواز", "چمدان", "رحلة", "الرحلة", "ยกเลิก", "กระเป๋า", "πτήση", "καθυστέρηση",
])
def test_search_finds_exactly_the_mentions_holding_the_word(demo_store, word):
    frame = customer_texts(demo_store)
    (wanted,) = tokens.parse(word).words
    expected = {i for i, t in zip(frame["id"], frame["text"], strict=True)
                if wanted in tokens.words(t)}
    flt = Filter(text=word)
    assert explorer.count(demo_store, flt) == len(expected)
    # the one-word count (index entries less our own posts) and the general one agree
    assert explorer.count(demo_store, Filter(text=word, case_states=explorer.CASE_STATES)) \
        == len(expected)
    with_own = {i for i, t in zip(frame_all(demo_store)["id"], frame_all(demo_store)["text"],
                                  strict=True) if wanted in tokens.words(t)}
    assert explorer.count(demo_store, Filter(text=word, include_own=True)) == len(with_own)
    found = explorer.mentions(demo_store, flt, limit=10_000)
    assert set(found["id"]) == expected
    assert found["created_at"].is_monotonic_decreasing


def test_the_demo_has_something_to_find_in_every_language(demo_store):
    for word in ("refund", "پرواز", "رحلة", "ยกเลิก", "แอโรลูม", "πτήση"):
        assert explorer.count(demo_store, Filter(text=word)) > 0, word


def small_store(store, config, texts: list[str], **extra) -> list[str]:
    mentions = [Mention(source="x", native_id=str(i), text=text, author=f"@user{i % 3}",
                        author_followers=100 * (i + 1),
                        created_at=T0 + dt.timedelta(minutes=37 * i),
                        matched_terms=("Aerolume",), matched_kinds=("brand",), **extra)
                for i, text in enumerate(texts)]
    store.insert_mentions(mentions, collector="test", version="t")
    pipeline.analyse_pending(store, config)
    return [m.id for m in mentions]


def test_words_prefixes_phrases_and_exclusions(store, config):
    ids = small_store(store, config, [
        "Aerolume lost my bag in Athens",
        "my bag was lost, Aerolume",
        "Aerolume delivery of my luggage was late",
        "Aerolume delivered the bag, thanks",
        "Aerolume flight delayed again",
    ])

    def found(text):
        return set(explorer.mentions(store, Filter(text=text), limit=100)["id"])

    assert found("bag") == {ids[0], ids[1], ids[3]}
    assert found('"lost my bag"') == {ids[0]}
    assert found('"bag lost"') == set()
    assert found("bag -thanks") == {ids[0], ids[1]}
    assert found("deliver*") == {ids[2], ids[3]}
    assert found("BAG Lost") == {ids[0], ids[1]}
    assert explorer.count(store, Filter(text="nothinglikethis")) == 0


def test_filters_combine(store, config):
    ids = small_store(store, config, [
        "Aerolume where is my refund?? nobody answers",
        "love the new Aerolume lounge",
        "Aerolume refund still not here, third time asking",
    ])
    complaints = set(explorer.mentions(store, Filter(complaint=True))["id"])
    assert ids[0] in complaints and ids[1] not in complaints
    assert set(explorer.mentions(store, Filter(author="USER1"))["id"]) == {ids[1]}
    assert set(explorer.mentions(store, Filter(author="@user0", text="refund"))["id"]) \
        == {ids[0]}
    later = Filter(since=T0 + dt.timedelta(minutes=30))
    assert set(explorer.mentions(store, later)["id"]) == {ids[1], ids[2]}
    assert explorer.count(store, Filter(sources=("reddit",))) == 0
    assert explorer.count(store, Filter(languages=("en",))) == 3
    assert explorer.count(store, Filter(kinds=("competitor",))) == 0


def test_case_states_filter(demo_store):
    filed = demo_store.query_rows("SELECT count(DISTINCT f.mention_id) FROM case_mentions f "
                                  "JOIN cases c ON c.id = f.case_id "
                                  "JOIN mentions m ON m.id = f.mention_id "
                                  "WHERE NOT m.is_own")[0][0]
    total = explorer.count(demo_store, Filter())
    states = tuple(s for s in explorer.CASE_STATES if s != "none")
    assert explorer.count(demo_store, Filter(case_states=states)) == filed
    assert explorer.count(demo_store, Filter(case_states=("none",))) == total - filed
    shown = explorer.mentions(demo_store, Filter(case_states=("new",)), limit=1000)
    assert set(shown["case_status"]) <= {"new"}
    # within a period (its filings read by the period's mention numbers)
    since = demo_store.query_rows("SELECT quantile_disc(created_at, 0.5) FROM mentions")[0][0]
    plain = demo_store.query_df(
        "SELECT m.id, c.status FROM mentions m LEFT JOIN case_mentions f ON f.seq = m.seq "
        "LEFT JOIN cases c ON c.id = f.case_id WHERE NOT m.is_own AND m.created_at >= ?",
        [since])
    for wanted in (("resolved", "new"), ("none",), ("new", "none")):
        flt = Filter(case_states=wanted, since=since)
        expected = plain[plain["status"].fillna("none").isin(wanted)]
        assert 0 < len(expected) < len(plain), wanted
        assert explorer.count(demo_store, flt) == len(expected), wanted
        assert set(explorer.mentions(demo_store, flt, limit=1000)["id"]) \
            == set(expected["id"]), wanted


@pytest.mark.parametrize("states", [("new",), ("resolved", "acknowledged"), ("acknowledged",),
                                    ("none",), ("new", "none")])
@pytest.mark.parametrize("extra", [
    {}, {"text": "refund"}, {"text": "fl* -refund"}, {"languages": ("en", "fa")},
    {"complaint": True, "days": 30}, {"text": "aerolume", "sentiments": ("negative",)}])
def test_a_case_state_with_other_filters_counts_and_charts_its_mentions(demo_store, states,
                                                                         extra):
    """States join the filed mentions first, and "none" leaves out those filed in the other
    states (explorer._matching): with a search, analysis filters and a period, the count,
    trend, language mix, top authors and page are those of a plain reading of the mentions,
    their words and cases."""
    flt = Filter(case_states=states, **extra)
    plain = demo_store.query_df(
        "SELECT m.id, m.text, m.author, m.created_at, coalesce(a.lang, 'und') AS lang, "
        "a.sentiment_label, a.complaint, c.status FROM mentions m "
        "JOIN analysis a ON a.seq = m.seq LEFT JOIN case_mentions f ON f.seq = m.seq "
        "LEFT JOIN cases c ON c.id = f.case_id WHERE NOT m.is_own")
    search = flt.search
    keep = plain["status"].fillna("none").isin(states)
    keep &= np.array([all(w in words for w in search.words)
                      and all(any(w.startswith(p) for w in words) for p in search.prefixes)
                      and not any(w in words for w in search.excluded)
                      for words in (set(tokens.words(t)) for t in plain["text"])], bool)
    if flt.languages:
        keep &= plain["lang"].isin(flt.languages)
    if flt.sentiments:
        keep &= plain["sentiment_label"].isin(flt.sentiments)
    if flt.complaint is not None:
        keep &= plain["complaint"] == flt.complaint
    if flt.days:
        keep &= plain["created_at"] >= flt.period()[0]
    expected = plain[keep]
    assert len(expected) > 0 or extra, states  # (few unfiled posts hold "refund", say)
    assert explorer.count_with_complaints(demo_store, flt) \
        == (len(expected), int(expected["complaint"].sum()))
    assert explorer.trend(demo_store, flt, "day")["mentions"].sum() == len(expected)
    mix = explorer.language_mix(demo_store, flt)
    assert dict(zip(mix["lang"], mix["mentions"], strict=True)) \
        == expected.groupby("lang").size().to_dict()
    authors = explorer.top_authors(demo_store, flt, limit=1000)
    assert dict(zip(authors["author"], authors["mentions"], strict=True)) \
        == expected.groupby("author").size().to_dict()
    assert set(explorer.mentions(demo_store, flt, limit=1000)["id"]) == set(expected["id"])


def test_trends_from_the_hourly_counts_equal_the_mentions_themselves(demo_store):
    frame = customer_texts(demo_store)
    since, until = explorer.last_days(30)
    for flt in (Filter(), Filter(since=since, until=until, languages=("fa", "en")),
                Filter(complaint=True, sentiments=("negative", "unscored"))):
        assert explorer._counted_hourly(flt)
        rows = frame
        if flt.languages:
            rows = rows[rows["lang"].isin(flt.languages)]
        if flt.sentiments:
            rows = rows[rows["sentiment_label"].isin(flt.sentiments)]
        if flt.complaint:
            rows = rows[rows["complaint"]]
        if flt.since:
            rows = rows[(rows["created_at"] >= flt.since) & (rows["created_at"] < flt.until)]
        assert explorer.count(demo_store, flt) == len(rows)
        daily = explorer.trend(demo_store, flt, "day")
        expected = rows.groupby([rows["created_at"].dt.floor("D"), "sentiment_label"]).size()
        got = daily.set_index(["bucket", "sentiment_label"])["mentions"]
        assert sorted(got.to_dict().values()) == sorted(expected.to_dict().values())
        assert got.sum() == len(rows)
        mix = explorer.language_mix(demo_store, flt)
        assert dict(zip(mix["lang"], mix["mentions"], strict=True)) \
            == rows["lang"].value_counts().to_dict()


def test_a_search_trend_reads_the_mentions(demo_store):
    flt = Filter(text="refund")
    assert not explorer._counted_hourly(flt)
    weekly = explorer.trend(demo_store, flt, "week")
    assert weekly["mentions"].sum() == explorer.count(demo_store, flt)
    assert weekly["complaints"].sum() <= weekly["mentions"].sum()
    with pytest.raises(ValueError, match="grain"):
        explorer.trend(demo_store, flt, "fortnight")


def naming(frame: pd.DataFrame, terms) -> pd.Series:
    """Which of these mentions name any of `terms`."""
    return pd.Series([bool(set(t) & set(terms)) for t in frame["matched_terms"]],
                     index=frame.index)


def test_share_of_voice_compares_companies(demo_store, config):
    companies = explorer.companies(config)
    ours = companies[0]
    assert (ours.name, ours.ours) == ("Aerolume", True)
    # our brand, products, the group and our own handles are us; staff are not counted
    assert {"Aerolume", "SkyPoints", "Aerolume app", "FlexFare", "Aerolume Group",
            "@AerolumeHelp"} <= set(ours.terms)
    assert "Dana Karimi" not in ours.terms
    assert [(c.name, c.ours, c.terms) for c in companies[1:]] == [
        ("Skyvane", False, ("Skyvane",)), ("Nordhavn Air", False, ("Nordhavn Air",))]
    share = explorer.share_of_voice(demo_store, Filter(), "week", companies)
    assert set(share["company"]) == {"Aerolume", "Skyvane", "Nordhavn Air"}
    assert set(share.loc[share["ours"], "company"]) == {"Aerolume"}
    for _, bucket in share.groupby("bucket"):
        assert bucket["share"].sum() == pytest.approx(1.0)
    # each company's mentions, counted from the mentions themselves: a mention naming the
    # brand and a product (or our handle) is one mention of us
    frame = customer_texts(demo_store)
    for company in companies:
        expected = naming(frame, company.terms).sum()
        assert share.loc[share["company"] == company.name, "mentions"].sum() == expected
    several = sum(len(set(t) & set(ours.terms)) > 1 for t in frame["matched_terms"])
    assert several > 0  # the demo does name us twice in one post
    # a search reads the mentions themselves, and finds fewer
    searched = explorer.share_of_voice(demo_store, Filter(text="refund"), "week", companies)
    assert 0 < searched["mentions"].sum() < share["mentions"].sum()


def test_one_term_per_company_reads_the_hourly_counts(demo_store, config, monkeypatch):
    competitors = [c for c in explorer.companies(config) if not c.ours]
    flt = Filter()
    hourly = explorer.share_of_voice(demo_store, flt, "day", competitors)
    # the same through the mentions themselves (every case state, and none)
    everything = Filter(case_states=explorer.CASE_STATES)
    raw = explorer.share_of_voice(demo_store, everything, "day", competitors)
    pd.testing.assert_frame_equal(hourly, raw)
    # and the hourly counts were what answered the first
    monkeypatch.setattr(explorer, "_conditions", lambda *a, **k: pytest.fail("raw rows"))
    explorer.share_of_voice(demo_store, flt, "day", competitors)
    # without companies every term is its own (what `clamor bench` measures)
    per_term = explorer.share_of_voice(demo_store, flt, "day")
    assert {"Aerolume", "SkyPoints", "Skyvane"} <= set(per_term["company"])


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tehran"])
def test_without_companies_a_terms_filter_narrows_the_names_counted_on_every_path(
        demo_store, tz):
    """Each term its own company, and the filter's terms the only ones counted, whether the
    hourly counts answer or each mention is read (a mention naming Skyvane and Aerolume
    counts for Skyvane alone under a Skyvane filter, both ways)."""
    terms = ("Skyvane", "SkyPoints")
    counted = explorer.share_of_voice(demo_store, Filter(terms=terms), "day", tz=tz)
    read = explorer.share_of_voice(demo_store, Filter(terms=terms,
                                                      case_states=explorer.CASE_STATES),
                                   "day", tz=tz)
    assert set(counted["company"]) == set(terms)
    pd.testing.assert_frame_equal(counted, read)
    both = demo_store.query_rows(
        "SELECT count(*) FROM mentions WHERE NOT is_own AND list_contains(matched_terms, "
        "'Skyvane') AND len(matched_terms) > 1")[0][0]
    assert both > 0  # the demo has mentions naming Skyvane and more, which both ways skip


def test_companies_of_several_terms_read_the_hourly_term_sets(demo_store, config,
                                                             monkeypatch):
    companies = explorer.companies(config)  # ours has a dozen terms
    for tz in ("UTC", "Europe/Athens"):
        hourly = explorer.share_of_voice(demo_store, Filter(), "day", companies, tz=tz)
        raw = explorer.share_of_voice(demo_store, Filter(case_states=explorer.CASE_STATES),
                                      "day", companies, tz=tz)
        pd.testing.assert_frame_equal(hourly, raw)
        narrowed = Filter(terms=("Aerolume", "SkyPoints", "Skyvane"), complaint=True)
        pd.testing.assert_frame_equal(
            explorer.share_of_voice(demo_store, narrowed, "week", companies, tz=tz),
            explorer.share_of_voice(
                demo_store, replace(narrowed, case_states=explorer.CASE_STATES), "week",
                companies, tz=tz))
    monkeypatch.setattr(explorer, "_conditions", lambda *a, **k: pytest.fail("raw rows"))
    explorer.share_of_voice(demo_store, Filter(), "week", companies)
    # The unfiltered view reads the totals per set of terms, kept beside the broken-down ones.
    totals = "SELECT hour, terms, is_own, mentions FROM hourly_termset_totals ORDER BY ALL"
    summed = ("SELECT hour, terms, is_own, sum(mentions)::BIGINT AS mentions "
              "FROM hourly_termsets GROUP BY ALL ORDER BY ALL")
    assert demo_store.query_rows(totals) == demo_store.query_rows(summed)
    assert len(demo_store.query_rows(totals)) > 100


def mention(i, terms, kinds, text="", minutes=0):
    return Mention(source="x", native_id=f"sov{i}", text=text or f"post {i}",
                   author=f"@fan{i}", created_at=T0 + dt.timedelta(minutes=minutes),
                   matched_terms=terms, matched_kinds=kinds)


def test_a_mention_counts_once_for_each_company_it_names(store):
    from clamor.config import parse_config

    config = parse_config({
        "brand": {"name": "Aerolume"},
        "watchlist": {"terms": [
            {"term": "Aerolume", "kind": "brand"},
            {"term": "SkyPoints", "kind": "product"},
            {"term": "SkyJet", "kind": "competitor"},
            {"term": "JetPal", "kind": "competitor", "company": "SkyJet"},  # SkyJet's app
            {"term": "Nordhavn Air", "kind": "competitor"}]}})
    companies = explorer.companies(config)
    assert [(c.name, c.terms) for c in companies] == [
        ("Aerolume", ("Aerolume", "SkyPoints")), ("SkyJet", ("SkyJet", "JetPal")),
        ("Nordhavn Air", ("Nordhavn Air",))]
    store.insert_mentions([
        mention(1, ("Aerolume", "SkyPoints"), ("brand", "product")),      # us, once
        mention(2, ("SkyJet", "Nordhavn Air"), ("competitor",)),          # each, once
        mention(3, ("SkyJet", "JetPal"), ("competitor",)),                # SkyJet, once
        mention(4, ("Aerolume", "JetPal"), ("brand", "competitor")),      # us and SkyJet
    ], collector="test", version="t")
    pipeline.analyse_pending(store, config)
    share = explorer.share_of_voice(store, Filter(), "day", companies)
    assert dict(zip(share["company"], share["mentions"], strict=True)) == {
        "Aerolume": 2, "SkyJet": 3, "Nordhavn Air": 1}
    assert share["share"].sum() == pytest.approx(1.0)
    # the mentions behind SkyJet's bar: those naming any of its names
    (day,) = set(share["bucket"])
    behind = explorer.behind(Filter(), grain="day", bucket=day.to_pydatetime(),
                             terms=companies[1].terms)
    assert explorer.count(store, behind) == 3
    # the filter's terms narrow the names counted, and the mentions behind a bar
    only_app = Filter(terms=("JetPal", "Aerolume"))
    narrowed = explorer.share_of_voice(store, only_app, "day", companies)
    assert dict(zip(narrowed["company"], narrowed["mentions"], strict=True)) == {
        "Aerolume": 2, "SkyJet": 2}
    assert explorer.behind(only_app, terms=companies[1].terms).terms == ("JetPal",)
    assert explorer.share_of_voice(store, Filter(terms=("Nope",)), "day", companies).empty


TEHRAN = "Asia/Tehran"


def local_days(frame: pd.DataFrame, tz: str) -> dict:
    """Mentions per local day in zone `tz`, read plainly with pandas."""
    days = frame["created_at"].dt.tz_convert(tz).dt.floor("D", ambiguous=False,
                                                           nonexistent="shift_forward")
    return {d.tz_convert("UTC"): n for d, n in days.value_counts().items()}


@pytest.mark.parametrize("tz", ["UTC", "Europe/Athens", TEHRAN, "Asia/Kolkata",
                                "Asia/Kathmandu"])
def test_trends_count_the_analysts_local_days(demo_store, tz):
    frame = customer_texts(demo_store)
    daily = explorer.trend(demo_store, Filter(), "day", tz)
    got = daily.groupby("bucket")["mentions"].sum()
    assert {pd.Timestamp(b).tz_convert("UTC"): n for b, n in got.items()} \
        == local_days(frame, tz)
    # every bucket starts at a local midnight
    assert {pd.Timestamp(b).tz_convert(tz).strftime("%H:%M") for b in got.index} == {"00:00"}
    weekly = explorer.trend(demo_store, Filter(), "week", tz)
    assert {pd.Timestamp(b).tz_convert(tz).strftime("%a %H:%M")
            for b in weekly["bucket"]} == {"Mon 00:00"}
    assert weekly["mentions"].sum() == len(frame)
    hourly = explorer.trend(demo_store, Filter(), "hour", tz)
    assert {pd.Timestamp(b).tz_convert(tz).minute for b in hourly["bucket"]} == {0}
    assert hourly["mentions"].sum() == len(frame)


def test_half_hour_zones_read_the_hourly_quarters_and_whole_hour_zones_the_hours(
        demo_store, monkeypatch):
    assert explorer.local_hours_are_utc_hours(demo_store, Filter(), "Europe/Athens")
    assert not explorer.local_hours_are_utc_hours(demo_store, Filter(), TEHRAN)
    assert not explorer.local_hours_are_utc_hours(demo_store, Filter(), "Asia/Kolkata")
    # Caracas was -04:30 from 2007 to 2016: whole hours now, not then
    now = Filter(since=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), until=T0)
    then = Filter(since=dt.datetime(2010, 1, 1, tzinfo=dt.timezone.utc),
                  until=dt.datetime(2010, 2, 1, tzinfo=dt.timezone.utc))
    assert explorer.local_hours_are_utc_hours(demo_store, now, "America/Caracas")
    assert not explorer.local_hours_are_utc_hours(demo_store, then, "America/Caracas")
    # Tehran's midnight is 20:30 UTC: a period of Tehran days cannot be summed from hours
    zone = zoneinfo.ZoneInfo(TEHRAN)
    days = Filter(since=dt.datetime(2026, 3, 1, tzinfo=zone),
                  until=dt.datetime(2026, 3, 8, tzinfo=zone))
    assert not explorer._counted_hourly(days)
    calls = []
    real = explorer._conditions
    monkeypatch.setattr(explorer, "_conditions",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    quarters = []
    real_quarters = explorer._hourly_by_quarter
    monkeypatch.setattr(explorer, "_hourly_by_quarter",
                        lambda *a: quarters.append(1) or real_quarters(*a))
    explorer.trend(demo_store, Filter(), "day", "Europe/Athens")
    assert not calls and not quarters  # the hourly counts answered
    explorer.trend(demo_store, Filter(), "day", TEHRAN)
    assert not calls and quarters  # their quarters did
    explorer.trend(demo_store, days, "day", TEHRAN)  # Tehran days: on quarter hours
    assert not calls and len(quarters) == 2
    odd = Filter(since=dt.datetime(2026, 3, 1, 20, 31, tzinfo=dt.timezone.utc))
    explorer.trend(demo_store, odd, "day", TEHRAN)
    assert calls  # the mentions themselves did


# Rows a chart must have, more than, for a comparison to mean something: the demo's five
# days of history fall in one week from Friday afternoon to Monday (in Kathmandu, 05:45
# ahead), so a weekly chart of one series may be one row then.
_FEWEST_ROWS = {"hour": 1, "day": 1, "week": 0, "mix": 1}


@pytest.mark.parametrize("tz", [TEHRAN, "Asia/Kolkata", "Asia/Kathmandu"])
@pytest.mark.parametrize("flt", [Filter(), Filter(days=3), Filter(languages=("fa", "en")),
                                 Filter(complaint=True, sources=("x",)),
                                 Filter(sentiments=("negative",), include_own=True),
                                 Filter(terms=("Aerolume", "Skyvane", "SkyPoints")),
                                 "local days"])
def test_the_hourly_quarters_give_what_counting_each_mention_does(demo_store, config,
                                                                 monkeypatch, tz, flt):
    """In a zone off the whole hour, trends and share of voice read the hourly counts'
    quarters (migration 015, kept by the analysis pass): the same as counting mentions,
    for the zone's own days as the period too (they start on a quarter hour of UTC)."""
    companies = explorer.companies(config)
    if flt == "local days":  # the zone's last three days and today, from its midnights
        zone = zoneinfo.ZoneInfo(tz)
        today = dt.datetime.now(zone).date()
        flt = Filter(since=dt.datetime.combine(today - dt.timedelta(days=3), dt.time(), zone),
                     until=dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), zone))
        assert not explorer._counted_hourly(flt) and explorer._counted_hourly(flt, minutes=15)

    def drawn() -> list[tuple[str, pd.DataFrame]]:
        return [(grain, explorer.trend(demo_store, flt, grain, tz))
                for grain in explorer.GRAINS] \
            + [(grain, explorer.share_of_voice(demo_store, flt, grain, who, tz))
               for grain in explorer.GRAINS for who in (companies, None)] \
            + [("mix", explorer.language_mix(demo_store, flt))]  # own days: quarters

    from_quarters = drawn()
    monkeypatch.setattr(explorer, "_quarters_answer", lambda *a, **k: False)
    monkeypatch.setattr(explorer, "_counted_hourly", lambda *a, **k: False)
    from_mentions = drawn()
    for (grain, quartered), (_, counted) in zip(from_quarters, from_mentions, strict=True):
        assert len(quartered) > _FEWEST_ROWS[grain], grain
        pd.testing.assert_frame_equal(quartered, counted, check_dtype=False)


def test_the_mentions_behind_a_local_day(demo_store):
    daily = explorer.trend(demo_store, Filter(), "day", TEHRAN)
    per_day = daily.groupby("bucket")["mentions"].sum()
    for bucket, mentions in list(per_day.items())[-3:]:
        narrowed = explorer.behind(Filter(), grain="day", bucket=bucket.to_pydatetime(),
                                   tz=TEHRAN)
        assert narrowed.since.astimezone(zoneinfo.ZoneInfo(TEHRAN)).strftime("%H:%M") \
            == "00:00"
        assert narrowed.until - narrowed.since == dt.timedelta(days=1)
        assert explorer.count(demo_store, narrowed) == mentions
    # a day the clocks go back in Athens is 25 hours long
    start = dt.datetime(2026, 10, 25, tzinfo=zoneinfo.ZoneInfo("Europe/Athens"))
    assert explorer.bucket_end(start, "day", "Europe/Athens") - start \
        == dt.timedelta(hours=25)


def test_time_zone_names_are_checked():
    assert explorer.time_zone(None) == "UTC"
    assert explorer.time_zone(" Asia/Tehran ") == TEHRAN
    for bad in ("Mars/Olympus", "UTC'; DROP TABLE mentions; --", "../etc/passwd"):
        with pytest.raises(ValueError, match="unknown time zone"):
            explorer.time_zone(bad)


def test_top_authors_and_words(store, config):
    small_store(store, config, ["Aerolume refund refund #RefundNow"] * 1
                + ["Aerolume refund please #RefundNow"] * 4 + ["Aerolume great crew"] * 2)
    by_volume = explorer.top_authors(store, Filter(), "volume")
    assert by_volume["mentions"].sum() == 7
    assert by_volume["mentions"].is_monotonic_decreasing
    by_reach = explorer.top_authors(store, Filter(), "reach")
    assert by_reach["followers"].is_monotonic_decreasing
    words = explorer.top_words(store, Filter())
    assert words["word"].iloc[0] == "aerolume"
    assert "refund" in set(words["word"]) and "please" in set(words["word"])
    assert not {"the", "#refundnow"} & set(words["word"])
    tags = explorer.top_words(store, Filter(), hashtags=True)
    assert list(tags["word"]) == ["#refundnow"] and tags["mentions"].iloc[0] == 5
    # the Words view leaves out the names listened for, which every mention holds
    names = explorer.watchlist_words(config)
    without = explorer.top_words(store, Filter(), leave_out=names)
    assert "aerolume" not in set(without["word"])
    assert without.set_index("word")["mentions"].to_dict() == \
        words[words["word"] != "aerolume"].set_index("word")["mentions"].to_dict()


def test_the_words_view_leaves_out_names_where_they_stand_whole(store, config):
    names = explorer.watchlist_words(config)
    runs = {run for found in names.values() for run in found}
    assert {("aerolume",), ("ایرولوم",), ("αερολουμ",), ("aerolumehelp",), ("skyvane",),
            ("nordhavn", "air"), ("aerolume", "app")} <= runs
    # the Thai dictionary does not know the brand: its pieces are the name's run
    assert tokens.words("แอโรลูม") == ["แอ", "โร", "ลูม"]
    assert ("แอ", "โร", "ลูม") in runs
    assert not {("air",), ("app",), ("แอ",)} & runs
    small_store(store, config, [
        "Nordhavn Air lost my bag", "Nordhavn Air again, the air on board was stale",
        "@AerolumeHelp the Aerolume app crashes, the other app works",
        "แอโรลูม ทำกระเป๋าหาย", "แอโรลูม ดีเลย์อีกแล้ว", "#แอโรลูม ขอบคุณ"])
    counted = explorer.top_words(store, Filter(), limit=100, leave_out=names)
    counts = counted.set_index("word")["mentions"].to_dict()
    assert not {"nordhavn", "aerolumehelp", "แอ", "โร", "ลูม"} & set(counts)
    assert counts["air"] == 1 and counts["app"] == 1  # the words, outside the names
    assert counts["กระเป๋า"] == 1 and counts["ขอบคุณ"] == 1
    everything = explorer.top_words(store, Filter(), limit=100).set_index("word")["mentions"]
    assert everything["แอ"] == 3 and everything["air"] == 2 and everything["nordhavn"] == 2
    tags = explorer.top_words(store, Filter(), hashtags=True, leave_out=names)
    assert list(tags["word"]) == ["#แอโรลูม"]  # a tag is the writer's choice: counted


def test_saved_searches(store):
    flt = Filter(since=T0, text='refund "lost bag"', languages=("fa", "ar"), complaint=True)
    explorer.save_search(store, "ana", "Refunds in Persian and Arabic", flt)
    explorer.save_search(store, "ana", "All", Filter())
    assert explorer.saved_searches(store, "ana") == {
        "All": Filter(), "Refunds in Persian and Arabic": flt}
    assert explorer.saved_searches(store, "bob") == {}
    explorer.delete_search(store, "ana", "All")
    assert list(explorer.saved_searches(store, "ana")) == ["Refunds in Persian and Arabic"]
    with pytest.raises(ValueError, match="name"):
        explorer.save_search(store, "ana", "  ", flt)
    assert Filter.from_json('{"text": "x", "from_the_future": 1}') == Filter(text="x")


@pytest.mark.parametrize("fmt", explorer.EXPORT_FORMATS)
def test_export_writes_the_filtered_mentions_in_chunks(demo_store, tmp_path, fmt,
                                                       monkeypatch):
    monkeypatch.setattr(explorer, "EXPORT_CHUNK", 7)
    flt = Filter(languages=("fa", "ar"))
    seen = []
    path = tmp_path / f"out.{fmt}"
    written = explorer.export(demo_store, flt, fmt, path, lambda done, total: seen.append(
        (done, total)))
    expected = explorer.count(demo_store, flt)
    assert written == expected > 7
    assert seen[-1] == (expected, expected) and len(seen) >= expected // 7
    frame = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    assert len(frame) == expected and frame["id"].is_unique
    assert set(frame["lang"]) <= {"fa", "ar"}
    texts = dict(demo_store.query_rows("SELECT id, text FROM mentions"))
    for i, text in zip(frame["id"], frame["text"], strict=True):
        if fmt == "csv" and texts[i].startswith(("=", "+", "-", "@")):
            assert text == "'" + texts[i]  # a spreadsheet must not run it as a formula
        else:
            assert text == texts[i]
    # each post's case and its state, as filed
    filed = {i: (case, status) for i, case, status in demo_store.query_rows(
        "SELECT f.mention_id, f.case_id, c.status FROM case_mentions f "
        "JOIN cases c ON c.id = f.case_id")}
    got = {i: (None if pd.isna(case) else case, None if pd.isna(status) else status)
           for i, case, status in zip(frame["id"], frame["case_id"], frame["case_status"],
                                      strict=True)}
    assert got == {i: filed.get(i, (None, None)) for i in frame["id"]}
    assert sum(case is not None for case, _ in got.values()) > 7
    assert pd.to_datetime(frame["created_at"], utc=True).is_monotonic_increasing


def test_an_empty_export_still_has_its_columns(store, tmp_path):
    path = tmp_path / "none.csv"
    assert explorer.export(store, Filter(text="nothing"), "csv", path) == 0
    assert "text" in pd.read_csv(path).columns


def test_mentions_analysed_before_the_index_existed_are_indexed_once(store, config):
    ids = small_store(store, config, ["Aerolume lost my bag", "Aerolume refund"])
    # as a database upgraded from before the index: words missing, backfill pending
    with store.transaction() as con:
        con.execute("DELETE FROM search_words")
        con.execute("DELETE FROM search_recent")
        con.execute("INSERT INTO search_backfill VALUES (0)")
    assert explorer.count(store, Filter(text="bag")) == 0
    assert pipeline.index_earlier_mentions(store) == 2
    assert set(explorer.mentions(store, Filter(text="bag"))["id"]) == {ids[0]}
    assert pipeline.index_earlier_mentions(store) == 0


def test_compacting_the_index_keeps_every_word(demo_store):
    before = explorer.count(demo_store, Filter(text="refund"))
    entries = demo_store.query_rows("SELECT (SELECT count(*) FROM search_words) + "
                                    "(SELECT count(*) FROM search_recent)")[0][0]
    assert demo_store.compact_search_words() == entries
    assert demo_store.query_rows("SELECT count(*) FROM search_recent")[0][0] == 0
    assert explorer.count(demo_store, Filter(text="refund")) == before


def test_csv_cells_a_spreadsheet_would_run_are_quoted(store, config, tmp_path):
    texts = ['=HYPERLINK("http://evil.example","Aerolume refund")',
             "@Aerolume where is my bag", "Aerolume -1 stars"]
    small_store(store, config, texts)
    explorer.export(store, Filter(), "csv", tmp_path / "x.csv")
    explorer.export(store, Filter(), "parquet", tmp_path / "x.parquet")
    assert set(pd.read_csv(tmp_path / "x.csv")["text"]) == {
        "'" + texts[0], "'" + texts[1], texts[2]}
    assert set(pd.read_parquet(tmp_path / "x.parquet")["text"]) == set(texts)


def test_term_counts_from_the_hourly_counts_and_from_the_mentions_agree(demo_store, config):
    term_kinds = explorer.term_kinds(config)
    assert term_kinds["@AerolumeHelp"] == "brand"  # our own handle names the brand
    counted = explorer.term_counts(demo_store, Filter(), term_kinds)
    assert counted["mentions"].is_monotonic_decreasing
    frame = customer_texts(demo_store)
    for row in counted.itertuples():
        named = [row.term in set(terms) for terms in frame["matched_terms"]]
        assert row.mentions == sum(named), row.term
        assert row.kind == term_kinds[row.term]  # every tagged term has its kind
    # the same through the mentions themselves: a case-state filter (every state, and none)
    # cannot use the hourly counts
    everything = Filter(case_states=explorer.CASE_STATES)
    assert not explorer._counted_hourly(everything, by_term=True)
    raw = explorer.term_counts(demo_store, everything, term_kinds)
    pd.testing.assert_frame_equal(raw, counted)


@pytest.mark.parametrize("flt", [
    Filter(), Filter(days=7), Filter(languages=("fa",), complaint=False), Filter(complaint=True),
    Filter(text="refund"), Filter(text='"a refund"'), Filter(text="refund -\"the app\""),
    Filter(kinds=("competitor",)), Filter(case_states=("resolved", "none")),
    Filter(text="پرواز", sentiments=("negative",)), Filter(include_own=True, text="sorry"),
    Filter(since=dt.datetime(2026, 11, 20, tzinfo=zoneinfo.ZoneInfo("Asia/Tehran")),
           until=dt.datetime(2026, 11, 27, tzinfo=zoneinfo.ZoneInfo("Asia/Tehran")))])
def test_the_page_counts_matches_and_their_complaints_in_one_pass(demo_store, flt):
    """The Explore page's two figures from one query are the two counts they replaced
    (none of the non-complaints are complaints)."""
    both = explorer.count_with_complaints(demo_store, flt)
    complaints = 0 if flt.complaint is False else \
        explorer.count(demo_store, explorer.behind(flt, complaint=True))
    assert both == (explorer.count(demo_store, flt), complaints)
    assert both[1] <= both[0]
    assert both[0] > 0 or flt.text == "sorry"


@pytest.mark.parametrize("text", ["refund", "fl*", "aerolume flight", "del* -refund",
                                  "refund fl*", "پرواز", "zzzz*"])
@pytest.mark.parametrize("prefix_words", [explorer.PREFIX_WORDS, 0])
def test_a_search_counts_and_charts_exactly_its_mentions(demo_store, monkeypatch, text,
                                                         prefix_words):
    """A search's count, trend and language mix (mentions and analysis narrowed to the
    search's first word before they are joined; a prefix looked up as the words it begins,
    or as a range of words where it begins more than PREFIX_WORDS) equal a count of the
    mentions whose words match, read plainly."""
    monkeypatch.setattr(explorer, "PREFIX_WORDS", prefix_words)
    search = tokens.parse(text)
    frame = customer_texts(demo_store)
    held = [set(tokens.words(t)) for t in frame["text"]]
    keep = [all(w in words for w in search.words)
            and all(any(w.startswith(p) for w in words) for p in search.prefixes)
            and not any(w in words for w in search.excluded) for words in held]
    rows = frame[keep]
    since, _ = explorer.last_days(30)
    for flt in (Filter(text=text), Filter(text=text, since=since),
                Filter(text=text, sentiments=("negative", "neutral"))):
        expected = rows[rows["created_at"] >= since] if flt.since else rows
        if flt.sentiments:
            expected = expected[expected["sentiment_label"].isin(flt.sentiments)]
        assert explorer.count(demo_store, flt) == len(expected), flt
        mix = explorer.language_mix(demo_store, flt)
        assert dict(zip(mix["lang"], mix["mentions"], strict=True)) \
            == expected.groupby("lang").size().to_dict(), flt
        trend = explorer.trend(demo_store, flt, "day")
        assert trend["mentions"].sum() == len(expected)
        assert trend.groupby("sentiment_label")["mentions"].sum().to_dict() \
            == expected.groupby("sentiment_label").size().to_dict(), flt
        assert trend["complaints"].sum() == int(expected["complaint"].sum())
    if text == "zzzz*":
        assert rows.empty
    else:
        assert not rows.empty, "the demo holds mentions to find"


def _holds(text: str, phrase: str) -> bool:
    """Whether a text holds an (ASCII) phrase: its words in order, apart by anything but
    letters and digits, and not inside a longer word."""
    words = r"[\W_]+".join(map(re.escape, phrase.split()))
    return re.search(rf"(?<![^\W_]){words}(?![^\W_])", text.lower()) is not None


@pytest.mark.parametrize("text, wanted", [
    ('"a refund"', lambda t: _holds(t, "a refund")),
    ("a", lambda t: _holds(t, "a")),
    ('flight -a', lambda t: "flight" in tokens.words(t) and not _holds(t, "a")),
    ('aerolume -"the app"', lambda t: "aerolume" in tokens.words(t) and not _holds(t, "the app")),
    ('"I paid"', lambda t: _holds(t, "i paid")),
])
def test_a_search_finds_words_the_index_does_not_hold(demo_store, text, wanted):
    """"a", "I": words the index leaves out are found in the text (they used to find
    nothing, so `"a refund"` found no mention), and a phrase left out leaves out the
    mentions holding it, not every mention holding one of its words."""
    frame = customer_texts(demo_store)
    expected = set(frame.loc[[wanted(t) for t in frame["text"]], "id"])
    assert 0 < len(expected) < len(frame)
    flt = Filter(text=text)
    assert explorer.count(demo_store, flt) == len(expected)
    assert set(explorer.mentions(demo_store, flt, limit=len(frame))["id"]) == expected
    authors = explorer.top_authors(demo_store, flt, limit=len(frame))
    assert authors["mentions"].sum() == len(frame.loc[frame["id"].isin(expected)].merge(
        demo_store.query_df("SELECT id FROM mentions WHERE author IS NOT NULL"), on="id"))


@pytest.mark.parametrize("tz", [TEHRAN, "Asia/Kathmandu", "America/St_Johns"])
def test_counting_by_quarter_hours_gives_what_counting_each_mention_does(demo_store, config,
                                                                         monkeypatch, tz):
    """Trends and share of voice in a zone off the whole hour count mentions per quarter of
    an hour of UTC, then quarters per local bucket; where a zone's offset was not a whole
    number of quarters, each mention's bucket is worked out: both give the same."""
    companies = explorer.companies(config)
    flt = Filter(text="aerolume")  # (not answered by the hourly counts)
    by_quarter = [explorer.trend(demo_store, flt, grain, tz) for grain in explorer.GRAINS] \
        + [explorer.share_of_voice(demo_store, flt, grain, companies, tz)
           for grain in explorer.GRAINS]
    grains = [*explorer.GRAINS, *explorer.GRAINS]
    real = explorer._local_times_start_on
    monkeypatch.setattr(explorer, "_local_times_start_on",
                        lambda store, f, zone, minutes: minutes != 15 and real(store, f, zone,
                                                                               minutes))
    by_mention = [explorer.trend(demo_store, flt, grain, tz) for grain in explorer.GRAINS] \
        + [explorer.share_of_voice(demo_store, flt, grain, companies, tz)
           for grain in explorer.GRAINS]
    for grain, quartered, counted in zip(grains, by_quarter, by_mention, strict=True):
        assert len(quartered) > _FEWEST_ROWS[grain], grain
        pd.testing.assert_frame_equal(quartered, counted)


def test_an_author_is_found_as_written_in_greek_and_turkish_capitals(store, config):
    """Python and DuckDB lower "İ" and a closing "Σ" differently: the filter lowers both
    sides in DuckDB, so a name copied as shown finds itself, and a Greek name typed with
    its final "ς" finds it in capitals."""
    authors = ["ΑΕΡΟΠΟΡΙΚΕΣ ΕΙΔΗΣΕΙΣ", "İSTANBUL HAVA", "Οδυσσέας Π.", "@user0"]
    mentions = [Mention(source="feeds", native_id=str(i), text=f"Aerolume news {i}",
                        author=author, created_at=T0 + dt.timedelta(minutes=i),
                        matched_terms=("Aerolume",), matched_kinds=("brand",))
                for i, author in enumerate(authors)]
    store.insert_mentions(mentions, collector="test", version="t")
    pipeline.analyse_pending(store, config)
    for typed, wanted in [("ΑΕΡΟΠΟΡΙΚΕΣ ΕΙΔΗΣΕΙΣ", 0), ("Αεροπορικές ειδήσεις", None),
                          ("αεροπορικες ειδησεις", 0), ("İSTANBUL HAVA", 1),
                          ("ΟΔΥΣΣΈΑΣ Π.", 2), ("οδυσσέας π.", 2), ("USER0", 3)]:
        found = set(explorer.mentions(store, Filter(author=typed))["id"])
        assert found == ({mentions[wanted].id} if wanted is not None else set()), typed
        assert explorer.count(store, Filter(author=typed)) == len(found), typed
    # a click on a top author shows that author's mentions
    for row in explorer.top_authors(store, Filter()).itertuples():
        assert explorer.count(store, explorer.behind(Filter(), author=row.author)) \
            == row.mentions, row.author


def test_kind_and_author_filters_equal_a_plain_reading(demo_store):
    frame = customer_texts(demo_store).merge(
        demo_store.query_df("SELECT id, author FROM mentions"), on="id")
    for kinds in (("competitor",), ("product", "staff"), ("brand", "company", "competitor")):
        expected = frame[[bool(set(k) & set(kinds)) for k in frame["matched_kinds"]]]
        assert 0 < len(expected) < len(frame), kinds
        assert explorer.count(demo_store, Filter(kinds=kinds)) == len(expected), kinds
    authors = frame["author"].dropna()
    x_handle = authors[authors.str.startswith("@")].value_counts().index[0]
    others = authors[~authors.str.startswith("@")]
    for typed, stored in [(x_handle, x_handle), (x_handle.upper(), x_handle),
                          (x_handle.lstrip("@"), x_handle),
                          *([(others.iloc[0].upper(), others.iloc[0])] if len(others) else [])]:
        expected = frame[frame["author"].str.lower() == stored.lower()]
        assert len(expected) > 0
        assert explorer.count(demo_store, Filter(author=typed)) == len(expected), typed
        assert set(explorer.mentions(demo_store, Filter(author=typed), limit=500)["id"]) \
            == set(expected["id"]), typed


@pytest.mark.parametrize("flt", [Filter(), Filter(text="aerolume"), Filter(kinds=("brand",)),
                                 Filter(languages=("fa", "en")), Filter(complaint=True),
                                 Filter(text='"the app"')])
def test_top_authors_equal_a_plain_reading(demo_store, flt):
    """Top authors, found from their mentions first then joined to their analysis (or, with
    a filter on the analysis, all at once; or, for a phrase, from the matches kept from the
    first pass), equal a plain count per author."""
    frame = demo_store.query_df(
        "SELECT m.id, m.author, m.source, m.author_followers, m.matched_kinds, m.text, "
        "a.lang, a.complaint, a.sentiment_label FROM mentions m "
        "LEFT JOIN analysis a ON a.seq = m.seq WHERE NOT m.is_own AND m.author IS NOT NULL")
    keep = [set(tokens.words(t)) >= set(flt.search.words) for t in frame["text"]]
    for phrase in flt.search.phrases:  # ASCII words here: apart by anything but letters
        pattern = re.compile(r"(?<![^\W_])" + r"[\W_]+".join(phrase) + r"(?![^\W_])")
        keep = [k and bool(pattern.search(t.lower()))
                for k, t in zip(keep, frame["text"], strict=True)]
    if flt.kinds:
        keep = [k and bool(set(kinds) & set(flt.kinds))
                for k, kinds in zip(keep, frame["matched_kinds"], strict=True)]
    rows = frame[keep]
    if flt.languages:
        rows = rows[rows["lang"].isin(flt.languages)]
    if flt.complaint:
        rows = rows[rows["complaint"].fillna(False).astype(bool)]
    expected = {(a, s, len(g), g["author_followers"].max(),
                 int(g["complaint"].fillna(False).astype(bool).sum()),
                 int((g["sentiment_label"] == "negative").sum()))
                for (a, s), g in rows.groupby(["author", "source"])}
    assert len(expected) > 3
    for by in ("volume", "reach"):
        got = explorer.top_authors(demo_store, flt, by, limit=100_000)
        assert set(got.itertuples(index=False, name=None)) == expected, by
        top = explorer.top_authors(demo_store, flt, by, limit=3)
        assert list(top.itertuples(index=False, name=None)) \
            == list(got.head(3).itertuples(index=False, name=None)), by


def test_a_store_made_before_the_hourly_quarters_gets_them(demo_db):
    """Migration 015 on an embedded store: the hourly counts get their quarters of the
    hour, counted again from the mentions, and Tehran's days add up."""
    from tests.conftest import QUARTERS, QUARTERS_OF_MENTIONS

    old = Store(demo_db)
    with old.transaction() as con:
        for undo in QUARTERS:
            con.execute(undo)
        con.execute("DELETE FROM schema_migrations WHERE version = 15")
    old.close()
    upgraded = Store(demo_db)
    try:
        expected = upgraded.query_rows(QUARTERS_OF_MENTIONS)
        assert min(expected[0]) > 0
        for table in ("hourly_mentions", "hourly_termsets", "hourly_termset_totals"):
            assert upgraded.query_rows(
                f"SELECT sum(q1), sum(q2), sum(q3) FROM {table}") == expected, table
        got = explorer.trend(upgraded, Filter(), "day", TEHRAN).groupby("bucket")["mentions"]
        assert {pd.Timestamp(b).tz_convert("UTC"): n for b, n in got.sum().items()} \
            == local_days(customer_texts(upgraded), TEHRAN)
    finally:
        upgraded.close()


def test_hours_counted_in_a_zone_off_the_hour_before_015_are_counted_again(demo_db):
    """A store whose hourly counts began at :30 UTC (made on a server set to Tehran time,
    before the store worked in UTC) gets them counted again on UTC hours by migration 015,
    with their quarters."""
    from tests.conftest import QUARTERS, QUARTERS_OF_MENTIONS

    old = Store(demo_db)
    per_hour = "SELECT hour, sum(mentions) FROM hourly_mentions GROUP BY ALL ORDER BY ALL"
    right = old.query_rows(per_hour)
    with old.transaction() as con:
        for undo in QUARTERS:
            con.execute(undo)
        for table in ("hourly_mentions", "hourly_terms", "hourly_termsets",
                      "hourly_termset_totals"):
            con.execute(f"UPDATE {table} SET hour = hour - INTERVAL 30 MINUTE")
        con.execute("DELETE FROM schema_migrations WHERE version = 15")
    old.close()
    upgraded = Store(demo_db)
    try:
        assert upgraded.query_rows(per_hour) == right
        assert upgraded.query_rows("SELECT sum(q1), sum(q2), sum(q3) FROM hourly_mentions") \
            == upgraded.query_rows(QUARTERS_OF_MENTIONS)
    finally:
        upgraded.close()
