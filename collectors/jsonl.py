"""Canonical mention JSONL: Clamor's own exchange format, one JSON object per line.

Each line holds `id, source, native_id, url, author, author_followers, text, created_at`
(ISO 8601 with a zone) and optionally `lang, in_reply_to, conversation_id, matched_terms`.
`clamor export --format jsonl` writes it and `clamor import FILE --source jsonl` reads it back
with the text unchanged to the byte. No credentials, no limits: it reads a local file.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from pathlib import Path
from typing import Any, Iterator

from collectors.base import (
    ArchiveLine,
    Mention,
    UnreadableItem,
    described,
    parse_time,
    shown,
)

NAME = "jsonl"
VERSION = "1"
REQUIRED = ("source", "native_id", "text", "created_at")
# A source is a short name (x, reddit, web, mastodon): it becomes part of ids and labels.
SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")


def read_lines(path: str | Path
               ) -> Iterator[tuple[int, dict[str, Any] | None, str, str | None]]:
    """(line number, parsed object or None, the line as text, why it is no object or None).

    Each line is decoded on its own, as the X and Reddit archive readers do: a line that is not
    UTF-8 is reported by its number (its bytes kept visible as \\xNN escapes) and the lines
    around it are still read."""
    with open(path, "rb") as handle:
        # Lines end at b"\n" only: a lone \r, U+2028 or U+0085 in a post's text is the
        # post's, not a line break.
        for number, line in enumerate(handle, start=1):
            raw = line.rstrip(b"\r\n")
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte order mark starts no post
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield (number, None, raw.decode("utf-8", "backslashreplace"),
                       f"not UTF-8 text (byte {exc.start + 1} is {raw[exc.start]:#04x})")
                continue
            try:
                obj = json.loads(text, parse_int=_whole_number)
            except _NumberTooLong as exc:
                yield number, None, text, str(exc)
                continue
            except (ValueError, RecursionError):  # (nested too deeply to read)
                obj = None
            if isinstance(obj, dict):
                yield number, obj, text, None
            else:
                yield number, None, text, "not a JSON object"


class _NumberTooLong(ValueError):
    pass


def _whole_number(digits: str) -> int:
    try:
        return int(digits)
    except ValueError:  # Python reads at most 4300 digits (sys.get_int_max_str_digits)
        raise _NumberTooLong(f"holds a number of {len(digits.lstrip('-')):,} digits, too "
                             "long to read") from None


def read_archive(path: str | Path) -> Iterator[ArchiveLine]:
    """Each line as one raw item, or the reason it is not one."""
    for number, obj, text, problem in read_lines(path):
        if obj is None:
            yield ArchiveLine(number, [], f"line {number}: {problem}", text)
        else:
            yield ArchiveLine(number, [obj], None, text)


def _native(raw: dict[str, Any], key: str, source: str) -> str | None:
    """A parent/thread reference as a native id: exports write full ids ("x:123")."""
    value = raw.get(key)
    if value in (None, ""):
        return None
    return _id_text(value, key).removeprefix(f"{source}:")


def _id_text(value: Any, key: str) -> str:
    """An id as text: ids are text, and a number is read as its digits."""
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    raise UnreadableItem(f"{key} is {described(value)}, not an id")


def _optional_text(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise UnreadableItem(f"{key} is {described(value)}, not text")
    return value


def _followers(value: Any) -> int | None:
    """A follower count: a whole number (42, 42.0 or "42"), or none."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    raise UnreadableItem(f"author_followers {shown(value)} is not a whole number")


def _terms(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise UnreadableItem(f"matched_terms is {described(value)}, not a list of terms")
    odd = [term for term in value if not isinstance(term, str)]
    if odd:
        raise UnreadableItem(f"matched_terms holds {described(odd[0])}, not only terms")
    return tuple(value)


def map_item(raw: dict[str, Any]) -> Mention:
    """One canonical line to a Mention; a line missing what a mention needs, or holding a value
    of the wrong kind, is refused with a sentence naming the field."""
    def absent(key: str) -> bool:
        # An empty text is a text (a post can be just an image); other fields need a value.
        return raw.get(key) is None or (key != "text" and raw.get(key) == "")

    missing = [key for key in REQUIRED if absent(key)]
    whole_id = raw.get("id")
    if missing and isinstance(whole_id, str) and ":" in whole_id:
        # `id` alone is enough to know source and native id.
        source, native = whole_id.split(":", 1)
        raw = {**raw, "source": raw.get("source") or source,
               "native_id": raw.get("native_id") or native}
        missing = [key for key in REQUIRED if absent(key)]
    if missing:
        raise UnreadableItem(f"missing {', '.join(missing)}")
    if not isinstance(raw["text"], str):
        raise UnreadableItem(f"text is {described(raw['text'])}, not text")
    source = raw["source"]
    if not isinstance(source, str) or not SOURCE_NAME.fullmatch(source):
        raise UnreadableItem(f"source {shown(source)} is not a short name like x or reddit")
    native_id = _id_text(raw["native_id"], "native_id")
    return Mention(
        source=source,
        native_id=native_id,
        text=raw["text"],
        created_at=parse_time(raw["created_at"], item_id=native_id),
        url=_optional_text(raw, "url"),
        author=_optional_text(raw, "author"),
        author_followers=_followers(raw.get("author_followers")),
        lang=_optional_text(raw, "lang"),
        in_reply_to=_native(raw, "in_reply_to", source),
        conversation_id=_native(raw, "conversation_id", source),
        matched_terms=_terms(raw.get("matched_terms")),
        raw=raw,
    )
