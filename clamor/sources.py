"""Which sources run in this process, and for each one, in plain words, why or why not.

A source runs when it is enabled in the config and has what it needs; credentials come only
from environment variables, which are named here so the Sources page and the CLI can tell
the user exactly what to set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from clamor.config import Config
from collectors.base import Collector
from collectors.replay import ReplayCollector

LABELS = {"demo": "Demo stream", "x": "X (Twitter)", "reddit": "Reddit",
          "feeds": "Web & news feeds"}
CREDENTIALS = {
    "x": ("X_BEARER_TOKEN",),
    "reddit": ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT"),
}
# Sources whose collectors this version of Clamor ships.
AVAILABLE = {"demo"}


@dataclass(frozen=True)
class SourceStatus:
    name: str
    label: str
    state: str  # running | off | not configured | not available
    reason: str
    poll_minutes: float


def statuses(config: Config, *, demo: bool) -> list[SourceStatus]:
    out = []
    for name, label in LABELS.items():
        settings = getattr(config.sources, name)
        missing = [v for v in CREDENTIALS.get(name, ()) if not os.environ.get(v)]
        if name == "demo" and not demo:
            state, reason = "off", "runs only with `clamor run --demo` (make demo)"
        elif not settings.enabled:
            state, reason = "off", f"switched off in the config: [sources.{name}] enabled = false"
        elif missing:
            state = "not configured"
            reason = (f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
                      f"the {label} collector is off. Set {'it' if len(missing) == 1 else 'them'}"
                      " in the environment (or .env) and restart Clamor.")
        elif name == "feeds" and not config.sources.feeds.urls:
            state, reason = "not configured", "no feed URLs: list them in [sources.feeds] urls"
        elif name not in AVAILABLE:
            state = "not available"
            reason = f"configured, but this version of Clamor has no {label} collector yet"
        else:
            state, reason = "running", f"every {settings.poll_minutes:g} min"
        out.append(SourceStatus(name, label, state, reason, settings.poll_minutes))
    return out


def collectors(config: Config, *, demo: bool) -> list[Collector]:
    """The collectors to schedule: the sources whose state is `running`."""
    running = {s.name for s in statuses(config, demo=demo) if s.state == "running"}
    out: list[Collector] = []
    if "demo" in running:
        out.append(ReplayCollector(config.sources.demo.stream))
    return out
