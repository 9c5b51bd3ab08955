"""Build the RFC 5322 message a structured send request (Graph, JMAP) stands for.

The engine reads mail, not JSON: so the API's fields become a real MIME message the same
`proxy.message.parse` reads for SMTP. Non-ASCII headers become RFC 2047 encoded-words, bodies
are UTF-8 (base64 when not ASCII), an HTML-only body gets a plain-text alternative rendered
from it (as Outlook and Gmail do), and the reply headers (In-Reply-To, References) are kept
so the engine can find the original.
"""
from __future__ import annotations

import email.policy
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from addons.shapes import ShapeError
from addons.shapes.html_text import html_to_text

_POLICY = email.policy.SMTP.clone(max_line_length=78)


@dataclass(frozen=True)
class Mailbox:
    name: str
    email: str


@dataclass(frozen=True)
class Draft:
    """The fields of one mail as an API states them; `date` is the request's own timestamp."""

    subject: str | None = None
    from_: tuple[Mailbox, ...] = ()
    to: tuple[Mailbox, ...] = ()
    cc: tuple[Mailbox, ...] = ()
    bcc: tuple[Mailbox, ...] = ()
    text: str | None = None
    html: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    message_id: str | None = None
    date: float | None = None
    extra_headers: tuple[tuple[str, str], ...] = field(default=())


def _addresses(boxes: tuple[Mailbox, ...]) -> list[Address]:
    try:
        return [Address(display_name=b.name or "", addr_spec=b.email) for b in boxes]
    except (ValueError, IndexError) as exc:
        raise ShapeError(f"bad address in {[b.email for b in boxes]}: {exc}") from exc


def _ids(values: tuple[str, ...]) -> str:
    return " ".join(f"<{v.strip().strip('<>')}>" for v in values if v.strip())


def _cte(text: str) -> str:
    return "quoted-printable" if text.isascii() else "base64"


def build(draft: Draft) -> bytes:
    """Draft -> RFC 5322 bytes (CRLF line ends, 7-bit clean)."""
    msg = EmailMessage(policy=_POLICY)
    for name, boxes in (("From", draft.from_), ("To", draft.to), ("Cc", draft.cc), ("Bcc", draft.bcc)):
        if boxes:
            msg[name] = _addresses(boxes)
    if draft.subject is not None:
        msg["Subject"] = draft.subject
    if draft.date is not None:
        msg["Date"] = formatdate(draft.date, usegmt=True)
    if draft.message_id:
        msg["Message-ID"] = _ids((draft.message_id,))
    if draft.in_reply_to:
        msg["In-Reply-To"] = _ids(draft.in_reply_to)
    if draft.references:
        msg["References"] = _ids(draft.references)
    for name, value in draft.extra_headers:
        msg[name] = value
    text = draft.text if draft.text is not None else html_to_text(draft.html) if draft.html else ""
    msg.set_content(text, charset="utf-8", cte=_cte(text))
    if draft.html is not None:
        msg.add_alternative(draft.html, subtype="html", charset="utf-8", cte=_cte(draft.html))
    return msg.as_bytes(policy=_POLICY)
