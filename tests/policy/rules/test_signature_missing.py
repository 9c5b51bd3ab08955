"""signature-missing: firing and quiet cases side by side over real .eml replies (UTF-8,
ISO-2022-JP, Shift_JIS, EUC-JP, quoted-printable, HTML-only), the policy's required lines,
and the 12 example threads."""
from __future__ import annotations

import pytest

from helpers import example_case, example_threads, load_message, make_context, make_message
from proxy.policy.rules import signature_missing

RULE = "signature-missing"


def run(case: str, settings: dict | None = None) -> list:
    return signature_missing.check(load_message(f"{RULE}/{case}.eml"), make_context(), settings or {})


@pytest.mark.parametrize("case, fires", [
    ("ja-fullwidth-space", False),              # From 大野 里美, signed 大野　里美
    ("ja-no-space-iso2022jp", False),           # signed 大野里美, ISO-2022-JP
    ("ja-reading-in-parentheses-sjis", False),  # 大野 里美（おおの さとみ）, Shift_JIS, *** separators
    ("ja-display-name-with-company", False),    # From "大野 里美 (ミナト家電)"
    ("ja-euc-jp-no-separator", False),          # no separator line at all, EUC-JP
    ("en-reversed-with-comma", False),          # "Scott, Hannah"
    ("en-upper-case", False),                   # "HANNAH SCOTT", "-- " delimiter, QP
    ("en-blank-lines-inside-signature", False),
    ("en-no-display-name", False),              # From hannah.scott@…: the local part is the name
    ("en-role-address-no-name", False),         # support@…: no person's name to require
    ("en-html-only", False),                    # Hannah&nbsp;Scott in an HTML-only reply
    ("ja-display-name-with-team-words", False), # From "ミナト家電 大野 里美": all its words are there
    ("ja-team-address-team-name", False),       # support@ as "ミナト家電 お客様相談室", signed by the team
    ("en-no-signature", True),
    ("en-name-only-in-first-line", True),       # the opening line is not a signature
    ("ja-colleague-signature", True),           # 平野 潤's template, From 大野 里美
    ("ja-name-only-in-introduction", True),     # お客様相談室の大野 里美です。 at the top only
    ("ja-surname-only", True),                  # 担当：大野 — the name in From is 大野 里美
    ("ja-display-name-with-team-words-colleague", True),
])
def test_fixture(case: str, fires: bool) -> None:
    hits = run(case)
    assert bool(hits) == fires, hits
    if fires:
        (hit,) = hits
        assert hit.where == "signature"
        assert hit.evidence
        assert "'" in hit.detail["en"] and "「" in hit.detail["ja"]


def test_colleague_signature_evidence_shows_the_block() -> None:
    (hit,) = run("ja-colleague-signature")
    assert "平野 潤" in hit.evidence
    assert "大野 里美" in hit.detail["ja"] and "大野 里美" in hit.detail["en"]


@pytest.mark.parametrize("case, required, fires", [
    ("ja-fullwidth-space", ("0120-987-650",), False),
    ("ja-fullwidth-space", ("０１２０－９８７－６５０", "ミナト家電株式会社"), False),   # width ignored
    ("ja-no-space-iso2022jp", ("0120-987-650",), True),                                # name fine, phone missing
    ("en-upper-case", ("Minato Appliances",), False),
    ("en-upper-case", ("Tel. +81-45-555-0123",), True),
])
def test_required_lines(case: str, required: tuple[str, ...], fires: bool) -> None:
    hits = run(case, {"required_lines": required})
    assert bool(hits) == fires, hits
    if fires:
        assert required[0] in hits[0].detail["en"]


@pytest.mark.parametrize("display, address, expected", [
    ("大野 里美", "ono@minato.example.jp", "大野 里美"),
    ("大野 里美 (ミナト家電)", "ono@minato.example.jp", "大野 里美"),
    ("Hannah Scott | Minato Appliances", "hannah.scott@minato.example.jp", "Hannah Scott"),
    ("", "hannah.scott@minato.example.jp", "hannah scott"),
    ("", "support@minato.example.jp", None),
])
def test_sender_name(display: str, address: str, expected: str | None) -> None:
    message = make_message(from_=f"{display} <{address}>", to="a@example.jp", subject="x", body="body\n")
    assert signature_missing.sender_name(message) == expected


@pytest.mark.parametrize("case", example_threads())
def test_example_threads(case: str) -> None:
    thread = example_case(case)
    hits = signature_missing.check(thread.reply, thread.context(), {})
    assert bool(hits) == thread.expects(signature_missing.ID), hits
