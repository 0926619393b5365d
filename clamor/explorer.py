"""The analysts' explorer: the mention history searched, filtered, counted and exported.

One `Filter` describes what the analyst is looking at (the explorer page, saved searches and
`clamor export` share it). Each query function turns it into SQL over the mentions and their
analysis; the explorer's SQL lives here, beside the pages' other queries in clamor/queries.py.

Built for millions of mentions on one machine:
- the search box looks words up in the word index the analysis pass keeps (search_words,
  sorted by word, plus search_recent: see analysis/tokens.py and migration 006) rather than
  scanning every text;
- trends and shares read the hourly counts (hourly_mentions, hourly_terms) when the filter
  only names what those counts are kept by and the analyst's time zone cuts days on whole
  UTC hours, and the mentions themselves otherwise;
- lists join the analysis after choosing the page of mentions when they can.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa

from analysis import tokens
from clamor import auth, queries
from clamor.store import Store, utcnow

GRAINS = ("hour", "day", "week")
SENTIMENTS = ("positive", "neutral", "negative", "unscored", "pending")
CASE_STATES = ("new", "acknowledged", "in_progress", "waiting_on_customer", "resolved",
               "ignored", "none")
# Share of voice: the names of companies (ours: brand, products, the company itself; theirs:
# competitors). Staff names are about us but are people, not the company's voice.
SHARE_KINDS = ("brand", "product", "company", "competitor")
UTC = "UTC"


@dataclass(frozen=True)
class Filter:
    """What the analyst is looking at. Empty fields do not filter."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None       # exclusive
    days: int | None = None                 # instead of since/until: the last N days, now
    text: str = ""                          # the search box: see analysis.tokens.parse
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()         # 'und': language not told
    sentiments: tuple[str, ...] = ()        # positive | neutral | negative | unscored | pending
    complaint: bool | None = None
    terms: tuple[str, ...] = ()             # watchlist terms (canonical spelling)
    kinds: tuple[str, ...] = ()             # brand | product | staff | company | competitor
    author: str = ""                        # a handle, with or without @, any case
    case_states: tuple[str, ...] = ()       # CASE_STATES; 'none': never filed as a case
    include_own: bool = False               # the company's own posts too

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        for key in ("since", "until"):
            data[key] = data[key].isoformat() if data[key] else None
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Filter":
        data = json.loads(text)
        known = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for key, value in data.items():
            if key not in known:
                continue  # a saved search from a newer version: keep what we understand
            if key in ("since", "until") and value:
                value = dt.datetime.fromisoformat(value)
            elif isinstance(value, list):
                value = tuple(value)
            values[key] = value
        return cls(**values)

    @property
    def search(self) -> tokens.Search:
        return tokens.parse(self.text)

    def period(self, now: dt.datetime | None = None
               ) -> tuple[dt.datetime | None, dt.datetime | None]:
        """[since, until): `days` counts back from the next full hour (a saved "last 7
        days" moves with the clock), else the fixed dates."""
        if self.days:
            return last_days(self.days, now)
        return self.since, self.until


# -- the WHERE clause ---------------------------------------------------------------------

_WORD_LOOKUP = ("(SELECT seq FROM search_words WHERE {cond} "
                "UNION ALL SELECT seq FROM search_recent WHERE {cond})")


def _past_prefix(prefix: str) -> str:
    """The first string after every word that starts with `prefix` ("bah" for "bag")."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _lookup(word: str, prefix: bool = False, bounds: tuple[int, int] | None = None
            ) -> tuple[str, list]:
    """Mention numbers holding a word (or a word starting with `prefix`), within `bounds`
    (the numbers of the mentions in the filter's period, when it has one: the index is
    sorted by word, then number, so DuckDB reads only that stretch of the word's entries)."""
    if prefix:
        # a range, not starts_with(): DuckDB skips row groups by min/max word for it
        cond, args = "word >= ? AND word < ?", [word, _past_prefix(word)]
    else:
        cond, args = "word = ?", [word]
    if bounds:
        cond += " AND seq BETWEEN ? AND ?"
        args = [*args, *bounds]
    return _WORD_LOOKUP.format(cond=cond), args * 2


def seq_bounds(store: Store, flt: Filter) -> tuple[int, int] | None:
    """The smallest and largest mention number in the filter's period (None: no period,
    or nothing in it). Mentions are numbered as they are stored, so a period's numbers
    are a narrow range unless old posts were imported late."""
    since, until = flt.period()
    if since is None and until is None:
        return None
    row = store.query_rows(
        "SELECT min(seq), max(seq) FROM mentions WHERE created_at >= ? AND created_at < ?",
        [since or _EARLIEST, until or _LATEST])[0]
    return None if row[0] is None else (int(row[0]), int(row[1]))


_EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_LATEST = dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc)


def _period_conditions(flt: Filter, column: str, where: list[str], params: list) -> None:
    """The filter's period [since, until) on a time column (a mention's, or an hour's)."""
    since, until = flt.period()
    if since:
        where.append(f"{column} >= ?")
        params.append(since)
    if until:
        where.append(f"{column} < ?")
        params.append(until)


# A prefix that begins at most this many indexed words is looked up as those words.
PREFIX_WORDS = 64


def _prefix_lookup(store: Store, prefix: str, bounds: tuple[int, int] | None
                   ) -> tuple[str, list]:
    """Mention numbers holding a word that starts with `prefix`: as the words it begins,
    each looked up alone, where they are few ("bag*": bag, bags, baggage…). DuckDB guesses
    a word's entries from the index's statistics (a few thousand) but a range of words as
    a fifth of the index, and so joined 10 M mentions to the range's numbers the costly
    way round (a count of "bag*" at 10 M mentions: 0.44 s; as its 13 words 0.08 s)."""
    begun = [word for (word,) in store.query_rows(
        "SELECT DISTINCT word FROM search_words WHERE word >= ? AND word < ? UNION "
        "SELECT DISTINCT word FROM search_recent WHERE word >= ? AND word < ?",
        [prefix, _past_prefix(prefix)] * 2)]
    if len(begun) > PREFIX_WORDS:
        return _lookup(prefix, prefix=True, bounds=bounds)
    if not begun:
        return "(SELECT NULL::BIGINT AS seq WHERE false)", []
    found = [_lookup(word, bounds=bounds) for word in sorted(begun)]
    return ("(" + " UNION ALL ".join(sql[1:-1] for sql, _ in found) + ")",
            [arg for _, args in found for arg in args])


def _word_lookups(store: Store, search: tokens.Search, bounds: tuple[int, int] | None
                  ) -> list[tuple[str, list]]:
    """The mention numbers holding each word and each prefix the search requires."""
    return [*(_lookup(word, bounds=bounds) for word in search.required),
            *(_prefix_lookup(store, prefix, bounds) for prefix in search.prefixes)]


