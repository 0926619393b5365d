"""The Team and Templates pages: each person's figures, shift coverage across DST and
holidays, service quality arithmetic, survey entry and template editing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analysis.metrics import percentile
from clamor import case_view, performance, queries, template_editing, templates
from clamor.config import parse_config
from clamor.hours import BusinessHours
from tests.conftest import run

UTC = dt.timezone.utc


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime(2026, month, day, hour, minute, tzinfo=UTC))


def small_config(**extra) -> object:
    data = {
        "brand": {"name": "Aerolume"},
        "watchlist": {"languages": ["el", "th", "en"], "terms": [{"term": "Aerolume",
                                                                   "kind": "brand"}]},
        "teams": [
            {"name": "Athens", "timezone": "Europe/Athens", "hours": {"mon-sun": "09:00-17:00"},
             "languages": ["el", "en"], "channels": ["x"]},
            {"name": "Bangkok", "timezone": "Asia/Bangkok", "hours": {"mon-sun": "08:00-20:00"},
             "holidays": ["2026-12-05"], "languages": ["th", "en"]},
        ],
        "people": [
            {"name": "Ana", "team": "Athens", "languages": ["el", "en"]},
            {"name": "Ben", "team": "Bangkok", "languages": ["th"]},
            {"name": "Mia", "team": "Athens", "role": "manager", "languages": ["el"],
             "shift": {"sat-sun": "00:00-24:00"}},
        ],
    }
    data.update(extra)
    return parse_config(data)


# -- agent performance ---------------------------------------------------------------------

ACTIVITY_COLUMNS = ["actor", "case_id", "opened_at", "first_response_at", "resolved_at", "team",
                    "responded_at", "resolved_by_at", "actions"]


def activity_frame(rows) -> pd.DataFrame:
    """Rows shaped as queries.agent_activity returns them."""
    frame = pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)
    for column in ("opened_at", "first_response_at", "resolved_at", "responded_at",
                   "resolved_by_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def activity_rows() -> pd.DataFrame:
    return activity_frame([
        # Ana answered first after 20 min and resolved after 2 h.
        ("Ana", "C-1", at(25, 10), at(25, 10, 20), at(25, 12), "Athens", at(25, 10, 20),
         at(25, 12), 3),
        # A reply typed on X came first: Ana's response is not a first response.
        ("Ana", "C-2", at(25, 10), at(25, 10, 5), None, "Athens", at(25, 10, 30), None, 1),
        ("Ana", "C-3", at(25, 9), at(25, 9, 50), None, "Athens", at(25, 9, 50), None, 1),
        ("Ana", "C-4", at(25, 8), at(25, 8, 10), at(25, 16), "Athens", at(25, 8, 10),
         at(25, 16), 2),
        # Only assigned: an action, but nothing handled.
        ("Ana", "C-6", at(25, 8), None, None, "Athens", None, None, 1),
        ("Ben", "C-5", at(25, 11), at(25, 11, 30), at(25, 13), "Bangkok", at(25, 11, 30),
         at(25, 13), 2),
        ("Zed", "C-7", at(25, 11), at(25, 11, 45), None, None, at(25, 11, 45), None, 1),
        ("Clamor", "C-1", at(25, 10), at(25, 10, 20), at(25, 12), "Athens", None, None, 2),
        ("@AerolumeHelp on x", "C-2", at(25, 10), at(25, 10, 5), None, "Athens",
         at(25, 10, 5), None, 1),
        ("import: answers.csv", "C-1", at(25, 10), at(25, 10, 20), at(25, 12), "Athens",
         None, None, 1),
    ])


def answer_rows(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["case_id", "kind", "score", "answered_at", "team",
                                        "owner", "resolved_by"])
    frame["answered_at"] = pd.to_datetime(frame["answered_at"], utc=True)
    return frame


def test_each_persons_figures_match_a_hand_count():
    config = small_config()
    answers = answer_rows([
        ("C-1", "csat", 5, at(26, 9), "Athens", "Ben", "Ana"),   # Ana resolved, Ben owns
        ("C-4", "csat", 3, at(26, 9), "Athens", "Ana", "Ana"),
        ("C-9", "csat", 1, at(26, 9), "Athens", None, "Ana"),    # resolved before the period
        ("C-5", "nps", 10, at(26, 9), "Bangkok", "Ben", "Ben"),  # not a CSAT answer
    ])
    now = dt.datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # Wednesday 16:00 in Athens
    table = performance.agent_performance(activity_rows(), answers, config, {"Ana": 3}, now)

    assert list(table["person"]) == ["Ana", "Ben", "Mia", "Zed"]
    ana, ben, mia, zed = (table.iloc[i].to_dict() for i in range(4))
    assert ana["handled"] == 4 and ana["first_responses"] == 3
    # First responses 10, 20 and 50 min: nearest rank p50 is the 2nd, p90 the 3rd.
    assert (ana["first_response_p50_min"], ana["first_response_p90_min"]) == (20.0, 50.0)
    assert ana["resolved"] == 2
    assert (ana["resolution_p50_h"], ana["resolution_p90_h"]) == (2.0, 8.0)
    assert ana["csat_avg"] == 3.0 and ana["csat_answers"] == 3
    assert ana["open_now"] == 3 and ana["on_shift_now"] is True
    assert ben["handled"] == 1 and ben["first_response_p50_min"] == 30.0
    assert ben["csat_avg"] == 5.0 and ben["csat_answers"] == 1  # owner of C-1
    assert ben["on_shift_now"] is False  # 21:00 in Bangkok
    assert mia["handled"] == 0 and pd.isna(mia["first_response_p50_min"])
    assert pd.isna(zed["team"]) and zed["handled"] == 1 and zed["on_shift_now"] is None


def test_percentiles_are_nearest_rank_measurements():
    rows = []
    for i, minutes in enumerate(range(1, 11)):
        opened = at(25, 8)
        reply = opened + pd.Timedelta(minutes=minutes)
        rows.append(("Ana", f"C-{i}", opened, reply, None, "Athens", reply, None, 1))
    table = performance.agent_performance(activity_frame(rows), answer_rows([]), small_config(), {},
                                          dt.datetime(2026, 11, 25, tzinfo=UTC))
    ana = table.iloc[0]
    assert ana["first_response_p90_min"] == 9.0 == percentile(range(1, 11), 90)
    assert ana["first_response_p50_min"] == 5.0


def test_a_night_shift_belongs_to_the_day_it_starts():
    night = BusinessHours.parse("UTC", {"mon-fri": "22:00-24:00", "tue-sat": "00:00-06:00"})
    monday = performance.shift_windows(night, dt.date(2026, 11, 23))
    assert monday == [(dt.datetime(2026, 11, 23, 22, tzinfo=UTC),
                       dt.datetime(2026, 11, 24, 6, tzinfo=UTC))]
    always = performance.shift_windows(BusinessHours.always(), dt.date(2026, 11, 23))
    assert always == [(dt.datetime(2026, 11, 23, tzinfo=UTC),
                       dt.datetime(2026, 11, 24, tzinfo=UTC))]


def test_per_shift_figures_count_answers_within_the_persons_shift():
    config = small_config()
    shifts = performance.shift_spans(config, dt.date(2026, 11, 25))
    assert shifts["Ana"] == [(at(25, 7), at(25, 15))]  # 09:00-17:00 Athens (UTC+2)
    answers = answer_rows([("C-4", "csat", 4, at(25, 14), "Athens", "Ana", "Ana"),
                           ("C-4", "csat", 1, at(25, 16), "Athens", "Ana", "Ana")])
    table = performance.agent_performance(activity_rows(), answers, config, {},
                                          dt.datetime(2026, 11, 25, 10, tzinfo=UTC),
                                          shifts=shifts)
    assert list(table["person"]) == ["Ana", "Ben", "Mia"]
    ana = table.iloc[0]
    assert ana["csat_answers"] == 1 and ana["csat_avg"] == 4.0
    assert ana["shift"] == "09:00-17:00 Europe/Athens"
    assert table.iloc[2]["shift"] == "off"  # Mia works weekends


# -- shift coverage ------------------------------------------------------------------------

def cover_of(grid: pd.DataFrame, what: str, key: str) -> pd.DataFrame:
    return grid[(grid["what"] == what) & (grid["key"] == key)]


def test_coverage_follows_athens_across_the_spring_dst_change():
    config = small_config()
    # Summer time starts in Athens on Sunday 29 March 2026: 03:00 becomes 04:00.
    grid = performance.coverage(config, dt.date(2026, 3, 25), "UTC")
    greek = cover_of(grid, "language", "el").set_index("start")
    covered = greek[greek["people"] > 0].index
    saturday = [t.hour for t in covered if t.day == 28]
    sunday = [t.hour for t in covered if t.day == 29]
    assert saturday == list(range(7, 15))  # 09:00-17:00 at UTC+2
    assert sunday == list(range(6, 14))    # 09:00-17:00 at UTC+3
    assert len(greek) == 168 and set(greek["names"][greek["people"] > 0]) == {"Ana"}

    local = cover_of(performance.coverage(config, dt.date(2026, 3, 25), "Europe/Athens"),
                     "language", "el")
    assert len(local) == 167, "the week in Athens is an hour short"
    assert "Sun 03:00" not in set(local["label"]) and "Sun 04:00" in set(local["label"])
    on = local[local["people"] > 0]
    assert set(on["local"].map(lambda t: t.hour)) == set(range(9, 17))
    assert len(on) == 7 * 8
    autumn = cover_of(performance.coverage(config, dt.date(2026, 10, 25), "Europe/Athens"),
                      "language", "el")
    assert len(autumn) == 169 and "Sun 03:00 (2nd)" in set(autumn["label"])


def test_a_team_holiday_leaves_its_languages_uncovered():
    config = small_config()
    grid = performance.coverage(config, dt.date(2026, 12, 2), "Asia/Bangkok")
    thai = cover_of(grid, "language", "th")
    holiday = thai[thai["local"].map(lambda t: t.date()) == dt.date(2026, 12, 5)]
    friday = thai[thai["local"].map(lambda t: t.date()) == dt.date(2026, 12, 4)]
    assert len(holiday) == 24 and (holiday["people"] == 0).all()
    assert set(holiday["cover"]) == {"nobody"}
    assert (friday["people"] > 0).sum() == 12

    gaps = performance.coverage_gaps(config, dt.date(2026, 12, 2), "Asia/Bangkok")
    lines = performance.gap_sentences(gaps, "Asia/Bangkok")
    thai_line = next(line for line in lines if line.startswith("th: "))
    # Night gaps at the same hours are said once; the holiday joins Friday night to Sunday.
    assert thai_line == ("th: nobody Mon 00:00-08:00; Mon-Thu 20:00-08:00; Fri 20:00-Sun 08:00;"
                         " Sun 20:00-24:00 (Asia/Bangkok)")


def test_coverage_counts_managers_only_when_asked_and_marks_part_hours():
    config = small_config(people=[
        {"name": "Ana", "team": "Athens", "languages": ["el"], "shift": {"mon": "09:30-17:00"},
         "timezone": "UTC"},
        {"name": "Mia", "team": "Athens", "role": "manager", "languages": ["el"]},
    ])
    grid = performance.coverage(config, dt.date(2026, 11, 23), "UTC")
    greek = cover_of(grid, "language", "el").set_index("label")
    assert greek.loc["Mon 09:00", "cover"] == "part of the hour"
    assert greek.loc["Mon 09:00", "covered_minutes"] == 30
    assert greek.loc["Mon 10:00", "cover"] == "1 person"
    assert greek.loc["Tue 10:00", "cover"] == "nobody"
    with_managers = performance.coverage(config, dt.date(2026, 11, 23), "UTC",
                                         include_managers=True)
    greek = cover_of(with_managers, "language", "el").set_index("label")
    assert greek.loc["Mon 10:00", "cover"] == "2 people"
    assert greek.loc["Tue 10:00", "names"] == "Mia"
    # Ana's team covers X only: nobody is on Reddit.
    assert (cover_of(grid, "channel", "reddit")["people"] == 0).all()
    assert (cover_of(grid, "channel", "x")["people"] > 0).any()


# -- service quality -----------------------------------------------------------------------

def test_nps_is_promoters_minus_detractors_in_points():
    assert performance.nps([10, 10, 9, 3]) == 50.0
    assert performance.nps([10, 9, 8, 7, 6, 0]) == 0.0
    assert performance.nps([7, 8]) == 0.0
    assert performance.nps([0, 1, 10]) == pytest.approx(-33.3)
    assert performance.nps([]) is None


def test_service_quality_overall_by_week_and_by_team():
    answers = answer_rows([
        ("C-1", "csat", 5, at(17, 9), "Athens", "Ana", None),
        ("C-2", "csat", 4, at(17, 9), "Athens", "Ana", None),
        ("C-3", "csat", 2, at(25, 9), "Bangkok", "Ben", None),
        ("C-1", "nps", 10, at(17, 9), "Athens", "Ana", None),
        ("C-3", "nps", 5, at(25, 9), "Bangkok", "Ben", None),
        ("C-1", "ces", 2, at(17, 9), "Athens", "Ana", None),
    ])
    resolved = pd.DataFrame({
        "id": ["C-1", "C-2", "C-3"], "team": ["Athens", "Athens", None],
        "owner": ["Ana", "Ana", "Ben"],
        "resolved_at": pd.to_datetime([at(17, 10), at(17, 12), at(25, 20)], utc=True),
        "opened_at": pd.to_datetime([at(17, 8), at(17, 8), at(25, 8)], utc=True),
        "first_contact": [True, False, True],
    })
    overall = performance.service_quality(answers, resolved).iloc[0]
    assert overall["csat_avg"] == pytest.approx(3.67)
    assert overall["csat_satisfied"] == pytest.approx(2 / 3)
    assert overall["nps"] == 0.0 and overall["ces_avg"] == 2.0
    assert overall["fcr_rate"] == pytest.approx(2 / 3)
    assert overall["resolution_avg_h"] == 6.0 and overall["resolution_p90_h"] == 12.0

    weekly = performance.service_quality(answers, resolved, by="week").set_index("week")
    assert list(weekly.index) == [dt.date(2026, 11, 16), dt.date(2026, 11, 23)]
    assert weekly.loc[dt.date(2026, 11, 16), "csat_avg"] == 4.5
    assert weekly.loc[dt.date(2026, 11, 23), "nps"] == -100.0

    teams = performance.service_quality(answers, resolved, by="team").set_index("team")
    assert teams.loc["Athens", "fcr_rate"] == 0.5
    assert teams.loc["no team", "resolved"] == 1 and pd.isna(teams.loc["no team", "csat_avg"])


# -- templates -----------------------------------------------------------------------------

def test_new_template_ids_and_warnings():
    library = templates.library()
    assert template_editing.new_template_id(library, "en", "apology") == "en-apology-custom-1"
    found = template_editing.template_warnings("As I already said, we are on it within {eta}.",
                                          "en", library)
    assert [phrase for _, phrase in found] == ["As I already said"]
    assert found[0][0].startswith("Curt wording")
    assert template_editing.template_warnings("Hi {author}, we'll be back within {eta}.", "en",
                                         library) == []
    long = template_editing.template_warnings("x" * 300, "en", library)
    assert long and long[0][0].startswith("Too long for x")


def test_managers_edits_lay_over_the_library(demo_store):
    from clamor import actions

    actions.edit_template(demo_store, actor="Hannah", template_id="en-apology",
                          lang="en", category="apology", title="Sorry", text="We're sorry.",
                          before_text=None)
    actions.edit_template(demo_store, actor="Hannah", template_id="en-empathy", lang="en",
                          category="empathy", title="x", text="", before_text="…")
    library = case_view.library(demo_store)
    ids = {t.id: t for t in library.templates}
    assert ids["en-apology"].text == "We're sorry." and "en-empathy" not in ids


# -- pages ---------------------------------------------------------------------------------

def test_team_page_shows_every_person_and_the_three_sections(app_env):
    from clamor.config import DEMO_CONFIG, load_config

    at_ = run("pages/team.py")
    assert [t.label for t in at_.tabs] == ["Agent performance", "Shift coverage",
                                          "Service quality"]
    people = list(at_.dataframe[0].value["person"])
    assert people[:8] == [p.name for p in load_config(DEMO_CONFIG).people]
    shown = " ".join(t.value for t in at_.text)
    assert "Thai: nobody" in shown
    at_.segmented_control(key="team_period").set_value("shift").run()
    assert not at_.exception, at_.exception
    assert "shift" in at_.dataframe[0].value.columns
    at_.selectbox(key="coverage_zone").set_value("Asia/Bangkok")
    at_.toggle(key="coverage_managers").set_value(True).run()
    assert not at_.exception, at_.exception
    assert any(t.value.endswith("(Asia/Bangkok)") for t in at_.text)


def test_recording_a_csat_answer_through_the_form_stores_it(app_env, demo_store):
    case_ref = demo_store.query_rows("SELECT id FROM cases ORDER BY id LIMIT 1")[0][0]
    at_ = run("pages/team.py", name="Hannah Cole", role="manager")
    at_.text_input(key="survey_case").set_value(case_ref)
    at_.selectbox(key="survey_kind").set_value("csat")
    at_.number_input(key="survey_score").set_value(4)
    at_.button(key="survey_record").click().run()
    assert not at_.exception, at_.exception
    stored = queries.surveys(demo_store)
    assert list(zip(stored["case_id"], stored["kind"], stored["score"], strict=True)) == [
        (case_ref, "csat", 4)]
    assert at_.success and "CSAT (1-5) 4" in at_.success[0].value
    at_.run()  # the answer now shows in service quality: a chart per measure, week and team
    assert not at_.exception, at_.exception
    # a chart for each measure with answers (CSAT now), words for one without
    charts = len(at_.get("vega_lite_chart")) - 1  # less the shift coverage
    empty = sum(c.value == "No answers in these weeks." for c in at_.caption)
    assert charts >= 4 and charts + empty == 2 * len(performance.QUALITY_MEASURES)
    assert at_.metric[0].value == "4.00 / 5"


def test_a_survey_answer_without_a_case_says_why(app_env, demo_store):
    at_ = run("pages/team.py", name="Hannah Cole", role="manager")
    at_.text_input(key="survey_case").set_value("C-999999")
    at_.button(key="survey_record").click().run()
    assert "There is no case C-999999." in [e.value for e in at_.error]
    assert queries.surveys(demo_store).empty


def edit(at_, template_id: str, text: str):
    at_.selectbox(key="tpl_editing").set_value(template_id).run()
    at_.text_area(key=f"tpl-text-{template_id}").set_value(text)
    return at_


def test_editing_a_template_stores_the_edit_and_shows_the_new_text(app_env, demo_store):
    at_ = run("pages/templates.py", name="Hannah Cole", role="manager")
    new_text = "Hi {author}, we're so sorry about this. We'll be back within {eta}. – {agent}"
    edit(at_, "en-acknowledge", new_text).button(key="tpl-save").click().run()
    assert not at_.exception, at_.exception
    edits = queries.template_edits(demo_store)
    row = edits[edits["template_id"] == "en-acknowledge"].iloc[0]
    assert row["text"] == new_text and row["edited_by"] == "Hannah Cole"
    assert new_text in [c.value for c in at_.code]
    before = demo_store.query_rows("SELECT before_text FROM template_edits")[0][0]
    assert before.startswith("Hi {author}, I'm so sorry about this")


def test_a_curt_phrase_is_a_tone_warning_and_is_not_saved_unasked(app_env, demo_store):
    at_ = run("pages/templates.py")
    edit(at_, "en-acknowledge", "As I already said, we're on it. Back within {eta}.")
    at_.button(key="tpl-save").click().run()
    assert any(w.value.startswith("Curt wording") for w in at_.warning)
    assert "“As I already said”" in [t.value for t in at_.text]
    assert queries.template_edits(demo_store).empty


def test_a_new_template_gets_the_next_custom_id(app_env, demo_store):
    at_ = run("pages/templates.py")
    at_.selectbox(key="tpl_lang").set_value("th").run()
    at_.selectbox(key="tpl-new-category-all").set_value("apology")
    at_.text_input(key="tpl-title-new").set_value("ขออภัยสั้น ๆ")
    at_.text_area(key="tpl-text-new").set_value("ขออภัยค่ะ {author} จะติดต่อกลับภายใน {eta} ค่ะ")
    at_.button(key="tpl-save").click().run()
    assert not at_.exception, at_.exception
    edits = queries.template_edits(demo_store)
    assert list(zip(edits["template_id"], edits["lang"], edits["category"], strict=True)) == [
        ("th-apology-custom-1", "th", "apology")]
    assert at_.selectbox(key="tpl_editing").value == "th-apology-custom-1"


def test_deleting_a_template_asks_first_and_records_the_old_text(app_env, demo_store):
    at_ = run("pages/templates.py", name="Hannah Cole", role="manager")
    at_.selectbox(key="tpl_editing").set_value("en-empathy").run()
    at_.button(key="tpl-delete").click().run()
    assert queries.template_edits(demo_store).empty, "nothing happens before confirming"
    at_.button(key="tpl-delete-confirm").click().run()
    assert not at_.exception, at_.exception
    edits = queries.template_edits(demo_store)
    assert edits.iloc[0]["template_id"] == "en-empathy" and edits.iloc[0]["text"] == ""
    assert "en-empathy" not in {t.id for t in case_view.library(demo_store)
                                .templates}


def test_first_contact_resolution_counts_one_message_one_response_never_reopened(
        demo_store, config):
    from clamor import actions

    who = config.people[0].name
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
    rows = demo_store.query_rows(
        "SELECT f.mention_id, c.id FROM cases c JOIN case_mentions f ON f.case_id = c.id "
        "WHERE c.status = 'new' AND c.messages = 1 ORDER BY c.id LIMIT 5")
    assert len(rows) == 5
    (once, m_once), (twice, m_twice), (again, _), (silent, _), (early, m_early) = \
        [(case, mention) for mention, case in rows]

    def hours(n):
        return start + dt.timedelta(hours=n)

    def answered(mention, case, resolved_at, *, times=1, at=start):
        for n in range(times):
            actions.respond(demo_store, mention, actor=who, reply_text="On it.",
                            at=at + dt.timedelta(minutes=n))
        actions.resolve(demo_store, config, case, actor=who, at=resolved_at)

    answered(m_once, once, hours(1))
    answered(m_twice, twice, hours(2), times=2)
    answered(rows[2][0], again, hours(3))
    actions.reopen(demo_store, again, actor=who, reason="still broken", at=hours(4))
    actions.resolve(demo_store, config, again, actor=who, at=hours(5))
    actions.resolve(demo_store, config, silent, actor=who, at=hours(6))
    answered(m_early, early, hours(-24 * 30), at=hours(-24 * 31))

    found = queries.first_contact_resolution(demo_store, start)
    assert list(found.columns) == ["team", "resolved_at", "opened_at", "first_contact"]
    verdicts = {row.resolved_at: bool(row.first_contact) for row in found.itertuples()}
    # once; twice answered; reopened; never answered. Resolved before `since`: left out.
    assert verdicts == {pd.Timestamp(hours(n)): n == 1 for n in (1, 2, 5, 6)}
    everything = queries.first_contact_resolution(demo_store)
    assert len(everything) == 5 and everything["first_contact"].sum() == 2
