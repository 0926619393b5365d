"""Benchmark: the inbox of this checkout against the inbox of an earlier commit, drawn in
turn in one process on one store (`clamor bench --keep DIR` builds one), so the machine's
drift through the hour (2× has been seen) moves both alike. Prints each side's p50/p95 of
the same ten filtered views and the ratio new/old, whether the two drew the same rows, and
writes bench/results/inbox_ab.json.

The earlier commit's packages (clamor, analysis, collectors) are checked out with
`git worktree` and loaded under other names (clamor_then, …), their own imports pointed at
each other, so both versions run side by side against the one open store (DuckDB lets one
process hold a database file). Both use this checkout's Store (and what it remembers
between draws: `inbox_cuts`, `inbox_bounds`, shared by both sides where both use them), and
package data (`importlib.resources`) is read from this checkout: for the inbox's code, not
its schema.

Usage: python bench/inbox_ab.py STORE [--against COMMIT] [--rounds N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PACKAGES = ("clamor", "analysis", "collectors")
_IMPORT = re.compile(r"^(\s*)(from|import)\s+(" + "|".join(PACKAGES) + r")\b", re.MULTILINE)


def load_then(commit: str, into: Path):
    """The commit's clamor.queries, its packages renamed to <name>_then under `into`."""
    tree = into / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT,
                   check=True, capture_output=True)
    try:
        for name in PACKAGES:
            target = into / f"{name}_then"
            shutil.copytree(tree / name, target,
                            ignore=shutil.ignore_patterns("__pycache__", "tests"))
            for path in target.rglob("*.py"):
                text = path.read_text(encoding="utf-8")
                path.write_text(_IMPORT.sub(r"\1\2 \3_then", text), encoding="utf-8")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                       check=True, capture_output=True)
    sys.path.insert(0, str(into))
    return importlib.import_module("clamor_then.queries")


def views(queries) -> list:
    """The views `clamor bench` times (benchmark.INBOX_VIEWS), as `queries`' filters."""
    from clamor.benchmark import INBOX_VIEWS

    return [queries.InboxFilter(**view) for view in INBOX_VIEWS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--against", default="HEAD~1", help="the earlier commit (HEAD~1)")
    parser.add_argument("--rounds", type=int, default=6, help="draws of each view per side")
    args = parser.parse_args()

    from clamor import queries
    from clamor.config import DEMO_CONFIG, load_config
    from clamor.store import DASHBOARD_MEMORY_LIMIT, Store

    commit = subprocess.run(["git", "rev-parse", "--short", args.against], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        then = load_then(commit, Path(tmp))
        config = load_config(DEMO_CONFIG)
        store = Store(args.store, memory=DASHBOARD_MEMORY_LIMIT)
        now_views, then_views = views(queries), views(then)
        same = []
        at = dt.datetime.now(dt.timezone.utc)
        for new, old in zip(now_views, then_views, strict=True):
            drawn = queries.inbox(store, new, now=at, config=config)["case_id"].tolist()
            before = then.inbox(store, old, now=at, config=config)["case_id"].tolist()
            same.append(drawn == before)
        times: dict[str, list[float]] = {"then": [], "now": []}
        for r in range(args.rounds):
            for new, old in zip(now_views, then_views, strict=True):
                sides = [("now", queries, new), ("then", then, old)]
                for side, module, flt in sides if r % 2 == 0 else sides[::-1]:
                    start = time.perf_counter()
                    module.inbox(store, flt, config=config)
                    times[side].append(1000 * (time.perf_counter() - start))
        store.close()
    result = {"store": args.store, "against": commit, "rounds": args.rounds,
              "same_rows": same}
    for side, values in times.items():
        result[f"{side}_p50_ms"] = statistics.median(values)
        result[f"{side}_p95_ms"] = statistics.quantiles(values, n=20)[-1]
    for q in ("p50", "p95"):
        result[f"ratio_{q}"] = result[f"now_{q}_ms"] / result[f"then_{q}_ms"]
    print(f"{'':<8}{commit:>10}{'now':>10}{'ratio':>8}")
    for q in ("p50", "p95"):
        print(f"{q + ' ms':<8}{result[f'then_{q}_ms']:>10.1f}{result[f'now_{q}_ms']:>10.1f}"
              f"{result[f'ratio_{q}']:>8.2f}")
    print(f"the same rows in {sum(same)} of {len(same)} views")
    out = ROOT / "bench" / "results" / "inbox_ab.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
