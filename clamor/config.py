"""Clamor's configuration: the watchlist, the company's own accounts and the sources, read
from a TOML file (`clamor.toml`, or the path given by `--config` / `CLAMOR_CONFIG`).

A broken file never produces a traceback: `load_config` raises `ConfigError` whose message
names the file, the key and the problem, ready to show to the user as it is.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError,
                      field_validator, model_validator)

DEMO_CONFIG = Path(__file__).parent / "demo" / "clamor.toml"
DEFAULT_CONFIG = Path("clamor.toml")

TermKind = Literal["brand", "product", "staff", "company", "competitor"]
TERM_KINDS: tuple[str, ...] = ("brand", "product", "staff", "company", "competitor")
# A competitor is listened for (share of voice) but is not us: a post naming only competitors
# is not a customer talking to the company, so it never becomes a case (clamor.cases).
COMPETITOR = "competitor"
OWN_KINDS: tuple[str, ...] = tuple(k for k in TERM_KINDS if k != COMPETITOR)

# Languages the analysis pass knows how to detect (ISO 639-1); lingua supports many more,
# add a code here and to analysis.language when a customer needs it.
KNOWN_LANGUAGES = ("en", "fa", "ar", "th", "el", "de", "fr", "es", "it", "tr", "ru", "pt", "nl")
LANGUAGE_NAMES = {"en": "English", "fa": "Persian", "ar": "Arabic", "th": "Thai", "el": "Greek",
                  "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "tr": "Turkish", "ru": "Russian", "pt": "Portuguese", "nl": "Dutch"}


class ConfigError(Exception):
    """The configuration file cannot be used; the message says where and why."""


class _Strict(BaseModel):
    # A misspelt key is a mistake we want to point at, not silently ignore.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Term(_Strict):
    term: str = Field(min_length=1)
    kind: TermKind                         # brand | product | staff | company | competitor
    aliases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # The company this name stands for in share of voice, when terms are counted per company:
    # by default a competitor is its own company and every other term is ours (the brand's).
    company: str | None = None

    @field_validator("company")
    @classmethod
    def _named_company(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is empty: write the company's name, or leave the key out")
        return value.strip() if value else value

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)

    def company_name(self, brand: str) -> str:
        """The company this term names: `company` if set, else the term itself for a
        competitor and the brand's name (ours) for any other kind."""
        if self.company:
            return self.company
        return self.term if self.kind == COMPETITOR else brand


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
    mastodon: tuple[str, ...] = ()         # full addresses: "AerolumeHelp@mastodon.social"
    bluesky: tuple[str, ...] = ()          # handles: "aerolume.bsky.social"

    def is_own(self, source: str, author: str | None) -> bool:
        if not author:
            return False
        handle = author.strip().lstrip("@").removeprefix("u/").casefold()
        own = {"x": self.x, "reddit": self.reddit, "mastodon": self.mastodon,
               "bluesky": self.bluesky}.get(source, ())
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


MASTODON_TOKEN = "MASTODON_ACCESS_TOKEN"


class MastodonSource(Source):
    # The instances the company's accounts are on (API base URLs); one access token each.
    instances: tuple[str, ...] = ()
    mentions: bool = True                  # notifications of type mention of those accounts
    hashtags: tuple[str, ...] = ()         # more hashtag timelines to read (without #)
    watchlist_hashtags: bool = True        # one-word watchlist spellings read as hashtags
    search: bool = False                   # full-text search: often only the account's posts
    max_pages: int = Field(default=5, gt=0)  # per timeline per run: 40 posts a page
    # A run stops once fewer requests than this are left in the instance's 5-minute window.
    rate_reserve: int = Field(default=20, ge=0)

    @field_validator("instances")
    @classmethod
    def _instance_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for given in value:
            url = given.strip().rstrip("/")
            if "://" not in url:
                url = f"https://{url}"
            if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d+)?", url):
                raise ValueError(f"{given!r} is not an instance address such as "
                                 "\"https://mastodon.social\"")
            out.append(url)
        return tuple(out)

    def token_variables(self) -> dict[str, str]:
        """Instance URL → the environment variable holding its access token:
        MASTODON_ACCESS_TOKEN for the first, MASTODON_ACCESS_TOKEN_<HOST> for the others
        (MASTODON_ACCESS_TOKEN_FOSSTODON_ORG for https://fosstodon.org)."""
        out = {}
        for number, url in enumerate(self.instances):
            host = url.split("://", 1)[1]
            out[url] = MASTODON_TOKEN if number == 0 else (
                f"{MASTODON_TOKEN}_{re.sub(r'[^A-Z0-9]+', '_', host.upper())}")
        return out


