"""The agents' inbox: what is unanswered, in what order, and what answering does."""

import datetime as dt

import pandas as pd
import pytest

from clamor import actions, queries
from clamor.queries import InboxFilter


def test_complaints_come_first_and_own_posts_never_appear(demo_store):
    frame = queries.inbox(demo_store, InboxFilter(limit=500))
    assert not frame.empty
    flags = frame["complaint"].tolist()
    assert flags == sorted(flags, reverse=True), "a non-complaint ranked above a complaint"
    assert not frame["author"].str.contains("AerolumeHelp|Aerolume_Official").any()


def test_a_case_answered_or_a_message_erased_while_the_inbox_is_read_is_drawn_whole(
        demo_store, monkeypatch):
    """Another agent answers the top case, and a manager erases the next one's message,
    between the inbox's ranking and its reading of the shown rows (as under load): each
    shown row keeps the message it was ranked by, and no row lacks its message."""
    before = queries.inbox(demo_store)
    answered, erased = before.iloc[0], before.iloc[1]
    ranking = demo_store.query_arrow
    meanwhile = []

    def query_arrow(sql, params=None, **tables):
        out = ranking(sql, params, **tables)
        if not meanwhile and "FROM cases c" in sql:  # right after the ranking query
            meanwhile.append(True)
            actions.respond(demo_store, answered["id"], actor="Tom Reid", reply_text="on it")
            demo_store.con.execute("DELETE FROM mentions WHERE id = ?", [erased["id"]])
        return out

    monkeypatch.setattr(demo_store, "query_arrow", query_arrow)
    frame = queries.inbox(demo_store)
    assert meanwhile
    assert frame["text"].notna().all() and frame["matched_kinds"].notna().all()
    assert erased["id"] not in set(frame["id"])
    shown = frame.set_index("case_id")
    assert shown.loc[answered["case_id"], "id"] == answered["id"]
    assert len(frame) == len(before) - 1


def test_the_inbox_holds_all_five_languages(demo_store):
    langs = set(queries.inbox(demo_store, InboxFilter(limit=1000))["lang"])
    assert {"en", "fa", "ar", "th", "el"} <= langs


def test_posts_the_brand_already_answered_on_the_platform_are_not_in_the_inbox(demo_store):
    answered = demo_store.query_rows(
        "SELECT DISTINCT in_reply_to FROM mentions WHERE is_own AND in_reply_to IS NOT NULL")
    assert answered
    inbox_ids = set(queries.inbox(demo_store, InboxFilter(limit=1000))["id"])
    assert not inbox_ids & {a for (a,) in answered}
    some = answered[0][0]
    assert queries.first_response(demo_store, some) is not None


@pytest.mark.parametrize("flt, column, allowed", [
    (InboxFilter(languages=("fa", "ar")), "lang", {"fa", "ar"}),
    (InboxFilter(sources=("reddit",)), "source", {"reddit"}),
    (InboxFilter(complaints_only=True), "complaint", {True}),
])
def test_filters(demo_store, flt, column, allowed):
    frame = queries.inbox(demo_store, flt)
    assert not frame.empty and set(frame[column]) <= allowed


def test_kind_filter_keeps_staff_mentions(demo_store):
    frame = queries.inbox(demo_store, InboxFilter(kinds=("staff",)))
    assert not frame.empty
    assert all("staff" in kinds for kinds in frame["matched_kinds"])


def test_posts_about_competitors_only_never_reach_the_inbox(demo_store):
    theirs = {i for (i,) in demo_store.query_rows(
        "SELECT id FROM mentions WHERE list_has_all(['competitor'], matched_kinds) "
        "AND len(matched_kinds) > 0")}
    assert len(theirs) >= 25, "the demo listens to competitors in all five languages"
    filed = {i for (i,) in demo_store.query_rows(
        "SELECT mention_id FROM case_mentions WHERE role = 'customer'")}
    assert not theirs & filed, "a post naming only competitors opened or joined a case"
    # The reply under a competitor's post that names nobody goes with its thread.
    (reply,) = demo_store.query_rows("SELECT id FROM mentions WHERE native_id = 'en-0115'")[0]
    assert reply not in filed
    inbox = queries.inbox(demo_store, InboxFilter(limit=5000))
    assert not theirs & set(inbox["id"])
    # Naming us and a competitor is ours: the filter finds those cases.
    both = queries.inbox(demo_store, InboxFilter(kinds=("competitor",), limit=5000))
    assert len(both) >= 5
    assert all("competitor" in kinds and len(kinds) > 1 for kinds in both["matched_kinds"])


