"""Customer history: one customer across linked handles, private audited notes, repeat
contact ("3rd complaint this week") and its weight in the inbox, a copy of everything held
(right of access) and erasure that leaves nothing to find while the standards still add up."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from clamor import actions, auth, cases, cli, customers, explorer, pipeline, queries, standards
from clamor.customers import CustomerError
from collectors.base import Mention
from tests.conftest import COMPLAINT_TIMES_OFF, page_test

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
MARYAM_X, MARYAM_REDDIT = ("x", "@maryam_r7"), ("reddit", "u/maryam_r7")
UNIQUE = "zorbulax"  # a word only Maryam ever wrote


def post(n, source, author, text, hours_ago, *, followers=100, reply_to=None):
    return Mention(source=source, native_id=f"p{n}", author=author, author_followers=followers,
                   text=text, created_at=NOW - dt.timedelta(hours=hours_ago),
                   url=f"https://example.com/{author.lstrip('@u/')}/{n}",
                   in_reply_to=reply_to, conversation_id=reply_to,
                   raw={"user": author.lstrip("@u/"), "text": text})


def load(store, config, mentions):
    kept, own, _ = pipeline.prepare(mentions, config, keep_unmatched=True)
    store.insert_mentions(kept, own=own, collector="test", version="1")
    pipeline.analyse_pending(store, config, now=NOW)


COMPLAINT = "@AerolumeHelp my refund still has not arrived, where is my money??"


@pytest.fixture
def desk(store, config):
    """Maryam complained on X four days ago, on Reddit two days ago and on X again now;
    Tom complained once, now, in the same words and with the same reach."""
    load(store, config, [
        post(1, *MARYAM_X, f"{COMPLAINT} {UNIQUE} booking", 96, followers=120),
        post(2, *MARYAM_REDDIT, "Aerolume lost my bag and nobody answers, where is it??", 48,
             followers=15),
        post(3, *MARYAM_X, COMPLAINT, 1, followers=140),
        post(4, "x", "@tom_q", COMPLAINT, 1, followers=140),
    ])
    return store


def case_of(store, native):
    return store.query_rows("SELECT case_id FROM case_mentions WHERE mention_id = ?",
                            [f"x:{native}" if not native.startswith("reddit") else native])[0][0]


def test_linked_handles_are_one_customer_with_one_history(desk):
    key = customers.key_of(*MARYAM_X)
    assert customers.handles(desk, key) == [MARYAM_X]
    assert customers.link(desk, key, *MARYAM_REDDIT, by="Eleni Markou") == key
    assert customers.customer_key(desk, *MARYAM_REDDIT) == key
    assert customers.handles(desk, customers.key_of(*MARYAM_REDDIT)) == [MARYAM_REDDIT]
    found = customers.history(desk, key)
    assert found.handles == [MARYAM_X, MARYAM_REDDIT]
    assert found.mentions["id"].tolist() == ["x:p3", "reddit:p2", "x:p1"], "newest first"
    assert found.mentions["complaint"].all() and found.mentions["case_id"].notna().all()
    assert found.mentions["case_id"].tolist() == [case_of(desk, n) for n in
                                                  ("p3", "reddit:p2", "p1")]
    assert set(found.mentions["case_status"]) == {"new"}
    assert set(found.mentions["sentiment"]) <= {"negative", "neutral"}
    assert len(found.cases) == 3 and found.languages == {"en": 3}
    assert found.reach["followers"].tolist() == [120, 15, 140], "followers by post time"
    with pytest.raises(CustomerError, match="this customer already"):
        customers.link(desk, key, *MARYAM_REDDIT, by="Eleni Markou")
    with pytest.raises(CustomerError, match="no post from u/nobody"):
        customers.link(desk, key, "reddit", "u/nobody", by="Eleni Markou")
    # an answer, a survey and a promise show in the history
    actions.respond(desk, "x:p1", actor="Eleni Markou",
                    reply_text="Hi @maryam_r7, we will be back within 2 hours")
    actions.record_survey(desk, case_of(desk, "p1"), "csat", 2, actor="Eleni Markou")
    found = customers.history(desk, key)
    assert found.replies["reply_text"].tolist() == [
        "Hi @maryam_r7, we will be back within 2 hours"]
    assert found.surveys[["kind", "score"]].values.tolist() == [["csat", 2]]
    assert found.promises["id"].tolist() == [case_of(desk, "p1")]
    # unlinking the handle the customer is known by leaves the other one on its own
    customers.unlink(desk, *MARYAM_X, by="Eleni Markou")
    assert customers.customer_key(desk, *MARYAM_REDDIT) == customers.key_of(*MARYAM_REDDIT)
    assert desk.query_rows("SELECT count(*) FROM customer_links") == [(0,)]
    log = customers.events(desk, customers.key_of(*MARYAM_REDDIT))
    assert log["action"].tolist() == ["unlinked"]
    audit = queries.audit_entries(desk, who="Eleni Markou")
    assert {"customer linked", "customer unlinked"} <= set(audit["action"])


def test_our_replies_on_the_platform_are_listed_beside_the_desks_once_each(desk, config):
    """The company's account answered Maryam on X itself, and an agent answered her through
    Clamor, which posted the reply; both come back from X as the account's posts. Her
    history lists each reply once: the agent's as sent in Clamor, the other as sent on x."""
    auth.add_user(desk, "Eleni Markou", "agent", "aerolume-demo")
    sent = "Hi Maryam, we are looking into your refund and will be back within 2 hours"
    actions.post_reply(desk, "x:p3", actor="Eleni Markou", text=sent, dry_run=False,
                       poster=lambda native_id, text, dry_run: {"platform_id": "p21"})
    load(desk, config, [
        post(20, "x", "@AerolumeHelp", "@maryam_r7 so sorry, we have asked finance", 0.5,
             reply_to="p1"),
        post(21, "x", "@AerolumeHelp", sent, 0.2, reply_to="p3"),  # the agent's, back
    ])
    filed = desk.query_rows("SELECT mention_id, role FROM case_mentions "
                            "WHERE mention_id IN ('x:p20', 'x:p21') ORDER BY 1")
    assert filed == [("x:p20", "response"), ("x:p21", "response")]
    found = customers.history(desk, customers.key_of(*MARYAM_X))
    assert found.replies[["reply_text", "actor", "sent"]].values.tolist() == [
        [sent, "Eleni Markou", "in Clamor"],
        ["@maryam_r7 so sorry, we have asked finance", "@AerolumeHelp", "on x"]]
    assert found.replies["case_id"].tolist() == [case_of(desk, "p3"), case_of(desk, "p1")]


