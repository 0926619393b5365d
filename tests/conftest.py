"""Shared fixtures: real DuckDB files in a temp dir, the demo brand's config, the bundled
stream replayed on a controlled clock."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from clamor import pipeline
from clamor.config import DEMO_CONFIG, load_config
from clamor.store import Store
from collectors.replay import ReplayCollector

# A real PostgreSQL server: the fixtures postgres_server and postgres_db (issue 10).
from tests.conftest_postgres import postgres_db, postgres_server  # noqa: F401

NOW = dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.timezone.utc)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime = NOW):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += dt.timedelta(minutes=minutes)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def config():
    return load_config(DEMO_CONFIG)


def as_recorded(config):
    """The demo config as the recorded X and Reddit responses know it: they were made before
    the demo listened to competitors, and the searches they answer are built from the
    watchlist's spellings."""
    terms = tuple(t for t in config.watchlist.terms if t.kind != "competitor")
    return config.model_copy(update={"watchlist": config.watchlist.model_copy(
        update={"terms": terms})})


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "clamor.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory, config) -> Path:
    """A database holding the demo's history, analysed: built once, copied per test."""
    path = tmp_path_factory.mktemp("seed") / "demo.duckdb"
    s = Store(path)
    collector = ReplayCollector(now=lambda: dt.datetime.now(dt.timezone.utc))
    report = pipeline.collect_once(s, collector, config)
    assert report.status == "ok", report
    pipeline.analyse_pending(s, config)
    s.close()
    return path


@pytest.fixture
def demo_db(seeded_db, tmp_path) -> Path:
    path = tmp_path / "demo.duckdb"
    shutil.copy(seeded_db, path)
    return path


@pytest.fixture(scope="session")
def eval_root() -> Path:
    """The shared labelled data (../shared/eval or $CLAMOR_EVAL_DATA); tests that measure
    against it are skipped, saying why, where it is not present."""
    from analysis.models import training_data

    root = training_data.eval_root()
    if root is None:
        pytest.skip("the shared evaluation data (../shared/eval or $CLAMOR_EVAL_DATA) is not "
                    "here, so held-out scores cannot be measured")
    return root


@pytest.fixture
def demo_store(demo_db):
    s = Store(demo_db)
    yield s
    s.close()


# -- dashboard pages (Streamlit AppTest) ---------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_env(demo_db, monkeypatch):
    """The dashboard's environment: the demo config over a copy of the seeded database, with
    no scheduler (the test decides what is in the database)."""
    import streamlit as st

    monkeypatch.setenv("CLAMOR_DB", str(demo_db))
    monkeypatch.setenv("CLAMOR_CONFIG", str(DEMO_CONFIG))
    monkeypatch.setenv("CLAMOR_DEMO", "1")
    monkeypatch.setenv("CLAMOR_SCHEDULER", "0")
    st.cache_resource.clear()
    yield demo_db
    st.cache_resource.clear()


def as_user(at, name: str = "Dimitris Alexiou", role: str = "admin"):
    """Sign the AppTest's session in as `name` with `role` (what the sign-in form does)."""
    at.session_state["user"] = {"name": name, "role": role,
                                "since": dt.datetime.now(dt.timezone.utc).isoformat()}
    return at


def page_test(page: str, name: str = "Dimitris Alexiou", role: str = "admin"):
    """An AppTest of one page script (e.g. "pages/inbox.py"), signed in, not run yet."""
    from streamlit.testing.v1 import AppTest

    return as_user(AppTest.from_file(str(ROOT / page), default_timeout=60), name, role)


def run(page: str, name: str = "Dimitris Alexiou", role: str = "admin"):
    """Run one page script signed in and fail on any exception it raised."""
    at = page_test(page, name, role)
    at.run()
    assert not at.exception, at.exception
    return at


# -- each case's newest complaint (cases.last_complaint_at), checked against its messages ----

COMPLAINT_TIMES_OFF = """
    SELECT c.id, c.last_complaint_at, t.at
    FROM cases c
    LEFT JOIN (SELECT f.case_id, max(m.created_at) AS at
               FROM case_mentions f JOIN mentions m ON m.seq = f.seq
               JOIN analysis a ON a.seq = f.seq
               WHERE f.role = 'customer' AND a.complaint GROUP BY f.case_id) t
      ON t.case_id = c.id
    WHERE c.last_complaint_at IS DISTINCT FROM t.at"""


# -- migration 015 (the hourly counts' quarters), undone and checked ------------------------

QUARTERS = [f"ALTER TABLE {table} DROP COLUMN q{k}"  # migration 015, undone
            for table in ("hourly_mentions", "hourly_termsets", "hourly_termset_totals")
            for k in (1, 2, 3)]
QUARTERS_OF_MENTIONS = """
    SELECT count(*) FILTER (WHERE q = 1), count(*) FILTER (WHERE q = 2),
           count(*) FILTER (WHERE q = 3)
    FROM (SELECT floor(epoch_us(m.created_at) / 900000000)::BIGINT % 4 AS q
          FROM mentions m JOIN analysis a ON a.seq = m.seq)"""
