"""The two jobs the scheduler runs: collect from a source, and analyse what arrived.

`collect_once` runs one collector through the contract: fetch (I/O) → map each item (pure) →
match the watchlist → store the new mentions with the cursor in one transaction → record the
run. A failing source records what went wrong in plain words and leaves its cursor where it
was, so the next run fetches the same items again; it never stops other sources.
`analyse_pending` gives new mentions a language, a sentiment (or "unscored") and a complaint
flag, in batches.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

import pandas as pd
import pyarrow as pa

from analysis import complaints, language, sentiment, tokens
from clamor import cases
from clamor.config import Config, Term
from clamor.store import Store, utcnow
from collectors.base import (
    ArchiveReader,
    Collector,
    Mention,
    NotConfigured,
    RateLimited,
    SourceError,
    UnreadableItem,
)
from collectors.matching import Watchlist

log = logging.getLogger(__name__)
ANALYSIS_VERSION = "1"
# Language, tone and complaint cues show in a post's opening; reading a 1 MB post to the end
# would cost minutes of language detection and tell nothing more.
ANALYSED_CHARS = 4000
# What a map_item raises for an item it cannot read (UnreadableItem, or a shape it did not
# expect): the item is kept aside with the reason, the rest goes on.
# What reading one malformed item may raise: it is kept aside with the reason, and the run
# goes on. (OverflowError: numbers and times beyond what Python or the store can hold;
# RecursionError: absurdly nested JSON.)
READ_ERRORS = (UnreadableItem, KeyError, TypeError, ValueError, AttributeError, OverflowError,
               RecursionError)


@dataclass(frozen=True)
class RunReport:
    source: str
    status: str  # ok | error | not_configured | rate_limited | budget_spent | waiting | paused
    fetched: int = 0
    inserted: int = 0
    unreadable: int = 0
    unmatched: int = 0
    message: str | None = None


def listening_terms(config: Config) -> tuple[Term, ...]:
    """The watchlist plus the company's own handles: "@AerolumeHelp where is my bag" is a
    mention of the brand even though it never spells "Aerolume" as a word."""
    handles = [f"@{h.lstrip('@')}" for h in (*config.accounts.x,)]
    handles += [f"u/{h.removeprefix('u/')}" for h in config.accounts.reddit]
    handles += [f"@{h.lstrip('@')}" for h in (*config.accounts.mastodon,
                                               *config.accounts.bluesky)]
    own = tuple(Term(term=h, kind="brand") for h in handles)
    return config.watchlist.terms + own


def prepare(
    mentions: Iterable[Mention], config: Config, known_ids: Iterable[str] = (),
    *, keep_unmatched: bool = False, keep: frozenset[str] = frozenset(),
) -> tuple[list[Mention], list[bool], int]:
    """Mentions worth storing, whether each is the company's own post, and how many matched
    nothing. Kept although they name no term: the company's own posts (they are the
    responses), replies within a thread we already hold ("same here, crashes on iOS too"
    under a post about the Aerolume app), which `known_ids` (stored mention ids) tells, and
    the native ids in `keep` (a place listened to whole), and with `keep_unmatched`
    everything (an archive import)."""
    terms = listening_terms(config)
    watchlist = Watchlist(terms, config.watchlist.exclusions)
    canonical = {t.term: t.kind for t in terms}
    kept: list[Mention] = []
    own_flags: list[bool] = []
    unmatched = 0
    threads = set(known_ids)
    for mention in sorted(mentions, key=lambda m: m.created_at):
        own = config.accounts.is_own(mention.source, mention.author)
        if mention.matched_terms:
            # Already matched upstream (an export being imported): keep its terms.
            kinds = tuple(dict.fromkeys(canonical[t] for t in mention.matched_terms
                                        if t in canonical))
            match_found, terms_found = True, mention.matched_terms
        else:
            match = watchlist.match(mention.text)
            match_found, terms_found, kinds = bool(match), match.terms, match.kinds
        in_thread = any(f"{mention.source}:{ref}" in threads
                        for ref in (mention.in_reply_to, mention.conversation_id) if ref)
        if not (match_found or own or in_thread or mention.native_id in keep):
            unmatched += 1
            if not keep_unmatched:
                continue
        kept.append(_with_terms(mention, terms_found, kinds))
        own_flags.append(own)
        threads.add(mention.id)
    return kept, own_flags, unmatched


def thread_refs(mentions: Iterable[Mention]) -> list[str]:
    """The mention ids that these mentions reply to or belong to."""
    return [f"{m.source}:{ref}" for m in mentions
            for ref in (m.in_reply_to, m.conversation_id) if ref]


def _with_terms(mention: Mention, terms: tuple[str, ...], kinds: tuple[str, ...]) -> Mention:
    return replace(mention, matched_terms=tuple(terms), matched_kinds=tuple(kinds))


def map_items(
    collector: Collector, raw_items: list[dict[str, Any]]
) -> tuple[list[Mention], list[tuple[str, Any]]]:
    """Mentions, and (reason, raw) for each item the collector could not read."""
    mentions: list[Mention] = []
    unreadable: list[tuple[str, Any]] = []
    for raw in raw_items:
        try:
            mentions.append(collector.map_item(raw))
        except READ_ERRORS as exc:
            unreadable.append((str(exc) or type(exc).__name__, raw))
    return mentions, unreadable


def month_start(moment: dt.datetime) -> dt.datetime:
    """The start of the calendar month (UTC) a monthly read budget counts from."""
    moment = moment.astimezone(dt.timezone.utc)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def collect_once(store: Store, collector: Collector, config: Config) -> RunReport:
    """One run of one source, recorded in collector_runs whatever happens."""
    started = utcnow()
    name = collector.name
    settings = getattr(config.sources, name, None)
    try:
        collector.check()
    except NotConfigured as exc:
        store.record_run(name, started_at=started, status="not_configured", message=str(exc))
        return RunReport(name, "not_configured", message=str(exc))
    pause = store.paused(name)
    if pause:
        return RunReport(name, "paused", message=f"paused by {pause[0]}")
    reset_at = store.rate_limited_until(name)
    if reset_at and reset_at > started:
        # Asking again before the reset only earns another 429; nothing is recorded.
        return RunReport(name, "waiting",
                         message=f"waiting for the rate limit to reset at {reset_at:%H:%M} UTC")
    limit = None
    budget = getattr(settings, "monthly_budget", None)
    if budget:
        used = store.fetched_since(name, month_start(started))
        limit = budget - used
        if limit <= 0:
            message = (f"the monthly budget of {budget:,} posts is spent ({used:,} read since "
                       f"{month_start(started):%-d %B}); collection resumes next month, or "
                       f"raise [sources.{name}] monthly_budget")
            store.record_run(name, started_at=started, status="budget_spent", message=message)
            return RunReport(name, "budget_spent", message=message)
    try:
        result = collector.fetch(store.get_cursor(name), limit)
        mentions, unreadable = map_items(collector, result.raw_items)
        known = store.existing_ids(thread_refs(mentions))
        kept, own, unmatched = prepare(mentions, config, known, keep=result.keep)
        store.save_unreadable(name, unreadable)
        inserted = store.insert_mentions(
            kept, own=own, collector=name, version=collector.version, query=result.query,
            cursor=result.next_cursor, save_cursor=True,
        )
    except RateLimited as exc:
        store.record_run(name, started_at=started, status="rate_limited", message=str(exc),
                         rate_remaining=0, rate_reset_at=exc.reset_at)
        return RunReport(name, "rate_limited", message=str(exc))
    except (SourceError, NotConfigured) as exc:
        store.record_run(name, started_at=started, status="error", message=str(exc))
        return RunReport(name, "error", message=str(exc))
    except Exception as exc:  # one failing source must never stop the others
        log.exception("collector %s failed", name)
        message = f"unexpected {type(exc).__name__}: {exc}".strip()
        store.record_run(name, started_at=started, status="error", message=message)
        return RunReport(name, "error", message=message)
    message = (f"{len(unreadable)} item(s) could not be read and were kept aside: "
               f"{unreadable[0][0]}" if unreadable else None)
    store.record_run(
        name, started_at=started, status="ok", fetched=len(result.raw_items),
        inserted=inserted, duplicates=len(kept) - inserted, unreadable=len(unreadable),
        unmatched=unmatched, message=message, rate_remaining=result.rate.remaining,
        rate_reset_at=result.rate.reset_at,
    )
    return RunReport(name, "ok", len(result.raw_items), inserted, len(unreadable), unmatched,
                     message)


def _analysis_columns(frame: pd.DataFrame, languages: tuple[str, ...], now: dt.datetime,
                      known: list[str | None] | None = None) -> dict[str, Any]:
    """analyse's columns as lists (`analysed_at` one moment, not a column). Pure."""
    texts = [text[:ANALYSED_CHARS] for text in frame["text"]]
    detected = language.detect(texts, languages) if known is None else \
        [(code, None) for code in known]
    langs = [code for code, _ in detected]
    scores = sentiment.score(texts, langs)
    # The complaint cues and the words for search read one normal form of the text (the
    # words read INDEXED_CHARS of it: no more than the analysis reads).
    norms = [tokens.normal_form(t) for t in texts]
    verdicts = complaints.judge_batch(
        texts, langs, [s for s, _, _ in scores], frame["is_own"].tolist(), norms
    )
    extra = {}
    if "seq" in frame.columns:
        extra = {"seq": frame["seq"].tolist(),
                 "words": [tokens.words(t, n if ANALYSED_CHARS <= tokens.INDEXED_CHARS else None)
                           for t, n in zip(texts, norms, strict=True)]}
    return {
        "mention_id": frame["id"].tolist(),
        "lang": langs,
        "lang_confidence": [conf for _, conf in detected],
        "sentiment": [s for s, _, _ in scores],
        "sentiment_label": [label for _, label, _ in scores],
        "sentiment_model": [model for _, _, model in scores],
        "complaint": [v.complaint for v in verdicts],
        "complaint_score": [v.score for v in verdicts],
        "complaint_cues": [list(v.cues) for v in verdicts],
        "analysed_at": now,
        "analysis_version": [ANALYSIS_VERSION] * len(frame),
        **extra,
    }


