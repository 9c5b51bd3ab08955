"""quote-altered: what the reply quotes must be what the customer wrote.

Why: a quote is evidence of what the customer said. An agent who "fixes" a quoted quantity
(2個 → 3個) or model number (AC-2210 → AC-2201) puts words in the customer's mouth, and the
customer sees it. Trimming is fine — quoting only the relevant lines is good practice — so
each quoted line must occur in the original, not the quote as a whole. But only whole lines may
go: within one passage (no blank quoted line or elision mark between them) each quoted line must
continue the previous one in the original, or follow it across a gap of whole original lines —
so "it still has" / "arrived." quoting "it still has not" / "arrived." fires, although each line
alone is in the original (`proxy.message.QuoteIndex`).

What counts as "the same": the comparison form of `proxy.message.normalize` (NFKC, dash and
tilde variants folded — ISO-2022-JP and CP932 map 〜/－ differently —, all whitespace and line
breaks removed, so re-wrapping at new places, full-width spaces and HTML rendering whitespace
do not matter), against the original's whole text (its own quotes and signature included,
quote markers of any depth removed). Quote styles come from the parser: `>` lines of any
depth, HTML blockquotes, and the un-prefixed original under an Outlook header block; the
attribution and header lines ("On … wrote:", "差出人: …") are not quote text, nor is an
elision mark the agent put in ("（中略）", "[...]"), nor what clients add when they turn HTML into
quoted text ("<mailto:…>", "[image: …]"). When the original has an HTML alternative, a quoted
line may match its rendering instead of the plain part. When the reply has an HTML alternative
beside its plain part, its quotes are checked too (most clients show the HTML); a finding there
says "HTML part, quote line N", and the same altered line is reported once. A "?" or "〓" a client wrote for a
character its charset could not carry stands for that character.
"""
from __future__ import annotations

import difflib
import re
from typing import Any, Mapping

from proxy.message import (ParsedMessage, QuoteSpan, decode_bytes, normalize, QuoteIndex, quote_matches,
                           render_html)
from proxy.policy.model import Context, Hit

ID = "quote-altered"
DESCRIPTION = "A quoted passage is not, after whitespace/line-wrap normalisation, a passage of the original."
NEEDS_ORIGINAL = True

_MARKERS_RE = re.compile(r"^(?:[ \t\u3000]*[>＞|｜])+[ \t\u3000]?")
# Lines a client writes around a quote, not the customer: header lines of an Outlook block,
# "-----Original Message-----", "On … wrote:", "… さんは書きました:", Gmail-ja "2026年…<addr>:".
_HEADER_LINE_RE = re.compile(
    r"^\s*(?:from|sent|to|cc|bcc|date|subject|reply-to|差出人|送信者|送信日時|送信日|日時|日付|宛先|件名|cc|返信先)\s*[:：]",
    re.IGNORECASE)
_WRAPPER_RE = re.compile(
    r"(?:-{3,}\s*(?:original message|元のメッセージ|転送されたメッセージ|forwarded message)\s*-{3,}"
    r"|\bwrote\s*:\s*$|書きました\s*[:：]?\s*$|<[^<>\s]+@[^<>\s]+>\s*[:：]\s*$|^_{8,}\s*$)",
    re.IGNORECASE)


# A line the agent put into the quote to say something was cut: "（中略）", "[...]", "(snip)".
_ELISION_RE = re.compile(
    r"^\s*[\[(（【〔<＜]?\s*(?:中略|略|後略|前略|以下略|以下省略|省略|snip(?:ped)?|\.{2,}|…+|・{2,})\s*[\])）】〕>＞]?\s*$",
    re.IGNORECASE)
# What a client adds when it turns the original's HTML into quoted text: Outlook's
# "addr<mailto:addr>" and "text <https://…>", Gmail's "[image: …]", Outlook's "[cid:…]".
_CLIENT_DECORATION_RE = re.compile(r"<(?:mailto:|https?://)[^<>\s]*>|\[(?:cid:|image:)[^\]]*\]", re.IGNORECASE)


