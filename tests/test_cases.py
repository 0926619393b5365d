"""Cases: a customer's messages gather into one case, routed to one owner; brand replies on
the platform count as responses; agents move cases along and every step is audited."""

import datetime as dt

import pytest

from clamor import actions, cases, pipeline, queries
from clamor.cases import CaseState, Message, NewCase, file_messages, route
from clamor.config import parse_config
from collectors.base import Mention

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
HOUR = dt.timedelta(hours=1)
WINDOW = dt.timedelta(hours=24)


def msg(id, author="@ana", conv="t1", at=T0, source="x"):
    return Message(id, source, author, conv, at)


# -- filing decisions (pure) ---------------------------------------------------------------

def test_a_follow_up_in_the_same_thread_joins_the_case_even_days_later():
    latest = {}
    first, later = file_messages([msg("1"), msg("2", at=T0 + 72 * HOUR)], latest, WINDOW)
    assert first.opened and not later.opened and later.case is first.case


def test_a_new_thread_joins_within_the_window_and_opens_a_case_after_it():
    latest = {}
    a, b, c = file_messages([msg("1"), msg("2", conv="t2", at=T0 + 3 * HOUR),
                             msg("3", conv="t3", at=T0 + 30 * HOUR)], latest, WINDOW)
    assert b.case is a.case, "a second post 3 h later is the same problem"
    assert c.opened and c.case is not a.case, "27 h after the last message is a new case"


def test_other_customers_web_articles_and_unknown_authors_never_join():
    latest = {}
    filings = file_messages([msg("1"), msg("2", author="@bo"), msg("3", author=None),
                             msg("4", author=None), msg("5", author="News", source="web"),
                             msg("6", author="News", source="web")], latest, WINDOW)
    assert [f.opened for f in filings] == [True] * 6


@pytest.mark.parametrize("status, becomes, reopened", [
    ("resolved", "new", True), ("ignored", "new", True),
    ("waiting_on_customer", "in_progress", False), ("acknowledged", "acknowledged", False),
])
def test_a_new_customer_message_reopens_or_resumes_the_case(status, becomes, reopened):
    case = CaseState("C-1", "x", "@ana", "t1", status, T0)
    (filing,) = file_messages([msg("2", at=T0 + HOUR)], {("x", "@ana"): case}, WINDOW)
    assert filing.case is case and case.status == becomes and filing.reopened is reopened


# -- routing (pure) ------------------------------------------------------------------------

def test_routing_rules_in_the_demo_config(config):
    monday_morning_athens = dt.datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 08:00 in Athens
    staff = NewCase("en", "x", True, ("Nikos Papadakis",), ("staff",))
    assert route(staff, config, {}, T0) == cases.Route("Dimitris Alexiou", "Care Europe", 0)
    greek = NewCase("el", "x", True, ("Aerolume",), ("brand",))
    # Eleni is on her 07:00-15:00 shift and writes Greek; Tom starts at 15:00.
    assert route(greek, config, {}, monday_morning_athens).owner == "Eleni Markou"
    persian = NewCase("fa", "x", False, ("Aerolume",), ("brand",))
    assert route(persian, config, {}, T0) == cases.Route("Maryam Rahimi",
                                                         "Care Middle East", 2)


def test_least_loaded_prefers_fewer_open_cases_and_waits_in_the_queue_off_shift(config):
    english = NewCase("en", "x", False, ("Aerolume",), ("brand",))
    evening = dt.datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 19:00 in Athens: only Tom
    assert route(english, config, {}, evening).owner == "Tom Reid"
    both_on = dt.datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # Saturday: Tom only again
    assert route(english, config, {"Tom Reid": 3}, both_on).owner == "Tom Reid"
    night = dt.datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 01:30 in Athens: nobody
    assert route(english, config, {}, night) == cases.Route(None, "Care Europe", 6)
    loyalty = NewCase("en", "x", True, ("SkyPoints",), ("product",))
    assert route(loyalty, config, {}, T0).team == "Loyalty"


def test_no_rule_no_owner():
    config = parse_config({"brand": {"name": "B"},
                           "watchlist": {"terms": [{"term": "B", "kind": "brand"}]}})
    assert route(NewCase("en", "x", False, (), ()), config, {}, T0) == \
        cases.Route(None, None, None)


