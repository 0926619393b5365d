"""An agent, in a real browser, answers a Persian or Arabic complaint from the inbox."""

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_dropdown, settled, sign_in

pytestmark = pytest.mark.e2e


def test_agent_answers_a_persian_or_arabic_complaint(demo_app, page):
    sign_in(page, demo_app, "Maryam Rahimi")

    cards = page.locator("div[class*='st-key-mention-']")
    rtl_complaint = cards.filter(has_text="complaint").filter(has_text=re.compile("Persian|Arabic"))
    expect(rtl_complaint.first).to_be_visible(timeout=90_000)
    # Pin that one card by its key: the live list may re-rank while the test reads it.
    key = re.search(r"st-key-mention-\S+", rtl_complaint.first.get_attribute("class")).group(0)
    card = page.locator(f"div[class~='{key}']")
    # The message itself: not the case line (C-…) nor the complaint's reasons.
    message = card.locator("[data-testid='stText']").filter(
        has_not_text=re.compile(r"^(C-\d+ ·|Why a complaint)"))
    expect(message.first).to_have_text(re.compile("[\u0600-\u06ff]{3}"))  # Arabic script
    text = message.first.inner_text()
    # Right-to-left text reads right-to-left: the browser resolves its direction from it.
    expect(message.first).to_have_css("unicode-bidi", "plaintext")

    card.get_by_role("button", name="Open & reply").click()
    reply = page.get_by_role("textbox", name="Reply text (edit freely)")
    expect(reply).to_be_visible(timeout=30_000)
    settled(page)  # the panel's run is over: the dropdown opened next stays open
    template = page.get_by_label("Template")
    open_dropdown(page, template)
    options = page.get_by_role("option")
    assert re.search(r"\((fa|ar)\)", options.first.inner_text())
    # Esc closes the list, not the case: the agent keeps their place (a Close shortcut on
    # Esc once closed the whole panel from here).
    page.keyboard.press("Escape")
    expect(options).to_have_count(0)
    page.wait_for_timeout(1500)  # a rerun the key might have asked for has begun
    settled(page)
    expect(reply).to_be_visible()
    template.focus()
    template.press("ArrowDown")
    expect(options.first).to_be_visible()
    options.nth(1).click()  # the second acknowledge template
    expect(reply).to_have_value(re.compile("[\u0600-\u06ff]"))
    page.get_by_role("button", name="Mark responded").click()

    expect(page.get_by_text("Responded · case C-")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-testid='stText']").filter(has_text=text[:60])).to_have_count(
        0, timeout=30_000)


def test_a_bookmarked_page_opens_with_the_app_around_it(demo_app, page):
    """The first visitor of a fresh server asks for /sources directly, and signs in there."""
    sign_in(page, f"{demo_app}/sources", "Admin")
    expect(page.get_by_role("heading", name="Demo stream")).to_be_visible(timeout=60_000)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Inbox")).to_be_visible()
    expect(nav.get_by_role("link", name="app", exact=True)).to_have_count(0)
    # The server keeps Streamlit's XSRF protection: a write request (a file upload) from a
    # page that did not get the server's XSRF cookie is refused.
    forged = urllib.request.Request(f"{demo_app}/_stcore/upload_file/some-session/some-file",
                                    data=b"--x--", method="PUT",
                                    headers={"Content-Type": "multipart/form-data; boundary=x"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=10)
    assert refused.value.code == 403
    # And it listens on this machine only (127.0.0.1, the default), not on every address.
    port = int(demo_app.rsplit(":", 1)[1])
    listening = [line.split()[1] for line in open("/proc/net/tcp").read().splitlines()[1:]]
    assert f"0100007F:{port:04X}" in listening
    assert f"00000000:{port:04X}" not in listening


def test_what_a_rerun_redraws_dims_in_one_step_not_a_fade(demo_app, page):
    """ui.page_style's rule meets the elements Streamlit marks stale during a rerun (an
    upgrade that renamed the mark would bring the costly fade back unnoticed)."""
    sign_in(page, demo_app, "Eleni Markou")
    expect(page.locator("div[class*='st-key-mention-']").first).to_be_visible(timeout=90_000)
    settled(page)
    page.evaluate("""() => {
      window.__stale = [];
      new MutationObserver(records => { for (const r of records) {
        if (r.target.getAttribute('data-stale') === 'true') {
          const cs = getComputedStyle(r.target);
          window.__stale.push([cs.transitionDuration, cs.transitionDelay]);
        } } }).observe(document.body, {attributes: true, subtree: true,
                                       attributeFilter: ['data-stale']});
    }""")
    page.get_by_text("Complaints only").click()
    page.wait_for_function("window.__stale.length > 0", timeout=30_000)
    assert set(map(tuple, page.evaluate("window.__stale"))) == {("0s", "1s")}
