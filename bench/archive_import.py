"""Benchmark: importing an X archive as `clamor import --source x` does it (read the file, map
each post, match the watchlist, store, analyse on every core, file into cases), against a
baseline measured in the same run: DuckDB alone reading the same file into a table (its
pages' posts unnested), the least any import of the file costs.

Usage: python bench/archive_import.py [N] [--into STORE]
  N        posts in the archive (default 100,000): the bench stream's X posts, in the five
           languages, with replies and threads, as twarc2 writes a v2 search (one page of 100
           posts and its users a line)
  --into   import into a copy of this store (one `clamor bench --keep DIR` built): how an
           import fares beside millions of stored mentions; default a fresh store

Prints each phase and the ratio; writes bench/results/archive_import.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path

import duckdb

from clamor import benchmark, cases, pipeline, sources
from clamor.config import DEMO_CONFIG, load_config
from clamor.store import Store

PAGE = 100  # posts a v2 search page holds
FIRST_ID = 10**17  # X ids are numbers


def _x_id(ref: str) -> str:
    """The bench stream's "x:b123" as an X post id."""
    return str(FIRST_ID + int(ref.removeprefix("x:b")))


def write_archive(path: Path, n: int) -> int:
    """An archive of (about) n X posts from the bench stream; returns how many posts."""
    end = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    pool = benchmark.phrase_pool(load_config(DEMO_CONFIG))
    # The stream's mentions are 40 % X posts: draw enough of them (numbered as in a store
    # this size, so replies point at posts of the archive).
    rows = benchmark.make_rows(0, int(n / 0.4) + PAGE, int(n / 0.4) + PAGE,
                               int(end.timestamp() * 1_000_000), pool)
    posts = [i for i, source in enumerate(rows["source"]) if source == "x"][:n]
    with path.open("w", encoding="utf-8") as f:
        for start in range(0, len(posts), PAGE):
            data, users = [], {}
            for i in posts[start:start + PAGE]:
                post_id = _x_id(rows["id"][i])
                username = rows["author"][i].lstrip("@")
                user_id = str(zlib.crc32(username.encode()))
                users[user_id] = {"id": user_id, "username": username, "name": username,
                                  "public_metrics": {
                                      "followers_count": rows["author_followers"][i]}}
                created = dt.datetime.fromtimestamp(rows["created_at"][i] / 1e6,
                                                    dt.timezone.utc)
                post = {"id": post_id, "text": rows["text"][i], "author_id": user_id,
                        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                        "conversation_id": post_id, "lang": rows["source_lang"][i] or "und",
                        "edit_history_tweet_ids": [post_id]}
                parent = rows["in_reply_to"][i]
                if parent and parent.startswith("x:"):
                    post["conversation_id"] = _x_id(parent)
                    post["referenced_tweets"] = [{"type": "replied_to", "id": _x_id(parent)}]
                data.append(post)
            f.write(json.dumps({"data": data, "includes": {"users": list(users.values())},
                                "meta": {"result_count": len(data)}}) + "\n")
    return len(posts)


def bare_load(path: Path) -> float:
    """Seconds DuckDB alone takes to read the archive's posts into a table."""
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute("CREATE TABLE posts AS SELECT unnest(data, recursive := true) "
                "FROM read_json(?, format = 'newline_delimited')", [str(path)])
    took = time.perf_counter() - start
    con.close()
    return took


def import_archive(path: Path, db: Path) -> dict:
    """The import, phase by phase, as `clamor import` runs it (the workers' start apart)."""
    config = load_config(DEMO_CONFIG)
    reader, map_item, version = sources.archive_format("x")
    workers = os.cpu_count() or 1
    store = Store(db)
    (before,) = store.query_rows("SELECT count(*) FROM mentions")[0]
    pool = pipeline._pool(workers)
    try:
        list(pool.map(benchmark._warm_worker, [config.watchlist.languages] * workers))
        start = time.perf_counter()
        report = pipeline.import_archive(store, str(path), config, source="x",
                                         reader=reader, map_item=map_item, version=version)
        read = time.perf_counter()
        analysed = pipeline.analyse_pending(store, config, workers=workers, pool=pool,
                                            file=False)
        done = time.perf_counter()
        cases.file_new(store, config)
        filed = time.perf_counter()
    finally:
        pool.shutdown()
        store.close()
    return {"stored_before": before, "inserted": report.inserted, "analysed": analysed,
            "read_match_store_s": read - start, "analyse_s": done - read,
            "file_s": filed - done, "import_s": filed - start}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--into", type=Path, help="a store to import into a copy of")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clamor-import-") as tmp:
        archive = Path(tmp) / "archive.jsonl"
        posts = write_archive(archive, args.n)
        db = Path(tmp) / "store.duckdb"
        if args.into:
            shutil.copyfile(args.into, db)
        size = archive.stat().st_size
        bare = bare_load(archive)
        result = import_archive(archive, db)
    result.update({
        "posts": posts, "archive_mb": round(size / 1e6, 1),
        "into": str(args.into) if args.into else None,
        "bare_load_s": bare, "bare_load_per_s": posts / bare,
        "import_per_s": posts / result["import_s"],
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": benchmark._commit()})
    result["import_ratio_vs_bare_load"] = result["import_per_s"] / result["bare_load_per_s"]
    return result


if __name__ == "__main__":
    out = main(sys.argv[1:])
    print(f"{out['posts']:,} X posts into a store of {out['stored_before']:,}: "
          f"import {out['import_s']:.1f} s ({out['import_per_s']:,.0f} posts/s: read, map and "
          f"match, store {out['read_match_store_s']:.1f} s; analyse {out['analyse_s']:.1f} s; "
          f"file {out['file_s']:.1f} s); DuckDB alone reads the file in "
          f"{out['bare_load_s']:.1f} s ({out['bare_load_per_s']:,.0f}/s): "
          f"{out['import_ratio_vs_bare_load']:.3f}x")
    path = Path(__file__).parent / "results" / "archive_import.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