def analyse(frame: pd.DataFrame, languages: tuple[str, ...], now: dt.datetime, *,
            known: list[str | None] | None = None) -> pd.DataFrame:
    """Analysis rows for mentions (columns id, text, source_lang, is_own; with `seq`, also
    the mentions' words for the search index). `known`: their languages, detected before
    (re-scoring keeps them), not detected again. Pure."""
    columns = _analysis_columns(frame, languages, now, known)
    columns["sentiment"] = pd.array(columns["sentiment"], dtype="Float64")
    # one moment for the batch, spread by pandas (a list of datetimes converts one by one)
    columns["analysed_at"] = pd.Series(pd.Timestamp(now), index=range(len(frame)),
                                       dtype="datetime64[us, UTC]")
    return pd.DataFrame(columns)


def analyse_pending(store: Store, config: Config, now: dt.datetime | None = None, *,
                    workers: int = 1, pool: ProcessPoolExecutor | None = None,
                    file: bool = True) -> int:
    """Analyse every mention that has not been analysed yet, then file the analysed ones into
    cases (routing new cases); returns how many were analysed.

    `workers` > 1 analyses each batch in that many processes (for a large backlog such as an
    imported archive: analysis is pure Python and one process uses one core), or in `pool`
    of that many workers if given (already started: the caller keeps and shuts it). A batch
    goes out in consecutive pieces, two per worker, and is saved whole, in one transaction,
    once all of them are back, while the workers analyse the next batch: a save costs
    ~17 ms a transaction and ~5.5 µs a mention (1,000 mentions 21 ms, 4,000 40 ms, 10,000
    73 ms), and this process's time is taken from the workers' cores, so batches are large
    (analysis.batch_size per worker: 5,000, where 2,000 ingested 10 % fewer a second).
    Batches are saved in order, so every mention up to the highest analysed one stays
    analysed. Each worker loads the models once; results are written by this process, the
    store's only writer. `file=False` leaves the filing into cases to the caller (the
    benchmark times it apart).
    """
    total = 0
    index_earlier_mentions(store)
    own_pool = pool is None and workers > 1
    if own_pool:
        pool = _pool(workers)
    languages = config.watchlist.languages
    size = config.analysis.batch_size * max(workers, 1)
    try:
        if pool is not None:
            total, pool = _analyse_in_pool(store, languages, size, workers, pool, own_pool)
        while True:  # in this process (no pool, or the pool broke: the rest, slower)
            batch = store.pending_analysis(size)
            if batch.empty:
                break
            total += store.save_analysis(analyse(batch, languages, utcnow()))
    finally:
        if own_pool and pool is not None:
            pool.shutdown()
    # Filing looks for analysed mentions in no case yet: after new analysis, and otherwise
    # once a minute (a reply waits there for its parent's filing), not on every idle tick.
    if file and (total or time.monotonic() - store.filed_at > FILING_IDLE_SECONDS):
        cases.file_new(store, config, now)
        store.filed_at = time.monotonic()
    return total


