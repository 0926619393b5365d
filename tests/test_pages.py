"""Each page, run by Streamlit's AppTest against a real demo database."""

import re

from streamlit.testing.v1 import AppTest

from clamor import queries
from clamor.queries import InboxFilter
from clamor.config import DEMO_CONFIG
from tests.conftest import ROOT, as_user, page_test, run


def texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def test_app_lists_the_three_pages(app_env):
    at = run("app.py")
    assert not at.error


def test_inbox_shows_the_urgent_persian_complaint_and_answers_it(app_env, demo_store):
    at = run("pages/inbox.py")
    target = queries.inbox(demo_store, InboxFilter(languages=("fa",), complaints_only=True)
                           ).iloc[0]
    assert target["text"][:200] in " ".join(texts(at))[:10**7]
    assert "unanswered" in at.caption[0].value

    as_user(at, "Sara")
    at.run()
    at.button(key=f"open-{target['id']}").click().run()
    assert not at.exception, at.exception
    template = at.selectbox(key=f"tpl-{target['id']}-acknowledge")
    assert template.value.lang == "fa"
    reply = at.text_area[0].value
    assert target["author"] in reply and "{author}" not in reply
    at.button(key=f"respond-{target['id']}").click().run()
    assert not at.exception, at.exception
    assert queries.first_response(demo_store, target["id"]) is not None
    assert target["text"][:200] not in " ".join(texts(at))


def test_the_inbox_shows_the_most_urgent_25_and_more_on_request(app_env, demo_store, config):
    ranked = queries.inbox(demo_store, InboxFilter(limit=60), config=config)["id"].tolist()
    assert len(ranked) == 60, "the demo has more than 50 cases waiting"
    at = run("pages/inbox.py", name="Eleni Markou", role="agent")

    def shown() -> list[str]:
        return [b.key.removeprefix("open-") for b in at.button
                if b.key and b.key.startswith("open-") and not b.key.startswith("open-p")]

    assert shown() == ranked[:25]
    at.button(key="show-more").click().run()
    assert not at.exception, at.exception
    assert shown() == ranked[:50]


def test_the_case_history_is_read_only_when_opened(app_env, demo_store):
    at = run("pages/inbox.py", name="Eleni Markou", role="agent")
    target = queries.inbox(demo_store).iloc[0]
    at.button(key=f"open-{target['id']}").click().run()
    assert not at.exception, at.exception
    assert [e.label for e in at.expander if e.label.startswith("Case history")]
    assert len(at.dataframe) == 0, "closed: no tables drawn"
    at.session_state["case-history"] = True  # the agent opens it
    at.run()
    assert not at.exception, at.exception
    log = at.dataframe[0].value
    assert log["kind"].tolist() == queries.case_events(demo_store, target["case_id"])[
        "kind"].tolist()
    assert "opened" in log["kind"].tolist()


def test_the_case_panel_says_when_the_next_response_is_due(app_env, demo_store, config):
    from clamor import standards
    from clamor.store import utcnow

    frame = queries.inbox(demo_store, config=config)
    timers = standards.due(config, frame, utcnow())
    due = timers[timers["due_at"].notna()]
    assert not due.empty
    target, timer = frame.loc[due.index[0]], due.iloc[0]
    at = run("pages/inbox.py", name="Eleni Markou", role="agent")
    at.button(key=f"open-{target['id']}").click().run()
    assert not at.exception, at.exception
    shown = [t.value for t in at.text if t.value.startswith("Next response due")]
    assert len(shown) == 1 and f"“{timer['standard']}”" in shown[0], shown


def test_hostile_markup_is_shown_as_literal_text(app_env, demo_store):
    hostile = demo_store.query_rows(
        "SELECT id, text FROM mentions WHERE text LIKE '%<script>%' OR text LIKE '%onerror%'")
    assert hostile
    at = page_test("pages/inbox.py")
    at.session_state["open_mention"] = hostile[0][0]  # its reply panel shows the thread
    at.run()
    assert not at.exception
    assert any(hostile[0][1] in t for t in texts(at)), "shown whole, as plain text"
    for element in [*at.markdown, *at.caption, *at.info, *at.error, *at.warning]:
        assert "<script>" not in element.value and "onerror" not in element.value


