"""The tone check an agent sees before sending, and the promised time a holding reply sets,
in the five languages of the demo, with phrases a native agent would actually write."""

from __future__ import annotations

import dataclasses
import tomllib
from importlib import resources

import pytest

from clamor import templates, tone
from clamor.tone import Finding, check, promised_minutes

LANGUAGES = ("en", "fa", "ar", "th", "el")
LIBRARY = templates.library()
ETA_MINUTES = {"30m": 30, "1h": 60, "2h": 120, "4h": 240, "24h": 1440}
PHRASES = tomllib.loads(
    resources.files("clamor").joinpath("tone_phrases.toml").read_text("utf-8"))
GROUPS = PHRASES["group"]


def _filled(template, eta: str) -> str:
    return templates.fill(template, author="sara_k", agent="Mina", eta=eta, case="C-1042")


def _kinds(text: str, lang: str | None) -> list[tuple[str, str]]:
    return [(f.kind, f.phrase) for f in check(text, lang)]


# ---------------------------------------------------------------- the promise contract

@pytest.mark.parametrize("template", LIBRARY.templates, ids=lambda t: t.id)
def test_every_template_promises_exactly_its_eta(template):
    """A holding reply sent with "2h" sets the case due in 120 minutes; a reply without {eta}
    promises no time at all, so it can never set a due time nobody chose."""
    for key, eta in LIBRARY.eta_choices(template.lang).items():
        text = _filled(template, eta)
        expected = ETA_MINUTES[key] if "{eta}" in template.text else None
        assert promised_minutes(text, template.lang) == expected, (key, text)
        assert promised_minutes(text, None) == expected, (key, text)


@pytest.mark.parametrize("text, lang, minutes", [
    ("We'll get back to you within 2 hours.", "en", 120),
    ("We'll update you within 30 minutes.", "en", 30),
    ("I'll call you back in 1 hour.", "en", 60),
    ("We'll be back to you within an hour.", "en", 60),
    ("You'll hear from us within 24 hours.", "en", 1440),
    ("We'll reply within the next hour.", "en", 60),
    ("Expect an answer in half an hour.", "en", 30),
    ("We'll know more in an hour and a half.", "en", 90),
    ("The refund is issued within 2 days.", "en", 2880),
    ("Our refunds team replies within 2 business days.", "en", None),
    ("We'll update you in 30 minutes and have a full answer within 4 hours.", "en", 30),
    ("So sorry you waited 3 hours at the gate.", "en", None),
    ("ظرف ۲ ساعت آینده بهتون خبر می‌دیم.", "fa", 120),
    ("ظرف یک ساعت آینده خبرتون می‌کنیم.", "fa", 60),
    ("نیم ساعت دیگه باهاتون تماس می‌گیریم.", "fa", 30),
    ("حداکثر تا ۲۴ ساعت آینده پیگیری می‌کنیم.", "fa", 1440),
    ("ظرف 4 ساعت آینده بهتون خبر می‌دیم.", "fa", 240),
    ("سنعود إليك خلال ساعتين.", "ar", 120),
    ("سنتواصل معك خلال ساعة.", "ar", 60),
    ("سنوافيك بالمستجدات خلال ٣٠ دقيقة.", "ar", 30),
    ("نعدك بالرد خلال 4 ساعات.", "ar", 240),
    ("سنعود إليك في غضون 24 ساعة.", "ar", 1440),
    ("سنعود إليك في الساعتين القادمتين.", "ar", 120),
    ("سنرد عليك بعد الساعة 5 مساءً.", "ar", None),
    ("จะติดต่อกลับภายใน 2 ชั่วโมงค่ะ", "th", 120),
    ("จะแจ้งความคืบหน้าภายใน 30 นาทีค่ะ", "th", 30),
    ("จะติดต่อกลับภายในครึ่งชั่วโมงค่ะ", "th", 30),
    ("จะติดต่อกลับภายใน ๒๔ ชั่วโมงค่ะ", "th", 1440),
    ("Θα επικοινωνήσουμε μαζί σας μέσα σε 2 ώρες.", "el", 120),
    ("Θα σας ενημερώσουμε μέσα σε μία ώρα.", "el", 60),
    ("Θα σας απαντήσουμε μέσα σε 30 λεπτά.", "el", 30),
    ("Θα σας ενημερώσουμε εντός 24 ωρών.", "el", 1440),
    ("Θα σας καλέσουμε σε μισή ώρα.", "el", 30),
    ("Θα σας ενημερώσουμε μέσα στην επόμενη ώρα.", "el", 60),
    ("سنعود إليك خلال الساعة القادمة.", "ar", 60),
    ("سنعود إليك خلال الـ 24 ساعة القادمة.", "ar", 1440),
    # a unit that is not a promise: office hours, a clock time, "during the day"
    ("Θα σας καλέσουμε σε ώρα γραφείου.", "el", None),
    ("Please be at the gate in the hour before departure.", "en", None),
    ("تا ساعت ۵ عصر منتظر تماس ما باشید.", "fa", None),
    ("سنعود إليك خلال اليوم.", "ar", None),
    ("จะติดต่อกลับในวันที่ 5 ค่ะ", "th", None),
])
def test_promised_minutes_reads_the_time_as_agents_write_it(text, lang, minutes):
    assert promised_minutes(text, lang) == minutes


