"""apology-missing: firing and quiet cases side by side over real .eml pairs (ISO-2022-JP,
Shift_JIS, UTF-8 QP, HTML-only), with the classification handed in or made by the rule itself,
and the 12 example threads."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from helpers import example_case, example_threads, load_message, make_context
from proxy.policy.rules import apology_missing

RULE = "apology-missing"
COMPLAINT = SimpleNamespace(category="complaint")
QUESTION = SimpleNamespace(category="question")


def load(case: str):
    return (load_message(f"{RULE}/{case}.original.eml"),
            load_message(f"{RULE}/{case}.reply.eml"))


def run(case: str, complaint=None, settings: dict | None = None) -> list:
    original, reply = load(case)
    return apology_missing.check(reply, make_context(original=original, complaint=complaint), settings or {})


@pytest.mark.parametrize("case, fires", [
    ("ja-moushiwake-iso2022jp", False),        # 誠に申し訳ございません, ISO-2022-JP reply
    ("ja-owabi-split-across-lines", False),    # お詫び / 申し上げます across a line break, QP
    ("ja-gomeiwaku-sjis", False),              # ご迷惑をおかけいたしました, Shift_JIS
    ("ja-html-only-apology", False),           # <b>申し訳ございません</b>
    ("ja-question-without-apology", False),    # not a complaint: nothing to apologise for
    ("en-we-apologize", False),
    ("en-apologies", False),
    ("en-so-sorry-upper-case", False),
    ("en-apologising-british", False),
    ("ja-fix-without-apology", True),
    ("ja-apology-only-in-quote", True),        # 申し訳ございません is only in the quoted earlier mail
    ("en-thanks-without-apology", True),       # the customer's "Sorry to bother you" in the quote
])
@pytest.mark.parametrize("classified_by_door", [True, False])
def test_fixture(case: str, fires: bool, classified_by_door: bool) -> None:
    complaint = None
    if classified_by_door:
        complaint = QUESTION if case.startswith("ja-question") else COMPLAINT
    hits = run(case, complaint)             # complaint=None: the rule classifies the original itself
    assert bool(hits) == fires, hits
    if fires:
        (hit,) = hits
        assert hit.where == "body"
        assert hit.evidence.split(" / ")[0] in ("村上 奈々 様", "Dear Mr. Grant,")
        assert hit.detail["ja"] and hit.detail["en"]


def test_not_a_complaint_never_fires() -> None:
    assert run("ja-fix-without-apology", QUESTION) == []
    assert run("en-thanks-without-apology", {"category": "other"}) == []


def test_no_original_no_finding() -> None:
    _, reply = load("ja-fix-without-apology")
    assert apology_missing.check(reply, make_context(complaint=COMPLAINT), {}) == []


@pytest.mark.parametrize("phrases, case, fires", [
    (("apologise",), "en-we-apologize", False),          # stems: apologise ~ apologize
    (("apologize",), "en-apologising-british", False),
    (("apology",), "en-apologies", False),
    (("sorry",), "en-we-apologize", True),
    (("お詫び申し上げます",), "ja-owabi-split-across-lines", False),
    (("申し訳ございません",), "ja-gomeiwaku-sjis", True),
    (("ご迷惑をお掛け",), "ja-gomeiwaku-sjis", False),      # kanji/kana spelling: おかけ == お掛け
])
def test_phrases_setting(phrases: tuple[str, ...], case: str, fires: bool) -> None:
    assert bool(run(case, COMPLAINT, {"phrases": phrases})) == fires


@pytest.mark.parametrize("case", example_threads())
def test_example_threads(case: str) -> None:
    thread = example_case(case)
    hits = apology_missing.check(thread.reply, thread.context(), {})
    assert bool(hits) == thread.expects(apology_missing.ID), hits


@pytest.mark.parametrize("text, found", [
    ("ご不便をお掛けし、大変申し訳御座いません。", True),
    ("心よりお詫び致します。", True),
    ("深くおわび申し上げます。", True),
    ("ご連絡ありがとうございます。", False),
])
def test_spelling_variants(text: str, found: bool) -> None:
    assert apology_missing.has_apology(text, ("ご不便をおかけ", "お詫びいたします", "お詫び申し上げます")) == found
