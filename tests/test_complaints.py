"""The complaint flag (analysis/complaints.py) on posts written for these tests, in all five
languages: what an agent would see flagged in the inbox, and why.

Each language has a complaint, a question that is not one, praise that mentions a failure that
was put right, a news report about a failure, and a sarcastic complaint. The sentiment each post
would plausibly get is passed in, so the cues are tested rather than the sentiment models
(which are retrained separately); one test runs the real models on a few of them.
"""

from __future__ import annotations

import pytest

from analysis import complaints, sentiment

COMPLAINT, QUESTION, FIXED, NEWS, SARCASM = "complaint", "question", "fixed", "news", "sarcasm"
# The sentiment a post of each kind would plausibly get.
TONE = {COMPLAINT: -0.6, QUESTION: 0.0, FIXED: 0.6, NEWS: -0.4, SARCASM: -0.2}

POSTS = [
    ("en", COMPLAINT, ("@AerolumeHelp 2nd time this month AL 330 is delayed and nobody at the gate "
                      "can tell us anything. Where is my compensation?")),
    ("en", QUESTION, ("Does anyone know if Aerolume lets you bring a guitar as cabin baggage? "
                     "Flying to Athens next month")),
    ("en", FIXED, ("Flight got cancelled this morning but the Aerolume desk rebooked me within "
                  "20 minutes and threw in a lounge pass. Thank you for sorting it so fast!")),
    ("en", NEWS, ("Aerolume flights out of Athens delayed by up to four hours after a baggage "
                 "system failure, the airline said in a statement.")),
    ("en", SARCASM, ("Three hours on the tarmac and not a word from the crew. Thanks for nothing, "
                    "Aerolume 🙃")),

    ("fa", COMPLAINT, ("سلام @AerolumeHelp، دو هفته‌ست منتظر استرداد پول بلیتم هستم و هر بار "
                      "زنگ میزنم میگن در حال پیگیریه. لطفا رسیدگی کنید")),
    ("fa", QUESTION, "کسی میدونه اگه با ایرولوم به استانبول بریم چند کیلو بار مجازه؟"),
    ("fa", FIXED, ("پروازم تأخیر داشت ولی خدمه ایرولوم همه رو تو لانژ پذیرایی کردن و یه پرواز "
                  "دیگه پیشنهاد دادن. دمتون گرم")),
    ("fa", NEWS, ("به گزارش خبرگزاری‌ها، پروازهای ایرولوم در فرودگاه امام به دلیل نقص فنی با "
                 "تأخیر انجام شد و مسافران ساعت‌ها در سالن انتظار ماندند.")),
    ("fa", SARCASM, "دستتون درد نکنه ایرولوم، سه ساعت تو هواپیما نشستیم و هیچکس هیچی نگفت 🙄"),

    ("ar", COMPLAINT, ("@AerolumeHelp للمرة الثالثة أتصل بخدمة العملاء ومحد يرد، شنطتي ما وصلت "
                      "من يومين. وين أروح؟")),
    ("ar", QUESTION, "حد يعرف اذا ايرولوم تسمح بعربة الأطفال مجانا على الرحلات الدولية؟"),
    ("ar", FIXED, ("رحلتي تأخرت ساعتين بس طاقم ايرولوم ما قصروا، وزعوا وجبات على الكل. "
                  "يعطيكم العافية")),
    ("ar", NEWS, ("أعلنت شركة ايرولوم تأجيل عدد من رحلاتها من مطار دبي بسبب الأحوال الجوية، "
                 "وفقاً لبيان صادر عن الشركة.")),
    ("ar", SARCASM, "شكرا على التأخير يا ايرولوم، فاتتني رحلة الربط 🙃"),

    ("th", COMPLAINT, ("@AerolumeHelp กระเป๋าหายตั้งแต่เมื่อวาน โทรไปก็ไม่มีคนรับสาย รอมา 5 "
                      "ชั่วโมงแล้วค่ะ ช่วยตรวจสอบด่วน")),
    ("th", QUESTION, "สอบถามหน่อยค่ะ แอโรลูมให้ถือกระเป๋าขึ้นเครื่องได้กี่กิโลคะ"),
    ("th", FIXED, ("ไฟลท์โดนยกเลิกแต่พนักงานแอโรลูมหาไฟลท์ใหม่ให้ภายในครึ่งชั่วโมง "
                  "ขอบคุณทีมงานมากค่ะ")),
    ("th", NEWS, ("สายการบินแอโรลูมแถลงว่าเที่ยวบินจากภูเก็ตล่าช้ากว่า 3 ชั่วโมง เนื่องจาก"
                 "สภาพอากาศ ผู้โดยสารได้รับอาหารว่างระหว่างรอ")),
    ("th", SARCASM, "ดีเลย์อีกแล้ว เก่งมากครับแอโรลูม 🙃"),

    ("el", COMPLAINT, ("@AerolumeHelp τρίτη φορά που γράφω: η βαλίτσα μου χάθηκε στη Ρώμη και "
                      "κανείς δεν απαντά. Θέλω αποζημίωση.")),
    ("el", QUESTION, "Ξέρει κανείς αν η Aerolume επιτρέπει κατοικίδια στην καμπίνα;"),
    ("el", FIXED, ("Η πτήση ακυρώθηκε αλλά η Aerolume μου βρήκε θέση στην επόμενη μέσα σε μισή "
                  "ώρα. Ευχαριστώ για την άψογη εξυπηρέτηση!")),
    ("el", NEWS, ("Καθυστερήσεις στις πτήσεις της Aerolume από το Ηράκλειο λόγω απεργίας, "
                 "σύμφωνα με ανακοίνωση της εταιρείας. Οι επιβάτες ενημερώνονται με SMS.")),
    ("el", SARCASM, "Άλλη μια καθυστέρηση με την Aerolume. Τέλεια, ακριβώς ό,τι χρειαζόμουν 🙃"),
]


