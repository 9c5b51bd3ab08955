"""quote-altered: firing and quiet cases side by side over real .eml pairs — `>` quotes, Gmail-ja
and Thunderbird attributions, Outlook header blocks (ja/en, CRLF, quoted-printable), HTML
blockquotes, ISO-2022-JP / Shift_JIS / UTF-8 originals — plus properties (re-wrapping and
trimming never fire, one changed character always does) and the 12 example threads."""
from __future__ import annotations

import pytest
from hypothesis import assume, given, settings, strategies as st

from helpers import example_case, example_threads, load_message, make_context, make_message
from proxy.message import ParsedMessage
from proxy.policy.rules import quote_altered

RULE = "quote-altered"


def run(case: str) -> list:
    original = load_message(f"{RULE}/{case}.original.eml")
    reply = load_message(f"{RULE}/{case}.reply.eml")
    return quote_altered.check(reply, make_context(original=original), {})


QUIET = [
    "ja-gmail-trimmed",                               # two lines of the original, Gmail-ja attribution
    "ja-rewrapped-iso2022jp-original",                # re-wrapped at new places; original ISO-2022-JP
    "ja-outlook-block-crlf-qp",                       # 元のメッセージ block, un-prefixed original, CRLF, QP
    "ja-wave-dash-and-fullwidth-space-sjis-original", # 〜 vs ～ (CP932 vs JIS mapping), 藤田　浩二 vs 藤田 浩二
    "ja-middle-lines-cut-with-signature",             # lines cut from the middle, `>` empty lines, the signature
    "ja-interleaved-quotes",                          # two quoted passages answered in between
    "ja-html-only-blockquote",                        # HTML-only reply, &nbsp; and <br> in the blockquote
    "en-thunderbird-nested",                          # quotes the original's own quote (>>)
    "en-outlook-header-block",                        # From:/Sent:/To:/Subject: block, not quote text
    "en-multipart-html-blockquote",                   # plain + HTML, QP, rendering whitespace
    "ja-elision-marker",                              # （中略） and [...] put in by the agent
    "en-outlook-mailto-decoration",                   # addr<mailto:addr>, url<url> added by Outlook
    "en-quotes-html-alternative",                     # quotes the original's HTML part, not its plain part
    "ja-reencoded-substitutes",                       # ①/髙 written as ?/〓 by a strict ISO-2022-JP client
]
FIRING = [
    ("ja-quantity-changed", "quote line 6", "3個注文したいのですが"),
    ("ja-model-changed-iso2022jp-reply", "quote line 13", "SV-9"),
    ("ja-outlook-block-altered", "quote line 23", "教えてください"),
    ("ja-line-added", "quote line 15", "至急お願いします。"),
    ("en-word-changed", "quote line 11", "one week"),
    ("en-html-only-blockquote-altered", "quote line 7", "three months"),
]


@pytest.mark.parametrize("case", QUIET)
def test_quiet(case: str) -> None:
    assert run(case) == []


@pytest.mark.parametrize("case, where, evidence", FIRING)
def test_fires_on_first_altered_line(case: str, where: str, evidence: str) -> None:
    (hit,) = run(case)
    assert hit.where == where
    assert evidence in hit.evidence
    assert hit.evidence in hit.detail["en"] and hit.evidence in hit.detail["ja"]


def test_detail_shows_what_the_customer_wrote() -> None:
    (hit,) = run("ja-quantity-changed")
    assert "2個注文したいのですが" in hit.detail["ja"]
    assert "2個注文したいのですが" in hit.detail["en"]


def test_no_original_no_finding() -> None:
    reply = load_message(f"{RULE}/ja-quantity-changed.reply.eml")
    assert quote_altered.check(reply, make_context(), {}) == []


# ---- properties -------------------------------------------------------------------------

ORIGINAL = load_message(f"{RULE}/ja-gmail-trimmed.original.eml")
ORIGINAL_EN = load_message(f"{RULE}/en-word-changed.original.eml")


def reply_quoting(lines: list[str]) -> ParsedMessage:
    body = "ご連絡ありがとうございます。\n\n--\n西村 光\n\nOn 2026/11/24 19:20, 藤田 浩二 wrote:\n"
    return make_message(from_="西村 光 <nishimura@minato.example.jp>", to="koji.fujita@example.org",
                        subject="Re: x", body=body + "".join(f"> {line}\n" for line in lines))


