"""HTML part -> plain text, with what mail clients mark as quoted turned into `>` lines.

Its own module so that an HTML-only reply is split by exactly the same quote/signature
splitter as a plain one: the renderer's only job is to make HTML look like the plain text a
client would have written (blockquotes and border-left divs as `>`, Outlook's reply header
preceded by its `____` line).
"""
from __future__ import annotations

import re
from html import unescape as html_unescape


_HTML_WS_RE = re.compile(r"[ \t\r\n\xa0]+")


_TAG_RE = re.compile(r"<!--.*?(?:-->|$)|<!\[.*?\]>|<![^>]*>|<\?[^>]*>|<(/?)([a-zA-Z][\w:.-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
_ATTR_RE = re.compile(r"([\w:.-]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)")


class _HTMLText:
    """HTML -> plain text, quoting what the mail clients mark as quoted.

    <blockquote> and the border-left <div>s of Outlook/Apple/Yahoo become `>` lines; Outlook's
    reply header (`divRplyFwdMsg`, or the border-top div of Outlook desktop) is preceded by the
    `____` line Outlook itself writes in plain text, so the plain-text splitter handles both.

    A regex tokenizer rather than html.parser: mail HTML (Outlook's above all) is tag-dense,
    and the stdlib parser's per-tag Python work made a 100 KB part cost ~25 ms.
    """

    _BLOCK = frozenset("p div li tr table ul ol h1 h2 h3 h4 h5 h6 pre hr address center dl dt dd section article header footer blockquote form".split())
    _SKIP = frozenset(("style", "script", "head", "title", "xml"))

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.cur_depth = 0
        self.depth = 0
        self.stack: list[tuple[str, bool]] = []
        self.pre = 0

    def feed(self, html: str) -> None:
        pos = 0
        n = len(html)
        while pos < n:
            m = _TAG_RE.search(html, pos)
            if m is None:
                self.handle_data(html_unescape(html[pos:]))
                break
            if m.start() > pos:
                self.handle_data(html_unescape(html[pos:m.start()]))
            pos = m.end()
            tag = m.group(2)
            if tag is None:
                continue  # comment, doctype, <![if …]>
            tag = tag.lower()
            if m.group(1):
                self.handle_endtag(tag)
                continue
            if tag in self._SKIP:
                close = re.compile(r"</%s\s*>" % re.escape(tag), re.I).search(html, pos)
                pos = close.end() if close else n
                continue
            attrs = m.group(3) or ""
            if tag == "br" or tag == "hr" or attrs.rstrip().endswith("/"):
                self.handle_startendtag(tag)
                if tag in self._BLOCK and tag != "hr":
                    self.handle_starttag(tag, attrs)
                    self.handle_endtag(tag)
                continue
            self.handle_starttag(tag, attrs)

    def _break(self) -> None:
        text = "".join(self.cur)
        if not self.pre:
            text = _HTML_WS_RE.sub(" ", text).strip()
        prefix = ">" * self.cur_depth
        self.lines.append(f"{prefix} {text}" if prefix and text else (prefix or text))
        self.cur = []
        self.cur_depth = self.depth

    def _soft_break(self) -> None:
        content = "".join(self.cur)
        if content.strip(" \t\r\n\xa0"):
            self._break()
        elif "\xa0" in content:
            # <p>&nbsp;</p>, <div>&nbsp;</div>: how Outlook and webmail write an empty line
            self.cur = []
            self._break()
        else:
            self.cur = []
            self.cur_depth = self.depth

    def handle_starttag(self, tag: str, attr_text: str) -> None:
        if tag not in self._BLOCK:
            return
        self._soft_break()
        a = {k.lower(): v.strip("\"'") for k, v in _ATTR_RE.findall(attr_text)} if attr_text else {}
        style = a.get("style", "").replace(" ", "").lower()
        ident = (a.get("id", "") + " " + a.get("class", "")).lower()
        quoting = tag == "blockquote" or (
            tag == "div" and "border-left:" in style and "border-left:none" not in style)
        if not quoting and ("divrplyfwdmsg" in ident or (tag == "div" and "border-top:solid" in style)):
            self.lines.append("________________________________")
        if tag == "p" and "msonormal" not in ident:
            # a paragraph is set off by an empty line (Outlook's MsoNormal ones have no margin)
            if self.lines and self.lines[-1].strip("> "):
                self.lines.append(">" * self.depth)
        if tag == "pre":
            self.pre += 1
        self.stack.append((tag, quoting, tag == "p" and "msonormal" not in ident))
        if quoting:
            self.depth += 1
            self.cur_depth = self.depth

    def handle_startendtag(self, tag: str) -> None:
        if tag == "br":
            self._break()
        elif tag == "hr":
            self._soft_break()

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._BLOCK or not any(t == tag for t, _, _ in self.stack):
            return
        self._soft_break()
        spaced = False
        while self.stack:
            t, quoting, para = self.stack.pop()
            if quoting:
                self.depth -= 1
            if t == "pre":
                self.pre = max(0, self.pre - 1)
            if t == tag:
                spaced = para
                break
        self.cur_depth = self.depth
        if spaced:
            self.lines.append(">" * self.depth)

    def handle_data(self, data: str) -> None:
        if not self.cur:
            self.cur_depth = self.depth
        self.cur.append(data)

    def text(self) -> str:
        self._soft_break()
        out: list[str] = []
        for line in self.lines:
            if not line.strip("> ") and out and not out[-1].strip("> "):
                continue  # collapse runs of empty lines
            out.append(line)
        while out and not out[0].strip("> "):
            out.pop(0)
        while out and not out[-1].strip("> "):
            out.pop()
        return "\n".join(out)


def render_html(html: str) -> str:
    """HTML part -> plain text with quoted passages as `>` lines (see `_HTMLText`)."""
    parser = _HTMLText()
    parser.feed(html)
    return parser.text()