# -- filing in the store -------------------------------------------------------------------

def post(store, config, native_id, text, *, author="@ana_k", at=T0, reply_to=None, conv=None,
         own=False, terms=("Aerolume",), kinds=("brand",), now=None):
    mention = Mention(source="x", native_id=native_id, text=text, created_at=at, author=author,
                      in_reply_to=reply_to, conversation_id=conv, matched_terms=terms,
                      matched_kinds=kinds)
    store.insert_mentions([mention], own=[own], collector="test", version="t")
    pipeline.analyse_pending(store, config, now=now or at)
    return mention.id


def case_of(store, mention_id):
    return queries.case_ids_for(store, [mention_id])[mention_id]


def test_every_customer_message_in_the_demo_is_filed_and_brand_replies_are_responses(
        demo_store):
    assert queries.unfiled_count(demo_store) == 0
    # Each filing carries its mention's number, in every role (the inbox reads a week's
    # filings by number).
    assert demo_store.query_rows(
        "SELECT f.role, count(*) FILTER (WHERE f.seq IS DISTINCT FROM m.seq) FROM case_mentions f "
        "JOIN mentions m ON m.id = f.mention_id GROUP BY ALL ORDER BY ALL") == [
        ("customer", 0), ("none", 0), ("response", 0)]
    answered = demo_store.query_rows(
        "SELECT f.case_id FROM mentions m JOIN case_mentions f ON f.mention_id = m.id "
        "WHERE m.is_own AND f.role = 'response'")
    assert answered
    row = queries.case(demo_store, answered[0][0])
    assert row["first_response_at"] is not None and row["status"] != "new"
    log = queries.case_events(demo_store, answered[0][0])
    assert "replied on the platform" in log["note"].tolist()


def test_a_follow_up_joins_and_a_reply_on_the_platform_sets_the_first_response(store, config):
    first = post(store, config, "1", "Aerolume lost my bag at LHR, nobody answers the phone")
    second = post(store, config, "2", "still nothing from Aerolume??", at=T0 + 2 * HOUR)
    case = case_of(store, first)
    assert case_of(store, second) == case
    assert queries.inbox(store).iloc[0]["messages_waiting"] == 2
    post(store, config, "3", "@ana_k so sorry, DM us your file reference", author="AerolumeHelp",
         at=T0 + 3 * HOUR, reply_to="2", own=True)
    row = queries.case(store, case)
    assert row["first_response_at"] == T0 + 3 * HOUR and row["status"] == "acknowledged"
    assert queries.inbox_count(store) == 0


def test_a_message_after_resolution_reopens_the_case(store, config):
    first = post(store, config, "1", "Aerolume charged me twice for seat selection")
    case = case_of(store, first)
    actions.respond(store, first, actor="Tom Reid", reply_text="Sorry! Checking now.",
                    at=T0 + HOUR)
    actions.resolve(store, config, case, actor="Tom Reid", at=T0 + 2 * HOUR)
    assert queries.inbox_count(store) == 0
    post(store, config, "2", "the refund never arrived Aerolume", at=T0 + 5 * HOUR,
         reply_to="1", conv="1")
    row = queries.case(store, case)
    assert row["status"] == "new" and row["reopened"] == 1 and row["resolved_at"] is None
    assert row["follow_up_at"] is None
    assert queries.inbox(store).iloc[0]["case_id"] == case
    kinds = queries.case_events(store, case)["kind"].tolist()
    assert kinds[-1] == "reopened"


def test_new_cases_are_routed_and_the_assignment_is_audited(store, config):
    first = post(store, config, "1", "Nikos Papadakis at the Athens desk was rude to my mum",
                 terms=("Nikos Papadakis",), kinds=("staff",))
    case = queries.case(store, case_of(store, first))
    assert case["owner"] == "Dimitris Alexiou"
    log = queries.case_events(store, case["id"])
    assigned = log[log["kind"] == "assigned"].iloc[0]
    assert assigned["after_value"] == "Dimitris Alexiou (Care Europe)"
    assert "kind = staff" in assigned["note"]


# -- competitors: listened to, never a case ------------------------------------------------