def test_inbox_filters_to_greek_complaints(app_env, demo_store):
    at = run("pages/inbox.py")
    at.multiselect(key="f_lang").set_value(["el"])
    at.toggle(key="f_complaints").set_value(True).run()
    assert not at.exception
    greek = queries.inbox(demo_store, InboxFilter(languages=("el",), complaints_only=True))
    english = queries.inbox(demo_store, InboxFilter(languages=("en",)))
    shown = " ".join(texts(at))
    assert greek.iloc[0]["text"][:100] in shown
    assert english.iloc[0]["text"][:100] not in shown


def test_overview_shows_totals_and_charts(app_env):
    at = run("pages/overview.py")
    labels = [m.label for m in at.metric]
    assert labels == ["Customer mentions", "Unanswered now", "Complaints", "Sentiment unscored"]
    assert int(at.metric[0].value.replace(",", "")) > 300
    assert len(at.get("vega_lite_chart")) == 3


def test_sources_page_says_why_each_source_is_off(app_env, monkeypatch):
    at = run("pages/sources.py")
    shown = " ".join(texts(at))
    assert "switched off in the config: [sources.x] enabled = false" in shown
    assert "every 15 s" in shown
    assert at.metric, "the demo source's last run is shown"


def test_a_broken_config_is_a_sentence_on_the_page(app_env, tmp_path, monkeypatch):
    broken = tmp_path / "clamor.toml"
    broken.write_text('[brand]\nname = "X"\n[watchlist]\nterms = []\n', encoding="utf-8")
    monkeypatch.setenv("CLAMOR_CONFIG", str(broken))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert "watchlist.terms" in at.error[0].value


def test_sources_page_pauses_and_resumes_a_source(app_env, demo_store):
    at = run("pages/sources.py")
    at.button(key="pause-demo").click().run()
    assert not at.exception
    assert demo_store.paused("demo") is not None
    assert any(t.startswith("Paused by") for t in texts(at))
    at.button(key="resume-demo").click().run()
    assert demo_store.paused("demo") is None


def test_sources_page_shows_a_failed_run_in_plain_words(app_env, demo_store):
    from clamor.store import utcnow

    demo_store.record_run("demo", started_at=utcnow(), status="error",
                          message="X sent a page that could not be read: <b>bold</b>")
    at = run("pages/sources.py")
    assert "X sent a page that could not be read: <b>bold</b>" in texts(at)
    assert at.error[0].value == "The last run did not complete:"


def test_complaints_say_why_they_were_flagged_in_the_customers_words(app_env, demo_store):
    at = run("pages/inbox.py")
    reasons = [t for t in texts(at) if t.startswith("Why a complaint: ")]
    assert reasons and all("“" in r for r in reasons)
    # each cue quoted as written (Ούτε επιστροφή, ليش), not in the analysis' normal form
    # (ουτε επιστροφη, لیش), which no customer wrote
    quoted = [q for r in reasons for q in re.findall("“\u2068(.*?)\u2069”", r)]
    posts = queries.inbox(demo_store, InboxFilter(limit=200))["text"].tolist()
    assert len(quoted) >= len(reasons)
    assert [q for q in quoted if not any(q in post for post in posts)] == []
    assert any(not q.isascii() for q in quoted)


def test_with_posting_on_the_reply_panel_offers_a_dry_run(app_env, demo_store, tmp_path,
                                                          monkeypatch):
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace(
        "[sources.x]\nenabled = false", "[sources.x]\nreply_posting = true\nenabled = false")
    config_file = tmp_path / "posting.toml"
    config_file.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CLAMOR_CONFIG", str(config_file))
    target = queries.inbox(demo_store, InboxFilter(sources=("x",))).iloc[0]
    at = page_test("pages/inbox.py")
    at.session_state["open_mention"] = target["id"]
    as_user(at, "Sara")
    at.run()
    assert not at.exception, at.exception
    at.button(key=f"dry-{target['id']}").click().run()
    shown = [c.value for c in at.code]
    assert any('"would_send"' in c and target["id"].split(":", 1)[1] in c for c in shown)
    assert demo_store.query_rows("SELECT outcome FROM posted_replies") == [("dry run",)]


