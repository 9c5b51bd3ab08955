"""Property tests for the comparison form behind `quote-altered`.

What must never fire: re-wrapping a quote at other points, trimming whole lines out of it, and
sending it in another charset than the original (ISO-2022-JP / Shift_JIS original, UTF-8 reply:
the wave dash 〜/～ and full-width forms differ at the byte and code-point level).
What must always fire: one character of a quoted line replaced by one whose comparison form
differs; one word deleted anywhere in a quoted passage but at its very end — inside a line or where
the quote's lines break, re-wrapped or not (only whole lines may be trimmed). Every original line starts with a unique tag (#k#) so that "the changed line happens to
occur elsewhere in the original" cannot make the property vacuous; see the docstrings.
"""
from __future__ import annotations

import base64
import quopri

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from proxy.message import normalize, parse, quote_matches

HIRAGANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござじずぜぞっゃゅょ"
KANJI = "日本語電話番号注文商品交換返金確認届修理担当連絡説明"
ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
PUNCT = "、。「」〜ー・（）"
# content never holds digits or '#': the per-line tag #k# must occur once in the original
CONTENT = HIRAGANA + KANJI + ASCII + PUNCT
REPLACEMENTS = CONTENT + "カキクケコｱｲｳＡＢＣ１２３0123456789！？"

words = st.text(alphabet=CONTENT, min_size=2, max_size=12)
line_content = st.lists(words, min_size=1, max_size=4).map(" ".join)


@st.composite
def originals(draw: st.DrawFn) -> list[str]:
    contents = draw(st.lists(line_content, min_size=2, max_size=12))
    return [f"#{k}#{c}" for k, c in enumerate(contents)]


def rewrap(text: str, cuts: list[int], joiner: str) -> str:
    """Join lines and break them again at other points, as a mail client re-flowing a quote."""
    flat = joiner.join(text.split("\n"))
    points = sorted({c % (len(flat) + 1) for c in cuts})
    pieces, last = [], 0
    for p in points:
        pieces.append(flat[last:p])
        last = p
    pieces.append(flat[last:])
    return "\n".join(pieces)


@st.composite
def trimmed_quotes(draw: st.DrawFn, lines: list[str]) -> list[str]:
    a = draw(st.integers(0, len(lines) - 1))
    b = draw(st.integers(a + 1, len(lines)))
    chosen = lines[a:b]
    keep = draw(st.lists(st.booleans(), min_size=len(chosen), max_size=len(chosen)))
    kept = [line for line, k in zip(chosen, keep) if k] or chosen[:1]
    return kept


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_rewrapped_and_trimmed_quotes_match(data: st.DataObject) -> None:
    lines = data.draw(originals())
    original = "\n".join(lines)
    quote_lines = data.draw(trimmed_quotes(lines))
    cuts = data.draw(st.lists(st.integers(0, 10_000), max_size=8))
    joiner = data.draw(st.sampled_from(["", " ", "\n"]))
    # re-wrap within each kept run only: joining two lines across a trimmed gap is not a quote
    quote = "\n".join(rewrap(line, cuts, joiner) for line in quote_lines)
    assert quote_matches(quote, original) == (True, None)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_quote_of_a_contiguous_passage_rewrapped_across_lines_matches(data: st.DataObject) -> None:
    lines = data.draw(originals())
    a = data.draw(st.integers(0, len(lines) - 1))
    b = data.draw(st.integers(a + 1, len(lines)))
    cuts = data.draw(st.lists(st.integers(0, 10_000), max_size=10))
    quote = rewrap("\n".join(lines[a:b]), cuts, data.draw(st.sampled_from(["", " "])))
    assert quote_matches(quote, "\n".join(lines))[0]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_changing_one_character_always_fires(data: st.DataObject) -> None:
    lines = data.draw(originals())
    original = "\n".join(lines)
    quote_lines = data.draw(trimmed_quotes(lines))
    target = data.draw(st.integers(0, len(quote_lines) - 1))
    line = quote_lines[target]
    tag_end = line.index("#", 1) + 1
    positions = [i for i in range(tag_end, len(line)) if not line[i].isspace()]
    pos = data.draw(st.sampled_from(positions))
    new = data.draw(st.sampled_from(REPLACEMENTS))
    old_form, new_form = normalize(line[pos]), normalize(new)
    assume(new_form != old_form and len(new_form) == 1 == len(old_form))
    changed = line[:pos] + new + line[pos + 1:]
    quote_lines = quote_lines[:target] + [changed] + quote_lines[target + 1:]
    ok, evidence = quote_matches("\n".join(quote_lines), original)
    assert not ok
    assert evidence == changed.strip()


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_deleting_a_word_inside_a_passage_always_fires(data: st.DataObject) -> None:
    """A word (not a line's tag) deleted from a trimmed quote, which is then re-wrapped: fires,
    wherever the word was — in the middle of a line, first or last on it, or right where the
    agent's lines break. Only the last word of the last quoted line may go (quoting part of a
    sentence); the unique tags keep the shortened line from occurring elsewhere."""
    lines = data.draw(originals())
    original = "\n".join(lines)
    quote_lines = data.draw(trimmed_quotes(lines))
    target = data.draw(st.integers(0, len(quote_lines) - 1))
    tag_end = quote_lines[target].index("#", 1) + 1
    tag, words_ = quote_lines[target][:tag_end], quote_lines[target][tag_end:].split(" ")
    last = len(words_) - 1 if target < len(quote_lines) - 1 else len(words_) - 2
    assume(last >= 0)
    k = data.draw(st.integers(0, last))
    shortened = tag + " ".join(words_[:k] + words_[k + 1:])
    if target == len(quote_lines) - 1:   # "AA AA" minus its first word is "AA AA" minus its last
        assume(not normalize(quote_lines[target]).startswith(normalize(shortened)))
    quote_lines = quote_lines[:target] + [shortened] + quote_lines[target + 1:]
    cuts = data.draw(st.lists(st.integers(0, 10_000), max_size=8))
    joiner = data.draw(st.sampled_from(["", " "]))
    # re-wrapping puts no blank line in (a blank quoted line ends the passage: trimming may follow)
    pieces = [p for line in quote_lines for p in rewrap(line, cuts, joiner).split("\n") if p.strip()]
    assert not quote_matches("\n".join(pieces), original)[0]


