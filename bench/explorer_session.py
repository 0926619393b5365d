"""Benchmark: an analyst's hour in the explorer (clamor.benchmark.analyst_session: 17
filters through the nine views, each timed once) against a store `clamor bench --keep DIR`
built, each run in a fresh process: with DuckDB's memory limit as the dashboard sets it (or
as given), and with DuckDB's own default (80 % of the machine's memory) as the baseline, in
the same run. Prints both, their ratios, and each process's peak RSS; writes
bench/results/explorer_session.json.

Usage: python bench/explorer_session.py STORE [--memory-limit SIZE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from clamor.store import DASHBOARD_MEMORY_LIMIT

ROOT = Path(__file__).resolve().parent.parent


def child(store: str, memory: str | None) -> None:
    from clamor import benchmark
    from clamor.config import DEMO_CONFIG, load_config
    from clamor.store import Store

    report = benchmark.analyst_session(Store(store, memory=memory), load_config(DEMO_CONFIG))
    report["peak_rss_mb"] = benchmark._vm_hwm_mb()
    print(json.dumps(report, ensure_ascii=False))


def run(store: str, memory: str | None) -> dict:
    done = subprocess.run([sys.executable, __file__, store, "--child",
                           "--memory-limit", memory or "default"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--memory-limit", default=DASHBOARD_MEMORY_LIMIT)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.store, None if args.memory_limit == "default" else args.memory_limit)
        return
    limited, default = run(args.store, args.memory_limit), run(args.store, None)
    keys = ("explorer_session_p50_ms", "explorer_session_p95_ms", "explorer_session_max_ms",
            "peak_rss_mb")
    result = {"store": args.store, "memory_limit": args.memory_limit, "limited": limited,
              "duckdb_default": default,
              "ratios": {k: limited[k] / default[k] for k in keys if default[k]}}
    print(f"{'':<26}{args.memory_limit:>12}{'default':>12}{'ratio':>8}")
    for key in keys:
        print(f"{key:<26}{limited[key]:>12,.0f}{default[key]:>12,.0f}"
              f"{result['ratios'].get(key, float('nan')):>8.2f}")
    print("slowest:", "; ".join(f"{k} {v:,} ms" for k, v in
                                limited["explorer_session_slowest"].items()))
    out = ROOT / "bench" / "results" / "explorer_session.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