class BlueskySource(Source):
    service: str = "https://bsky.social"    # where the account signs in (its PDS)
    search: bool = True                    # search posts for the watchlist terms
    notifications: bool = True             # mentions, replies and quotes of the account
    queries: tuple[str, ...] = ()          # extra searches, in Bluesky's search syntax
    languages: tuple[str, ...] = ()        # restrict watchlist searches to these languages
    max_pages: int = Field(default=5, gt=0)  # per search per run: 100 posts a page


class Sources(_Strict):
    demo: DemoSource = DemoSource()
    x: XSource = XSource(enabled=False)
    reddit: RedditSource = RedditSource(enabled=False)
    feeds: FeedsSource = FeedsSource(enabled=False)
    mastodon: MastodonSource = MastodonSource(enabled=False)
    bluesky: BlueskySource = BlueskySource(enabled=False)


class Analysis(_Strict):
    every_seconds: float = Field(default=15.0, gt=0)
    batch_size: int = Field(default=5000, gt=0)


class Brand(_Strict):
    name: str = Field(min_length=1)


def _hours_shape(value: object) -> object:
    # One sentence for a wrong shape, rather than one per branch of the union below.
    if isinstance(value, str) or (isinstance(value, dict) and all(
            isinstance(v, str) for v in value.values())):
        return value
    raise ValueError('should be "24/7" or a table of days, such as { mon-fri = "09:00-17:00",'
                     ' sat = "closed" }')


# "24/7", or {"mon-fri" = "09:00-17:00", "sat" = "10:00-14:00"}
Hours = Annotated[str | dict[str, str], BeforeValidator(_hours_shape)]


def _check_hours(timezone: str, hours: Hours, holidays: tuple[str, ...] = ()) -> None:
    from clamor.hours import BusinessHours  # the clock itself says what is wrong with it

    BusinessHours.parse(timezone, hours, holidays)


class Team(_Strict):
    """A group of agents sharing business hours: standards measured on its clock."""

    name: str = Field(min_length=1)
    timezone: str = "UTC"
    hours: Hours = "24/7"
    holidays: tuple[str, ...] = ()         # "YYYY-MM-DD", local dates with nobody on duty
    languages: tuple[str, ...] = ()        # what the team answers in (shift coverage)
    channels: tuple[str, ...] = ()         # sources the team covers; empty: all

    @model_validator(mode="after")
    def _valid_clock(self) -> "Team":
        _check_hours(self.timezone, self.hours, self.holidays)
        return self


class Person(_Strict):
    """Someone who works cases: an agent, or a manager cases are escalated to."""

    name: str = Field(min_length=1)
    team: str | None = None
    role: Literal["agent", "manager"] = "agent"
    languages: tuple[str, ...] = ()        # languages they write replies in
    # Their shift, local to `timezone` (default: the team's); default: the team's hours.
    shift: Hours | None = None
    timezone: str | None = None
    # What they are authorised to decide (refunds, compensation, safety…): escalations go
    # to a person who holds the authority named.
    authorised_for: tuple[str, ...] = ()


