"""Canonical mention JSONL: Clamor's own exchange format, one JSON object per line.

Each line holds `id, source, native_id, url, author, author_followers, text, created_at`
(ISO 8601 with a zone) and optionally `lang, in_reply_to, conversation_id, matched_terms`.
`clamor export --format jsonl` writes it and `clamor import FILE --source jsonl` reads it back
with the text unchanged to the byte. No credentials, no limits: it reads a local file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from collectors.base import ArchiveLine, Mention, UnreadableItem, parse_time

NAME = "jsonl"
VERSION = "1"
REQUIRED = ("source", "native_id", "text", "created_at")
# A source is a short name (x, reddit, web, mastodon): it becomes part of ids and labels.
SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")


def read_lines(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line number, parsed object or None when the line is not a JSON object, raw line)."""
    # Lines end at \n only: a lone \r inside a post's text is the post's, not a line break.
    with open(path, encoding="utf-8", newline="\n") as handle:
        for number, line in enumerate(handle, start=1):
            raw = line.rstrip("\r\n")
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, RecursionError):  # (nested too deeply to read)
                yield number, None, raw
                continue
            yield number, obj if isinstance(obj, dict) else None, raw


def read_archive(path: str | Path) -> Iterator[ArchiveLine]:
    """Each line as one raw item, or the reason it is not one."""
    for number, obj, raw in read_lines(path):
        if obj is None:
            yield ArchiveLine(number, [], f"line {number}: not a JSON object", raw)
        else:
            yield ArchiveLine(number, [obj], None, raw)


def _native(value: Any, source: str) -> str | None:
    """A parent/thread reference as a native id: exports write full ids ("x:123")."""
    if value in (None, ""):
        return None
    value = str(value)
    return value.removeprefix(f"{source}:")


def map_item(raw: dict[str, Any]) -> Mention:
    """One canonical line to a Mention; a line missing what a mention needs is refused."""
    def absent(key: str) -> bool:
        # An empty text is a text (a post can be just an image); other fields need a value.
        return raw.get(key) is None or (key != "text" and raw.get(key) == "")

    missing = [key for key in REQUIRED if absent(key)]
    if missing and raw.get("id") and ":" in str(raw["id"]):
        # `id` alone is enough to know source and native id.
        source, native = str(raw["id"]).split(":", 1)
        raw = {**raw, "source": raw.get("source") or source,
               "native_id": raw.get("native_id") or native}
        missing = [key for key in REQUIRED if absent(key)]
    if missing:
        raise UnreadableItem(f"missing {', '.join(missing)}")
    if not isinstance(raw["text"], str):
        raise UnreadableItem("text is not a string")
    source = str(raw["source"])
    if not SOURCE_NAME.fullmatch(source):
        raise UnreadableItem(f"source {source[:40]!r} is not a short name like x or reddit")
    native_id = str(raw["native_id"])
    followers = raw.get("author_followers")
    try:
        followers = int(followers) if followers not in (None, "") else None
    except (TypeError, ValueError):
        raise UnreadableItem(f"author_followers {followers!r} is not a number") from None
    terms = raw.get("matched_terms") or ()
    if isinstance(terms, str):
        terms = (terms,)
    return Mention(
        source=source,
        native_id=native_id,
        text=raw["text"],
        created_at=parse_time(raw["created_at"], item_id=native_id),
        url=raw.get("url") or None,
        author=raw.get("author") or None,
        author_followers=followers,
        lang=raw.get("lang") or None,
        in_reply_to=_native(raw.get("in_reply_to"), source),
        conversation_id=_native(raw.get("conversation_id"), source),
        matched_terms=tuple(str(t) for t in terms),
        raw=raw,
    )