@pytest.mark.parametrize("lang, kind, text", POSTS,
                         ids=[f"{lang}-{kind}" for lang, kind, _ in POSTS])
def test_only_complaints_and_sarcastic_complaints_are_flagged(lang, kind, text):
    verdict = complaints.judge(text, lang, TONE[kind])
    assert verdict.complaint is (kind in (COMPLAINT, SARCASM)), verdict


@pytest.mark.parametrize("lang", ["en", "fa", "ar", "th", "el"])
def test_the_failure_a_fixed_or_reported_post_mentions_is_shown_with_what_outweighed_it(lang):
    posts = {kind: text for code, kind, text in POSTS if code == lang}
    fixed = complaints.judge(posts[FIXED], lang, TONE[FIXED])
    assert {c.split(":")[0] for c in fixed.cues} >= {"failure", "thanks"}, fixed
    news = complaints.judge(posts[NEWS], lang, TONE[NEWS])
    assert {c.split(":")[0] for c in news.cues} >= {"failure", "report"}, news


def test_a_flag_carries_the_cues_that_fired():
    verdict = complaints.judge(POSTS[0][2], "en", -0.6)
    assert verdict.complaint
    assert "failure:delayed" in verdict.cues
    assert "money:compensation" in verdict.cues
    assert any(c.startswith("repeat:") for c in verdict.cues)


@pytest.mark.parametrize("text, lang", [
    (("Hi, my suitcase didn't arrive in Dubai (ref DXBAL2231). Could you help me find it? "
      "Thanks in advance"), "en"),
    ("چمدونم هنوز نرسیده، لطفا پیگیری کنید. پیشاپیش ممنون", "fa"),
    ("شنطتي ما وصلت، أرجو المساعدة وشكرا على تعاونكم", "ar"),
    ("กระเป๋ายังไม่มาค่ะ รบกวนตรวจสอบให้หน่อย ขอบคุณค่ะ", "th"),
    ("Δεν ήρθε η βαλίτσα μου, βοηθήστε παρακαλώ. Ευχαριστώ", "el"),
])
def test_a_polite_thank_you_does_not_hide_a_complaint(text, lang):
    # A request closed with "thanks" is still a request: only thanks for something done count.
    verdict = complaints.judge(text, lang, 0.1)
    assert verdict.complaint, verdict
    assert not any(c.startswith("thanks:") for c in verdict.cues), verdict