# analyse's rows as the workers send them (the analysis table's columns, and `seq`): a
# fixed schema, so a piece in which no post has a cue still has a list of strings.
ANALYSIS_ARROW = pa.schema([
    ("mention_id", pa.string()), ("lang", pa.string()), ("lang_confidence", pa.float64()),
    ("sentiment", pa.float64()), ("sentiment_label", pa.string()),
    ("sentiment_model", pa.string()), ("complaint", pa.bool_()),
    ("complaint_score", pa.float64()), ("complaint_cues", pa.list_(pa.string())),
    ("analysed_at", pa.timestamp("us", tz="UTC")), ("analysis_version", pa.string()),
    ("seq", pa.int64()),
])


def _analyse_to_save(frame: pd.DataFrame, languages: tuple[str, ...], now: dt.datetime
                     ) -> tuple[pa.Table, pa.Table]:
    """analyse, in a worker process, in the form the writer saves at least cost: the rows,
    and the search words apart, each as one Arrow table (Store.words_table); built from the
    lists, not through pandas."""
    columns = _analysis_columns(frame, languages, now)
    words = Store.words_table(columns.pop("words"), columns["seq"])
    moment = pa.scalar(now, pa.timestamp("us", tz="UTC"))
    columns["analysed_at"] = pa.repeat(moment, len(frame))
    return pa.table(columns, schema=ANALYSIS_ARROW), words


