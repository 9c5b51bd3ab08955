"""Render an HTML mail body as the plain text the rules read.

Graph and JMAP clients often send only HTML. The rules compare text: the agent's own words,
the quoted original (`> ` lines) and the signature. So a `<blockquote>` becomes `> `-quoted
lines, block elements and `<br>` become line breaks, scripts and styles vanish.
"""
from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = frozenset({
    "p", "div", "li", "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "hr", "section", "article", "header", "footer",
})
_HIDDEN = frozenset({"script", "style", "head", "title"})


class _TextRenderer(HTMLParser):
    """Collects text into lines, remembering the blockquote depth each line started at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self.current: list[str] = []
        self.depth = 0
        self.hidden = 0

    def newline(self) -> None:
        self.lines.append((self.depth, "".join(self.current)))
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.newline()
        elif tag == "blockquote":
            if self.current:
                self.newline()
            self.depth += 1
        elif tag in _BLOCKS and self.current:
            self.newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "blockquote":
            if self.current:
                self.newline()
            self.depth = max(0, self.depth - 1)
        elif tag in _BLOCKS and self.current:
            self.newline()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.current.append(" ".join(data.split("\n")) if "\n" in data else data)


def _line(depth: int, text: str) -> str:
    """`-- ` keeps its space: it is the signature delimiter the signature rule looks for."""
    return "> " * depth + (text + " " if text == "--" else text)


def html_to_text(html: str) -> str:
    """HTML body -> plain text with `> ` quotes; trailing blank lines removed."""
    renderer = _TextRenderer()
    renderer.feed(html)
    renderer.close()
    if renderer.current:
        renderer.newline()
    out = [_line(depth, text.strip()) for depth, text in renderer.lines]
    while out and not out[-1]:
        out.pop()
    while out and not out[0]:
        out.pop(0)
    return "\n".join(out) + "\n"