def test_promised_minutes_without_a_language_reads_every_language():
    assert promised_minutes("خلال ساعتين", None) == 120
    assert promised_minutes("μέσα σε 2 ώρες", "de") == 120


# ---------------------------------------------------------------- blaming and curt phrases

REAL_PHRASES = [
    # (lang, a sentence an impatient agent might send, kind, the span the agent is shown)
    ("en", "Our policy says refunds only go back to the original card.", "blaming",
     "Our policy says"),
    ("en", "As I already said, the flight was cancelled because of the weather.", "curt",
     "As I already said"),
    ("en", "As stated in our terms, seat selection is not guaranteed.", "curt", "As stated"),
    ("en", "You must bring your boarding pass to the transfer desk.", "curt", "You must"),
    ("en", "You should have checked in online before coming to the airport.", "blaming",
     "You should have"),
    ("en", "You need to read the baggage rules before you fly.", "blaming", "You need to read"),
    ("en", "Unfortunately there is nothing we can do about the delay.", "curt",
     "Unfortunately there is nothing"),
    ("en", "Please calm down, we are trying to help.", "curt", "calm down"),
    ("en", "Per my last message, your refund is being processed.", "curt",
     "Per my last message"),
    ("en", "It’s not our fault that the airport closed.", "blaming", "It’s not our fault"),
    ("en", "That's not our problem, please contact your travel agent.", "blaming",
     "That's not our problem"),
    ("fa", "طبق قوانین ما، هزینه‌ی بار اضافه فقط در فرودگاه پرداخت می‌شه.", "blaming",
     "طبق قوانین ما"),
    ("fa", "همانطور که قبلاً گفتم، پرواز به خاطر شرایط جوی لغو شده.", "curt",
     "همانطور که قبلاً گفتم"),
    ("fa", "همونطور که قبلاً گفتم پرواز لغو شده.", "curt", "همونطور که قبلاً گفتم"),
    ("fa", "شما باید دو ساعت قبل از پرواز فرودگاه باشید.", "curt", "شما باید"),
    ("fa", "تقصیر ما نیست که فرودگاه بسته شد.", "blaming", "تقصیر ما نیست"),
    ("fa", "باید زودتر چک‌این می‌کردید.", "blaming", "باید زودتر"),
    ("fa", "متأسفانه کاری از دست ما برنمیاد.", "curt", "متأسفانه کاری از دست ما برنمیاد"),
    ("fa", "لطفاً آروم باشید، داریم بررسی می‌کنیم.", "curt", "آروم باشید"),
    # typed on an Arabic keyboard: ي and ك instead of ی and ک
    ("fa", "طبق قوانين ما امكان استرداد وجود ندارد.", "blaming", "طبق قوانين ما"),
    ("ar", "حسب سياستنا، لا يمكن استرداد قيمة التذكرة.", "blaming", "حسب سياستنا"),
    ("ar", "وحسب سياستنا لا يمكن تغيير الاسم.", "blaming", "حسب سياستنا"),
    ("ar", "كما ذكرت سابقاً، تم إلغاء الرحلة بسبب الطقس.", "curt", "كما ذكرت سابقاً"),
    ("ar", "كما ذكرت سابقا تم إلغاء الرحلة.", "curt", "كما ذكرت سابقا"),
    ("ar", "يجب عليك الحضور إلى المطار قبل موعد الرحلة بثلاث ساعات.", "curt", "يجب عليك"),
    ("ar", "هذه ليست مشكلتنا، يرجى التواصل مع وكيل السفر.", "blaming", "هذه ليست مشكلتنا"),
    ("ar", "كان عليك قراءة الشروط قبل الحجز.", "blaming", "كان عليك"),
    ("ar", "للأسف لا يمكننا فعل شيء بخصوص التأخير.", "curt", "لا يمكننا فعل شيء"),
    ("ar", "اهدأ من فضلك، نحن نحاول المساعدة.", "curt", "اهدأ"),
    ("th", "ตามนโยบายของเรา ไม่สามารถคืนเงินค่าตั๋วได้ค่ะ", "blaming", "ตามนโยบายของเรา"),
    ("th", "อย่างที่แจ้งไปแล้ว เที่ยวบินถูกยกเลิกเพราะสภาพอากาศค่ะ", "curt", "อย่างที่แจ้งไปแล้ว"),
    ("th", "คุณต้องไปติดต่อที่เคาน์เตอร์ด้วยตัวเองค่ะ", "curt", "คุณต้อง"),
    ("th", "ไม่ใช่ความผิดของทางเรานะคะ สนามบินปิดเองค่ะ", "blaming", "ไม่ใช่ความผิดของทางเรา"),
    ("th", "คุณควรจะเช็คอินออนไลน์ก่อนมาสนามบินค่ะ", "blaming", "คุณควรจะ"),
    ("th", "ใจเย็นๆ ก่อนนะคะ เรากำลังตรวจสอบอยู่", "curt", "ใจเย็นๆ"),
    ("th", "ต้องขออภัยค่ะ ทางเราช่วยอะไรไม่ได้แล้ว", "curt", "ช่วยอะไรไม่ได้"),
    ("el", "Σύμφωνα με την πολιτική μας, δεν επιστρέφονται χρήματα.", "blaming",
     "Σύμφωνα με την πολιτική μας"),
    ("el", "Όπως ήδη σας είπα, η πτήση ακυρώθηκε λόγω καιρού.", "curt", "Όπως ήδη σας είπα"),
    ("el", "ΟΠΩΣ ΗΔΗ ΣΑΣ ΕΙΠΑ, δεν γίνεται.", "curt", "ΟΠΩΣ ΗΔΗ ΣΑΣ ΕΙΠΑ"),
    ("el", "Πρέπει να περιμένετε στην ουρά όπως όλοι.", "curt", "Πρέπει να περιμένετε"),
    ("el", "Δεν φταίμε εμείς που έκλεισε το αεροδρόμιο.", "blaming", "Δεν φταίμε εμείς"),
    ("el", "Έπρεπε να ελέγξετε τα έγγραφά σας πριν την πτήση.", "blaming",
     "Έπρεπε να ελέγξετε"),
    ("el", "Ηρεμήστε, προσπαθούμε να βοηθήσουμε.", "curt", "Ηρεμήστε"),
    ("el", "Δυστυχώς δεν μπορούμε να κάνουμε τίποτα για την καθυστέρηση.", "curt",
     "Δυστυχώς δεν μπορούμε να κάνουμε τίποτα"),
]