def test_deleting_a_word_at_a_line_break_fires() -> None:
    original = "I ordered a rice cooker on November 9 and it still has not\narrived. This is unacceptable.\n"
    assert quote_matches("it still has\narrived. This is unacceptable.", original) == (
        False, "arrived. This is unacceptable.")
    assert quote_matches("it still has not\narrived. This is unacceptable.", original) == (True, None)
    assert quote_matches("it still\nhas not arrived.", original) == (True, None)          # re-wrapped
    assert quote_matches("it still has not\nThis is unacceptable.", original)[0] is False  # "arrived." cut


def _eml(body: bytes, charset: str, cte: str) -> bytes:
    head = (f"From: a@example.jp\r\nTo: b@example.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: text/plain; charset="{charset}"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n')
    return head.encode("ascii") + body


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_reencoding_never_fires(data: st.DataObject) -> None:
    """Original in ISO-2022-JP, Shift_JIS or UTF-8; the reply quoting it with `>` in UTF-8 (QP or
    base64), ISO-2022-JP or Shift_JIS — each client writing the wave dash its own way."""
    lines = data.draw(originals())
    source = data.draw(st.sampled_from(["ISO-2022-JP", "Shift_JIS", "UTF-8"]))
    if source == "ISO-2022-JP":
        body = "\r\n".join(line.encode("iso2022_jp").decode("ascii") for line in lines).encode("ascii")
        cte = "7bit"
    elif source == "Shift_JIS":
        # a CP932 client writes the wave dash as FULLWIDTH TILDE
        body = "\r\n".join(lines).replace("〜", "～").encode("cp932")
        cte = "8bit"
    else:
        body = "\r\n".join(lines).encode("utf-8")
        cte = "8bit"
    original = parse(_eml(body, source, cte))
    assert original.problems == ()

    quote_lines = data.draw(trimmed_quotes(lines))
    cuts = data.draw(st.lists(st.integers(0, 10_000), max_size=6))
    quote = "\n".join(rewrap(line, cuts, "") for line in quote_lines)
    if data.draw(st.booleans()):
        quote = quote.replace("〜", "～")  # the reply's client picked the other tilde
    text = "山田 様\n\nご連絡ありがとうございます。\n\n2026年11月20日(金) 10:12 山田 <a@example.jp>:\n\n"
    text += "\n".join("> " + q for q in quote.split("\n")) + "\n"
    target = data.draw(st.sampled_from(["utf-8-qp", "utf-8-b64", "iso-2022-jp", "shift_jis-b64"]))
    if target == "utf-8-qp":
        reply = _eml(quopri.encodestring(text.encode("utf-8")), "utf-8", "quoted-printable")
    elif target == "utf-8-b64":
        reply = _eml(base64.encodebytes(text.encode("utf-8")), "UTF-8", "base64")
    elif target == "iso-2022-jp":
        jis = "\r\n".join(line.replace("～", "〜").encode("iso2022_jp").decode("ascii") for line in text.split("\n"))
        reply = _eml(jis.encode("ascii"), "ISO-2022-JP", "7bit")
    else:
        reply = _eml(base64.encodebytes(text.replace("〜", "～").encode("cp932")), "Shift_JIS", "base64")
    parsed = parse(reply)
    assert len(parsed.quotes) == 1
    assert quote_matches(parsed.quotes[0], original.text) == (True, None)


def _no_mark_after_space(text: str) -> bool:
    import unicodedata
    nfkc = unicodedata.normalize("NFKC", text)
    return not any(a.isspace() and unicodedata.combining(b) for a, b in zip(nfkc, nfkc[1:]))


@given(st.text(max_size=200).filter(_no_mark_after_space))
def test_normalize_is_idempotent_and_whitespace_free(text: str) -> None:
    """Idempotent except where removing a space puts a combining mark on the letter before it
    (one NFKC pass only; see `normalize`)."""
    once = normalize(text)
    assert normalize(once) == once
    assert not any(ch.isspace() for ch in once)


@given(st.text(alphabet=CONTENT + " \n", max_size=200), st.lists(st.integers(0, 500), max_size=6))
def test_normalize_ignores_wrapping(text: str, cuts: list[int]) -> None:
    assert normalize(rewrap(text, cuts, "")) == normalize(text)