def test_bulk_select_and_ignore_as_spam(app_env, demo_store):
    frame = queries.inbox(demo_store)
    chosen = frame["case_id"].iloc[:2].tolist()
    at = run("pages/inbox.py")
    as_user(at, "Tom Reid")
    for case in chosen:
        at.checkbox(key=f"sel-{case}").check()
    at.run()
    assert any(t.startswith("2 selected") for t in texts(at))
    at.button(key="bulk-spam").click().run()
    assert not at.exception, at.exception
    assert [queries.case(demo_store, c)["status"] for c in chosen] == ["ignored", "ignored"]
    log = queries.audit_log(demo_store, case_id=chosen[0])
    assert (log["action"] == "ignored").any() and (log["who"] == "Tom Reid").any()


def test_promises_and_follow_ups_views(app_env, demo_store, config):
    import datetime as dt

    from clamor import actions

    rows = queries.inbox(demo_store).iloc[:2]
    now = dt.datetime.now(dt.timezone.utc)
    promised = actions.respond(demo_store, rows.iloc[0]["id"], actor="Tom Reid", lang="en",
                               reply_text="We'll be back to you within 2 hours.", at=now)
    resolved = rows.iloc[1]["case_id"]
    actions.resolve(demo_store, config, resolved, actor="Tom Reid",
                    at=now - dt.timedelta(hours=25))
    at = run("pages/inbox.py")
    as_user(at, "Tom Reid")
    at.segmented_control(key="view").set_value("promises").run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert any(t.startswith(f"{promised} · due ") for t in shown)
    at.segmented_control(key="view").set_value("follow_ups").run()
    assert any(t.startswith(f"{resolved} · resolved ") for t in texts(at))
    at.button(key=f"open-follow-up-{resolved}").click().run()
    assert not at.exception, at.exception
    at.button(key=f"mark-followed-up-{resolved}").click().run()
    assert queries.case(demo_store, resolved)["followed_up_at"] is not None


def test_the_reply_gets_a_tone_check_and_its_promise_before_it_is_sent(app_env, demo_store):
    target = queries.inbox(demo_store, InboxFilter(languages=("en",))).iloc[0]
    at = page_test("pages/inbox.py")
    at.session_state["open_mention"] = target["id"]
    as_user(at, "Tom Reid")
    at.run()
    reply = at.text_area[0]
    reply.set_value("As I already said, you must wait. We'll get back to you soon.").run()
    assert not at.exception, at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "Sounds curt" in warnings and "A promise with no time" in warnings
    assert "“\u2068As I already said\u2069”" in texts(at)
    at.text_area[0].set_value("So sorry! We'll be back to you within 2 hours.").run()
    assert not at.warning
    assert "promises an answer within 2 h" in at.info[-1].value


def test_a_case_goes_to_a_teams_queue_from_the_panel(app_env, demo_store):
    target = queries.inbox(demo_store).iloc[0]
    at = page_test("pages/inbox.py")
    at.session_state["open_mention"] = target["id"]
    as_user(at, "Dimitris Alexiou")
    at.run()
    at.selectbox(key=f"team-{target['case_id']}").set_value("Loyalty").run()
    at.button(key=f"assign-{target['case_id']}").click().run()
    assert not at.exception, at.exception
    case = queries.case(demo_store, target["case_id"])
    assert (case["owner"], case["team"]) == (None, "Loyalty")


def test_an_admin_backs_up_the_running_database_from_the_sources_page(app_env):
    at = run("pages/sources.py", name="Admin", role="admin")
    at.button(key="backup").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Wrote ")
    assert list((app_env.parent / "backups").glob("*.duckdb"))
