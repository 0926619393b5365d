"""The in-process scheduler: one collector job per source and one analysis job.

DuckDB lets one process hold the database, so collection runs inside the dashboard process on
an APScheduler BackgroundScheduler. Streamlit reruns page scripts constantly and may re-import
modules when code changes, so the scheduler is kept in a registry that survives re-imports
(an attribute of the `sys` module, one entry per database file) and is started exactly once
per process; jobs have fixed ids, so starting again can never double a job.

In a team store (clamor/lake.py) several processes run these jobs: `clamor worker`s and any
dashboard started with its scheduler. Each job then runs under a lease named by its id, so
one collector job per source (and one analysis pass, one alert run) runs at a time across
them; a worker that finds the lease held skips that tick, and a dead worker's lease expires
after LEASE_SECONDS, when the next tick elsewhere takes the job over.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import threading
from typing import Any, Callable

from apscheduler.schedulers.background import BackgroundScheduler

from clamor.config import Config
from clamor.pipeline import analyse_pending, collect_once
from clamor.store import LeaseLost, Store
from collectors.base import Collector

log = logging.getLogger(__name__)
ANALYSIS_JOB = "analyse"
ALERTS_JOB = "alerts"
MAINTAIN_JOB = "maintain"
_REGISTRY = "_clamor_schedulers"
_LOCK = threading.Lock()
# How long a worker's hold on a job lasts without renewal (it is renewed every third of it
# while the job runs): how long a dead worker's job waits before another takes it over.
LEASE_SECONDS = float(os.environ.get("CLAMOR_LEASE_SECONDS", "120"))


def job_id(collector: Collector) -> str:
    return f"collect:{collector.name}"


def _registry() -> dict[str, BackgroundScheduler]:
    # Not a module global: a code reload would forget it and start a second scheduler.
    if not hasattr(sys, _REGISTRY):
        setattr(sys, _REGISTRY, {})
    return getattr(sys, _REGISTRY)


_ANALYSING = threading.Lock()


def _leased(store: Store, job: str, work: Callable[..., Any], *args: Any) -> Any:
    """Run `work` if no other process runs `job` now (always, in an embedded store)."""
    try:
        with store.leased(job, LEASE_SECONDS) as mine:
            if not mine:
                log.debug("%s runs in another worker; skipped here", job)
                return None
            return work(*args)
    except LeaseLost as exc:
        log.warning("%s: %s", job, exc)
        return None


def _collect_then_analyse(store: Store, collector: Collector, config: Config) -> None:
    report = _leased(store, f"collect:{collector.name}", collect_once, store, collector,
                     config)
    if report is not None and report.inserted:
        # New mentions reach the inbox analysed now, not at the next analysis tick. (Jobs must
        # not call the scheduler itself: its shutdown waits for jobs while holding its lock.)
        _analyse(store, config)


def _analyse(store: Store, config: Config) -> None:
    # One pass at a time: a pass already running picks up the new mentions in its next batch.
    if not _ANALYSING.acquire(blocking=False):
        return
    try:
        _leased(store, ANALYSIS_JOB, analyse_pending, store, config)
    except Exception:  # keep the job alive; the next tick retries the same mentions
        log.exception("analysis pass failed")
    finally:
        _ANALYSING.release()


def _alerts(store: Store, config: Config) -> None:
    from clamor import alerting  # detection pulls in pandas-heavy code only when it runs

    try:
        _leased(store, ALERTS_JOB, alerting.run, store, config)
    except Exception:  # keep the job alive; the next run looks at the same day again
        log.exception("alert detection failed")


def _maintain(store: Store) -> None:
    try:
        _leased(store, MAINTAIN_JOB, store.maintain)
    except Exception:  # lookups still work unsorted, only slower; try again tomorrow
        log.exception("search index maintenance failed")


def start(store: Store, config: Config, collectors: list[Collector]) -> BackgroundScheduler:
    """Start the scheduler for this database, or return the one already running."""
    key = store.name
    with _LOCK:
        running = _registry().get(key)
        if running is not None and running.running:
            return running
        scheduler = BackgroundScheduler(
            timezone=dt.timezone.utc,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        now = dt.datetime.now(dt.timezone.utc)
        for collector in collectors:
            minutes = getattr(config.sources, collector.name).poll_minutes
            scheduler.add_job(
                _collect_then_analyse, "interval", seconds=minutes * 60,
                args=[store, collector, config], id=job_id(collector),
                name=f"collect from {collector.name}", replace_existing=True,
                next_run_time=now,
            )
        scheduler.add_job(
            _analyse, "interval", seconds=config.analysis.every_seconds,
            args=[store, config], id=ANALYSIS_JOB, name="analyse new mentions",
            replace_existing=True, next_run_time=now,
        )
        if config.alerts.enabled:
            scheduler.add_job(
                _alerts, "interval", seconds=config.alerts.every_minutes * 60,
                args=[store, config], id=ALERTS_JOB, name="detect spikes and backlogs",
                replace_existing=True,
                next_run_time=now + dt.timedelta(seconds=config.analysis.every_seconds),
            )
        # Every night at 03:30 UTC, the explorer's word index is re-sorted (see `clamor
        # maintain`); writers wait for it, a few seconds per million mentions.
        scheduler.add_job(
            _maintain, "cron", hour=3, minute=30, args=[store], id=MAINTAIN_JOB,
            name="re-sort the search index", replace_existing=True,
        )
        scheduler.start()
        _registry()[key] = scheduler
        log.info("scheduler started for %s with jobs %s", key,
                 [job.id for job in scheduler.get_jobs()])
        return scheduler


def running_for(store: Store) -> BackgroundScheduler | None:
    scheduler = _registry().get(store.name)
    return scheduler if scheduler is not None and scheduler.running else None


def next_run(store: Store, source: str) -> dt.datetime | None:
    """When the source's collector job runs next in this process (None: not scheduled)."""
    scheduler = running_for(store)
    job = scheduler.get_job(f"collect:{source}") if scheduler else None
    return job.next_run_time if job else None


def run_now(store: Store, source: str) -> bool:
    """Move the source's next run to now; False when it is not scheduled here."""
    scheduler = running_for(store)
    job = scheduler.get_job(f"collect:{source}") if scheduler else None
    if job is None:
        return False
    job.modify(next_run_time=dt.datetime.now(dt.timezone.utc))
    return True


def stop_all() -> None:
    with _LOCK:
        for scheduler in _registry().values():
            if scheduler.running:
                scheduler.shutdown(wait=True)
        _registry().clear()