def test_responding_takes_a_mention_out_and_sets_its_first_response(demo_store):
    persian = queries.inbox(demo_store, InboxFilter(languages=("fa",), complaints_only=True))
    target = persian.iloc[0]["id"]
    before = queries.inbox_count(demo_store)
    at = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
    case = actions.respond(demo_store, target, actor="Sara", reply_text="سلام، پیگیری می‌کنیم",
                           template_id="fa-acknowledge", at=at)
    assert case.startswith("C-")
    assert queries.inbox_count(demo_store) == before - 1
    assert target not in set(queries.inbox(demo_store, InboxFilter(limit=1000))["id"])
    assert queries.first_response(demo_store, target) == at
    log = queries.events(demo_store, target)
    log = log[log["actor"] == "Sara"]
    assert log[["kind", "template_id", "before_value", "after_value"]].fillna("").values.tolist() \
        == [["responded", "fa-acknowledge", "", ""], ["status", "", "new", "acknowledged"]]
    assert queries.mention(demo_store, target)["case_status"] == "acknowledged"


def test_ignoring_needs_a_reason_and_an_actor(demo_store):
    target = queries.inbox(demo_store).iloc[0]["id"]
    with pytest.raises(actions.ActionRefused, match="say who you are"):
        actions.ignore(demo_store, target, actor=" ", reason="spam")
    with pytest.raises(actions.ActionRefused, match="say why"):
        actions.ignore(demo_store, target, actor="Sara", reason="")
    actions.ignore(demo_store, target, actor="Sara", reason="spam")
    assert queries.mention(demo_store, target)["case_status"] == "ignored"
    assert queries.first_response(demo_store, target) is None  # ignoring is no response


def test_the_same_mention_keeps_one_case(demo_store):
    target = queries.inbox(demo_store).iloc[0]["id"]
    first = actions.case_id(demo_store, target)
    assert actions.respond(demo_store, target, actor="Sara", reply_text="hi") == first


def test_the_brands_own_post_cannot_be_answered(demo_store):
    own = demo_store.query_rows("SELECT id FROM mentions WHERE is_own LIMIT 1")[0][0]
    with pytest.raises(actions.ActionRefused, match="company's own"):
        actions.respond(demo_store, own, actor="Sara", reply_text="hi")


def test_thread_shows_the_conversation_in_order(demo_store):
    reply = demo_store.query_rows(
        "SELECT id, in_reply_to FROM mentions WHERE is_own AND in_reply_to IS NOT NULL LIMIT 1")
    own_id, parent = reply[0]
    thread = queries.thread(demo_store, parent)
    assert {own_id, parent} <= set(thread["id"])
    assert thread["created_at"].is_monotonic_increasing


def test_thread_read_by_time_and_key_is_the_whole_conversation(demo_store):
    """The panel's thread (read by time window and key, not by scanning every mention) is,
    for every mention of the demo, its root, its parent, its replies and its conversation:
    the demo's conversations all lie within queries.THREAD_DAYS."""
    whole = """
        WITH target AS (SELECT id, in_reply_to, coalesce(conversation_id, id) AS conv
                        FROM mentions WHERE id = ?)
        SELECT m.id FROM mentions m, target t
        WHERE coalesce(m.conversation_id, m.id) = t.conv OR m.id = t.in_reply_to
           OR m.in_reply_to = t.id OR m.id = t.conv
        ORDER BY m.created_at, m.id"""
    ids = [r[0] for r in demo_store.query_rows(
        "SELECT id FROM mentions WHERE conversation_id IS NOT NULL OR in_reply_to IS NOT NULL "
        "OR id IN (SELECT conversation_id FROM mentions) ORDER BY id")]
    assert len(ids) > 20
    for mention_id in ids:
        shown = queries.thread(demo_store, mention_id)
        assert shown["id"].tolist() == [r[0] for r in demo_store.query_rows(whole, [mention_id])]
        assert shown["lang"].notna().all(), "each with its language"
    assert queries.thread(demo_store, "no-such-mention").empty