def _analyse_in_pool(store: Store, languages: tuple[str, ...], size: int, workers: int,
                     pool: ProcessPoolExecutor, own_pool: bool
                     ) -> tuple[int, ProcessPoolExecutor | None]:
    """analyse_pending's work on the worker processes (see _in_pool). Returns how many were
    saved, and the pool, or None where it broke (a worker could not start or died: memory,
    an embedding host's odd __main__), in which case what is left is the caller's to
    analyse in process."""
    def save(batch: pd.DataFrame, results: list) -> int:
        return store.save_analysis(pa.concat_tables([rows for rows, _ in results]),
                                   words=pa.concat_tables([words for _, words in results]))

    total, _, working = _in_pool(
        pool, workers, lambda after: store.pending_analysis(size, after=after),
        _analyse_to_save, (languages,), save,
        lambda batch: store.save_analysis(analyse(batch, languages, utcnow())))
    if working is None:
        log.warning("analysis workers failed; analysing in this process")
        if own_pool:
            pool.shutdown()
    return total, working


def _in_pool(pool: ProcessPoolExecutor, workers: int,
             read: Callable[[int], pd.DataFrame], work: Callable, args: tuple,
             save: Callable[[pd.DataFrame, list], int], alone: Callable[[pd.DataFrame], int]
             ) -> tuple[int, int, ProcessPoolExecutor | None]:
    """Batches of mentions worked on by the pool, up to two at a time: one worked on while
    the one before it is saved, by this process, the store's only writer.

    read(after) is the next batch (with `seq`) numbered above `after`; each goes out in
    consecutive pieces, two per worker, as work(piece, *args, now), and save(batch, the
    pieces' results in order) saves it whole, batches in order. A batch of fewer than
    2 * PARALLEL_MIN is not sent out: it is left to the caller. Returns how many were saved,
    the highest mention number saved, and the pool, or None where it broke: the batches
    out then are done here by alone(batch), in order."""
    total = after = saved_to = 0  # after: the highest mention number sent out
    in_flight: deque[tuple[pd.DataFrame, list]] = deque()
    while True:
        batch = read(after)
        if len(batch) >= 2 * PARALLEL_MIN:
            after = int(batch["seq"].max())
            piece = -(-len(batch) // (2 * workers))
            try:
                in_flight.append((batch, [
                    pool.submit(work, batch.iloc[i:i + piece], *args, utcnow())
                    for i in range(0, len(batch), piece)]))
            except BrokenProcessPool:
                break
            if len(in_flight) < 2:
                continue
        if not in_flight:  # nothing left, or too few to be worth sending out
            return total, saved_to, pool
        sent, futures = in_flight[0]
        try:
            results = [future.result() for future in futures]
        except BrokenProcessPool:
            break
        in_flight.popleft()
        total += save(sent, results)
        saved_to = int(sent["seq"].max())
        if len(batch) < 2 * PARALLEL_MIN and not in_flight:
            return total, saved_to, pool
    for sent, _ in in_flight:  # in order: the caller goes on from the last one saved
        total += alone(sent)
        saved_to = int(sent["seq"].max())
    return total, saved_to, None


FILING_IDLE_SECONDS = 60


def current_models() -> dict[str, str]:
    """Language → the sentiment model this Clamor scores it with."""
    return {lang: model for lang, (model, _) in sentiment.SCORERS.items()}


def rescore(store: Store, config: Config, progress=lambda _: None, *, workers: int = 1
            ) -> int:
    """Score again, with the models this Clamor ships, every analysed mention whose score
    came from another model (after an upgrade or a retraining): sentiment and the complaint
    verdict that reads it; language and search words stay. Then the hourly counts and what
    each case waits on are brought up to date. Returns how many were re-scored.

    `workers` > 1 scores the batches in that many processes, one batch saved while the next
    is scored, as the analysis pass does (every mention of a large store after an upgrade:
    5,000 took 0.55 s of the 0.8 s a batch costs in one process); if they cannot start or
    die, the rest is scored here."""
    current = current_models()
    languages = config.watchlist.languages
    size = config.analysis.batch_size * max(workers, 1)

    done = after = 0

    def save(batch: pd.DataFrame, results: list[pd.DataFrame]) -> int:
        nonlocal done
        saved = store.save_rescored(pd.concat(results, ignore_index=True)
                                    .assign(seq=batch["seq"].to_numpy()))
        done += saved
        progress(done)
        return saved

    def alone(batch: pd.DataFrame) -> int:
        return save(batch, [_scored_again(batch, languages, utcnow())])

    if workers > 1:
        pool = _pool(workers)
        try:
            _, after, working = _in_pool(
                pool, workers, lambda after: store.stale_batch(current, after, size),
                _scored_again, (languages,), save, alone)
            if working is None:
                log.warning("re-scoring workers failed; scoring in this process")
        finally:
            pool.shutdown()
    while True:  # in this process (one worker, what was too few to send out, or the rest)
        batch = store.stale_batch(current, after, size)
        if batch.empty:
            break
        after = int(batch["seq"].max())
        alone(batch)
    if done:
        store.rebuild_hourly()
        with store.transaction() as con:
            cases.refresh_waiting(con, None)
            cases.refresh_complaint_times(con, None)  # verdicts may have changed
    return done


def _scored_again(frame: pd.DataFrame, languages: tuple[str, ...], now: dt.datetime
                  ) -> pd.DataFrame:
    """analyse for stale mentions (store.stale_batch's columns), in the language stored for
    each: the models are chosen by it, and the language itself stays, so a mention that
    would be detected otherwise today is still scored by the model its language names.
    (Without the words for search, which stay: `seq` is left out.)"""
    return analyse(frame.drop(columns=["seq"], errors="ignore"), languages, now,
                   known=[code if isinstance(code, str) else None for code in frame["lang"]])


BACKFILL_BATCH = 20_000


def index_earlier_mentions(store: Store) -> int:
    """Put mentions analysed before the search index existed into it (once, after the
    upgrade that added it); returns how many."""
    done = 0
    while True:
        batch = store.unindexed_mentions(BACKFILL_BATCH)
        if batch is None:
            return done
        words = pd.DataFrame({"seq": batch["seq"].tolist(),
                              "words": [tokens.words(t) for t in batch["text"]]})
        store.save_backfilled_words(words, done=len(batch) < BACKFILL_BATCH)
        done += len(batch)
        if len(batch) < BACKFILL_BATCH:
            return done


PARALLEL_MIN = 500  # smaller batches are not worth sending to another process


def _pool(workers: int):
    import multiprocessing

    # "spawn": a fresh interpreter, never a fork of a process holding DuckDB and threads.
    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("spawn"))