@pytest.mark.parametrize("lang, text, kind, phrase", REAL_PHRASES,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(REAL_PHRASES)])
def test_blaming_and_curt_phrases_are_flagged(lang, text, kind, phrase):
    findings = check(text, lang)
    assert (kind, phrase) in [(f.kind, f.phrase) for f in findings]
    assert all(f.advice.strip() for f in findings)
    # The same text is flagged when the reply's language is unknown.
    assert (kind, phrase) in _kinds(text, None)


def test_finding_shows_the_text_as_written():
    # Vowel marks, capitals, accents and the curly apostrophe stay in the span the agent sees.
    assert _kinds("كَمَا ذَكَرْتُ سَابِقًا، الرحلة ملغاة.", "ar") == \
        [("curt", "كَمَا ذَكَرْتُ سَابِقًا")]
    assert _kinds("Σας το είπα: ΣΎΝΤΟΜΑ!", "el") == [("no_time", "ΣΎΝΤΟΜΑ")]
    finding = check("It’s not our fault.", "en")[0]
    assert finding == Finding("blaming", "It’s not our fault", finding.advice)
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.kind = "curt"


def test_each_stretch_of_text_is_flagged_once_in_text_order():
    text = "As I already said, there is nothing we can do. You must wait."
    assert _kinds(text, "en") == [("curt", "As I already said"),
                                  ("curt", "there is nothing we can do"),
                                  ("curt", "You must")]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_library_templates_pass_the_tone_check(lang):
    for template in LIBRARY.for_language(lang):
        for eta in LIBRARY.eta_choices(lang).values():
            text = _filled(template, eta)
            assert check(text, lang) == [], (template.id, text)
            assert check(text, None) == [], (template.id, text)


