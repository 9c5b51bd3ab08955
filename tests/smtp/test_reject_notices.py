"""Refused replies on a 7-bit session: a readable ASCII 550, and a "Not sent" notice mail in
Japanese and English with the exact offending text and the refused reply attached.

Real sockets throughout: smtplib client → gateway → (outbox maildir | aiosmtpd sink)."""
from __future__ import annotations

import email
import email.header
import email.policy
import re
import smtplib
import threading
import time
from pathlib import Path

import pytest

from proxy import notices, tlscert
from proxy.config import (
    GatewayConfig, HoldConfig, LimitsConfig, ListenerConfig, NoticesConfig, TimeoutsConfig, UpstreamConfig,
)
from proxy.policy.verdict import Action, Finding, Verdict
from smtp_sinks import GatewayThread, Sink

EVIDENCE = "3月分の請求書について、金額が 12,000円 となっておりますが"
QUOTE = Finding(
    rule="quote-altered", action=Action.REJECT,
    message=f"返信の7行目の引用がお客様のメールにありません：「{EVIDENCE}」。原文どおりに戻してください。",
    message_en=f"Quoted line 7 of the reply is not in the customer's mail: '{EVIDENCE}'. Restore the customer's wording.",
    evidence=EVIDENCE, where="quote line 7",
)
REPLY = ("From: Sato <agent@example.com>\r\nTo: yamada@example.jp\r\n"
         "Subject: =?utf-8?B?UmU6IOiri+axguabuOOBq+OBpOOBhOOBpg==?=\r\n"
         "Message-ID: <reply-1@example.com>\r\nIn-Reply-To: <orig-1@example.jp>\r\n"
         "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
         f"山田様\r\n\r\n> {EVIDENCE}\r\n\r\n佐藤\r\n").encode()


class Recorder:
    def __init__(self) -> None:
        self.records: list[dict] = []
        self.lock = threading.Lock()

    def record(self, **kw) -> None:
        with self.lock:
            self.records.append(kw)

    def outcomes(self) -> list[str]:
        with self.lock:
            return [r["outcome"] for r in self.records]


def decide(envelope, message) -> Verdict:
    return Verdict.from_findings([QUOTE], rules_run=("quote-altered",), policy_version="v7")


def _gateway(tmp: Path, sink: Sink | None = None, *, auditor=None, release_user: str | None = None,
             notices_cfg: NoticesConfig | None = None) -> GatewayThread:
    up = UpstreamConfig(host=sink.host, port=sink.port, tls="none") if sink is not None else None
    hold = HoldConfig(notify_from="replyguard@example.com")
    if release_user:
        (tmp / "release.pw").write_text("noticepw\n")
        hold.release_user, hold.release_password_file = release_user, str(tmp / "release.pw")
    cfg = GatewayConfig(
        state_dir=str(tmp / "state"), listeners=[ListenerConfig(address="127.0.0.1:0", tls="none")],
        upstream=up, hold=hold, notices=notices_cfg or NoticesConfig(),
        limits=LimitsConfig(timeouts=TimeoutsConfig(connect=2, command=2, data=3)),
    )
    notifier = notices.from_config(cfg, policy="policies/default.yaml")
    return GatewayThread(cfg, decider=decide, auditor=auditor, notifier=notifier).start()


def _send(port: int, *, sender: str = "agent@example.com", login: tuple[str, str] | None = None,
          msg: bytes = REPLY) -> tuple[int, str, float]:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.ehlo("agent.test")
        if login:
            c.login(*login)
        c.mail(sender, ["BODY=8BITMIME"])
        c.rcpt("yamada@example.jp")
        t0 = time.monotonic()
        code, text = c.data(msg)
        took = time.monotonic() - t0
        assert c.noop()[0] == 250
    return code, text.decode("ascii"), took


def _outbox(tmp: Path) -> list[Path]:
    new = tmp / "state" / "outbox" / "new"
    return sorted(new.iterdir()) if new.is_dir() else []


def _wait(pred, timeout: float = 8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.05)
    return pred()


def _check_ascii_reply(code: int, text: str) -> None:
    assert code == 550
    assert "??" not in text and text.isascii()
    first = text.split("\n")[0]
    assert first.startswith("5.7.1 Not sent, fix and send again: [quote-altered] Quoted line 7 of the reply")
    assert "(Japanese text)" in first and "Restore the customer's wording." in first
    assert "notice" in text.split("\n")[-1]


