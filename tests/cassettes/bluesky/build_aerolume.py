"""Hand-written Bluesky (atproto) API answers for Aerolume's account aerolume.bsky.social (no
recording of the real service exists here; see README.md for the lexicons they follow). Run
from the repository root to rebuild aerolume.json and archive.jsonl:

    .venv/bin/python -m tests.cassettes.bluesky.build_aerolume
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

HERE = Path(__file__).parent


def _b64(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def jwt(scope: str, exp: int = 4102444800) -> str:
    """A JWT shaped like the PDS's (the client reads its `exp`; nobody checks the signature
    here). 4102444800 is 2100-01-01."""
    return ".".join([_b64({"typ": "at+jwt", "alg": "ES256K"}),
                     _b64({"scope": scope, "sub": "did:plc:aerolumehelp0000000000",
                           "iat": 1763600000, "exp": exp}), "c2lnbmF0dXJl"])


def profile(did: str, handle: str, name: str, followers: int | None = None) -> dict:
    """app.bsky.actor.defs#profileViewBasic (#profileViewDetailed with counts)."""
    out = {"did": did, "handle": handle, "displayName": name,
           "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkreiavatar@jpeg",
           "labels": [], "createdAt": "2024-02-01T10:00:00.000Z"}
    if followers is not None:
        out.update(followersCount=followers, followsCount=80, postsCount=410,
                   description="Aerolume customer care, 24/7.",
                   indexedAt="2026-11-01T00:00:00.000Z")
    return out


HELP = profile("did:plc:aerolumehelp0000000000", "aerolume.bsky.social", "Aerolume Help",
               9800)
ANNA = profile("did:plc:anna000000000000000000", "anna.bsky.social", "Anna K.")
NIMA = profile("did:plc:nima000000000000000000", "nima.bsky.social", "نیما")
SOMSAK = profile("did:plc:somsak0000000000000000", "handle.invalid", "สมศักดิ์")
JOURNO = profile("did:plc:journo0000000000000000", "maria.press.example", "Maria, travel desk")


def uri(who: dict, rkey: str) -> str:
    return f"at://{who['did']}/app.bsky.feed.post/{rkey}"


def byte_span(text: str, part: str) -> dict:
    start = len(text.encode("utf-8")[: text.encode("utf-8").find(part.encode("utf-8"))])
    return {"byteStart": start, "byteEnd": start + len(part.encode("utf-8"))}


def post(who: dict, rkey: str, text: str, created: str, *, langs=("en",), facets=(),
         reply_to: dict | None = None, root: dict | None = None) -> dict:
    """app.bsky.feed.defs#postView holding an app.bsky.feed.post record."""
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": created,
              "langs": list(langs)}
    if facets:
        record["facets"] = list(facets)
    if reply_to is not None:
        top = root or reply_to
        record["reply"] = {"root": {"uri": top["uri"], "cid": top["cid"]},
                           "parent": {"uri": reply_to["uri"], "cid": reply_to["cid"]}}
    return {"uri": uri(who, rkey), "cid": f"bafyrei{rkey}cid", "author": who, "record": record,
            "replyCount": 0, "repostCount": 1, "likeCount": 3, "quoteCount": 0,
            "indexedAt": created[:-1] + "5Z" if created.endswith("0Z") else created,
            "viewer": {"threadMuted": False, "embeddingDisabled": False}, "labels": []}