SKYVANE = dict(terms=("Skyvane",), kinds=("competitor",))


def filing_of(store, mention_id):
    """(case, role) of a filed mention; its filing carries the mention's number."""
    rows = store.query_rows(
        "SELECT f.case_id, f.role, f.seq = m.seq FROM case_mentions f "
        "JOIN mentions m ON m.id = f.mention_id WHERE f.mention_id = ?", [mention_id])
    assert all(same for _, _, same in rows), "filed under the mention's number"
    return [(case, role) for case, role, _ in rows]


def test_a_post_about_a_competitor_only_opens_no_case(store, config):
    theirs = post(store, config, "1", "Skyvane lost my bag in Oslo, 3 days no answer",
                  **SKYVANE)
    assert filing_of(store, theirs) == [(None, "none")], "decided once, under no case"
    assert store.query_rows("SELECT count(*) FROM cases")[0][0] == 0
    assert queries.unfiled_count(store) == 0 and queries.inbox_count(store) == 0
    assert queries.complaint_due_times(store, T0 - HOUR).empty, "nothing for backlog alerts"


def test_a_post_naming_us_and_a_competitor_is_filed(store, config):
    both = post(store, config, "1", "switched from Aerolume to Skyvane, never again",
                terms=("Aerolume", "Skyvane"), kinds=("brand", "competitor"))
    case = case_of(store, both)
    assert case is not None and queries.inbox(store)["case_id"].tolist() == [case]


def test_a_competitor_post_does_not_join_the_customers_open_case(store, config):
    ours = post(store, config, "1", "Aerolume cancelled my flight, where is my refund")
    case = case_of(store, ours)
    theirs = post(store, config, "2", "booking Nordhavn Air next time", at=T0 + HOUR,
                  terms=("Nordhavn Air",), kinds=("competitor",))
    assert case_of(store, theirs) is None
    assert queries.case(store, case)["messages"] == 1


def test_replies_go_with_the_post_they_answer(store, config):
    root = post(store, config, "1", "Skyvane lost my bag in Oslo", author="@kim", **SKYVANE)
    # No term of its own, kept because we hold the thread: about Skyvane too.
    same = post(store, config, "2", "same happened to me last month", author="@lee",
                at=T0 + HOUR, reply_to="1", conv="1", terms=(), kinds=())
    # Naming us in that thread is talking about us; a reply to it is filed with it.
    us = post(store, config, "3", "Aerolume found mine in a day", author="@max",
              at=T0 + 2 * HOUR, reply_to="1", conv="1")
    under_us = post(store, config, "4", "lucky you", author="@kim", at=T0 + 3 * HOUR,
                    reply_to="3", conv="1", terms=(), kinds=())
    assert case_of(store, root) is None and case_of(store, same) is None
    assert case_of(store, us) is not None and case_of(store, under_us) is not None


def test_a_reply_to_our_own_post_is_talking_to_us_even_about_a_competitor(store, config):
    post(store, config, "1", "New: Athens-Bangkok twice daily", author="Aerolume", own=True,
         terms=(), kinds=())
    reply = post(store, config, "2", "Skyvane already flies it for less", at=T0 + HOUR,
                 reply_to="1", conv="1", **SKYVANE)
    assert case_of(store, reply) is not None


def test_our_reply_to_a_competitor_post_is_filed_under_no_case_not_kept_waiting(store, config):
    theirs = post(store, config, "1", "Skyvane cancelled, anyone flying ATH-BKK tomorrow?",
                  **SKYVANE)
    answer = post(store, config, "2", "@ana_k we do, twice daily", author="AerolumeHelp",
                  at=T0 + HOUR, reply_to="1", own=True, terms=(), kinds=())
    assert filing_of(store, theirs) == [(None, "none")]
    assert filing_of(store, answer) == [(None, "none")]
    assert store.query_rows("SELECT count(*) FROM cases")[0][0] == 0


# -- agents' actions -----------------------------------------------------------------------

