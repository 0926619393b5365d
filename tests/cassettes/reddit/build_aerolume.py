"""Builds aerolume.json, Reddit exchanges about Aerolume, the demo brand, in the format of
praw's recorded cassettes; and archive.jsonl, recorded listings saved as an archive.

Reddit has no Aerolume, so these are not recordings: every item is a real recorded item
(from TestInbox.test_mention__refresh.json and TestInbox.test_mentions.json, June 2025)
with its content fields replaced, and every response carries the headers Reddit sent with
those recordings. The requests are the ones the collector makes for the demo config at
2026-11-20 14:00 UTC (first run) and one hour later (second run), logged in as
u/Aerolume_Official. Run from the repository root to rebuild:

    .venv/bin/python tests/cassettes/reddit/build_aerolume.py
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import json
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).parent
NOW = dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.timezone.utc)
ACCOUNT = "Aerolume_Official"
# What collectors.reddit.search_queries makes of the demo watchlist (tested there).
QUERY = ('Aerolume OR Αερολούμ OR ایرولوم OR ايرولوم OR إيرولوم OR แอโรลูม OR SkyPoints OR '
         '"Sky Points" OR "اسکای\u200cپوینت" OR "اسکای پوینت" OR "سكاي بوينتس" OR สกายพอยต์ OR '
         '"Aerolume app" OR FlexFare OR "Dana Karimi" OR "دانا کریمی" OR "Nikos Papadakis" OR '
         '"Νίκος Παπαδάκης" OR Παπαδάκης OR Παπαδάκη OR "Somchai Wongsakul" OR '
         '"สมชาย วงศ์สกุล" OR "Layla Haddad" OR "ليلى حداد" OR "Aerolume Group"')


def _load(name: str) -> dict:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


REFRESH = _load("TestInbox.test_mention__refresh.json")
MENTIONS = _load("TestInbox.test_mentions.json")
POST_TEMPLATE = json.loads(REFRESH["interactions"][2]["response"]["body"]["string"])[0]
COMMENT_TEMPLATE = json.loads(REFRESH["interactions"][2]["response"]["body"]["string"])[1]
POST_TEMPLATE = POST_TEMPLATE["data"]["children"][0]["data"]
COMMENT_TEMPLATE = COMMENT_TEMPLATE["data"]["children"][0]["data"]
MENTION_TEMPLATE = json.loads(
    MENTIONS["interactions"][1]["response"]["body"]["string"])["data"]["children"][0]["data"]
LISTING_HEADERS = REFRESH["interactions"][2]["response"]["headers"]
TOKEN_HEADERS = MENTIONS["interactions"][0]["response"]["headers"]
REQUEST_HEADERS = MENTIONS["interactions"][1]["request"]["headers"]
USER_AGENT = "<USER_AGENT> PRAW/8.0.3 prawcore/4.0.0"


def at(minutes: float) -> float:
    return (NOW + dt.timedelta(minutes=minutes)).timestamp()


def _md(text: str) -> str:
    paragraphs = "\n\n".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
    return f'<div class="md">{paragraphs}\n</div>'


def post(id: str, sub: str, author: str, minutes: float, title: str, selftext: str = "",
         link: str | None = None, slug: str = "post") -> dict:
    data = copy.deepcopy(POST_TEMPLATE)
    permalink = f"/r/{sub}/comments/{id}/{slug}/"
    data.update({
        "id": id, "name": f"t3_{id}", "title": title, "selftext": selftext,
        "selftext_html": _md(selftext) if selftext else None,
        "author": author, "author_fullname": None if author == "[deleted]" else f"t2_{id}a",
        "subreddit": sub, "subreddit_name_prefixed": f"r/{sub}", "subreddit_id": f"t5_{sub[:6]}",
        "subreddit_type": "public", "subreddit_subscribers": 1200,
        "permalink": permalink, "url": link or f"https://www.reddit.com{permalink}",
        "url_overridden_by_dest": link, "domain": "self." + sub if not link else "example.com",
        "is_self": link is None, "created": at(minutes), "created_utc": at(minutes),
        "num_comments": 0, "score": 1, "ups": 1, "no_follow": True, "thumbnail": "self",
        "is_robot_indexable": True,
    })
    if link is None:
        del data["url_overridden_by_dest"]
    return {"kind": "t3", "data": data}


def comment(id: str, sub: str, author: str, minutes: float, body: str, link: str,
            parent: str, slug: str = "post") -> dict:
    data = copy.deepcopy(COMMENT_TEMPLATE)
    data.update({
        "id": id, "name": f"t1_{id}", "body": body, "body_html": _md(body),
        "author": author, "author_fullname": f"t2_{id}a",
        "subreddit": sub, "subreddit_name_prefixed": f"r/{sub}", "subreddit_id": f"t5_{sub[:6]}",
        "subreddit_type": "public", "link_id": f"t3_{link}", "parent_id": parent,
        "permalink": f"/r/{sub}/comments/{link}/{slug}/{id}/",
        "created": at(minutes), "created_utc": at(minutes), "score": 1, "ups": 1,
        "distinguished": None, "stickied": False,
        "is_submitter": False, "depth": 0 if parent.startswith("t3_") else 1,
    })
    return {"kind": "t1", "data": data}


def mention(id: str, sub: str, author: str, minutes: float, body: str, link: str,
            link_title: str, slug: str) -> dict:
    data = copy.deepcopy(MENTION_TEMPLATE)
    data.update({
        "id": id, "name": f"t1_{id}", "body": body, "body_html": _md(body),
        "author": author, "author_fullname": f"t2_{id}a",
        "subreddit": sub, "subreddit_name_prefixed": f"r/{sub}",
        "parent_id": f"t3_{link}", "link_title": link_title, "dest": ACCOUNT,
        "context": f"/r/{sub}/comments/{link}/{slug}/{id}/?context=3",
        "created": at(minutes), "created_utc": at(minutes), "new": True, "distinguished": None,
    })
    return {"kind": "t1", "data": data}


# -- the items ---------------------------------------------------------------------------

S1 = post("1p2a01", "aerolume", "maria_k_travels", -300,
          "Aerolume lost my bag at ATH \u2014 3 days and no answer",
          "Flight AL412 from Athens. Filed a report at the desk, reference ATHAL12345.\n\n"
          "Nobody picks up the phone. Anyone had luck getting through?",
          slug="aerolume_lost_my_bag_at_ath_3_days_and_no_answer")
S2 = post("1p2a02", "aerolume", "somsak_bkk", -120,
          "แอโรลูม เลื่อนเที่ยวบินกรุงเทพ-ภูเก็ตอีกแล้ว", link="https://example.com/th/delay",
          slug="แอโรลูม_เลื่อนเที่ยวบิน")
C1 = comment("nq1a01", "aerolume", "jetlagged_jo", -290,
             "Same here, my bag has been in Athens since Tuesday.", "1p2a01", "t3_1p2a01",
             slug="aerolume_lost_my_bag_at_ath_3_days_and_no_answer")
C2 = comment("nq1a02", "aerolume", ACCOUNT, -270,
             "Hi u/maria_k_travels, we're sorry your bag hasn't arrived. Please send us your "
             "file reference by chat and we'll chase it with Athens today.",
             "1p2a01", "t3_1p2a01", slug="aerolume_lost_my_bag_at_ath_3_days_and_no_answer")
C3 = comment("nq1a03", "aerolume", "nikos_ath", 10,
             "Ευχαριστώ, αλλά ακόμα περιμένω νέα από την Αερολούμ.", "1p2a01", "t1_nq1a02",
             slug="aerolume_lost_my_bag_at_ath_3_days_and_no_answer")
M1 = mention("nq1m01", "travel", "sara_tehran", -40,
             f"u/{ACCOUNT} پرواز من از تهران دو بار لغو شد و هنوز هیچ پاسخی نگرفته\u200cام.",
             "1p2c01", "Two cancellations in a week", "two_cancellations_in_a_week")
M2 = mention("nq1m02", "travel", "refund_pending", 20,
             f"u/{ACCOUNT} three weeks and still no refund for my cancelled FlexFare ticket.\r\n"
             "Case 88123.", "1p2c02", "Refund timelines?", "refund_timelines")
R1 = post("1p2b01", "dubai", "omar_dxb", -60, "تجربتي مع ايرولوم من دبي إلى أثينا",
          "الطاقم كان رائعاً لكن التأخير كان ثلاث ساعات.", slug="تجربتي_مع_ايرولوم")
R2 = post("1p2b02", "battlestations", "desk_nerd", -180, "Aerolume Lighting desk lamp review",
          "Warm light, solid hinge.", slug="aerolume_lighting_desk_lamp_review")
R3 = post("1p2b03", "Thailand", "ploy_cnx", 5,
          "มีใครใช้ SkyPoints ของแอโรลูมแลกตั๋วได้บ้างไหม", slug="มีใครใช้_skypoints")
R4 = post("1p2b04", "greece", "eleni_her", 30, "Πτήση με Aerolume Αθήνα\u2013Ηράκλειο",
          "Πολύ ευγενικό πλήρωμα, αλλά η πτήση είχε καθυστέρηση μιάμιση ώρα.\n\nΘα ξαναπετούσα. ",
          slug="πτήση_με_aerolume")
R5 = post("1p2b05", "iran", "dariush_shz", 50, "تجربه پرواز با ایرولوم",
          "خدمه عالی بودند \u2708\ufe0f", slug="تجربه_پرواز_با_ایرولوم")
R6 = post("1p2b06", "travel", "[deleted]", -65,
          "Aerolume app keeps logging me out before check-in", slug="aerolume_app_logs_me_out")


# -- the exchanges -----------------------------------------------------------------------


def listing(children: list[dict], after: str | None = None) -> dict:
    return {"kind": "Listing", "data": {"after": after, "dist": len(children), "modhash": None,
                                        "geo_filter": "", "children": children, "before": None}}


def _date(minutes: float) -> str:
    return (NOW + dt.timedelta(minutes=minutes)).strftime("%a, %d %b %Y %H:%M:%S GMT")


def token(minutes: float, grant: str) -> dict:
    headers = copy.deepcopy(TOKEN_HEADERS)
    headers["Date"] = [_date(minutes)]
    headers.pop("Set-Cookie", None)
    return {
        "recorded_at": (NOW + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S"),
        "request": {
            "body": grant,
            "headers": {"Accept": ["*/*"], "Accept-Encoding": ["identity"],
                        "Authorization": ["Basic <BASIC_AUTH>"], "Connection": ["close"],
                        "Content-Type": ["application/x-www-form-urlencoded"],
                        "User-Agent": [USER_AGENT]},
            "method": "POST", "uri": "https://www.reddit.com/api/v1/access_token"},
        "response": {
            "body": {"string": json.dumps({"access_token": "<ACCESS_TOKEN>",
                                           "token_type": "bearer", "expires_in": 86400,
                                           "scope": "*"})},
            "headers": headers, "status": {"code": 200, "message": "OK"},
            "url": "https://www.reddit.com/api/v1/access_token"},
    }


USED = iter(range(1, 100))


def get(minutes: float, path: str, params: dict, body: dict) -> dict:
    uri = f"https://oauth.reddit.com/{path}?{urlencode({**params, 'raw_json': 1})}"
    headers = copy.deepcopy(LISTING_HEADERS)
    headers.pop("Set-Cookie", None)
    used = next(USED)
    headers.update({"Date": [_date(minutes)], "x-ratelimit-used": [str(used)],
                    "x-ratelimit-remaining": [f"{600 - used}.0"],
                    "x-ratelimit-reset": ["300"]})
    request_headers = copy.deepcopy(REQUEST_HEADERS)
    request_headers.pop("Cookie", None)
    request_headers["User-Agent"] = [USER_AGENT]
    return {
        "recorded_at": (NOW + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S"),
        "request": {"body": None, "headers": request_headers, "method": "GET", "uri": uri},
        "response": {"body": {"string": json.dumps(body, ensure_ascii=False)},
                     "headers": headers, "status": {"code": 200, "message": "OK"}, "url": uri},
    }


PASSWORD_GRANT = "grant_type=password&password=<PASSWORD>&username=<USERNAME>"
SEARCH = {"q": QUERY, "restrict_sr": False, "sort": "new", "syntax": "lucene"}


def cassette() -> dict:
    first = [
        token(0, PASSWORD_GRANT),
        get(0, "message/mentions", {"limit": 100}, listing([M1])),
        get(0, "r/aerolume/new", {"limit": 100}, listing([S2, S1])),
        get(0, "r/aerolume/comments/", {"limit": 100}, listing([C2, C1])),
        # One page only on first sight, although Reddit offers more.
        get(0, "r/all/search/", {**SEARCH, "t": "week", "limit": 100},
            listing([R1, R2, S1], after="t3_1p2a01")),
    ]
    second = [
        token(60, PASSWORD_GRANT),
        get(60, "message/mentions", {"limit": 100}, listing([M2, M1])),
        get(60, "r/aerolume/new", {"limit": 100}, listing([S2, S1])),
        get(60, "r/aerolume/comments/", {"limit": 100}, listing([C3, C2, C1])),
        get(60, "r/all/search/", {**SEARCH, "t": "day", "limit": 100},
            listing([R5, R4, R3], after="t3_1p2b03")),
        # R6 was indexed late: older than R1, newer than what search looks back to.
        get(60, "r/all/search/", {**SEARCH, "t": "day", "limit": 100, "after": "t3_1p2b03"},
            listing([R1, R6, R2], after="t3_1p2b02")),
    ]
    return {"interactions": first + second, "recorded_at": NOW.strftime("%Y-%m-%dT%H:%M:%S"),
            "version": 1}


def _recorded_body(name: str, index: int = -1) -> str:
    return _load(name)["interactions"][index]["response"]["body"]["string"]


def archive_lines() -> list[str]:
    """A saved archive: listings as Reddit sent them (recorded by praw, placeholders left as
    they are), one per line, with a line cut short and a line that is no listing."""
    new_posts = _recorded_body("TestSubredditListings.test_new.json")
    return [
        new_posts,  # line 1: 100 posts from r/AskReddit
        _recorded_body("TestSubredditListings.test_comments.json"),  # line 2: 100 comments
        new_posts[:300],  # line 3: cut short
        "",  # line 4: blank
        _recorded_body("TestInbox.test_mention__refresh.json"),  # line 5: [post, comment]
        json.dumps(listing([R4, M2, {"kind": "more", "data": {  # line 6: Aerolume, and a stub
            "count": 3, "name": "t1__", "id": "_", "children": ["nq1z01"]}}]),
            ensure_ascii=False),
        '{"kind": "Listing", "data": {"children": "none"}}',  # line 7: no listing
    ]


if __name__ == "__main__":
    (HERE / "aerolume.json").write_text(
        json.dumps(cassette(), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        encoding="utf-8")
    (HERE / "archive.jsonl").write_text("\n".join(archive_lines()) + "\n",
                                                 encoding="utf-8")
