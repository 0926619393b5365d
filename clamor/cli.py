"""The `clamor` command: serve the dashboard, collect, import, export, and report status.

Every command takes --db and --config (or CLAMOR_DB / CLAMOR_CONFIG). Problems a user can
cause (a broken config, a database held by the running dashboard, a missing file) end with
one sentence on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import webbrowser
from pathlib import Path
from typing import Callable

APP = Path(__file__).resolve().parent.parent / "app.py"
# What a command over the whole history (`clamor export`, `clamor report`) lets DuckDB hold
# while it sorts and groups, spilling beside the store beyond it; DuckDB's default is 80 %
# of the machine. On a 10 M store: the whole history as Parquet took 24 s and 7 GB with the
# default, 25 s and 2.3 GB at 2GB, 39 s and 0.9 GB at 512MB; `report response-times` 21 s
# and 5.3 GB with the default, 24 s and 2.5 GB at 2GB.
COMMAND_MEMORY_LIMIT = "2GB"


def _memory_flag(parser: argparse.ArgumentParser, work: str) -> None:
    parser.add_argument("--memory-limit", metavar="SIZE", default=COMMAND_MEMORY_LIMIT,
                        help=f"how much memory DuckDB may use to {work}, beyond which it "
                             f"spills to disk (default {COMMAND_MEMORY_LIMIT})")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="DuckDB file, or a team store ducklake:postgres:CONNINFO "
                                     "(default: $CLAMOR_DB or data/clamor.duckdb; "
                                     "data/demo.duckdb with --demo)")
    parser.add_argument("--data-path", metavar="FOLDER",
                        help="a team store's Parquet folder (default: $CLAMOR_DATA_PATH)")
    parser.add_argument("--config", help="TOML config file (default: $CLAMOR_CONFIG or "
                                         "./clamor.toml; the demo brand's with --demo)")
    parser.add_argument("--demo", action="store_true",
                        help="use the bundled demo brand, stream and database")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clamor", description="Clamor: a self-hosted social listening and response desk.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="serve the dashboard, with the scheduler, until stopped",
                         description="Serve the dashboard and collect from the configured "
                                     "sources until stopped (Ctrl+C).")
    _common(run)
    run.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    run.add_argument("--host", default="127.0.0.1",
                     help="address to bind (default 127.0.0.1: this machine only)")
    run.add_argument("--open", action="store_true",
                     help="open the dashboard in this machine's browser, if it has one")
    run.add_argument("--no-scheduler", action="store_true",
                     help="serve the dashboard only (a replica of a team store, whose "
                          "`clamor worker`s collect)")
    run.add_argument("--memory-limit", metavar="SIZE", default=None,
                     help="how much memory DuckDB may use in the dashboard's process, beyond "
                          "which it evicts cached data and spills to disk (default "
                          "$CLAMOR_MEMORY_LIMIT or 512MB; raise it on a large machine)")
    run.add_argument("--secrets", metavar="FILE",
                     help="Streamlit secrets file to read (single sign-on settings; default: "
                          ".streamlit/secrets.toml here or in your home folder)")

    collect = sub.add_parser("collect", help="collect from every configured source once",
                             description="Run every configured source once, then analyse "
                                         "what arrived.")
    _common(collect)
    collect.add_argument("--once", action="store_true", required=True,
                         help="run once and exit (the dashboard schedules repeated runs)")

    imp = sub.add_parser("import", help="load mentions from a file",
                         description="Load mentions from an archive file; already stored "
                                     "mentions are left as they are, unreadable lines are "
                                     "reported and kept aside.")
    _common(imp)
    imp.add_argument("file", help="the file to read")
    imp.add_argument("--source", choices=["jsonl", "x", "reddit", "mastodon", "bluesky"],
                     default="jsonl",
                     help="the file's format: jsonl (Clamor's canonical mention JSONL), x (X "
                          "API v2 response pages, one per line, as twarc2 writes them), reddit "
                          "(Reddit JSON listings), mastodon (Mastodon API responses, one per "
                          "line: pages of statuses or notifications, search results), bluesky "
                          "(Bluesky API responses, one per line: searchPosts, "
                          "listNotifications, getAuthorFeed pages)")

    exp = sub.add_parser(
        "export", help="write mentions to a file (all, or the explorer's filters)",
        description="Write mentions, with their analysis, to a file. Without filters: every "
                    "mention (jsonl is canonical and re-importable). With any filter below "
                    "(the explorer page's own), the matching mentions as csv or parquet, "
                    "with the explorer's columns.")
    _common(exp)
    exp.add_argument("--format", choices=["jsonl", "csv", "parquet"], default="jsonl",
                     help="jsonl (canonical, re-importable), csv or parquet")
    exp.add_argument("-o", "--output", required=True, help="the file to write")
    _memory_flag(exp, "sort the mentions")
    flt = exp.add_argument_group("filters (as on the Explore page)")
    flt.add_argument("--since", help="from this date or time (UTC unless it says), e.g. "
                                     "2026-01-01 or 2026-01-01T09:00+03:30")
    flt.add_argument("--until", help="up to (not including) this date or time")
    flt.add_argument("--days", type=int, help="the last N days instead of --since/--until")
    flt.add_argument("--search", default="", help='the search box: refund "lost bag" -delay')
    flt.add_argument("--source", action="append", default=[], help="x, reddit, web… "
                                                                     "(repeat for more)")
    flt.add_argument("--lang", action="append", default=[], help="en, fa, ar, th, el, und")
    flt.add_argument("--sentiment", action="append", default=[],
                     choices=["positive", "neutral", "negative", "unscored", "pending"])
    flt.add_argument("--complaint", action=argparse.BooleanOptionalAction, default=None,
                     help="only complaints (--no-complaint: only non-complaints)")
    flt.add_argument("--term", action="append", default=[], help="a watchlist term")
    flt.add_argument("--kind", action="append", default=[],
                     choices=["brand", "product", "staff", "company", "competitor"])
    flt.add_argument("--author", default="", help="a handle, with or without @")
    flt.add_argument("--case-state", action="append", default=[],
                     choices=["new", "acknowledged", "in_progress", "waiting_on_customer",
                              "resolved", "ignored", "none"])
    flt.add_argument("--include-own", action="store_true", help="our own posts too")
    flt.add_argument("--saved", metavar="NAME",
                     help="a search saved on the Explore page (with --owner)")
    flt.add_argument("--owner", help="whose saved search (a dashboard user name)")

    maintain = sub.add_parser(
        "maintain", help="re-sort the search index and tidy the database file",
        description="Re-sort the explorer's word index (lookups read fewer blocks) and "
                    "checkpoint the database. The app also runs it every night; run it by "
                    "hand after a large import.")
    _common(maintain)
    maintain.add_argument("--keep-snapshots", type=int, default=60, metavar="MINUTES",
                          help="team store: keep this much history for readers under way "
                               "(default 60)")

    rescore = sub.add_parser(
        "rescore", help="score again what older sentiment models scored",
        description="After an upgrade or a retraining (scripts/train_sentiment.py), score "
                    "again every analysed mention whose sentiment came from another model "
                    "than the one shipped now; the complaint flags that read it follow.")
    _common(rescore)
    rescore.add_argument("--dry-run", action="store_true",
                         help="only say how many mentions per language would be re-scored")

    worker = sub.add_parser(
        "worker", help="collect and analyse on schedule, without the dashboard",
        description="Run the scheduler (collectors, analysis, alerts, nightly upkeep) without "
                    "the dashboard, until stopped. Against a team store any number of workers "
                    "and dashboards run at once; each job runs in one worker at a time.")
    _common(worker)

    migrate = sub.add_parser(
        "migrate", help="copy a DuckDB file into a new team store",
        description="Copy every table of the embedded database (--db) into a new, empty "
                    "DuckLake team store (--to, with --to-data-path or $CLAMOR_DATA_PATH). "
                    "Stop the dashboard first: the copy reads the file.")
    _common(migrate)
    migrate.add_argument("--to", required=True, metavar="ducklake:postgres:CONNINFO",
                         help="the team store to fill")
    migrate.add_argument("--to-data-path", metavar="FOLDER",
                         help="its Parquet folder (default: $CLAMOR_DATA_PATH)")

    bench = sub.add_parser(
        "bench", help="measure Clamor on a synthetic store (1 M mentions by default)",
        description="Build a synthetic store in a temporary folder and measure ingest, "
                    "inbox, search and overview speed, memory and insert-to-visible time "
                    "against raw DuckDB and VADER in the same run.",
        add_help=False)
    bench.add_argument("rest", nargs=argparse.REMAINDER,
                       help="--mentions N, --json, --keep DIR (see clamor bench --help)")

    doctor = sub.add_parser("doctor", help="check each source's setup and say what to fix",
                            description="Check each source's configuration and, where the "
                                        "network allows, its credentials; say what to fix.")
    _common(doctor)

    ev = sub.add_parser("eval", help="measure the analysis on labelled CSV files",
                        description="Measure language identification, sentiment and the "
                                    "complaint flag on every CSV file in a folder.")
    _common(ev)  # accepted like everywhere; eval reads neither database nor config
    ev.add_argument("--data", required=True, metavar="DIR",
                    help="folder of CSV files (text plus label, human_score, is_complaint "
                         "and/or lang columns)")
    ev.add_argument("--json", action="store_true",
                    help="print one JSON object (file name -> figures) instead of a table")

    status = sub.add_parser("status", help="show sources, their last runs and the inbox size",
                            description="Show the database, each source's state and last "
                                        "run, and how many mentions wait for an answer.")
    _common(status)

    report = sub.add_parser("report", help="response standards and response times",
                            description="Report how well the response standards were kept, "
                                        "or how fast support accounts answer in public.")
    kinds = report.add_subparsers(dest="report", required=True, metavar="REPORT")
    std = kinds.add_parser("standards", help="each standard's share met and achieved "
                                             "percentile, with breakdowns and breaches")
    _common(std)
    std.add_argument("--days", type=float, default=28,
                     help="cases opened in the last N days (default 28)")
    std.add_argument("--json", action="store_true", help="print one JSON object")
    _memory_flag(std, "measure the cases")
    rt = kinds.add_parser("response-times",
                          help="first-response times of support accounts, from the posts",
                          description="Wall-clock minutes from a customer's first message in "
                                      "a thread to an account's first reply to them, per "
                                      "account: works on any database, including an imported "
                                      "archive of a competitor's support account.")
    _common(rt)
    rt.add_argument("--own-account", action="append", default=[], metavar="HANDLE",
                    help="an account whose replies count (repeatable); default: the "
                         "config's [accounts]")
    rt.add_argument("--json", action="store_true", help="print one JSON object")
    _memory_flag(rt, "follow the conversations")

    alerts = sub.add_parser("alerts", help="run spike, backlog and staff detection over the "
                                           "stored history and list the alerts",
                            description="Run the alert detection the dashboard runs, over the "
                                        "stored history, and list each episode with why it "
                                        "fired.")
    _common(alerts)
    alerts.add_argument("--since", metavar="ISO",
                        help="evaluate from this time (ISO 8601; default: 7 days ago); the "
                             "baseline reaches further back")
    alerts.add_argument("--until", metavar="ISO", help="evaluate up to this time (default: now)")
    alerts.add_argument("--json", action="store_true",
                        help="print a JSON list of alerts (kind, series, start, end, observed, "
                             "expected, statistic, top_terms, …)")

    backup = sub.add_parser("backup", help="write a consistent copy of the database",
                            description="Copy the whole database to a new file. While the "
                                        "dashboard runs it holds the file: use the Sources "
                                        "page's 'Back up now' button then.")
    _common(backup)
    backup.add_argument("-o", "--output", required=True, help="the new file to write")
    restore = sub.add_parser("restore", help="replace the database with a backup",
                             description="Replace the database file with a backup taken by "
                                         "`clamor backup` (stop the dashboard first). The "
                                         "file replaced is kept beside it as .before-restore.")
    _common(restore)
    restore.add_argument("file", help="the backup to restore")

    users = sub.add_parser("users", help="add, remove and list dashboard users",
                           description="Manage who may sign in to the dashboard. Passwords "
                                       "are read from standard input (a prompt on a "
                                       "terminal), never from the command line.")
    _common(users)
    users.add_argument("action",
                       choices=["add", "remove", "passwd", "role", "list", "link", "unlink"])
    users.add_argument("name", nargs="?", help="the user's name (not for list and unlink)")
    users.add_argument("--role", choices=["agent", "manager", "analyst", "admin"],
                       help="for add and role: agent, manager, analyst or admin")
    users.add_argument("--email", help="for add, link and unlink: the e-mail address the "
                                        "single sign-on provider vouches for (README: "
                                        "Single sign-on)")
    users.add_argument("--sso-only", action="store_true",
                       help="for add: no password; the user signs in with single sign-on only")

    kb = sub.add_parser("kb", help="the knowledge base answers are suggested from",
                        description="Import, export and list the knowledge base (questions "
                                    "and answers per topic and language), and list the "
                                    "customers' questions it does not answer yet.")
    _common(kb)
    kb.add_argument("action", choices=["import", "export", "list", "gaps"])
    kb.add_argument("file", nargs="?", help="for import: a Markdown (.md) or CSV (.csv) file")
    kb.add_argument("-o", "--output", help="for export: the file to write (.md or .csv)")
    kb.add_argument("--days", type=int, default=7, help="for gaps: how far back (default 7)")
    kb.add_argument("--json", action="store_true", help="for gaps and list: print JSON")

    customer = sub.add_parser(
        "customer", help="export or erase one customer's data (privacy requests)",
        description="Right of access: export everything held about one customer (all their "
                    "linked handles) as one JSON file. Right to erasure: anonymise it in place "
                    "(text, handle, links, raw items, search words, notes), audited as done "
                    "by the command line.")
    _common(customer)
    customer.add_argument("action", choices=["export", "erase"])
    customer.add_argument("source", help="the platform: x, reddit, mastodon, bluesky, web…")
    customer.add_argument("author", help="the handle as stored, e.g. @maryam or u/maryam")
    customer.add_argument("-o", "--output", help="for export: the JSON file to write")
    customer.add_argument("--yes", action="store_true",
                          help="for erase: yes, erase it (it cannot be undone)")

    surveys = sub.add_parser("surveys", help="import survey answers (CSAT, NPS, CES)",
                             description="Record survey answers from a CSV file with the "
                                         "columns case, kind (csat|nps|ces), score and "
                                         "optionally answered_at (ISO 8601).")
    _common(surveys)
    surveys.add_argument("action", choices=["import"])
    surveys.add_argument("file", help="the CSV file")
    return parser


class UserError(Exception):
    pass


def _memory_limit(text: str) -> str:
    """--memory-limit's size, checked: UserError with the reason where it is no size."""
    from clamor.store import memory_limit

    try:
        return memory_limit(text)
    except ValueError as exc:
        raise UserError(f"--memory-limit: {exc}") from None