def test_a_holding_reply_with_a_time_sets_the_due_time(store, config):
    first = post(store, config, "1", "Aerolume my flight got cancelled, what now?")
    case = actions.respond(store, first, actor="Tom Reid", lang="en", at=T0 + HOUR,
                           reply_text="So sorry. We'll be back to you within 2 hours.")
    row = queries.case(store, case)
    assert row["due_at"] == T0 + 3 * HOUR and row["status"] == "acknowledged"
    promised = queries.promises(store)
    assert promised["case_id"].tolist() == [case]
    assert promised["text"].iloc[0].startswith("Aerolume")  # the message, read by id
    assert queries.promises_count(store, now=T0 + 2 * HOUR) == (1, 0)
    assert queries.promises_count(store, now=T0 + 4 * HOUR) == (1, 1)


def test_assign_escalate_resolve_follow_up_and_survey(store, config):
    first = post(store, config, "1", "Aerolume I want my refund for AL 213")
    case = case_of(store, first)
    actions.assign(store, config, [case], actor="Dimitris Alexiou", owner="Tom Reid")
    with pytest.raises(actions.ActionRefused, match="cannot take escalations"):
        actions.escalate(store, config, case, actor="Tom Reid", to="Joe Park",
                         reason="refund over 500 EUR")
    with pytest.raises(actions.ActionRefused, match="say why"):
        actions.escalate(store, config, case, actor="Tom Reid", to="Hannah Cole", reason=" ")
    actions.escalate(store, config, case, actor="Tom Reid", to="Hannah Cole",
                     reason="refund over 500 EUR")
    row = queries.case(store, case)
    assert (row["owner"], row["escalated_to"], row["team"]) == \
        ("Hannah Cole", "Hannah Cole", "Loyalty")
    actions.set_status(store, case, "waiting_on_customer", actor="Hannah Cole")
    resolved_at = T0 + 5 * HOUR
    follow = actions.resolve(store, config, case, actor="Hannah Cole", at=resolved_at,
                             note="refunded 540 EUR")
    assert follow == resolved_at + 24 * HOUR
    assert queries.follow_ups_due(store, now=resolved_at + 23 * HOUR).empty
    due = queries.follow_ups_due(store, now=resolved_at + 24 * HOUR)
    assert due["case_id"].tolist() == [case]
    assert queries.follow_ups_due_count(store, now=resolved_at + 24 * HOUR) == 1
    assert queries.follow_ups_due_count(store, now=resolved_at + 23 * HOUR) == 0
    actions.follow_up(store, case, actor="Hannah Cole", reply_text="How did we do, 1-5?")
    with pytest.raises(actions.ActionRefused, match="already followed up"):
        actions.follow_up(store, case, actor="Hannah Cole", reply_text="again?")
    actions.record_survey(store, case, "csat", 4, actor="Hannah Cole")
    with pytest.raises(actions.ActionRefused, match="from 0 to 10"):
        actions.record_survey(store, case, "nps", 11, actor="Hannah Cole")
    log = queries.audit_log(store, case_id=case)
    assert {"assigned", "escalated", "status", "resolved", "followed_up", "survey"} <= \
        set(log["action"])
    escalated = log[log["action"] == "escalated"].iloc[0]
    assert (escalated["before"], escalated["after"], escalated["detail"]) == \
        ("Tom Reid (Care Europe)", "Hannah Cole (Loyalty)", "refund over 500 EUR")


def test_closed_cases_refuse_work_until_reopened(store, config):
    first = post(store, config, "1", "Aerolume spam spam")
    case = actions.ignore(store, first, actor="Tom Reid", reason="spam")
    with pytest.raises(actions.ActionRefused, match="reopen it"):
        actions.respond(store, first, actor="Tom Reid", reply_text="hi")
    actions.reopen(store, case, actor="Tom Reid", reason="not spam after all")
    assert queries.case(store, case)["status"] == "new"


def test_bulk_ignore_and_assign_are_all_or_nothing(store, config):
    ids = [case_of(store, post(store, config, str(i), f"Aerolume promo {i}",
                               author=f"@bot{i}")) for i in range(3)]
    assert actions.ignore_cases(store, ids[:2], actor="Tom Reid", reason="spam") == 2
    with pytest.raises(actions.ActionRefused):
        actions.assign(store, config, ids, actor="Tom Reid", owner="Omar Said")
    assert queries.case(store, ids[2])["owner"] != "Omar Said", "nothing was half-done"
    with pytest.raises(actions.ActionRefused, match="nobody named"):
        actions.assign(store, config, ids[2:], actor="Tom Reid", owner="Someone Else")


