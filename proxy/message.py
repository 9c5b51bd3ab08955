"""Parse one mail once: the read-only `ParsedMessage` every rule, door and check shares.

This module is the facade: `parse` and `ParsedMessage` live here, and every name other modules
import from `proxy.message` is re-exported from the stage of `proxy.mail` that does that job:

  charsets     bytes in a declared / guessed charset -> text (`decode_bytes`)
  headers      encoded-words, addresses, Message-IDs (`decode_words`, `Address`)
  mime         which part is the body, transfer decoding, broken-MIME repair
  html_text    HTML part -> text with quotes as `>` lines (`render_html`)
  quotes       own lines / quoted passages / attributions (`QuoteSpan`)
  signature    where the signature starts
  body_view    one body text split into a `BodyView`; other alternatives rendered lazily
  language     ja or en
  comparison   `normalize`, `QuoteIndex`, `quote_matches`

A bad mail must never raise: what could not be decoded is decoded with replacement
characters and named in `problems`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from typing import Literal

from proxy.mail.body_view import BodyView, LazyViews, split_view
from proxy.mail.charsets import decode_bytes
from proxy.mail.comparison import QuoteIndex, iter_quote_mismatches, normalize, quote_matches
from proxy.mail.headers import Address, addresses, decode_words, message_ids, raw_header, raw_to_str
from proxy.mail.html_text import render_html
from proxy.mail.language import language_of
from proxy.mail.mime import MIME_DEFECTS, choose_body, part_text, read_structure, repair_multipart
from proxy.mail.quotes import QuoteSpan

__all__ = [
    "Address", "BodyView", "ParsedMessage", "QuoteIndex", "QuoteSpan", "decode_bytes", "decode_words",
    "iter_quote_mismatches", "normalize", "parse", "quote_matches", "render_html",
]


@dataclass(frozen=True)
class ParsedMessage:
    raw: bytes
    headers: Message                      # compat32 parse; read-only for rules
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str                          # decoded, unfolded
    from_: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    text: str                             # the whole body as text (plain part, else HTML rendered)
    own_text: str                         # what the author wrote: no quotes, no attribution; signature included
    signature: str | None                 # the signature block, when one was found
    quotes: tuple[str, ...]               # each quoted passage, de-quoted, in order
    problems: tuple[str, ...] = field(default=())  # decoding problems (unknown charset, broken MIME, …)
    # --- additions (everything below has a default so older constructors keep working) ---
    quote_spans: tuple[QuoteSpan, ...] = field(default=())
    attribution: str | None = None        # the first attribution line(s) / header block, joined by "\n"
    attributions: tuple[str, ...] = field(default=())
    greeting: str | None = None           # first own line when it addresses someone ("青木 様", "Dear Ms. Wilson,")
    own_lines: tuple[tuple[int, str], ...] = field(default=())  # (line number in `text`, line) of own_text
    signature_line: int | None = None     # line number in `text` where the signature starts
    html: bool = False                    # True when `text` was rendered from an HTML part
    charset: str | None = None            # charset label of the body part used (as declared)
    language: Literal["ja", "en"] = "en"  # of the own text (falls back to the whole text)
    # the other alternatives (HTML part of a multipart/alternative), computed on first use
    lazy_alternatives: LazyViews | None = field(default=None, repr=False, compare=False)

    @property
    def primary_view(self) -> BodyView:
        """The fields above as a `BodyView` (the plain part when there is one)."""
        return BodyView(
            kind="html" if self.html else "plain", text=self.text, own_text=self.own_text,
            signature=self.signature, quotes=self.quotes, quote_spans=self.quote_spans,
            attributions=self.attributions, greeting=self.greeting, own_lines=self.own_lines,
            signature_line=self.signature_line, primary=True)

    @property
    def has_alternatives(self) -> bool:
        """Is there an alternative besides the primary view (without rendering it)?"""
        return bool(self.lazy_alternatives)

    @property
    def alternatives(self) -> tuple[BodyView, ...]:
        """Every alternative of the body a client may show: the primary view first, then the
        others (the HTML part beside a plain one, rendered on first access)."""
        rest = self.lazy_alternatives.get() if self.lazy_alternatives else ()
        return (self.primary_view,) + rest

    @property
    def recipients(self) -> tuple[Address, ...]:
        return self.to + self.cc

    @property
    def body_lines(self) -> list[str]:
        """`text` split into lines; index i is line i+1 of QuoteSpan/own_lines numbering."""
        return self.text.split("\n")

    def header(self, name: str) -> str:
        """One header, decoded (encoded-words, raw 8-bit) and unfolded; "" when absent."""
        values = self.header_values(name)
        return values[0] if values else ""

    def header_values(self, name: str) -> list[str]:
        key = name.lower()
        return [decode_words(raw_to_str(v)) for k, v in self.headers.raw_items() if k.lower() == key]


def parse(raw: bytes) -> ParsedMessage:
    """Raw message bytes -> ParsedMessage. Never raises on bad mail: see `problems`."""
    problems: list[str] = []
    msg = read_structure(raw)
    for defect in msg.defects:
        name = defect.__class__.__name__
        if name in MIME_DEFECTS:
            problems.append(f"MIME: {MIME_DEFECTS[name]} ({name})")
    body_msg = msg
    if msg.get_content_maintype() == "multipart" and not msg.is_multipart():
        body_msg = repair_multipart(msg, raw, problems)
    chosen = None
    try:
        chosen = choose_body(body_msg, problems)
    except Exception as exc:  # noqa: BLE001 - last line of defence: a bad mail is a problem, not a crash
        problems.append(f"MIME: unreadable structure ({exc.__class__.__name__}: {exc})")
    if chosen is None and body_msg.get_content_maintype() == "text" and not body_msg.is_multipart():
        # a single text part marked "attachment" is still the only thing the mail says
        problems.append("MIME: the only text part is marked as an attachment; read as the body")
        try:
            chosen = (part_text(body_msg, problems, "body"), False, body_msg.get_param("charset"), ())
        except Exception as exc:  # noqa: BLE001 - as above: a problem, not a crash
            problems.append(f"MIME: unreadable body ({exc.__class__.__name__}: {exc})")
    text, is_html, charset, alts = chosen if chosen else ("", False, None, ())
    if isinstance(charset, tuple):
        charset = charset[2]
    view = split_view(text, "html" if is_html else "plain", True)
    froms = addresses(msg, "From", problems)
    raw_subject = next((v for k, v in msg.raw_items() if k.lower() == "subject"), "")
    subject = decode_words(raw_subject, problems, "Subject")
    return ParsedMessage(
        raw=raw,
        headers=msg,
        message_id=(message_ids(raw_header(msg, "Message-ID")) or (None,))[0],
        in_reply_to=message_ids(raw_header(msg, "In-Reply-To")),
        references=message_ids(raw_header(msg, "References")),
        subject=subject,
        from_=froms[0] if froms else None,
        to=addresses(msg, "To", problems),
        cc=addresses(msg, "Cc", problems),
        reply_to=addresses(msg, "Reply-To", problems),
        text=text,
        own_text=view.own_text,
        signature=view.signature,
        quotes=view.quotes,
        problems=tuple(dict.fromkeys(problems)),
        quote_spans=view.quote_spans,
        attribution=view.attributions[0] if view.attributions else None,
        attributions=view.attributions,
        greeting=view.greeting,
        own_lines=view.own_lines,
        signature_line=view.signature_line,
        html=is_html,
        charset=str(charset) if charset else None,
        lazy_alternatives=LazyViews(alts) if alts else None,
        language=language_of(view.own_text or text),
    )