def _open(args, memory: str | None = None):
    """The config and the store the command's flags name; `memory`: DuckDB's memory limit
    in this process (default DuckDB's own)."""
    from clamor.config import ConfigError, config_path, load_config
    from clamor.store import LakeError, Store, StoreBusy, store_location

    memory = _memory_limit(memory) if memory else None
    try:
        config = load_config(config_path(args.config, demo=args.demo))
        store = Store(store_location(args.db, demo=args.demo),
                      data_path=getattr(args, "data_path", None), memory=memory)
    except (ConfigError, StoreBusy, LakeError) as exc:
        raise UserError(str(exc)) from None
    return config, store


def cmd_run(args) -> int:
    from clamor.config import ConfigError, config_path, load_config
    from clamor.lake import LakeError, parse_location
    from clamor.store import DASHBOARD_MEMORY_LIMIT, store_location

    memory = _memory_limit(args.memory_limit or os.environ.get("CLAMOR_MEMORY_LIMIT")
                           or DASHBOARD_MEMORY_LIMIT)
    cfg_path = config_path(args.config, demo=args.demo)
    try:
        load_config(cfg_path)  # say what is wrong here, before a browser is involved
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    if args.demo:
        _prepare_demo(args)
    env = dict(os.environ)
    env["CLAMOR_CONFIG"] = str(cfg_path.resolve())
    try:
        location = parse_location(store_location(args.db, demo=args.demo), args.data_path)
    except LakeError as exc:
        raise UserError(str(exc)) from None
    if location.is_lake:
        env["CLAMOR_DB"] = store_location(args.db, demo=args.demo)
        env["CLAMOR_DATA_PATH"] = str(location.data_path.resolve())
    else:
        env["CLAMOR_DB"] = str(location.path.resolve())
    env["CLAMOR_DEMO"] = "1" if args.demo else "0"
    if args.no_scheduler:
        env["CLAMOR_SCHEDULER"] = "0"
    env["CLAMOR_MEMORY_LIMIT"] = memory
    print(f"Clamor on http://{args.host}:{args.port} · database {location.display()} · "
          f"config {env['CLAMOR_CONFIG']}"
          f"{' · no scheduler' if args.no_scheduler else ''} · Ctrl+C stops it", flush=True)
    command = [
        sys.executable, "-m", "clamor.serve", "run", str(APP),
        "--server.port", str(args.port), "--server.address", args.host,
        # Always headless: a non-headless first run stops to ask for an e-mail address on
        # stdin. --open opens the browser itself, once the server answers.
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        # Streamlit runs a full garbage collection after every script run, auto-refreshes
        # included; with the analysis models loaded each one took 170-270 ms and, with 20
        # agents, about 60 % of the server's time (bench/load.py under py-spy). Python's own
        # collector still runs as usual; Clamor's page runs make little cyclic garbage.
        "--runner.postScriptGC", "false",
    ]
    if args.secrets:
        secrets = Path(args.secrets).resolve()
        if not secrets.is_file():
            raise UserError(f"--secrets {args.secrets}: no such file")
        command += ["--secrets.files", str(secrets)]
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    if args.open:
        threading.Thread(target=_open_when_up, args=(url,), daemon=True).start()
    child = subprocess.Popen(command, env=env, cwd=APP.parent)
    # Stopping `clamor run` (Ctrl+C, or SIGTERM from a service manager) stops the server too,
    # so no orphaned server keeps holding the database file.
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        child.wait()
        return 0