def test_thread_shows_a_month_either_side_and_the_root_and_parent_whenever(store):
    """The window is bounded on both sides (an old message must not read every post since);
    its root and its parent are found by key however old they are."""
    from collectors.base import Mention

    at = dt.datetime(2026, 6, 1, 12, tzinfo=dt.timezone.utc)
    month = dt.timedelta(days=queries.THREAD_DAYS)
    hour = dt.timedelta(hours=1)

    def post(native, when, parent="root"):
        return Mention(source="x", native_id=native, author="@sara", author_followers=10,
                       text=f"Aerolume {native}", created_at=when, in_reply_to=parent,
                       conversation_id=None if native == "root" else "root")

    posts = [post("root", at - 3 * month, parent=None), post("parent", at - 2 * month),
             post("before-out", at - month - hour), post("before-in", at - month + hour),
             post("asked", at, parent="parent"), post("after-in", at + month - hour),
             post("after-out", at + month + hour), post("answer-late", at + month + hour,
                                                        parent="asked")]
    store.insert_mentions(posts, collector="t", version="1")
    shown = queries.thread(store, "x:asked")["id"].tolist()
    assert shown == ["x:root", "x:parent", "x:before-in", "x:asked", "x:after-in"]


class Platform:
    """Stands in for X's or Reddit's posting endpoint (recorded exchanges of the real ones
    are replayed in the collectors' own tests); records what it was asked to send."""

    def __init__(self, fail: str | None = None):
        self.sent = []
        self.fail = fail

    def __call__(self, native_id, text, dry_run):
        if self.fail:
            raise RuntimeError(self.fail)
        if dry_run:
            return {"would_send": {"in_reply_to": native_id, "text": text}}
        self.sent.append((native_id, text))
        return {"platform_id": "1999"}


def test_posting_a_reply_is_audited_and_counts_as_the_response(demo_store):
    target = queries.inbox(demo_store).iloc[0]
    platform = Platform()
    preview = actions.post_reply(demo_store, target["id"], actor="Sara", text="On it!",
                                 poster=platform, dry_run=True)
    assert preview["would_send"]["text"] == "On it!" and platform.sent == []
    assert queries.first_response(demo_store, target["id"]) is None  # a preview is no answer
    actions.post_reply(demo_store, target["id"], actor="Sara", text="On it!", poster=platform,
                       dry_run=False, template_id="en-acknowledge")
    native = target["id"].split(":", 1)[1]
    assert platform.sent == [(native, "On it!")]
    assert queries.first_response(demo_store, target["id"]) is not None
    audit = demo_store.query_rows(
        "SELECT outcome, dry_run, platform_id FROM posted_replies ORDER BY id")
    assert audit == [("dry run", True, None), ("sent", False, "1999")]
    log = queries.events(demo_store, target["id"])
    assert log[log["kind"] == "responded"]["note"].tolist() == \
        [f"posted on {target['source']} as 1999"]


def test_a_refused_post_is_recorded_and_the_mention_stays_unanswered(demo_store):
    target = queries.inbox(demo_store).iloc[0]
    with pytest.raises(actions.ActionRefused, match="did not take the reply: duplicate content"):
        actions.post_reply(demo_store, target["id"], actor="Sara", text="On it!",
                           poster=Platform(fail="duplicate content"), dry_run=False)
    assert demo_store.query_rows("SELECT outcome FROM posted_replies") == [
        ("failed: duplicate content",)]
    assert target["id"] in set(queries.inbox(demo_store, InboxFilter(limit=1000))["id"])


def test_a_customer_who_writes_again_moves_up(store, config):
    from analysis.priority import urgency
    from clamor import pipeline
    from collectors.base import Mention

    t0 = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)

    def post(n, author, minutes):
        return Mention(source="x", native_id=str(n), author=author, author_followers=100,
                       text="@AerolumeHelp my refund still has not arrived, any news?",
                       created_at=t0 + dt.timedelta(minutes=minutes))

    mentions = [post(1, "@patient", 0), post(2, "@insistent", 5), post(3, "@insistent", 30),
                post(4, "@insistent", 60)]
    kept, own, _ = pipeline.prepare(mentions, config)
    store.insert_mentions(kept, own=own, collector="t", version="1")
    pipeline.analyse_pending(store, config)
    frame = queries.inbox(store).set_index("id")
    # One row per case, showing the customer's newest message.
    assert set(frame.index) == {"x:1", "x:4"}
    assert frame.loc["x:4", "messages_waiting"] == 3
    assert frame.loc["x:1", "messages_waiting"] == 1
    assert frame.loc["x:4", "urgency"] > frame.loc["x:1", "urgency"], "written 3 times"
    assert urgency(True, 100, 60, messages=99) == urgency(True, 100, 60, messages=5)
    assert urgency(False, 10**9, 10**6, messages=99) < urgency(True, 0, 0)


