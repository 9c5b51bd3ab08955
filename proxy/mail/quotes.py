"""A body's lines -> own lines, quoted passages and their attributions.

One pass over the lines with regexes compiled at import. Its own module because the
comparison form (`proxy.mail.comparison`) must agree with it on what a quoted line is: both
strip quote markers with `dequote_line`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class QuoteSpan:
    """One contiguous quoted passage, with where it sits in `ParsedMessage.text`.

    `start`/`end` are 1-based, inclusive line numbers of `text` (attribution lines excluded),
    so a finding can say "quote, lines 23-27". `style` tells how it was recognised:
    "prefix" (`>` lines, also HTML blockquotes rendered as `>`), or "header-block" (the
    un-prefixed original below an Outlook "-----Original Message-----" / "From: … Sent: …" block).
    """

    start: int
    end: int
    text: str                       # de-quoted, line breaks preserved
    style: Literal["prefix", "header-block"]
    attribution: str | None = None  # the "On … wrote:" / header block that introduced it


_QUOTE_LINE_RE = re.compile(r"^[ \t]{0,3}[>＞]")
_QUOTE_PREFIX_RE = re.compile(r"^[ \t]*(?:[>＞][ \t]?)+")
_ATTRIBUTION_RES = tuple(re.compile(p) for p in (
    r"(?i)\bwrote\s*[:：]\s*$",
    r"書きました\s*[:：]\s*$",
    r"(?:のメール|のメッセージ|からのメール)\s*[:：]\s*$",
    r"(?i)\b(?:schrieb|a\s+écrit|escribió|scrisse|skrev|napisał)\s*[:：]?\s*$",
    r"^\s*\d{4}\s*[年/.\-]\s*\d{1,2}\s*[月/.\-]\s*\d{1,2}.*[:：]\s*$",
    r"(?i)^\s*(?:On|Am|Le|El|Il|Op)\s(?=.*\d).+[:：]\s*$",  # needs a date in it: "On your question:" is the agent's
    r"<[^<>@\s]+@[^<>\s]+>\s*[:：]\s*$",
))
_DASH_MARKER_RE = re.compile(
    r"(?i)^\s*[-_=]{2,}\s*(?:original\s+message|forwarded\s+message|元のメッセージ|転送メッセージ|"
    r"転送されたメッセージ|オリジナルメッセージ|ursprüngliche\s+nachricht|message\s+d'origine)\s*[-_=]{2,}\s*$")
_UNDERSCORE_RE = re.compile(r"^\s*_{10,}\s*$")
_HDR_RE = re.compile(
    r"(?i)^\s*\*?(from|差出人|送信者|送信元|sent|date|送信日時|送信日|日付|日時|to|宛先|cc|bcc|subject|件名|reply-to|"
    r"importance|重要度|添付|attachments?)\*?\s*[:：]")
_HDR_FROM = {"from", "差出人", "送信者", "送信元"}
_HDR_OTHER = {"sent", "date", "送信日時", "送信日", "日付", "日時", "subject", "件名"}


@dataclass
class QuoteSplit:
    own: list[tuple[int, str]]
    spans: list[QuoteSpan]
    attributions: list[str]


def _is_attribution(lines: list[str]) -> bool:
    text = " ".join(s.strip() for s in lines)
    if len(text) > 300:
        return False
    return any(r.search(text) for r in _ATTRIBUTION_RES)


def _header_block_at(lines: list[str], i: int) -> int | None:
    """If an Outlook-style reply header starts at line i, return the index after it; else None.

    Accepted: a dashed "Original Message" / "元のメッセージ" marker, or a `____` line, optionally
    followed by header lines; or a bare run of header lines that has From/差出人 and one of
    Sent/Date/送信日時/Subject/件名 (Outlook's plain-text reply block).
    """
    n = len(lines)
    j = i
    marker = bool(_DASH_MARKER_RE.match(lines[i]))
    underscore = bool(_UNDERSCORE_RE.match(lines[i]))
    if marker or underscore:
        j += 1
        while j < n and not lines[j].strip() and j - i < 3:
            j += 1
    keys: set[str] = set()
    k = j
    while k < n:
        m = _HDR_RE.match(lines[k])
        if m:
            keys.add(m.group(1).lower())
            k += 1
            continue
        # an address list wrapped onto the next line, followed by more headers
        if keys and lines[k].strip() and k + 1 < n and _HDR_RE.match(lines[k + 1]) and not _QUOTE_LINE_RE.match(lines[k]):
            k += 1
            continue
        break
    has_header_block = bool(keys & _HDR_FROM) and bool(keys & _HDR_OTHER)
    if marker:
        return k if keys else j
    if has_header_block:
        return k
    return None


def split_quotes(lines: list[str]) -> QuoteSplit:
    n = len(lines)
    # 1. an Outlook header block: everything below it is the quoted original
    tail_start = n
    tail: QuoteSpan | None = None
    tail_attr = ""
    for i, line in enumerate(lines):
        if _QUOTE_LINE_RE.match(line) or not line.strip():
            continue
        if not (_DASH_MARKER_RE.match(line) or _UNDERSCORE_RE.match(line) or _HDR_RE.match(line)):
            continue
        end = _header_block_at(lines, i)
        if end is None:
            continue
        tail_start = i
        tail_attr = "\n".join(s for s in lines[i:end] if s.strip())
        q_start = end
        while q_start < n and not lines[q_start].strip():
            q_start += 1
        q_end = n
        while q_end > q_start and not lines[q_end - 1].strip():
            q_end -= 1
        if q_end > q_start:
            body = lines[q_start:q_end]
            tail = QuoteSpan(q_start + 1, q_end, "\n".join(body), "header-block", tail_attr)
        break

    own: list[tuple[int, str]] = []
    spans: list[QuoteSpan] = []
    attributions: list[str] = []
    i = 0
    while i < tail_start:
        if not _QUOTE_LINE_RE.match(lines[i]):
            own.append((i, lines[i]))
            i += 1
            continue
        start = i
        while i < tail_start and _QUOTE_LINE_RE.match(lines[i]):
            i += 1
        body = [_QUOTE_PREFIX_RE.sub("", s, count=1) for s in lines[start:i]]
        # attribution: the last one or two non-blank own lines right before the quote
        attr: str | None = None
        idx = range(len(own) - 1, max(-1, len(own) - 5), -1)
        nonblank = []
        for k in idx:
            if own[k][1].strip():
                nonblank.append(k)
                if len(nonblank) == 2:
                    break
            elif nonblank:
                break
            elif own[-1][0] - own[k][0] > 2:
                break
        for take in (1, 2):
            if len(nonblank) >= take:
                chosen = sorted(nonblank[:take])
                if _is_attribution([own[k][1] for k in chosen]):
                    attr = "\n".join(own[k][1].strip() for k in chosen)
                    del own[chosen[0]:]
                    break
        if attr:
            attributions.append(attr)
        spans.append(QuoteSpan(start + 1, i, "\n".join(body), "prefix", attr))
    if tail is not None:
        attributions.append(tail_attr)
        spans.append(tail)
    return QuoteSplit(own, spans, attributions)


def dequote_line(line: str) -> str:
    """One line without its quote markers (`>` / `＞` of any depth)."""
    return _QUOTE_PREFIX_RE.sub("", line, count=1)
