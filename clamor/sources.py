"""Which sources run in this process, and for each one, in plain words, why or why not.

A source runs when it is enabled in the config and has what it needs; credentials come only
from environment variables, which are named here so the Sources page, `clamor status` and
`clamor doctor` can tell the user exactly what to set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

from clamor.config import Config
from collectors.base import ArchiveReader, Collector, Mention, Poster


@dataclass(frozen=True)
class SourceKind:
    name: str
    label: str
    credentials: tuple[str, ...]  # environment variables it cannot run without
    build: Callable[[Config], Collector]
    posting_credentials: tuple[str, ...] = ()  # and those it needs to post replies


def _demo(config: Config) -> Collector:
    from collectors.replay import ReplayCollector

    return ReplayCollector(config.sources.demo.stream)


def _x(config: Config) -> Collector:
    from collectors.x import XCollector

    return XCollector(config)


def _reddit(config: Config) -> Collector:
    from collectors.reddit import RedditCollector

    return RedditCollector(config)


def _feeds(config: Config) -> Collector:
    from collectors.feeds import FeedsCollector

    return FeedsCollector(config)


def _mastodon(config: Config) -> Collector:
    from collectors.mastodon import MastodonCollector

    return MastodonCollector(config)


def _bluesky(config: Config) -> Collector:
    from collectors.bluesky import BlueskyCollector

    return BlueskyCollector(config)


KINDS = {
    kind.name: kind for kind in (
        SourceKind("demo", "Demo stream", (), _demo),
        SourceKind("x", "X (Twitter)", ("X_BEARER_TOKEN",), _x,
                   ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")),
        SourceKind("reddit", "Reddit",
                   ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT"), _reddit,
                   ("REDDIT_USERNAME", "REDDIT_PASSWORD")),
        SourceKind("feeds", "Web & news feeds", (), _feeds),
        # Mastodon's token variables depend on the instances listed (see _credentials).
        SourceKind("mastodon", "Mastodon", ("MASTODON_ACCESS_TOKEN",), _mastodon),
        SourceKind("bluesky", "Bluesky", ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"), _bluesky),
    )
}
# What a source cannot see, said on the Sources page next to its state.
LIMITS = {
    "mastodon": ("Mastodon: mentions of the company's accounts, their own posts and hashtag "
                 "timelines, as each listed instance knows them (there is no global view). "
                 "Full-text search, where the instance has it at all, finds only posts whose "
                 "authors opted in to search and the account's own posts, favourites and "
                 "mentions."),
    "bluesky": ("Bluesky: search of all public posts for the watchlist terms (one search per "
                "spelling) and the account's mentions, replies and quotes. Search reaches "
                "what Bluesky's index holds; posts of accounts that hide from logged-out "
                "viewers still appear, as they do in the app."),
}
LABELS = {name: kind.label for name, kind in KINDS.items()}


@dataclass(frozen=True)
class SourceStatus:
    name: str
    label: str
    state: str  # running | off | not configured
    reason: str
    poll_minutes: float
    monthly_budget: int | None = None
    posting: str | None = None  # how agents' replies reach the platform, when posting is on
    limits: str | None = None  # what the source cannot see


def _credentials(kind: SourceKind, config: Config) -> tuple[str, ...]:
    if kind.name == "mastodon":
        return tuple(config.sources.mastodon.token_variables().values()) or kind.credentials
    return kind.credentials


def _interval(minutes: float) -> str:
    """A polling interval as people say it: "15 s", "5 min", "1 h 30 min"."""
    if minutes < 1:
        return f"{minutes * 60:g} s"
    if minutes < 60:
        return f"{minutes:g} min"
    hours, rest = divmod(round(minutes), 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def statuses(config: Config, *, demo: bool) -> list[SourceStatus]:
    out = []
    for name, kind in KINDS.items():
        settings = getattr(config.sources, name)
        missing = [v for v in _credentials(kind, config) if not os.environ.get(v)]
        if name == "demo" and not demo:
            state, reason = "off", "runs only with `clamor run --demo` (make demo)"
        elif not settings.enabled:
            state, reason = "off", f"switched off in the config: [sources.{name}] enabled = false"
        elif missing:
            state = "not configured"
            reason = (f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
                      f"the {kind.label} collector is off. Set "
                      f"{'it' if len(missing) == 1 else 'them'} in the environment (or .env) "
                      "and restart Clamor.")
        elif name == "feeds" and not config.sources.feeds.urls:
            state, reason = "not configured", "no feed URLs: list them in [sources.feeds] urls"
        elif name == "mastodon" and not config.sources.mastodon.instances:
            state, reason = "not configured", ("no instance: list the address of the "
                                               "company's Mastodon instance in "
                                               "[sources.mastodon] instances")
        else:
            state, reason = "running", f"every {_interval(settings.poll_minutes)}"
            if name == "reddit" and settings.inbox_mentions and not (
                    os.environ.get("REDDIT_USERNAME") and os.environ.get("REDDIT_PASSWORD")):
                reason += ("; inbox mentions are skipped until REDDIT_USERNAME and "
                           "REDDIT_PASSWORD are set")
        out.append(SourceStatus(name, kind.label, state, reason, settings.poll_minutes,
                                settings.monthly_budget, _posting(kind, settings),
                                LIMITS.get(name)))
    return out


def _posting(kind: SourceKind, settings) -> str | None:
    if not settings.reply_posting:
        return None
    missing = [v for v in kind.posting_credentials if not os.environ.get(v)]
    if missing:
        return (f"Reply posting is on, but {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set: agents can only dry-run "
                "and copy replies until they are.")
    return "Reply posting is on: agents post replies from the inbox (every post is audited)."


def collectors(config: Config, *, demo: bool) -> list[Collector]:
    """The collectors to schedule: the sources whose state is `running`."""
    return [KINDS[s.name].build(config) for s in statuses(config, demo=demo)
            if s.state == "running"]


def archive_format(name: str) -> tuple[ArchiveReader, Callable[[dict[str, Any]], Mention], str]:
    """How `clamor import --source NAME` reads a file: (reader, map_item, version)."""
    if name == "jsonl":
        from collectors import jsonl

        return jsonl.read_archive, jsonl.map_item, jsonl.VERSION
    if name == "x":
        from collectors import x

        return x.read_archive, x.XCollector.map_item, x.VERSION
    if name == "reddit":
        from collectors import reddit

        return reddit.read_archive, reddit.RedditCollector.map_item, reddit.VERSION
    if name == "mastodon":
        from collectors import mastodon

        return mastodon.read_archive, mastodon.MastodonCollector.map_item, mastodon.VERSION
    if name == "bluesky":
        from collectors import bluesky

        return bluesky.read_archive, bluesky.BlueskyCollector.map_item, bluesky.VERSION
    raise ValueError(f"unknown archive format {name!r}")


ARCHIVE_FORMATS = ("jsonl", "x", "reddit", "mastodon", "bluesky")


def reply_poster(config: Config, source: str) -> Poster | None:
    """What posts agents' replies on the mention's platform, when that source has
    `reply_posting = true`; None means agents copy the reply and paste it themselves."""
    settings = getattr(config.sources, source, None)
    if settings is None or not settings.reply_posting:
        return None
    if source == "x":
        from collectors import x

        return x.reply_poster()
    if source == "reddit":
        from collectors import reddit

        return reddit.reply_poster()
    if source == "mastodon":
        from collectors import mastodon

        return mastodon.reply_poster(config)
    if source == "bluesky":
        from collectors import bluesky

        return bluesky.reply_poster(config)
    return None
