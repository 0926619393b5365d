"""The agents' inbox: what is unanswered, in what order, and what answering does."""

import datetime as dt

import pytest

from clamor import actions, queries
from clamor.queries import InboxFilter


def test_complaints_come_first_and_own_posts_never_appear(demo_store):
    frame = queries.inbox(demo_store, InboxFilter(limit=500))
    assert not frame.empty
    flags = frame["complaint"].tolist()
    assert flags == sorted(flags, reverse=True), "a non-complaint ranked above a complaint"
    assert not frame["author"].str.contains("AerolumeHelp|Aerolume_Official").any()


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
    assert log[["actor", "kind", "template_id"]].values.tolist() == [
        ["Sara", "responded", "fa-acknowledge"]]
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
