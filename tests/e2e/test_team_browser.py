"""Two dashboard replicas on one team store (issue 10), in a real browser: `clamor run --demo
--no-scheduler` twice against one DuckLake store (catalog in a real PostgreSQL). Two agents,
one per replica, open the same case; one resolves it; the other, pressing Resolve too, is
told who resolved it meanwhile and sees it resolved, and one resolution is recorded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from clamor.store import Store
from tests.e2e.conftest import (CHROMIUM, CHROMIUM_ARGS, App, open_first_english_complaint,
                                sign_in)
from tests.e2e.test_casework_browser import toast

pytestmark = pytest.mark.e2e


def team_store(seeded_db: Path, conninfo: str, data: Path) -> str:
    """A team store holding the demo's analysed history (moved in from an embedded file, as
    `clamor migrate --to` does), marked as a desk whose history is worked: preparing the demo
    in a lake, one small transaction per action, takes minutes on this machine."""
    from clamor import teamstore
    from clamor.demo import desk

    location = f"ducklake:postgres:{conninfo}"
    teamstore.copy_into_lake(seeded_db, location, data)
    store = Store(location, data_path=data)
    try:
        with store.transaction() as con:
            con.execute("INSERT INTO cursors VALUES (?, ?, '0', now())", list(desk.MARKER))
    finally:
        store.close()
    return location


def test_two_replicas_one_case_one_agent_wins(seeded_db, postgres_db, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: apt-get install -y chromium "
                    "(.ci/run does it)")
    store = team_store(seeded_db, postgres_db, tmp_path / "lake")
    flags = ("--data-path", str(tmp_path / "lake"), "--no-scheduler")
    replicas = []
    try:
        # The first replica adds the demo's users and FAQ to the team store; the second
        # finds them there.
        for name in ("a", "b"):
            replicas.append(App(store, tmp_path / f"replica-{name}.log", extra_args=flags))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                pages = [browser.new_context(viewport={"width": 1440, "height": 1000})
                         .new_page() for _ in replicas]
                for page, replica, agent in zip(pages, replicas, ("Tom Reid", "Eleni Markou"),
                                                strict=True):
                    sign_in(page, replica.url, agent)
                first, second = pages
                case = open_first_english_complaint(first)
                assert open_first_english_complaint(second) == case  # the same desk

                first.get_by_role("button", name="Resolve", exact=True).click()
                toast(first, f"Resolved {case}")

                # The second agent, on the other replica, still sees the case open and
                # presses Resolve: told who resolved it meanwhile, shown it as it stands now,
                # and no second resolution is recorded.
                second.get_by_role("button", name="Resolve", exact=True).click()
                expect(second.get_by_text(re.compile(
                    r"Tom Reid resolved this case at .* while you had it open"))
                ).to_be_visible(timeout=30_000)
                expect(second.get_by_text(re.compile(r"^Resolved at "))).to_be_visible()
            finally:
                browser.close()
    finally:
        for replica in replicas:
            replica.stop()
    for name in ("a", "b"):
        log = (tmp_path / f"replica-{name}.log").read_text()
        assert "no scheduler" in log and "Traceback" not in log, log
    check = Store(store, data_path=tmp_path / "lake")
    try:
        assert check.query_rows("SELECT count(*) FROM events WHERE case_id = ? AND "
                                "kind = 'resolved'", [case]) == [(1,)]
    finally:
        check.close()