def _prepare_demo(args) -> None:
    """Load the demo stream's history and the demo team's past casework before the dashboard
    opens, so its first page already shows a working desk (done once per database)."""
    from clamor import alerting, pipeline, queries, sources
    from clamor.demo import desk
    from clamor.store import utcnow

    config, store = _open(args)
    try:
        desk.create_users(store, config)
        desk.load_knowledge(store)
        if not config.sources.demo.enabled or desk.already_done(store):
            return
        print("Preparing the demo: five days of mentions and the team's work on them…",
              flush=True)
        for collector in sources.collectors(config, demo=True):
            if collector.name == "demo":
                pipeline.collect_once(store, collector, config)
        pipeline.analyse_pending(store, config)
        now = utcnow()
        desk.work_history(store, config, now)
        # The alerts the history would have raised, so the Alerts page has a past too.
        first = queries.first_mention_at(store)
        if first is not None:
            alerting.run(store, config, now, lookback=now - first)
    finally:
        store.close()


def _open_when_up(url: str, seconds: float = 60) -> None:
    """Open the dashboard in the local browser once it answers; on a machine with no screen
    (a server, CI) do nothing rather than start a text-mode browser in the terminal."""
    if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
        except OSError:
            time.sleep(0.5)
            continue
        webbrowser.open(url)
        return