def test_a_third_complaint_this_week_outranks_an_otherwise_equal_first(store, config):
    """Repeat contact across cases: the customer complained in two earlier cases this week."""
    from clamor import pipeline
    from collectors.base import Mention

    now = dt.datetime.now(dt.timezone.utc)
    text = "@AerolumeHelp my refund still has not arrived, where is my money??"

    def post(n, author, hours_ago):
        return Mention(source="x", native_id=str(n), author=author, author_followers=100,
                       text=text, created_at=now - dt.timedelta(hours=hours_ago))

    earlier = [post(1, "@again", 100), post(2, "@again", 50)]  # two earlier cases
    # @first has even waited a few minutes longer (and has the older case number)
    kept, own, _ = pipeline.prepare(earlier + [post(3, "@again", 1), post(4, "@first", 1.1)],
                                    config)
    store.insert_mentions(kept, own=own, collector="t", version="1")
    pipeline.analyse_pending(store, config)
    for m in earlier:
        actions.respond(store, m.id, actor="Sara", reply_text="Sorry about that.")
    frame = queries.inbox(store, now=now)
    assert frame["id"].tolist() == ["x:3", "x:4"]
    assert frame["complaints_this_week"].tolist() == [3, 1]
    # Shown one at a time, the repeat complainer still comes first: the week is counted for
    # every case that could reach the shown rows with its earlier complaints.
    assert queries.inbox(store, InboxFilter(limit=1), now=now)["id"].tolist() == ["x:3"]


def test_a_short_inbox_is_the_head_of_the_long_one(demo_store, config):
    """Counting the week only for cases that can still be shown changes no shown row."""
    now = dt.datetime.now(dt.timezone.utc)
    whole = queries.inbox(demo_store, InboxFilter(limit=100_000), now=now, config=config)
    assert len(whole) > 40 and (whole["complaints_this_week"] > 1).any()
    for limit in (1, 5, 20, 40):
        short = queries.inbox(demo_store, InboxFilter(limit=limit), now=now, config=config)
        head = whole.head(limit)
        assert short["id"].tolist() == head["id"].tolist()
        assert short["complaints_this_week"].tolist() == head["complaints_this_week"].tolist()
        assert short["urgency"].tolist() == head["urgency"].tolist()


def test_a_case_near_its_standard_outranks_one_that_merely_waited_longer(store):
    """Age counts against the response standard that applies, on its clock."""
    from clamor import pipeline
    from clamor.config import parse_config
    from collectors.base import Mention

    config = parse_config({
        "brand": {"name": "Aerolume"},
        "watchlist": {"languages": ["en", "fa"],
                      "terms": [{"term": "Aerolume", "kind": "brand",
                                 "aliases": ["ایرولوم"]}]},
        "standards": [{"name": "Persian complaints in an hour", "complaints_only": True,
                       "languages": ["fa"], "target_minutes": 60}]})
    now = dt.datetime.now(dt.timezone.utc)
    persian = Mention(source="x", native_id="1", author="@sara", author_followers=100,
                      created_at=now - dt.timedelta(minutes=70),
                      text="ایرولوم پروازم کنسل شد و هیچکس جواب نمیده، پولم رو پس بدید")
    english = Mention(source="x", native_id="2", author="@tom", author_followers=100,
                      created_at=now - dt.timedelta(hours=10),
                      text="@Aerolume my bag is lost and nobody answers, where is it??")
    kept, own, _ = pipeline.prepare([persian, english], config)
    store.insert_mentions(kept, own=own, collector="t", version="1")
    pipeline.analyse_pending(store, config)
    assert queries.inbox(store, now=now)["id"].tolist() == ["x:2", "x:1"], "by waiting time"
    ranked = queries.inbox(store, now=now, config=config)
    assert ranked["id"].tolist() == ["x:1", "x:2"], "70 min of a 60-min standard comes first"
    assert ranked.iloc[0]["standard_used"] == pytest.approx(70 / 60, abs=0.01)


