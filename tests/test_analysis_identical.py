"""Speed work on the analysis pass changes no result: the language, sentiment, complaint
verdict and search words of every text of the demo stream and of the shared evaluation sets
(all five languages) are what they were when tests/reference/analysis_reference.json.gz was
recorded (tests/analysis_reference.py), and the complaint judge and Clamor's VADER agree,
cue for cue and float for float, with the straightforward implementations they replaced
(kept below as references) on thousands of generated texts built from the cues, VADER's
lexicon and its special words."""

from __future__ import annotations

import copy
import gzip
import json
import random
import re
import tomllib
import unicodedata
from functools import lru_cache
from importlib import resources

import pytest

from analysis import complaints, sentiment
from collectors.matching import normalise
from tests import analysis_reference

# -- the recorded outputs ------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded():
    with gzip.open(analysis_reference.FIXTURE, "rt", encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def corpora():
    return analysis_reference.corpora()


def test_every_recorded_corpus_is_checked(recorded, corpora):
    demo = {f"demo_{lang}" for lang in analysis_reference.LANGS}
    assert demo <= set(corpora)
    missing = set(recorded) - set(corpora)
    if missing:
        pytest.skip(f"the shared evaluation data is not here: {sorted(missing)} unchecked")


@pytest.mark.parametrize("name", ["demo_en", "demo_fa", "demo_ar", "demo_th", "demo_el",
                                  *[n for n, _, _ in analysis_reference.EVAL_FILES]])
def test_results_are_the_recorded_ones(name, recorded, corpora):
    if name not in corpora:
        pytest.skip("the shared evaluation data is not here")
    lang, texts = corpora[name]
    expected = recorded[name]
    assert len(expected) == len(texts)
    got = analysis_reference.outputs(lang, texts)
    differing = [(i, texts[i][:80], e, g)
                 for i, (e, g) in enumerate(zip(expected, got, strict=True)) if e != g]
    assert not differing, f"{len(differing)} of {len(texts)} differ, e.g. {differing[:3]}"


# -- the complaint judge against its reference ----------------------------------------------
# What analysis/complaints.py did before the cues were prefiltered: every category's pattern
# scanned over every text. Kept verbatim (but for names) as the reference.

_PERSON = "person"


@lru_cache(maxsize=1)
def _reference_cues():
    text = resources.files("analysis").joinpath("complaint_cues.toml").read_text("utf-8")
    table = tomllib.loads(text)
    out = {}
    for lang, categories in table.items():
        out[lang] = {}
        for category, phrases in categories.items():
            forms = sorted({normalise(c) for c in phrases}, key=len, reverse=True)
            anywhere = [_cue_regex(c) for c in forms if _starts_anywhere(c, lang)]
            at_word = [_cue_regex(c, whole=category == _PERSON) for c in forms
                       if not _starts_anywhere(c, lang)]
            clitic = "[وف]?" if lang == "ar" else ""
            parts = ([rf"(?<![^\W_]){clitic}(?:{'|'.join(at_word)})"] if at_word else []) \
                + anywhere
            out[lang][category] = (re.compile("|".join(parts)),) if parts else ()
    return out


def _starts_anywhere(cue, lang):
    return lang == "th" or not cue.strip()[:1].isalnum()


def _cue_regex(cue, whole=False):
    body = r"\s+".join(r"\d+(?:[.,]\d+)?".join(re.escape(part) for part in word.split("#"))
                       for word in cue.split())
    end = r"(?![^\W_])" if whole or cue.endswith(" ") else ""
    return f"{body}{end}"


def reference_judge(text, lang, sentiment_value, own=False):
    c = complaints
    if own:
        return complaints.Verdict(False, 0.0, ())
    norm = normalise(text)
    table = _reference_cues()
    lexicons = [table.get(lang or "", {})]
    if lang != "en":
        lexicons.append(table.get("en", {}))
    lexicons.append(table.get("any", {}))
    categories = [*c.WEIGHTS, *c.AGAINST, c.CANCELLING]
    matches = [(m.start(), m.end(), category, m.group(0))
               for category in categories for lex in lexicons
               for p in lex.get(category, ()) for m in p.finditer(norm)]
    kept = [m for m in matches
            if not any(o[2] != m[2] and o[0] <= m[0] and m[1] <= o[1]
                       and o[1] - o[0] > m[1] - m[0] for o in matches)]
    first = {}
    for _, _, category, found in sorted(kept, key=lambda m: (m[0], -m[1])):
        first.setdefault(category, found)
    question = c._is_question(text, lang)
    total = sum(c.WEIGHTS[k] for k in c.WEIGHTS if k in first)
    if total and sentiment_value is not None and sentiment_value <= c.NEGATIVE_TONE_AT:
        total += c.NEGATIVE_TONE
    if total and question:
        total += c.QUESTION
    against = []
    if "thanks" in first and "sarcasm" not in first:
        total -= c.AGAINST["thanks"]
        if sentiment_value is None or sentiment_value > c.NEGATIVE_TONE_AT:
            total -= c.THANKS_NOT_NEGATIVE
        against.append("thanks")
    for category in ("caveat", "inquiry", "advice"):
        if category in first:
            total -= c.AGAINST[category]
            against.append(category)
    personal = any(p.search(norm) for lex in lexicons for p in lex.get(_PERSON, ()))
    if "report" in first and not question and "@" not in text and not personal:
        total -= c.AGAINST["report"]
        against.append("report")
    if "spam" in first:
        total -= c.AGAINST["spam"]
        against.append("spam")
    total = round(min(max(total, 0.0), 1.0), 3)
    found = [f"{k}:{first[k]}" for k in c.WEIGHTS if k in first]
    found += [f"{k}:{first[k]}" for k in against]
    return complaints.Verdict(total >= c.THRESHOLD, total, tuple(found))


LANGS = ("en", "fa", "ar", "th", "el")
FILLERS = {
    "en": "the a my flight bag today again, really ok so and at gate help".split(),
    "fa": "پرواز من امروز و یه کیف خیلی چرا".split(),
    "ar": "الرحلة انا اليوم و في شنطتي مطار".split(),
    "th": "เที่ยวบิน วันนี้ กระเป๋า ค่ะ ครับ มาก".split(),
    "el": "η πτήση μου σήμερα και το πάλι".split(),
}
JOINS = [" ", " ", " ", "", ", ", "! ", "? ", ". ", "\n", " 3 ", " 12,5 ", "_", "و", "ف", "’",
         "; ", " ;", "🙃", "😡", " @Aerolume ", "#"]


def _phrases():
    table = tomllib.loads(resources.files("analysis").joinpath("complaint_cues.toml")
                          .read_text("utf-8"))
    out = {}
    for lang, categories in table.items():
        out[lang] = [c.replace("#", str(random.Random(len(c)).randint(1, 99)))
                     for cues in categories.values() for c in cues]
    return out


def generated_posts(count: int, seed: int = 7):
    """(text, lang) built from the cues of the text's language, English and "any", cut,
    glued and spelt in several ways (capitals, accents, Arabic letter variants)."""
    rng = random.Random(seed)
    phrases = _phrases()
    spell = str.maketrans({"ی": "ي", "ک": "ك", "ه": "ة", "ا": "أ"})
    for _ in range(count):
        lang = rng.choice(LANGS)
        pool = phrases.get(lang, []) * 3 + phrases["en"] + phrases["any"] + FILLERS[lang] * 4
        parts = []
        for _ in range(rng.randint(1, 7)):
            p = rng.choice(pool)
            r = rng.random()
            if r < 0.1:
                p = p.upper()
            elif r < 0.15:
                p = p[: rng.randint(1, max(1, len(p)))]
            elif r < 0.2 and lang in ("fa", "ar"):
                p = p.translate(spell)
            elif r < 0.25 and lang == "el":
                p = unicodedata.normalize("NFC", p.replace("α", "ά").replace("ε", "έ"))
            elif r < 0.3:
                p = p + p[-2:]
            parts.append(p)
            parts.append(rng.choice(JOINS))
        yield "".join(parts), lang


def test_the_complaint_judge_is_its_reference_on_generated_posts():
    tones = (None, -0.6, 0.0, 0.5)
    checked = 0
    for i, (text, lang) in enumerate(generated_posts(6000)):
        tone = tones[i % len(tones)]
        for as_lang in (lang, "en", None):
            want = reference_judge(text, as_lang, tone)
            got = complaints.judge(text, as_lang, tone)
            assert got == want, (text, as_lang, tone)
            checked += 1
    assert checked == 18000


def test_the_complaint_judge_is_its_reference_on_the_cue_file_itself():
    # Every cue alone, and every cue inside the next one of its language.
    phrases = _phrases()
    for lang, cues in phrases.items():
        as_lang = lang if lang in LANGS else "en"
        for a, b in zip(cues, cues[1:] + cues[:1], strict=True):
            for text in (a, f"{a} {b}", f"x{a}", f"{a}?", f"و{a}", a.upper()):
                assert complaints.judge(text, as_lang, -0.5) == \
                    reference_judge(text, as_lang, -0.5), (text, as_lang)


def test_batches_give_what_single_posts_get():
    posts = list(generated_posts(400, seed=11))
    texts = [t for t, _ in posts]
    langs = [lang for _, lang in posts]
    tones = [(-0.6, None, 0.2)[i % 3] for i in range(len(posts))]
    own = [i % 17 == 0 for i in range(len(posts))]
    assert complaints.judge_batch(texts, langs, tones, own) == \
        [reference_judge(t, lang, s, o) for t, lang, s, o
         in zip(texts, langs, tones, own, strict=True)]


# -- Clamor's VADER against its reference ---------------------------------------------------
# vaderSentiment 3.3.2 with Clamor's fixes as first written: a subclass overriding its
# methods, kept verbatim as the reference for the faster scorer in analysis/sentiment.py.

_CASED_EMOTICONS = {"D:": -2.9, "D=": -3.0}
_HEART_WORD = re.compile(r"\bheart(s?)\b")
_SENTENCE_END = re.compile(r"[.!?;,]$")


def _reference_vader_class():
    from vaderSentiment import vaderSentiment as vs

    class FixedVader(vs.SentimentIntensityAnalyzer):
        def __init__(self):
            super().__init__()
            for word in ("heart", "hearts"):
                self.lexicon[f"{word}_emoji"] = self.lexicon.pop(word)
            self.emojis = {e: "</3" if d == "broken heart" else
                           _HEART_WORD.sub(r"heart\1_emoji", d) for e, d in self.emojis.items()}

        def sentiment_valence(self, valence, sentitext, item, i, sentiments):
            words = sentitext.words_and_emoticons
            if item in _CASED_EMOTICONS:
                sentiments.append(_CASED_EMOTICONS[item])
                return sentiments
            lower = item.lower()
            if lower == "no" and ((i > 0 and words[i - 1].lower() == "no")
                                  or (i + 1 < len(words) and words[i + 1].lower() == "no")):
                value = self.lexicon["no"]
                if item.isupper() and sentitext.is_cap_diff:
                    value -= vs.C_INCR
                sentiments.append(value)
                return sentiments
            if lower in self.lexicon:
                start = 0
                for back in (1, 2):
                    j = i - back
                    if j > 0 and words[j].lower() in self.lexicon and words[j].lower() != "no":
                        start = j
                        break
                raw = sentitext.text.split()
                for j in range(i - 1, max(start, i - 4), -1):
                    if len(raw) == len(words) and _SENTENCE_END.search(raw[j]):
                        start = j + 1
                        break
                if start:
                    sentitext = copy.copy(sentitext)
                    sentitext.words_and_emoticons = [""] * start + list(words[start:])
            return super().sentiment_valence(valence, sentitext, item, i, sentiments)

        @staticmethod
        def _but_check(words_and_emoticons, sentiments):
            lower = [str(w).lower() for w in words_and_emoticons]
            if "but" not in lower:
                return sentiments
            at = lower.index("but")
            return [s * 0.5 if k < at else s * 1.5 if k > at else s
                    for k, s in enumerate(sentiments)]

    return FixedVader


@lru_cache(maxsize=1)
def _reference_vader():
    return _reference_vader_class()()


def reference_vader_score(text: str) -> float:
    import html

    text = re.sub("[\ufe0e\ufe0f]", "", html.unescape(text))
    return float(_reference_vader().polarity_scores(text)["compound"])


def vader_words():
    from vaderSentiment import vaderSentiment as vs

    lexicon = sorted(_reference_vader().lexicon)
    rng = random.Random(3)
    special = [w for phrase in [*vs.SPECIAL_CASES, *vs.SENTIMENT_LADEN_IDIOMS,
                                *vs.BOOSTER_DICT] for w in phrase.split()]
    return (rng.sample(lexicon, 600) + special * 6 + vs.NEGATE * 2
            + ["no", "No", "NO", "but", "BUT", "But", "least", "at", "very", "kind", "of",
               "never", "so", "this", "without", "doubt", "nor", "or", "heart", "hearts",
               "D:", "D=", ":)", ":D", "</3", "&lt;3", "&amp;", "❤️", "💔", "😊", "😡", "🙃",
               "isn't", "don't", "ain't", "can't", "the", "flight", "my", "bag", "Aerolume",
               "@AerolumeHelp", "#fail", "http://t.co/x", "lol", "LOL", "kinda", "sorta"] * 6)


PUNCT = ["", "", "", "", ",", ".", "!", "?", "!!!", "??", "...", ";", ":", "'", '"', ")", "-"]


def generated_sentences(count: int, seed: int = 5):
    rng = random.Random(seed)
    words = vader_words()
    for _ in range(count):
        out = []
        for _ in range(rng.randint(0, 14)):
            w = rng.choice(words)
            r = rng.random()
            if r < 0.12:
                w = w.upper()
            elif r < 0.2:
                w = w.capitalize()
            if rng.random() < 0.3:
                w = rng.choice(PUNCT) + w if rng.random() < 0.3 else w + rng.choice(PUNCT)
            out.append(w)
            out.append(rng.choice([" ", " ", " ", "  ", "\n", "", " 😊"]))
        yield "".join(out)


def test_clamors_vader_is_its_reference_on_generated_sentences():
    texts = list(generated_sentences(30_000))
    want = [reference_vader_score(t) for t in texts]
    got = [sentiment._vader_score(t) for t in texts]
    differing = [(t, w, g) for t, w, g in zip(texts, want, got, strict=True) if w != g]
    assert not differing, f"{len(differing)} differ, e.g. {differing[:5]}"


def test_clamors_vader_is_its_reference_on_the_recorded_corpora(corpora):
    for name, (_, texts) in corpora.items():
        differing = [t for t in texts if sentiment._vader_score(t) != reference_vader_score(t)]
        assert not differing, (name, len(differing), differing[:3])


# -- the normal form ------------------------------------------------------------------------

def test_the_fast_normal_form_is_normalise_for_every_character_and_text(corpora):
    import sys

    from collectors.matching import normal_form

    everything = "".join(chr(c) for c in range(sys.maxunicode + 1)
                         if not 0xD800 <= c <= 0xDFFF)
    for start in range(0, len(everything), 4096):
        block = everything[start:start + 4096]
        assert normal_form(block) == normalise(block)
        for ch in block[::7]:
            assert normal_form(f"A{ch}ά") == normalise(f"A{ch}ά"), hex(ord(ch))
    for _, texts in corpora.values():
        for text in texts:
            assert normal_form(text) == normalise(text)


# -- watchlist matching -----------------------------------------------------------------------

def reference_match_terms(text, terms, exclusions):
    """match_terms as it was: every spelling's pattern searched in the text's normal form."""
    from collectors import matching

    norm = normalise(text)

    def contains(phrase):
        spelled = normalise(phrase).strip()
        body = r"\s+".join(re.escape(part) for part in spelled.split())
        script = matching._script(spelled)
        if script == "thai":
            pattern = body
        elif script == "arabic":
            pattern = rf"(?<!\w){matching._ARABIC_PROCLITICS}{body}(?!\w)"
        else:
            pattern = rf"(?<![^\W_]){body}(?![^\W_])"
        return re.search(pattern, norm) is not None

    if any(contains(phrase) for phrase in exclusions):
        return (), ()
    found = [t for t in terms if any(contains(s) for s in t.spellings)
             and not any(contains(p) for p in t.exclude)]
    return tuple(t.term for t in found), tuple(dict.fromkeys(t.kind for t in found))


def test_watchlist_matching_is_its_reference_on_the_corpora_and_generated_posts(
        corpora, config):
    from clamor.pipeline import listening_terms
    from collectors.matching import match_terms

    terms, exclusions = listening_terms(config), config.watchlist.exclusions
    phrases = [s for t in terms for s in (*t.spellings, *t.exclude)] + list(exclusions)
    rng = random.Random(7)
    # each spelling as written, shouted, tagged, run into a word, with an attached و, its
    # words spaced apart, without one of its words; in company of others and filler
    forms = [form for phrase in phrases for form in (
        phrase, phrase.upper(), f"#{phrase}", f"@{phrase}", f"my{phrase}", f"{phrase}s",
        f"و{phrase}", phrase.replace(" ", "  \n "), phrase.split()[0], f"{phrase}'s")]
    filler = ["lost my bag", "", "!!", "ما وصلني", "ξανά", "ครับ", "refund?", "🙃", "ی"]
    generated = [" ".join(rng.choice(forms + filler) for _ in range(rng.randint(1, 4)))
                 for _ in range(5000)]
    texts = generated + [t for _, texts in corpora.values() for t in texts]
    differing = [t for t in texts if tuple(match_terms(t, terms, exclusions).__dict__.values())
                 != reference_match_terms(t, terms, exclusions)]
    assert not differing, (len(differing), differing[:3])
    assert sum(bool(match_terms(t, terms, exclusions)) for t in generated) > 1000


# -- language identification's shortcuts ---------------------------------------------------

def test_no_character_outside_a_word_case_folds_to_an_ascii_letter():
    # What language._greeklish's shortcut rests on: a word that case-folds to a Greeklish
    # word is a whole run of ASCII letters in the case-folded text.
    import sys

    letter = re.compile(r"[^\W\d_]")
    ascii_letter = re.compile("[a-z]")
    assert not [hex(c) for c in range(sys.maxunicode + 1)
                if not 0xD800 <= c <= 0xDFFF and not letter.match(chr(c))
                and ascii_letter.search(chr(c).casefold())]


def test_words_for_language_id_are_found_as_before(corpora):
    import sys

    from analysis import language

    before = re.compile(f"[^\\W\\d_](?:[^\\W\\d_]|[{language._MARKS}])*")
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1)
                         if not 0xD800 <= c <= 0xDFFF)
    assert language._WORD.findall(everything) == before.findall(everything)
    for _, texts in corpora.values():
        for text in texts:
            assert language._WORD.findall(text) == before.findall(text)