def _filed(states: list[str] | None, bounds: tuple[int, int] | None, *, other: bool = False
           ) -> tuple[str, list]:
    """The numbers of the mentions filed in cases in one of `states` (with `other`, in any
    other state; `states` None, in any case), each once (a mention is filed in one case),
    and its parameters. By number, not id: joined to 10 M mentions on integers, not
    strings; and only the filings of the period's mention numbers, where it has a period."""
    period = " AND f.seq BETWEEN ? AND ?" if bounds else ""
    if states is None:  # (some rows record "no case")
        return (f"(SELECT f.seq FROM case_mentions f WHERE f.case_id IS NOT NULL{period})",
                [*(bounds or ())])
    test = "NOT list_contains(?, c.status)" if other else "list_contains(?, c.status)"
    return (f"(SELECT f.seq FROM case_mentions f JOIN cases c ON c.id = f.case_id"
            f" WHERE {test}{period})", [states, *(bounds or ())])


def _conditions(flt: Filter, bounds: tuple[int, int] | None = None
                ) -> tuple[list[str], list, bool]:
    """SQL conditions on `m` (mentions) and `a` (analysis), their parameters, and whether
    any of them reads the analysis; all but the words and prefixes a search requires and
    the case states, which _matching joins. `bounds`: see seq_bounds."""
    where: list[str] = []
    params: list = []
    uses_analysis = False
    if not flt.include_own:
        where.append("NOT m.is_own")
    _period_conditions(flt, "m.created_at", where, params)
    if flt.sources:
        where.append("list_contains(?, m.source)")
        params.append(list(flt.sources))
    if flt.terms:
        where.append("len(list_intersect(m.matched_terms, ?)) > 0")
        params.append(list(flt.terms))
    if flt.kinds:
        # one list_contains per kind: 4x faster than intersecting the lists (10 M: 0.16 s)
        where.append("(" + " OR ".join(["list_contains(m.matched_kinds, ?)"] * len(flt.kinds))
                     + ")")
        params.extend(flt.kinds)
    if flt.author.strip():
        # "@Name", "@name" or "name" for @Name (lowering the handle alone: 2x faster than
        # trimming its "@" too). Both sides lowered by DuckDB: Python lowers "İ" and a
        # closing "Σ" otherwise, so a web author "ΑΕΡΟΠΟΡΙΚΕΣ ΕΙΔΗΣΕΙΣ" copied from a
        # card (or clicked in top authors) found nothing; and a Greek name typed with its
        # final "ς" finds the same name in capitals (lowered to "σ").
        handle = flt.author.strip().lstrip("@")
        fold = "lower({})"
        if any(letter in handle for letter in "Σσς"):
            fold = "replace(lower({}), 'ς', 'σ')"  # (only then: 10 M authors, 0.20 -> 0.35 s)
        where.append(f"{fold.format('m.author')} IN ({fold.format('?')}, {fold.format('?')})")
        params.extend([handle, "@" + handle])
    if flt.languages:
        where.append("list_contains(?, coalesce(a.lang, 'und'))")
        params.append(list(flt.languages))
        uses_analysis = True
    if flt.sentiments:
        where.append("list_contains(?, coalesce(a.sentiment_label, 'pending'))")
        params.append(list(flt.sentiments))
        uses_analysis = True
    if flt.complaint is not None:
        where.append("coalesce(a.complaint, false) = ?")
        params.append(flt.complaint)
        uses_analysis = True
    search = flt.search
    if bounds:
        where.append("m.seq BETWEEN ? AND ?")
        params.extend(bounds)
    for phrase in search.phrases:
        where.append("regexp_matches(lower(m.text), ?)")
        params.append(tokens.phrase_pattern(phrase))
    for phrase in search.excluded_phrases:
        where.append("NOT regexp_matches(lower(m.text), ?)")
        params.append(tokens.phrase_pattern(phrase))
    for word in search.excluded:
        sql, args = _lookup(word, bounds=bounds)
        where.append(f"m.seq NOT IN {sql}")
        params.extend(args)
    return where or ["true"], params, uses_analysis


def _matching(store: Store, flt: Filter, *, analysis: bool = True) -> tuple[str, str, list]:
    """FROM and WHERE of the mentions that match (`m`), with their analysis (`a`) where
    `analysis` or a filter reads it, and the parameters of both, in that order.

    A search joins only its mentions to their analysis: both sides are narrowed to the
    mentions holding the search's first word before the join. DuckDB would otherwise join
    all 10 M mentions to their analysis, then keep a search's few (a trend of a word in
    630,000 of 10 M mentions: 1.0 s and ~700 MB of hash table; with the analysis side
    narrowed alone 0.8 s, with both 0.35 s)."""
    search = flt.search
    bounds = seq_bounds(store, flt) if search.required or search.prefixes or flt.case_states \
        else None
    where, params, uses_analysis = _conditions(flt, bounds)
    lookups = _word_lookups(store, search, bounds)
    for sql, args in lookups[1:]:
        where.append(f"m.seq IN {sql}")
        params.extend(args)
    if lookups:
        narrow, narrow_params = lookups[0]
        mentions_ = f"(SELECT * FROM mentions WHERE seq IN {narrow})"
        analysis_ = f"(SELECT * FROM analysis WHERE seq IN {narrow})"
    else:
        mentions_, analysis_, narrow_params = "mentions", "analysis", []
    source, source_params = f"{mentions_} m", list(narrow_params)
    states = [s for s in flt.case_states if s != "none"]
    if "none" in flt.case_states:
        # Never filed, or filed in one of `states`: not filed in any other state. An anti
        # join (10 M mentions, all time: "resolved" and "none" 2.7 -> 1.5 s, where `m.seq
        # IN (resolved) OR m.seq NOT IN (filed)` read the filings twice).
        filed, filed_params = _filed(states or None, bounds, other=True)
        source = f"{source} ANTI JOIN {filed} filed ON filed.seq = m.seq"
        source_params = [*source_params, *filed_params]
    elif states:
        # The filed mentions first, joined to theirs: DuckDB made `m.seq IN (the filed)`
        # a hash table of all the mentions probed by the filed ones (10 M mentions, the
        # new cases' 72,000 of all time: 0.94 -> 0.26 s; the resolved 8.5 M about the same)
        filed, filed_params = _filed(states, bounds)
        source = f"{filed} filed JOIN {source} ON m.seq = filed.seq"
        source_params = [*filed_params, *source_params]
    if not (analysis or uses_analysis):
        return source, " AND ".join(where), [*source_params, *params]
    return (f"{source} LEFT JOIN {analysis_} a ON a.seq = m.seq", " AND ".join(where),
            [*source_params, *narrow_params, *params])