class RoutingRule(_Strict):
    """Who a new case goes to. The first rule whose conditions all hold wins."""

    term: str | None = None                # a watchlist term (its `term` spelling)
    kind: TermKind | None = None           # brand | product | staff | company | competitor
    language: str | None = None
    source: str | None = None
    complaint: bool | None = None
    assign: str | None = None              # a person's name, or "least-loaded"
    team: str | None = None

    @model_validator(mode="after")
    def _has_target(self) -> "RoutingRule":
        if not self.assign and not self.team:
            raise ValueError("a routing rule needs `assign` (a person) or `team`")
        if self.assign == LEAST_LOADED and not self.team:
            raise ValueError('assign = "least-loaded" needs a `team` to choose from')
        return self


LEAST_LOADED = "least-loaded"


class Standard(_Strict):
    """A response standard: "90 % of complaints on X get a first response within 60 min"."""

    name: str = Field(min_length=1)
    measure: Literal["first_response", "resolution"] = "first_response"
    percentile: float = Field(default=90, gt=0, le=100)
    target_minutes: float = Field(gt=0)
    clock: str = "24/7"                    # "24/7" or a team's name: its business hours
    complaints_only: bool = False
    sources: tuple[str, ...] = ()          # empty: every channel
    languages: tuple[str, ...] = ()        # empty: every language
    min_priority: Literal["any", "high"] = "any"   # high: complaints from reach >= 10k


class SeriesSetting(_Strict):
    """A series' own detection settings, overriding [alerts]."""

    sensitivity: float | None = Field(default=None, gt=0)
    min_volume: int | None = Field(default=None, ge=1)


class Notify(_Strict):
    """Where alerts are sent: an apprise URL (Slack, Teams, email, Telegram, json://…)."""

    name: str = Field(min_length=1)
    # The URL holds secrets (tokens): name the environment variable that holds it. A plain
    # `url` is accepted for endpoints without secrets (a local json:// webhook).
    url_env: str | None = None
    url: str | None = None
    kinds: tuple[Literal["spike", "backlog", "staff"], ...] = ("spike", "backlog", "staff")
    min_severity: Literal["warning", "critical"] = "warning"
    quiet_hours: str | None = None         # "22:00-07:00": only critical alerts then
    timezone: str = "UTC"                  # of the quiet hours
    max_per_hour: int = Field(default=6, ge=1)

    @model_validator(mode="after")
    def _one_url(self) -> "Notify":
        if bool(self.url_env) == bool(self.url):
            raise ValueError(f"notify target {self.name!r} needs exactly one of url_env "
                             "(the environment variable holding its apprise URL) or url")
        if self.quiet_hours is not None:
            start, dash, end = self.quiet_hours.partition("-")
            if not dash or not all(re.fullmatch(r"\d{1,2}:\d{2}", t.strip())
                                   for t in (start, end)):
                raise ValueError(f"quiet_hours of {self.name!r} must look like "
                                 "\"22:00-07:00\"")
        return self


class Alerts(_Strict):
    """Spike, backlog and staff alerts: when they fire and where they are sent."""

    enabled: bool = True
    every_minutes: float = Field(default=5, gt=0)      # how often detection runs
    window_minutes: int = Field(default=60, ge=5)      # the span whose volume is compared
    baseline_days: int = Field(default=7, ge=2)        # same time of day over this many days
    # How unusual a window must be to open an alert: robust z-score (median/MAD) threshold.
    sensitivity: float = Field(default=4.0, gt=0)
    min_volume: int = Field(default=8, ge=1)           # fewer mentions never alert
    # Backlog: complaints past their response standard, still unanswered, at once.
    backlog_late_complaints: int = Field(default=10, ge=1)
    series: dict[str, SeriesSetting] = Field(default_factory=dict)  # "term=SkyPoints" = {...}
    notify: tuple[Notify, ...] = ()


class Cases(_Strict):
    # A customer's new message joins their open case when it is in the same thread, or
    # within this many hours of their last message (on the same platform).
    join_window_hours: float = Field(default=24, ge=0)
    # Resolving a case schedules a follow-up (with the survey template) this much later.
    follow_up_hours: float = Field(default=24, gt=0)