def cmd_collect(args) -> int:
    from clamor import pipeline, sources

    config, store = _open(args)
    for status in sources.statuses(config, demo=args.demo):
        if status.state != "running":
            print(f"{status.label}: {status.state} — {status.reason}")
    for collector in sources.collectors(config, demo=args.demo):
        report = pipeline.collect_once(store, collector, config)
        line = (f"{collector.name}: {report.status}, fetched {report.fetched}, "
                f"new {report.inserted}, unreadable {report.unreadable}, "
                f"matched no term {report.unmatched}")
        print(line + (f" — {report.message}" if report.message else ""))
    analysed = pipeline.analyse_pending(store, config)
    print(f"analysed {analysed} new mention(s)")
    return 0


def _progress_line(every: float = 5.0) -> Callable[..., None]:
    """report(text, last=False): progress on stderr, rewritten in place on a terminal at
    each report; in a log, a line of its own for the first report, then at most one every
    `every` seconds, and the last."""
    shown = [0.0]

    def report(text: str, last: bool = False) -> None:
        if sys.stderr.isatty():
            print(f"\r{text}", end="", file=sys.stderr, flush=True)
        elif last or time.monotonic() - shown[0] > every:
            shown[0] = time.monotonic()
            print(text, file=sys.stderr, flush=True)

    return report


