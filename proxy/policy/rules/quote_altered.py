"""quote-altered: what the reply quotes must be what the customer wrote.

Why: a quote is evidence of what the customer said. An agent who "fixes" a quoted quantity
(2個 → 3個) or model number (AC-2210 → AC-2201) puts words in the customer's mouth, and the
customer sees it. Trimming is fine — quoting only the relevant lines is good practice — so
each quoted line must occur in the original, not the quote as a whole.

What counts as "the same": the comparison form of `proxy.message.normalize` (NFKC, dash and
tilde variants folded — ISO-2022-JP and CP932 map 〜/－ differently —, all whitespace and line
breaks removed, so re-wrapping at new places, full-width spaces and HTML rendering whitespace
do not matter), against the original's whole text (its own quotes and signature included,
quote markers of any depth removed). Quote styles come from the parser: `>` lines of any
depth, HTML blockquotes, and the un-prefixed original under an Outlook header block; the
attribution and header lines ("On … wrote:", "差出人: …") are not quote text.
"""
from __future__ import annotations

import difflib
import re
from typing import Any, Mapping

from proxy.message import ParsedMessage, normalize, quote_matches
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


def _dequote(line: str) -> str:
    return _MARKERS_RE.sub("", line, count=1)


def _stream(text: str) -> str:
    return "".join(normalize(_dequote(line)) for line in text.split("\n"))


def _closest(line: str, original: str) -> str | None:
    """The original line the altered one most resembles (to show what it said), or None."""
    candidates = [s.strip() for s in (_dequote(x) for x in original.split("\n")[:3000]) if s.strip()]
    best = difflib.get_close_matches(line.strip(), candidates, n=1, cutoff=0.5)
    return best[0] if best else None


def check(message: ParsedMessage, context: Context, settings: Mapping[str, Any]) -> list[Hit]:
    original = context.original
    if original is None or not message.quote_spans:
        return []
    stream: str | None = None
    for span in message.quote_spans:
        ok, _ = quote_matches(span.text, original.text)
        if ok:
            continue
        if stream is None:
            stream = _stream(original.text)
        for offset, line in enumerate(span.text.split("\n")):
            norm = normalize(_dequote(line))
            if not norm or norm in stream:
                continue
            if _HEADER_LINE_RE.match(_dequote(line)) or _WRAPPER_RE.search(line):
                continue
            quoted = _dequote(line).strip()
            number = span.start + offset
            was = _closest(quoted, original.text)
            en = f"Quoted line {number} of the reply is not in the customer's mail: '{quoted}'."
            ja = f"返信の{number}行目の引用がお客様のメールにありません：「{quoted}」。"
            if was:
                en += f" The customer wrote: '{was}'."
                ja += f"お客様の原文は「{was}」です。"
            en += " Quote the customer's words exactly (you may cut lines, never change them)."
            ja += "引用は原文のまま残してください（行を削るのは構いませんが、書き換えないでください）。"
            return [Hit(evidence=quoted, where=f"quote line {number}", detail={"ja": ja, "en": en})]
    return []
