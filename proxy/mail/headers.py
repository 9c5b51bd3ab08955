"""Header values -> text and structure: RFC 2047 encoded-words, addresses, Message-IDs.

Separate from the body because headers have their own breakage (encoded-words split inside a
character, raw 8-bit or raw ISO-2022-JP values, display names with commas) and their own fast
paths (`Name <a@b>` by one regex instead of the stdlib address parser).
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

from proxy.mail.charsets import decode_bytes


@dataclass(frozen=True)
class Address:
    name: str
    addr: str  # lower-cased addr-spec


_EW_RE = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_EW_START_RE = re.compile(r"=\?[^?\s]+\?[bBqQ]\?")
_EW_GAP_RE = re.compile(r"[ \t\r\n]*")
_QHEX_RE = re.compile(rb"=([0-9A-Fa-f]{2})")
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
_WS_RE = re.compile(r"[ \t\r\n]+")


def raw_to_str(value: object) -> str:
    """A compat32 raw header value -> str. Raw 8-bit bytes (surrogate-escaped by the parser)
    are decoded as UTF-8, else guessed (CP932/EUC-JP) — real clients do send them."""
    if not isinstance(value, str):
        value = str(value)
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        data = value.encode("ascii", "surrogateescape")
        return decode_bytes(data, None, "header")[0]


def _ew_bytes(enc: str, payload: str) -> bytes | None:
    if enc in "bB":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return None
    data = payload.replace("_", " ").encode("ascii", "replace")
    return _QHEX_RE.sub(lambda m: bytes((int(m.group(1), 16),)), data)


def decode_words(value: str | None, problems: list[str] | None = None, where: str = "header") -> str:
    """RFC 2047 header value -> str, unfolded, ASCII whitespace runs collapsed.

    Tolerant where real mail is broken: encoded-words without surrounding whitespace, a
    multibyte character split across two encoded-words (bytes of adjacent words in one
    charset are joined before decoding), bad base64 padding, unknown charsets (decoded by
    guess, with a problem noted). Full-width spaces are kept: they are part of the subject.
    """
    if not value:
        return ""
    value = raw_to_str(value)
    value = _FOLD_RE.sub("", value)
    if "\x1b" in value:
        # raw ISO-2022-JP in a header, as old Japanese mailers send it: decode the escapes
        decoded, problem = decode_bytes(value.encode("ascii", "replace"), "iso-2022-jp", where)
        value = decoded
        if problems is not None:
            problems.append(f"{where}: raw ISO-2022-JP header (not an encoded-word); decoded")
            if problem:
                problems.append(problem)
    out: list[str] = []
    pos = 0
    pending: list[bytes] = []
    pending_cs = ""

    def flush() -> None:
        nonlocal pending, pending_cs
        if pending:
            text, problem = decode_bytes(b"".join(pending), pending_cs, where)
            out.append(text)
            if problem and problems is not None:
                problems.append(problem)
        pending, pending_cs = [], ""

    for m in _EW_RE.finditer(value):
        gap = value[pos:m.start()]
        data = _ew_bytes(m.group(2), m.group(3))
        if data is None:
            flush()
            out.append(gap + m.group(0))
            if problems is not None:
                problems.append(f"{where}: malformed encoded-word kept as text: {m.group(0)[:60]}")
            pos = m.end()
            continue
        charset = m.group(1)
        if pending and _EW_GAP_RE.fullmatch(gap):
            if charset.lower() != pending_cs.lower():
                flush()
        else:
            flush()
            out.append(gap)
        pending.append(data)
        pending_cs = charset
        pos = m.end()
    flush()
    out.append(value[pos:])
    text = "".join(out)
    if problems is not None and _EW_START_RE.search(value[pos:]):
        problems.append(f"{where}: malformed encoded-word kept as text")
    return _WS_RE.sub(" ", text).strip()


def raw_header(msg: Message, name: str) -> str:
    """First value of a header as str, raw 8-bit bytes decoded; "" when absent. (compat32's
    `get` hands back a Header object, not a str, when the value has 8-bit bytes.)"""
    key = name.lower()
    return next((raw_to_str(v) for k, v in msg.raw_items() if k.lower() == key), "")


_MSGID_RE = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    found = _MSGID_RE.findall(value)
    if found:
        return tuple(found)
    return tuple(tok.strip("<>") for tok in value.replace(",", " ").split() if "@" in tok)


_ADDR_ITEM_RE = re.compile(
    r'\s*(?:"(?P<q>[^"\\]*)"|(?P<n>[^<>",;:@()\\]*?))\s*<(?P<a>[^<>\s"@,;]+@[^<>\s",;]+)>\s*'
    r'|\s*(?P<b>[^<>\s"@,;:()]+@[^<>\s",;:()]+)\s*')


def _simple_addresses(values: list[str]) -> list[tuple[str, str]] | None:
    """The common shapes (`Name <a@b>`, `"Name" <a@b>`, `a@b`, comma-separated) by one regex;
    None for anything else (groups, comments, quoted commas…), which goes to the stdlib parser
    — itself slow enough to be a third of a small mail's parse time."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        for item in value.split(","):
            if not item.strip():
                continue
            m = _ADDR_ITEM_RE.fullmatch(item)
            if m is None:
                return None
            if m.group("b"):
                pairs.append(("", m.group("b")))
            else:
                pairs.append(((m.group("q") if m.group("q") is not None else m.group("n") or "").strip(), m.group("a")))
    return pairs


def addresses(msg: Message, name: str, problems: list[str]) -> tuple[Address, ...]:
    key = name.lower()
    values = [_FOLD_RE.sub("", raw_to_str(v)) for k, v in msg.raw_items() if k.lower() == key]
    values = [decode_bytes(v.encode("ascii", "replace"), "iso-2022-jp", name)[0] if "\x1b" in v else v
              for v in values]
    if not values:
        return ()
    pairs = _simple_addresses(values)
    if pairs is None:
        try:
            pairs = getaddresses(values)
        except Exception as exc:  # noqa: BLE001 - stdlib address parser on hostile input
            problems.append(f"{name}: unparsable address list ({exc.__class__.__name__})")
            return ()
    result = []
    for n, a in pairs:
        a = a.strip()
        if not a or "@" not in a:
            continue
        result.append(Address(decode_words(n, problems, name).strip().strip('"'), a.lower()))
    return tuple(result)
