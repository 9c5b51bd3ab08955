"""The decision seam at the SMTP door: reject, hold, warn, and one audit record per outcome."""
from __future__ import annotations

import smtplib
import threading
from pathlib import Path

import aiosmtplib
import asyncio
import pytest

from proxy.decision import EnvelopeInfo
from proxy.message import ParsedMessage
from proxy.policy.verdict import Action, Finding, Verdict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "smtp"
ISO = (FIXTURES / "reply-iso2022jp.eml").read_bytes()

SUBJECT = Finding(
    rule="subject-changed", action=Action.REJECT,
    message="件名が元のメールと違います。件名は「Re: 注文について」のままにしてください。",
    message_en='Subject differs from the customer\'s mail; keep it as "Re: order" and send again.',
    where="subject",
)
SIGNATURE = Finding(
    rule="signature-missing", action=Action.REJECT,
    message="署名がありません。氏名入りの署名を付けてください。",
    message_en="No signature with your name; add your signature block.",
    where="body",
)
HOLD = Finding(rule="other-customer-data", action=Action.HOLD, message="他のお客様の情報があります。",
               message_en="Another customer's data in the reply.", where="body line 3")


class Recorder:
    """A real (in-memory) Auditor: keeps each record; thread-safe like the log must be."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.lock = threading.Lock()

    def record(self, **kw) -> None:
        with self.lock:
            self.records.append(kw)


class MemoryHolder:
    """A real (in-memory) Holder: keeps the raw bytes, returns an id."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[bytes, EnvelopeInfo, Verdict]] = {}

    def hold(self, raw: bytes, envelope: EnvelopeInfo, verdict: Verdict) -> str:
        hold_id = f"H{len(self.held) + 1}"
        self.held[hold_id] = (raw, envelope, verdict)
        return hold_id


def verdict_of(*findings: Finding):
    def decide(envelope: EnvelopeInfo, message: ParsedMessage) -> Verdict:
        return Verdict.from_findings(list(findings), rules_run=("subject-changed", "signature-missing"))
    return decide


def send(gw, msg: bytes = ISO, **opts) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("agent.test")
        c.mail("agent@example.com", opts.get("mail_options", []))
        c.rcpt("yamada@example.jp")
        return c.data(msg)


def test_reject_is_multiline_550_first_line_actionable_ascii(make_gateway, sink):
    audit = Recorder()
    gw = make_gateway(sink, decider=verdict_of(SUBJECT, SIGNATURE), auditor=audit)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("agent.test")
        c.mail("agent@example.com")
        c.rcpt("yamada@example.jp")
        code, text = c.data(ISO)
        lines = text.decode("ascii").split("\n")  # smtplib joins continuation lines with \n
        assert code == 550
        assert lines[0] == ("5.7.1 Not sent, fix and send again (+1 more below): [subject-changed] "
                            'Subject differs from the customer\'s mail; keep it as "Re: order" and send again.')
        assert lines[1] == ("5.7.1 [signature-missing] No signature with your name; add your signature block. "
                            "(2 problems: subject-changed, signature-missing)")
        # the session goes on, and nothing reached the upstream
        assert c.noop()[0] == 250
    assert sink.messages == []
    assert [r["outcome"] for r in audit.records] == ["rejected"]
    assert audit.records[0]["reply"].startswith("550-5.7.1 Not sent")
    assert audit.records[0]["verdict"].findings == (SUBJECT, SIGNATURE)


def test_reject_wire_format_and_utf8_when_negotiated(make_gateway, sink):
    gw = make_gateway(sink, decider=verdict_of(SUBJECT, SIGNATURE))

    async def run() -> aiosmtplib.SMTPResponse:
        c = aiosmtplib.SMTP(hostname="127.0.0.1", port=gw.port, start_tls=False)
        await c.connect()
        await c.mail("agent@example.com", options=["SMTPUTF8"])
        await c.rcpt("yamada@example.jp")
        with pytest.raises(aiosmtplib.SMTPDataError) as exc:
            await c.data(ISO)
        await c.quit()
        return exc.value

    err = asyncio.run(run())
    assert err.code == 550
    first, second = err.message.split("\n")
    assert first.startswith("5.7.1 Not sent, fix and send again (+1 more below): [subject-changed] 件名が元のメールと違います。")
    assert second == ("5.7.1 [signature-missing] 署名がありません。氏名入りの署名を付けてください。 "
                      "(2 problems: subject-changed, signature-missing)")


def test_hold_without_holder_is_451_nothing_lost(make_gateway, sink):
    audit = Recorder()
    gw = make_gateway(sink, decider=verdict_of(HOLD), auditor=audit)
    code, text = send(gw)
    assert code == 451 and text.startswith(b"4.7.1 replyguard: not accepted: held by policy (other-customer-data)")
    assert sink.messages == []
    assert [r["outcome"] for r in audit.records] == ["tempfail"]