# What a client writes for a character its charset cannot carry (a quote re-encoded from
# UTF-8 into ISO-2022-JP loses ①, 髙, emoji): each may stand for any one character.
_SUBSTITUTES = "?〓\ufffd"


def _matches_with_substitutes(norm: str, streams: list[str]) -> bool:
    if not any(c in norm for c in _SUBSTITUTES) or not norm.strip(_SUBSTITUTES):
        return False
    pattern = re.compile("".join("." if c in _SUBSTITUTES else re.escape(c) for c in norm), re.DOTALL)
    return any(pattern.search(s) for s in streams)


def _html_streams(original: ParsedMessage) -> list[str]:
    """The original's HTML alternatives, rendered, as comparison streams: a reply written in
    HTML quotes what the customer's client showed, which may differ from the plain part."""
    if original.html:
        return []
    out: list[str] = []
    for part in original.headers.walk():
        if part.get_content_type() != "text/html":
            continue
        try:
            payload = part.get_payload(decode=True) or b""
            charset = part.get_param("charset")
            text, _ = decode_bytes(payload if isinstance(payload, bytes) else b"", str(charset) if isinstance(charset, str) else None)
            out.append(_stream(render_html(text)))
        except Exception:  # noqa: BLE001 - a broken alternative only means one stream fewer
            continue
    return out


def _dequote(line: str) -> str:
    return _MARKERS_RE.sub("", line, count=1)


# Characters `normalize` leaves alone (NFKC-stable, not in its dash/tilde fold): only runs of
# other characters go through it. Same result as `normalize(text)`, at a fraction of the cost
# on a long Japanese original (NFKC of a whole 100 KB text alone takes ~6 ms).
_UNSTABLE_RUN_RE = re.compile(
    r".?[^\x00-\x7f\u3041-\u3096\u30a1-\u30fa\u30fd\u30fe\u4e00-\u9fff\u3400-\u4dbf"
    r"\u3001\u3002\u300c-\u3011]+", re.DOTALL)


def _normalize(text: str) -> str:
    return "".join(_UNSTABLE_RUN_RE.sub(lambda m: normalize(m.group()), text).split())


def _stream(text: str) -> str:
    return _normalize("\n".join(_dequote(line) for line in text.split("\n")))


def _indexed_stream(text: str) -> tuple[str, frozenset[int]]:
    """`_stream(text)` and the positions in it where the text's lines start (and end)."""
    lines = [_dequote(line) for line in text.split("\n")]
    if "\x00" in text:
        parts = [_normalize(line) for line in lines]
    else:
        # one pass over the whole text with a marker for each line break (NUL survives
        # normalisation: not whitespace, NFKC-stable), instead of one call per line
        parts = _normalize("\x00".join(lines)).split("\x00")
    starts = {0}
    at = 0
    for part in parts:
        at += len(part)
        starts.add(at)
    return "".join(parts), frozenset(starts)


def _closest(line: str, original: str) -> str | None:
    """The original line the altered one most resembles (to show what it said), or None.
    Candidates are the lines sharing its start or its end (one word changed in the middle is
    the common case), else the first few hundred."""
    lines = [s.strip() for s in (_dequote(x) for x in original.split("\n")) if s.strip()]
    target = line.strip()
    near = [c for c in lines if c[:3] == target[:3] or c[-3:] == target[-3:]] or lines[:300]
    best = difflib.get_close_matches(target, near[:300], n=1, cutoff=0.5)
    return best[0] if best else None


def check(message: ParsedMessage, context: Context, settings: Mapping[str, Any]) -> list[Hit]:
    original = context.original
    if original is None or not (message.quote_spans or message.has_alternatives):
        return []
    # One comparison stream of the original for all passages (the parser's `quote_matches`
    # builds it per passage; interleaved replies have dozens). Lines are looked up forward from
    # where the previous one matched — quotes are usually in order — then anywhere.
    index = QuoteIndex(*_indexed_stream(original.text))
    streams = [index.stream]
    hits: list[Hit] = []
    # Every alternative a client may show: the plain part and, beside it, the HTML part (most
    # clients show the HTML; a quote altered only there is what the customer reads). One
    # finding per alternative at most, and the same altered line is reported once.
    for view in message.alternatives:
        pos = 0
        for span in view.quote_spans:
            hit = _first_altered(span, original, streams, index, pos, view.label)
            if isinstance(hit, int):
                pos = hit
                continue
            # a second opinion before firing: the parser's own matcher knows more client quirks
            # (list bullets, link targets); it is only asked about a passage that looks altered
            if quote_matches(span.text, original.text)[0]:
                continue
            if all(h.evidence != hit.evidence for h in hits):
                hits.append(hit)
            break
    return hits


