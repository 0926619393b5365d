"""Writing the mention history out: canonical JSONL (which `clamor import` reads back with the
text byte-exact), CSV for spreadsheets, Parquet for data tools."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from clamor import queries
from clamor.store import Store

FORMATS = ("jsonl", "csv", "parquet")
# Files the dashboard prepares for a download live in their own folder under the temp
# directory's PREPARED_DIR. An analyst who prepares a file and closes the tab never asks
# for it again, so each preparation first removes the folders older than PREPARED_KEEP_S
# seconds (an export of 10 M mentions is a gigabyte or more).
PREPARED_DIR = "clamor-exports"
PREPARED_KEEP_S = 6 * 3600


def _plain(value):
    """A JSON-ready value: NaN/NA become null, numpy scalars and arrays plain Python."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return value


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["created_at"] = [t.isoformat() for t in frame["created_at"]]
    return frame


def export(store: Store, fmt: str, path: str | Path) -> int:
    """Write every mention to `path`; returns how many."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    frame = queries.export_rows(store)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        frame = _canonical(frame)
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            for record in frame.to_dict(orient="records"):
                record = {k: _plain(v) for k, v in record.items()}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        def as_json(column: str) -> list[str]:
            return [json.dumps(_plain(v), ensure_ascii=False) for v in frame[column]]

        frame = _canonical(frame).assign(matched_terms=as_json("matched_terms"),
                                         matched_kinds=as_json("matched_kinds"))
        frame.to_csv(path, index=False, encoding="utf-8")
    else:
        frame.to_parquet(path, index=False)
    return len(frame)


def prepared_path(fmt: str, *, root: Path | None = None, now: float | None = None) -> Path:
    """A new path for a file of `fmt` prepared for download (its folder made, the file not),
    after removing earlier preparations older than PREPARED_KEEP_S; `root` defaults to
    the temp directory's PREPARED_DIR."""
    root = Path(root) if root is not None else Path(tempfile.gettempdir()) / PREPARED_DIR
    root.mkdir(parents=True, exist_ok=True)
    now = time.time() if now is None else now
    for folder in root.iterdir():
        try:
            old = now - folder.stat().st_mtime > PREPARED_KEEP_S
        except FileNotFoundError:  # another session removed it just now
            continue
        if old:
            shutil.rmtree(folder, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix="export-", dir=root)) / f"mentions.{fmt}"