@pytest.mark.parametrize("lang, text", [
    # empathy and information that contain a flagged phrase but are kind
    ("en", "You must be exhausted after such a long night, I'm so sorry."),
    ("en", "You should have received a confirmation email with your new seat."),
    ("en", "I'm sorry you have to deal with this on your holiday."),
    ("th", "ขออภัยที่คุณต้องรอนานนะคะ"),
    ("th", "หากคุณต้องการความช่วยเหลือเพิ่มเติม ทักมาได้เลยนะคะ"),
    ("th", "ไม่ใช่ความผิดของคุณเลยค่ะ"),
    ("el", "Θα πρέπει να σας ενημερώσουμε ότι η πτήση καθυστερεί."),
    ("el", "Δεν φταίτε εσείς, λυπούμαστε πολύ."),
    ("el", "Πρέπει να νιώθετε πολύ κουρασμένοι, λυπούμαστε."),
    ("fa", "ما باید زودتر بهتون خبر می‌دادیم، عذر می‌خوایم."),
    ("ar", "ليس من مسؤوليتك أن تدفع أي رسوم إضافية."),
])
def test_kind_replies_are_not_flagged(lang, text):
    assert check(text, lang) == []


# ---------------------------------------------------------------- promises with no time

@pytest.mark.parametrize("lang, vague, concrete", [
    ("en", "We'll get back to you soon.", "We'll get back to you within 2 hours."),
    ("en", "We will look into it as soon as possible.",
     "We will look into it and reply in 30 minutes."),
    ("fa", "به زودی بهتون خبر می‌دیم.", "ظرف ۲ ساعت آینده بهتون خبر می‌دیم."),
    ("fa", "در اسرع وقت پیگیری می‌کنیم.", "تا فردا صبح پیگیری می‌کنیم."),
    ("ar", "سنعود إليك قريباً.", "سنعود إليك خلال ساعتين."),
    ("ar", "سنتواصل معك في أقرب وقت.", "سنتواصل معك غداً صباحاً."),
    ("th", "จะติดต่อกลับเร็วๆ นี้ค่ะ", "จะติดต่อกลับภายใน 2 ชั่วโมงค่ะ"),
    ("th", "จะแจ้งให้ทราบโดยเร็วที่สุดค่ะ", "จะแจ้งให้ทราบก่อน 17.00 น. ค่ะ"),
    ("el", "Θα σας ενημερώσουμε σύντομα.", "Θα σας ενημερώσουμε μέσα σε 2 ώρες."),
    ("el", "Θα επικοινωνήσουμε μαζί σας το συντομότερο.",
     "Θα επικοινωνήσουμε μαζί σας αύριο το πρωί."),
])
def test_a_promise_without_a_time_is_flagged(lang, vague, concrete):
    kinds = [f.kind for f in check(vague, lang)]
    assert kinds and set(kinds) == {"no_time"}, check(vague, lang)
    assert check(concrete, lang) == []