def _first_altered(span: QuoteSpan, original: ParsedMessage, streams: list[str], index: QuoteIndex,
                   pos: int, part: str = "") -> Hit | int:
    """The finding for the first altered line of `span`, or (all fine) the stream position
    after its last matched line."""
    run: list[str] = []       # the passage's normalised lines so far (see `QuoteIndex`)
    states: list[int] = []    # where in streams[0] it can end
    previous = ""
    for offset, line in enumerate(span.text.split("\n")):
        text = _dequote(line)
        norm = _normalize(text)
        if not norm:
            run, states = [], []
            continue
        if states:
            nxt = index.step(states, norm)
            if nxt:
                run.append(norm)
                states = nxt
                pos = max(pos, min(nxt))
                previous = text.strip()
                continue
        found = streams[0].find(norm, pos)
        if found < 0:
            found = streams[0].find(norm)
        if found >= 0:
            if run:
                run.append(norm)
                states = index.replay(run)
                if not states:
                    return _gap_hit(span.start + offset, previous, text.strip(), part)
            else:
                run, states = [norm], [found + len(norm)]
            pos = max(pos, min(states))
            previous = text.strip()
            continue
        # from here on the line is not in the plain stream: whatever it is, it ends the passage
        run, states = [], []
        if any(norm in s for s in streams[1:]):
            continue
        if _HEADER_LINE_RE.match(text) or _WRAPPER_RE.search(line) or _ELISION_RE.match(text):
            continue
        bare = normalize(_CLIENT_DECORATION_RE.sub("", text))
        if not bare or any(bare in s for s in streams):
            continue
        if len(streams) == 1:
            streams.extend(_html_streams(original))
            if any(norm in s or bare in s for s in streams[1:]):
                continue
        if _matches_with_substitutes(bare, streams):
            continue
        quoted = text.strip()
        number = span.start + offset
        was = _closest(quoted, original.text)
        en = f"Quoted line {number} of the reply{_part_en(part)} is not in the customer's mail: '{quoted}'."
        ja = f"返信{_part_ja(part)}の{number}行目の引用がお客様のメールにありません：「{quoted}」。"
        if was:
            en += f" The customer wrote: '{was}'."
            ja += f"お客様の原文は「{was}」です。"
        en += " Restore the customer's wording."
        ja += "原文どおりに戻してください。"
        return Hit(evidence=quoted, where=_where(part, number), detail={"ja": ja, "en": en})
    return pos


def _part_en(part: str) -> str:
    return f"'s {part}" if part else ""


def _part_ja(part: str) -> str:
    return "のHTMLパート" if part == "HTML part" else (f"の{part}" if part else "")


def _where(part: str, number: int) -> str:
    """"quote line N", or "HTML part, quote line N" for a passage of the HTML alternative."""
    return f"{part}, quote line {number}" if part else f"quote line {number}"


def _gap_hit(number: int, before: str, after: str, part: str = "") -> Hit:
    """Two quoted lines that are each the customer's, with something other than whole lines cut
    out between them (a word deleted where the agent's lines break)."""
    en = (f"Quoted lines {number - 1}-{number} of the reply{_part_en(part)} leave out part of the customer's text between "
          f"'{before}' and '{after}'. Quote whole lines (or mark the cut with （中略）) and restore the customer's wording.")
    ja = (f"返信{_part_ja(part)}の{number - 1}〜{number}行目の引用で、「{before}」と「{after}」の間にあるお客様の文章の一部が"
          f"削られています。行単位で引用する（省略は（中略）と明記する）か、原文どおりに戻してください。")
    return Hit(evidence=after, where=_where(part, number), detail={"ja": ja, "en": en})