def test_survey_csv_import_records_good_rows_and_names_bad_lines(store, config, tmp_path):
    case = case_of(store, post(store, config, "1", "Aerolume lost my bag"))
    path = tmp_path / "surveys.csv"
    path.write_text(f"case,kind,score,answered_at\n{case},csat,5,2026-11-24T10:00:00\n"
                    f"{case},nps,9,\nC-999,csat,3,\n{case},ces,nine,\n", encoding="utf-8")
    recorded, problems = actions.import_surveys(store, path)
    assert recorded == 2
    assert [p.split(":")[0] for p in problems] == ["line 4", "line 5"]
    assert "no case C-999" in problems[0]
    assert sorted(queries.case_surveys(store, case)["kind"]) == ["csat", "nps"]


def test_posts_naming_only_competitors_stay_out_of_the_overview_and_spike_series(demo_store):
    import datetime as dt

    from clamor import actions, queries

    others = demo_store.query_rows(
        "SELECT m.id FROM mentions m WHERE NOT m.is_own "
        "AND list_has_all(['competitor'], m.matched_kinds)")
    assert others, "the demo has posts about competitors"
    everything = demo_store.query_rows("SELECT count(*) FROM mentions m WHERE NOT m.is_own "
                                       "AND m.created_at >= now() - INTERVAL 7 DAY")[0][0]
    now = dt.datetime.now(dt.timezone.utc)
    totals = queries.totals(demo_store, 7, now)
    assert totals.mentions < everything
    ours = demo_store.query_df(
        "SELECT coalesce(a.lang, 'pending') AS lang, a.complaint, a.sentiment_label "
        "FROM mentions m LEFT JOIN analysis a ON a.mention_id = m.id WHERE NOT m.is_own "
        "AND m.created_at >= ? AND NOT (len(m.matched_kinds) > 0 AND "
        "list_has_all(['competitor'], m.matched_kinds))", [now - dt.timedelta(days=7)])
    assert (totals.mentions, totals.complaints, totals.unscored) == (
        len(ours), ours["complaint"].fillna(False).sum(),
        (ours["sentiment_label"] == "unscored").sum())
    assert totals.languages == ours["lang"].value_counts().to_dict()
    assert {"en", "fa", "ar", "th", "el"} <= set(totals.languages) and totals.complaints > 0
    now = dt.datetime.now(dt.timezone.utc)
    series = queries.series_counts(demo_store, now - dt.timedelta(days=30), now, [])
    counted = series.groupby("series")["count"].sum()
    assert counted["term=Skyvane"] > 0
    ours = demo_store.query_rows(
        "SELECT count(*) FROM mentions m JOIN analysis a ON a.mention_id = m.id "
        "WHERE NOT m.is_own AND m.created_at >= ? AND NOT (len(m.matched_kinds) > 0 AND "
        "list_has_all(['competitor'], m.matched_kinds))", [now - dt.timedelta(days=30)])[0][0]
    assert counted["all"] == ours
    # an agent may still open a case on one (say, from the explorer): their choice wins
    case = actions.case_id(demo_store, others[0][0])
    assert queries.case(demo_store, case)["status"] == "new"


def test_the_filing_queue_holds_exactly_what_is_analysed_and_not_filed(store, config):
    from clamor import pipeline, queries
    from collectors.base import Mention

    def unfiled_by_search():
        return {r[0] for r in store.query_rows(
            "SELECT m.id FROM mentions m JOIN analysis a ON a.mention_id = m.id "
            "LEFT JOIN case_mentions f ON f.mention_id = m.id WHERE f.mention_id IS NULL")}

    def queued():
        return {r[0] for r in store.query_rows("SELECT mention_id FROM filing_queue")}

    mentions = [Mention(source="x", native_id=str(i), text=f"Aerolume refund please {i}",
                        author=f"@c{i}", created_at=T0 + i * HOUR,
                        matched_terms=("Aerolume",), matched_kinds=("brand",))
                for i in range(5)]
    store.insert_mentions(mentions, collector="test", version="t")
    for batch in pipeline.analyse(store.pending_analysis(3), config.watchlist.languages, T0), :
        store.save_analysis(batch)  # analysed, not filed yet
    assert queued() == unfiled_by_search() and len(queued()) == 3
    assert queries.unfiled_count(store) == 3
    pipeline.analyse_pending(store, config)
    assert queued() == unfiled_by_search() == set()
    assert queries.unfiled_count(store) == 0


