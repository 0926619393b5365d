"""Reading an archive of JSON lines (one API response per line), line by line, for the
Mastodon and Bluesky importers: a line that cannot be read is reported with its number and
kept as text; it never stops the lines after it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Iterator


@dataclass(frozen=True)
class JsonLine:
    number: int
    value: Any = None
    problem: str | None = None  # why the line could not be read, when it could not
    text: str = ""


def json_lines(path: str | os.PathLike) -> Iterator[JsonLine]:
    with open(path, "rb") as handle:
        # Split on b"\n" only: a post may hold U+2028 and kin, which are no line ends.
        for number, line in enumerate(handle, start=1):
            raw = line.rstrip(b"\r\n")
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield JsonLine(number, problem=f"line {number}: not UTF-8 text",
                               text=raw.decode("utf-8", "backslashreplace"))
                continue
            try:
                value = json.loads(text)
            except (ValueError, RecursionError):  # (RecursionError: nested too deeply)
                yield JsonLine(number, problem=f"line {number}: not JSON", text=text)
                continue
            yield JsonLine(number, value, text=text)