def _waiting_from_messages(store):
    """What each open case waits on, read from its messages (the inbox's old way)."""
    return store.query_df("""
        SELECT c.id, arg_max(m.id, m.created_at) AS newest, min(m.created_at) AS since,
               count(*) AS n, coalesce(bool_or(a.complaint), false) AS complaint
        FROM cases c JOIN case_mentions f ON f.case_id = c.id AND f.role = 'customer'
        JOIN mentions m ON m.id = f.mention_id LEFT JOIN analysis a ON a.mention_id = m.id
        WHERE c.last_response_at IS NULL OR m.created_at > c.last_response_at
        GROUP BY c.id ORDER BY c.id""")


def _waiting_kept(store):
    return store.query_df("""
        SELECT id, waiting_mention_id AS newest, waiting_since AS since,
               messages_waiting::BIGINT AS n,
               waiting_complaint AS complaint
        FROM cases WHERE messages_waiting > 0 ORDER BY id""")


def test_what_a_case_waits_on_is_kept_as_its_messages_say(demo_store, config):
    from clamor import pipeline
    from collectors.base import Mention

    pd.testing.assert_frame_equal(_waiting_kept(demo_store), _waiting_from_messages(demo_store))
    # answer a case, then the customer writes again in the same thread
    case = queries.inbox(demo_store, queries.InboxFilter(sources=("x",)), config=config).iloc[0]
    actions.respond(demo_store, case["id"], actor="Maryam Rahimi", reply_text="On it.")
    assert case["case_id"] not in set(queries.inbox(demo_store, queries.InboxFilter(limit=500),
                                                     config=config)["case_id"])
    source, native = case["id"].split(":", 1)
    again = Mention(source=source, native_id=native + "-again", author=case["author"],
                    text="still waiting, where is my refund?", in_reply_to=native,
                    conversation_id=native, matched_terms=("Aerolume",),
                    matched_kinds=("brand",),
                    created_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5))
    demo_store.insert_mentions([again], collector="test", version="t")
    pipeline.analyse_pending(demo_store, config)
    pd.testing.assert_frame_equal(_waiting_kept(demo_store), _waiting_from_messages(demo_store))
    shown = queries.inbox(demo_store, queries.InboxFilter(limit=500), config=config)
    row = shown[shown["case_id"] == case["case_id"]].iloc[0]
    assert row["id"] == again.id and row["messages_waiting"] == 1
    assert row["text"] == again.text


def test_urgencies_for_a_whole_inbox_equal_one_by_one():
    import math

    from analysis.priority import urgencies, urgency

    rows = [(True, 12_000, 45.0, 3, 0.8), (False, None, 5000.0, 1, math.nan),
            (True, 0, -3.0, 9, 5.0), (False, 10**9, 30.0, 2, math.nan)]
    columns = list(zip(*rows, strict=True))
    got = urgencies(*columns)
    assert list(got) == [urgency(c, f, w, n, u) for c, f, w, n, u in rows]