def test_notes_are_private_audited_and_role_checked(desk):
    auth.add_user(desk, "Eleni Markou", "agent", "aerolume-demo")
    auth.add_user(desk, "Ana Lytic", "analyst", "aerolume-demo")
    key = customers.key_of(*MARYAM_X)
    customers.add_note(desk, key, "Prefers Persian; flew AL 213 twice", by="Eleni Markou")
    with pytest.raises(auth.NotPermitted, match="Ana Lytic is an analyst; only agents, managers, "
                       "admins may write notes about customers"):
        customers.add_note(desk, key, "peeking", by="Ana Lytic")
    with pytest.raises(CustomerError, match="write the note first"):
        customers.add_note(desk, key, "  ", by="Eleni Markou")
    notes = customers.history(desk, key).notes
    assert notes[["written_by", "note"]].values.tolist() == [
        ["Eleni Markou", "Prefers Persian; flew AL 213 twice"]]
    audit = queries.audit_entries(desk, action="customer note")
    assert audit[["who", "object", "detail"]].values.tolist() == [
        ["Eleni Markou", key, "Prefers Persian; flew AL 213 twice"]]
    # notes follow the customer when handles are linked
    customers.link(desk, customers.key_of(*MARYAM_REDDIT), *MARYAM_X, by="Eleni Markou")
    merged = customers.customer_key(desk, *MARYAM_X)
    assert len(customers.history(desk, merged).notes) == 1
    # never in what analysts export: the explorer's export holds mentions, not notes
    out = desk.path.parent / "analyst.csv"
    explorer.export(desk, explorer.Filter(), "csv", out)
    assert "maryam_r7" in out.read_text(encoding="utf-8")
    assert "Prefers Persian" not in out.read_text(encoding="utf-8")