class Config(_Strict):
    brand: Brand
    watchlist: Watchlist
    accounts: Accounts = Accounts()
    sources: Sources = Sources()
    analysis: Analysis = Analysis()
    cases: Cases = Cases()
    teams: tuple[Team, ...] = ()
    people: tuple[Person, ...] = ()
    routing: tuple[RoutingRule, ...] = ()
    standards: tuple[Standard, ...] = ()
    alerts: Alerts = Alerts()
    path: str | None = None

    @model_validator(mode="after")
    def _names_resolve(self) -> "Config":
        teams = {t.name for t in self.teams}
        people = {p.name for p in self.people}
        terms = {t.term for t in self.watchlist.terms}
        for i, p in enumerate(self.people):
            if p.team and p.team not in teams:
                raise ValueError(f"people[{i}] ({p.name}): no team named {p.team!r}")
            if p.shift is not None:
                try:
                    _check_hours(*self.shift_of(p))
                except ValueError as exc:
                    raise ValueError(f"people[{i}] ({p.name}): {exc}") from None
        for i, r in enumerate(self.routing):
            if r.team and r.team not in teams:
                raise ValueError(f"routing[{i}]: no team named {r.team!r}")
            if r.assign and r.assign != LEAST_LOADED and r.assign not in people:
                raise ValueError(f"routing[{i}]: nobody named {r.assign!r} in [[people]]")
            if r.term and r.term not in terms:
                raise ValueError(f"routing[{i}]: {r.term!r} is not a watchlist term")
        for i, s in enumerate(self.standards):
            if s.clock != "24/7" and s.clock not in teams:
                raise ValueError(f"standards[{i}] ({s.name}): clock must be \"24/7\" or a "
                                 f"team's name; there is no team {s.clock!r}")
        return self

    def team(self, name: str | None) -> Team | None:
        return next((t for t in self.teams if t.name == name), None)

    def person(self, name: str | None) -> Person | None:
        return next((p for p in self.people if p.name == name), None)

    def shift_of(self, person: Person) -> tuple[str, Hours, tuple[str, ...]]:
        """(timezone, hours, holidays) of a person's shift: their own, else their team's."""
        team = self.team(person.team)
        timezone = person.timezone or (team.timezone if team else "UTC")
        if person.shift is not None:
            return timezone, person.shift, team.holidays if team else ()
        if team:
            return timezone, team.hours, team.holidays
        return timezone, "24/7", ()


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
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file; give the path of the "
                          ".toml file itself.") from None
    except OSError as exc:  # unreadable: permissions, a broken disk
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text; save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML: {exc}.") from None
    return parse_config(data, source=str(path))


def parse_config(data: dict, *, source: str = "config") -> Config:
    if "path" in data:  # (filled in below: where the config was read from)
        raise ConfigError(f"{source}: path is not a known key (misspelt?)")
    try:
        return Config.model_validate({**data, "path": source})
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise ConfigError(f"{source}: {problems}") from None


# A wrong type in the words of a TOML file, not pydantic's ("a valid tuple", "an instance of").
_LIST = 'should be a list, such as ["a", "b"]'
_TOML_WORDS = {
    "string_type": "should be text in quotes", "tuple_type": _LIST, "list_type": _LIST,
    "dict_type": "should be a table", "model_type": "should be a table",
    "bool_type": "should be true or false", "bool_parsing": "should be true or false",
    "int_type": "should be a whole number", "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number", "float_type": "should be a number",
    "float_parsing": "should be a number",
}


def _describe(err: dict) -> str:
    key = ""
    for part in err["loc"]:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    message = {
        "extra_forbidden": "is not a known key (misspelt?)",
        "missing": "is required",
        **_TOML_WORDS,
    }.get(err["type"], err["msg"].removeprefix("Value error, ").removeprefix("Input "))
    if not key:  # a check across sections: its message names the places itself
        return message
    return f"{key} {message}" if err["type"] in ("extra_forbidden", "missing") \
        or message.startswith("should ") else f"{key}: {message}"
