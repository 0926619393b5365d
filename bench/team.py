"""Benchmark: the team store (issue 10, "Measured") — DuckLake, with its catalog in PostgreSQL
and its data as Parquet, against the embedded DuckDB file, each measured in the same run:

1. the inbox (and the explorer's search and the overview) at N mentions: p50/p95 on the
   embedded file built by clamor.benchmark, then on a DuckLake copy of it made with
   `clamor migrate --to`'s code (the copy is timed too); ratio lake / embedded;
2. collection + analysis + filing throughput of 1 and of 2 `clamor worker` processes, each
   on a fresh lake, from a demo stream of M past mentions in five languages (the bundled
   stream's lines, cycled with fresh ids): from starting the workers until every mention is
   stored, analysed and filed, in rounds of 1 then 2 (alternating which goes first; the
   medians are reported); ratio 2 workers / 1 worker;
3. the Parquet file count of the lake from 1 before and after a simulated day of triage (A
   actions: holding replies, assignments, resolutions by several agents, one transaction
   each, as the dashboard does them) and after `Store.maintain` (timed), with the rows
   DuckLake keeps inlined in the catalog at each point.

It starts its own throwaway PostgreSQL server with tests/postgres_server.py (imported from
tests/, which is why this script puts the repository root on sys.path) and stops it at the
end, whatever happens. Work happens in a temp dir, removed at the end, or in --workdir, kept
(the catalog is not: the server's own temp dir always goes with it).

    .venv/bin/python bench/team.py                        # 1 M mentions, 20,000 streamed
    .venv/bin/python bench/team.py --mentions 200000 --stream 5000 --actions 500

Prints a table and writes bench/results/team-<N>.json (git ignores it). The issue sets no
numeric goal: figures are measured here and reported, never asserted in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/team.py` puts bench/ first, not the root
    sys.path.insert(0, str(ROOT))

from clamor import benchmark  # noqa: E402
from clamor.config import DEMO_CONFIG, load_config  # noqa: E402

HISTORY_DAYS = 30          # the streamed mentions' created_at spread over the last 30 days
AGENTS = ("Eleni Markou", "Tom Reid", "Maryam Rahimi", "Omar Said", "Ploy Srisuk", "Joe Park")
HOLDING = "Thanks for telling us. We're looking into it and will reply within 2 hours."
WORKER_TIMEOUT = 1800.0    # seconds a worker run may take before the benchmark gives up


def lake_location(conninfo: str) -> str:
    return f"ducklake:postgres:{conninfo}"


def _ms(values: dict, prefix: str) -> dict:
    return {f"{prefix}_{k}": v for k, v in values.items()}


# -- 1. queries on the embedded file and on the lake -----------------------------------------

def measure_queries(store, config, end: dt.datetime, words: dict) -> dict:
    """Inbox, explorer search and overview, as clamor.benchmark times them."""
    out = benchmark.measure_inbox(store, config)
    there = benchmark._explorer_there()
    if there:
        out.update(benchmark.measure_search(store, words))
    out.update(benchmark.measure_overview(store, end, there))
    return {k: v for k, v in out.items() if k.endswith("_ms") or k == "inbox_rows"}


# -- 2. workers ------------------------------------------------------------------------------

def write_stream(path: Path, count: int) -> None:
    """`count` past mentions: the bundled demo stream's lines in turn, each round with fresh
    ids (threads kept within the round), spread over the last HISTORY_DAYS days in order."""
    from collectors.replay import bundled_stream

    lines = sorted(bundled_stream(), key=lambda line: line["offset_minutes"])
    ids = {line["native_id"] for line in lines}
    low, high = lines[0]["offset_minutes"], lines[-1]["offset_minutes"]
    rounds = -(-count // len(lines))
    history = HISTORY_DAYS * 24 * 60.0
    out = []
    for n in range(count):
        line, cycle = dict(lines[n % len(lines)]), n // len(lines)

        def renamed(native: str | None, cycle: int = cycle) -> str | None:
            return f"{native}~b{cycle}" if native in ids else native

        frac = (line["offset_minutes"] - low) / (high - low + 1e-9)
        line["native_id"] = renamed(line["native_id"])
        line["in_reply_to"] = renamed(line.get("in_reply_to"))
        line["conversation_id"] = renamed(line.get("conversation_id"))
        # Oldest round first; every line at least a minute in the past: all arrive at once.
        line["offset_minutes"] = round(-1.0 - history * (1 - (cycle + frac) / rounds), 4)
        out.append(json.dumps(line, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def expected_stored(stream: Path, config) -> int:
    """How many of the stream's mentions the collector keeps (the watchlist decides)."""
    from clamor.pipeline import map_items, prepare
    from collectors.replay import ReplayCollector

    collector = ReplayCollector(stream)
    mentions, _ = map_items(collector, collector.fetch(None).raw_items)
    return len(prepare(mentions, config)[0])