@pytest.mark.parametrize("text", [
    "We'll get back to you by 5pm.",
    "We'll get back to you tomorrow morning.",
    "We'll get back to you before 17:00.",
    "We'll be in touch in 30 minutes.",
    "We'll get back to you within 2 business days.",
])
def test_any_concrete_time_makes_the_promise_fine(text):
    assert check(text, "en") == []


def test_persian_and_arabic_letter_variants_match():
    # "قريبا" without tanween, "في اقرب وقت" without hamza: both as commonly typed.
    assert _kinds("سنعود اليك قريبا", "ar") == [("no_time", "سنعود اليك"), ("no_time", "قريبا")]
    assert _kinds("في اقرب وقت", "ar") == [("no_time", "في اقرب وقت")]
    # Persian half-space, or none at all.
    assert _kinds("به‌زودی خبرتون می‌کنیم", "fa") == [("no_time", "به‌زودی"),
                                                     ("no_time", "خبرتون می‌کنیم")]


def test_unknown_language_checks_every_language():
    for lang in (None, "de"):
        assert _kinds("همانطور که قبلاً گفتم", lang) == [("curt", "همانطور که قبلاً گفتم")]
        assert _kinds("ตามนโยบายของเรา", lang) == [("blaming", "ตามนโยบายของเรา")]
    # A Persian reply still gets the English phrases an agent mixes in.
    assert _kinds("ASAP پیگیری می‌کنیم", "fa") == [("no_time", "ASAP"),
                                                   ("no_time", "پیگیری می‌کنیم")]


# ---------------------------------------------------------------- the phrase file

def test_phrase_file_covers_five_languages_and_every_group():
    assert set(PHRASES) - {"group"} == set(LANGUAGES)
    for name, group in GROUPS.items():
        assert group["kind"] in tone.KINDS, name
        assert group["advice"].strip().endswith("."), name
    for lang in LANGUAGES:
        assert set(PHRASES[lang]) == set(GROUPS) | {"ignore", "time"}, lang
        assert all(PHRASES[lang][name] for name in GROUPS), lang


def _phrase_cases():
    for lang in LANGUAGES:
        for name in GROUPS:
            for phrase in PHRASES[lang][name]:
                yield lang, name, phrase


@pytest.mark.parametrize("lang, group, phrase", list(_phrase_cases()))
def test_every_listed_phrase_is_found_as_written(lang, group, phrase):
    written = phrase.replace("*", "")
    assert _kinds(written, lang) == [(GROUPS[group]["kind"], written)]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_time_words_make_a_vague_promise_concrete(lang):
    vague = PHRASES[lang]["vague"][0]
    for word in PHRASES[lang]["time"]:
        assert check(f"{vague} {word}", lang) == [], word


@pytest.mark.parametrize("lang", LANGUAGES)
def test_ignored_wordings_are_not_flagged(lang):
    for wording in PHRASES[lang]["ignore"]:
        assert check(wording, lang) == [], wording