def cmd_import(args) -> int:
    from clamor import pipeline, sources

    if Path(args.file).is_dir():
        raise UserError(f"{args.file}: is a folder; give the archive file itself")
    if not Path(args.file).is_file():
        raise UserError(f"{args.file}: no such file")
    config, store = _open(args)
    reader, map_item, version = sources.archive_format(args.source)
    report = _progress_line()

    def progress(lines: int) -> None:
        report(f"{lines:,} lines stored; analysis follows")

    try:
        report = pipeline.import_archive(store, args.file, config, source=args.source,
                                         reader=reader, map_item=map_item, version=version,
                                         progress=progress)
    except UnicodeDecodeError:
        raise UserError(f"{args.file}: is not UTF-8 text") from None
    if sys.stderr.isatty():
        print("", file=sys.stderr)  # ends the progress line
    # An archive can be large: its analysis runs on every core.
    analysed = pipeline.analyse_pending(store, config, workers=os.cpu_count() or 1)
    print(f"{args.file}: {report.lines} line(s); {report.inserted} new mention(s), "
          f"{report.already_stored} already stored, {report.unmatched} matched no watchlist "
          f"term, {report.unreadable} unreadable; analysed {analysed}")
    if report.unreadable:
        print(f"Unreadable lines are kept in the table unreadable_items; the first: "
              f"{report.first_problem}", file=sys.stderr)
    return 0


_FILTER_FLAGS = ("since", "until", "days", "search", "source", "lang", "sentiment",
                 "complaint", "term", "kind", "author", "case_state", "include_own", "saved")


def export_filter(args, store):
    """The explorer Filter the export flags describe (a saved search, then the flags)."""
    import dataclasses

    from clamor import explorer

    flt = explorer.Filter()
    if args.saved:
        if not args.owner:
            raise UserError("--saved needs --owner: saved searches belong to a user")
        saved = explorer.saved_searches(store, args.owner)
        if args.saved not in saved:
            names = ", ".join(saved) or "none"
            raise UserError(f"{args.owner} has no saved search named {args.saved!r} "
                            f"(theirs: {names})")
        flt = saved[args.saved]
    changes = {
        "since": _instant(args.since, "--since"), "until": _instant(args.until, "--until"),
        "days": args.days, "text": args.search, "sources": tuple(args.source),
        "languages": tuple(args.lang), "sentiments": tuple(args.sentiment),
        "complaint": args.complaint, "terms": tuple(args.term), "kinds": tuple(args.kind),
        "author": args.author, "case_states": tuple(args.case_state),
        "include_own": args.include_own or None,
    }
    return dataclasses.replace(flt, **{k: v for k, v in changes.items() if v not in
                                       (None, "", ())})


def cmd_export(args) -> int:
    from clamor import explorer, exports

    filtered = any(getattr(args, flag) not in (None, "", [], False) for flag in _FILTER_FLAGS)
    _, store = _open(args, args.memory_limit)
    report = _progress_line()

    def progress(done: int, total: int) -> None:
        report(f"{done:,} of {total:,} mentions written", last=done == total)

    if not filtered:
        count = exports.export(store, args.format, args.output, progress)
    else:
        if args.format == "jsonl":
            raise UserError("filters export csv or parquet (--format); jsonl is the whole "
                            "history, for re-import")
        count = explorer.export(store, export_filter(args, store), args.format, args.output,
                                progress)
    if sys.stderr.isatty():
        print("", file=sys.stderr)  # ends the progress line
    print(f"wrote {count} mention(s) to {args.output} ({args.format})")
    return 0


def cmd_rescore(args) -> int:
    from clamor import pipeline

    config, store = _open(args)
    try:
        models = pipeline.current_models()
        stale = store.stale_scores(models)
        if not stale:
            print("every analysed mention is scored by the current models")
            return 0
        for lang, count in stale.items():
            print(f"{lang}: {count:,} mention(s) scored by an older model than {models[lang]}")
        if args.dry_run:
            return 0
        started = time.monotonic()
        done = pipeline.rescore(store, config, workers=os.cpu_count() or 1)
    finally:
        store.close()
    print(f"re-scored {done:,} mention(s) in {time.monotonic() - started:.1f} s")
    return 0


