"""Writing the mention history out: canonical JSONL (which `clamor import` reads back with the
text byte-exact), CSV for spreadsheets, Parquet for data tools."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd
import pyarrow as pa

from clamor import queries
from clamor.store import Store

FORMATS = ("jsonl", "csv", "parquet")
# Files the dashboard prepares for a download live in their own folder under the temp
# directory's PREPARED_DIR. An analyst who prepares a file and closes the tab never asks
# for it again, so each preparation first removes the folders older than PREPARED_KEEP_S
# seconds (an export of 10 M mentions is a gigabyte or more).
PREPARED_DIR = "clamor-exports"
PREPARED_KEEP_S = 6 * 3600


# Rows read and written at a time: a batch of 50,000 holds ~25 MB of text and its Python
# objects, where the whole history of a 10 M store held in one frame took more than 24 GB.
BATCH = 50_000


# One canonical JSONL line (without its newline) of a row whose time is already ISO 8601
# UTC text: the columns in order, text as written (not escaped to ASCII). One encoder for
# all rows (json.dumps with an option builds one a call).
_record = json.JSONEncoder(ensure_ascii=False).encode


def _csv_frame(batch: pa.RecordBatch) -> pd.DataFrame:
    """A batch as the CSV writes it: numbers and flags that may be missing stay whole
    ("842", not "842.0", in every batch whether or not it holds a missing one), times (ISO
    8601 text already) as they are, lists as JSON."""
    frame = batch.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype(),
                                          pa.int32(): pd.Int64Dtype(),
                                          pa.bool_(): pd.BooleanDtype()}.get)
    for column in ("matched_terms", "matched_kinds"):
        frame[column] = [json.dumps(None if v is None else list(v), ensure_ascii=False)
                         for v in frame[column]]
    return frame


def export(store: Store, fmt: str, path: str | Path,
           progress: Callable[[int, int], None] | None = None) -> int:
    """Write every mention to `path`, BATCH rows at a time, calling progress(done, total)
    after each; returns how many."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    (total,) = store.query_rows("SELECT count(*) FROM mentions")[0]
    written = 0
    batches = queries.export_batches(store, BATCH, iso_times=fmt != "parquet",
                                     spreadsheet=fmt == "csv")
    with _batch_writer(fmt, path, batches.schema) as write:
        for batch in batches:
            write(batch)
            written += batch.num_rows
            if progress:
                progress(written, total)
    return written


@contextlib.contextmanager
def _batch_writer(fmt: str, path: Path, schema: pa.Schema
                  ) -> Iterator[Callable[[pa.RecordBatch], None]]:
    """A function writing one batch after another to `path` in `fmt`; the file is complete
    when the block ends (a CSV of no mentions still has its header)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetWriter(path, schema) as out:
            yield out.write_batch
        return
    with open(path, "w", encoding="utf-8", newline="\n" if fmt == "jsonl" else "") as out:
        if fmt == "jsonl":
            yield lambda batch: out.writelines(_record(row) + "\n" for row in batch.to_pylist())
            return
        first = True

        def write_csv(batch: pa.RecordBatch) -> None:
            nonlocal first
            _csv_frame(batch).to_csv(out, index=False, header=first)
            first = False
        yield write_csv
        if first:  # no mentions yet: the header alone
            _csv_frame(pa.RecordBatch.from_pylist([], schema=schema)).to_csv(out, index=False)


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