def _on_the_hour(moment: dt.datetime | None, minutes: int = 60) -> bool:
    """Whether a moment starts a UTC hour (Tehran's midnight is 20:30 UTC: it does not),
    or with `minutes` 15 a UTC quarter hour (Tehran's midnight does)."""
    if moment is None:
        return True
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc)
    return moment.minute % minutes == 0 and (moment.second, moment.microsecond) == (0, 0)


def _counted_hourly(flt: Filter, *, by_term: bool = False, minutes: int = 60) -> bool:
    """Whether the hourly counts answer for this filter (they are kept by hour, source,
    language, sentiment, complaint and own posts; hourly_terms also by term and kind); with
    `minutes` 15, their quarters of an hour (the period may start on a quarter hour)."""
    return (not flt.text.strip() and not flt.author.strip() and not flt.case_states
            and not flt.kinds and (by_term or not flt.terms)
            and "pending" not in flt.sentiments
            and all(_on_the_hour(moment, minutes) for moment in flt.period()))


def _hourly_conditions(flt: Filter, *, by_term: bool = False, quarters: bool = False
                       ) -> tuple[list[str], list]:
    """Conditions on an hourly table `h` for the filter, and their parameters; with
    `quarters`, on the hours holding the period's quarters (see _hourly_by_quarter)."""
    where, params = ["true"], []
    if not flt.include_own:
        where.append("NOT h.is_own")
    for column, values in (("source", flt.sources), ("lang", flt.languages),
                           ("sentiment_label", flt.sentiments)):
        if values:
            where.append(f"list_contains(?, h.{column})")
            params.append(list(values))
    if by_term and flt.terms:
        where.append("list_contains(?, h.term)")
        params.append(list(flt.terms))
    if flt.complaint is not None:
        where.append("h.complaint = ?")
        params.append(flt.complaint)
    if quarters:
        # the hours the period's quarters fall in; the quarters themselves are kept to the
        # period once the hours are split (_period_quarters)
        since, until = flt.period()
        if since:
            where.append("h.hour >= date_trunc('hour', ?::TIMESTAMPTZ)")
            params.append(since)
        if until:
            where.append("h.hour < ?")
            params.append(until)
    else:
        _period_conditions(flt, "h.hour", where, params)
    return where, params


def _period_quarters(flt: Filter) -> list[str]:
    """Conditions keeping the quarters of an hour (`quarter`: quarters since 1970) to the
    filter's period, which starts and ends on quarter hours (_counted_hourly, minutes 15)."""
    return [f"quarter {op} {int(moment.timestamp()) // 900}"
            for op, moment in zip((">=", "<"), flt.period(), strict=True) if moment]


# -- time zones -----------------------------------------------------------------------------

_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")


def time_zone(name: str | None) -> str:
    """A time zone's IANA name (Europe/Athens), checked; None or '' is UTC."""
    name = (name or UTC).strip()
    if _ZONE_NAME.fullmatch(name):
        try:
            zoneinfo.ZoneInfo(name)
            return name
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    raise ValueError(f"unknown time zone {name!r}: use a name such as Europe/Athens or "
                     "Asia/Tehran")


def _bucket(grain: str, column: str, tz: str) -> str:
    """SQL for the instant the hour/day/week (from Monday) holding `column` starts, in the
    zone `tz`. The zone, a checked name (time_zone), is written into the SQL: it sits in the
    SELECT list, ahead of the WHERE clause's parameters."""
    grain, tz = _grain(grain), time_zone(tz)
    local = f"timezone('{tz}', {column})"
    if grain == "hour":
        # A local hour is a UTC hour shifted by the zone's minutes (:30 in Tehran and India,
        # :45 in Nepal). Counted back from the instant, the hour repeated when the clocks go
        # back stays two hours rather than one bucket of two.
        return f"date_trunc('minute', {column}) - to_minutes(minute({local}))"
    return f"timezone('{tz}', date_trunc('{grain}', {local}))"


def bucket_end(start: dt.datetime, grain: str, tz: str = UTC) -> dt.datetime:
    """Where the bucket starting at `start` ends: an hour later, or the next local midnight
    (a day is 23 or 25 hours long when the clocks change), the next Monday's for a week."""
    if _grain(grain) == "hour":
        return start + dt.timedelta(hours=1)
    zone = zoneinfo.ZoneInfo(time_zone(tz))
    local = start.astimezone(zone).date() + dt.timedelta(days=1 if grain == "day" else 7)
    return dt.datetime.combine(local, dt.time(), zone).astimezone(dt.timezone.utc)


@functools.lru_cache(maxsize=256)
def _offsets_in_steps(tz: str, first: dt.date, last: dt.date, minutes: int) -> bool:
    """Whether zone `tz`'s offset from UTC is a whole number of `minutes` every day from
    `first` to `last`."""
    zone = zoneinfo.ZoneInfo(tz)
    day = first
    while day <= last:  # an offset holds for months: one look a day finds each
        if dt.datetime.combine(day, dt.time(12), zone).utcoffset() \
                % dt.timedelta(minutes=minutes):
            return False
        day += dt.timedelta(days=1)
    return True


def _local_times_start_on(store: Store, flt: Filter, tz: str, minutes: int) -> bool:
    """Whether every local hour, day and week of the filter's period (or of all that is
    stored) starts on a whole `minutes` of UTC in zone `tz`."""
    tz = time_zone(tz)
    if tz == UTC:
        return True
    since, until = flt.period()
    if since is None or until is None:
        first, last = store.query_rows("SELECT min(hour), max(hour) FROM hourly_mentions")[0]
        if first is None:
            return True  # nothing counted: nothing to add up
        since, until = since or first, until or last
    return _offsets_in_steps(tz, since.date() - dt.timedelta(days=1),
                             until.date() + dt.timedelta(days=1), minutes)


def local_hours_are_utc_hours(store: Store, flt: Filter, tz: str) -> bool:
    """Whether every local hour, day and week of the filter's period starts on a UTC hour
    in zone `tz`, so that the hourly counts (kept per UTC hour) add up to them: Athens,
    summer time included, yes; Tehran (+03:30) and India (+05:30), never; a zone that
    changed its offset (Caracas was -04:30 until 2016) only outside that time."""
    return _local_times_start_on(store, flt, tz, 60)


# Mentions counted per quarter of an hour of UTC, then those quarters per local hour, day or
# week: every zone's offset has been a whole number of quarter hours since the 1970s (Nepal
# +05:45), so the quarters add up to any of them, and a zone's buckets are worked out for
# 35,000 quarters a year, not for each of millions of mentions (all of 10 M mentions by
# Tehran's hours: 3.6 s, by quarters 1.2 s).
_QUARTER = "floor(epoch_us(m.created_at) / 900000000)::BIGINT"