def link(text: str, shown: str, target: str) -> dict:
    return {"index": byte_span(text, shown),
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": target}]}


def mention(text: str, shown: str, who: dict) -> dict:
    return {"index": byte_span(text, shown),
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": who["did"]}]}


def hashtag(text: str, shown: str) -> dict:
    return {"index": byte_span(text, shown),
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": shown.lstrip("#")}]}


ANNA_TEXT = ("@aerolume.bsky.social my refund for AL 212 is three weeks late. Your page "
             "aerolume.example/refunds/st... says 7 days #Aerolume")
ANNA_POST = post(ANNA, "3lanna00001", ANNA_TEXT, "2026-11-20T09:00:00.000Z", facets=(
    mention(ANNA_TEXT, "@aerolume.bsky.social", HELP),
    link(ANNA_TEXT, "aerolume.example/refunds/st...",
         "https://aerolume.example/refunds/status?case=AL212"),
    hashtag(ANNA_TEXT, "#Aerolume")))
NIMA_TEXT = "@aerolume.bsky.social چمدانم در فرودگاه آتن گم شد، کسی جواب نمی‌دهد 😞 ایرولوم"
NIMA_POST = post(NIMA, "3lnima00001", NIMA_TEXT, "2026-11-20T09:30:00.000Z", langs=("fa",),
                 facets=(mention(NIMA_TEXT, "@aerolume.bsky.social", HELP),))
SOMSAK_POST = post(SOMSAK, "3lsomsak001", "แอโรลูม เช็คอินไม่ได้อีกแล้ว",
                   "2026-11-20T10:00:00.000Z", langs=("th",))
JOURNO_TEXT = "Hearing reports of long Aerolume check-in queues in Athens this morning."
JOURNO_POST = post(JOURNO, "3ljourno001", JOURNO_TEXT, "2026-11-20T10:20:00.000Z")
HELP_TO_ANNA = post(HELP, "3lhelp00001", "Sorry Anna, we've escalated AL 212 and will reply "
                    "within 2 hours. ^SR", "2026-11-20T09:15:00.000Z", reply_to=ANNA_POST)
ANNA_AGAIN = post(ANNA, "3lanna00002", "@aerolume.bsky.social still nothing…",
                  "2026-11-20T12:00:00.000Z", reply_to=HELP_TO_ANNA, root=ANNA_POST)


def notification(p: dict, reason: str) -> dict:
    """app.bsky.notification.listNotifications#notification."""
    return {"uri": p["uri"], "cid": p["cid"], "author": p["author"], "reason": reason,
            "record": p["record"], "isRead": False, "indexedAt": p["indexedAt"], "labels": []}


SESSION = {"did": HELP["did"], "handle": HELP["handle"], "email": "care@aerolume.example",
           "emailConfirmed": True, "accessJwt": jwt("com.atproto.appPass"),
           "refreshJwt": jwt("com.atproto.refresh"), "active": True}

FIRST = {
    "session": SESSION,
    "profile": HELP,
    "notifications": [notification(ANNA_POST, "mention"), notification(NIMA_POST, "mention"),
                      {**notification(JOURNO_POST, "like"), "reasonSubject": HELP_TO_ANNA["uri"]}],
    "own": [{"post": HELP_TO_ANNA, "reply": {"root": ANNA_POST, "parent": ANNA_POST}},
            {"post": JOURNO_POST, "reason": {"$type": "app.bsky.feed.defs#reasonRepost",
                                             "by": HELP, "indexedAt": "2026-11-20T10:30:00Z"}}],
    "search": {"Aerolume": [ANNA_POST, JOURNO_POST], "แอโรลูม": [SOMSAK_POST],
               "ایرولوم": [NIMA_POST]},
}
LATER = {"notifications": [notification(ANNA_AGAIN, "reply")]}


def main() -> None:
    (HERE / "aerolume.json").write_text(
        json.dumps({"first": FIRST, "later": LATER}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8")
    lines = [
        json.dumps({"posts": FIRST["search"]["Aerolume"], "hitsTotal": 2}, ensure_ascii=False),
        json.dumps({"notifications": FIRST["notifications"], "cursor": "c2"},
                   ensure_ascii=False),
        '{"posts": [{"uri": "at://did:plc:x/app.bsky.feed.post/3l',
        json.dumps({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}),
        json.dumps({"feed": FIRST["own"]}, ensure_ascii=False),
        json.dumps(SOMSAK_POST, ensure_ascii=False),
    ]
    (HERE / "archive.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
