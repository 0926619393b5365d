"""The explorer's queries: search through the word index, filters, trends from the hourly
counts, share of voice, saved searches and exports — each checked against a plain reading of
the same mentions."""

import datetime as dt

import pandas as pd
import pytest

from analysis import tokens
from clamor import explorer, pipeline
from clamor.explorer import Filter
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


def test_share_of_voice(demo_store, config):
    term_kinds = {t.term: t.kind for t in config.watchlist.terms}
    share = explorer.share_of_voice(demo_store, Filter(), "week", term_kinds=term_kinds)
    assert {"Aerolume", "Skyvane", "Nordhavn Air"} <= set(share["term"])
    assert set(share["kind"]) == {"brand", "competitor"}
    for _, bucket in share.groupby("bucket"):
        assert bucket["share"].sum() == pytest.approx(1.0)
    # each term's mentions, counted from the mentions themselves
    frame = customer_texts(demo_store)
    for term in ("Aerolume", "Skyvane"):
        expected = sum(term in set(terms) for terms in frame["matched_terms"])
        assert share.loc[share["term"] == term, "mentions"].sum() == expected
    # the mentions themselves (a search) and the hourly counts agree
    searched = explorer.share_of_voice(demo_store, Filter(text="aerolume"), "week",
                                       term_kinds=term_kinds)
    assert not explorer._counted_hourly(Filter(text="aerolume"), by_term=True)
    assert searched["mentions"].sum() <= share["mentions"].sum()
    mixed = "Aerolume app"  # a product: a mention naming it and a competitor counts once each
    assert mixed not in set(share["term"])


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