def _quarter_bucket(grain: str, tz: str) -> str:
    """SQL of the bucket (of zone `tz`) holding the quarter hour `quarter` (quarters since
    1970: _QUARTER, _hourly_by_quarter)."""
    return _bucket(grain, "to_timestamp(quarter * 900)", tz)


def _quartered(store: Store, flt: Filter, grain: str, tz: str) -> tuple[str, str]:
    """(SQL of a mention's quarter of an hour, `quarter`, SQL of the bucket holding it),
    or, in a zone whose offset was not a whole number of quarter hours in the period, each
    mention's bucket and `quarter` itself."""
    if _local_times_start_on(store, flt, tz, 15):
        return _QUARTER, _quarter_bucket(grain, tz)
    return _bucket(grain, "m.created_at", tz), "quarter"


def _hourly_answers(store: Store, flt: Filter, tz: str, *, by_term: bool = False) -> bool:
    """Whether the hourly counts answer for this filter, counted in buckets of zone `tz`."""
    return _counted_hourly(flt, by_term=by_term) and local_hours_are_utc_hours(store, flt, tz)


def _quarters_answer(store: Store, flt: Filter, tz: str, *, by_term: bool = False) -> bool:
    """Whether the hourly counts' quarters (q1-q3, migration 015) answer for this filter in
    zone `tz`: the filter allows the hourly counts, its period starts and ends on UTC
    quarter hours (a Tehran day does), and so does each local hour, day and week of it
    (Tehran, India, Nepal)."""
    return _counted_hourly(flt, by_term=by_term, minutes=15) \
        and _local_times_start_on(store, flt, tz, 15)


def _hourly_by_quarter(table: str, keys: tuple[str, ...], flt: Filter, where: list[str]
                       ) -> str:
    """SQL of an hourly table's counts per UTC quarter hour (`quarter`: quarters since 1970)
    and `keys` (its columns) in the filter's period, summed over the rest: each row's hour
    is four quarters, the first holding what the other three do not (an empty quarter is
    no row, as no mention is none). `where`: _hourly_conditions(flt, quarters=True)."""
    first = "floor(epoch(h.hour) / 900)::BIGINT"
    return f"""
        SELECT {", ".join(["quarter", *keys])}, sum(n) AS mentions FROM (
            SELECT {", ".join([
                f"unnest([{first}, {first} + 1, {first} + 2, {first} + 3]) AS quarter",
                *(f"h.{k}" for k in keys),
                "unnest([h.mentions - h.q1 - h.q2 - h.q3, h.q1, h.q2, h.q3]) AS n"])}
            FROM {table} h WHERE {" AND ".join(where)})
        WHERE {" AND ".join(["n > 0", *_period_quarters(flt)])} GROUP BY ALL"""


# -- lists and counts -----------------------------------------------------------------------

_COLUMNS = """m.id, m.created_at, m.source, m.author, m.author_followers, m.text, m.url,
              m.matched_terms, m.matched_kinds, m.is_own,
              coalesce(a.lang, 'und') AS lang,
              coalesce(a.sentiment_label, 'pending') AS sentiment_label, a.sentiment,
              coalesce(a.complaint, false) AS complaint,
              coalesce(a.complaint_cues, []) AS complaint_cues"""


def _page(store: Store, flt: Filter, limit: int, offset: int) -> pd.DataFrame:
    """The numbers of one page of matching mentions, newest first: columns seq, id."""
    # Without analysis filters, the page is chosen before anything is joined to it.
    source, where, params = _matching(store, flt, analysis=False)
    return store.query_df(
        f"""SELECT m.seq, m.id FROM {source} WHERE {where}
            ORDER BY m.created_at DESC, m.seq DESC LIMIT ? OFFSET ?""",
        [*params, limit, offset])


def mentions(store: Store, flt: Filter, limit: int = 50, offset: int = 0) -> pd.DataFrame:
    """The mentions that match, newest first, with their analysis and case."""
    return details(store, newest(store, flt, limit, offset)["seq"].tolist())


def newest(store: Store, flt: Filter, limit: int = 50, offset: int = 0) -> pd.DataFrame:
    """The numbers of the matching mentions, newest first: columns seq, id.

    A search for a common word, or a language, matches millions of mentions; the newest
    page of them is found in the latest day first, then in a period eight times longer, and
    so on, so a word in every post costs what a day of posts does (a filter that matches
    few costs at most about one more read of everything)."""
    if offset + limit <= TOP_WORDS_SAMPLE:  # (up to the top words' sample of the newest)
        since, until = flt.period()
        first = store.query_rows("SELECT min(created_at), max(created_at) FROM mentions")[0]
        end = until or (first[1] + dt.timedelta(microseconds=1) if first[1] else None)
        span = dt.timedelta(days=1)
        page = pd.DataFrame({"seq": [], "id": []})
        while end is not None:
            start = end - span
            last = (since is not None and start <= since) or first[0] is None \
                or start <= first[0]
            window = dataclasses.replace(flt, days=None, since=since if last else start,
                                         until=until)
            page = _page(store, window, limit, offset)
            if last or len(page) >= limit:
                break
            span *= 8
    else:
        page = _page(store, flt, limit, offset)
    return page


def details(store: Store, seqs: list[int]) -> pd.DataFrame:
    """What the explorer shows of these mentions (by their numbers; newest first), read
    table by table by number: a page's numbers are a few row groups of each table, found
    by their min/max (by mention id, each was a lookup in a key's index: 5,000 newest
    mentions' details took 1.5 s at 10 M mentions, by number 25 ms)."""
    seqs = [int(s) for s in seqs]
    frame = store.query_df(
        "SELECT id, created_at, source, author, author_followers, text, url, matched_terms, "
        "matched_kinds, is_own, seq FROM mentions WHERE seq IN (SELECT unnest(?))", [seqs])
    scores = store.query_df(
        "SELECT seq, lang, sentiment_label, sentiment, complaint, complaint_cues "
        "FROM analysis WHERE seq IN (SELECT unnest(?))", [seqs])
    filed = store.query_df("SELECT seq, case_id FROM case_mentions "
                           "WHERE seq IN (SELECT unnest(?))", [seqs]).dropna(subset=["case_id"])
    states = store.query_df("SELECT id AS case_id, status AS case_status FROM cases "
                            "WHERE id = ANY(?)", [filed["case_id"].tolist()])
    frame = (frame.merge(scores, on="seq", how="left").merge(filed, on="seq", how="left")
             .merge(states, on="case_id", how="left"))
    frame["lang"] = frame["lang"].fillna("und")
    frame["sentiment_label"] = frame["sentiment_label"].fillna("pending")
    frame["complaint"] = frame["complaint"].fillna(False).astype(bool)
    frame["complaint_cues"] = [c if isinstance(c, (list, tuple)) or hasattr(c, "tolist")
                               else [] for c in frame["complaint_cues"]]
    frame = frame.sort_values(["created_at", "seq"], ascending=False, kind="stable")
    return frame.drop(columns=["seq"]).reset_index(drop=True)


