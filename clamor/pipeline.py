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
from dataclasses import dataclass, replace
from typing import Any, Iterable

import pandas as pd

from analysis import complaints, language, sentiment
from clamor.config import Config, Term
from clamor.store import Store, utcnow
from collectors import jsonl
from collectors.base import Collector, Mention, NotConfigured, UnreadableItem
from collectors.matching import match_terms

log = logging.getLogger(__name__)
ANALYSIS_VERSION = "1"
# Language, tone and complaint cues show in a post's opening; reading a 1 MB post to the end
# would cost minutes of language detection and tell nothing more.
ANALYSED_CHARS = 4000


@dataclass(frozen=True)
class RunReport:
    source: str
    status: str  # ok | error | not_configured
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
    own = tuple(Term(term=h, kind="brand") for h in handles)
    return config.watchlist.terms + own


def prepare(
    mentions: Iterable[Mention], config: Config, known_ids: Iterable[str] = ()
) -> tuple[list[Mention], list[bool], int]:
    """Mentions worth storing, whether each is the company's own post, and how many matched
    nothing. Kept although they name no term: the company's own posts (they are the
    responses) and replies within a thread we already hold ("same here, crashes on iOS too"
    under a post about the Aerolume app), which `known_ids` (stored mention ids) tells."""
    terms = listening_terms(config)
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
            match = match_terms(mention.text, terms, config.watchlist.exclusions)
            match_found, terms_found, kinds = bool(match), match.terms, match.kinds
        in_thread = any(f"{mention.source}:{ref}" in threads
                        for ref in (mention.in_reply_to, mention.conversation_id) if ref)
        if not (match_found or own or in_thread):
            unmatched += 1
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
        except (UnreadableItem, KeyError, TypeError, ValueError) as exc:
            unreadable.append((str(exc) or type(exc).__name__, raw))
    return mentions, unreadable


def collect_once(store: Store, collector: Collector, config: Config) -> RunReport:
    started = utcnow()
    name = collector.name
    try:
        collector.check()
    except NotConfigured as exc:
        store.record_run(name, started_at=started, status="not_configured", message=str(exc))
        return RunReport(name, "not_configured", message=str(exc))
    try:
        cursor = store.get_cursor(name)
        result = collector.fetch(cursor)
        mentions, unreadable = map_items(collector, result.raw_items)
        known = store.existing_ids(thread_refs(mentions))
        kept, own, unmatched = prepare(mentions, config, known)
        store.save_unreadable(name, unreadable)
        inserted = store.insert_mentions(
            kept, own=own, collector=name, version=collector.version, query=result.query,
            cursor=result.next_cursor, save_cursor=True,
        )
    except Exception as exc:  # one failing source must never stop the others
        log.exception("collector %s failed", name)
        message = f"{type(exc).__name__}: {exc}".strip()
        store.record_run(name, started_at=started, status="error", message=message)
        return RunReport(name, "error", message=message)
    message = (f"{len(unreadable)} item(s) could not be read and were kept aside: "
               f"{unreadable[0][0]}" if unreadable else None)
    store.record_run(
        name, started_at=started, status="ok", fetched=len(result.raw_items),
        inserted=inserted, unreadable=len(unreadable), unmatched=unmatched, message=message,
        rate_remaining=result.rate.remaining, rate_reset_at=result.rate.reset_at,
    )
    return RunReport(name, "ok", len(result.raw_items), inserted, len(unreadable), unmatched,
                     message)


def analyse(frame: pd.DataFrame, languages: tuple[str, ...], now: dt.datetime) -> pd.DataFrame:
    """Analysis rows for mentions (columns id, text, source_lang, is_own). Pure."""
    texts = [text[:ANALYSED_CHARS] for text in frame["text"]]
    detected = language.detect(texts, languages)
    langs = [code for code, _ in detected]
    scores = sentiment.score(texts, langs)
    verdicts = complaints.judge_batch(
        texts, langs, [s for s, _, _ in scores], frame["is_own"].tolist()
    )
    return pd.DataFrame({
        "mention_id": frame["id"].tolist(),
        "lang": langs,
        "lang_confidence": [conf for _, conf in detected],
        "sentiment": pd.array([s for s, _, _ in scores], dtype="Float64"),
        "sentiment_label": [label for _, label, _ in scores],
        "sentiment_model": [model for _, _, model in scores],
        "complaint": [v.complaint for v in verdicts],
        "complaint_score": [v.score for v in verdicts],
        "complaint_cues": [list(v.cues) for v in verdicts],
        "analysed_at": pd.Series([now] * len(frame), dtype="datetime64[us, UTC]"),
        "analysis_version": [ANALYSIS_VERSION] * len(frame),
    })


def analyse_pending(store: Store, config: Config) -> int:
    """Analyse every mention that has not been analysed yet; returns how many were."""
    total = 0
    while True:
        batch = store.pending_analysis(config.analysis.batch_size)
        if batch.empty:
            return total
        total += store.save_analysis(analyse(batch, config.watchlist.languages, utcnow()))


@dataclass(frozen=True)
class ImportReport:
    lines: int
    inserted: int
    already_stored: int
    unreadable: int
    unmatched: int
    first_problem: str | None


def import_jsonl(store: Store, path: str, config: Config) -> ImportReport:
    """Load a canonical mention JSONL file; lines that cannot be read are kept aside with the
    line number and reason (table unreadable_items), never silently dropped."""
    mentions: list[Mention] = []
    unreadable: list[tuple[str, Any]] = []
    lines = 0
    for number, obj, raw_line in jsonl.read_lines(path):
        lines += 1
        if obj is None:
            unreadable.append((f"line {number}: not a JSON object", raw_line))
            continue
        try:
            mentions.append(jsonl.map_item(obj))
        except UnreadableItem as exc:
            unreadable.append((f"line {number}: {exc}", raw_line))
    kept, own, unmatched = prepare(mentions, config, store.existing_ids(thread_refs(mentions)))
    store.save_unreadable(f"import:{jsonl.NAME}", unreadable)
    inserted = store.insert_mentions(
        kept, own=own, collector=f"import:{jsonl.NAME}", version=jsonl.VERSION, query=str(path),
    )
    return ImportReport(lines, inserted, len(kept) - inserted, len(unreadable), unmatched,
                        unreadable[0][0] if unreadable else None)