def test_the_remembered_pool_window_draws_what_a_look_at_every_case_draws(
        demo_store, config, monkeypatch):
    """The inbox remembers where its pool of newest waiting cases began and next time looks
    only at cases written to since then (queries._newest_waiting). Answers that leave
    the window short, and an old case reopened, change nothing against a draw that looks
    at every case."""
    now = dt.datetime.now(dt.timezone.utc)
    flt = InboxFilter(pool=12, limit=10)
    windowed = []
    query_arrow = demo_store.query_arrow

    def spy(sql, params=None, **tables):
        out = query_arrow(sql, params, **tables)
        if "c.last_customer_at >= ?" in sql:
            windowed.append(len(out))
        return out

    monkeypatch.setattr(demo_store, "query_arrow", spy)

    def drawn_both_ways() -> pd.DataFrame:
        demo_store.inbox_bounds.clear()  # (the pool's way, not the last draw's bound)
        remembered = queries.inbox(demo_store, flt, now=now, config=config)
        demo_store.inbox_bounds.clear()
        cuts = dict(demo_store.inbox_cuts)
        demo_store.inbox_cuts.clear()
        every_case = queries.inbox(demo_store, flt, now=now, config=config)
        demo_store.inbox_cuts.update(cuts)
        pd.testing.assert_frame_equal(remembered, every_case)
        return remembered

    first = drawn_both_ways()
    assert len(first) == 10 and len(demo_store.inbox_cuts) == 1 and not windowed
    drawn_both_ways()
    assert windowed == [12]  # the window held the whole pool: nothing else was read
    # three of the pool's cases answered (the shown may be older ones that could outrank it)
    newest = [row[0] for row in demo_store.query_rows(
        f"SELECT waiting_mention_id FROM cases c WHERE {queries._LISTED} "
        "ORDER BY last_customer_at DESC LIMIT 3")]
    for mention_id in newest:
        actions.respond(demo_store, mention_id, actor="Tom Reid", reply_text="on it")
    windowed.clear()
    after = drawn_both_ways()
    assert windowed == [9] and len(after) == 10  # short: every case was looked at
    assert not set(newest) & set(after["id"])
    # the oldest waiting case, resolved then reopened: waiting again, its customer's last
    # message long before the remembered window
    (oldest,) = demo_store.query_rows(
        f"SELECT id FROM cases c WHERE {queries._LISTED} ORDER BY last_customer_at LIMIT 1")[0]
    actions.resolve(demo_store, config, oldest, actor="Tom Reid")
    drawn_both_ways()
    actions.reopen(demo_store, oldest, actor="Tom Reid", reason="not fixed")
    assert oldest in set(queries.inbox(demo_store, InboxFilter(limit=100_000), now=now)[
        "case_id"])
    drawn_both_ways()


@pytest.mark.parametrize("flt", [InboxFilter(), InboxFilter(complaints_only=True),
                                 InboxFilter(sources=("x",)), InboxFilter(languages=("fa",))])
def test_a_pool_of_the_newest_cases_shows_what_ranking_every_case_shows(
        demo_store, config, flt):
    """More cases waiting than the pool: the older ones that could outrank the pool's best
    join it, so the inbox is the most urgent first, not the newest first."""
    import dataclasses

    now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=30)  # old ones capped
    waiting = len(queries.inbox(demo_store, dataclasses.replace(flt, limit=100_000),
                                now=now, config=config))
    assert waiting > 12
    for limit in (1, 5, 10):
        every = queries.inbox(demo_store, dataclasses.replace(flt, limit=limit), now=now,
                              config=config)
        for pool in (3, 8, 12):
            drawn = queries.inbox(demo_store, dataclasses.replace(flt, limit=limit, pool=pool),
                                  now=now, config=config)
            pd.testing.assert_frame_equal(drawn, every)
    # what the pool alone would have shown is not the head of the inbox here
    newest_only = queries._newest_waiting(demo_store, ["true"], [], 8)
    assert set(newest_only.column("case_id").to_pylist()) != set(
        queries.inbox(demo_store, InboxFilter(limit=8), now=now, config=config)["case_id"])


def test_no_case_outranks_its_ceiling():
    """The ceiling the inbox finds older contenders by (queries._older_contenders) is never
    below a case's urgency, whatever it waited, used of its standard or complained before;
    nor is the reach it asks of them first above what a case reaching that urgency has."""
    import math

    from hypothesis import given
    from hypothesis import strategies as st

    from analysis.priority import (COMPLAINT, MAX_REPEATS_COUNTED, MOST_WAITING_AND_WEEK,
                                   PER_REPEAT, PER_TENFOLD_REACH, followers_needed, urgency)

    @given(st.booleans(), st.one_of(st.none(), st.integers(-5, 10**10)),
           st.floats(-100, 10**7), st.integers(1, 50),
           st.one_of(st.none(), st.floats(-1, 100)), st.integers(0, 40),
           st.floats(-2000, 3000))
    def check(complaint, followers, waiting, messages, used, earlier, at_least):
        ceiling = (COMPLAINT * complaint
                   + PER_TENFOLD_REACH * math.log10(1 + max(followers or 0, 0))
                   + PER_REPEAT * min(max(messages - 1, 0), MAX_REPEATS_COUNTED)
                   + MOST_WAITING_AND_WEEK)
        reached = urgency(complaint, followers, waiting, messages, used, earlier)
        assert reached <= ceiling + 0.001
        if reached >= at_least:  # and the reach it took is never above what it has
            assert max(followers or 0, 0) >= followers_needed(at_least, complaint) * 0.999

    check()