def count(store: Store, flt: Filter) -> int:
    """How many mentions match."""
    if _counted_hourly(flt):
        where, params = _hourly_conditions(flt)
        return int(store.query_rows(
            f"SELECT coalesce(sum(mentions), 0) FROM hourly_mentions h "
            f"WHERE {' AND '.join(where)}", params)[0][0])
    search = flt.search
    if (len(search.words) == 1 and search == tokens.Search(words=search.words)
            and dataclasses.replace(flt, text="", include_own=False) == Filter()):
        # One word over all time, the commonest search: count its index entries, less our
        # own posts unless asked for (a word in millions of posts, without joining them).
        sql, args = _lookup(search.words[0])
        own = "" if flt.include_own else \
            " WHERE w.seq NOT IN (SELECT seq FROM mentions WHERE is_own)"
        return int(store.query_rows(f"SELECT count(*) FROM {sql} w{own}", args)[0][0])
    source, where, params = _matching(store, flt, analysis=False)
    return int(store.query_rows(f"SELECT count(*) FROM {source} WHERE {where}", params)[0][0])


def count_with_complaints(store: Store, flt: Filter) -> tuple[int, int]:
    """How many mentions match, and how many of them are complaints: count(flt) and
    count(behind(flt, complaint=True)) in one pass (10 M mentions, a phrase over all time:
    2.0 -> 0.9 s, where each count tested the phrase on every candidate; an author 0.5 ->
    0.2 s)."""
    both = "coalesce(sum(mentions), 0), coalesce(sum(mentions) FILTER (WHERE complaint), 0)"
    if _counted_hourly(flt):
        where, params = _hourly_conditions(flt)
        sql = f"SELECT {both} FROM hourly_mentions h WHERE {' AND '.join(where)}"
    elif _counted_hourly(flt, minutes=15):
        # a period of Tehran's own days, from the quarters (10 M mentions, a year: 0.75 ->
        # 0.1 s, as language_mix)
        where, params = _hourly_conditions(flt, quarters=True)
        sql = f"""SELECT {both}
                  FROM ({_hourly_by_quarter("hourly_mentions", ("complaint",), flt, where)})"""
    else:
        source, where, params = _matching(store, flt)
        sql = f"SELECT count(*), count(*) FILTER (WHERE a.complaint) FROM {source} WHERE {where}"
    mentions, complaints = store.query_rows(sql, params)[0]
    return int(mentions), int(complaints)


# -- trends -------------------------------------------------------------------------------

def _grain(grain: str) -> str:
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}; choose one of {', '.join(GRAINS)}")
    return grain


def trend(store: Store, flt: Filter, grain: str = "day", tz: str = UTC) -> pd.DataFrame:
    """Mentions per hour/day/week (of the time zone `tz`) and sentiment label, with the
    complaints among them: columns bucket (the instant it starts), sentiment_label,
    mentions, complaints."""
    grain = _grain(grain)
    if _hourly_answers(store, flt, tz):
        where, params = _hourly_conditions(flt)
        # Summed per hour first, then the hours put in buckets: a bucket's zone arithmetic
        # once an hour, not once a row of the counts (all time at 10 M mentions, 724,000
        # rows: 130-160 -> 25-40 ms)
        sql = f"""
            SELECT {_bucket(grain, 'hour', tz)} AS bucket, sentiment_label,
                   sum(mentions)::BIGINT AS mentions, sum(complaints)::BIGINT AS complaints
            FROM (SELECT h.hour, h.sentiment_label, sum(h.mentions) AS mentions,
                         coalesce(sum(h.mentions) FILTER (WHERE h.complaint), 0)
                             AS complaints
                  FROM hourly_mentions h WHERE {' AND '.join(where)} GROUP BY ALL)
            GROUP BY ALL ORDER BY bucket, sentiment_label
        """
    elif _quarters_answer(store, flt, tz):
        # Tehran's hours from the hourly counts' quarters (all time at 10 M mentions:
        # 0.9 s from each mention, 0.2 s this way)
        where, params = _hourly_conditions(flt, quarters=True)
        counted = _hourly_by_quarter("hourly_mentions", ("sentiment_label", "complaint"),
                                     flt, where)
        sql = f"""
            SELECT {_quarter_bucket(grain, tz)} AS bucket, sentiment_label,
                   sum(mentions)::BIGINT AS mentions,
                   coalesce(sum(mentions) FILTER (WHERE complaint), 0)::BIGINT AS complaints
            FROM ({counted}) GROUP BY ALL ORDER BY bucket, sentiment_label
        """
    else:
        source, where, params = _matching(store, flt)
        quarter, bucket = _quartered(store, flt, grain, tz)
        sql = f"""
            SELECT {bucket} AS bucket, sentiment_label, sum(mentions)::BIGINT AS mentions,
                   sum(complaints)::BIGINT AS complaints
            FROM (SELECT {quarter} AS quarter,
                         coalesce(a.sentiment_label, 'pending') AS sentiment_label,
                         count(*) AS mentions,
                         count(*) FILTER (WHERE a.complaint) AS complaints
                  FROM {source} WHERE {where} GROUP BY ALL)
            GROUP BY ALL ORDER BY bucket, sentiment_label
        """
    return store.query_df(sql, params)


def language_mix(store: Store, flt: Filter) -> pd.DataFrame:
    """Mentions per language: columns lang, mentions, share."""
    if _counted_hourly(flt):
        where, params = _hourly_conditions(flt)
        sql = f"""SELECT h.lang, sum(h.mentions)::BIGINT AS mentions
                  FROM hourly_mentions h WHERE {' AND '.join(where)} GROUP BY ALL"""
    elif _counted_hourly(flt, minutes=15):
        # A period of Tehran's or Nepal's own days, from the quarters (10 M mentions, a
        # year: 0.76 -> 0.13 s; count() needs no analysis, and reads the mentions faster)
        where, params = _hourly_conditions(flt, quarters=True)
        counted = _hourly_by_quarter("hourly_mentions", ("lang",), flt, where)
        sql = f"SELECT lang, sum(mentions)::BIGINT AS mentions FROM ({counted}) GROUP BY ALL"
    else:
        source, where, params = _matching(store, flt)
        sql = f"""SELECT coalesce(a.lang, 'und') AS lang, count(*) AS mentions
                  FROM {source} WHERE {where} GROUP BY ALL"""
    frame = store.query_df(f"SELECT * FROM ({sql}) ORDER BY mentions DESC, lang", params)
    total = frame["mentions"].sum()
    frame["share"] = frame["mentions"] / total if total else 0.0
    return frame


