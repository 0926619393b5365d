"""Demo source: replays a recorded stream of mentions on a clock, no credentials needed.

The bundled stream (clamor/demo/stream_*.jsonl) holds several hundred hand-written mentions of
Aerolume, a fictional airline, in English, Persian, Arabic, Thai and Greek: complaints, praise,
questions, spam, staff-name mentions, threads and the brand's own replies. Each line carries
`offset_minutes` relative to the moment the demo first starts: the past ones arrive at once
(the last five days of history), the future ones arrive when their minute comes, and that live
hour repeats, with fresh ids, for as long as the demo runs.

The cursor records when the demo started and how far it has replayed, so a restart continues
where it left off and never stores a mention twice.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from collectors.base import (
    FetchResult,
    Mention,
    NotConfigured,
    UnreadableItem,
    parse_time,
)

NAME = "demo"
VERSION = "1"
LIVE_PERIOD_MINUTES = 60.0


def bundled_stream() -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    folder = resources.files("clamor.demo")
    for part in sorted(f for f in folder.iterdir() if f.name.endswith(".jsonl")):
        lines.extend(_parse(part.read_text(encoding="utf-8"), part.name))
    return lines


def _parse(text: str, name: str) -> list[dict[str, Any]]:
    out = []
    # split on "\n" only: str.splitlines would also break inside posts at U+2028 and kin.
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise NotConfigured(f"{name} line {number} is not JSON: {exc.msg}") from None
    return out


class ReplayCollector:
    name = NAME
    version = VERSION

    def __init__(
        self,
        stream: str | Path | None = None,
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
        live_period_minutes: float = LIVE_PERIOD_MINUTES,
    ):
        self.stream_path = Path(stream) if stream else None
        self.now = now
        self.period = live_period_minutes
        self._lines: list[dict[str, Any]] | None = None

    def check(self) -> None:
        self._stream()

    def _stream(self) -> list[dict[str, Any]]:
        if self._lines is None:
            if self.stream_path is None:
                self._lines = bundled_stream()
            else:
                try:
                    text = self.stream_path.read_text(encoding="utf-8")
                except OSError as exc:
                    raise NotConfigured(
                        f"the demo stream {self.stream_path} cannot be read ({exc.strerror})"
                    ) from None
                self._lines = _parse(text, self.stream_path.name)
            if not self._lines:
                raise NotConfigured("the demo stream is empty")
        return self._lines

    def fetch(self, cursor: str | None, limit: int | None = None) -> FetchResult:
        now = self.now()
        state = json.loads(cursor) if cursor else {"start": now.isoformat(), "upto": None}
        start = dt.datetime.fromisoformat(state["start"])
        elapsed = (now - start).total_seconds() / 60.0
        previous = state["upto"]
        if previous is not None:
            # After a long pause, replay at most one live period rather than a flood.
            previous = max(previous, elapsed - self.period)
        items = []
        lines = self._stream()
        live = [line for line in lines if line["offset_minutes"] > 0]
        if previous is None:
            items += [dict(line) for line in lines if line["offset_minutes"] <= elapsed]
        else:
            items += [dict(line) for line in live if previous < line["offset_minutes"] <= elapsed]
        live_ids = {line["native_id"] for line in live}
        for cycle in range(1, math.floor(elapsed / self.period) + 1):
            shift = cycle * self.period
            low = -math.inf if previous is None else previous
            for line in live:
                if low < line["offset_minutes"] + shift <= elapsed:
                    items.append(_repeat(line, cycle, live_ids))
        for item in items:
            offset = item["offset_minutes"] + item.get("cycle", 0) * self.period
            item["created_at"] = (start + dt.timedelta(minutes=offset)).isoformat()
        next_cursor = json.dumps({"start": state["start"], "upto": elapsed})
        return FetchResult(items, next_cursor, query="bundled demo stream"
                           if self.stream_path is None else str(self.stream_path))

    @staticmethod
    def map_item(raw: dict[str, Any]) -> Mention:
        try:
            native_id = str(raw["native_id"])
            text = raw["text"]
            source = raw["source"]
        except KeyError as exc:
            raise UnreadableItem(f"demo line lacks {exc.args[0]}") from None
        # The stream's `lang` is ground truth for evaluation: it stays in `raw`, and the
        # analysis pass detects the language itself, as it must for real sources.
        return Mention(
            source=source,
            native_id=native_id,
            text=text,
            created_at=parse_time(raw["created_at"], item_id=native_id),
            url=raw.get("url"),
            author=raw.get("author"),
            author_followers=raw.get("author_followers"),
            in_reply_to=raw.get("in_reply_to"),
            conversation_id=raw.get("conversation_id"),
            raw=raw,
        )


def _repeat(line: dict[str, Any], cycle: int, live_ids: set[str]) -> dict[str, Any]:
    """A live line replayed in a later hour: new ids, threads kept within the same hour."""

    def renamed(native: str | None) -> str | None:
        return f"{native}~{cycle}" if native in live_ids else native

    item = dict(line)
    item["native_id"] = renamed(line["native_id"])
    item["in_reply_to"] = renamed(line.get("in_reply_to"))
    item["conversation_id"] = renamed(line.get("conversation_id"))
    item["cycle"] = cycle
    return item
