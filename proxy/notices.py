"""Notice mails to the agent about their own reply: "Not sent" (refused) and "Held for review".

Why: an SMTP reply is 7-bit ASCII unless the client negotiated SMTPUTF8, which Thunderbird,
Outlook and mutt do not; so the error dialog shows the English text with any Japanese
evidence elided. The notice carries what the dialog cannot: each finding in the policy's
language AND English, the exact offending text in full Unicode, what to do, the policy
reference, and the refused reply itself attached (message/rfc822, byte-identical) so the
agent can fix it and send it again.

Rules of the road:

* The notice never delays or changes the SMTP answer: the door schedules `Notifier.send`
  after its reply is on the wire; a failure is logged and audited (`notice-failed`).
* Delivery reuses the hold queue's path (`proxy.release.delivery_from_config`): the upstream
  (as the account / `hold.release_user`), or the outbox maildir. Null reverse-path, so a
  bounce of the notice cannot come back to the gateway.
* RFC 3834: `Auto-Submitted: auto-replied`, In-Reply-To/References of the refused reply.
  No notice for a null sender, nor for mail that is itself automatic (Auto-Submitted other
  than `no`, our own X-Replyguard-Notice header, or sent from the notices' own address).
* At most one notice per message; per sender, identical findings within `repeat_after`
  (a client's retry loop) give one notice, and `max_per_hour` caps the rest.
"""
from __future__ import annotations

import asyncio
import base64
import collections
import concurrent.futures
import email.utils
import hashlib
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from email.header import Header

from proxy.config import GatewayConfig, NoticesConfig
from proxy.decision import EnvelopeInfo
from proxy.message import ParsedMessage
from proxy.policy.verdict import Finding, Verdict
from proxy.smtp.upstream import Answer

log = logging.getLogger("replyguard.notices")

REJECTED = "rejected"
HELD = "held"
NOTICE_HEADER = "X-Replyguard-Notice"
ATTACHMENT_NAME = "refused-reply.eml"

_SUBJECT = {
    REJECTED: "[replyguard] 送信されませんでした / Not sent: {subject}",
    HELD: "[replyguard] 確認待ちで保留されました / Held for review: {subject}",
}
_HEADLINE = {
    REJECTED: ["あなたの返信は送信されていません。下記の点を直して、もう一度送信してください。",
               "Your reply was NOT sent. Fix the points below and send it again."],
    HELD: ["あなたの返信は送信されず、確認待ちとして保留されています。",
           "Your reply was NOT sent yet: it is held for review by a supervisor."],
}
_TODO = {
    REJECTED: [
        "対処 / What to do:",
        "  1. 下記の各指摘を直してください（該当箇所は原文どおり表示しています）。",
        "     Fix each point below (the offending text is shown exactly as written).",
        "  2. 返信はメールソフトの送信トレイ／下書きに残っています。無い場合は添付の",
        f"     {ATTACHMENT_NAME} を開き、「新しいメッセージとして編集」などで作り直してください。",
        "     The reply is still in your mail client's outbox / drafts. If not, open the attached",
        f"     {ATTACHMENT_NAME} and use \"Edit as New Message\" (or copy its text) to redo it.",
        "  3. もう一度送信してください。/ Send it again.",
    ],
    HELD: [
        "対処 / What to do:",
        "  何もする必要はありません。担当者が確認し、送信するか差し戻します。",
        "  Nothing for now: a supervisor will release it or return it to you with a reason.",
    ],
}


def _is_automatic(info: EnvelopeInfo, message: ParsedMessage | None, notify_from: str) -> str | None:
    """Why this mail must not get a notice (RFC 3834 loop protection), or None."""
    if not info.mail_from.strip("<> "):  # aiosmtpd hands MAIL FROM:<> on as "<>"
        return "null sender"
    if notify_from and info.mail_from.lower() == notify_from.lower():
        return "sent from the notices' own address"
    headers = message.headers if message is not None else None
    if headers is not None:
        if headers.get(NOTICE_HEADER) is not None:
            return "is a replyguard notice"
        auto = str(headers.get("Auto-Submitted") or "").strip().lower()
        if auto and not auto.startswith("no"):
            return f"Auto-Submitted: {auto}"
    return None