def test_hold_with_holder_is_250_after_hold(make_gateway, sink):
    audit, holder = Recorder(), MemoryHolder()
    gw = make_gateway(sink, decider=verdict_of(HOLD), auditor=audit, holder=holder)
    code, text = send(gw)
    assert code == 250 and text == (b"2.0.0 held for review: other-customer-data (id H1); "
                                    b"a supervisor will release or return it")
    raw, env, verdict = holder.held["H1"]
    assert raw == ISO and env.rcpt_tos == ("yamada@example.jp",) and env.door == "submission"
    assert verdict.action == Action.HOLD
    assert sink.messages == []
    assert [(r["outcome"], r["detail"]) for r in audit.records] == [("held", {"hold_id": "H1"})]


def test_warn_relays_and_audits_warned(make_gateway, sink):
    audit = Recorder()
    warn = Finding(rule="apology-missing", action=Action.WARN, message="お詫びがありません。", message_en="No apology.")
    gw = make_gateway(sink, decider=verdict_of(warn), auditor=audit)
    code, _ = send(gw)
    assert code == 250 and [m.content for m in sink.wait_for(1)] == [ISO]
    assert [r["outcome"] for r in audit.records] == ["warned"]
    assert audit.records[0]["message"].subject == "Re: 注文について"  # parsed once, handed to the audit


def test_accept_audits_once_per_message_with_envelope(make_gateway, sink):
    audit = Recorder()
    gw = make_gateway(sink, auditor=audit)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        for _ in range(3):
            c.sendmail("agent@example.com", ["yamada@example.jp"], ISO)
    assert [r["outcome"] for r in audit.records] == ["accepted"] * 3
    env = audit.records[0]["envelope"]
    assert (env.mail_from, env.rcpt_tos, env.client_ip) == ("agent@example.com", ("yamada@example.jp",), "127.0.0.1")
    assert env.helo and env.auth_user is None and env.extra["tls"] == "no"
    assert audit.records[0]["reply"].startswith("250 2.0.0 queued as SINK")


def test_upstream_refusal_and_outage_are_audited(make_gateway, sink):
    audit = Recorder()
    sink.behaviour.data_reply = "554 5.7.0 no"
    gw = make_gateway(sink, auditor=audit)
    assert send(gw)[0] == 554
    sink.stop()
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("x")
        assert c.mail("agent@example.com")[0] == 451  # before DATA: no message outcome yet
    assert [r["outcome"] for r in audit.records] == ["upstream-refused"]


def test_decider_crash_is_451_and_audited(make_gateway, sink):
    audit = Recorder()

    def broken(envelope, message):
        raise RuntimeError("engine bug")

    gw = make_gateway(sink, decider=broken, auditor=audit)
    code, text = send(gw)
    assert code == 451 and text.startswith(b"4.3.0 ")
    assert sink.messages == [] and [r["outcome"] for r in audit.records] == ["tempfail"]


def test_unexpected_error_goes_through_handle_exception(make_gateway, sink):
    audit = Recorder()
    gw = make_gateway(sink, decider=lambda e, m: None, auditor=audit)  # not a Verdict: a bug in the seam
    code, text = send(gw)
    assert code == 451 and text == b"4.3.0 replyguard: internal error, message not sent; try again later"
    assert b"NoneType" not in text and sink.messages == []
    assert [r["outcome"] for r in audit.records] == ["tempfail"]
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:  # server still serving
        assert c.noop()[0] == 250


def test_audit_failure_keeps_reply_truthful(make_gateway, sink):
    class Broken:
        def record(self, **kw):
            raise OSError("disk full")

    gw = make_gateway(sink, auditor=Broken())
    assert send(gw)[0] == 250
    assert len(sink.wait_for(1)) == 1


def test_message_parsed_exactly_once_and_shared(make_gateway, sink, monkeypatch):
    import proxy.smtp.submission as submission

    calls: list[bytes] = []
    real_parse = submission.parse

    def counting_parse(raw: bytes):
        calls.append(raw)
        return real_parse(raw)

    monkeypatch.setattr(submission, "parse", counting_parse)
    seen: list[ParsedMessage] = []
    audit = Recorder()

    def decide(envelope, message):
        seen.append(message)
        return Verdict(Action.ACCEPT)

    gw = make_gateway(sink, decider=decide, auditor=audit)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        for _ in range(3):
            c.sendmail("agent@example.com", ["yamada@example.jp"], ISO)
    assert calls == [ISO] * 3
    assert [r["message"] for r in audit.records] == seen  # the decider's object goes to the audit


def test_unparsable_message_is_refused_clearly(make_gateway, sink, monkeypatch):
    import proxy.smtp.submission as submission

    def broken_parse(raw: bytes):
        raise UnicodeError("cannot decode")

    monkeypatch.setattr(submission, "parse", broken_parse)
    audit = Recorder()
    gw = make_gateway(sink, auditor=audit)
    code, text = send(gw)
    assert code == 554 and text == b"5.6.0 replyguard: the message could not be read as e-mail (undecodable text or unknown charset); not sent"
    assert sink.messages == [] and [r["outcome"] for r in audit.records] == ["refused"]
