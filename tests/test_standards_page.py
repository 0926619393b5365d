"""The Standards and Audit log pages, run by Streamlit's AppTest against the seeded demo
database: what a manager reads there agrees with `clamor report standards`, and every action
shows up in the audit log."""

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

import clamor.store
from clamor import actions, queries, standards
from clamor.config import DEMO_CONFIG, load_config
from clamor.queries import InboxFilter
from tests.conftest import page_test, run


@pytest.fixture
def frozen(app_env, monkeypatch):
    """The page and the test measure at the same instant (after the demo's history was laid
    out before the real now), so a case crossing its target between the two cannot make them
    differ."""
    now = clamor.store.utcnow()
    monkeypatch.setattr(clamor.store, "utcnow", lambda: now)
    return now


def cards(at: AppTest) -> dict[str, dict]:
    """Each standard's card as shown: its metrics and its caption, by standard name."""
    shown = {}
    for column in at.columns:
        for box in column.children.values():
            if box.type != "flex_container" or not box.subheader:
                continue
            shown[box.subheader[0].value] = {
                "metrics": {m.label: m.value for m in box.metric},
                "caption": " ".join(c.value for c in box.caption)}
    return shown


def test_every_standard_shows_the_reports_figures(app_env, demo_store, frozen):
    config = load_config(DEMO_CONFIG)
    at = run("pages/standards.py")
    report = standards.report(
        config, queries.case_measures(demo_store, since=frozen - dt.timedelta(days=28)), frozen)
    shown = cards(at)
    assert list(shown) == [s.name for s in config.standards]
    assert len(report["standards"]) == 6
    for std in report["standards"]:
        card = shown[std["name"]]
        assert std["cases"] > 0, "the demo gives every standard something to measure"
        share = float(card["metrics"]["Share met"].removesuffix(" %"))
        assert share <= std["share_met"] * 100 < share + 0.1
        assert card["metrics"]["Late now"] == f"{std['late_now']:,}"
        assert card["metrics"]["Still in time"] == f"{std['still_in_time']:,}"
        assert f"{std['cases']:,} cases measured" in card["caption"]
        assert f"Goal: {std['percentile']:g} %" in card["caption"]
    # the demo's team is far behind: the hour standard is broken, and the badge says so
    assert any("broken" in m.value for m in at.markdown)


def test_the_period_changes_what_is_measured(app_env, demo_store, frozen):
    at = run("pages/standards.py")
    at.segmented_control(key="std_days").set_value(1).run()
    assert not at.exception, at.exception
    day = queries.case_measures(demo_store, since=frozen - dt.timedelta(days=1))
    assert at.caption[0].value.startswith(f"{len(day):,} cases opened since ")
    assert "--days 1`" in at.caption[0].value


def test_every_breakdown_and_clock_can_be_chosen(app_env):
    at = run("pages/standards.py")
    charts = len(at.get("vega_lite_chart"))
    for by in standards.BREAKDOWNS:
        at.segmented_control(key="std_by").set_value(by).run()
        assert not at.exception, (by, at.exception)
        assert at.dataframe[0].value.columns[0] == by.capitalize()
    names = [s.name for s in load_config(DEMO_CONFIG).standards]
    at.selectbox(key="std_name").set_value(names.index("Complaints resolved within a day"))
    at.run()
    at.selectbox(key="std_clock").set_value("Care Asia").run()
    assert not at.exception, at.exception
    assert charts >= 2, "share met by day, and the first-response curve"
    breaches = at.dataframe[1].value
    assert list(breaches.columns) == ["case", "minutes", "still_open", "source", "language",
                                      "owner", "team", "opened"]
    assert breaches["minutes"].is_monotonic_decreasing
    assert (breaches["minutes"] > 24 * 60).all()


def test_without_standards_the_page_says_how_to_add_them(app_env, tmp_path, monkeypatch):
    bare = tmp_path / "clamor.toml"
    bare.write_text('[brand]\nname = "Aerolume"\n[watchlist]\n'
                    'terms = [{ term = "Aerolume", kind = "brand" }]\n', encoding="utf-8")
    monkeypatch.setenv("CLAMOR_CONFIG", str(bare))
    at = run("pages/standards.py")
    advice = " ".join(i.value for i in at.info)
    assert "[[standards]]" in advice and str(bare) in advice
    assert at.metric, "response times are still shown"