# Archive items read, matched and stored at a time by import_archive.
IMPORT_BATCH = 50_000


@dataclass(frozen=True)
class ImportReport:
    lines: int
    inserted: int
    already_stored: int
    unreadable: int
    unmatched: int
    first_problem: str | None


def import_archive(
    store: Store, path: str, config: Config, *, source: str, reader: ArchiveReader,
    map_item: Callable[[dict[str, Any]], Mention], version: str,
    progress: Callable[[int], Any] | None = None,
) -> ImportReport:
    """Load an archive file through the same `map_item` as live collection.

    An archive was selected by the query that built it, so every readable item is kept and
    tagged with the watchlist terms it matches. Lines or items that cannot be read are kept
    aside (table unreadable_items) with their line number and reason; the rest still imports.

    Items are stored IMPORT_BATCH at a time, each batch in its own transaction, calling
    progress(lines read) after each: a whole archive held at once took 8.5 GB for a million
    posts. An import stopped half-way keeps the batches it stored, and running it again adds
    the rest (what is stored already is counted as such, never stored twice).
    """
    lines = inserted = kept = unreadable = unmatched = 0
    first_problem: str | None = None
    mentions: list[Mention] = []
    problems: list[tuple[str, Any]] = []

    def store_batch() -> None:
        nonlocal inserted, kept, unreadable, unmatched, first_problem
        batch, own, skipped = prepare(mentions, config,
                                      store.existing_ids(thread_refs(mentions)),
                                      keep_unmatched=True)
        store.save_unreadable(f"import:{source}", problems)
        inserted += store.insert_mentions(batch, own=own, collector=f"import:{source}",
                                          version=version, query=str(path))
        kept += len(batch)
        unmatched += skipped
        unreadable += len(problems)
        first_problem = first_problem or (problems[0][0] if problems else None)
        mentions.clear()
        problems.clear()
        if progress:
            progress(lines)

    for line in reader(path):
        lines += 1
        if line.problem:
            problems.append((line.problem, line.text))
        for raw in line.items:
            try:
                mentions.append(map_item(raw))
            except READ_ERRORS as exc:
                problems.append((f"line {line.number}: {exc}", raw))
        if len(mentions) + len(problems) >= IMPORT_BATCH:
            store_batch()
    store_batch()
    return ImportReport(lines, inserted, kept - inserted, unreadable, unmatched, first_problem)
