"""`clamor doctor`: for each source, is it set up, and does it answer?

Configuration is checked offline (switched on, credentials present, URLs listed). Then each
source that is ready is asked for one small page, where the network allows, so a wrong token
or a mistyped feed address is found before the dashboard is left running overnight.
"""

from __future__ import annotations

from dataclasses import dataclass

from clamor import sources
from clamor.config import Config
from collectors.base import NotConfigured, RateLimited, SourceError


@dataclass(frozen=True)
class Finding:
    source: str
    label: str
    verdict: str  # ok | off | problem
    message: str


def check_sources(config: Config, *, demo: bool) -> list[Finding]:
    findings = []
    for status in sources.statuses(config, demo=demo):
        if status.state == "off":
            findings.append(Finding(status.name, status.label, "off", status.reason))
            continue
        if status.state != "running":
            findings.append(Finding(status.name, status.label, "problem", status.reason))
            continue
        findings.append(probe(status, sources.KINDS[status.name].build(config)))
    return findings


def probe(status: sources.SourceStatus, collector) -> Finding:
    """Ask the source for one small page; what it answers decides the verdict."""
    try:
        collector.check()
        result = collector.fetch(None, 1)
    except NotConfigured as exc:
        return Finding(status.name, status.label, "problem", str(exc))
    except RateLimited as exc:
        return Finding(status.name, status.label, "ok",
                       f"credentials accepted, but rate limited right now: {exc}")
    except SourceError as exc:
        return Finding(status.name, status.label, "problem", str(exc))
    except Exception as exc:  # the network itself: say what happened, not a traceback
        return Finding(status.name, status.label, "problem",
                       f"could not be reached ({type(exc).__name__}: {exc})")
    return Finding(status.name, status.label, "ok",
                   f"answered: {len(result.raw_items)} item(s) on a first page; "
                   f"polled {status.reason}")
