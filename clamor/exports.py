"""Writing the mention history out: canonical JSONL (which `clamor import` reads back with the
text byte-exact), CSV for spreadsheets, Parquet for data tools."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from clamor import queries
from clamor.store import Store

FORMATS = ("jsonl", "csv", "parquet")


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
