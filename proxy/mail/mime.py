"""Which part of a MIME tree is the body, and its text: part choice, transfer decoding, repair.

Kept apart from the header and charset code because this is where broken structure is
handled (missing boundaries, text parts marked as attachments, alternatives): the rules only
ever see the text chosen here. HTML alternatives beside a plain one are not rendered here but
returned as thunks, rendered only when a rule asks for every alternative.
"""
from __future__ import annotations

import email
import email.policy
import re
from email.message import Message

from proxy.mail.charsets import decode_bytes
from proxy.mail.headers import raw_header
from proxy.mail.html_text import render_html


MIME_DEFECTS = {
    "NoBoundaryInMultipartDefect": "multipart without a boundary parameter",
    "StartBoundaryNotFoundDefect": "the declared multipart boundary never occurs in the body",
    "CloseBoundaryNotFoundDefect": "multipart not closed (mail truncated?)",
    "MultipartInvariantViolationDefect": "multipart declared but no parts found",
    "FirstHeaderLineIsContinuationDefect": "the first header line is a continuation line",
    "MissingHeaderBodySeparatorDefect": "a header line without a colon; the body may start early",
}


def read_structure(raw: bytes) -> Message:
    """Raw bytes -> the compat32 `Message` tree, as `email.message_from_bytes` builds it.

    Why not just call that: for a single-part mail its feed parser walks the whole body line
    by line only to join the lines again (a third of `parse` at 4 KB, ~1 ms at 100 KB). So
    when the header block ends at the first CRLF CRLF (SMTP always sends CRLF), only the
    header goes through the stdlib parser and the body is attached as the same string the
    parser would have made. Anything the fast path cannot vouch for — a header defect, a
    multipart or message/* type, bare CR or LF in the header — takes the full parse.
    """
    sep = raw.find(b"\r\n\r\n")
    if sep >= 0:
        head = raw[:sep + 4]
        crlf = head.count(b"\r\n")
        if head.count(b"\n") == crlf and head.count(b"\r") == crlf:
            msg = email.message_from_bytes(head, policy=email.policy.compat32)
            if not msg.defects and msg.get_payload() == "" \
                    and msg.get_content_maintype() not in ("multipart", "message"):
                msg.set_payload(raw[sep + 4:].decode("ascii", "surrogateescape"))
                return msg
    return email.message_from_bytes(raw, policy=email.policy.compat32)


_BOUNDARY_GUESS_RE = re.compile(rb"^--([0-9A-Za-z'()+_,./:=?-]{1,70}?)[ \t]*\r?$", re.M)


