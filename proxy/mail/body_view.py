"""One body text -> a `BodyView`: own text, quotes, attributions, greeting, signature.

Both the primary body and each other alternative (the HTML part beside a plain one) go
through `split_view`, so every alternative a client may show is split the same way.
`LazyViews` defers the other alternatives: rendering and splitting an HTML part costs about as
much as the plain one, and only the rules that look at every alternative need it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from proxy.mail.quotes import QuoteSpan, split_quotes
from proxy.mail.signature import find_signature


@dataclass(frozen=True)
class BodyView:
    """One alternative of the body, split like `ParsedMessage` splits its primary one.

    `ParsedMessage.alternatives[0]` is the primary view (the same values as the message's own
    `text`, `own_text`, `quotes`, …: the plain part when there is one); further views are the
    other alternatives a client may show instead — the HTML part of a multipart/alternative,
    rendered (`kind == "html"`). Line numbers are of this view's `text`.
    """

    kind: Literal["plain", "html"]
    text: str
    own_text: str
    signature: str | None
    quotes: tuple[str, ...]
    quote_spans: tuple[QuoteSpan, ...] = field(default=())
    attributions: tuple[str, ...] = field(default=())
    greeting: str | None = None
    own_lines: tuple[tuple[int, str], ...] = field(default=())
    signature_line: int | None = None
    primary: bool = False
    problems: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        """Where a finding in this view is: "" for the primary view, else "HTML part"."""
        return "" if self.primary else ("HTML part" if self.kind == "html" else "other part")


class LazyViews:
    """The secondary body views, computed on first use (a frozen dataclass cannot cache on
    itself): rendering and splitting an HTML alternative costs about as much as the plain
    part, and only the rules that look at every alternative need it."""

    __slots__ = ("_thunks", "_views")

    def __init__(self, thunks: tuple) -> None:
        self._thunks = thunks
        self._views: tuple[BodyView, ...] | None = None

    def __bool__(self) -> bool:
        return bool(self._thunks)

    def get(self) -> tuple[BodyView, ...]:
        if self._views is None:
            views = []
            for thunk in self._thunks:
                problems: list[str] = []
                try:
                    text, is_html = thunk(problems)
                except Exception:  # noqa: BLE001 - a broken alternative is one view fewer
                    continue
                views.append(split_view(text, "html" if is_html else "plain", False, tuple(dict.fromkeys(problems))))
            self._views = tuple(views)
        return self._views


_GREETING_RE = re.compile(
    r"(?i)^\s*(?:dear\b|hi\b|hello\b|hey\b|good\s+(?:morning|afternoon|evening)\b)|"
    r"(?:様|さま|さん|殿|御中|各位|先生)\s*[,、。:：]?\s*$")


def _trim(own: list[tuple[int, str]]) -> list[tuple[int, str]]:
    a, b = 0, len(own)
    while a < b and not own[a][1].strip():
        a += 1
    while b > a and not own[b - 1][1].strip():
        b -= 1
    return own[a:b]


def split_view(text: str, kind: Literal["plain", "html"], primary: bool, problems: tuple[str, ...] = ()) -> BodyView:
    """Split one body text into own text / quotes / attribution / signature."""
    split = split_quotes(text.split("\n"))
    own = _trim(split.own)
    own_text = "\n".join(t for _, t in own)
    signature, sig_line = find_signature(own)
    greeting = next((t.strip() for _, t in own if t.strip()), None)
    if greeting is not None and not _GREETING_RE.search(greeting):
        greeting = None
    return BodyView(
        kind=kind, text=text, own_text=own_text, signature=signature,
        quotes=tuple(s.text for s in split.spans), quote_spans=tuple(split.spans),
        attributions=tuple(split.attributions), greeting=greeting,
        own_lines=tuple((k + 1, t) for k, t in own), signature_line=sig_line,
        primary=primary, problems=problems)