def cmd_worker(args) -> int:
    from clamor import scheduler, sources

    config, store = _open(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    running = scheduler.start(store, config, sources.collectors(config, demo=args.demo))
    jobs = ", ".join(job.id for job in running.get_jobs())
    print(f"Clamor worker on {store.name} · jobs {jobs} · Ctrl+C stops it", flush=True)
    if not store.lake:
        print("(an embedded DuckDB file: while this worker holds it, no dashboard can open "
              "it; a team runs a team store, README \"Running a team\")", flush=True)
    try:
        while not stop.wait(1):
            pass
    finally:
        scheduler.stop_all()  # waits for a job under way, so what it took is committed
        store.close()
    print("worker stopped", flush=True)
    return 0


def cmd_migrate(args) -> int:
    from clamor import teamstore
    from clamor.store import LakeError, StoreBusy, db_path

    try:
        report = teamstore.copy_into_lake(db_path(args.db, demo=args.demo), args.to,
                                          args.to_data_path, progress=print)
    except (LakeError, StoreBusy, teamstore.NotEmpty) as exc:
        raise UserError(str(exc)) from None
    print(f"copied {report['rows']:,} rows in {len(report['tables'])} tables into "
          f"{report['to']}")
    return 0


def cmd_maintain(args) -> int:
    import datetime as dt

    _, store = _open(args)
    started = time.monotonic()
    try:
        report = store.maintain(dt.timedelta(minutes=args.keep_snapshots))
    finally:
        store.close()
    print(f"search index re-sorted: {report['search_entries']:,} word entries "
          f"({time.monotonic() - started:.1f} s)")
    if "parquet_files_before" in report:
        print(f"team store: small writes moved to Parquet, files merged, snapshots older than "
              f"{args.keep_snapshots} min forgotten; Parquet files "
              f"{report['parquet_files_before']:,} → {report['parquet_files_after']:,}")
    return 0


def cmd_bench(args) -> int:
    from clamor import benchmark

    return benchmark.main(args.rest)


def cmd_doctor(args) -> int:
    """Exit 0 when every enabled source is ready, 1 when something needs fixing."""
    from clamor import doctor

    config, store = _open(args)
    store.close()  # doctor talks to the sources, not the database
    problems = 0
    for finding in doctor.check_sources(config, demo=args.demo):
        mark = {"ok": "ok ", "off": "-  ", "problem": "!! "}[finding.verdict]
        print(f"{mark} {finding.label}: {finding.message}")
        problems += finding.verdict == "problem"
    print("Everything that is switched on is ready." if not problems
          else f"{problems} source(s) need attention.")
    return 1 if problems else 0


def cmd_eval(args) -> int:
    """Exit 0 when every file was measured, 1 when one could not be read."""
    from clamor import evaluate

    try:
        return evaluate.run(args.data, as_json=args.json)
    except evaluate.EvalError as exc:
        raise UserError(str(exc)) from None


def cmd_status(args) -> int:
    from clamor import queries, sources

    config, store = _open(args)
    print(f"database: {store.name}")
    print(f"config:   {config.path}")
    runs = queries.last_runs(store).set_index("source")
    for status in sources.statuses(config, demo=args.demo):
        print(f"- {status.label}: {status.state} — {status.reason}")
        if status.name in runs.index:
            run = runs.loc[status.name]
            print(f"    last run {run['last_run']:%Y-%m-%d %H:%M:%S %Z}: {run['status']}, "
                  f"fetched {run['fetched']}, new {run['inserted']}"
                  + (f" — {run['message']}" if isinstance(run["message"], str) else ""))
    totals = queries.totals(store, days=7)
    print(f"mentions (7 days): {totals.mentions}, complaints {totals.complaints}, "
          f"unanswered now {totals.unanswered}")
    return 0


def cmd_report(args) -> int:
    import datetime as dt
    import json

    from clamor import pipeline, queries, standards
    from clamor.store import utcnow

    config, store = _open(args, args.memory_limit)
    pipeline.analyse_pending(store, config)  # a freshly imported archive gets filed first
    if args.report == "response-times":
        accounts = args.own_account or [*config.accounts.x, *config.accounts.reddit,
                                           *config.accounts.mastodon, *config.accounts.bluesky]
        if not accounts:
            raise UserError("name the support accounts to measure: --own-account HANDLE "
                            "(repeatable), or list them under [accounts] in the config")
        result = queries.response_times(store, accounts)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
            return 0
        for handle, fig in {**result["accounts"], "all accounts": result["all_accounts"]
                            }.items():
            frt = fig["first_response_minutes"]
            print(f"{handle}: {fig['answered']} of {fig['conversations']} conversation(s) "
                  f"answered; first response median {_minutes(frt['median'])}, "
                  f"p90 {_minutes(frt['p90'])}")
        return 0
    now = utcnow()
    cases = queries.case_measures(store, since=now - dt.timedelta(days=args.days))
    result = standards.report(config, cases, now)
    result["window"] = {"days": args.days, "until": now.isoformat()}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    if not config.standards:
        print("No standards are configured: add [[standards]] to the config.")
    for std in result["standards"]:
        share = "no cases" if std["share_met"] is None else f"{std['share_met']:.0%} met"
        verdict = "kept" if std["ok"] else "BROKEN"
        print(f"{std['name']}: {share} of {std['cases']} (goal {std['percentile']:g} % within "
              f"{std['target_minutes']:g} min on {std['clock']}); achieved p"
              f"{std['percentile']:g} {_minutes(std['achieved_minutes'])} — {verdict}; "
              f"{len(std['breaches'])} breach(es)")
    frt, res = result["first_response_minutes"], result["resolution_minutes"]
    print(f"first response: median {_minutes(frt['median'])}, p90 {_minutes(frt['p90'])}; "
          f"resolution: median {_minutes(res['median'])}, p90 {_minutes(res['p90'])} "
          f"({result['cases']} case(s), last {args.days:g} days)")
    return 0


def _minutes(value) -> str:
    return "—" if value is None else f"{value:g} min"


def _instant(text: str | None, flag: str):
    import datetime as dt

    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag} {text!r} is not a date or a time in ISO 8601 form "
                        "(2026-01-31, or 2026-01-31T09:00 optionally with +03:30)") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def cmd_alerts(args) -> int:
    import datetime as dt
    import json

    from clamor import alerting, pipeline
    from clamor.store import utcnow

    config, store = _open(args)
    until = _instant(args.until, "--until") or utcnow()
    since = _instant(args.since, "--since") or until - dt.timedelta(days=7)
    if since >= until:
        raise UserError("--since must come before --until")
    pipeline.analyse_pending(store, config)
    found = alerting.detect(store, config, since, until)
    if args.json:
        print(json.dumps([a.as_json() for a in found], ensure_ascii=False))
        return 0
    if not found:
        print(f"No alerts between {since:%Y-%m-%d %H:%M} and {until:%Y-%m-%d %H:%M} UTC.")
    for alert in found:
        e = alert.episode
        end = "ongoing" if e.end is None else f"until {e.end:%Y-%m-%d %H:%M}"
        print(f"{e.severity:8} {e.kind:7} {alerting.series_name(e.series)} "
              f"from {e.start:%Y-%m-%d %H:%M} {end} UTC: {e.observed:g} vs expected "
              f"{e.expected:g} (z {e.statistic:.1f})"
              + (f"; new: {', '.join(t for t, _, _ in alert.top_terms[:5])}"
                 if alert.top_terms else ""))
    return 0