def term_kinds(config) -> dict[str, str]:
    """Each term mentions are tagged with, and its kind: the watchlist's terms and the
    company's own handles (@AerolumeHelp is the brand), as collection tags them."""
    from clamor.pipeline import listening_terms

    return {t.term: t.kind for t in listening_terms(config)}


@dataclass(frozen=True)
class Company:
    """One company in share of voice: its name, whether it is ours, and the watchlist terms
    (canonical spellings, as mentions are tagged) that name it."""

    name: str
    ours: bool
    terms: tuple[str, ...]


def companies(config) -> tuple[Company, ...]:
    """The companies share of voice compares, ours first, then as the watchlist lists them.
    Each brand, product, company and competitor term names its `company` (default: ours,
    under the brand's name, for all but competitors; a competitor is its own company); our
    own handles (@AerolumeHelp) name the brand. Staff names are left out."""
    from clamor.config import COMPETITOR
    from clamor.pipeline import listening_terms

    named: dict[str, list[str]] = {}
    ours: dict[str, bool] = {}
    for term in listening_terms(config):
        if term.kind not in SHARE_KINDS:
            continue
        name = term.company_name(config.brand.name)
        if term.term not in named.setdefault(name, []):
            named[name].append(term.term)
        ours[name] = ours.get(name, False) or term.kind != COMPETITOR
    found = [Company(name, ours[name], tuple(terms)) for name, terms in named.items()]
    return tuple(sorted(found, key=lambda c: not c.ours))  # stable: the config's order


def share_of_voice(store: Store, flt: Filter, grain: str = "day",
                   companies: tuple[Company, ...] | list[Company] | None = None,
                   tz: str = UTC) -> pd.DataFrame:
    """Mentions per bucket (of time zone `tz`) naming each company, and its share of the
    bucket's: columns bucket, company, ours, mentions, share. A mention counts once for
    each company it names: "Aerolume's app beats Skyvane and Nordhavn Air" is one mention of
    us and one of each competitor, and naming Aerolume and SkyPoints is one mention of us.
    The filter's terms, if any, narrow the names counted. Without `companies` every term
    the mentions are tagged with counts as a company of its own (not ours).

    The hourly counts answer when the filter and the zone allow (see _hourly_answers): per
    term when each company has one term, else per set of terms a mention names (a mention
    naming two of a company's terms is one row of those counts, counted once)."""
    grain, tz = _grain(grain), time_zone(tz)
    if companies is None and flt.terms:
        # each of the filter's terms a company of its own, so that every way of counting
        # counts those names alone (counted mention by mention, every name of a mention
        # naming one of them used to count)
        companies = [Company(term, False, (term,)) for term in flt.terms]
    term_company: dict[str, str] | None = None
    ours: dict[str, bool] = {}
    if companies is not None:
        term_company = {}
        for company in companies:
            for term in company.terms:
                if not flt.terms or term in flt.terms:
                    term_company.setdefault(term, company.name)
                    ours.setdefault(company.name, company.ours)
        if not term_company:
            return pd.DataFrame({"bucket": pd.Series([], dtype="datetime64[us, UTC]"),
                                 "company": [], "ours": [], "mentions": [], "share": []})
    wanted = list(term_company) if term_company is not None else None
    one_term_each = term_company is None or len(set(term_company.values())) \
        == len(term_company)
    if one_term_each and _hourly_answers(store, flt, tz, by_term=True):
        where, params = _hourly_conditions(flt, by_term=True)
        if wanted is not None:
            where.append("list_contains(?::VARCHAR[], h.term)")
            params.append(wanted)
        frame = store.query_df(f"""
            SELECT {_bucket(grain, 'hour', tz)} AS bucket, company,
                   sum(mentions)::BIGINT AS mentions
            FROM (SELECT h.hour, h.term AS company, sum(h.mentions) AS mentions
                  FROM hourly_terms h WHERE {' AND '.join(where)} GROUP BY ALL)
            GROUP BY ALL""", params)  # (per hour first, as trend)
        if term_company is not None:
            frame["company"] = frame["company"].map(term_company)
    else:
        def named(terms: str) -> tuple[str, list]:
            """Each company the `terms` column names, once (all its terms without companies)."""
            if wanted is None:
                return f"list_distinct({terms})", []
            return (f"list_distinct(list_transform("
                    f"list_filter({terms}, t -> list_contains(?::VARCHAR[], t)), "
                    "t -> (?::VARCHAR[])[list_position(?::VARCHAR[], t)]))",
                    [wanted, [term_company[t] for t in wanted], wanted])

        on_the_hour = _hourly_answers(store, flt, tz, by_term=True)
        # (in quarters, a terms filter only with companies, which narrow the names counted
        # to the filter's: there are always some where the filter has terms)
        if on_the_hour or _quarters_answer(store, flt, tz, by_term=term_company is not None):
            # (the filter's terms narrow `wanted`, so the term condition is left out here)
            where, params = _hourly_conditions(flt, by_term=False, quarters=not on_the_hour)
            # Without a source, language, tone or complaint filter, the totals per set of
            # terms answer: a seventh of the rows. Counts are summed per bucket and set of
            # terms before the sets are read as companies (a few thousand lists, not millions).
            broken_down = flt.sources or flt.languages or flt.sentiments \
                or flt.complaint is not None
            table = "hourly_termsets" if broken_down else "hourly_termset_totals"
            companies_sql, named_params = named("terms")
            if on_the_hour:
                counted = f"""
                    SELECT {_bucket(grain, 'h.hour', tz)} AS bucket, h.terms,
                           sum(h.mentions) AS mentions
                    FROM {table} h WHERE {' AND '.join(where)}
                    GROUP BY ALL"""
            else:  # in quarters of an hour, as trend
                counted = f"""
                    SELECT {_quarter_bucket(grain, tz)} AS bucket, terms,
                           sum(mentions) AS mentions
                    FROM ({_hourly_by_quarter(table, ("terms",), flt, where)})
                    GROUP BY ALL"""
            return _shares(store.query_df(f"""
                SELECT bucket, company, sum(mentions)::BIGINT AS mentions FROM (
                    SELECT bucket, unnest({companies_sql}) AS company, mentions
                    FROM ({counted}))
                GROUP BY ALL""", [*named_params, *params]), ours)
        source, where, params = _matching(store, flt, analysis=False)
        named, named_params = named("m.matched_terms")
        quarter, bucket = _quartered(store, flt, grain, tz)
        frame = store.query_df(f"""
            SELECT {bucket} AS bucket, company, sum(mentions)::BIGINT AS mentions FROM (
                SELECT quarter, company, count(*) AS mentions FROM (
                    SELECT {quarter} AS quarter, unnest({named}) AS company
                    FROM {source} WHERE {where})
                GROUP BY ALL)
            GROUP BY ALL""", [*named_params, *params])
    return _shares(frame, ours)


