"""Writes the hand-made X API v2 cassettes and the twarc2 archive in this folder.

The posts are realistic mentions of Aerolume, the demo brand, in English, Persian, Arabic,
Thai and Greek; the answers follow X's documented v2 shapes (data, includes.users,
includes.tweets, meta) and carry the response headers of tweepy's real recording
test_client_search_recent_tweets.yaml (rate limits, content type), with times moved to
November 2026. Request URIs are exactly what collectors.x.XCollector sends for the demo config
(clamor/demo/clamor.toml). Ids are snowflakes made from each post's time, as X's are.

Run it again after changing the posts: `.venv/bin/python tests/cassettes/x/build_cassettes.py`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from urllib.parse import urlencode

import yaml

HERE = Path(__file__).parent
HOST = "https://api.twitter.com"
NOW = dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.timezone.utc)  # tests/conftest.py NOW
EPOCH_MS = 1288834974657
EXPANSIONS = "author_id,referenced_tweets.id,in_reply_to_user_id"
TWEET_FIELDS = ("created_at,author_id,lang,conversation_id,referenced_tweets,"
                "in_reply_to_user_id,public_metrics")
USER_FIELDS = "username,name,public_metrics"
WATCHLIST_QUERY = (
    '(Aerolume OR Αερολούμ OR ایرولوم OR ايرولوم OR إيرولوم OR แอโรลูม OR SkyPoints OR '
    '"Sky Points" OR "اسکای‌پوینت" OR "اسکای پوینت" OR "سكاي بوينتس" OR สกายพอยต์ OR '
    'FlexFare OR "Dana Karimi" OR "دانا کریمی" OR "Nikos Papadakis" OR Παπαδάκης OR '
    'Παπαδάκη OR "Somchai Wongsakul" OR "สมชาย วงศ์สกุล" OR "Layla Haddad" OR "ليلى حداد") '
    '-"Aerolume Lighting" -"Aerolume lamp" -"Aerolume lamps" -"Aerolume desk lamp" '
    '-is:retweet'
)
OWN_QUERY = "(from:AerolumeHelp OR from:Aerolume) -is:retweet"
NEXT_TOKEN = "b26v89c19zqg8o3fr5hd5yilysu8dicfbt46j4snl3yf1"
MENTIONS_NEXT = "7140dibdnow9c7btw423i3sy3u5zupmkcpofxcsmxj48j"


def snowflake(when: dt.datetime, sequence: int) -> str:
    ms = int(when.timestamp() * 1000) - EPOCH_MS
    return str((ms << 22) | (((sequence * 37) % 1024) << 12) | (sequence * 11 % 4096))


def at(hours_ago: float) -> dt.datetime:
    return (NOW - dt.timedelta(hours=hours_ago)).replace(microsecond=0)


def user(uid, username, name, followers, following, tweets, listed, likes):
    return {"id": uid, "name": name, "username": username,
            "public_metrics": {"followers_count": followers, "following_count": following,
                               "tweet_count": tweets, "listed_count": listed,
                               "like_count": likes}}


USERS = {u["username"]: u for u in [
    user("1402227819", "helen_ashby", "Helen Ashby", 488, 301, 5120, 3, 9120),
    user("1184093822917066752", "AerolumeHelp", "Aerolume Help", 48200, 12, 86310, 211, 402),
    user("998877665", "Aerolume", "Aerolume ✈", 312000, 88, 14502, 1240, 3110),
    user("2839140021", "ali_kh1990", "علی خ", 75, 240, 1893, 0, 4410),
    user("1261553001947402241", "khalid_jbr", "خالد الجبر", 88, 150, 970, 0, 1201),
    user("721993004", "art_ekk", "อาร์ต เอก", 95, 410, 12044, 1, 30223),
    user("1490332017718345728", "giorgos_mp", "Γιώργος Μπ.", 188, 260, 2211, 2, 5310),
    user("15567188", "sophiejtravels", "Sophie J 🌍", 61200, 980, 22830, 402, 41222),
    user("3302114587", "reza_m", "رضا م", 312, 501, 8840, 4, 12000),
    user("1100452277600935936", "tomwhitfield_", "Tom Whitfield", 842, 377, 6630, 9, 8801),
    user("1577701122334455667", "nour_travels", "نور | Nour", 2304, 611, 4420, 18, 15320),
    user("18839202", "pim_bkk", "Pim ✿", 1210, 820, 30455, 7, 60112),
    user("2210954466", "eleni_ath", "Ελένη Α.", 402, 390, 7310, 3, 9902),
]}


def metrics(retweets=0, replies=0, likes=0, quotes=0, bookmarks=0, impressions=0):
    return {"retweet_count": retweets, "reply_count": replies, "like_count": likes,
            "quote_count": quotes, "bookmark_count": bookmarks,
            "impression_count": impressions}


def post(seq, hours_ago, username, lang, text, *, reply_to=None, conversation=None, **counts):
    when = at(hours_ago)
    pid = snowflake(when, seq)
    tweet = {
        "edit_history_tweet_ids": [pid],
        "id": pid,
        "text": text,
        "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "author_id": USERS[username]["id"],
        "lang": lang,
        "conversation_id": conversation or (reply_to["conversation_id"] if reply_to else pid),
        "public_metrics": metrics(**counts),
    }
    if reply_to is not None:
        tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to["id"]}]
        tweet["in_reply_to_user_id"] = reply_to["author_id"]
    return tweet


# -- the posts -----------------------------------------------------------------------------

HELEN = post(1, 20.5, "helen_ashby", "en",
             "day 9 and still no refund for QX7P2M. the flight was cancelled by Aerolume, not "
             "me. who do I actually talk to? @AerolumeHelp", replies=1, likes=14,
             impressions=2210)
ALI = post(2, 19.9, "ali_kh1990", "fa",
           "پرواز ایرولوم امام به استانبول ۳ ساعت تأخیر داره و هیچ اطلاع‌رسانی نکردن. نه پیامک "
           "نه ایمیل. الان نشستیم دم گیت و هیچکس جوابگو نیست 😤", likes=3, impressions=410)
KHALID = post(3, 18.2, "khalid_jbr", "ar",
              "تأخير ٤ ساعات في مطار الرياض على رحلة ايرولوم لدبي وما أحد كلّف نفسه يعطينا حتى "
              "موية. والله خدمة سيئة", likes=9, impressions=1320)
ART = post(4, 16.0, "art_ekk", "th",
           "ดีเลย์ 3 ชม. ที่สุวรรณภูมิ ไฟลท์แอโรลูมไปดูไบ ไม่มีประกาศอะไรเลย ไม่มีข้าว ไม่มีน้ำ "
           "แย่มาก 😤", likes=5, impressions=644)
ELENI = post(5, 9.5, "eleni_ath", "el",
             "Ευχαριστώ πολύ στον κ. Παπαδάκη στο check-in της Αερολούμ στο Ελ. Βενιζέλος, "
             "μας έβγαλε κάρτες επιβίβασης για όλη την οικογένεια σε 5 λεπτά 🙏",
             likes=22, impressions=1904)
TOM = post(6, 6.1, "tomwhitfield_", "en",
           "Aerolume lost my bag &amp; the app says \u201cdelivered\u201d \U0001f643 "
           "AL 213 LHR\u2192ATH. Bag tag ends 4471 if anyone at Aerolume is reading",
           replies=2, likes=31, impressions=5120)
HASHTAGS = post(7, 5.0, "pim_bkk", "qht", "#Aerolume #SkyPoints", likes=1, impressions=90)
# page 2 of the watchlist search: older posts
SOPHIE = post(8, 30.0, "sophiejtravels", "en",
              "Flew Aerolume business ATH\u2192BKK last night and honestly??\n\nthe crew on "
              "AL 562 were lovely. moussaka at 38,000ft was better than it had any right to be "
              "\U0001f1ec\U0001f1f7\u2708\ufe0f #Aerolume", likes=412, retweets=31, quotes=4,
              bookmarks=12, impressions=80211)
NOUR = post(9, 33.5, "nour_travels", "ar",
            "شكراً ليلى حداد وفريق إيرولوم في مطار دبي، ساعدوني أغيّر رحلتي بدون أي "
            "رسوم \u2764\ufe0f",
            likes=57, impressions=6020)
PIM = post(10, 36.0, "pim_bkk", "th",
           "สะสมสกายพอยต์ครบ 20,000 แต้มแล้ว แลกที่นั่งไปภูเก็ตได้ไหมคะ @AerolumeHelp",
           likes=2, impressions=301)
GIORGOS = post(11, 40.0, "giorgos_mp", "el",
               "Η βαλίτσα μου έμεινε στο Λονδίνο. AL 212, Ελ. Βενιζέλος, 2 ώρες στην ουρά για "
               "να κάνω δήλωση. Αριθμός φακέλου ATHAL52231. @AerolumeHelp καμια ενημερωση;",
               replies=1, likes=6, impressions=880)
REZA = post(12, 21.5, "reza_m", "fa",
            "سلام @AerolumeHelp ، پرواز AL 213 امام\u2013دبی که هفته پیش کنسل شد هنوز پولش "
            "برنگشته. امروز روز نهمه. کد رزرو QX7P2M. به کی باید پیام بدم؟",
            replies=1, likes=2, impressions=390)
# the brand's own answers
HELP_HELEN = post(13, 19.0, "AerolumeHelp", "en",
                  "@helen_ashby Hi Helen, we're really sorry this is taking so long. Refunds for "
                  "flights we cancel should reach you within 7 working days, so this isn't "
                  "right. Could you DM us the booking ref? We'll chase it with our refunds team "
                  "today. ^SR", reply_to=HELEN, likes=1, impressions=310)
HELP_REZA = post(14, 20.0, "AerolumeHelp", "fa",
                 "@reza_m سلام رضا، از تأخیر در بازپرداخت عذرخواهی می\u200cکنیم. لطفاً کد رزرو "
                 "را در پیام خصوصی بفرستید تا همین امروز پیگیری کنیم. ^DK",
                 reply_to=REZA, impressions=120)
ONLY_MEDIA = post(15, 3.0, "Aerolume", "zxx", "https://t.co/Qm3vK8aZ1p", likes=240,
                  retweets=18, impressions=30110)


def includes_for(tweets: list[dict], referenced: list[dict] = ()) -> dict:
    wanted = {t["author_id"] for t in tweets} | {t.get("in_reply_to_user_id") for t in tweets}
    wanted |= {t["author_id"] for t in referenced}
    users = [u for u in USERS.values() if u["id"] in wanted]
    out = {"users": users}
    if referenced:
        out["tweets"] = list(referenced)
    return out


def page(tweets: list[dict], *, next_token=None, referenced=()) -> dict:
    if not tweets:
        return {"meta": {"result_count": 0}}
    ids = sorted((t["id"] for t in tweets), key=int)
    meta = {"newest_id": ids[-1], "oldest_id": ids[0], "result_count": len(tweets)}
    if next_token:
        meta["next_token"] = next_token
    tweets = sorted(tweets, key=lambda t: int(t["id"]), reverse=True)  # X: newest first
    return {"data": tweets, "includes": includes_for(tweets, list(referenced)), "meta": meta}


WATCHLIST_PAGE_1 = page([HELEN, ALI, KHALID, ART, ELENI, TOM, HASHTAGS], next_token=NEXT_TOKEN)
WATCHLIST_PAGE_2 = page([SOPHIE, NOUR, PIM])
OWN_PAGE = page([HELP_HELEN, HELP_REZA, ONLY_MEDIA], referenced=[HELEN, REZA])
HELP_MENTIONS_1 = page([HELEN, REZA], next_token=MENTIONS_NEXT)
HELP_MENTIONS_2 = page([GIORGOS, PIM])
EMPTY = page([])


def newest(*pages: dict) -> str:
    return str(max(int(p["meta"]["newest_id"]) for p in pages if "newest_id" in p["meta"]))


# -- HTTP ----------------------------------------------------------------------------------

_real = yaml.load((HERE / "test_client_search_recent_tweets.yaml").read_text(),
                  Loader=yaml.SafeLoader)
REAL_HEADERS = _real["interactions"][0]["response"]["headers"]
RESET = {"search": 1795184100, "mentions": 1795184040, "users": 1795184070}  # 14:15 UTC-ish
_remaining = {"search": 450, "mentions": 450, "users": 300}


def headers(kind: str, body: bytes, *, remaining: int | None = None) -> dict:
    out = {k: list(v) for k, v in REAL_HEADERS.items()
           if k not in ("set-cookie", "content-encoding", "perf", "x-connection-hash",
                        "x-transaction-id", "content-disposition")}
    if remaining is None:
        _remaining[kind] -= 1
        remaining = _remaining[kind]
    out["content-length"] = [str(len(body))]
    out["date"] = [NOW.strftime("%a, %d %b %Y %H:%M:%S UTC")]
    out["x-rate-limit-limit"] = ["300" if kind == "users" else "450"]
    out["x-rate-limit-remaining"] = [str(remaining)]
    out["x-rate-limit-reset"] = [str(RESET[kind])]
    return out


def encode(body: dict) -> str:
    text = json.dumps(body, ensure_ascii=False, indent=1)
    # YAML reads these as line breaks; JSON may escape them, as X's own encoder does.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def search_uri(query: str, *, since_id=None, next_token=None, max_results=100) -> str:
    params = {"query": query}
    if since_id:
        params["since_id"] = since_id
    if next_token:
        params["next_token"] = next_token
    params |= {"max_results": max_results, "expansions": EXPANSIONS,
               "tweet.fields": TWEET_FIELDS, "user.fields": USER_FIELDS}
    return f"{HOST}/2/tweets/search/recent?{urlencode(params)}"


def mentions_uri(user_id: str, *, since_id=None, token=None, max_results=100) -> str:
    params = {}
    if since_id:
        params["since_id"] = since_id
    if token:
        params["pagination_token"] = token
    params |= {"max_results": max_results, "expansions": EXPANSIONS,
               "tweet.fields": TWEET_FIELDS, "user.fields": USER_FIELDS}
    return f"{HOST}/2/users/{user_id}/mentions?{urlencode(params)}"


def user_uri(username: str) -> str:
    return f"{HOST}/2/users/by/username/{username}"


STATUS_TEXT = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests",
               500: "Internal Server Error", 503: "Service Unavailable"}


def exchange(uri: str, body, *, kind="search", status=200, raw: str | None = None,
             remaining=None) -> dict:
    text = raw if raw is not None else encode(body)
    data = text.encode("utf-8")
    head = headers(kind, data, remaining=remaining)
    return {
        "request": {"body": None, "method": "GET", "uri": uri,
                    "headers": {"Accept": ["*/*"], "Accept-Encoding": ["gzip, deflate"],
                                "User-Agent": ["Python/3.11 Requests/2.32 Tweepy/4.17.0"]}},
        "response": {"status": {"code": status, "message": STATUS_TEXT[status]},
                     "headers": head, "body": {"string": text}},
    }


def problem(status: int, title: str, detail: str, **extra) -> dict:
    return {"title": title, "detail": detail, "type": "about:blank", "status": status, **extra}


def first_fetch() -> list[dict]:
    help_id, brand_id = USERS["AerolumeHelp"]["id"], USERS["Aerolume"]["id"]
    return [
        exchange(search_uri(WATCHLIST_QUERY), WATCHLIST_PAGE_1),
        exchange(search_uri(WATCHLIST_QUERY, next_token=NEXT_TOKEN), WATCHLIST_PAGE_2),
        exchange(search_uri(OWN_QUERY), OWN_PAGE),
        exchange(user_uri("AerolumeHelp"), {"data": {k: USERS["AerolumeHelp"][k]
                                                     for k in ("id", "name", "username")}},
                 kind="users"),
        exchange(mentions_uri(help_id), HELP_MENTIONS_1, kind="mentions"),
        exchange(mentions_uri(help_id, token=MENTIONS_NEXT), HELP_MENTIONS_2, kind="mentions"),
        exchange(user_uri("Aerolume"), {"data": {k: USERS["Aerolume"][k]
                                                 for k in ("id", "name", "username")}},
                 kind="users"),
        exchange(mentions_uri(brand_id), EMPTY, kind="mentions"),
    ]


def second_fetch() -> list[dict]:
    """From the cursor of the first: nothing new anywhere (result_count 0)."""
    help_id, brand_id = USERS["AerolumeHelp"]["id"], USERS["Aerolume"]["id"]
    return [
        exchange(search_uri(WATCHLIST_QUERY,
                            since_id=newest(WATCHLIST_PAGE_1, WATCHLIST_PAGE_2)), EMPTY),
        exchange(search_uri(OWN_QUERY, since_id=newest(OWN_PAGE)), EMPTY),
        exchange(mentions_uri(help_id, since_id=newest(HELP_MENTIONS_1, HELP_MENTIONS_2)),
                 EMPTY, kind="mentions"),
        exchange(mentions_uri(brand_id), EMPTY, kind="mentions"),  # nothing seen yet: no since
    ]


def write(name: str, interactions: list[dict]) -> None:
    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper, value):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    document = {"interactions": interactions, "version": 1}
    (HERE / name).write_text(
        yaml.dump(document, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8",
    )


def main() -> None:
    global _remaining
    start = dict(_remaining)
    write("aerolume_run.yaml", first_fetch() + second_fetch())

    _remaining = dict(start)
    write("aerolume_budget.yaml", [
        exchange(search_uri(WATCHLIST_QUERY, max_results=10), WATCHLIST_PAGE_1),
    ])

    _remaining = dict(start)
    limited = problem(429, "Too Many Requests", "Too Many Requests")
    write("fault_429.yaml", [
        exchange(search_uri(WATCHLIST_QUERY), WATCHLIST_PAGE_1),
        exchange(search_uri(WATCHLIST_QUERY, next_token=NEXT_TOKEN), limited, status=429,
                 remaining=0),
    ])

    _remaining = dict(start)
    write("fault_500_then_ok.yaml", [
        exchange(search_uri(WATCHLIST_QUERY), {"errors": [{"message": "Internal error",
                                                           "code": 131}]}, status=500),
        *first_fetch(),
    ])

    _remaining = dict(start)
    unavailable = problem(503, "Service Unavailable", "Service Unavailable")
    write("fault_503.yaml", [exchange(search_uri(WATCHLIST_QUERY), unavailable, status=503)
                             for _ in range(4)])

    _remaining = dict(start)
    write("fault_401.yaml", [exchange(search_uri(WATCHLIST_QUERY),
                                      problem(401, "Unauthorized", "Unauthorized"),
                                      status=401)])
    write("fault_403.yaml", [exchange(search_uri(WATCHLIST_QUERY), {
        "client_id": "28118402", "detail": "When authenticating requests to the Twitter API v2 "
        "endpoints, you must use keys and tokens from a Twitter developer App that is attached "
        "to a Project. You can create a project via the developer portal.",
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "title": "Client Forbidden", "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled",
        "type": "https://api.twitter.com/2/problems/client-forbidden"}, status=403)])

    # A 200 whose body is an error page from something between us and X.
    html = ("<!DOCTYPE html>\n<html><head><title>X / Error</title></head>\n<body><p>Something "
            "went wrong, but don\u2019t fret \u2014 let\u2019s give it another shot.</p>"
            "</body></html>\n")
    _remaining = dict(start)
    write("fault_not_json_after_ok.yaml", [
        *first_fetch(),
        exchange(search_uri(WATCHLIST_QUERY,
                            since_id=newest(WATCHLIST_PAGE_1, WATCHLIST_PAGE_2)), None, raw=html),
    ])
    full = encode(WATCHLIST_PAGE_1)
    cut = full[: int(len(full) * 0.6)]
    _remaining = dict(start)
    write("fault_truncated.yaml", [exchange(search_uri(WATCHLIST_QUERY), None, raw=cut)])
    no_meta = {"data": WATCHLIST_PAGE_1["data"], "includes": WATCHLIST_PAGE_1["includes"]}
    write("fault_no_meta.yaml", [exchange(search_uri(WATCHLIST_QUERY), no_meta)])

    # twarc2's output: one API answer per line, with its __twarc provenance.
    lines = []
    for number, (body, url) in enumerate([
        (WATCHLIST_PAGE_1, search_uri(WATCHLIST_QUERY)),
        (WATCHLIST_PAGE_2, search_uri(WATCHLIST_QUERY, next_token=NEXT_TOKEN)),
        (OWN_PAGE, search_uri(OWN_QUERY)),
        (HELP_MENTIONS_1, mentions_uri(USERS["AerolumeHelp"]["id"])),
        (EMPTY, mentions_uri(USERS["Aerolume"]["id"])),
    ]):
        stamped = copy.deepcopy(body)
        stamped["__twarc"] = {"url": url, "version": "2.14.0",
                              "retrieved_at": (NOW + dt.timedelta(seconds=number)).isoformat()}
        lines.append(json.dumps(stamped, ensure_ascii=False))
    lines.insert(3, '{"data": [{"id": "1991', )  # a line cut short when the disk filled up
    lines.append(json.dumps(limited))  # twarc2 wrote an error answer
    lines.append(json.dumps(page([HELP_MENTIONS_2["data"][0]]), ensure_ascii=False))
    (HERE / "archive_twarc2.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