def cmd_backup(args) -> int:
    import duckdb

    from clamor.store import LakeError

    _, store = _open(args)
    try:
        written = store.backup(args.output)
    except (FileExistsError, LakeError) as exc:
        raise UserError(str(exc)) from None
    except (OSError, duckdb.Error) as exc:  # a full disk, a folder it may not write to
        raise UserError(f"the backup could not be written: {exc}") from None
    finally:
        store.close()
    print(f"wrote a backup of {store.name} to {written}")
    return 0


def cmd_restore(args) -> int:
    import shutil

    import duckdb

    from clamor.store import Store, StoreBusy, db_path

    source = Path(args.file)
    target = db_path(args.db, demo=args.demo)
    try:
        check = duckdb.connect(str(source), read_only=True)
        check.execute("SELECT count(*) FROM schema_migrations").fetchone()
        check.close()
    except (duckdb.Error, OSError) as exc:
        raise UserError(f"{source} is not a Clamor database backup ({exc})") from None
    if target.exists():
        try:  # the dashboard (another process) must not be holding the file
            Store(target).close()
        except StoreBusy as exc:
            raise UserError(str(exc)) from None
        kept = target.with_name(target.name + ".before-restore")
        shutil.move(target, kept)
        print(f"kept the replaced database as {kept}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    Store(target).close()  # it opens, and any newer migrations are applied now
    print(f"restored {source} to {target}")
    return 0


def _password() -> str:
    """The new password: prompted twice on a terminal, else the first line of stdin."""
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise UserError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_users(args) -> int:
    from clamor import auth

    _, store = _open(args)
    if args.action == "list":
        linked = auth.emails(store)
        for name, role, last in auth.users(store):
            seen = f"last sign-in {last:%Y-%m-%d %H:%M}" if last else "never signed in"
            print("\t".join([name, role, seen, *linked.get(name, [])]))
        return 0
    if args.action in ("link", "unlink") and not args.email:
        raise UserError(f"users {args.action} needs --email ADDRESS")
    if args.sso_only and not (args.action == "add" and args.email):
        raise UserError("--sso-only is for users add, with the --email it signs in as")
    try:
        if args.action == "unlink":
            auth.unlink_email(store, args.email)
            print(f"{args.email} no longer signs in")
            return 0
        if not args.name:
            raise UserError(f"users {args.action} needs a NAME")
        if args.action in ("add", "role") and not args.role:
            raise UserError(f"users {args.action} needs --role agent|manager|analyst|admin")
        if args.action == "add":
            password = None if args.sso_only else _password()
            auth.add_user(store, args.name, args.role, password, email=args.email)
            print(f"added {args.name} ({args.role})"
                  + (f", signing in as {args.email}" if args.email else ""))
        elif args.action == "link":
            auth.link_email(store, args.name, args.email)
            print(f"{args.email} now signs in as {args.name}")
        elif args.action == "passwd":
            auth.set_password(store, args.name, _password())
            print(f"changed {args.name}'s password")
        elif args.action == "role":
            auth.set_role(store, args.name, args.role)
            print(f"{args.name} is now {args.role}")
        else:
            auth.remove_user(store, args.name)
            print(f"removed {args.name}")
    except auth.AuthError as exc:
        raise UserError(str(exc)) from None
    return 0


def cmd_kb(args) -> int:
    import json

    from clamor import knowledge

    _, store = _open(args)
    try:
        if args.action == "import":
            if not args.file:
                raise UserError("kb import needs a FILE (.md or .csv)")
            found, problems = knowledge.read_file(args.file)
            added, changed = knowledge.save(store, found,
                                            actor=f"import: {Path(args.file).name}")
            print(f"{added} entries added, {changed} changed, "
                  f"{len(found) - added - changed} unchanged")
            for problem in problems[:20]:
                print(f"skipped {problem}", file=sys.stderr)
            return 1 if problems else 0
        if args.action == "export":
            if not args.output:
                raise UserError("kb export needs -o FILE (.md or .csv)")
            out = Path(args.output)
            current = knowledge.entries(store)
            text = (knowledge.write_csv(current) if out.suffix.lower() == ".csv"
                    else knowledge.write_markdown(current))
            out.write_text(text, encoding="utf-8")
            print(f"wrote {len(current)} entries to {out}")
            return 0
        if args.action == "list":
            current = knowledge.entries(store)
            if args.json:
                print(json.dumps([e.__dict__ for e in current], ensure_ascii=False, indent=1))
            for e in [] if args.json else current:
                print(f"{e.topic}\t{e.lang}\t{e.team or '-'}\t{e.question}")
            return 0
        found = knowledge.gaps(store, knowledge.index(store), days=args.days)
        if args.json:
            print(found.to_json(orient="records", date_format="iso", force_ascii=False))
        else:
            for row in found.itertuples():
                print(f"{row.created_at:%Y-%m-%d %H:%M}\t{row.lang}\t{row.text[:120]!r}")
            print(f"{len(found)} questions in the last {args.days} days match no entry")
        return 0
    except knowledge.KnowledgeError as exc:
        raise UserError(str(exc)) from None


def cmd_customer(args) -> int:
    import json

    from clamor import customers

    if args.action == "export" and not args.output:
        raise UserError("customer export needs -o FILE (the JSON file to write)")
    if args.action == "erase" and not args.yes:
        raise UserError(f"erasing {args.author} on {args.source} cannot be undone; add --yes "
                        "to do it (export it first if the customer asked for a copy)")
    _, store = _open(args)
    try:
        if not store.query_rows("SELECT 1 FROM mentions WHERE source = ? AND author = ? "
                                "LIMIT 1", [args.source, args.author]):
            raise UserError(f"no post from {args.author} on {args.source} is stored; check "
                            "the spelling (with @ for X, u/ for Reddit)")
        key = customers.customer_key(store, args.source, args.author)
        if args.action == "export":
            document = customers.export(store, key, by=customers.COMMAND_LINE, checked=False)
            Path(args.output).write_text(json.dumps(document, ensure_ascii=False, indent=1),
                                         encoding="utf-8")
            print(f"wrote {len(document['posts'])} posts, {len(document['cases'])} cases and "
                  f"{len(document['notes'])} notes of {key} to {args.output}")
            return 0
        counts = customers.erase(store, key, by=customers.COMMAND_LINE, checked=False)
        print(f"erased {counts['posts']} posts in {counts['cases']} cases of "
              f"{counts['handles']} handle(s); "
              f"{counts['index_words']} search entries, {counts['notes']} notes and "
              f"{counts['links']} links removed; now known as {counts['customer']}")
        return 0
    except customers.CustomerError as exc:
        raise UserError(str(exc)) from None
    finally:
        store.close()


def cmd_surveys(args) -> int:
    from clamor import actions

    _, store = _open(args)
    try:
        recorded, problems = actions.import_surveys(store, args.file)
    except actions.ActionRefused as exc:
        raise UserError(str(exc)) from None
    print(f"recorded {recorded} survey answer(s)")
    for problem in problems[:20]:
        print(f"skipped {problem}", file=sys.stderr)
    if len(problems) > 20:
        print(f"… and {len(problems) - 20} more", file=sys.stderr)
    return 1 if problems else 0


COMMANDS = {"run": cmd_run, "collect": cmd_collect, "import": cmd_import,
            "export": cmd_export, "doctor": cmd_doctor, "eval": cmd_eval,
            "status": cmd_status, "report": cmd_report, "surveys": cmd_surveys,
            "alerts": cmd_alerts, "users": cmd_users, "kb": cmd_kb, "backup": cmd_backup,
            "restore": cmd_restore, "maintain": cmd_maintain, "bench": cmd_bench,
            "worker": cmd_worker, "migrate": cmd_migrate, "rescore": cmd_rescore,
            "customer": cmd_customer}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # prawcore logs every retry it makes; the run's own outcome says what matters.
    logging.getLogger("prawcore").setLevel(logging.ERROR)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:  # its own options (--mentions, --json, --keep): see benchmark
        return cmd_bench(argparse.Namespace(rest=argv[1:]))
    args = build_parser().parse_args(argv)
    from clamor.lake import LakeError, LeaseLost

    try:
        return COMMANDS[args.command](args)
    except (UserError, LakeError, LeaseLost) as exc:  # a sentence for the user, no traceback
        print(f"clamor: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
