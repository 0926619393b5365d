"""Hostile mentions in a real browser: markup, scripts, Markdown images and links, javascript:
URLs and direction overrides are shown as the customer wrote them, and none of them becomes
an element, runs, or makes the browser fetch anything."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

ELSEWHERE = "127.0.0.2"  # anything fetched from here came from a mention
HOSTILE = [
    ("<script>window.__pwned=1;alert(1)</script> @AerolumeHelp you lost my bag AGAIN, "
     "where is my refund??", "@scripter"),
    (f'<img src="http://{ELSEWHERE}:9/pixel.png" onerror="window.__pwned=2"> Aerolume '
     "cancelled my flight and nobody answers, I want a refund", "@imager"),
    (f"![tracker](http://{ELSEWHERE}:9/md.png) [click me](http://{ELSEWHERE}:9/x) "
     "**Aerolume** lost my bag, still waiting 5 hours for my refund, nobody answers",
     "@markdowner"),
    ("\u202eAerolume\u202c lost my bag \u200b\u200bthree\u200d days ago, still no refund",
     '<b onmouseover="window.__pwned=4">evil</b>'),
]


def hostile_archive(path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    lines = [{"source": "x", "native_id": f"hostile{i}", "author": author, "text": text,
              "url": "javascript:window.__pwned=5" if i == 0 else
              f"http://{ELSEWHERE}:9/post/{i}",
              "author_followers": 5_000_000,  # far-reaching complaints: top of the inbox
              "created_at": (now - dt.timedelta(minutes=5 + i)).isoformat()}
             for i, (text, author) in enumerate(HOSTILE)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def show_until_all(page, cards, count: int) -> None:
    """Show more of the inbox until `count` of `cards` show. New, these complaints rank
    behind the demo's late ones, and how many of those are late depends on the hour the
    test runs at (business hours): at 14:40 UTC on a Friday, 25 of them, a whole page."""
    caption = page.get_by_text(re.compile(r"showing the \d+ most urgent"))
    expect(caption).to_be_visible(timeout=90_000)
    for _ in range(8):  # the inbox shows at most 200
        if cards.count() == count:
            return
        shown = re.search(r"showing the (\d+)", caption.inner_text()).group(1)
        page.get_by_role("button", name="Show 25 more").click()
        expect(caption).not_to_have_text(re.compile(rf"showing the {shown} "), timeout=60_000)
    expect(cards).to_have_count(count)


def test_hostile_mentions_are_only_ever_text(start_app, page, tmp_path):
    archive = tmp_path / "hostile.jsonl"
    hostile_archive(archive)
    subprocess.run([sys.executable, "-m", "clamor.cli", "import", str(archive), "--db",
                    str(tmp_path / "demo.duckdb"), "--demo"], check=True,
                   capture_output=True)
    requests, dialogs = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    app = start_app()
    sign_in(page, app.url, "Tom Reid")

    cards = page.locator("div[class*='st-key-mention-x-hostile']")  # ':' becomes '-'
    show_until_all(page, cards, len(HOSTILE))
    # The customer's words, literally, as text.
    expect(page.get_by_text("<script>window.__pwned=1;alert(1)</script>", exact=False)
           ).to_be_visible()
    expect(page.get_by_text(f"![tracker](http://{ELSEWHERE}:9/md.png)", exact=False)
           ).to_be_visible()
    expect(page.get_by_text('<b onmouseover="window.__pwned=4">evil</b>', exact=False).first
           ).to_be_visible()
    # Open one: the conversation and the reply panel show the same text, inert.
    cards.first.get_by_role("button", name="Open & reply").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Case C-"))).to_be_visible(
        timeout=30_000)
    page.wait_for_timeout(1500)

    assert page.evaluate("window.__pwned") is None, "a mention's script ran"
    assert dialogs == []
    assert not [u for u in requests if ELSEWHERE in u], "the browser fetched a mention's URL"
    assert page.locator(f"img[src*='{ELSEWHERE}']").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.locator("main b, main strong").filter(has_text="evil").count() == 0
    assert page.locator("main strong").filter(has_text="Aerolume").count() == 0
    # Only the platform's own http(s) links are offered, never javascript: ones.
    originals = page.get_by_role("link", name="Original ↗")
    hrefs = [originals.nth(i).get_attribute("href") for i in range(originals.count())]
    assert all(h.startswith(("http://", "https://")) for h in hrefs)
