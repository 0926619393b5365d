"""Hand-written Mastodon API entities for Aerolume's account on mastodon.social (no recording
of a real instance exists here; see README.md for the documentation they follow). Run from
the repository root to rebuild aerolume.json and archive.jsonl:

    .venv/bin/python -m tests.cassettes.mastodon.build_aerolume
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
HOST = "mastodon.social"


def account(number: int, username: str, display: str, followers: int,
            domain: str | None = None) -> dict:
    """An Account entity (https://docs.joinmastodon.org/entities/Account/)."""
    home = domain or HOST
    return {
        "id": str(109000000000000000 + number), "username": username,
        "acct": username if domain is None else f"{username}@{domain}",
        "display_name": display, "locked": False, "bot": False, "discoverable": True,
        "indexable": True, "group": False, "created_at": "2023-01-10T00:00:00.000Z",
        "note": "<p></p>", "url": f"https://{home}/@{username}",
        "uri": f"https://{home}/users/{username}",
        "avatar": f"https://files.{home}/avatars/{number}.png",
        "avatar_static": f"https://files.{home}/avatars/{number}.png",
        "header": f"https://{home}/headers/original/missing.png",
        "header_static": f"https://{home}/headers/original/missing.png",
        "followers_count": followers, "following_count": 120, "statuses_count": 340,
        "last_status_at": "2026-11-20", "hide_collections": False, "noindex": False,
        "emojis": [], "roles": [], "fields": [],
    }


HELP = account(1, "AerolumeHelp", "Aerolume Help", 15400)
HELEN = account(2, "helen", "Helen Ashby", 312)
REZA = account(3, "reza", "رضا", 88, "persiansphere.social")
LAYAL = account(4, "layal", "ليال", 1200, "mastodon.online")
PIM = account(5, "pim", "พิม", 45, "mastodon.in.th")
ELENI = account(6, "eleni", "Ελένη", 230, "mastodon.gr")
MARK = account(7, "mark", "Mark T.", 19)


def mention_of(who: dict) -> dict:
    return {"id": who["id"], "username": who["username"], "url": who["url"],
            "acct": who["acct"]}


def status(number: int, who: dict, created: str, content: str, *, language: str | None = "en",
           reply_to: dict | None = None, spoiler: str = "", visibility: str = "public",
           mentions: tuple = (), tags: tuple = (), media: tuple = (), reblog: dict | None = None,
           boosts: int = 0) -> dict:
    """A Status entity (https://docs.joinmastodon.org/entities/Status/); `content` is HTML as
    Mastodon writes it."""
    sid = str(113500000000000000 + number)
    home = who["url"].split("/")[2]
    return {
        "id": sid, "created_at": created,
        "in_reply_to_id": reply_to["id"] if reply_to else None,
        "in_reply_to_account_id": reply_to["account"]["id"] if reply_to else None,
        "sensitive": bool(spoiler), "spoiler_text": spoiler, "visibility": visibility,
        "language": language,
        "uri": f"https://{home}/users/{who['username']}/statuses/{sid}",
        "url": f"https://{home}/@{who['username']}/{sid}",
        "replies_count": 0, "reblogs_count": boosts, "favourites_count": 2, "edited_at": None,
        "favourited": False, "reblogged": False, "muted": False, "bookmarked": False,
        "pinned": False, "content": content if reblog is None else "", "filtered": [],
        "reblog": reblog, "application": None, "account": who,
        "media_attachments": list(media), "mentions": [mention_of(m) for m in mentions],
        "tags": [{"name": t, "url": f"https://{HOST}/tags/{t}"} for t in tags],
        "emojis": [], "card": None, "poll": None,
    }


def at(name: dict) -> str:
    """A mention as Mastodon writes it in content."""
    return (f'<span class="h-card" translate="no"><a href="{name["url"]}" class="u-url mention">'
            f'@<span>{name["username"]}</span></a></span>')


def tag(name: str) -> str:
    return (f'<a href="https://{HOST}/tags/{name.lower()}" class="mention hashtag" rel="tag">'
            f'#<span>{name}</span></a>')


LINK = ('<a href="https://status.aerolume.example/incidents/2026-11-20-check-in" '
        'target="_blank" rel="nofollow noopener noreferrer" translate="no">'
        '<span class="invisible">https://</span><span class="ellipsis">status.aerolume.example'
        '/incidents/20</span><span class="invisible">26-11-20-check-in</span></a>')

HELEN_POST = status(
    1, HELEN, "2026-11-20T09:12:00.000Z",
    f"<p>{at(HELP)} my bag never made it to Athens &amp; nobody answers the phone.<br>"
    f"Flight AL 212, tag ending 4471.</p><p>Is this {LINK} the same problem? {tag('Aerolume')}"
    "</p>", mentions=(HELP,), tags=("aerolume",))
REZA_POST = status(
    2, REZA, "2026-11-20T09:40:00.000Z",
    f"<p>{at(HELP)} سلام، پرواز تهران به آتن ایرولوم سه ساعت تأخیر داشت و هیچ اطلاعی "
    "ندادند. بازپرداخت امتیازهای اسکای‌پوینت من کجاست؟</p>", language="fa", mentions=(HELP,))
LAYAL_POST = status(
    3, LAYAL, "2026-11-20T10:05:00.000Z",
    f"<p>{at(HELP)} رحلتي مع ايرولوم أُلغيت ولم يصلني أي بريد. أريد استرداد المبلغ</p>",
    language="ar", mentions=(HELP,), visibility="direct")
PIM_POST = status(
    4, PIM, "2026-11-20T10:30:00.000Z",
    f"<p>{tag('แอโรลูม')} เช็คอินออนไลน์ใช้ไม่ได้เลยค่ะ แอปค้างตลอด</p>",
    language="th", tags=("แอโรลูม",))
ELENI_POST = status(
    5, ELENI, "2026-11-20T11:00:00.000Z",
    f"<p>Η {tag('Αερολούμ')} έχασε τη βαλίτσα μου. Κανείς δεν απαντά.</p>",
    language="el", spoiler="χαμένες αποσκευές", tags=("αερολούμ",), media=({
        "id": "22", "type": "image", "url": "https://files.mastodon.gr/media/22.jpg",
        "preview_url": "https://files.mastodon.gr/media/22s.jpg", "remote_url": None,
        "description": "Άδειος ιμάντας αποσκευών", "blurhash": None, "meta": {}},))
MARK_POST = status(
    6, MARK, "2026-11-20T11:20:00.000Z",
    f"<p>Flew {tag('Aerolume')} yesterday, smooth boarding and the crew were lovely 👏</p>",
    tags=("aerolume",), boosts=3)
HELP_TO_HELEN = status(
    7, HELP, "2026-11-20T09:30:00.000Z",
    f"<p>{at(HELEN)} Sorry Helen, we've opened a trace for tag 4471 and will update you "
    "within 2 hours. ^SR</p>", reply_to=HELEN_POST, mentions=(HELEN,))
HELP_TO_REZA = status(
    8, HELP, "2026-11-20T10:10:00.000Z",
    f"<p>{at(REZA)} سلام رضا، امتیازها تا ۴۸ ساعت دیگر برمی‌گردد. ^MR</p>",
    language="fa", reply_to=REZA_POST, mentions=(REZA,))
HELP_BOOSTS_MARK = status(9, HELP, "2026-11-20T11:25:00.000Z", "", reblog=MARK_POST)
HELEN_AGAIN = status(
    10, HELEN, "2026-11-20T12:40:00.000Z",
    f"<p>{at(HELP)} thanks, the bag is on its way!</p>", reply_to=HELP_TO_HELEN,
    mentions=(HELP,))


def notification(number: int, post: dict) -> dict:
    """A Notification entity (https://docs.joinmastodon.org/entities/Notification/)."""
    return {"id": str(400 + number), "type": "mention", "created_at": post["created_at"],
            "group_key": f"ungrouped-{400 + number}", "account": post["account"],
            "status": post}


FIRST = {
    "account": HELP,
    "notifications": [notification(1, HELEN_POST), notification(2, REZA_POST),
                      notification(3, LAYAL_POST)],
    "own": [HELP_TO_HELEN, HELP_TO_REZA, HELP_BOOSTS_MARK],
    "tags": {"aerolume": [HELEN_POST, MARK_POST], "แอโรลูม": [PIM_POST],
             "αερολούμ": [ELENI_POST]},
    "search": {"Aerolume": [MARK_POST, HELEN_POST]},
}
# What arrives after the first run: Helen thanks the desk.
LATER = {"notifications": [notification(4, HELEN_AGAIN)]}


def main() -> None:
    (HERE / "aerolume.json").write_text(
        json.dumps({"first": FIRST, "later": LATER}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8")
    lines = [
        json.dumps(FIRST["notifications"], ensure_ascii=False),  # a bare page: instance told
        json.dumps({"instance": f"https://{HOST}", "response": FIRST["tags"]["aerolume"]},
                   ensure_ascii=False),
        '[{"id": "1135', "not json at all",
        json.dumps({"statuses": FIRST["search"]["Aerolume"], "accounts": [], "hashtags": []},
                   ensure_ascii=False),
        json.dumps([PIM_POST], ensure_ascii=False),  # no local account: instance unknown
        json.dumps({"error": "Too many requests"}),
        json.dumps(FIRST["own"], ensure_ascii=False),
    ]
    (HERE / "archive.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
