"""Clamor's configuration: the watchlist, the company's own accounts and the sources, read
from a TOML file (`clamor.toml`, or the path given by `--config` / `CLAMOR_CONFIG`).

A broken file never produces a traceback: `load_config` raises `ConfigError` whose message
names the file, the key and the problem, ready to show to the user as it is.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEMO_CONFIG = Path(__file__).parent / "demo" / "clamor.toml"
DEFAULT_CONFIG = Path("clamor.toml")

TermKind = Literal["brand", "product", "staff", "company"]
TERM_KINDS: tuple[str, ...] = ("brand", "product", "staff", "company")

# Languages the analysis pass knows how to detect (ISO 639-1); lingua supports many more,
# add a code here and to analysis.language when a customer needs it.
KNOWN_LANGUAGES = ("en", "fa", "ar", "th", "el", "de", "fr", "es", "it", "tr", "ru", "pt", "nl")


class ConfigError(Exception):
    """The configuration file cannot be used; the message says where and why."""


class _Strict(BaseModel):
    # A misspelt key is a mistake we want to point at, not silently ignore.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Term(_Strict):
    term: str = Field(min_length=1)
    kind: TermKind
    aliases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


class Watchlist(_Strict):
    languages: tuple[str, ...] = ("en",)
    terms: tuple[Term, ...] = Field(min_length=1)
    exclusions: tuple[str, ...] = ()

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in value if code not in KNOWN_LANGUAGES]
        if unknown:
            raise ValueError(
                f"unknown language code(s) {', '.join(unknown)}; "
                f"use ISO 639-1 codes among {', '.join(KNOWN_LANGUAGES)}"
            )
        if not value:
            raise ValueError("list at least one language")
        return value


class Accounts(_Strict):
    """The company's own accounts: their posts are responses, not mentions to triage."""

    x: tuple[str, ...] = ()
    reddit: tuple[str, ...] = ()

    def is_own(self, source: str, author: str | None) -> bool:
        if not author:
            return False
        handle = author.strip().lstrip("@").removeprefix("u/").casefold()
        own = {"x": self.x, "reddit": self.reddit}.get(source, ())
        return handle in {a.lstrip("@").removeprefix("u/").casefold() for a in own}


class Source(_Strict):
    enabled: bool = True
    poll_minutes: float = Field(default=5.0, gt=0)
    # Posts this source may read per calendar month (X sells reads by the month); collection
    # stops before it is spent. None: no budget.
    monthly_budget: int | None = Field(default=None, gt=0)
    # Post agents' replies to the platform from Clamor (audited). Off: agents copy and paste.
    reply_posting: bool = False


class DemoSource(Source):
    poll_minutes: float = Field(default=0.25, gt=0)
    stream: str | None = None  # a JSONL file; default: the bundled multilingual stream


class XSource(Source):
    queries: tuple[str, ...] = ()          # extra X search queries, in X's own syntax
    languages: tuple[str, ...] = ()        # restrict watchlist searches to these (lang:xx)
    include_retweets: bool = False
    max_pages: int = Field(default=5, gt=0)  # per query per run: 100 posts a page


class RedditSource(Source):
    subreddits: tuple[str, ...] = ()       # new submissions and comments of these, all kept
    search: bool = True                    # search all of Reddit for the watchlist terms
    inbox_mentions: bool = True            # u/ mentions of the company's accounts (needs login)
    requests_per_minute: int = Field(default=60, gt=0)


class FeedsSource(Source):
    poll_minutes: float = Field(default=30.0, gt=0)
    urls: tuple[str, ...] = ()


class Sources(_Strict):
    demo: DemoSource = DemoSource()
    x: XSource = XSource(enabled=False)
    reddit: RedditSource = RedditSource(enabled=False)
    feeds: FeedsSource = FeedsSource(enabled=False)


class Analysis(_Strict):
    every_seconds: float = Field(default=15.0, gt=0)
    batch_size: int = Field(default=2000, gt=0)


class Brand(_Strict):
    name: str = Field(min_length=1)


class Config(_Strict):
    brand: Brand
    watchlist: Watchlist
    accounts: Accounts = Accounts()
    sources: Sources = Sources()
    analysis: Analysis = Analysis()
    path: str | None = None


def config_path(explicit: str | os.PathLike | None = None, *, demo: bool = False) -> Path:
    """Which file to read: `--config`, then `CLAMOR_CONFIG`, then the demo's or ./clamor.toml."""
    if explicit:
        return Path(explicit)
    if os.environ.get("CLAMOR_CONFIG"):
        return Path(os.environ["CLAMOR_CONFIG"])
    return DEMO_CONFIG if demo else DEFAULT_CONFIG


def load_config(path: str | os.PathLike) -> Config:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file. Copy {DEMO_CONFIG} as a starting point, "
            "or pass --config / set CLAMOR_CONFIG."
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text; save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML: {exc}.") from None
    return parse_config(data, source=str(path))


def parse_config(data: dict, *, source: str = "config") -> Config:
    try:
        return Config.model_validate({**data, "path": source})
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise ConfigError(f"{source}: {problems}") from None


def _describe(err: dict) -> str:
    key = ""
    for part in err["loc"]:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    message = {
        "extra_forbidden": "is not a known key (misspelt?)",
        "missing": "is required",
    }.get(err["type"], err["msg"].removeprefix("Value error, "))
    return f"{key or 'the file'} {message}" if err["type"] in ("extra_forbidden", "missing") \
        else f"{key or 'the file'}: {message}"