def _signature(kind: str, findings: Sequence[Finding]) -> str:
    h = hashlib.sha256(kind.encode())
    for f in findings:
        for part in (f.rule, f.where, f.evidence, f.message):
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def _indent(text: str, prefix: str) -> list[str]:
    return [prefix + line for line in (text.splitlines() or [""])]


def _header(value: str) -> str:
    """One header value: plain when ASCII, else RFC 2047 encoded-words (folded)."""
    value = " ".join(value.split())
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name="Subject").encode(linesep="\r\n")


def build_notice(
    kind: str,
    *,
    raw: bytes,
    envelope: EnvelopeInfo,
    subject: str,
    message_id: str | None,
    findings: Sequence[Finding],
    notify_from: str,
    policy: str = "",
    policy_version: str = "",
    reference: str = "",
    hold_id: str | None = None,
    when: datetime | None = None,
) -> bytes:
    """The notice mail (bytes, CRLF): multipart/mixed, text/plain UTF-8 + the reply as message/rfc822.

    The attachment is `raw` byte for byte (message/rfc822 may not be base64-encoded: it is
    7bit or 8bit as the reply was), so the agent gets back exactly what was refused.
    """
    when = when or datetime.now(timezone.utc)
    body: list[str] = [*_HEADLINE[kind], ""]
    body += [
        f"  件名 / Subject:  {subject}",
        f"  宛先 / To:       {', '.join(envelope.rcpt_tos)}",
        f"  日時 / Date:     {email.utils.format_datetime(when)}",
    ]
    if message_id:
        body.append(f"  Message-ID:      <{message_id.strip('<>')}>")
    if hold_id:
        body.append(f"  保留ID / Hold id: {hold_id}")
    body += ["", f"指摘 / Findings ({len(findings)}):", ""]
    for i, f in enumerate(findings, 1):
        body.append(f"{i}. [{f.rule}]  場所 / Where: {f.where or '-'}")
        ja, en = f.message.strip(), (f.message_en or "").strip()
        if ja and ja != en:
            body += _indent(ja, "   ")
        if en:
            body += _indent(en, "   ")
        if f.evidence:
            body.append("   該当箇所（原文どおり） / Offending text (exactly as written):")
            body += _indent(f.evidence, "   | ")
        body.append("")
    body += _TODO[kind] + [""]
    ref = policy + (f" (version {policy_version})" if policy_version else "")
    if ref or reference:
        body.append("ポリシー / Policy:")
        if ref:
            body.append(f"  {ref}")
        if reference:
            body.append(f"  {reference}")
        body.append("")
    body += [
        "このメールは replyguard が自動送信しました。返信しないでください。",
        "This notice was sent automatically by replyguard; please do not reply to it.",
    ]
    text = "\r\n".join(body) + "\r\n"

    boundary = "replyguard-" + os.urandom(12).hex()
    while boundary.encode() in raw:  # pragma: no cover - 96 random bits
        boundary = "replyguard-" + os.urandom(12).hex()
    subject_line = _SUBJECT[kind].format(subject=subject or "(no subject)")
    domain = notify_from.rpartition("@")[2] or socket.getfqdn()
    headers = [
        f"From: replyguard <{notify_from}>",
        f"To: <{envelope.mail_from}>",
        f"Subject: {_header(subject_line)}",
        f"Date: {email.utils.format_datetime(when)}",
        f"Message-ID: {email.utils.make_msgid('notice', domain=domain)}",
    ]
    if message_id:
        mid = f"<{message_id.strip('<>')}>"
        headers += [f"In-Reply-To: {mid}", f"References: {mid}"]
    headers += [
        "Auto-Submitted: auto-replied",
        "X-Auto-Response-Suppress: All",
        f"{NOTICE_HEADER}: {kind}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
    ]
    encoded = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    attachment_cte = "7bit" if raw.isascii() else "8bit"
    out = "\r\n".join(headers).encode() + b"\r\n\r\n"
    out += b"This is a MIME message (a notice from replyguard).\r\n"
    out += (f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n").encode() + encoded
    out += (f"--{boundary}\r\nContent-Type: message/rfc822\r\n"
            f'Content-Disposition: attachment; filename="{ATTACHMENT_NAME}"\r\n'
            f"Content-Transfer-Encoding: {attachment_cte}\r\n\r\n").encode()
    out += raw + f"\r\n--{boundary}--\r\n".encode()
    return out


class Notifier:
    """Decides whether a notice goes out, builds it, and delivers it (see module doc).

    `admit` runs on the door's event loop when the outcome is known (cheap, no I/O), so a
    flood of retries is throttled before any work is queued; `send` does the rest on a
    worker thread and returns the delivery's answer (never raises).
    """

    def __init__(self, delivery, cfg: NoticesConfig, *, notify_from: str, policy: str = "",
                 monotonic: Callable[[], float] = time.monotonic):
        self.delivery = delivery
        self.cfg = cfg
        self.notify_from = notify_from
        self.policy = policy
        self.monotonic = monotonic
        self._recent: dict[tuple[str, str], float] = {}
        self._per_sender: dict[str, collections.deque[float]] = {}
        self._pool = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="replyguard-notice")

    @property
    def description(self) -> str:
        return getattr(self.delivery, "description", type(self.delivery).__name__)

    def wants(self, kind: str) -> bool:
        return self.cfg.reject if kind == REJECTED else self.cfg.hold if kind == HELD else False

    def admit(self, kind: str, info: EnvelopeInfo, message: ParsedMessage | None,
              findings: Sequence[Finding]) -> str | None:
        """None when a notice is to be sent (and counts it), else why not."""
        if not self.wants(kind):
            return "off"
        why = _is_automatic(info, message, self.notify_from)
        if why:
            return why
        now = self.monotonic()
        sender = info.mail_from.lower()
        key = (sender, _signature(kind, findings))
        last = self._recent.get(key)
        if last is not None and now - last < self.cfg.repeat_after:
            return f"same findings notified {now - last:.0f} s ago"
        sent = self._per_sender.setdefault(sender, collections.deque())
        while sent and now - sent[0] >= 3600:
            sent.popleft()
        if self.cfg.max_per_hour and len(sent) >= self.cfg.max_per_hour:
            return f"{len(sent)} notices to {sender} in the last hour"
        sent.append(now)
        self._recent[key] = now
        if len(self._recent) > 10_000:  # bounded: forget the oldest half
            for k in sorted(self._recent, key=self._recent.__getitem__)[:5_000]:
                del self._recent[k]
        return None

    def build(self, kind: str, info: EnvelopeInfo, message: ParsedMessage, findings: Sequence[Finding],
              verdict: Verdict | None, hold_id: str | None = None) -> bytes:
        return build_notice(
            kind, raw=message.raw, envelope=info, subject=message.subject, message_id=message.message_id,
            findings=findings, notify_from=self.notify_from, policy=self.policy,
            policy_version=verdict.policy_version if verdict is not None else "",
            reference=self.cfg.reference, hold_id=hold_id,
        )

    async def send(self, kind: str, info: EnvelopeInfo, message: ParsedMessage, findings: Sequence[Finding],
                   verdict: Verdict | None, hold_id: str | None = None) -> Answer:
        """Build and deliver one admitted notice; the answer says how it went (never raises)."""
        key = f"notice-{kind}-{int(time.time())}-{os.urandom(6).hex()}"

        def work() -> Answer:
            raw = self.build(kind, info, message, findings, verdict, hold_id)
            # Its own short loop on this thread: the outbox's fsync must not block the door's loop.
            return asyncio.run(self.delivery.deliver(raw, "", [info.mail_from], key=key,
                                                     before_data=lambda: None))
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work)
        except Exception as exc:  # noqa: BLE001 - a notice never breaks the gateway
            log.warning("notice to %s failed: %s: %s", info.mail_from, type(exc).__name__, exc)
            return Answer(451, f"4.3.0 {type(exc).__name__}: {exc}")

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def from_config(cfg: GatewayConfig, *, policy: str = "") -> Notifier | None:
    """The notifier `serve` hands to the submission door; None when every notice is off."""
    if not (cfg.notices.reject or cfg.notices.hold):
        return None
    from proxy.release import delivery_from_config
    notify_from = cfg.hold.notify_from or f"MAILER-DAEMON@{socket.getfqdn()}"
    return Notifier(delivery_from_config(cfg), cfg.notices, notify_from=notify_from, policy=policy)