_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def part_text(part: Message, problems: list[str], where: str) -> str:
    cte = raw_header(part, "Content-Transfer-Encoding").strip().lower()
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:  # noqa: BLE001 - decoder on hostile input; never crash
        problems.append(f"{where}: undecodable {cte or 'transfer encoding'} ({exc.__class__.__name__})")
        payload = None
    if payload is None:
        raw = part.get_payload()
        payload = raw.encode("ascii", "surrogateescape") if isinstance(raw, str) else b""
    if not isinstance(payload, bytes):
        payload = b""
    for defect in part.defects:
        name = defect.__class__.__name__
        if "Base64" in name or "Padding" in name:
            problems.append(f"{where}: broken base64 ({name}); decoded what could be decoded")
    if cte and cte not in ("7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "uuencode"):
        problems.append(f"{where}: unknown Content-Transfer-Encoding {cte!r}; taken as is")
    charset = part.get_param("charset")
    if isinstance(charset, tuple):  # RFC 2231 encoded parameter
        charset = charset[2]
    if not charset and part.get_content_type() == "text/html":
        meta = _META_CHARSET_RE.search(payload[:4096])
        if meta:  # the HTML says what the MIME header forgot
            charset = meta.group(1).decode("ascii")
    text, problem = decode_bytes(payload, str(charset) if charset else None, where)
    if problem:
        problems.append(problem)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_attachment(part: Message) -> bool:
    disp = raw_header(part, "Content-Disposition").split(";")[0].strip().lower()
    return disp == "attachment"


def _deferred(child: Message):
    """A thunk rendering one alternative on demand: problems -> (text, from_html)."""
    def thunk(problems: list[str]) -> tuple[str, bool]:
        r = choose_body(child, problems)
        return (r[0], r[1]) if r else ("", True)
    return thunk


def _looks_html(part: Message) -> bool:
    """An alternative that is (or wraps, as multipart/related does) an HTML body and no plain one."""
    ctype = part.get_content_type()
    if ctype == "text/html":
        return True
    if ctype == "multipart/related" and part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        return bool(children) and children[0].get_content_type() == "text/html"
    return False


def choose_body(part: Message, problems: list[str]) -> tuple[str, bool, str | None, tuple] | None:
    """(text, from_html, charset, other alternatives) of the readable body of `part`, or None
    when it has none.

    multipart/alternative: the plain alternative, else the HTML one rendered; the HTML
    alternatives beside a plain one are returned as thunks (`_deferred`), rendered only when a
    rule asks for `ParsedMessage.alternatives`. Other multiparts (mixed, related, signed): the
    inline text parts joined in order, attachments skipped.
    """
    ctype = part.get_content_type()
    if part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if ctype == "multipart/alternative":
            html_children = [c for c in children if _looks_html(c)]
            if html_children:
                for c in children:
                    if any(c is h for h in html_children):
                        continue
                    r = choose_body(c, problems)
                    if r and not r[1]:
                        return r[0], r[1], r[2], r[3] + tuple(_deferred(h) for h in html_children)
            chosen = [r for r in (choose_body(c, problems) for c in children) if r]
            plain = [r for r in chosen if not r[1]]
            return (plain or chosen)[0] if chosen else None
        results = [r for c in children if not _is_attachment(c) for r in [choose_body(c, problems)] if r]
        if not results:
            return None
        alts: tuple = ()
        if any(r[3] for r in results):
            def joined(problems: list[str], results: list = results) -> tuple[str, bool]:
                texts, html = [], False
                for r in results:
                    if r[3]:
                        text, is_html = r[3][0](problems)
                        texts.append(text)
                        html = html or is_html
                    else:
                        texts.append(r[0])
                return "\n".join(texts), html
            alts = (joined,)
        return "\n".join(r[0] for r in results), any(r[1] for r in results), results[0][2], alts
    if _is_attachment(part):
        return None
    maintype = part.get_content_maintype()
    if ctype == "text/html":
        return render_html(part_text(part, problems, "html part")), True, part.get_param("charset"), ()
    if maintype == "text" or ctype in ("message/delivery-status",):
        return part_text(part, problems, "body"), False, part.get_param("charset"), ()
    if maintype == "multipart":
        # multipart with no parsable boundary: best effort on its raw payload
        return part_text(part, problems, "body"), False, part.get_param("charset"), ()
    return None


def repair_multipart(msg: Message, raw: bytes, problems: list[str]) -> Message:
    """A multipart whose boundary is missing or wrong: guess it from the first `--token`
    delimiter line of the body and parse the body again with it. The headers stay the
    original's; only the body structure comes from the repaired parse."""
    sep = raw.find(b"\r\n\r\n")
    sep, skip = (sep, 4) if sep >= 0 else (raw.find(b"\n\n"), 2)
    if sep < 0:
        return msg
    body = raw[sep + skip:]
    m = _BOUNDARY_GUESS_RE.search(body)
    if not m:
        problems.append("MIME: multipart without a usable boundary; body taken as plain text")
        return msg
    boundary = m.group(1).decode("ascii")
    if boundary.endswith("--"):
        boundary = boundary[:-2]
    subtype = msg.get_content_subtype()
    if not re.fullmatch(r"[a-z0-9.+-]{1,40}", subtype or ""):
        subtype = "mixed"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode("ascii")
    repaired = email.message_from_bytes(head + body, policy=email.policy.compat32)
    if repaired.is_multipart():
        problems.append(f"MIME: multipart boundary missing or wrong; guessed {boundary!r}")
        return repaired
    return msg