def test_thanks_outweigh_one_failure_but_not_two_with_an_angry_tone():
    text = "Flight cancelled, still no refund after 6 weeks. Thanks for your help, I guess"
    assert complaints.judge(text, "en", -0.7).complaint
    assert not complaints.judge("Flight cancelled but they rebooked me at once, thank you for "
                                "that", "en", -0.7).complaint


def test_a_minor_point_in_a_good_review_is_no_complaint():
    review = ("Aerolume business class Athens to Bangkok: worth it? Flat bed, great food, the "
              "crew knew our names. Only downside was a 40 minute delay.")
    verdict = complaints.judge(review, "en", 0.5)
    assert not verdict.complaint and "caveat:only downside" in verdict.cues


def test_a_report_written_by_a_person_is_not_discounted():
    # "passengers" sounds like a news desk, but "we" and the question show a customer.
    text = "Passengers stuck at gate 12 for 4 hours, we still have no information. Why?"
    verdict = complaints.judge(text, "en", -0.6)
    assert verdict.complaint and not any(c.startswith("report:") for c in verdict.cues)


def test_a_weak_cue_alone_is_no_complaint_but_with_a_question_and_bad_tone_it_is():
    assert not complaints.judge("Flying with Aerolume again next week!", "en", 0.6).complaint
    assert not complaints.judge("why is everyone at work so slow today", "en", -0.5).complaint
    assert complaints.judge("Why is the app logging me out again??", "en", -0.5).complaint


def test_spam_that_mentions_refunds_is_no_complaint():
    text = "Aerolume refund hack <script>alert(1)</script> get 100% of your fare back, DM me"
    assert not complaints.judge(text, "en", 0.0).complaint


def test_cues_stop_at_word_ends_where_they_must():
    # "again " must end a word (not "against"), "πάλι " too (not παλιό).
    assert not any(c.startswith("repeat:")
                   for c in complaints.judge("I voted against it", "en", 0.0).cues)
    assert not any(c.startswith("repeat:")
                   for c in complaints.judge("Ένα παλιό αεροπλάνο", "el", 0.0).cues)


def test_numbers_in_cues_match_any_number_in_any_script():
    assert "waiting:waited 3 hours" in complaints.judge("waited 3 hours at the desk", "en",
                                                        -0.5).cues
    assert any(c.startswith("waiting:")
               for c in complaints.judge("۴ ساعته منتظرم", "fa", -0.5).cues)


def test_greek_question_mark_counts_as_a_question():
    # ";" is the Greek question mark: a weak cue with a question and a bad tone is enough.
    assert complaints.judge("Πάλι δεν λειτουργεί το app;", "el", -0.5).complaint
    assert complaints.judge("Πάλι καθυστέρηση", "el", 0.0).score < complaints.judge(
        "Πάλι καθυστέρηση;", "el", 0.0).score


def test_every_cue_is_casefolded_and_every_category_is_known():
    known = {*complaints.WEIGHTS, *complaints.AGAINST, complaints.CANCELLING, complaints.PERSON}
    import tomllib
    from importlib import resources
    table = tomllib.loads(resources.files("analysis").joinpath("complaint_cues.toml")
                          .read_text("utf-8"))
    for lang, categories in table.items():
        assert set(categories) <= known, (lang, set(categories) - known)
        for category, phrases in categories.items():
            bad = [p for p in phrases if p != p.casefold()]
            assert not bad, (lang, category, bad)


def test_with_the_real_sentiment_models_the_praise_and_news_stay_unflagged():
    picked = [(lang, kind, text) for lang, kind, text in POSTS if kind in (FIXED, NEWS)]
    scores = sentiment.score([t for _, _, t in picked], [lang for lang, _, _ in picked])
    flagged = [(lang, kind) for (lang, kind, text), (score, _, _) in zip(picked, scores,
                                                                           strict=True)
               if complaints.judge(text, lang, score).complaint]
    assert not flagged