def _shares(frame: pd.DataFrame, ours: dict[str, bool]) -> pd.DataFrame:
    """Counts per bucket and company, ordered, with whose they are and their share."""
    frame = frame.sort_values(["bucket", "mentions", "company"],
                              ascending=[True, False, True]).reset_index(drop=True)
    frame.insert(2, "ours", [ours.get(c, False) for c in frame["company"]])
    totals = frame.groupby("bucket")["mentions"].transform("sum")
    frame["share"] = frame["mentions"] / totals if len(frame) else []
    return frame


def term_counts(store: Store, flt: Filter, term_kinds: dict[str, str] | None = None
                ) -> pd.DataFrame:
    """Matching mentions naming each watchlist term, and the complaints among them:
    columns term, kind, mentions, complaints, most first."""
    if _counted_hourly(flt, by_term=True):
        where, params = _hourly_conditions(flt, by_term=True)
        sql = f"""SELECT h.term, sum(h.mentions)::BIGINT AS mentions,
                         coalesce(sum(h.mentions) FILTER (WHERE h.complaint), 0)::BIGINT
                             AS complaints
                  FROM hourly_terms h WHERE {' AND '.join(where)} GROUP BY ALL"""
    else:
        source, where, params = _matching(store, flt)
        sql = f"""SELECT term, count(*) AS mentions,
                         count(*) FILTER (WHERE complaint) AS complaints
                  FROM (SELECT unnest(list_distinct(m.matched_terms)) AS term,
                               coalesce(a.complaint, false) AS complaint
                        FROM {source} WHERE {where})
                  GROUP BY ALL"""
    frame = store.query_df(f"SELECT * FROM ({sql}) ORDER BY mentions DESC, term", params)
    frame.insert(1, "kind", [(term_kinds or {}).get(t, "") for t in frame["term"]])
    return frame


def top_authors(store: Store, flt: Filter, by: str = "volume", limit: int = 20
                ) -> pd.DataFrame:
    """Authors by how often they wrote ('volume') or how many follow them ('reach'):
    columns author, source, mentions, followers, complaints, negative."""
    order = {"volume": "mentions DESC, followers DESC",
             "reach": "followers DESC NULLS LAST, mentions DESC"}.get(by)
    if order is None:
        raise ValueError("top authors by 'volume' or 'reach'")
    if _conditions(flt)[2]:  # a filter reads the analysis: join it once, as the filter does
        source, where, params = _matching(store, flt)
        return store.query_df(
            f"""
            SELECT m.author, m.source, count(*) AS mentions,
                   max(m.author_followers) AS followers,
                   count(*) FILTER (WHERE a.complaint) AS complaints,
                   count(*) FILTER (WHERE a.sentiment_label = 'negative') AS negative
            FROM {source} WHERE {where} AND m.author IS NOT NULL
            GROUP BY ALL ORDER BY {order}, m.author LIMIT ?
            """, [*params, limit])
    # Otherwise the top authors are found from their mentions alone, then only their
    # mentions are joined to the analysis for complaints and tone (joining all 10 M
    # mentions first took 1.4–2.2 s; this way 0.9 s, and a week's 0.13 s -> 0.03 s).
    source, where, params = _matching(store, flt, analysis=False)
    # A phrase is tested on each candidate's text, read from all over the file: its matches
    # are kept from the first pass rather than tested again for the tone (`"delayed
    # flight"` at 10 M mentions: 1.9 -> 0.65 s). Other filters are read again, for the top
    # authors alone: kept, a filter that matches all 10 M mentions would keep them all.
    kept = "MATERIALIZED" if flt.search.phrases or flt.search.excluded_phrases \
        else "NOT MATERIALIZED"
    return store.query_df(
        f"""
        WITH matched AS {kept} (
            SELECT m.seq, m.author, m.source, m.author_followers
            FROM {source} WHERE {where} AND m.author IS NOT NULL
        ), top AS MATERIALIZED (
            SELECT author, source, count(*) AS mentions, max(author_followers) AS followers
            FROM matched GROUP BY ALL ORDER BY {order}, author LIMIT ?
        ), tone AS (
            SELECT m.author, m.source, count(*) FILTER (WHERE x.complaint) AS complaints,
                   count(*) FILTER (WHERE x.sentiment_label = 'negative') AS negative
            -- (the IN reaches the scan of a `matched` read again; the join keeps the
            -- top's own pairs of author and source)
            FROM (FROM matched WHERE author IN (SELECT author FROM top)) m
            SEMI JOIN top t ON t.author = m.author AND t.source = m.source
            LEFT JOIN analysis x ON x.seq = m.seq
            GROUP BY ALL
        )
        SELECT t.author, t.source, t.mentions, t.followers,
               coalesce(n.complaints, 0) AS complaints, coalesce(n.negative, 0) AS negative
        FROM top t LEFT JOIN tone n ON n.author = t.author AND n.source = t.source
        ORDER BY {order}, t.author
        """, [*params, limit])


TOP_WORDS_SAMPLE = 5000  # the newest matching mentions top words are counted over


def watchlist_words(config) -> tokens.Runs:
    """The watchlist's names and the company's own handles as runs of the index's words
    (tokens.name_runs: "aerolume", "ایرولوم", "aerolumehelp", "nordhavn air", the Thai
    dictionary's pieces of "แอโรลูม"): one of them is in nearly every mention, so the top
    words leave them out where they stand whole (the watchlist terms view counts them),
    and count their words elsewhere ("air" of "fresh air")."""
    from clamor.pipeline import listening_terms

    return tokens.name_runs(spelling for term in listening_terms(config)
                            for spelling in term.spellings)


def top_words(store: Store, flt: Filter, limit: int = 20, hashtags: bool = False,
              leave_out: tokens.Runs | None = None) -> pd.DataFrame:
    """The most frequent words (or hashtags) in the newest TOP_WORDS_SAMPLE matching
    mentions, common function words, the searched words and the names of `leave_out`
    (watchlist_words) left out: columns word, mentions, share (of the mentions counted)."""
    sample = store.query_df("SELECT text FROM mentions WHERE seq IN (SELECT unnest(?))",
                            [newest(store, flt, limit=TOP_WORDS_SAMPLE)["seq"].tolist()])
    counts: Counter[str] = Counter()
    searched = set(flt.search.required)
    for text in sample["text"]:
        for word in tokens.words(text, without=leave_out):
            if hashtags != word.startswith("#") or word.startswith("@"):
                continue
            if word in searched or tokens.is_stop_word(word) or word.isdigit():
                continue
            counts[word] += 1
    frame = pd.DataFrame(counts.most_common(limit), columns=["word", "mentions"])
    frame["share"] = frame["mentions"] / len(sample) if len(sample) else 0.0
    return frame