def test_a_case_opened_before_analysis_is_not_filed_again(store, config):
    from clamor import pipeline
    from collectors.base import Mention

    early = Mention(source="x", native_id="early", text="Aerolume my bag is lost, help",
                    author="@early", created_at=T0, matched_terms=("Aerolume",),
                    matched_kinds=("brand",))
    store.insert_mentions([early], collector="test", version="t")
    case = actions.case_id(store, early.id)  # an agent opens it before analysis reaches it
    pipeline.analyse_pending(store, config)  # analysed now: queued for filing, then dropped
    assert filing_of(store, early.id) == [(case, "customer")]
    assert store.query_rows("SELECT count(*) FROM filing_queue")[0][0] == 0


def test_a_case_opened_with_several_messages_in_one_pass_waits_on_all_of_them(store, config):
    texts = ["Flying Aerolume to Athens today", "Aerolume where is my refund?? still waiting",
             "hello again Aerolume"]
    mentions = [Mention(source="x", native_id=str(i), text=text, author="@ana_k",
                        author_followers=10 + i, created_at=T0 + i * HOUR,
                        matched_terms=("Aerolume",), matched_kinds=("brand",))
                for i, text in enumerate(texts)]
    store.insert_mentions(mentions, collector="test", version="t")
    pipeline.analyse_pending(store, config, now=T0 + 3 * HOUR)  # one pass: one new case
    (row,) = store.query_rows(
        "SELECT messages, messages_waiting, waiting_since, waiting_mention_id, "
        "waiting_complaint, waiting_cues, waiting_kinds, waiting_lang, waiting_followers "
        "FROM cases")
    assert row[:5] == (3, 3, T0, mentions[2].id, True)
    assert "money:refund" in row[5] and row[6:] == (["brand"], "en", 12)


def test_what_filing_writes_a_case_waits_on_is_what_refresh_waiting_works_out(demo_store):
    def waiting():
        return demo_store.query_rows(
            "SELECT id, waiting_mention_id, waiting_since, messages_waiting, waiting_complaint,"
            " list_sort(waiting_cues), list_sort(waiting_kinds), waiting_lang, "
            "waiting_followers FROM cases ORDER BY id")

    def scrambled():
        with demo_store.transaction() as con:  # every case set waiting on something else
            con.execute("UPDATE cases SET waiting_mention_id = 'x:1', waiting_since = now(), "
                        "messages_waiting = 7, waiting_complaint = NOT waiting_complaint, "
                        "waiting_cues = ['money:refund'], waiting_kinds = ['staff'], "
                        "waiting_lang = 'th', waiting_followers = 1")
        return demo_store

    filed = waiting()
    # the demo's filing opened cases with several messages, complaints and answered ones
    assert {row[3] for row in filed} >= {0, 1, 2} and any(row[4] for row in filed)
    with demo_store.transaction() as con:
        cases.refresh_waiting(con, None)
    assert waiting() == filed
    ids = [row[0] for row in filed]
    assert len(ids) > cases.FEW_CASES
    for scope in (None, ids, ids[:cases.FEW_CASES]):
        with scrambled().transaction() as con:
            cases.refresh_waiting(con, scope)
        n = len(ids if scope is None else scope)  # (the first n cases by id)
        assert waiting()[:n] == filed[:n], n


def test_filing_pauses_the_cycle_collector_and_resumes_it_after_even_on_error(
        store, config, monkeypatch):
    import gc

    seen = []

    def failing_batch(*args):
        seen.append(gc.isenabled())
        raise RuntimeError("disk full")

    monkeypatch.setattr(cases, "_file_batch", failing_batch)
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        cases.file_new(store, config)
    assert seen == [False] and gc.isenabled()
    gc.disable()  # a caller that keeps it off keeps it off
    try:
        with pytest.raises(RuntimeError):
            cases.file_new(store, config)
        assert not gc.isenabled()
    finally:
        gc.enable()