def rewrap(text: str, width: int) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), original=st.sampled_from([ORIGINAL, ORIGINAL_EN]))
def test_trimming_and_rewrapping_never_fire(data: st.DataObject, original) -> None:
    lines = [line for line in original.text.split("\n") if line.strip() and not line.startswith(">")]
    start = data.draw(st.integers(0, len(lines) - 1))
    end = data.draw(st.integers(start + 1, len(lines)))
    kept = [line for line in lines[start:end] if data.draw(st.booleans()) or line is lines[start]]
    width = data.draw(st.integers(8, 60))
    quoted = [part for line in kept for part in rewrap(line, width)]
    reply = reply_quoting(quoted)
    assert quote_altered.check(reply, make_context(original=original), {}) == []


@settings(max_examples=60, deadline=None)
@given(data=st.data(), original=st.sampled_from([ORIGINAL, ORIGINAL_EN]),
       new=st.sampled_from(["Ж", "Q", "9", "鬱", "ゑ"]))
def test_changing_one_character_always_fires(data: st.DataObject, original, new: str) -> None:
    lines = [line for line in original.text.split("\n")
             if len(line.strip()) >= 8 and not line.startswith(">") and new not in line]
    line = data.draw(st.sampled_from(lines))
    positions = [i for i, ch in enumerate(line) if not ch.isspace()]
    i = data.draw(st.sampled_from(positions))
    changed = line[:i] + new + line[i + 1:]
    reply = reply_quoting([changed])
    hits = quote_altered.check(reply, make_context(original=original), {})
    assert len(hits) == 1 and hits[0].evidence == changed.strip()


@settings(max_examples=60, deadline=None)
@given(data=st.data(), original=st.sampled_from([ORIGINAL, ORIGINAL_EN]))
def test_deleting_a_word_where_the_quote_breaks_always_fires(data: st.DataObject, original) -> None:
    """Two consecutive lines of the original quoted with a word deleted at the break between
    them ("it still has" / "arrived."): each line alone is the customer's, the passage is not."""
    lines = [line for line in original.text.split("\n") if not line.startswith(">")]
    pairs = [(a, b) for a, b in zip(lines, lines[1:]) if len(a.split()) >= 2 and b.strip()]
    a, b = data.draw(st.sampled_from(pairs))
    if data.draw(st.booleans()):
        a = a.rsplit(None, 1)[0]          # last word of the first line deleted
    else:
        parts = b.split(None, 1)
        assume(len(parts) == 2)
        b = parts[1]                      # first word of the second line deleted
    reply = reply_quoting([a, b])
    assert len(quote_altered.check(reply, make_context(original=original), {})) == 1


@pytest.mark.parametrize("case", example_threads())
def test_example_threads(case: str) -> None:
    thread = example_case(case)
    hits = quote_altered.check(thread.reply, thread.context(), {})
    assert bool(hits) == thread.expects(quote_altered.ID), hits


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    list("aZ09 \n\t-~>ー〜～－―—‐ｰｶﾞﾟ①㈱ＡＢｃ　、。「」（）か\u3099は\u309a青木髙ヶ々é\u0301ﬁ²½…・\u200b\u3000ヿゟ"))))
def test_fast_normalisation_equals_the_parsers(text: str) -> None:
    from proxy.message import normalize
    assert quote_altered._normalize(text) == normalize(text)


# --- every alternative a client may show -------------------------------------------------------


def test_quote_altered_only_in_the_html_alternative() -> None:
    # the plain part quotes faithfully; the HTML blockquote (what most clients show) does not
    (hit,) = run("ja-html-alternative-altered")
    assert hit.where == "HTML part, quote line 16"
    assert hit.evidence == "迷惑メールフォルダは確認していません。"
    assert "HTML part" in hit.detail["en"] and "HTMLパート" in hit.detail["ja"]
    assert "迷惑メールフォルダも確認しましたが、見当たりませんでした。" in hit.detail["ja"]


def test_html_alternative_quoted_faithfully_is_quiet() -> None:
    assert run("ja-html-alternative-faithful") == []


def test_same_alteration_in_both_alternatives_is_reported_once() -> None:
    (hit,) = run("ja-plain-and-html-alternative-altered")
    assert hit.where == "quote line 17"                   # the plain (primary) part's line


def test_html_alternative_not_rendered_without_an_original() -> None:
    reply = load_message(f"{RULE}/ja-html-alternative-altered.reply.eml")
    assert quote_altered.check(reply, make_context(), {}) == []
    assert reply.lazy_alternatives is not None and reply.lazy_alternatives._views is None
