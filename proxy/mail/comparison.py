"""The comparison form: `normalize`, and whether a quote is a trimmed passage of the original.

What `quote-altered` (and subject/customer-data checks) compare is the NFKC, dash/tilde
folded, whitespace-free form, so that re-wrapping, full/half width and IME dash variants are
not alterations. `QuoteIndex` follows a quoted passage through the original line by line.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

from proxy.mail.quotes import QuoteSpan, dequote_line

if TYPE_CHECKING:
    from proxy.message import ParsedMessage


# Dash-like and tilde-like characters that clients, IMEs and the JIS<->Unicode mappings
# (iso2022_jp vs cp932: 〜/～, −/－, ―/—, ‖/∥) swap for one another.
_DASHES = "-‐‑‒–—―─━−－ー﹘﹣ｰ˗⁃⸺⸻"
_TILDES = "~〜～∼∽˜⁓"
_FOLD_TABLE = str.maketrans({**{c: "-" for c in _DASHES}, **{c: "~" for c in _TILDES}, "∥": "‖", "￤": "|"})


def normalize(text: str) -> str:
    """Comparison form: NFKC (full/half width), dash and tilde variants folded, all whitespace
    (including line breaks, so re-wrapping does not matter) removed."""
    # One NFKC pass, then whitespace removal: a combining mark that followed a space ends up
    # on the previous letter un-composed. Harmless, since both sides go through this same
    # function (and quote-altered's fast path is property-tested equal to it).
    return "".join(unicodedata.normalize("NFKC", text).translate(_FOLD_TABLE).split())


# A line the agent puts in a quote to show that something was cut ("（中略）", "[snip]", "…")
# is not a claim about what the customer wrote. Matched on the normalised line.
_ELISION_RE = re.compile(r"^[~\-=]*[(\[<{【〔«]?(?:中略|略|以下略|後略|前略|省略|snip|snipped|\.{2,}|・{2,}|‥+)[)\]>}】〕»]?[~\-=]*$", re.I)


_BULLET_RE = re.compile(r"^\s*(?:[*\-+•・●○◦▪■□◆◇]|\d{1,2}[.)])\s+")
_LINK_RE = re.compile(r"\s*(?:<(?:https?|mailto|tel):[^<>\s]*>|\[(?:https?|mailto|tel):[^\[\]\s]*\])")


@lru_cache(maxsize=8)
def _comparison_index(original_text: str) -> tuple[str, frozenset[int]]:
    """The original as one normalised stream, quote markers stripped, and the stream positions
    where its lines start (and end); cached because a reply with many quoted passages compares
    each against the same original."""
    parts = [normalize(dequote_line(s)) for s in original_text.split("\n")]
    starts = {0}
    at = 0
    for part in parts:
        at += len(part)
        starts.add(at)
    return "".join(parts), frozenset(starts)


# What may stand between two quoted lines that follow each other in the original, besides whole
# original lines: what a client drops when it turns the customer's text into HTML and back
# (link targets, image placeholders, *emphasis* marks). Matched on the normalised stream.
_DROPPABLE_GAP_RE = re.compile(
    r"(?:<(?:https?|mailto|tel):[^<>]*>|\[(?:https?|mailto|tel|cid|image):[^\[\]]*\]|[*_]+)+", re.I)
_MAX_STATES = 64


class QuoteIndex:
    """An original's normalised stream with its line boundaries, for following a quoted passage
    through it line by line (`step`).

    Re-wrapping is free, so a quoted line normally starts where the previous one ended. Trimming
    removes whole lines only: a gap is allowed when it begins and ends at original line
    boundaries (or holds only what clients drop, such as link targets). A word deleted at a
    quoted line's edge ("it still has" / "arrived." quoting "it still has not" / "arrived.")
    leaves a gap inside an original line, so the passage does not continue. A passage is a set
    of possible end positions ("states"): a short line such as "ok" may continue the passage or
    start a line further on, and only the next lines tell which.
    """

    __slots__ = ("stream", "starts", "_by_prefix", "_sorted")

    def __init__(self, stream: str, starts: frozenset[int]) -> None:
        self.stream = stream
        self.starts = starts
        self._by_prefix: dict[str, list[int]] | None = None
        self._sorted: list[int] = []

    def _line_starts_of(self, nxt: str) -> list[int]:
        """Ends of the occurrences of `nxt` that begin an original line (at most _MAX_STATES)."""
        stream = self.stream
        if self._by_prefix is None:
            self._sorted = sorted(p for p in self.starts if p < len(stream))
            by: dict[str, list[int]] = {}
            for p in self._sorted:
                by.setdefault(stream[p:p + 4], []).append(p)
            self._by_prefix = by
        bucket = self._by_prefix.get(nxt[:4], ()) if len(nxt) >= 4 else self._sorted
        out = [p + len(nxt) for p in bucket if stream.startswith(nxt, p)]
        return out[:_MAX_STATES]

    def step(self, states: list[int], nxt: str, every_gap: bool = False) -> list[int]:
        """Where the passage can end after the quoted line `nxt` when it could end at any of
        `states`; [] when `nxt` does not continue it. Gaps of whole lines are only looked for
        when nothing continues directly, unless `every_gap`."""
        stream = self.stream
        out: dict[int, None] = {}
        at_line_end = False
        for e in states:
            if stream.startswith(nxt, e):
                out[e + len(nxt)] = None
            elif stream[e:e + 1] in ("<", "[", "*", "_") and (m := _DROPPABLE_GAP_RE.match(stream, e)):
                if stream.startswith(nxt, m.end()):
                    out[m.end() + len(nxt)] = None
            if e in self.starts:
                at_line_end = True
        if at_line_end and (every_gap or not out):
            # whole lines trimmed out between the two (or the line quoted out of order)
            for end in self._line_starts_of(nxt):
                out[end] = None
        return list(out)[:_MAX_STATES]

    def replay(self, lines: list[str]) -> list[int]:
        """`step` through a whole passage from every place its first line occurs, trying every
        gap: the slow, thorough path, for a passage the quick one lost."""
        first = lines[0]
        states: list[int] = []
        at = self.stream.find(first)
        while at >= 0 and len(states) < _MAX_STATES:
            states.append(at + len(first))
            at = self.stream.find(first, at + 1)
        for nxt in lines[1:]:
            if not states:
                break
            states = self.step(states, nxt, every_gap=True)
        return states


@lru_cache(maxsize=8)
def _quote_index(original_text: str) -> QuoteIndex:
    return QuoteIndex(*_comparison_index(original_text))


def quote_matches(quote: str, original_text: str) -> tuple[bool, str | None]:
    """Is `quote` a trimmed passage of `original_text`? -> (ok, first differing quoted line).

    Both sides are compared in `normalize`d form with quote markers (`>` of any depth)
    stripped from each line, as one stream with line breaks removed, so re-wrapped lines
    still match. Each non-empty quoted line must occur in the original's stream, searched
    forward from where the previous line matched; a line found only earlier in the stream is
    also accepted (quoting out of order does not alter the text). Nested quotes match because
    the original's own quoted text is part of its stream. Elision marks on a line of their own
    ("（中略）", "[snip]", "...") are skipped.

    Only whole lines may be trimmed: within a passage (no blank quoted line or elision mark
    between them) each quoted line must continue the previous one in the original, or follow it
    across a gap of whole original lines (`QuoteIndex`). So a word deleted where the agent's
    lines break is found as surely as one deleted inside a line.

    Known limit: the first line of a passage may start, and its last line end, anywhere in an
    original line (quoting part of a sentence is common and not an alteration).
    """
    index = _quote_index(original_text)
    stream = index.stream
    pos = 0
    run: list[str] = []       # the passage's normalised lines so far
    states: list[int] = []    # where in the stream it can end
    for line in quote.split("\n"):
        norm = normalize(dequote_line(line))
        if not norm or _ELISION_RE.match(norm):
            run, states = [], []
            continue
        if states:
            nxt = index.step(states, norm)
            if nxt:
                run.append(norm)
                states = nxt
                pos = max(pos, min(nxt))
                continue
        found = stream.find(norm, pos)
        if found < 0:
            found = stream.find(norm)
        if found >= 0 and run:
            run.append(norm)
            states = index.replay(run)
            if not states:
                # the line is the customer's, but something between it and the previous one is not
                return False, dequote_line(line).strip()
            pos = max(pos, min(states))
            continue
        if found < 0:
            # What a client adds when it turns the customer's HTML into quoted plain text:
            # list bullets, "text <https://…>" link targets. Not words of the customer, so
            # not alterations; every character the customer wrote must still be there.
            norm = normalize(_LINK_RE.sub("", _BULLET_RE.sub("", dequote_line(line), count=1)))
            if not norm:
                run, states = [], []
                continue
            found = stream.find(norm, pos)
            if found < 0:
                found = stream.find(norm)
            if found < 0:
                return False, dequote_line(line).strip()
        run, states = [norm], [found + len(norm)]
        if found >= pos:
            pos = found + len(norm)
    return True, None


def iter_quote_mismatches(message: ParsedMessage, original: ParsedMessage) -> Iterable[tuple[QuoteSpan, str]]:
    """Every quoted passage of `message` that is not a trimmed passage of `original`,
    with its first differing line. Compared against the original's whole text (its quotes too)."""
    for span in message.quote_spans:
        ok, line = quote_matches(span.text, original.text)
        if not ok:
            yield span, line or ""
