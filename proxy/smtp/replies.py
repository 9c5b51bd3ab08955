"""Every SMTP reply the gateway composes itself, named, in one place.

Why one module: a client's error dialog is the only place a support agent sees why a
reply was not sent, so the wording is product surface. Keeping every reply here (no
literal "550 ..." elsewhere) lets reviewers read all of it at once, keeps enhanced status
codes consistent, and gives one builder for multi-line replies, which must be assembled by
hand because aiosmtpd writes the string it is given verbatim.

Replies that carry the upstream server's own answer are built with `from_upstream`, so the
client sees exactly what the real server said (code and text), only made safe for the wire.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from proxy.policy.verdict import Finding

MAX_LINE = 510
"""RFC 5321 4.5.3.1.5: a reply line is at most 512 octets including CRLF."""


class Reply(NamedTuple):
    """One SMTP reply: basic code, enhanced status code (RFC 3463) and text."""

    code: int
    status: str
    text: str

    def __str__(self) -> str:
        return render(self.code, self.status, [self.text])

    def with_text(self, text: str) -> "Reply":
        return Reply(self.code, self.status, text)


def ascii_safe(text: str) -> str:
    """Replace what a 7-bit SMTP session cannot carry (and control characters) by '?'."""
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+(?:[ \t]+[^\x00-\x7f]+)*")
"""A maximal stretch of non-ASCII characters (words separated by plain spaces count as one)."""
_QUOTED = re.compile(r"""(?<![\w'"])(['"])(?=\S)(.+?)(?<=\S)\1(?!\w)""")
"""A quoted passage in an English finding text: 'like this' or "like this" (not the
apostrophe of "customer's": an opening quote has no letter before it, a closing none after)."""
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
ELIDED = "..."
"""What a run of non-ASCII inside quoted evidence becomes in an ASCII reply."""
ELIDED_HINT = "(Japanese/non-ASCII text cannot be shown in this reply: {where})"
"""Appended once to a 7-bit reply in which something was elided, saying where the full text is."""
HINT_NOTICE = "the exact text is in the 'Not sent' notice mailed to you"
HINT_AUDIT = "the exact text is in the audit record (replyguard audit search)"


def _fold(text: str) -> str:
    """What has a faithful ASCII spelling gets it: full-width ３ → 3, ｅ → e, é → e, “ → "."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        folded = unicodedata.normalize("NFKC", ch)
        if not folded.isascii():
            base = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
            folded = base if base.isascii() and base.strip() else folded
        if not folded.isascii():
            folded = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                      "\u2014": "-", "\u2026": "...", "\u00a0": " "}.get(ch, folded)
        out.append(folded)
    return "".join(out)


def _label(text: str) -> str:
    return "(Japanese text)" if _CJK.search(text) else "(non-ASCII text)"


def ascii_elide(text: str) -> tuple[str, bool]:
    """An English finding text made readable on a 7-bit reply: (text, whether anything was elided).

    Findings quote the mail ('3月の請求書について'), and a 7-bit reply would turn that into
    "'3?????????'". Instead: characters with an ASCII spelling are folded (full-width digits,
    accents, curly quotes); inside a quoted passage each remaining run of non-ASCII becomes
    `...` — or, when nothing readable is left ('3...'), the whole passage becomes
    `(Japanese text)`; a run outside quotes becomes `...` too. The sentence around it (which
    rule, which line, what to do) is untouched. Control characters are left for `ascii_safe`.
    """
    text = _fold(text)
    if text.isascii():
        return text, False

    def quoted(m: re.Match[str]) -> str:
        body = m.group(2)
        if body.isascii():
            return m.group(0)
        shown = _NON_ASCII_RUN.sub(ELIDED, body)
        if not re.search(r"[A-Za-z]{2}", shown.replace(ELIDED, " ")):
            return _label(body)
        return f"{m.group(1)}{shown}{m.group(1)}"

    text = _QUOTED.sub(quoted, text)
    text = _NON_ASCII_RUN.sub(lambda m: _label(m.group(0)) if len(m.group(0)) > 1 else ELIDED, text)
    return re.sub(r"\(\((Japanese|non-ASCII) text\)\)", r"(\1 text)", text), True


def _printable(ch: str) -> bool:
    """May go into an SMTPUTF8 reply line: no C0/C1 controls, DEL, line/paragraph separators."""
    o = ord(ch)
    return not (o < 32 or 0x7F <= o < 0xA0 or o in (0x2028, 0x2029) or 0xD800 <= o < 0xE000)


def utf8_safe(text: str) -> str:
    """Replace control characters (NUL, ESC, NEL, …) and lone surrogates by '?'; keep the rest."""
    return "".join(ch if _printable(ch) else "?" for ch in text)


def _clip(line: str, limit: int) -> str:
    """Shorten one reply line to `limit` UTF-8 octets, marking the cut."""
    data = line.encode("utf-8")
    if len(data) <= limit:
        return line
    return data[: limit - 3].decode("utf-8", "ignore") + "..."


def render(code: int, status: str, lines: Sequence[str], *, utf8: bool = False) -> str:
    """Build a (possibly multi-line) reply: `550-5.7.1 a` CRLF `550 5.7.1 b`.

    Every line repeats the enhanced status code (RFC 2034 requires it on each line).
    Lines are cleaned of CR/LF (no reply injection) and clipped to the RFC line limit;
    non-ASCII is kept only when `utf8` is set (the client negotiated SMTPUTF8).
    """
    cleaned = []
    for raw in lines or [""]:
        for part in str(raw).replace("\r", "\n").split("\n"):
            part = part.strip()
            part = utf8_safe(part) if utf8 else ascii_safe(part)
            if part or not cleaned:
                cleaned.append(part)
    prefix_len = len(f"{code} {status} ") if status else len(f"{code} ")
    out = []
    for i, text in enumerate(cleaned):
        sep = " " if i == len(cleaned) - 1 else "-"
        text = _clip(text, MAX_LINE - prefix_len)
        out.append(f"{code}{sep}{status} {text}" if status else f"{code}{sep}{text}")
    return "\r\n".join(out)


# --- connection and session ---------------------------------------------------------

def helo(hostname: str) -> str:
    """The answer to HELO (plain SMTP: no enhanced code)."""
    return f"250 {hostname}"


EHLO_ENHANCED = "250-ENHANCEDSTATUSCODES"
"""EHLO line we add: every reply we compose carries an RFC 3463 code."""
TOO_MANY_CONNECTIONS = Reply(421, "4.7.0", "replyguard: too many connections, try again later")
SHUTTING_DOWN = Reply(421, "4.3.2", "replyguard: gateway is shutting down, try again in a moment")
AUTH_TLS_REQUIRED = Reply(
    538, "5.7.11", "replyguard: use STARTTLS before AUTH (passwords are never sent in clear)"
)
AUTH_OK = Reply(235, "2.7.0", "Authentication successful")
AUTH_FAILED = Reply(535, "5.7.8", "Authentication credentials invalid")
AUTH_UNAVAILABLE = Reply(
    454, "4.7.0", "replyguard: cannot check your password now (mail server unreachable), try again"
)
AUTH_NOT_OFFERED = Reply(
    504, "5.5.4", "replyguard: the mail server behind this gateway offers no AUTH; send without login"
)
AUTH_BAD_DATA = Reply(501, "5.5.2", "Cannot decode AUTH data")
AUTH_ABORTED = Reply(501, "5.7.0", "AUTH aborted")
AUTH_ALREADY = Reply(503, "5.5.1", "Already authenticated")
AUTH_MECH = Reply(504, "5.5.4", "Unrecognized authentication type")
AUTH_DISABLED = Reply(503, "5.5.1", "AUTH is not used by this gateway (auth: none)")
OK = Reply(250, "2.0.0", "OK")
SENDER_OK = Reply(250, "2.1.0", "Sender OK")
RECIPIENT_OK = Reply(250, "2.1.5", "Recipient OK")
TOO_MANY_RECIPIENTS = Reply(452, "4.5.3", "replyguard: too many recipients; send the rest in another message")
UTF8_NOT_SUPPORTED_UPSTREAM = Reply(
    555, "5.6.7", "replyguard: the mail server behind this gateway does not support SMTPUTF8"
)
EIGHTBIT_NOT_SUPPORTED_UPSTREAM = Reply(
    555, "5.6.3", "replyguard: the mail server behind this gateway does not support 8BITMIME"
)

# --- DATA ---------------------------------------------------------------------------

START_DATA = Reply(354, "", "End data with <CR><LF>.<CR><LF>")
NEED_RCPT = Reply(503, "5.5.1", "Error: need RCPT command")
DATA_SYNTAX = Reply(501, "5.5.4", "Syntax: DATA")

TOO_BIG = Reply(552, "5.3.4", "replyguard: message too big (limit {limit} bytes); make it smaller")
LINE_TOO_LONG = Reply(
    554, "5.6.0",
    "replyguard: line {line} is longer than 998 characters (RFC 5322); the mail client must wrap or encode it",
)
EIGHTBIT_UNDECLARED = Reply(
    554, "5.6.1",
    "replyguard: message has 8-bit data but MAIL FROM did not declare BODY=8BITMIME; "
    "enable 8BITMIME/MIME encoding in the mail client",
)
UNPARSABLE = Reply(554, "5.6.0", "replyguard: the message could not be read as e-mail ({why}); not sent")


def unparsable(error: BaseException) -> Reply:
    """UNPARSABLE with a reason an agent can act on, never the text of an internal exception."""
    if isinstance(error, RecursionError):
        why = "MIME parts nested too deeply"
    elif isinstance(error, MemoryError):
        why = "too large to analyse"
    elif isinstance(error, (UnicodeError, LookupError)):
        why = "undecodable text or unknown charset"
    else:
        why = "broken MIME structure"
    return fmt(UNPARSABLE, why=why)


DATA_TIMEOUT = Reply(
    451, "4.4.2", "replyguard: the message took longer than {limit} s to arrive; nothing was sent, try again"
)
INTERNAL_ERROR = Reply(451, "4.3.0", "replyguard: internal error, message not sent; try again later")
POLICY_ERROR = Reply(451, "4.3.0", "replyguard: policy check failed internally, message not sent; try again later")

# --- upstream problems (before-queue: the client retries, nothing is lost) ----------

UPSTREAM_UNREACHABLE = Reply(
    451, "4.4.1", "replyguard: mail server {server} unreachable ({why}); message not sent, try again later"
)
UPSTREAM_TIMEOUT = Reply(
    451, "4.4.2", "replyguard: mail server {server} did not answer in time; message not sent, try again later"
)
UPSTREAM_DROPPED = Reply(
    451, "4.4.2", "replyguard: mail server {server} closed the connection; message not sent, try again later"
)
UPSTREAM_TLS = Reply(
    451, "4.7.5", "replyguard: TLS with mail server {server} failed ({why}); message not sent"
)
UPSTREAM_PROTOCOL = Reply(
    451, "4.5.0", "replyguard: mail server {server} answered unexpectedly ({why}); message not sent"
)

# --- outcomes -----------------------------------------------------------------------

DELIVERED_LOCAL = Reply(
    250, "2.0.0",
    "delivered to local maildir {path} (no upstream configured in replyguard)",
)
HELD = Reply(250, "2.0.0", "held for review: {rules} (id {hold_id}); a supervisor will release or return it")
HOLD_UNAVAILABLE = Reply(
    451, "4.7.1",
    "replyguard: not accepted: held by policy ({rules}) but no hold queue is configured; "
    "nothing was sent, ask your administrator",
)
HOLD_FAILED = Reply(451, "4.3.0", "replyguard: could not store the message for review; nothing was sent, try again")
DELAYED = Reply(
    250, "2.0.0",
    "will be sent in {delay} (id {hold_id}); to call it back, send a mail with the subject: CANCEL {hold_id}",
)
CANCEL_DONE = Reply(250, "2.0.0", "replyguard: {text} (this command mail itself was not sent anywhere)")
CANCEL_FAILED = Reply(550, "5.7.0", "replyguard: cannot cancel: {text} (this command mail was not sent anywhere)")
AUDIT_UNAVAILABLE = Reply(
    451, "4.3.0", "replyguard: compliance log cannot be written (disk full?); nothing was sent, try again later"
)
REJECT_STATUS = (550, "5.7.1")


def fmt(reply: Reply, **values: object) -> Reply:
    """Fill a template reply's `{placeholders}`."""
    return reply.with_text(reply.text.format(**values))


def from_upstream(code: int, message: str, *, utf8: bool = False) -> str:
    """Pass the upstream's own reply back, multi-line preserved, made safe for the wire.

    aiosmtplib joins continuation lines with "\\n"; we re-split them. The upstream's text
    usually starts with its enhanced code already, so we never add one.
    """
    lines = message.split("\n") if message else [""]
    return render(code, "", lines, utf8=utf8)


def rejection(findings: Iterable[Finding], *, utf8: bool, hint: str = HINT_AUDIT) -> str:
    """The `550 5.7.1` reply for a policy rejection: one line per finding.

    Thunderbird shows the whole multi-line text; Outlook shows the reply as one string that
    starts with line 1; mutt's built-in SMTP shows only the last line (see docs/clients.md).
    So the FIRST line is a complete, actionable sentence on its own (what happened, which
    rule, what to do), and with several findings the LAST line also names them all. Without SMTPUTF8 the English text
    (`message_en`) is used and the Japanese text reaches the agent via the audit record /
    hold notice; with SMTPUTF8 the policy-language text (may be Japanese) is sent as is.

    Quoted evidence that cannot be carried in 7 bits is elided (`ascii_elide`), never sent as
    runs of '?', and the reply then ends with one hint saying where the exact text is (`hint`:
    the notice mail when notices are on, else the audit record).
    """
    items = list(findings)
    code, status = REJECT_STATUS
    if not items:
        return render(code, status, ["Not sent: blocked by support policy. Check the reply and send again."])

    elided = False

    def text(f: Finding) -> str:
        nonlocal elided
        if utf8:
            msg = f.message or f.message_en
        elif f.message_en or f.message.isascii():
            msg, cut = ascii_elide(f.message_en or f.message)
            elided = elided or cut
        else:  # only a Japanese text exists: say so instead of sending "????"
            msg = "breaks this support policy rule (explanation only in Japanese: see the audit record)"
        return f"[{f.rule}] {msg}".strip()

    n = len(items)
    more = f" (+{n - 1} more below)" if n > 1 else ""
    first = f"Not sent, fix and send again{more}: {text(items[0])}"
    lines = [first] + [text(f) for f in items[1:]]
    if n > 1:
        # mutt's built-in SMTP shows only the LAST line ("SMTP session failed: …"): make it
        # name every problem too, so no client hides that there is more than one.
        rules = ", ".join(dict.fromkeys(f.rule for f in items))
        lines[-1] += f" ({n} problems: {rules})"
    if elided:
        lines[-1] += " " + ELIDED_HINT.format(where=hint)
    return render(code, status, lines, utf8=utf8)