def test_repeat_contact_counts_complaints_across_linked_handles(desk):
    key = customers.key_of(*MARYAM_X)
    assert customers.repeat_count(desk, key, NOW) == 2, "two X cases"
    customers.link(desk, key, *MARYAM_REDDIT, by="Eleni Markou")
    assert customers.repeat_count(desk, key, NOW) == 3
    assert customers.repeat_count(desk, key, NOW, days=1) == 1
    assert customers.repeat_count(desk, key, NOW + dt.timedelta(days=30)) == 0
    assert customers.repeat_count(desk, customers.key_of("x", "@tom_q"), NOW) == 1
    assert [customers.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
    assert customers.repeat_text(1) is None
    assert customers.repeat_text(3) == "3rd complaint this week"
    x = customers.complaints_by_handle(desk, [MARYAM_X], NOW)
    assert x[["complaints"]].values.tolist() == [[2]]
    # per customer: the linked Reddit handle's one complaint too
    assert customers.complaints_per_customer(desk, [MARYAM_X], NOW) == {MARYAM_X: 3}


def test_each_case_keeps_its_newest_complaint_and_a_post_not_filed_counts_alone(desk, config):
    """The week's complaints are counted from each case's newest complaint, which filing
    keeps as messages join cases; a complaint analysed but not filed yet counts on its own
    until filing puts it in its case; a case an agent opens on a post filed under no case
    gets that post's complaint."""
    assert desk.query_rows(COMPLAINT_TIMES_OFF) == []
    assert desk.query_rows("SELECT count(last_complaint_at) FROM cases") == [(4,)]
    later = post(5, *MARYAM_X, "@AerolumeHelp still no refund, where is my money??", 0.5,
                 reply_to="p3")
    kept, own, _ = pipeline.prepare([later], config, keep_unmatched=True)
    desk.insert_mentions(kept, own=own, collector="test", version="1")
    pipeline.analyse_pending(desk, config, now=NOW, file=False)
    assert customers.complaints_per_customer(desk, [MARYAM_X], NOW) == {MARYAM_X: 3}
    cases.file_new(desk, config, NOW)
    assert case_of(desk, "p5") == case_of(desk, "p3")
    assert customers.complaints_per_customer(desk, [MARYAM_X], NOW) == {MARYAM_X: 2}
    assert desk.query_rows("SELECT last_complaint_at FROM cases WHERE id = ?",
                           [case_of(desk, "p3")]) == [(later.created_at,)]
    # A complaint naming only a competitor is filed under no case; an agent opens one on it.
    load(desk, config, [post(6, "x", "@tom_q", "Skyvane lost my bag, where is my refund??",
                             0.2)])
    assert desk.query_rows("SELECT case_id FROM case_mentions WHERE mention_id = 'x:p6'") \
        == [(None,)]
    assert customers.complaints_per_customer(desk, [("x", "@tom_q")], NOW) == {
        ("x", "@tom_q"): 1}
    actions.case_id(desk, "x:p6")
    assert customers.complaints_per_customer(desk, [("x", "@tom_q")], NOW) == {
        ("x", "@tom_q"): 2}
    assert desk.query_rows(COMPLAINT_TIMES_OFF) == []
    # a week later only the newest case counts; a day before the first one, none
    assert customers.complaints_per_customer(
        desk, [MARYAM_X], NOW + dt.timedelta(days=7, minutes=-45)) == {MARYAM_X: 1}
    assert customers.complaints_per_customer(
        desk, [MARYAM_X], NOW - dt.timedelta(days=5)) == {MARYAM_X: 0}


def test_a_third_complaint_outranks_an_otherwise_equal_first(desk, config):
    customers.link(desk, customers.key_of(*MARYAM_X), *MARYAM_REDDIT, by="Eleni Markou")
    for native in ("p1", "p2"):  # the earlier ones answered: only the newest two wait
        mention = f"x:{native}" if native == "p1" else "reddit:p2"
        actions.respond(desk, mention, actor="Eleni Markou", reply_text="Sorry!")
    frame = queries.inbox(desk, now=NOW).set_index("id")
    assert set(frame.index) == {"x:p3", "x:p4"}
    assert frame.loc["x:p3", "complaints_this_week"] == 3
    assert frame.loc["x:p4", "complaints_this_week"] == 1
    assert frame.loc["x:p3", "urgency"] - frame.loc["x:p4", "urgency"] == pytest.approx(6.0)
    assert frame.index.tolist() == ["x:p3", "x:p4"]


def test_export_holds_everything_and_is_audited(desk):
    key = customers.key_of(*MARYAM_X)
    customers.link(desk, key, *MARYAM_REDDIT, by="Eleni Markou")
    customers.add_note(desk, key, "VIP", by="Eleni Markou")
    actions.respond(desk, "x:p3", actor="Eleni Markou", reply_text="Hi @maryam_r7!")
    document = customers.export(desk, key, by="Eleni Markou")
    json.dumps(document)  # one JSON document
    assert [p["id"] for p in document["posts"]] == ["x:p1", "reddit:p2", "x:p3"]
    assert UNIQUE in document["posts"][0]["text"]
    assert [p["case_id"] for p in document["posts"]] == [case_of(desk, n) for n in
                                                         ("p1", "reddit:p2", "p3")]
    assert {p["lang"] for p in document["posts"]} == {"en"}
    assert all(p["complaint"] and p["complaint_cues"] for p in document["posts"])
    assert document["handles"] == [{"source": "x", "author": "@maryam_r7"},
                                   {"source": "reddit", "author": "u/maryam_r7"}]
    assert len(document["cases"]) == 3 and document["notes"][0]["note"] == "VIP"
    assert document["replies"][0]["reply_text"] == "Hi @maryam_r7!"
    assert {e["action"] for e in document["record_history"]} == {"linked", "note"}
    (detail,) = desk.query_rows("SELECT detail FROM customer_events WHERE action = 'exported'")
    assert json.loads(detail[0])["posts"] == 3


def _everything(store) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text-like cell in the database that is not empty."""
    found = []
    for table, column, kind in store.query_rows(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main'"):
        if kind not in ("VARCHAR", "JSON", "VARCHAR[]"):
            continue
        for (value,) in store.query_rows(
                f'SELECT "{column}"::VARCHAR FROM "{table}" WHERE "{column}" IS NOT NULL'):
            found.append((table, column, value))
    return found


def test_erasure_leaves_nothing_to_find_and_the_standards_still_add_up(desk, config):
    key = customers.key_of(*MARYAM_X)
    customers.link(desk, key, *MARYAM_REDDIT, by="Eleni Markou")
    customers.add_note(desk, key, "called about maryam_r7's refund", by="Eleni Markou")
    actions.respond(desk, "x:p1", actor="Eleni Markou", reply_text="Hi @Maryam_R7, sorry!")
    # our own reply on the platform names her too
    load(desk, config, [Mention(source="x", native_id="own1", author="@AerolumeHelp",
                                text="@maryam_r7 we have sent you a DM",
                                created_at=NOW - dt.timedelta(minutes=30), in_reply_to="p3",
                                conversation_id="p3",
                                raw={"entities": {"mentions": [{"username": "maryam_r7"}]}})])
    customers.export(desk, key, by="Eleni Markou")
    before = standards.report(config, queries.case_measures(desk), NOW)
    cases_before = desk.query_rows("SELECT count(*), count(first_response_at) FROM cases")
    assert any("maryam_r7" in v.lower() for _, _, v in _everything(desk))
    assert any(UNIQUE in v for _, _, v in _everything(desk))

    counts = customers.erase(desk, key, by="Dimitris Alexiou")

    left = [(t, c) for t, c, v in _everything(desk)
            if "maryam_r7" in v.lower() or UNIQUE in v.lower()]
    assert left == [], f"still findable in {left}"
    assert counts["posts"] == 3 and counts["cases"] == 3 and counts["notes"] == 1
    assert counts["links"] == 2 and counts["index_words"] > 0
    assert counts["posts_naming_them"] == 1 and counts["replies_and_events"] >= 1
    pseudonym = counts["customer"]
    assert pseudonym.startswith("erased-")
    texts = desk.query_rows("SELECT text, author, url, raw FROM mentions "
                            "WHERE id IN ('x:p1', 'reddit:p2', 'x:p3')")
    assert {t for t, *_ in texts} == {customers.ERASED_TEXT}
    assert all(url is None and raw is None and a.startswith("erased-") for _, a, url, raw in texts)
    assert desk.query_rows("SELECT text FROM mentions WHERE id = 'x:own1'") == [
        (f"{pseudonym} we have sent you a DM",)]
    # one audit record: who erased what, with the counts, naming nobody
    audit = queries.audit_entries(desk, action="customer erased")
    assert audit[["who", "object"]].values.tolist() == [["Dimitris Alexiou", pseudonym]]
    assert json.loads(audit.iloc[0]["detail"])["posts"] == 3
    # cases, responses and the standards still add up
    assert desk.query_rows("SELECT count(*), count(first_response_at) FROM cases") == \
        cases_before
    assert standards.report(config, queries.case_measures(desk), NOW) == before
    assert len(queries.case_measures(desk)) == cases_before[0][0]
    # nothing is found by the explorer's search either
    assert explorer.count(desk, explorer.Filter(text=UNIQUE)) == 0
    assert explorer.count(desk, explorer.Filter(author="maryam_r7")) == 0


def test_erasure_replaces_the_handle_not_a_name_that_happens_to_match():
    scrub = customers._scrubber([("x", "@tom")], {("x", "@tom"): "erased-1"})
    assert scrub("Tom at the gate was kind; thanks @Tom and u/tom!") == \
        "Tom at the gate was kind; thanks erased-1 and erased-1!"
    raw = customers._scrubber([("x", "@tom")], {("x", "@tom"): "erased-1"}, raw=True)
    assert raw('{"username": "tom", "url": "https://x.com/tom/status/1", "n": "tomas"}') == \
        '{"username": "erased-1", "url": "https://x.com/erased-1/status/1", "n": "tomas"}'


def test_only_managers_and_admins_erase(desk):
    auth.add_user(desk, "Eleni Markou", "agent", "aerolume-demo")
    with pytest.raises(auth.NotPermitted, match="only managers, admins may erase"):
        customers.erase(desk, customers.key_of(*MARYAM_X), by="Eleni Markou")
    assert desk.query_rows("SELECT count(*) FROM mentions WHERE author = '@maryam_r7'") == [(2,)]


def test_the_command_line_exports_and_erases(desk, tmp_path, capsys):
    db = str(desk.path)
    desk.close()
    out = tmp_path / "maryam.json"
    assert cli.main(["customer", "export", "x", "@maryam_r7", "-o", str(out), "--db", db,
                     "--demo"]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert len(document["posts"]) == 2
    assert cli.main(["customer", "erase", "x", "@maryam_r7", "--db", db, "--demo"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert cli.main(["customer", "erase", "x", "@maryam_r7", "--yes", "--db", db,
                     "--demo"]) == 0
    assert "erased 2 posts" in capsys.readouterr().out
    assert cli.main(["customer", "export", "x", "@nobody", "-o", str(out), "--db", db,
                     "--demo"]) == 2
    from clamor.store import Store
    store = Store(db)
    try:
        assert store.query_rows("SELECT actor, action FROM customer_events ORDER BY "
                                "happened_at") == [("command line", "exported"),
                                                   ("command line", "erased")]
    finally:
        store.close()


# -- the dashboard -------------------------------------------------------------------------

def _repeat_customer(app_env, config):
    """A customer of the demo database with a third complaint this week, waiting."""
    from clamor.store import Store

    store = Store(app_env)
    try:
        load(store, config, [post(n, *MARYAM_X, COMPLAINT + f" {UNIQUE}", 80 - 30 * n)
                             for n in range(3)])
    finally:
        store.close()
    return "x:p2"


def test_the_customer_page_shows_the_history_and_takes_notes(app_env, config):
    newest = _repeat_customer(app_env, config)
    at = page_test("pages/customer.py", name="Eleni Markou", role="agent")
    at.query_params["customer"] = customers.key_of(*MARYAM_X)
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Customer"]
    shown = " ".join(t.value for t in at.text)
    assert "@maryam_r7" in shown and "3rd complaint this week" in shown
    assert "Erase" not in [b.label for b in at.button], "agents do not erase"
    at.text_area(key="customer-note").input("Called back, refund on its way")
    at.button(key="customer-add-note").click().run()
    assert not at.exception, at.exception
    assert "Called back, refund on its way" in " ".join(t.value for t in at.text)
    assert newest


def test_a_manager_erases_from_the_page_after_confirming(app_env, config):
    _repeat_customer(app_env, config)
    at = page_test("pages/customer.py", name="Dimitris Alexiou", role="manager")
    at.query_params["customer"] = customers.key_of(*MARYAM_X)
    at.run()
    assert not at.exception, at.exception
    at.button(key="customer-erase").click().run()
    at.checkbox(key="customer-erase-sure").check().run()
    at.button(key="customer-erase-now").click().run()
    assert not at.exception, at.exception
    assert any("Erased" in t.value for t in at.text)
    from clamor.store import Store
    store = Store(app_env)
    try:
        assert store.query_rows("SELECT count(*) FROM mentions WHERE author = '@maryam_r7'") \
            == [(0,)]
    finally:
        store.close()


def test_the_case_panel_and_inbox_card_show_the_customer(app_env, config):
    newest = _repeat_customer(app_env, config)
    at = page_test("pages/inbox.py", name="Eleni Markou", role="agent")
    at.session_state["open_mention"] = newest
    at.run()
    assert not at.exception, at.exception
    shown = " ".join(t.value for t in at.text)
    assert "3rd complaint this week" in shown
    labels = [e.label for e in at.expander]
    assert any(label.startswith("Customer") for label in labels), labels
    assert "Customer history" in [b.label for b in at.button]
    # The panel is a fragment; its button still takes the agent to the customer's page.
    app = page_test("app.py", name="Eleni Markou", role="agent")
    app.run()
    app.switch_page("pages/inbox.py")
    app.session_state["open_mention"] = newest
    app.run()
    app.button(key="customer-history").click().run()
    assert not app.exception, app.exception
    assert "Customer" in [t.value for t in app.title], [t.value for t in app.title]


def test_erasure_finds_a_handle_in_greek_capitals_where_it_was_typed(store, config):
    """A saved search naming the customer is found by DuckDB's lowering on both sides
    (Python lowers a closing "Σ" to "ς", DuckDB to "σ": it was missed, and kept)."""
    author = ("web", "ΚΩΣΤΑΣ")
    load(store, config, [post(1, *author, "Aerolume lost my bag, nobody answers??", 2)])
    explorer.save_search(store, "Ana Lytic", "his posts", explorer.Filter(author="@ΚΩΣΤΑΣ"))
    counts = customers.erase(store, customers.key_of(*author), by="Dimitris Alexiou")
    assert counts["saved_searches"] == 1
    (filters,) = store.query_rows("SELECT filters::VARCHAR FROM saved_searches")[0]
    assert "ΚΩΣΤΑΣ" not in filters and "erased-" in filters


def test_a_store_made_before_cases_kept_their_newest_complaint_gets_it(demo_db):
    """Migration 016 on the demo store: each case's newest complaint, filled from its
    messages, as filing had kept it."""
    from clamor.store import Store

    old = Store(demo_db)
    expected = old.query_rows("SELECT id, last_complaint_at FROM cases ORDER BY id")
    with old.transaction() as con:
        con.execute("ALTER TABLE cases DROP COLUMN last_complaint_at")
        con.execute("DELETE FROM schema_migrations WHERE version = 16")
    old.close()
    upgraded = Store(demo_db)
    try:
        assert upgraded.query_rows(COMPLAINT_TIMES_OFF) == []
        assert upgraded.query_rows("SELECT id, last_complaint_at FROM cases ORDER BY id") \
            == expected
        assert sum(at is not None for _, at in expected) > 20
    finally:
        upgraded.close()