# -- saved searches -------------------------------------------------------------------------

def save_search(store: Store, owner: str, name: str, flt: Filter) -> None:
    """Keep a filter under a name (replacing one of the same name)."""
    name = name.strip()
    if not name:
        raise ValueError("a saved search needs a name")
    with store.transaction() as con:
        auth.permit(con, owner, "save_search")
        con.execute("DELETE FROM saved_searches WHERE owner = ? AND name = ?",
                    [owner, name[:120]])
        con.execute("INSERT INTO saved_searches VALUES (?, ?, ?, ?)",
                    [owner, name[:120], flt.to_json(), utcnow()])


def saved_searches(store: Store, owner: str) -> dict[str, Filter]:
    rows = store.query_rows("SELECT name, filters FROM saved_searches WHERE owner = ? "
                            "ORDER BY lower(name)", [owner])
    return {name: Filter.from_json(filters) for name, filters in rows}


def delete_search(store: Store, owner: str, name: str) -> None:
    with store.transaction() as con:
        auth.permit(con, owner, "save_search")
        con.execute("DELETE FROM saved_searches WHERE owner = ? AND name = ?", [owner, name])


# -- export -------------------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "parquet")
EXPORT_CHUNK = 50_000
_LISTS = ("matched_terms", "matched_kinds", "complaint_cues")


def export(store: Store, flt: Filter, fmt: str, path: str | Path,
           progress: Callable[[int, int], None] | None = None) -> int:
    """Write the matching mentions, oldest first, to a CSV or Parquet file in chunks (so a
    million rows never sit in memory at once), calling progress(done, total) after each.
    Lists are JSON text in CSV. Returns how many were written."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    source, where, params = _matching(store, flt)
    total = count(store, flt)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = f"""{_COLUMNS}, m.collected_at, m.source_lang, m.in_reply_to,
                  m.conversation_id, a.sentiment_model, a.complaint_score"""
    if fmt == "csv":
        # anyone's words, in cells a spreadsheet might run as formulas (Parquet keeps them)
        for column in queries.OUTSIDE_TEXT:
            columns = columns.replace(
                f"m.{column},", f"{queries.spreadsheet_safe(f'm.{column}', column)},", 1)
        # a spreadsheet cell holds text: lists become JSON
        for column in _LISTS:
            prefix = "coalesce(a.complaint_cues, [])" if column == "complaint_cues" \
                else f"m.{column}"
            columns = columns.replace(f"{prefix} AS {column}", f"to_json({prefix}) AS {column}")
            columns = columns.replace(f"m.{column},", f"to_json(m.{column}) AS {column},")
    # One ordered query, read as DuckDB writes it (beyond its memory limit it sorts on
    # disk), and each chunk's case links and cases looked up by the chunk's numbers. Pages
    # found one after another (keyset) sorted the matches again for every page: 10 M
    # mentions, 30 days 24 -> 8 s, and the whole history ran out of the dashboard's memory
    # on the first page (now 81 s).
    sql = f"""SELECT m.seq AS _seq, {columns} FROM {source} WHERE {where}
              ORDER BY m.created_at, m.seq"""

    def with_cases(chunk: pa.Table) -> pa.Table:
        return store.query_arrow("""
            WITH f AS MATERIALIZED (
                SELECT seq, case_id FROM case_mentions WHERE seq IN (SELECT _seq FROM chunk))
            SELECT b.*, f.case_id, c.status AS case_status
            FROM chunk b LEFT JOIN f ON f.seq = b._seq
            LEFT JOIN (SELECT id, status FROM cases WHERE id IN (SELECT case_id FROM f)) c
                ON c.id = f.case_id
            ORDER BY b.created_at, b._seq
            """, chunk=chunk).drop_columns(["_seq"])

    written = 0
    writer = None
    try:
        with store.stream(sql, params, EXPORT_CHUNK) as chunks:
            for batch in chunks:
                chunk = with_cases(pa.Table.from_batches([batch]))
                if writer is None:
                    writer = _export_writer(fmt, path, chunk.schema)
                writer.write_table(chunk)
                written += chunk.num_rows
                if progress:
                    progress(written, total)
            if writer is None:  # nothing matched: the columns alone
                chunk = with_cases(chunks.schema.empty_table())
                writer = _export_writer(fmt, path, chunk.schema)
                writer.write_table(chunk)
    finally:
        if writer is not None:
            writer.close()
    return written


def _export_writer(fmt: str, path: Path, schema: pa.Schema):
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    return pa_csv.CSVWriter(path, schema) if fmt == "csv" else pq.ParquetWriter(path, schema)


def behind(flt: Filter, *, grain: str | None = None, bucket: dt.datetime | None = None,
           sentiment: str | None = None, lang: str | None = None, term: str | None = None,
           terms: tuple[str, ...] | None = None, author: str | None = None,
           source: str | None = None, word: str | None = None,
           complaint: bool | None = None, tz: str = UTC) -> Filter:
    """The filter for the mentions behind one mark of a chart: the analyst's filter
    narrowed to the mark's time bucket (of zone `tz`), sentiment, language, term, any of
    `terms` (a company's names, within the filter's own terms if it has any), author or
    word."""
    changes: dict = {}
    if bucket is not None and grain:
        since, until = flt.period()
        start, end = bucket, bucket_end(bucket, grain, tz)
        changes.update(days=None, since=max(start, since) if since else start,
                       until=min(end, until) if until else end)
    if sentiment:
        changes["sentiments"] = (sentiment,)
    if lang:
        changes["languages"] = (lang,)
    if term:
        changes["terms"] = (term,)
    if terms:
        # (a company the chart shows has a term within the filter's, if it has terms)
        changes["terms"] = tuple(t for t in terms if t in flt.terms) or tuple(terms) \
            if flt.terms else tuple(terms)
    if author:
        changes["author"] = author
    if source:
        changes["sources"] = (source,)
    if word:
        changes["text"] = f"{flt.text} {word}".strip()
    if complaint is not None:
        changes["complaint"] = complaint
    return dataclasses.replace(flt, **changes)


def last_days(days: int, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The period [since, until) of the last `days` whole days up to the next hour (so the
    hourly counts answer for it)."""
    now = now or utcnow()
    until = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    return until - dt.timedelta(days=days), until
