"""Parse one mail once, normalise once: the read-only object every rule, door and check shares.

FIRST VERSION (foundation): headers, decoded subject, addresses, plain body and `>` quotes.
The message helper extends this module (charsets, quote styles, HTML, signature); the
field names below are the contract the rules rely on.
"""
from __future__ import annotations

import email
import email.policy
import unicodedata
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses


@dataclass(frozen=True)
class Address:
    name: str
    addr: str  # lower-cased addr-spec


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

    @property
    def recipients(self) -> tuple[Address, ...]:
        return self.to + self.cc


def decode_words(value: str | None) -> str:
    """RFC 2047 header value -> str; tolerant of broken encoded-words."""
    if not value:
        return ""
    try:
        text = str(make_header(decode_header(value)))
    except (UnicodeDecodeError, LookupError, ValueError):
        text = value
    return " ".join(text.split())


def _ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(tok.strip("<>") for tok in value.replace(",", " ").split() if "@" in tok)


def _addresses(msg: Message, name: str) -> tuple[Address, ...]:
    values = [decode_words(v) for v in msg.get_all(name, [])]
    return tuple(Address(n.strip(), a.strip().lower()) for n, a in getaddresses(values) if a)


def _body_text(msg: Message, problems: list[str]) -> str:
    part = next((p for p in msg.walk() if p.get_content_type() == "text/plain"), None)
    if part is None:
        return ""
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError) as exc:
        problems.append(f"body: {exc}")
        return payload.decode("utf-8", "replace")


def parse(raw: bytes) -> ParsedMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    problems: list[str] = []
    text = _body_text(msg, problems).replace("\r\n", "\n")
    own, quotes, current = [], [], []
    for line in text.split("\n"):
        if line.startswith(">"):
            current.append(line.lstrip("> "))
        else:
            if current:
                quotes.append("\n".join(current))
                current = []
            own.append(line)
    if current:
        quotes.append("\n".join(current))
    froms = _addresses(msg, "From")
    return ParsedMessage(
        raw=raw,
        headers=msg,
        message_id=(_ids(msg.get("Message-ID")) or (None,))[0],
        in_reply_to=_ids(msg.get("In-Reply-To")),
        references=_ids(msg.get("References")),
        subject=decode_words(msg.get("Subject")),
        from_=froms[0] if froms else None,
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        reply_to=_addresses(msg, "Reply-To"),
        text=text,
        own_text="\n".join(own),
        signature=None,
        quotes=tuple(quotes),
        problems=tuple(problems),
    )


def normalize(text: str) -> str:
    """Comparison form: NFKC (full/half width), whitespace runs and line breaks removed."""
    return "".join(unicodedata.normalize("NFKC", text).split())