def worker_config(root: Path, stream: Path) -> Path:
    """The demo brand reading `stream` every two seconds, analysing every two, no alerts
    (tests/test_team_processes.py's team_config)."""
    import re

    text = DEMO_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r"(\[sources\.demo\]\nenabled = true\n)poll_minutes = [0-9.]+",
                  rf'\1poll_minutes = 0.03\nstream = "{stream}"', text)
    text = re.sub(r"(\[analysis\]\n)every_seconds = [0-9.]+", r"\1every_seconds = 2", text)
    text = re.sub(r"(\[alerts\]\n)enabled = true", r"\1enabled = false", text)
    if "poll_minutes = 0.03" not in text or "every_seconds = 2" not in text:
        raise RuntimeError("the demo config changed shape: update bench/team.py worker_config")
    path = root / "team.toml"
    path.write_text(text, encoding="utf-8")
    return path


def start_worker(location: str, data: Path, config: Path, log: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "clamor.cli", "worker", "--demo", "--config", str(config),
         "--db", location, "--data-path", str(data)],
        stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, cwd=str(ROOT))


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=60)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait()


def run_workers(pg, count: int, round_: int, root: Path, config_file: Path, expected: int,
                progress: Callable[[str], Any]) -> dict:
    """Start `count` workers on a fresh lake; time until every mention is stored, analysed
    and filed, polled from here through a Store of our own. Also notes which workers were
    seen holding each job's lease."""
    from clamor import queries
    from clamor.store import Store

    name = f"workers{count}_r{round_}"
    conninfo = pg.new_database(name)
    location, data = lake_location(conninfo), root / f"lake-{name}"
    watcher = Store(location, data_path=data)  # creates the schema: not part of the timing
    workers: list[subprocess.Popen] = []
    marks: dict[str, float] = {}
    holders: dict[str, set[str]] = {}
    polls = 0
    try:
        started = time.perf_counter()
        workers = [start_worker(location, data, config_file, root / f"worker{count}-{k}.log")
                   for k in range(count)]
        while True:
            elapsed = time.perf_counter() - started
            dead = [w for w in workers if w.poll() is not None]
            if dead:
                log = (root / f"worker{count}-{workers.index(dead[0])}.log").read_text()
                raise RuntimeError(f"a worker exited ({dead[0].returncode}):\n{log[-3000:]}")
            if elapsed > WORKER_TIMEOUT:
                raise RuntimeError(f"{count} worker(s) did not finish {expected:,} mentions "
                                   f"in {WORKER_TIMEOUT:.0f} s")
            stored = watcher.query_rows("SELECT count(*) FROM mentions")[0][0]
            polls += 1
            for job, holder, *_ in watcher.leases():
                holders.setdefault(job, set()).add(holder.split(":")[1])  # the worker's pid
            if stored and "first_stored_s" not in marks:
                marks["first_stored_s"] = elapsed
            if stored >= expected:
                marks.setdefault("all_stored_s", elapsed)
                pending = queries.pending_analysis_count(watcher)
                if pending == 0:
                    marks.setdefault("all_analysed_s", elapsed)
                    if queries.unfiled_count(watcher) == 0:
                        marks["done_s"] = time.perf_counter() - started
                        break
            time.sleep(0.5)
        stored, distinct = watcher.query_rows(
            "SELECT count(*), count(DISTINCT id) FROM mentions")[0]
        analysed = watcher.query_rows("SELECT count(DISTINCT mention_id) FROM analysis")[0][0]
        cases = watcher.query_rows("SELECT count(*) FROM cases")[0][0]
    finally:
        stop_workers(workers)
        watcher.close()
        shutil.rmtree(data, ignore_errors=True)
    if stored != expected or distinct != expected or analysed != expected:
        raise RuntimeError(f"{count} worker(s): stored {stored:,} ({distinct:,} distinct), "
                           f"analysed {analysed:,}, expected {expected:,}")
    # Who did the work: each worker's log names the jobs it ran (under a lease).
    progress(f"  {count} worker(s): {expected:,} mentions in {marks['done_s']:.1f} s "
             f"(stored at {marks['all_stored_s']:.1f} s, analysed at "
             f"{marks['all_analysed_s']:.1f} s), {cases:,} cases")
    return {**{k: round(v, 2) for k, v in marks.items()}, "cases": cases,
            "per_s": round(expected / marks["done_s"], 1), "polls": polls,
            "lease_holders_seen": {job: len(pids) for job, pids in sorted(holders.items())}}


