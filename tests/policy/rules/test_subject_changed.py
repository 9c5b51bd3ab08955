"""subject-changed: firing and quiet cases side by side, over real .eml pairs (the encoded-word
bytes matter: ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8 B/Q), plus the 12 example threads."""
from __future__ import annotations

import pytest

from helpers import example_case, example_threads, load_message, make_context
from proxy.policy.regex import compile_pattern
from proxy.policy.rules import subject_changed

RULE = "subject-changed"


def run(case: str, settings: dict | None = None) -> list:
    original = load_message(f"{RULE}/{case}.original.eml")
    reply = load_message(f"{RULE}/{case}.reply.eml")
    return subject_changed.check(reply, make_context(original=original), settings or {})


@pytest.mark.parametrize("case, fires", [
    ("ja-iso2022jp-reencoded-utf8", False),       # same text, other charset, base64 body
    ("ja-stacked-prefixes", False),               # Re: RE: 返信:
    ("ja-fullwidth-prefix-sjis", False),          # Ｒｅ： in a Shift_JIS encoded-word
    ("ja-counters-and-foreign-prefixes", False),  # Re[2]: Re(3): AW: SV: with no space, EUC-JP
    ("ja-original-already-re", False),            # the customer's subject already had Re:
    ("ja-halfwidth-kana-original", False),        # ﾌｨﾙﾀｰ vs フィルター (NFKC)
    ("en-spacing-and-case", False),               # RE:   is the  warranty …
    ("en-no-space-after-colon", False),
    ("en-both-empty", False),                     # no subject, reply "Re:"
    ("ja-generic-subject", True),                 # replaced by お問い合わせの件
    ("ja-forward-prefix", True),                  # 転送: is not a reply prefix
    ("en-fwd-prefix", True),                      # Fwd: Re: …
    ("en-replaced-by-reference", True),
    ("ja-empty-reply-subject", True),
    ("ja-word-changed", True),                    # one word changed, Shift_JIS -> ISO-2022-JP
])
def test_fixture(case: str, fires: bool) -> None:
    hits = run(case)
    assert bool(hits) == fires, hits
    if fires:
        (hit,) = hits
        assert hit.where == "subject"
        assert hit.detail["en"] and hit.detail["ja"]
        assert "Re:" in hit.detail["en"]


def test_allowed_tag_is_ignored_only_when_the_policy_allows_it() -> None:
    assert run("ja-with-ticket-tag")                                   # default: no tags allowed
    assert not run("ja-with-ticket-tag", {"allowed_tags_re": (compile_pattern(r"\[#\d+\]"),)})
    assert not run("ja-with-ticket-tag", {"allowed_tags": (r"\[#\d+\]",)})   # source strings too


def test_detail_names_both_subjects() -> None:
    (hit,) = run("ja-generic-subject")
    assert hit.evidence == "Re: お問い合わせの件"
    assert "加湿器のフィルター交換時期について" in hit.detail["ja"]
    assert "お問い合わせの件" in hit.detail["en"]


def test_forward_prefix_is_explained_as_such() -> None:
    (hit,) = run("ja-forward-prefix")
    assert "forward" in hit.detail["en"]
    assert "転送" in hit.detail["ja"]


@pytest.mark.parametrize("setting, subject, fires", [
    (("Re",), "Re: 件名", False),
    (("Re",), "AW: 件名", True),                   # AW not configured
    (("Re", "AW"), "AW: 件名", False),
    (("Re[2]",), "Re(5): 件名", False),            # any counter form
    (("Re:",), "RE：件名", False),                  # an entry written with its colon
])
def test_reply_prefix_setting(setting: tuple[str, ...], subject: str, fires: bool) -> None:
    pattern = subject_changed._prefix_pattern(setting)
    same = subject_changed.core(subject, pattern, []) == subject_changed.core("件名", pattern, [])
    assert same != fires


def test_without_original_nothing_to_compare() -> None:
    reply = load_message(f"{RULE}/ja-generic-subject.reply.eml")
    assert subject_changed.check(reply, make_context(), {}) == []


@pytest.mark.parametrize("case", example_threads())
def test_example_threads(case: str) -> None:
    thread = example_case(case)
    hits = subject_changed.check(thread.reply, thread.context(), {})
    assert bool(hits) == thread.expects(subject_changed.ID), hits


@pytest.mark.parametrize("original, reply, same", [
    ("", "Re: (no subject)", True),
    ("", "Re: (件名なし)", True),
    ("", "Re: お問い合わせ", False),
])
def test_no_subject_placeholders(original: str, reply: str, same: bool) -> None:
    pattern = subject_changed._prefix_pattern(subject_changed.REPLY_PREFIXES)
    assert (subject_changed.core(original, pattern, []) == subject_changed.core(reply, pattern, [])) == same