def _check_notice(raw: bytes) -> None:
    assert raw.count(REPLY) == 1
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Replyguard-Notice"] == "rejected"
    assert msg["To"].addresses[0].addr_spec == "agent@example.com" and "replyguard@example.com" in msg["From"]
    assert msg["In-Reply-To"] == "<reply-1@example.com>"
    raw_subject = re.search(rb"^Subject: (.*(?:\r\n[ \t].*)*)", raw, re.M).group(1)
    assert raw_subject.isascii() and b"=?utf-8?" in raw_subject  # encoded-word on the wire
    assert str(msg["Subject"]) == "[replyguard] 送信されませんでした / Not sent: Re: 請求書について"
    text_part, att = list(msg.iter_parts())
    assert text_part.get_content_type() == "text/plain" and text_part.get_content_charset() == "utf-8"
    body = text_part.get_content()
    assert "送信されていません" in body and "NOT sent" in body
    assert QUOTE.message in body and QUOTE.message_en in body  # Japanese and English
    assert f"   | {EVIDENCE}" in body  # the evidence verbatim
    assert "quote line 7" in body and "policies/default.yaml (version v7)" in body
    assert att.get_content_type() == "message/rfc822"
    assert att.get_filename() == notices.ATTACHMENT_NAME
    # byte-identical: the part between its header block and the closing delimiter
    boundary = msg.get_boundary().encode()
    part = raw.split(b"--" + boundary)[2]
    assert part.split(b"\r\n\r\n", 1)[1] == REPLY + b"\r\n"  # the CRLF before "--" is the delimiter's


def test_reject_on_embedded_outbox_ascii_reply_and_notice(tmp_path: Path) -> None:
    audit = Recorder()
    gw = _gateway(tmp_path, auditor=audit)
    try:
        code, text, took = _send(gw.port)
        _check_ascii_reply(code, text)
        files = _wait(lambda: _outbox(tmp_path))
        assert len(files) == 1
        _check_notice(files[0].read_bytes())
        time.sleep(0.3)
        assert audit.outcomes() == ["rejected"]
    finally:
        gw.stop()


def test_reject_through_upstream_notice_goes_as_release_user(tmp_path: Path) -> None:
    with Sink(auth={"agent": "agentpw", "notices": "noticepw"}) as sink:
        gw = _gateway(tmp_path, sink, release_user="notices")
        try:
            code, text, _ = _send(gw.port, login=("agent", "agentpw"))
            _check_ascii_reply(code, text)
            got = _wait(lambda: sink.messages)
            assert len(got) == 1
            m = got[0]
            assert m.mail_from in ("", "<>") and m.rcpt_tos == ["agent@example.com"] and m.auth_user == "notices"
            _check_notice(m.content)
        finally:
            gw.stop()


def test_null_sender_and_notices_get_no_notice(tmp_path: Path) -> None:
    gw = _gateway(tmp_path)
    try:
        code, text, _ = _send(gw.port, sender="")
        assert code == 550 and "??" not in text and "audit record" in text  # no notice promised
        looped = REPLY.replace(b"MIME-Version", b"Auto-Submitted: auto-replied\r\nMIME-Version")
        code, text, _ = _send(gw.port, msg=looped)
        assert code == 550
        time.sleep(1.0)
        assert _outbox(tmp_path) == []
    finally:
        gw.stop()


def test_retry_flood_gives_one_notice(tmp_path: Path) -> None:
    gw = _gateway(tmp_path)
    try:
        for _ in range(8):
            code, text, _ = _send(gw.port)
            _check_ascii_reply(code, text)
        _wait(lambda: _outbox(tmp_path))
        time.sleep(1.0)
        assert len(_outbox(tmp_path)) == 1
    finally:
        gw.stop()


def test_failing_notice_never_delays_the_550_and_is_audited(tmp_path: Path) -> None:
    audit = Recorder()
    with Sink() as sink:
        gw = _gateway(tmp_path, sink, auditor=audit)
        try:
            with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
                c.ehlo("agent.test")
                c.mail("agent@example.com", ["BODY=8BITMIME"])
                c.rcpt("yamada@example.jp")
                # from now on the upstream is slow and then refuses: the notice's delivery fails
                sink.behaviour.delay["MAIL"] = 1.5
                sink.behaviour.mail_reply = "421 4.3.2 upstream going down"
                t0 = time.monotonic()
                code, text = c.data(REPLY)
                took = time.monotonic() - t0
            assert code == 550 and took < 1.0, took
            assert _wait(lambda: "notice-failed" in audit.outcomes())
            rec = [r for r in audit.records if r["outcome"] == "notice-failed"][0]
            assert rec["detail"]["notice"] == "rejected" and rec["reply"].startswith("421")
            assert audit.outcomes()[0] == "rejected"
            assert sink.messages == []
            # the gateway goes on serving
            sink.behaviour.delay.clear()
            sink.behaviour.mail_reply = None
            with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
                assert c.noop()[0] == 250
        finally:
            gw.stop()


def test_notices_off_in_config(tmp_path: Path) -> None:
    gw = _gateway(tmp_path, notices_cfg=NoticesConfig(reject=False))
    try:
        code, text, _ = _send(gw.port)
        assert code == 550 and "??" not in text and "audit record" in text
        time.sleep(0.5)
        assert _outbox(tmp_path) == []
    finally:
        gw.stop()
