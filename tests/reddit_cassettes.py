"""Replaying recorded Reddit HTTP (praw's own cassettes and ours, in the same JSON format)
through vcrpy, so praw and prawcore run for real and only the network is replaced.

The cassettes hold placeholders where the recording had secrets (`<ACCESS_TOKEN>`,
`<USERNAME>`, `<USER_AGENT>`, ...); they are substituted on loading with the values in
PLACEHOLDERS, as praw's own test suite does, and the tests set the matching REDDIT_*
variables (ENV). Each cassette starts with the OAuth token request. Nothing is ever recorded:
a request the cassette does not hold fails the test.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
from pathlib import Path
from typing import Any, ClassVar

import vcr
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.request import Request

CASSETTES = Path(__file__).parent / "cassettes" / "reddit"

CLIENT_ID = "clamor_client_id"
CLIENT_SECRET = "clamor_client_secret"
USER_AGENT = "clamor-tests:1.0 (by u/clamor_tests)"
USERNAME = "clamor_test_user"
PASSWORD = "clamor_test_password"
PLACEHOLDERS = {
    "<ACCESS_TOKEN>": "clamor_access_token",
    "<REFRESH_TOKEN>": "clamor_refresh_token",
    "<BASIC_AUTH>": base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode(),
    "<CLIENT_ID>": CLIENT_ID,
    "<CLIENT_SECRET>": CLIENT_SECRET,
    "<USER_AGENT>": USER_AGENT,
    "<USERNAME>": USERNAME,
    "<PASSWORD>": PASSWORD,
    "<TEST_SUBREDDIT>": "clamor_test_sub",
}
ENV = {
    "REDDIT_CLIENT_ID": CLIENT_ID,
    "REDDIT_CLIENT_SECRET": CLIENT_SECRET,
    "REDDIT_USER_AGENT": USER_AGENT,
}
LOGIN_ENV = {"REDDIT_USERNAME": USERNAME, "REDDIT_PASSWORD": PASSWORD}
_built = itertools.count(1)


def path_of(name: str | Path) -> Path:
    path = Path(name)
    return path if path.is_absolute() else CASSETTES / (str(name).removesuffix(".json") + ".json")


def load(name: str | Path) -> dict[str, Any]:
    """A cassette as a dict, placeholders substituted."""
    text = path_of(name).read_text(encoding="utf-8")
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


def merge(*names: str | Path) -> dict[str, Any]:
    """Several cassettes as one: the first one's token exchange, then every listing exchange
    (a collector reads several listings in one run; praw recorded each on its own)."""
    merged = load(names[0])
    for name in names[1:]:
        merged["interactions"] += [i for i in load(name)["interactions"]
                                   if "access_token" not in i["request"]["uri"]]
    return merged


def body(cassette: dict[str, Any], index: int) -> Any:
    """The JSON body of the response of interaction `index`."""
    return json.loads(cassette["interactions"][index]["response"]["body"]["string"])


def children(name: str | Path, index: int = 1) -> list[dict[str, Any]]:
    """The listing children ({"kind", "data"}) answered in interaction `index`."""
    listing = body(load(name), index)
    return listing["data"]["children"]


def response(like: dict[str, Any], status: int, text: str,
             headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A response shaped like the recorded response `like`: its headers, another status and
    body (for fault injection on top of recorded exchanges)."""
    out = copy.deepcopy(like)
    messages = {200: "OK", 401: "Unauthorized", 429: "Too Many Requests",
                500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    out["status"] = {"code": status, "message": messages.get(status, "")}
    out["body"] = {"string": text}
    for key, value in (headers or {}).items():
        out["headers"][key] = [value]
    return out


class _Persister:
    """Loads praw's cassette format (requests and responses with string bodies) for vcrpy,
    placeholders substituted; or a cassette built in memory (merged, or with a fault
    injected). Framing headers are recomputed: substituted placeholders change the body's
    length."""

    built: ClassVar[dict[str, dict[str, Any]]] = {}

    @classmethod
    def load_cassette(cls, cassette_path, serializer):
        cassette = cls.built.pop(str(cassette_path), None)
        if cassette is None:
            path = Path(cassette_path)
            if not path.is_file():
                raise CassetteNotFoundError()
            cassette = load(path)
        requests, responses = [], []
        for interaction in cassette["interactions"]:
            recorded = interaction["request"]
            requests.append(Request(recorded["method"], recorded["uri"], recorded.get("body"),
                                    recorded.get("headers") or {}))
            answer = interaction["response"]
            content = (answer["body"].get("string") or "").encode("utf-8")
            headers = {k: v for k, v in answer["headers"].items()
                       if k.lower() not in ("content-length", "transfer-encoding")}
            headers["Content-Length"] = [str(len(content))]
            responses.append({"status": answer["status"], "headers": headers,
                              "body": {"string": content}})
        return requests, responses

    @staticmethod
    def save_cassette(cassette_path, cassette_dict, serializer):
        raise AssertionError("Reddit cassettes are replayed, never recorded")


def replay(cassette: str | Path | dict[str, Any], *, match_query: bool = True,
           match_body: bool = False, repeats: bool = False):
    """A vcrpy context that answers praw's requests from the cassette (a name in
    tests/cassettes/reddit, a path, or a cassette dict built by the test).

    `match_query=False` matches on method, host and path only: praw's recordings were made
    with other parameters (sort=relevance, limit=16) than the collector sends. `repeats`
    lets an exchange answer again, as a source with nothing new would. `match_body` also
    compares what is posted (form fields in any order)."""
    match_on = ["method", "scheme", "host", "port", "path"]
    match_on += (["query"] if match_query else []) + (["body"] if match_body else [])
    recorder = vcr.VCR(record_mode="none", match_on=match_on)
    recorder.register_persister(_Persister)
    if isinstance(cassette, dict):
        key = f"<built cassette {next(_built)}>"
        _Persister.built[key] = copy.deepcopy(cassette)
    else:
        key = str(path_of(cassette))
    return recorder.use_cassette(key, allow_playback_repeats=repeats)
