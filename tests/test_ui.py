"""The words and cuts the pages use for untrusted post text (clamor/ui.py)."""

from clamor import ui


def test_a_short_post_is_shown_whole():
    for text in ("", "Where is my bag?", "one\ntwo\nthree\nfour\nfive\nsix", "six lines\n" * 6,
                 "x" * ui.PREVIEW_CHARS):
        assert ui.preview(text) == text


def test_a_card_shows_six_lines_and_says_how_much_is_left_out():
    lines = [f"line {i} of a forum post" for i in range(1, 21)]
    text = "\n".join(lines)
    shown = ui.preview(text)
    kept = "\n".join(lines[:6])
    assert shown == f"{kept}… ({len(text) - len(kept):,} more characters)"


def test_a_long_line_is_cut_at_the_character_limit():
    text = "ยกเลิก" * 200_000  # a 1 MB post of one line (Thai: no spaces)
    shown = ui.preview(text)
    assert shown.startswith(text[:ui.PREVIEW_CHARS] + "…")
    assert shown.endswith(f"({len(text) - ui.PREVIEW_CHARS:,} more characters)")
    assert ui.preview(text, 280).startswith(text[:280] + "…")


def test_blank_lines_count_and_the_cut_drops_trailing_space():
    text = "first\n\n\n\n\n\nseventh line"
    assert ui.preview(text) == "first… (" + f"{len(text) - len('first' + chr(10) * 5):,}" \
        + " more characters)"


def test_a_cut_in_a_spaced_language_ends_at_a_word():
    text = "Aerolume lost my suitcase " * 40
    shown = ui.preview(text)
    body, _, rest = shown.partition("…")
    assert len(body) <= ui.PREVIEW_CHARS and text.startswith(body + " ")
    assert rest == f" ({len(text) - len(body):,} more characters)"


def test_a_cue_is_quoted_as_the_customer_wrote_it():
    greek = "@AerolumeHelp σας έστειλα DM προχθές. Τίποτα. Ούτε επιστροφή, ούτε απάντηση."
    assert ui.as_written("ουτε επιστροφη", greek) == "Ούτε επιστροφή"
    arabic = "تأخرت رحلة ايرولوم ساعتين. ليش ما حد يرد؟"
    assert ui.as_written("لیش", arabic) == "ليش"  # stored with Persian ی, written with ي
    assert ui.as_written("تاخر", arabic) == "تأخر"  # the hamza kept
    assert ui.as_written("ما حد یرد", arabic) == "ما حد يرد"
    assert ui.as_written("still no", "STILL no refund, still no reply") == "STILL no"
    assert ui.as_written("refund", "Où est mon REFUND?") == "REFUND"
    harakat = "لَيْشَ"  # a mark after the last letter stays with it
    assert ui.as_written("لیش", harakat) == harakat
    # not there as written (a cue of an earlier version, a text edited since): as stored
    assert ui.as_written("لیش", "nothing here") == "لیش"
    assert ui.complaint_reasons(["waiting:ουτε επιστροφη"], greek) == \
        "Why a complaint: waiting “\u2068Ούτε επιστροφή\u2069”"
    assert ui.complaint_reasons(["waiting:ουτε επιστροφη"]) == \
        "Why a complaint: waiting “\u2068ουτε επιστροφη\u2069”"
