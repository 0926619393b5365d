"""An agent works a case end to end in a real browser: assign it, send a holding reply that
promises a time, see the due timer, resolve it, and the next day find the follow-up due."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_first_english_complaint, sign_in

pytestmark = pytest.mark.e2e


def toast(page, text):
    expect(page.get_by_test_id("stToast").filter(has_text=text).first).to_be_visible(
        timeout=30_000)


def choose(page, label, option):
    """Pick a selectbox option by typing it, as a keyboard user does."""
    box = page.get_by_label(label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()


def test_assign_reply_due_timer_resolve_and_follow_up_next_day(start_app, page):
    app = start_app()
    sign_in(page, app.url, "Tom Reid")

    case = open_first_english_complaint(page)

    # Assign: one owner, shown on the case.
    choose(page, "Assign to", "Tom Reid")
    page.get_by_role("button", name="Assign", exact=True).click()
    toast(page, f"Assigned {case} to Tom Reid")
    expect(page.get_by_text(re.compile(r"owner: Tom Reid"))).to_be_visible()

    # A holding reply that promises 2 hours sets the case's due time.
    reply = page.get_by_role("textbox", name="Reply text (edit freely)")
    expect(reply).to_have_value(re.compile("within 2 hours"))
    expect(page.get_by_text(re.compile("This reply promises an answer within 2 h"))
           ).to_be_visible()
    page.get_by_role("button", name="Mark responded").click()
    toast(page, f"Responded · case {case}")

    page.get_by_text(re.compile(r"^Promises \(")).click()
    promise = page.locator(f"div[class*='st-key-promise-{case}']")
    expect(promise).to_be_visible(timeout=30_000)
    expect(promise).to_contain_text(re.compile(r"(1 h 5\d min|2 h) left"))

    # Resolve: the follow-up is scheduled for tomorrow, not due today.
    promise.get_by_role("button", name="Open").click()
    page.get_by_role("button", name="Resolve", exact=True).click()
    toast(page, f"Resolved {case}: follow-up in 24 h")
    follow_ups = page.get_by_text(re.compile(r"^Follow-ups due \("))
    follow_ups.click()
    expect(page.locator(f"div[class*='st-key-follow-up-{case}']")).to_have_count(0)

    # The next day (the whole app process runs 25 hours later) the follow-up is due.
    app.stop()
    tomorrow = start_app(clock_ahead_hours=25)
    sign_in(page, tomorrow.url, "Tom Reid")
    page.get_by_text(re.compile(r"^Follow-ups due \(")).click()
    due = page.locator(f"div[class*='st-key-follow-up-{case}']")
    expect(due).to_be_visible(timeout=60_000)
    due.get_by_role("button", name="Follow up").click()
    expect(page.get_by_role("textbox", name="Follow-up text")).to_have_value(
        re.compile(r"How did we do\?.*1 \(poor\) to 5"))  # the survey question
    page.get_by_role("button", name="Mark followed up").click()
    toast(page, f"Followed up {case}")
    page.get_by_role("button", name="Record", exact=True).click()
    toast(page, f"Recorded CSAT 5 for {case}")
