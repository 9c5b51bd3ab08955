"""Reply builders: multi-line form, wire safety, the rejection's first line."""
from __future__ import annotations

from proxy.policy.verdict import Action, Finding
from proxy.smtp import replies


def test_multiline_render():
    assert replies.render(550, "5.7.1", ["one", "two", "three"]) == \
        "550-5.7.1 one\r\n550-5.7.1 two\r\n550 5.7.1 three"
    assert str(replies.OK) == "250 2.0.0 OK"


def test_no_injection_and_ascii_without_smtputf8():
    text = replies.render(550, "5.7.1", ["件名 bad\r\n250 OK"])
    assert text == "550-5.7.1 ?? bad\r\n550 5.7.1 250 OK"
    assert replies.render(550, "5.7.1", ["件名"], utf8=True) == "550 5.7.1 件名"


def test_lines_clipped_to_rfc_limit():
    line = replies.render(550, "5.7.1", ["あ" * 400], utf8=True)
    assert len(line.encode()) <= 510 and line.endswith("...")


def test_upstream_multiline_passthrough():
    assert replies.from_upstream(550, "5.1.1 no such user\nsee https://x") == \
        "550-5.1.1 no such user\r\n550 5.1.1 see https://x".replace("550 5.1.1 see", "550 see")


def test_rejection_single_finding_first_line_is_whole_sentence():
    f = Finding("quote-altered", Action.REJECT, "引用が変更されています。", message_en="A quoted line was changed; quote it unchanged.")
    assert replies.rejection([f], utf8=False) == \
        "550 5.7.1 Not sent, fix and send again: [quote-altered] A quoted line was changed; quote it unchanged."


def test_rejection_without_english_text_never_sends_question_marks():
    f = Finding("apology-missing", Action.REJECT, "お詫びの言葉がありません。")
    text = replies.rejection([f], utf8=False)
    assert "?" not in text and text.startswith("550 5.7.1 Not sent, fix and send again: [apology-missing] ")
    assert replies.rejection([f], utf8=True).endswith("[apology-missing] お詫びの言葉がありません。")


def test_ascii_reply_elides_quoted_japanese_instead_of_question_marks():
    f = Finding("subject-changed", Action.REJECT, "件名が変更されています。",
                message_en="The subject was changed: original 'Re: 請求書 invoice', reply '３月の請求書'. Keep it.")
    text = replies.rejection([f], utf8=False, hint=replies.HINT_NOTICE)
    assert "?" not in text.replace("(Japanese/non-ASCII", "")
    assert text.startswith("550 5.7.1 Not sent, fix and send again: [subject-changed] The subject was changed: "
                           "original 'Re: ... invoice', reply (Japanese text). Keep it.")
    assert text.endswith("notice mailed to you)")
    assert replies.ascii_elide("name 'Müller' and 'ＡＢＣ'") == ("name 'Muller' and 'ABC'", False)