def test_the_audit_log_shows_an_assignment_and_narrows_to_its_case(app_env, demo_store):
    config = load_config(DEMO_CONFIG)
    case_id = queries.case_measures(demo_store).query("owner.isna()").iloc[0]["id"]
    before = queries.case(demo_store, case_id)["team"]
    actions.assign(demo_store, config, [case_id], actor="Maria Manager", owner="Eleni Markou")

    at = run("pages/audit.py")
    log = at.dataframe[0].value
    newest = log.iloc[0]
    assert (newest["who"], newest["action"], newest["object"]) == \
        ("Maria Manager", "assigned", case_id)
    assert newest["before"] == f"team {before}"
    assert newest["after"] == "Eleni Markou (Care Europe)"
    assert log["object"].nunique() > 1

    at.text_input(key="audit_case").set_value(f" {case_id.lower()} ").run()
    assert not at.exception, at.exception
    narrowed = at.dataframe[0].value
    assert set(narrowed["object"]) == {case_id}
    assert {"opened", "assigned"} <= set(narrowed["action"])

    at.selectbox(key="audit_who").set_value("Maria Manager").run()
    assert list(at.dataframe[0].value["action"]) == ["assigned"]
    assert at.download_button[0].label == "Download these actions as CSV"

    at.text_input(key="audit_case").set_value("C-00000").run()
    assert not at.dataframe and "check the case number" in at.info[0].value


def test_reply_text_in_the_audit_log_stays_a_data_cell(app_env, demo_store):
    target = queries.inbox(demo_store, InboxFilter()).iloc[0]
    reply = "**Sorry** <img src=x onerror=alert(1)> we are on it"
    case_id = actions.respond(demo_store, target["id"], actor="Sara", reply_text=reply)
    at = page_test("pages/audit.py")
    at.session_state["audit_case"] = case_id
    at.run()
    assert not at.exception, at.exception
    assert reply in list(at.dataframe[0].value["detail"])
    for element in [*at.markdown, *at.caption, *at.info, *at.text]:
        assert "onerror" not in element.value


def test_case_measures_sum_up_each_cases_customer_messages(demo_store, config):
    """Each case's language is its first customer message's, it is a complaint if any of
    them is, and its reach is the most followed customer's; opened in [since, until)."""
    from clamor import pipeline
    from collectors.base import Mention

    # A customer writes again in Persian, with more followers by now: one case, two messages.
    case, author, followers, native, created = demo_store.query_rows("""
        SELECT f.case_id, m.author, m.author_followers, m.native_id, m.created_at
        FROM case_mentions f JOIN mentions m ON m.id = f.mention_id
        JOIN cases c ON c.id = f.case_id JOIN analysis a ON a.mention_id = m.id
        WHERE f.role = 'customer' AND c.messages = 1 AND m.source = 'x' AND a.lang = 'en'
        ORDER BY m.created_at DESC LIMIT 1""")[0]
    again = Mention(source="x", native_id="again-1", author=author,
                    author_followers=followers + 500, text="ایرولوم هنوز خبری نشد؟",
                    created_at=created + dt.timedelta(minutes=5), in_reply_to=native,
                    conversation_id=native)
    kept, own, _ = pipeline.prepare([again], config, demo_store.existing_ids([f"x:{native}"]))
    demo_store.insert_mentions(kept, own=own, collector="t", version="1")
    pipeline.analyse_pending(demo_store, config)
    rows = demo_store.query_df("""
        SELECT f.case_id, m.created_at, m.author_followers, a.lang, a.complaint
        FROM case_mentions f JOIN mentions m ON m.id = f.mention_id
        LEFT JOIN analysis a ON a.mention_id = m.id
        WHERE f.role = 'customer' AND f.case_id IS NOT NULL""")
    rows = rows.sort_values(["case_id", "created_at"])
    expected = {case: (group["lang"].iloc[0], bool(group["complaint"].fillna(False).any()),
                       group["author_followers"].max())
                for case, group in rows.groupby("case_id")}
    measured = queries.case_measures(demo_store)
    assert (rows["case_id"] == case).sum() == 2, "the second message joined the case"
    shown = measured.set_index("id").loc[case]
    assert (shown["lang"], shown["reach"]) == ("en", followers + 500)
    assert measured["opened_at"].is_monotonic_increasing
    assert len(measured) == len(expected) > 50
    for row in measured.itertuples():
        lang, complaint, reach = expected[row.id]
        assert (row.lang, row.complaint, row.reach) == (lang, complaint, reach), row.id
    assert measured["complaint"].nunique() == 2 and measured["lang"].nunique() >= 4
    middle = measured["opened_at"].iloc[len(measured) // 2]
    since = queries.case_measures(demo_store, since=middle)
    until = queries.case_measures(demo_store, until=middle)
    assert len(since) + len(until) == len(measured) and since["opened_at"].min() == middle