def test_the_last_draws_bound_draws_what_a_first_draw_draws(demo_store, config, monkeypatch):
    """Each draw remembers the urgency its last shown case reached (less a margin) and the
    next draw ranks only the cases whose ceiling reaches it; where the cases it finds do not
    reach it any more, it ranks as a first draw does. Answers, a new complaint, a reopened
    case and the hours passing change nothing against a first draw."""
    from clamor import pipeline
    from collectors.base import Mention

    flt = InboxFilter(limit=10, pool=12)
    bounded = []
    newest_waiting = queries._newest_waiting

    def spy(*args, **kwargs):
        bounded.append(False)
        return newest_waiting(*args, **kwargs)

    monkeypatch.setattr(queries, "_newest_waiting", spy)

    def drawn_both_ways(now) -> pd.DataFrame:
        bounded.clear()
        again = queries.inbox(demo_store, flt, now=now, config=config)
        by_bound = not bounded
        bounds = dict(demo_store.inbox_bounds)
        demo_store.inbox_bounds.clear()
        first = queries.inbox(demo_store, flt, now=now, config=config)
        pd.testing.assert_frame_equal(again, first)
        key = ("true", "[]", flt.limit)  # (the plain view's bound remembered either way)
        assert demo_store.inbox_bounds.get(key) == bounds.get(key)
        return again, by_bound

    now = dt.datetime.now(dt.timezone.utc)
    queries.inbox(demo_store, flt, now=now, config=config)
    shown, by_bound = drawn_both_ways(now)
    assert by_bound and len(shown) == 10  # ranked from the bound alone
    ranked_above = min(demo_store.inbox_bounds.values())
    assert (shown["urgency"] >= ranked_above).all()
    # the two most urgent answered: the rest still reach the bound, or it is drawn afresh
    for mention_id in shown["id"][:2]:
        actions.respond(demo_store, mention_id, actor="Tom Reid", reply_text="on it")
    after, _ = drawn_both_ways(now)
    assert not set(shown["id"][:2]) & set(after["id"])
    # half a day on, and a loud new complaint
    later = now + dt.timedelta(hours=12)
    loud = Mention(source="x", native_id="loud-1", author="@megaphone",
                   author_followers=2_000_000, created_at=later - dt.timedelta(minutes=1),
                   text="@Aerolume you lost my bag and nobody answers, refund me now!!",
                   matched_terms=("Aerolume",), matched_kinds=("brand",))
    demo_store.insert_mentions([loud], collector="test", version="t")
    pipeline.analyse_pending(demo_store, config, now=later)
    drawn_both_ways(later)
    # a bound no case reaches, and one only a few cases' ceilings reach (they are found, but
    # what they reach now is below it): both drawn afresh
    for key in demo_store.inbox_bounds:
        demo_store.inbox_bounds[key] = 10_000.0
    _, by_bound = drawn_both_ways(later)
    assert not by_bound
    (fifth,) = demo_store.query_rows(
        f"""SELECT 1000 * c.waiting_complaint::INTEGER
                   + 8 * log10(1 + greatest(coalesce(c.waiting_followers, 0), 0))
                   + 6 * least(greatest(c.messages_waiting - 1, 0), 4) + 81 AS ceiling
            FROM cases c WHERE {queries._LISTED} ORDER BY ceiling DESC LIMIT 1 OFFSET 4""")[0]
    flt = InboxFilter(limit=3, pool=12)
    queries.inbox(demo_store, flt, now=later, config=config)
    for key in demo_store.inbox_bounds:
        demo_store.inbox_bounds[key] = fifth - 0.001
    _, by_bound = drawn_both_ways(later)
    assert not by_bound
    # the least urgent waiting case resolved then reopened
    (quiet,) = demo_store.query_rows(
        f"SELECT id FROM cases c WHERE {queries._LISTED} ORDER BY last_customer_at LIMIT 1")[0]
    actions.resolve(demo_store, config, quiet, actor="Tom Reid")
    drawn_both_ways(later)
    actions.reopen(demo_store, quiet, actor="Tom Reid", reason="not fixed")
    drawn_both_ways(later)