# -- 3. a day of triage ----------------------------------------------------------------------

def inlined_rows(conninfo: str) -> int:
    """Rows DuckLake keeps in the catalog's inlined-data tables: small writes not yet in
    Parquet files (rows deleted or updated since count until their snapshots expire)."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM ducklake_inlined_data_tables").fetchall()]
        return sum(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)


def day_of_triage(store, config, actions_wanted: int, progress: Callable[[str], Any]) -> dict:
    """`actions_wanted` actions on the waiting cases, most recent first, by the agents in
    turn: a holding reply, an assignment to the agent, then resolving; one transaction each."""
    from clamor import actions

    cases = store.query_rows(
        "SELECT id, mention_id FROM cases WHERE status IN ('new', 'acknowledged', "
        "'in_progress', 'waiting_on_customer') ORDER BY last_customer_at DESC LIMIT ?",
        [actions_wanted // 3 + 1])
    timings: list[float] = []
    by_step: dict[str, list[float]] = {step: [] for step in ("respond", "assign", "resolve")}
    refused = 0
    mark = time.perf_counter()
    steps = tuple(by_step)
    for n in range(actions_wanted):
        case, mention = cases[(n // 3) % len(cases)]
        agent = AGENTS[(n // 3) % len(AGENTS)]
        step = steps[n % 3]
        start = time.perf_counter()
        try:
            if step == "respond":
                actions.respond(store, mention, actor=agent, reply_text=HOLDING)
            elif step == "assign":
                actions.assign(store, config, [case], actor=agent, owner=agent)
            else:
                actions.resolve(store, config, case, actor=agent, note="sorted")
        except actions.ActionRefused:
            refused += 1  # a case met again after a full lap is resolved already
        timings.append((time.perf_counter() - start) * 1000)
        by_step[step].append(timings[-1])
        if time.perf_counter() - mark > 15:
            mark = time.perf_counter()
            progress(f"  {n + 1:,} actions, p50 {benchmark._p(timings, 50):.0f} ms")
    return {"actions": actions_wanted, "actions_refused": refused,
            "action_p50_ms": benchmark._p(timings, 50),
            "action_p95_ms": benchmark._p(timings, 95),
            # does the day slow down as the catalog's inlined rows pile up?
            "action_first_tenth_p50_ms": benchmark._p(timings[:len(timings) // 10 or 1], 50),
            "action_last_tenth_p50_ms": benchmark._p(timings[-(len(timings) // 10 or 1):], 50),
            **{f"action_{step}_{q}_ms": benchmark._p(values, pct)
               for step, values in by_step.items() for q, pct in (("p50", 50), ("p95", 95))},
            "actions_s": sum(timings) / 1000}


def add_agents(store) -> None:
    from clamor import auth

    for name in AGENTS:
        if not store.query_rows("SELECT 1 FROM users WHERE name = ?", [name]):
            # single sign-on users: no password hashing in the way of the timings
            auth.add_user(store, name, "agent", None,
                          email=f"{name.split()[0].lower()}@example.com")


# -- the run ---------------------------------------------------------------------------------

def run(mentions: int, stream: int, actions_wanted: int, workdir: str | None,
        progress: Callable[[str], Any] = print, reps: int = benchmark.REPS,
        worker_rounds: int = 3) -> dict:
    import duckdb

    from clamor import teamstore
    from clamor.store import Store
    from tests.postgres_server import PostgresServer

    benchmark.REPS = reps  # how often clamor.benchmark's measure_* run each query
    config = load_config(DEMO_CONFIG)
    keep = workdir is not None
    root = Path(workdir) if keep else Path(tempfile.mkdtemp(prefix="clamor-team-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    r: dict[str, Any] = {
        "mentions": mentions, "stream": stream, "actions": actions_wanted, "reps": reps,
        "cpu_count": os.cpu_count(), "duckdb": duckdb.__version__,
        "commit": benchmark._commit(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "workdir": str(root) if keep else None}
    pg = None
    phases: dict[str, float] = {}
    mark = [time.perf_counter()]

    def phase(name: str) -> None:  # wall time of each part of the run, for the record
        now = time.perf_counter()
        phases[name] = round(now - mark[0], 1)
        mark[0] = now

    try:
        pg = PostgresServer()
        phase("postgres_start")
        r["postgres_bin"] = str(pg.bindir)

        # 1. queries, embedded then lake
        db = root / f"team-{mentions}.duckdb"
        for old in root.glob(db.name + "*"):
            old.unlink()
        built = benchmark.build_store(db, mentions, config, progress=progress,
                                      workers=os.cpu_count() or 1)
        end = built.pop("end")
        r["build_s"] = built["build_s"]
        phase("build")
        store = Store(db)
        try:
            words = benchmark.search_words(store) if benchmark._explorer_there() else {}
            progress("timing the inbox, search and overview on the embedded file…")
            r.update(_ms(measure_queries(store, config, end, words), "embedded"))
        finally:
            store.close()
        phase("queries_embedded")
        conninfo = pg.new_database("desk")
        location, data = lake_location(conninfo), root / "lake-desk"
        progress("copying it into a DuckLake store (clamor migrate --to)…")
        started = time.perf_counter()
        copied = teamstore.copy_into_lake(db, location, data)
        r["copy_s"] = time.perf_counter() - started
        r["copy_rows"] = copied["rows"]
        progress(f"  {copied['rows']:,} rows in {r['copy_s']:.1f} s")
        store = Store(location, data_path=data)
        try:
            progress("timing the inbox, search and overview on the lake…")
            r.update(_ms(measure_queries(store, config, end, words), "lake"))
            r["parquet_files_after_copy"] = store.parquet_files()
            phase("copy_and_queries_lake")

            # 3. a day of triage on that lake, then maintenance
            add_agents(store)
            r["parquet_files_before_day"] = store.parquet_files()
            r["inlined_rows_before_day"] = inlined_rows(conninfo)
            progress(f"a day of triage: {actions_wanted:,} actions on the lake…")
            r.update(day_of_triage(store, config, actions_wanted, progress))
            r["parquet_files_after_day"] = store.parquet_files()
            r["inlined_rows_after_day"] = inlined_rows(conninfo)
            phase("day_of_triage")
            progress("timing the inbox on the lake after the day…")
            r.update(_ms(benchmark.measure_inbox(store, config), "lake_after_day"))
            progress("maintenance (flush inlined rows, expire, rewrite, merge, clean up)…")
            started = time.perf_counter()
            store.maintain(keep_snapshots=dt.timedelta(0))
            r["maintain_s"] = time.perf_counter() - started
            r["parquet_files_after_maintenance"] = store.parquet_files()
            r["inlined_rows_after_maintenance"] = inlined_rows(conninfo)
            r["tables_holding_rows"] = sum(
                1 for (t,) in store.query_rows(
                    "SELECT table_name FROM duckdb_tables() "
                    "WHERE database_name = current_database()")
                if store.query_rows(f'SELECT count(*) > 0 FROM "{t}"')[0][0])
            progress("timing the inbox on the maintained lake…")
            r.update(_ms(benchmark.measure_inbox(store, config), "lake_maintained"))
            phase("maintain_and_inbox")
        finally:
            store.close()
        db.unlink(missing_ok=True)  # the workers' part needs the disk cache more

        for key in ("inbox_p50_ms", "inbox_p95_ms", "search_p50_ms", "search_p95_ms",
                    "overview_p50_ms", "overview_p95_ms"):
            if f"embedded_{key}" in r:
                r[f"{key}_embedded"] = r.pop(f"embedded_{key}")
                r[f"{key}_lake"] = r.pop(f"lake_{key}")
        for what in ("inbox", "search", "overview"):
            if f"{what}_p95_ms_lake" in r:
                r[f"{what}_ratio_lake_vs_embedded"] = (r[f"{what}_p95_ms_lake"]
                                                       / r[f"{what}_p95_ms_embedded"])

        # 2. workers
        stream_file = root / "stream.jsonl"
        write_stream(stream_file, stream)
        config_file = worker_config(root, stream_file)
        expected = expected_stored(stream_file, load_config(config_file))
        r["stream_stored"] = expected
        # Rounds alternate which goes first (1, 2 / 2, 1 / …), so a machine that gets busier
        # or quieter during the run favours neither; the medians are reported.
        runs: dict[int, list[dict]] = {1: [], 2: []}
        for round_ in range(worker_rounds):
            for count in ((1, 2) if round_ % 2 == 0 else (2, 1)):
                progress(f"round {round_ + 1}/{worker_rounds}: {count} worker(s) collecting, "
                         f"analysing and filing {expected:,} mentions…")
                runs[count].append(run_workers(pg, count, round_, root, config_file,
                                               expected, progress))
        for count, done in runs.items():
            r[f"workers_{count}_per_s"] = statistics.median(d["per_s"] for d in done)
            for key in ("all_stored_s", "all_analysed_s", "done_s"):
                r[f"workers_{count}_{key}"] = statistics.median(d[key] for d in done)
            r[f"workers_{count}_runs"] = done
        r["workers_ratio_2_vs_1"] = r["workers_2_per_s"] / r["workers_1_per_s"]
        phase("workers")
    finally:
        if pg is not None:
            pg.stop()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    r["load_after"] = [round(x, 2) for x in os.getloadavg()]
    r["phases_s"] = phases
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}


def _table(r: dict) -> str:
    def f(key: str, fmt: str = "{:,.1f}") -> str:
        value = r.get(key)
        return "—" if value is None or value != value else fmt.format(value)

    lines = [
        f"Clamor team store bench: {r['mentions']:,} mentions, {r['cpu_count']} cores, "
        f"DuckDB {r['duckdb']}, commit {r.get('commit') or '?'}, {r['date']}",
        f"load average before {r['load_before']}, after {r.get('load_after')}",
        "",
        f"{'measure':<30}{'embedded':>14}{'DuckLake':>14}{'lake/emb.':>11}",
    ]
    for name, key in (("inbox p95", "inbox_p95_ms"), ("inbox p50", "inbox_p50_ms"),
                      ("explorer search p95", "search_p95_ms"),
                      ("explorer search p50", "search_p50_ms"),
                      ("overview p95", "overview_p95_ms"),
                      ("overview p50", "overview_p50_ms")):
        emb, lk = r.get(f"{key}_embedded"), r.get(f"{key}_lake")
        ratio = f"{lk / emb:.2f}×" if emb and lk else "—"
        lines.append(f"{name:<30}{f(key + '_embedded') + ' ms':>14}"
                     f"{f(key + '_lake') + ' ms':>14}{ratio:>11}")
    lines += [
        f"{'inbox p95, lake after the day':<30}{'':>14}"
        f"{f('lake_after_day_inbox_p95_ms') + ' ms':>14}",
        f"{'inbox p95, lake maintained':<30}{'':>14}"
        f"{f('lake_maintained_inbox_p95_ms') + ' ms':>14}",
        f"bare inbox SQL p95 (clamor.benchmark's): embedded "
        f"{f('embedded_inbox_raw_p95_ms')} ms, lake {f('lake_inbox_raw_p95_ms')} ms",
        f"copy into the lake: {f('copy_rows', '{:,.0f}')} rows in {f('copy_s')} s "
        f"(store built in {f('build_s', '{:,.0f}')} s)",
        "",
        f"{'workers (median of rounds)':<30}{'mentions/s':>14}{'all stored':>14}"
        f"{'analysed':>11}{'filed':>9}   each round's mentions/s",
    ]
    for n in (1, 2):
        lines.append(f"{n:<30}{f(f'workers_{n}_per_s'):>14}"
                     f"{f(f'workers_{n}_all_stored_s') + ' s':>14}"
                     f"{f(f'workers_{n}_all_analysed_s') + ' s':>11}"
                     f"{f(f'workers_{n}_done_s') + ' s':>9}   "
                     + ", ".join(f"{d['per_s']:,.0f}" for d in r.get(f"workers_{n}_runs", [])))
    lines += [
        f"ratio 2 workers / 1 worker: {f('workers_ratio_2_vs_1', '{:.2f}')}× "
        f"({f('stream_stored', '{:,.0f}')} mentions from one demo source, times from starting "
        "the worker processes)",
        "  workers seen holding the analysis lease in each 2-worker run: "
        + ", ".join(str(d["lease_holders_seen"].get("analyse", 0))
                    for d in r.get("workers_2_runs", [])),
        "  Each job runs under a lease: one collector job per source and one analysis pass at "
        "a time",
        "  across all workers. With one source the second worker adds failover (it takes the "
        "jobs over",
        "  when the first dies) and parallel collection across sources, not a faster single "
        "analysis",
        "  pass; and it shares the same cores here.",
        "",
        f"a day of triage: {f('actions', '{:,.0f}')} actions ({f('actions_refused', '{:,.0f}')}"
        f" refused), one transaction each: p50 {f('action_p50_ms', '{:,.0f}')} ms, p95 "
        f"{f('action_p95_ms', '{:,.0f}')} ms, {f('actions_s', '{:,.0f}')} s in all",
        "  p50/p95 by kind: " + ", ".join(
            f"{step} {f(f'action_{step}_p50_ms', '{:,.0f}')}/"
            f"{f(f'action_{step}_p95_ms', '{:,.0f}')} ms"
            for step in ("respond", "assign", "resolve"))
        + f"; p50 first tenth {f('action_first_tenth_p50_ms', '{:,.0f}')} ms, last tenth "
        f"{f('action_last_tenth_p50_ms', '{:,.0f}')} ms",
        f"{'Parquet files':<30}{'files':>14}{'inlined rows':>14}",
    ]
    for name, files, inl in (("after the copy", "parquet_files_after_copy", None),
                             ("before the day", "parquet_files_before_day",
                              "inlined_rows_before_day"),
                             ("after the day", "parquet_files_after_day",
                              "inlined_rows_after_day"),
                             ("after maintenance", "parquet_files_after_maintenance",
                              "inlined_rows_after_maintenance")):
        lines.append(f"{name:<30}{f(files, '{:,.0f}'):>14}"
                     f"{f(inl, '{:,.0f}') if inl else '':>14}")
    lines.append(f"maintenance took {f('maintain_s')} s; {f('tables_holding_rows', '{:,.0f}')} "
                 "tables hold rows (rows only in the catalog become one file per table)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/team.py", description="Measure the team store (DuckLake on PostgreSQL) "
        "against the embedded file: inbox, workers' throughput, Parquet files.")
    parser.add_argument("--mentions", type=int, default=1_000_000,
                        help="mentions in the synthetic desk (default 1,000,000)")
    parser.add_argument("--stream", type=int, default=20_000,
                        help="past mentions the workers collect (default 20,000)")
    parser.add_argument("--actions", type=int, default=2_000,
                        help="triage actions in the simulated day (default 2,000)")
    parser.add_argument("--reps", type=int, default=benchmark.REPS,
                        help=f"runs of each query timed (default {benchmark.REPS})")
    parser.add_argument("--worker-rounds", type=int, default=3,
                        help="rounds of 1 then 2 workers (alternating order; default 3)")
    parser.add_argument("--workdir", help="work in DIR and keep it (default: a temp dir)")
    parser.add_argument("--output", help="JSON file (default bench/results/team-<N>.json)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.mentions < 1000 or args.stream < 1 or args.actions < 3:
        parser.error("--mentions must be at least 1000, --stream 1, --actions 3")

    def progress(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    # A SIGTERM unwinds like Ctrl+C, so the PostgreSQL server and the workers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    result = run(args.mentions, args.stream, args.actions, args.workdir, progress, args.reps,
                 args.worker_rounds)
    out = Path(args.output) if args.output else \
        benchmark.results_dir() / f"team-{args.mentions}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
